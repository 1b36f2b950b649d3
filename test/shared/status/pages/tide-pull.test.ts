import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TidePullVerdict } from '../../../../shared/status/pages/tide-pull';
import { whyNotChosen } from '../../../../shared/status/pages/tide-pull';
import { tidePullUrl } from '../../../../shared/status/links';
import { poolId } from '../../../../shared/tide/model';
import { startTideStatus, visibleText, type TideStatusServer } from '../../../support/tide-status';
import { testHistoryRecord, testPoolRecord } from '../../../support/tide-records';

/**
 * One pull request's verdict page, `/tide/pr/<org>/<repo>/<number>` (where the `tide` commit
 * status links) and its JSON (`.json`): everything the 140-character status cannot say — every
 * reason, every required job at this base with its run, what the pool did instead and why, and the
 * PR's history.
 */

const HOSTILE = '<img src=x onerror=alert(1)>';
const T = Date.UTC(2026, 10, 24, 12, 0);

let tide: TideStatusServer;

const get = (path: string) => tide.get(path);

beforeAll(async () => {
  tide = await startTideStatus();
  const widgets = testPoolRecord();
  widgets.pulls[3]!.title = `Failing ${HOSTILE}`;
  widgets.pulls[3]!.labels = ['lgtm', `label ${HOSTILE}`];
  widgets.verdicts[3]!.jobs.push({ job: 'secret-scan', context: 'secret-scan', state: 'failure', runId: 'run-hidden' });
  widgets.verdicts[3]!.reasons.push(`reason ${HOSTILE}`);
  await tide.store.tide.putPool(widgets);
  const secret = { org: 'secret-org', repo: 'vault', branch: 'main' };
  await tide.store.tide.putPool(testPoolRecord({ key: secret, id: poolId(secret) }));
  await tide.store.tide.appendHistory([
    testHistoryRecord(T - 120_000, { id: 'h1', pulls: [4], action: 'TRIGGER', reason: 'retest #4 alone' }),
    testHistoryRecord(T - 60_000, { id: 'h2', pulls: [4, 9], action: 'MERGE_BATCH', reason: 'batch passed', error: 'merge refused: head changed' }),
    testHistoryRecord(T - 30_000, { id: 'h3', pulls: [9], action: 'MERGE', reason: 'merged #9 alone' }),
    testHistoryRecord(T, { id: 'h4', key: secret, pulls: [4], action: 'MERGE', reason: 'secret merge' }),
  ]);
});

afterAll(async () => {
  await tide.close();
});

