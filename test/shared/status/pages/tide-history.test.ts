import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TideHistory } from '../../../../shared/status/tide-js';
import { startTideStatus, visibleText, type TideStatusServer } from '../../../support/tide-status';
import { testHistoryRecord } from '../../../support/tide-records';

/**
 * Deck's `/tide-history` and `/tide-history.js` over HTTP, from the history in the store: every
 * action of every pool newest first, narrowed to a pool or a PR, a page at a time — and never a
 * hidden repository's.
 */

const T = Date.UTC(2026, 10, 24, 12, 0);
const MAIN = { org: 'acme', repo: 'widgets', branch: 'main' };
const RELEASE = { org: 'acme', repo: 'widgets', branch: 'release-1.0' };
const SECRET = { org: 'secret-org', repo: 'vault', branch: 'main' };

let tide: TideStatusServer;

const get = (path: string) => tide.get(path);

/** The reasons in the order the page lists them. */
function reasons(page: string): string[] {
  return [...page.matchAll(/reason-(\d+)/g)].map((match) => `reason-${match[1]}`);
}

beforeAll(async () => {
  tide = await startTideStatus();
  const records = Array.from({ length: 7 }, (_, i) =>
    testHistoryRecord(T + i * 60_000, { id: `h${i}`, key: i % 3 === 2 ? RELEASE : MAIN, pulls: [i % 2 === 0 ? 10 : 11], action: i === 6 ? 'MERGE' : 'TRIGGER', reason: `reason-${i}` }),
  );
  records.push(testHistoryRecord(T + 3 * 60_000 + 1, { id: 'secret', key: SECRET, pulls: [10], reason: 'secret <script>' }));
  records.push(testHistoryRecord(T - 1, { id: 'hostile', pulls: [12], reason: 'reason-99 <img src=x onerror=alert(1)>', error: '<b>refused</b>' }));
  await tide.store.tide.appendHistory(records);
});

afterAll(async () => {
  await tide.close();
});

describe('/tide-history', () => {
  it('lists every action newest first with its pool, PRs and why, escaped, never a hidden repository’s', async () => {
    const { status, headers, text } = await get('/tide-history');
    expect(status).toBe(200);
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(reasons(text)).toEqual(['reason-6', 'reason-5', 'reason-4', 'reason-3', 'reason-2', 'reason-1', 'reason-0', 'reason-99']);
    const page = visibleText(text);
    expect(page).toMatch(/2026-11-24 12:06:00 UTC acme\/widgets main MERGE #10 b4se000000 reason-6/);
    expect(page).toMatch(/acme\/widgets release-1.0 TRIGGER #11 b4se000000 reason-5/);
    expect(text).toContain('href="/tide/pr/acme/widgets/10"');
    expect(text).not.toMatch(/<img src|<b>refused|secret-org|<script>/);
    expect(page).toContain('⚠ <b>refused</b>');
  });

  it('narrows to one pool, one repository’s PR, and pages back in time without skipping', async () => {
    expect(reasons((await get('/tide-history?repo=acme/widgets&branch=main')).text)).toEqual(['reason-6', 'reason-4', 'reason-3', 'reason-1', 'reason-0', 'reason-99']);
    expect(reasons((await get('/tide-history?repo=acme/widgets&pr=11')).text)).toEqual(['reason-5', 'reason-3', 'reason-1']);

    const seen: string[] = [];
    let path: string | undefined = '/tide-history?repo=acme/widgets&limit=3';
    let pages = 0;
    while (path && pages < 10) {
      const { text } = await get(path);
      seen.push(...reasons(text));
      pages++;
      const older = /<a rel="next" href="([^"]+)">Older records<\/a>/.exec(text)?.[1];
      path = older?.replace(/&#38;/g, '&');
      if (path) expect(path).toContain('cursor=');
    }
    // The links keep the filters but not the page size: after the first page, pages are full size.
    expect(seen).toEqual(['reason-6', 'reason-5', 'reason-4', 'reason-3', 'reason-2', 'reason-1', 'reason-0', 'reason-99']);
    expect(pages).toBe(2);
  });

  it('shows a hidden repository’s history as empty', async () => {
    const { status, text } = await get('/tide-history?repo=secret-org/vault');
    expect(status).toBe(200);
    expect(visibleText(text)).not.toContain('secret <script>');
    expect(visibleText(text)).toContain('No records.');
  });

  it('answers malformed filters with what to fix', async () => {
    for (const [path, message] of [
      ['/tide-history?branch=main', 'give the repository (repo=org/repo) with the branch'],
      ['/tide-history?pr=abc', 'pr:'],
      ['/tide-history?repo=widgets', 'give the repository as org/repo'],
      ['/tide-history?cursor=nonsense', 'invalid page cursor'],
    ]) {
      const { status, text } = await get(path!);
      expect(status).toBe(400);
      expect(visibleText(text)).toContain(message);
    }
  });
});

describe('/tide-history.js', () => {
  it('answers Prow’s JSON, grouped by pool, newest first, with the next page’s cursor in a header', async () => {
    const first = await get('/tide-history.js?limit=4');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    const body = JSON.parse(first.text) as TideHistory;
    expect(Object.keys(body.History)).toEqual(['acme/widgets:main', 'acme/widgets:release-1.0']);
    // The fourth newest is a hidden repository's: left out, so this page is one short.
    expect(body.History['acme/widgets:main']!.map((record) => record.time)).toEqual(['2026-11-24T12:06:00Z', '2026-11-24T12:04:00Z']);
    expect(body.History['acme/widgets:release-1.0']!.map((record) => record.time)).toEqual(['2026-11-24T12:05:00Z']);
    expect(body.History['acme/widgets:main']![0]).toMatchObject({ action: 'MERGE', target: [{ number: 10, author: 'author10' }] });
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const rest = JSON.parse((await get(`/tide-history.js?cursor=${encodeURIComponent(cursor!)}`)).text) as TideHistory;
    expect(Object.values(rest.History).flat()).toHaveLength(5);
    expect(JSON.stringify(rest)).not.toContain('secret');
  });

  it('filters by pool and PR, and says nothing of a hidden repository', async () => {
    const byPr = JSON.parse((await get('/tide-history.js?repo=acme/widgets&pr=12')).text) as TideHistory;
    expect(byPr.History['acme/widgets:main']).toEqual([
      expect.objectContaining({ time: '2026-11-24T11:59:59.999Z', err: '<b>refused</b>', target: [expect.objectContaining({ number: 12 })] }),
    ]);
    expect(JSON.parse((await get('/tide-history.js?repo=secret-org/vault')).text)).toEqual({ History: {} });
    const bad = await get('/tide-history.js?pr=-3');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toHaveProperty('message');
  });
});
