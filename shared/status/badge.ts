import { isActiveState } from '../prowjob/lifecycle';
import type { ProwJobState } from '../prowjob/schema';
import { configIndex } from './config-index';
import { html } from './html';
import { stateOf } from './pages/layout';
import { badRequest, type StatusRequest } from './status-request';

/**
 * Deck's `/badge.svg?jobs=a,b-*`: a shields-style `[build | passing]` image for a README. The
 * selector is a comma-separated list of Go `filepath.Match` globs; each matching job contributes
 * its latest finished run. The badge fails when any of those failed, naming them when there are
 * few, and says "no results" when nothing matched.
 */

export type BadgeState = 'passing' | 'failing' | 'pending' | 'unknown';

export interface BadgeInput {
  /** The left half; Prow's is "build". */
  label?: string;
  status: BadgeState;
  /** Names of the failing jobs. */
  failing?: string[];
  /** How many jobs the badge covers, for "failing 4/12". */
  total?: number;
}

/** Above this many failing jobs the badge counts them instead of naming them. */
const MAX_NAMED_FAILURES = 3;

// --- the selector --------------------------------------------------------------------------------

type Token =
  | { kind: 'literal'; char: string }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: [string, string][] };

/** A pattern as Go's matcher walks it: runs of single-character tokens, each after an optional `*`. */
interface Segment {
  star: boolean;
  chunk: Token[];
}

/** Go's filepath.Match never lets `*` or `?` match the separator. */
const SEPARATOR = '/';

/** Parses one glob; undefined for a malformed one (Go's ErrBadPattern), which then matches nothing. */
function compileGlob(pattern: string): Segment[] | undefined {
  const chars = Array.from(pattern);
  const segments: Segment[] = [{ star: false, chunk: [] }];
  let index = 0;
  const escaped = (): string | undefined => {
    index++; // past the backslash
    return chars[index++];
  };
  while (index < chars.length) {
    const char = chars[index]!;
    const current = segments[segments.length - 1]!;
    if (char === '*') {
      // Consecutive stars are one star.
      if (!(current.star && current.chunk.length === 0)) segments.push({ star: true, chunk: [] });
      index++;
    } else if (char === '?') {
      current.chunk.push({ kind: 'any' });
      index++;
    } else if (char === '\\') {
      const literal = escaped();
      if (literal === undefined) return undefined;
      current.chunk.push({ kind: 'literal', char: literal });
    } else if (char === '[') {
      index++;
      const negated = chars[index] === '^';
      if (negated) index++;
      const ranges: [string, string][] = [];
      for (;;) {
        if (chars[index] === ']' && ranges.length > 0) {
          index++;
          break;
        }
        const low = chars[index] === '\\' ? escaped() : chars[index++];
        if (low === undefined || low === ']' || low === '-') return undefined;
        let high = low;
        if (chars[index] === '-') {
          index++;
          const end = chars[index] === '\\' ? escaped() : chars[index++];
          if (end === undefined || end === ']' || end === '-') return undefined;
          high = end;
        }
        ranges.push([low, high]);
      }
      current.chunk.push({ kind: 'class', negated, ranges });
    } else {
      current.chunk.push({ kind: 'literal', char });
      index++;
    }
  }
  return segments;
}

function tokenMatches(token: Token, char: string): boolean {
  switch (token.kind) {
    case 'literal':
      return token.char === char;
    case 'any':
      return char !== SEPARATOR;
    case 'class': {
      // Compare code points: string order differs for characters outside the Basic Multilingual Plane.
      const point = char.codePointAt(0) ?? 0;
      const inside = token.ranges.some(([low, high]) => (low.codePointAt(0) ?? 0) <= point && point <= (high.codePointAt(0) ?? 0));
      return inside !== token.negated;
    }
  }
}

/** The end of `chunk` matched at `start`, or -1. */
function matchChunk(chunk: readonly Token[], name: readonly string[], start: number): number {
  if (start + chunk.length > name.length) return -1;
  for (let offset = 0; offset < chunk.length; offset++) {
    if (!tokenMatches(chunk[offset]!, name[start + offset]!)) return -1;
  }
  return start + chunk.length;
}

/**
 * Go's algorithm: each star takes the fewest characters after which its chunk matches, except
 * that the last chunk must end the name. Linear in practice, so a hostile selector cannot make
 * the badge slow (a regular expression built from it could backtrack exponentially).
 */
function globMatches(segments: readonly Segment[], job: string): boolean {
  const name = Array.from(job);
  let position = 0;
  for (let index = 0; index < segments.length; index++) {
    const { star, chunk } = segments[index]!;
    const last = index === segments.length - 1;
    if (!star) {
      const end = matchChunk(chunk, name, position);
      if (end < 0) return false;
      position = end;
      continue;
    }
    if (chunk.length === 0) return last && !name.slice(position).includes(SEPARATOR);
    let found = -1;
    for (let start = position; start <= name.length; start++) {
      const end = matchChunk(chunk, name, start);
      if (end >= 0 && (!last || end === name.length)) {
        found = end;
        break;
      }
      if (name[start] === SEPARATOR) break; // the star cannot swallow it
    }
    if (found < 0) return false;
    position = found;
  }
  return position === name.length;
}

export interface BadgeSelector {
  patterns: string[];
  matches(job: string): boolean;
}

