import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import { createGitHubClient } from '../../shared/github/octokit';
import type { CommitStatus } from '../../shared/github/client';
import { memoryLogger } from '../../shared/log/logger';
import type { ProwJob } from '../../shared/prowjob/schema';
import type { HistoryRecordForDeck, TideHistory, TidePools } from '../../shared/status/tide-js';
import { yaml } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { waitFor } from '../support/wait';

/**
 * Tide through `cutwater local`, with nothing done by hand: three ready PRs (lgtm, their own
 * `unit` green at their heads) are tested together by a batch ProwJob the scheduler's tide sync
 * creates, the local runner runs it as a real process, and a later sync merges all three through
 * GitHub's API, each pinned to the head that was tested — as Prow's pool does, and as Cutwater's
 * queue (`pool_policy: queue`) does with its cars. The job waits on a gate file, so that the pool
 * can be looked at while its batch is under way; nothing here is timed.
 */
const REPO = 'acme/widgets';
const POOL = 'acme/widgets:main';
const PULLS = [1, 2, 3] as const;
/** The scheduler's interval here: the default minute, shortened as the browser tests shorten it. */
const TICK_MS = 1_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Scenario {
  github: FakeGitHub;
  system: LocalSystem;
  log: ReturnType<typeof memoryLogger>;
  /** Head SHA of each seeded PR, by number. */
  heads: Map<number, string>;
  /** Lets the waiting `unit` runs finish (successfully). */
  openGate(): void;
  /** The ProwJobs tide created, oldest first. */
  tideJobs(): Promise<ProwJob[]>;
  /** The system's warnings and errors, for a timeout to say what went wrong inside. */
  complaints(): string;
}

async function scenario(extraTide = ''): Promise<Scenario> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-tide-e2e-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  // Jobs run as nobody when the tests run as root: the gate's directory must be open to them.
  const gateDir = path.join(dir, 'gate');
  mkdirSync(gateDir);
  chmodSync(dir, 0o755);
  chmodSync(gateDir, 0o755);
  const gate = path.join(gateDir, 'open');

  const github = await startFakeGitHub();
  cleanups.push(() => github.close());
  github.addRepo(REPO);
  const client = createGitHubClient({ baseUrl: github.url, auth: { token: 'seed-token' }, pacing: false, retryAfterBaseMs: 1 });
  const heads = new Map<number, string>();
  for (const number of PULLS) {
    github.addPullRequest(REPO, {
      number,
      author: `dev${number}`,
      title: `Change ${number}`,
      labels: ['lgtm'],
      files: [{ filename: `pkg/change${number}.go` }],
    });
    const head = github.pullRequest(REPO, number).headSha;
    heads.set(number, head);
    // The PR's own presubmit passed earlier, at some older base, and was reported on its head.
    await client.createStatus('acme', 'widgets', head, { context: 'unit', state: 'success', description: 'Job succeeded.' });
  }

  mkdirSync(path.join(dir, 'jobs'));
  writeFileSync(
    path.join(dir, 'config.yaml'),
    yaml(`
      prowjob_namespace: default
      tide:
        queries:
        - repos: [acme/widgets]
          labels: [lgtm]
    `) + extraTide,
  );
  writeFileSync(
    path.join(dir, 'jobs', 'widgets.yaml'),
    yaml(`
      presubmits:
        acme/widgets:
        - name: unit
          always_run: true
          spec:
            containers:
            - image: alpine
              command: [sh, -c, 'while [ ! -e "$0" ]; do sleep 0.1; done', '${gate}']
    `),
  );
  writeFileSync(path.join(dir, 'plugins.yaml'), 'plugins: {}\n');
  const log = memoryLogger();
  const system = await startLocalSystem({
    configPaths: { configPath: path.join(dir, 'config.yaml'), jobConfigPath: path.join(dir, 'jobs'), pluginConfigPath: path.join(dir, 'plugins.yaml') },
    dataDir: path.join(dir, 'data'),
    workDir: path.join(dir, 'work'),
    port: 0,
    log,
    env: { GITHUB_TOKEN: 'tide-e2e-token', GITHUB_API_URL: github.url, WEBHOOK_SECRET: 'tide-e2e-secret' },
    tickMs: TICK_MS,
  });
  cleanups.push(() => system.stop());

  return {
    github,
    system,
    log,
    heads,
    openGate: () => writeFileSync(gate, ''),
    tideJobs: async () =>
      (await system.store.jobs.list({ repo: REPO }, { limit: 100 })).jobs
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((stored) => stored.job)
        .filter((job) => job.metadata.labels?.['created-by-tide'] === 'true'),
    complaints: () =>
      log.entries
        .filter((entry) => entry['severity'] === 'ERROR' || entry['severity'] === 'WARNING')
        .slice(-10)
        .map((entry) => JSON.stringify(entry))
        .join('\n'),
  };
}

