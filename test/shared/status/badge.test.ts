import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { BADGE_COLOURS, badgeStatus, badgeSvg, badgeText, parseBadgeJobs, type BadgeInput } from '../../../shared/status/badge';

/**
 * Deck's /badge.svg?jobs=…: Prow's selector semantics (comma-separated Go filepath.Match globs),
 * its verdict (fail when any latest result failed, naming up to three), and an image that is
 * valid SVG, readable by screen readers and legible in colour.
 */

describe('parseBadgeJobs', () => {
  it('splits on commas and matches each job against every pattern', () => {
    const selector = parseBadgeJobs('ci-*,pull-widgets-unit');
    expect(selector.patterns).toEqual(['ci-*', 'pull-widgets-unit']);
    expect(selector.matches('ci-widgets-nightly')).toBe(true);
    expect(selector.matches('ci-')).toBe(true);
    expect(selector.matches('pull-widgets-unit')).toBe(true);
    expect(selector.matches('pull-widgets-unit-race')).toBe(false);
    expect(selector.matches('post-ci-widgets')).toBe(false);
  });

  it('matches the whole name, with stars anywhere', () => {
    const selector = parseBadgeJobs('*-e2e-*-gce,pull-*');
    expect(selector.matches('ci-kubernetes-e2e-node-gce')).toBe(true);
    expect(selector.matches('ci-kubernetes-e2e-node-gce-canary')).toBe(false);
    expect(selector.matches('pull-anything')).toBe(true);
    expect(parseBadgeJobs('*a*a*b').matches('xaaab')).toBe(true);
    expect(parseBadgeJobs('*a*a*b').matches('xab')).toBe(false);
  });

  it("supports Go's ? and character classes, and never lets * or ? match a slash", () => {
    expect(parseBadgeJobs('job-?').matches('job-1')).toBe(true);
    expect(parseBadgeJobs('job-?').matches('job-12')).toBe(false);
    expect(parseBadgeJobs('job-[0-9]').matches('job-7')).toBe(true);
    expect(parseBadgeJobs('job-[^0-9]').matches('job-7')).toBe(false);
    expect(parseBadgeJobs('job-[^0-9]').matches('job-x')).toBe(true);
    expect(parseBadgeJobs('job-\\*').matches('job-*')).toBe(true);
    expect(parseBadgeJobs('job-\\*').matches('job-x')).toBe(false);
    expect(parseBadgeJobs('a*').matches('a/b')).toBe(false);
    expect(parseBadgeJobs('a?b').matches('a/b')).toBe(false);
    expect(parseBadgeJobs('a/*').matches('a/b')).toBe(true);
  });

  it('matches nothing for a malformed pattern, as Go reports ErrBadPattern', () => {
    expect(parseBadgeJobs('job-[').matches('job-[')).toBe(false);
    expect(parseBadgeJobs('job-[]').matches('job-x')).toBe(false);
    expect(parseBadgeJobs('job-\\').matches('job-\\')).toBe(false);
    // The other patterns still count.
    expect(parseBadgeJobs('job-[,ci-*').matches('ci-x')).toBe(true);
  });

  it('ignores empty entries and surrounding spaces', () => {
    const selector = parseBadgeJobs(' ci-a , ,ci-b,');
    expect(selector.patterns).toEqual(['ci-a', 'ci-b']);
    expect(parseBadgeJobs('').matches('')).toBe(false);
  });
});