describe('/tide/pr/<org>/<repo>/<number>', () => {
  it('is where the tide status links', async () => {
    const url = tidePullUrl('https://status.example/', 'acme', 'widgets', 4);
    expect(url).toBe('https://status.example/tide/pr/acme/widgets/4');
    expect((await get(new URL(url).pathname)).status).toBe(200);
  });

  it('says why a failing PR is not merging: its reasons, what the pool did instead, its place in line', async () => {
    const { status, headers, text } = await get('/tide/pr/acme/widgets/4');
    expect(status).toBe(200);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    const page = visibleText(text);
    expect(page).toContain('✖ failing Not mergeable. Job ci/unit has not succeeded.');
    expect(page).toMatch(/Why it is not merging ci\/unit failed at this base reason <img src=x onerror=alert\(1\)> This sync the pool merged #1: #1 passes every required job at this base\. It is 4th in the pool’s order/);
    // Each required job at this base, with its run.
    expect(page).toMatch(/Required jobs at this base State Job Context ✖ failure unit ci\/unit/);
    expect(text).toContain('href="https://status.example/view/run-4"');
    expect(page).toContain('Pool acme/widgets main at b4se000000');
    expect(text).toContain('href="/tide#pool-acme-widgets-main"');
    expect(text).toContain('href="https://github.com/acme/widgets/pull/4"');
  });

  it('lists the PR’s history, newest first, with what went wrong, and links to the rest', async () => {
    const page = visibleText((await get('/tide/pr/acme/widgets/4')).text);
    expect(page).toMatch(/History .*MERGE_BATCH #4, #9 b4se000000 batch passed ⚠ merge refused: head changed .*TRIGGER #4 b4se000000 retest #4 alone/);
    expect(page).not.toContain('merged #9 alone');
    expect(page).not.toContain('secret merge');
    expect((await get('/tide/pr/acme/widgets/4')).text).toContain('href="/tide-history?repo=acme%2Fwidgets&#38;pr=4"');
  });

  it('shows a merging PR as chosen', async () => {
    const page = visibleText((await get('/tide/pr/acme/widgets/1')).text);
    expect(page).toContain('Merging The pool’s action this sync is for this pull request: Merging #1 (MERGE)');
    expect(page).toMatch(/✔ success unit ci\/unit/);
  });

  it('explains a PR in no pool, and still shows its history', async () => {
    const page = visibleText((await get('/tide/pr/acme/widgets/9')).text);
    expect(page).toContain('This pull request is in no merge pool');
    expect(page).toContain('merged #9 alone');
  });

  it('escapes hostile titles, labels and reasons', async () => {
    const { text } = await get('/tide/pr/acme/widgets/4');
    expect(text).not.toContain('<img src=x');
    expect(visibleText(text)).toContain(`label ${HOSTILE}`);
    expect(visibleText(text)).toContain(`Failing ${HOSTILE}`);
  });

  it('never shows a hidden repository or a hidden job', async () => {
    for (const path of ['/tide/pr/secret-org/vault/4', '/tide/pr/secret-org/vault/4.json', '/tide/pr/acme/private/1']) {
      const { status, text } = await get(path);
      expect(status).toBe(404);
      expect(text).not.toContain('secret merge');
    }
    const page = await get('/tide/pr/acme/widgets/4');
    expect(page.text).not.toMatch(/secret-scan|run-hidden/);
    expect((await get('/tide/pr/acme/widgets/4.json')).text).not.toMatch(/secret-scan|run-hidden/);
  });

  it('answers a malformed number with what to type', async () => {
    for (const path of ['/tide/pr/acme/widgets/0', '/tide/pr/acme/widgets/abc', '/tide/pr/acme/widgets/4.xml']) {
      const { status, text } = await get(path);
      expect(status).toBe(404);
      expect(visibleText(text)).toContain('Give the pull request as /tide/pr/');
    }
  });
});

describe('/tide/pr/<org>/<repo>/<number>.json', () => {
  it('carries the whole verdict, the pool’s action, why this PR was not chosen, its runs and history', async () => {
    const { status, headers, text } = await get('/tide/pr/acme/widgets/2.json');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    const body = JSON.parse(text) as TidePullVerdict;
    expect(Object.keys(body)).toEqual(['org', 'repo', 'number', 'pull', 'pool', 'verdict', 'chosen', 'notChosen', 'runs', 'history', 'historyComplete']);
    expect(body).toMatchObject({
      org: 'acme',
      repo: 'widgets',
      number: 2,
      pull: { number: 2, title: 'Pending change', author: 'author2' },
      pool: { id: 'acme/widgets:main', branch: 'main', syncedAt: '2026-11-24T12:00:00Z', action: { name: 'MERGE', pulls: [1] } },
      verdict: { number: 2, state: 'pending', rank: 2, jobs: [{ job: 'unit', state: 'pending', runId: 'run-2' }] },
      chosen: false,
      notChosen: [
        'ci/unit is still running at this base',
        'This sync the pool merged #1: #1 passes every required job at this base.',
        'It is 2nd in the pool’s order (priority labels, then pull request number).',
      ],
      runs: [{ id: 'run-2', job: 'unit' }],
      history: [],
      historyComplete: true,
    });
    const merging = JSON.parse((await get('/tide/pr/acme/widgets/1.json')).text) as TidePullVerdict;
    expect([merging.chosen, merging.notChosen]).toEqual([true, []]);
    const history = JSON.parse((await get('/tide/pr/acme/widgets/4.json')).text) as TidePullVerdict;
    expect(history.history.map((entry) => [entry.id, entry.time])).toEqual([
      ['h2', '2026-11-24T11:59:00Z'],
      ['h1', '2026-11-24T11:58:00Z'],
    ]);
  });

  it('says null for the pool and verdict of a PR in no pool', async () => {
    const body = JSON.parse((await get('/tide/pr/acme/widgets/9.json')).text) as TidePullVerdict;
    expect(body).toMatchObject({ pull: null, pool: null, verdict: null, chosen: false, notChosen: [] });
    expect(body.history.map((entry) => entry.id)).toEqual(['h3', 'h2']);
  });
});

describe('why a PR was not chosen', () => {
  it('names a block, and says nothing more of a PR the action is for', () => {
    const record = testPoolRecord({ actions: [{ kind: 'blocked', reason: 'blocked by #77', blockers: [77] }] });
    expect(whyNotChosen(record, record.verdicts[0]!)).toEqual(['The pool is blocked: blocked by #77.', 'It is 1st in the pool’s order (priority labels, then pull request number).']);
    const merging = testPoolRecord();
    expect(whyNotChosen(merging, merging.verdicts[0]!)).toEqual([]);
  });
});
