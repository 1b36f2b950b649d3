import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolId } from '../../../../shared/tide/model';
import { startTideStatus, visibleText, type TideStatusServer } from '../../../support/tide-status';
import { BASE_SHA, testPoolRecord } from '../../../support/tide-records';

/**
 * Deck's `/tide` and `/tide.js` over HTTP, from pool records in the store: what someone asking
 * "what is the merge pool doing, and where is my PR in it?" sees — and what they never see:
 * hidden repositories and jobs, or a PR title turned into markup.
 */

const HOSTILE = '<img src=x onerror=alert(1)>';

let tide: TideStatusServer;

const get = (path: string) => tide.get(path);

beforeAll(async () => {
  tide = await startTideStatus();
  const widgets = testPoolRecord();
  widgets.pulls[1]!.title = `Pending ${HOSTILE}`;
  widgets.pulls[1]!.author = `"><script>alert(2)</script>`;
  widgets.verdicts[0]!.jobs.push({ job: 'secret-scan', context: 'secret-scan', state: 'success' });
  widgets.runsInFlight.push({ ...widgets.runsInFlight[0]!, id: 'run-hidden', job: 'secret-scan', context: 'secret-scan' });
  widgets.blockers = [{ number: 77, title: `Freeze ${HOSTILE}`, url: 'javascript:alert(3)' }];
  await tide.store.tide.putPool(widgets);
  const release = { org: 'acme', repo: 'widgets', branch: 'release-1.0' };
  await tide.store.tide.putPool(
    testPoolRecord({
      key: release,
      id: poolId(release),
      actions: [
        { kind: 'trigger', reason: 'no batch is under way', runs: [{ type: 'batch', baseSha: BASE_SHA, pulls: [{ number: 1, sha: 'a' }, { number: 2, sha: 'b' }], jobs: ['unit'] }] },
        { kind: 'cancel', reason: 'its base moved on', runIds: ['run-old'] },
      ],
      error: 'GitHub search failed: 502',
    }),
  );
  for (const key of [{ org: 'secret-org', repo: 'vault', branch: 'main' }, { org: 'acme', repo: 'private', branch: 'main' }]) {
    await tide.store.tide.putPool(testPoolRecord({ key, id: poolId(key) }));
  }
});

afterAll(async () => {
  await tide.close();
});

describe('/tide', () => {
  it('shows each pool: its action and why, each PR’s state and verdict linking to its page, runs under way, errors', async () => {
    const { status, headers, text } = await get('/tide');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = visibleText(text);
    expect(page).toContain('acme/widgets main');
    expect(page).toContain('Merging #1 (MERGE) — #1 passes every required job at this base');
    for (const [state, number] of [['merging', 1], ['pending', 2], ['not tested', 3], ['failing', 4], ['not in pool', 5]] as const) {
      expect(page).toMatch(new RegExp(`${state} #${number} `));
      expect(text).toContain(`href="/tide/pr/acme/widgets/${number}"`);
    }
    expect(page).toContain('Not mergeable. Job ci/unit has not succeeded.');
    expect(page).toContain('4th in line');
    expect(page).toMatch(/Runs under way .*unit presubmit #2/);
    expect(page).toContain(BASE_SHA.slice(0, 10));
    // A second pool, with a sync error and two actions.
    expect(page).toContain('acme/widgets release-1.0');
    expect(page).toContain('Testing a batch of #1, #2 (TRIGGER_BATCH) — no batch is under way');
    expect(page).toContain('Cancel run-old — its base moved on');
    expect(page).toContain('⚠ GitHub search failed: 502');
  });

  it('lists the queries a PR must match, as GitHub searches', async () => {
    const { text } = await get('/tide');
    expect(visibleText(text)).toContain(
      'is:pr state:open archived:false label:"lgtm" label:"approved" -label:"do-not-merge/hold" -label:"needs-rebase" repo:"acme/widgets"',
    );
    expect(text).toContain('href="https://github.com/search?q=is%3Apr+state%3Aopen');
  });

  it('escapes hostile titles, authors and blockers, and links no javascript: URL', async () => {
    const { text } = await get('/tide');
    expect(text).not.toContain('<img src=x');
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('javascript:');
    expect(visibleText(text)).toContain(`Pending ${HOSTILE}`);
    expect(visibleText(text)).toContain(`#77 Freeze ${HOSTILE}`);
  });

  it('never shows a hidden repository’s pool or a hidden job, in the page or in tide.js', async () => {
    for (const path of ['/tide', '/tide.js']) {
      const { text } = await get(path);
      expect(text).not.toMatch(/secret-org|acme\/private|"private"|secret-scan|run-hidden/);
    }
    expect((await get('/tide?repo=secret-org/vault')).text).toContain('No merge pool for secret-org/vault');
  });

  it('narrows to one repository, and says what to type when the repository is malformed', async () => {
    const page = visibleText((await get('/tide?repo=acme/widgets')).text);
    expect(page).toContain('acme/widgets main');
    expect((await get('/tide?repo=acme/gadgets')).text).toContain('No merge pool for acme/gadgets');
    const bad = await get('/tide?repo=widgets');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/tide?repo=&#60;org&#62;/&#60;repo&#62;');
  });

  it('is in the navigation of every page', async () => {
    expect((await get('/tide')).text).toContain('<a href="/tide" aria-current="page">Tide</a>');
    expect((await get('/plugins')).text).toContain('<a href="/tide">Tide</a>');
  });
});

describe('/tide.js', () => {
  it('answers Prow’s JSON for the visible pools, uncached and never sniffed', async () => {
    const { status, headers, text } = await get('/tide.js');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('cache-control')).toBe('no-store');
    const body = JSON.parse(text) as { Queries: string[]; TideQueries: unknown[]; Pools: { Org: string; Repo: string; Branch: string; Action: string }[] };
    expect(body.Pools.map((pool) => `${pool.Org}/${pool.Repo}:${pool.Branch} ${pool.Action}`)).toEqual([
      'acme/widgets:main MERGE',
      'acme/widgets:release-1.0 TRIGGER_BATCH',
    ]);
    expect(body.Queries).toHaveLength(2);
    expect(body.TideQueries).toHaveLength(2);
  });
});

describe('/tide with nothing synced', () => {
  it('says why no pool is shown', async () => {
    const empty = await startTideStatus();
    try {
      expect(visibleText((await empty.get('/tide')).text)).toContain('No merge pools: no open pull request matches a query, or Tide has not synced yet.');
      const js = JSON.parse((await empty.get('/tide.js')).text) as { Pools: unknown[] };
      expect(js.Pools).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});