/** waitFor, saying what the system complained about when it times out. */
async function waitUntil(run: Scenario, condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> {
  try {
    await waitFor(condition, what, timeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nsystem warnings and errors:\n${run.complaints() || '(none)'}`);
  }
}

const pullsOf = (job: ProwJob) => (job.spec.refs?.pulls ?? []).map((pull) => [pull.number, pull.sha]);
const tideStatus = (run: Scenario, number: number): CommitStatus | undefined =>
  run.github.statuses(REPO, run.heads.get(number) ?? '').find((status) => status.context === 'tide');

/** The pool's history in Prow's JSON, newest first, once the sync that merged has recorded it. */
async function historyAfterMerge(run: Scenario): Promise<HistoryRecordForDeck[]> {
  const history = async () => (await getJson<TideHistory>(`${run.system.url}/tide-history.js`)).History[POOL] ?? [];
  // GitHub has the merges before the sync that made them records them.
  await waitUntil(run, async () => (await history())[0]?.action === 'MERGE_BATCH', 'the merge in the history');
  return history();
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Every PR merged through the API, in order, each pinned to its tested head, one on top of the other. */
function expectAllMergedPinned(run: Scenario, baseBefore: string): void {
  const merges = run.github.merges();
  expect(merges.map((merge) => [merge.repo, merge.number, merge.sha])).toEqual(PULLS.map((number) => [REPO, number, run.heads.get(number)]));
  expect(merges[0]?.baseShaBefore).toBe(baseBefore);
  for (const number of PULLS) expect(run.github.pullRequest(REPO, number)).toMatchObject({ state: 'closed', merged: true });
  expect(run.github.branchHead(REPO, 'main')).not.toBe(baseBefore);
}

describe('tide through cutwater local', () => {
  it('tests the ready PRs as one batch, runs it, and merges all three pinned to their heads', async () => {
    const run = await scenario();
    const base = run.github.branchHead(REPO, 'main') ?? '';
    const expectedPulls = PULLS.map((number) => [number, run.heads.get(number)]);

    // A tick finds the pool and starts a batch of all three at the current base; the runner takes it.
    await waitUntil(run, async () => (await run.tideJobs()).some((job) => job.status?.state === 'pending'), 'the batch job running');
    // One batch (a later sync may add a serial retest beside it, below).
    const batches = (await run.tideJobs()).filter((job) => job.spec.type === 'batch');
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch?.spec).toMatchObject({ type: 'batch', job: 'unit', refs: { org: 'acme', repo: 'widgets', base_ref: 'main', base_sha: base } });
    expect(batch && pullsOf(batch)).toEqual(expectedPulls);

    // Each PR says where it stands on GitHub, linking to its own verdict page, which answers.
    for (const number of PULLS) {
      const link = `${run.system.url}/tide/pr/acme/widgets/${number}`;
      await waitUntil(run, () => tideStatus(run, number)?.target_url === link, `#${number}'s tide status`);
      // Prow's words for a PR whose own results are from an older base, tested again at this one.
      expect(tideStatus(run, number)).toMatchObject({ state: 'pending', description: 'Not mergeable. Retesting: unit' });
      expect((await fetch(link)).status).toBe(200);
    }
    // While the batch runs, Prow's /tide.js shows the pool with the batch under way.
    await waitUntil(
      run,
      async () => ((await getJson<TidePools>(`${run.system.url}/tide.js`)).Pools[0]?.BatchPending.length ?? 0) === PULLS.length,
      'the pool with its batch pending in /tide.js',
    );
    const { Pools, Queries } = await getJson<TidePools>(`${run.system.url}/tide.js`);
    expect(Queries).toEqual([expect.stringContaining('repo:"acme/widgets"')]);
    expect(Pools).toHaveLength(1);
    expect(Pools[0]).toMatchObject({ Org: 'acme', Repo: 'widgets', Branch: 'main', Error: '' });
    expect(Pools[0]?.BatchPending.map((pull) => [pull.Number, pull.HeadRefOID])).toEqual(expectedPulls);
    // As Prow's pool does while a batch is under way, it also retests the first PR on its own.
    await waitUntil(run, async () => (await run.tideJobs()).some((job) => job.spec.type === 'presubmit'), 'the serial retest of #1');
    expect(run.github.merges()).toEqual([]);

    run.openGate();
    await waitUntil(run, () => run.github.merges().length === PULLS.length, 'all three merged');
    expectAllMergedPinned(run, base);
    // Merged as the batch: a PR is not merged alone while the batch that includes it is pending.
    const jobs = await run.tideJobs();
    expect(jobs.map((job) => [job.spec.type, pullsOf(job), job.status?.state])).toEqual([
      ['batch', expectedPulls, 'success'],
      ['presubmit', [expectedPulls[0]], 'success'],
    ]);

    // The history says what was done and to which PRs, as Prow's JSON and as the page.
    const history = await historyAfterMerge(run);
    expect(history.map((record) => [record.action, record.target?.map((pull) => pull.number)])).toEqual([
      ['MERGE_BATCH', [...PULLS]],
      ['TRIGGER', [1]],
      ['TRIGGER_BATCH', [...PULLS]],
    ]);
    const page = await fetch(`${run.system.url}/tide-history`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('MERGE_BATCH');
    expect(text).toContain('TRIGGER_BATCH');
  }, 110_000);

  it('with pool_policy: queue, merges the same PRs through the queue’s cars', async () => {
    const run = await scenario(yaml(`
      pool_policy:
        acme/widgets: queue
    `).replace(/^/gm, '  '));
    const base = run.github.branchHead(REPO, 'main') ?? '';

    await waitUntil(run, async () => (await run.tideJobs()).some((job) => job.status?.state === 'pending'), 'a car running');
    // Cars are cumulative prefixes of the queue, tested as batches at the current base.
    const cars = await run.tideJobs();
    expect(cars.length).toBeGreaterThan(0);
    for (const car of cars) {
      expect(car.spec).toMatchObject({ type: 'batch', job: 'unit', refs: { base_sha: base } });
      expect(pullsOf(car)).toEqual(PULLS.slice(0, car.spec.refs?.pulls?.length).map((number) => [number, run.heads.get(number)]));
    }
    expect(cars.map((car) => car.spec.refs?.pulls?.length)).toContain(PULLS.length);
    // The sync records the pool once its cars are created: the runner may start one before that.
    await waitUntil(run, async () => (await getJson<TidePools>(`${run.system.url}/tide.js`)).Pools.length > 0, 'the pool in /tide.js');
    const { Pools } = await getJson<TidePools>(`${run.system.url}/tide.js`);
    expect(Pools.map((entry) => [entry.Org, entry.Repo, entry.Branch])).toEqual([['acme', 'widgets', 'main']]);
    // The queue decided it, not Prow's pool (which would also batch three PRs), as each PR's verdict says.
    const verdict = await getJson<{ pool: { policy: string } | null }>(`${run.system.url}/tide/pr/acme/widgets/1.json`);
    expect(verdict.pool?.policy).toBe('queue');

    run.openGate();
    await waitUntil(run, () => run.github.merges().length === PULLS.length, 'all three merged');
    expectAllMergedPinned(run, base);
    const history = await historyAfterMerge(run);
    expect(history[0]).toMatchObject({ action: 'MERGE_BATCH', target: PULLS.map((number) => expect.objectContaining({ number, sha: run.heads.get(number) })) });
    expect(history.map((record) => record.action)).toContain('TRIGGER_BATCH');
  }, 110_000);
});