/** `jobs=ci-*,pull-unit`: Prow splits on commas and matches each job name against every glob. */
export function parseBadgeJobs(param: string): BadgeSelector {
  const patterns = param
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
  const compiled = patterns.map(compileGlob).filter((segments): segments is Segment[] => segments !== undefined);
  return { patterns, matches: (job) => compiled.some((segments) => globMatches(segments, job)) };
}

// --- the verdict ---------------------------------------------------------------------------------

const ACTIVE: ReadonlySet<ProwJobState> = new Set(['triggered', 'scheduling', 'pending']);
/** Prow's badge counts only "failure"; a run that errored did not pass either. */
const FAILED: ReadonlySet<ProwJobState> = new Set(['failure', 'error']);

/**
 * `jobs`: the newest run of each matching job, newest first when a job appears more than once.
 * A run still in progress says nothing about the result, so it is skipped; a job with only such
 * runs makes the badge "pending" when nothing else has finished.
 */
export function badgeStatus(jobs: readonly { job: string; state: ProwJobState }[]): BadgeInput {
  const latest = new Map<string, ProwJobState>();
  let running = false;
  for (const { job, state } of jobs) {
    if (ACTIVE.has(state)) running = true;
    else if (!latest.has(job)) latest.set(job, state);
  }
  if (latest.size === 0) return { status: running ? 'pending' : 'unknown' };
  const failing = [...latest.entries()]
    .filter(([, state]) => FAILED.has(state))
    .map(([job]) => job)
    .sort();
  return failing.length > 0 ? { status: 'failing', failing, total: latest.size } : { status: 'passing', total: latest.size };
}

export function badgeText(input: BadgeInput): string {
  switch (input.status) {
    case 'passing':
      return 'passing';
    case 'pending':
      return 'pending';
    case 'unknown':
      return 'no results';
    case 'failing': {
      const failing = input.failing ?? [];
      if (failing.length === 0) return 'failing';
      if (failing.length <= MAX_NAMED_FAILURES) return `failing ${failing.join(', ')}`;
      return `failing ${failing.length}/${input.total ?? failing.length}`;
    }
  }
}

// --- the image -----------------------------------------------------------------------------------

/** White text on each of these has a contrast ratio of at least 4.5:1 (WCAG AA). */
export const BADGE_COLOURS: Readonly<Record<BadgeState | 'label', string>> = {
  label: '#555555',
  passing: '#2e7d32',
  failing: '#c62828',
  pending: '#8a5a00',
  unknown: '#616161',
};

/**
 * Approximate advance widths of 11px Verdana. Only to size the boxes: `textLength` makes the
 * renderer fit the text to the box, so a wrong guess squeezes or spreads the text, never clips it.
 */
function textWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    if (/[ilIj.,:;|!'`]/.test(char)) width += 3.5;
    else if (/[ frt()[\]{}/\\-]/.test(char)) width += 4.8;
    else if (/[mwMW@%]/.test(char)) width += 10;
    else if (/[A-Z]/.test(char)) width += 7.5;
    else width += 6.9;
  }
  return Math.ceil(width);
}

const PADDING = 6;
const HEIGHT = 20;

export function badgeSvg(input: BadgeInput): string {
  const label = input.label ?? 'build';
  const text = badgeText(input);
  const labelText = textWidth(label);
  const statusText = textWidth(text);
  const left = labelText + 2 * PADDING;
  const right = statusText + 2 * PADDING;
  const width = left + right;
  const spoken = `${label}: ${text}`;
  const textAttributes = html`y="14" lengthAdjust="spacingAndGlyphs"`;
  return html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-label="${spoken}">
<title>${spoken}</title>
<linearGradient id="shine" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="round"><rect width="${width}" height="${HEIGHT}" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#round)"><rect width="${left}" height="${HEIGHT}" fill="${BADGE_COLOURS.label}"/><rect x="${left}" width="${right}" height="${HEIGHT}" fill="${BADGE_COLOURS[input.status]}"/><rect width="${width}" height="${HEIGHT}" fill="url(#shine)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11" aria-hidden="true">
<text x="${left / 2}" ${textAttributes} textLength="${labelText}">${label}</text>
<text x="${left + right / 2}" ${textAttributes} textLength="${statusText}">${text}</text>
</g>
</svg>`.toString();
}

/** More jobs than this in one badge is a mistake (`jobs=*`), and would cost a query each. */
const MAX_BADGE_JOBS = 50;

/** Deck's `GET /badge.svg?jobs=a,b*`: the latest finished run of each matching job. */
export async function serveBadge(request: StatusRequest): Promise<void> {
  const wanted = parseBadgeJobs(request.url.searchParams.get('jobs') ?? '');
  const names = configIndex(request.config).jobNames.filter((name) => wanted.matches(name));
  if (names.length > MAX_BADGE_JOBS) return badRequest(request, `jobs= matches ${names.length} jobs; a badge can show at most ${MAX_BADGE_JOBS}. Name the jobs, or use a narrower pattern.`);
  const latest = (
    await Promise.all(
      names.map(async (name) => {
        // A job's runs, newest first: the first finished one is its result.
        const page = await request.deps.store.jobs.list({ job: name }, { limit: 20 });
        const finished = page.jobs.find((stored) => request.visible(stored.job) && !isActiveState(stateOf(stored.job)));
        return finished ? [{ job: name, state: stateOf(finished.job) }] : [];
      }),
    )
  ).flat();
  request.response.writeHead(200, {
    'content-type': 'image/svg+xml; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'",
  });
  request.response.end(badgeSvg(badgeStatus(latest)));
}