describe('badgeStatus and the badge text', () => {
  it('passes when every job passed', () => {
    const status = badgeStatus([
      { job: 'ci-a', state: 'success' },
      { job: 'ci-b', state: 'success' },
    ]);
    expect(status.status).toBe('passing');
    expect(badgeText(status)).toBe('passing');
  });

  it('names up to three failing jobs, sorted, and counts more', () => {
    const few = badgeStatus([
      { job: 'ci-c', state: 'failure' },
      { job: 'ci-a', state: 'error' },
      { job: 'ci-b', state: 'success' },
    ]);
    expect(few).toMatchObject({ status: 'failing', failing: ['ci-a', 'ci-c'] });
    expect(badgeText(few)).toBe('failing ci-a, ci-c');

    const many = badgeStatus(
      ['a', 'b', 'c', 'd', 'e'].map((job, index) => ({ job, state: index < 4 ? ('failure' as const) : ('success' as const) })),
    );
    expect(badgeText(many)).toBe('failing 4/5');
  });

  it("uses each job's first (newest) finished result and ignores runs still going", () => {
    const status = badgeStatus([
      { job: 'ci-a', state: 'pending' },
      { job: 'ci-a', state: 'success' },
      { job: 'ci-a', state: 'failure' },
    ]);
    expect(badgeText(status)).toBe('passing');
  });

  it('says "no results" when nothing matched, "pending" when nothing has finished', () => {
    expect(badgeText(badgeStatus([]))).toBe('no results');
    expect(badgeStatus([]).status).toBe('unknown');
    expect(badgeText(badgeStatus([{ job: 'ci-a', state: 'triggered' }]))).toBe('pending');
  });

  it('does not fail on an aborted run', () => {
    expect(badgeStatus([{ job: 'ci-a', state: 'aborted' }]).status).toBe('passing');
  });
});

interface SvgNode {
  '@_role'?: string;
  '@_aria-label'?: string;
  title?: string;
  g?: { text?: { '#text': string }[] }[];
}

function parseSvg(svg: string): SvgNode {
  expect(XMLValidator.validate(svg)).toBe(true);
  const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'g' || name === 'text' }).parse(svg) as { svg: SvgNode };
  return parsed.svg;
}

function shownText(svg: SvgNode): string[] {
  return (svg.g ?? []).flatMap((group) => group.text ?? []).map((text) => String(text['#text']));
}

/** WCAG relative luminance and contrast ratio. */
function contrast(hexA: string, hexB: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((at) => {
      const channel = parseInt(hex.slice(at, at + 2), 16) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [light, dark] = [luminance(hexA), luminance(hexB)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

describe('badgeSvg', () => {
  const cases: [BadgeInput, string][] = [
    [{ status: 'passing' }, 'passing'],
    [{ status: 'failing', failing: ['ci-a', 'ci-b'], total: 3 }, 'failing ci-a, ci-b'],
    [{ status: 'unknown' }, 'no results'],
    [{ status: 'pending' }, 'pending'],
  ];

  it.each(cases)('is valid, labelled SVG showing the status: %j', (input, words) => {
    const svg = parseSvg(badgeSvg(input));
    expect(svg['@_role']).toBe('img');
    expect(svg['@_aria-label']).toBe(`build: ${words}`);
    expect(svg.title).toBe(`build: ${words}`);
    expect(shownText(svg)).toEqual(['build', words]);
  });

  it('uses the given label', () => {
    expect(shownText(parseSvg(badgeSvg({ label: 'tests', status: 'passing' })))).toEqual(['tests', 'passing']);
  });

  it('is colour-coded by status', () => {
    expect(badgeSvg({ status: 'passing' })).toContain(`fill="${BADGE_COLOURS.passing}"`);
    expect(badgeSvg({ status: 'failing', failing: ['x'] })).toContain(`fill="${BADGE_COLOURS.failing}"`);
    expect(new Set(Object.values(BADGE_COLOURS)).size).toBe(Object.keys(BADGE_COLOURS).length);
  });

  it('keeps white text readable on every background (WCAG AA, 4.5:1)', () => {
    for (const [name, colour] of Object.entries(BADGE_COLOURS)) {
      expect(contrast('#ffffff', colour), name).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('widens with its text, so a long job name is not clipped', () => {
    const width = (svg: string) => Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
    const short = badgeSvg({ status: 'failing', failing: ['a'] });
    const long = badgeSvg({ status: 'failing', failing: ['ci-kubernetes-e2e-gce-very-long-job-name'] });
    expect(width(long)).toBeGreaterThan(width(short) + 150);
  });

  it('escapes job names and labels, staying valid XML', () => {
    const hostile = '<script>alert(1)</script>&"';
    const raw = badgeSvg({ label: hostile, status: 'failing', failing: [hostile] });
    expect(raw).not.toContain('<script>');
    const svg = parseSvg(raw);
    expect(svg['@_aria-label']).toContain('&#60;script&#62;');
  });
});
