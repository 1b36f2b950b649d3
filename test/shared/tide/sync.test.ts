import { afterEach, describe, expect, it } from 'vitest';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { syncTide, type TideSyncDependencies } from '../../../shared/tide/sync';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';

/**
 * The tide sync against the fake GitHub and a real store: it reads the pool from GitHub, decides,
 * and does what it decided — the jobs it creates, the merges GitHub records, the statuses it sets.
 */
const REPO = 'acme/widgets';
const JOBS = `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    spec:
      containers:
      - image: golang:1.22
        command: [go, test, ./...]
  - name: lint
    always_run: true
    optional: true
    spec:
      containers:
      - image: golang:1.22
        command: [make, lint]
`;

function tideConfig(extra = ''): string {
  return `
tide:
  queries:
  - repos: [acme/widgets]
    labels: [lgtm, approved]
    missingLabels: [do-not-merge/hold]
  merge_method:
    acme/widgets: squash
  blocker_label: merge-blocker
${extra}`;
}

describe('tide sync', () => {
  let github: FakeGitHub;
  let store: EmbeddedStore;
  let clients: GitHubClients;
  afterEach(async () => {
    await github?.close();
    await store?.close();
  });

  async function setUp(extraConfig = ''): Promise<TideSyncDependencies> {
    github = await startFakeGitHub();
    store = EmbeddedStore.open();
    const config = expectLoaded(buildFromFiles({ config: tideConfig(extraConfig), jobs: { 'jobs.yaml': JOBS } }));
    clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'tide-token' }, retryAfterBaseMs: 1, pacing: false });
    return {
      config,
      store,
      github: () => clients.clientForRepository('acme', 'widgets'),
      githubForOrg: (org) => clients.clientForOrg(org),
      log: memoryLogger(),
      statusSiteUrl: 'https://prow.example.com',
    };
  }

  async function addPull(number: number, labels: string[], options: { files?: string[]; unit?: 'success' | 'failure' | 'pending' } = {}): Promise<string> {
    github.addPullRequest(REPO, {
      number,
      author: `dev${number}`,
      title: `Change ${number}`,
      labels,
      files: (options.files ?? [`pkg/file${number}.go`]).map((filename) => ({ filename })),
    });
    const head = github.pullRequest(REPO, number).headSha;
    // The PR's own presubmit, reported by the reporter when it ran at some earlier base.
    if (options.unit) await (await clients.clientForRepository('acme', 'widgets')).createStatus('acme', 'widgets', head, { context: 'unit', state: options.unit });
    return head;
  }

  async function finishJobs(state: 'success' | 'failure'): Promise<string[]> {
    const { jobs } = await store.jobs.list({}, { limit: 1000 });
    const names: string[] = [];
    for (const stored of jobs) {
      if (stored.job.status?.state !== 'triggered') continue;
      await store.jobs.update(stored.job.metadata.name ?? '', { state: 'pending' }, 'latest');
      await store.jobs.update(stored.job.metadata.name ?? '', { state }, 'latest');
      names.push(stored.job.metadata.name ?? '');
    }
    return names;
  }

  const tideStatus = (head: string) => github.statuses(REPO, head).filter((status) => status.context === 'tide').at(-1);

  it('tests a ready PR at the current base, merges it once its job passed there, and says why others wait', async () => {
    const deps = await setUp();
    const ready = await addPull(1, ['lgtm', 'approved'], { unit: 'success' });
    const unapproved = await addPull(2, ['lgtm'], { unit: 'success' });
    const held = await addPull(3, ['lgtm', 'approved', 'do-not-merge/hold'], { unit: 'success' });
    const failing = await addPull(4, ['lgtm', 'approved'], { unit: 'failure' });
    const base = github.branchHead(REPO, 'main');

    const first = await syncTide(deps, new Date());
    expect(first).toMatchObject({ pools: 1, merged: 0, triggered: 1, errors: 0 });
    const [job] = (await store.jobs.list({}, { limit: 10 })).jobs.map((stored) => stored.job);
    expect(job?.spec).toMatchObject({ type: 'presubmit', job: 'unit', refs: { base_sha: base, pulls: [{ number: 1, sha: ready }] } });
    expect(job?.metadata.labels?.['created-by-tide']).toBe('true');
    // In the pool, and being retested at the current base, as Prow words it.
    expect(tideStatus(ready)).toMatchObject({ state: 'pending', description: 'Not mergeable. Retesting: unit', target_url: 'https://prow.example.com/tide/pr/acme/widgets/1' });
    expect(tideStatus(unapproved)).toMatchObject({ state: 'pending', description: 'Not mergeable. Needs approved label.' });
    expect(tideStatus(held)).toMatchObject({ state: 'pending', description: 'Not mergeable. Should not have do-not-merge/hold label.' });
    expect(tideStatus(failing)?.description).toBe('Not mergeable. Job unit has not succeeded.');

    // A second sync with nothing new does nothing twice: no job, no status written again.
    const statusesBefore = github.statuses(REPO, ready).length;
    expect(await syncTide(deps, new Date())).toMatchObject({ triggered: 0, merged: 0 });
    expect(github.statuses(REPO, ready)).toHaveLength(statusesBefore);

    await finishJobs('success');
    const third = await syncTide(deps, new Date());
    expect(third.merged).toBe(1);
    expect(github.merges()).toEqual([expect.objectContaining({ repo: REPO, number: 1, sha: ready, mergeMethod: 'squash', baseShaBefore: base })]);
    const pool = await store.tide.getPool('acme/widgets:main');
    expect(pool?.actions).toEqual([expect.objectContaining({ kind: 'merge', pulls: [{ number: 1, sha: ready }] })]);
    expect(pool?.verdicts.find((verdict) => verdict.number === 2)?.reasons.join(' ')).toMatch(/approved/);
    const history = await store.tide.listHistory({ poolId: 'acme/widgets:main' }, { limit: 10 });
    expect(history.records.map((record) => record.action)).toEqual(['MERGE', 'TRIGGER']);
  }, 60_000);

  it('tests several ready PRs as a batch and merges the batch, each PR pinned to its tested head', async () => {
    const deps = await setUp();
    const heads = await Promise.all([1, 2, 3].map((n) => addPull(n, ['lgtm', 'approved'], { unit: 'success' })));
    await syncTide(deps, new Date());
    const batch = (await store.jobs.list({ type: 'batch' }, { limit: 10 })).jobs.map((stored) => stored.job);
    expect(batch.map((job) => job.spec.refs?.pulls?.map((pull) => pull.number))).toEqual([[1, 2, 3]]);
    await finishJobs('success');
    await syncTide(deps, new Date());
    expect(github.merges().map((merge) => [merge.number, merge.sha])).toEqual(heads.map((head, i) => [i + 1, head]));
  }, 60_000);

  it('leaves a PR that does not apply with the rest out of a batch (trial merge through GitHub)', async () => {
    const deps = await setUp();
    await addPull(1, ['lgtm', 'approved'], { unit: 'success', files: ['shared.go'] });
    await addPull(2, ['lgtm', 'approved'], { unit: 'success', files: ['shared.go'] });
    await addPull(3, ['lgtm', 'approved'], { unit: 'success', files: ['other.go'] });
    await syncTide(deps, new Date());
    const batch = (await store.jobs.list({ type: 'batch' }, { limit: 10 })).jobs.map((stored) => stored.job);
    expect(batch.map((job) => job.spec.refs?.pulls?.map((pull) => pull.number))).toEqual([[1, 3]]);
    expect(Object.keys(github.branches(REPO)).filter((branch) => branch.startsWith('cutwater-tide-trial'))).toEqual([]);
  }, 60_000);

  it('merges nothing while a blocker issue is open, and records the block once', async () => {
    const deps = await setUp();
    await addPull(1, ['lgtm', 'approved'], { unit: 'success' });
    github.addIssue(REPO, { number: 50, author: 'release-lead', title: 'Code freeze', labels: ['merge-blocker'] });
    await syncTide(deps, new Date());
    await syncTide(deps, new Date());
    expect(github.merges()).toEqual([]);
    expect((await store.jobs.list({}, { limit: 10 })).jobs).toEqual([]);
    const history = await store.tide.listHistory({ poolId: 'acme/widgets:main' }, { limit: 10 });
    expect(history.records.map((record) => record.action)).toEqual(['BLOCKED']);
    expect(tideStatus(github.pullRequest(REPO, 1).headSha)?.description).toBe('Not mergeable. Merging is blocked by issue 50.');
  }, 60_000);

  it('with pool_policy: queue, tests the queue as a car and merges it, carrying its merges for the next sync', async () => {
    const deps = await setUp('  pool_policy:\n    acme/widgets: queue\n');
    const heads = await Promise.all([1, 2, 3, 4].map((n) => addPull(n, ['lgtm', 'approved'], { unit: 'success' })));
    await syncTide(deps, new Date());
    const cars = (await store.jobs.list({}, { limit: 10 })).jobs.map((stored) => stored.job.spec.refs?.pulls?.map((pull) => pull.number));
    expect(cars.sort((a, b) => (a?.length ?? 0) - (b?.length ?? 0))).toEqual([[1, 2, 3, 4]]);
    await finishJobs('success');
    await syncTide(deps, new Date());
    expect(github.merges().map((merge) => [merge.number, merge.sha])).toEqual(heads.map((head, i) => [i + 1, head]));
    const pool = await store.tide.getPool('acme/widgets:main');
    expect(pool?.mergedOnto?.map((merge) => merge.pulls)).toEqual([[1], [2], [3], [4]]);
  }, 60_000);

  it('lets the rest of the pool merge when GitHub refuses one PR, and says why on that PR', async () => {
    const deps = await setUp();
    const refused = await addPull(1, ['lgtm', 'approved'], { unit: 'success' });
    await addPull(2, ['lgtm', 'approved'], { unit: 'success' });
    // Branch protection wants a review Tide cannot give: every merge of #1 is refused.
    github.setMergeability(REPO, 1, 'blocked');
    const serialPass = async () => {
      await syncTide(deps, new Date());
      await finishJobs('success');
      return syncTide(deps, new Date());
    };
    await serialPass();
    await serialPass();
    await serialPass();
    expect(github.merges().map((merge) => merge.number)).toEqual([2]);
    expect(tideStatus(refused)).toMatchObject({ state: 'error', description: 'Not mergeable. GitHub refused to merge it.' });
    const pool = await store.tide.getPool('acme/widgets:main');
    expect(pool?.verdicts.find((verdict) => verdict.number === 1)?.reasons[0]).toMatch(/GitHub refused to merge it/);
  }, 60_000);

  it('aborts a run that no runner finishes long after its timeout, instead of waiting on it forever', async () => {
    const deps = await setUp();
    await Promise.all([1, 2].map((n) => addPull(n, ['lgtm', 'approved'], { unit: 'success' })));
    const start = Date.now();
    await syncTide(deps, new Date(start));
    const [batch] = (await store.jobs.list({ type: 'batch' }, { limit: 10 })).jobs;
    expect(batch?.job.status?.state).toBe('triggered');
    // Nobody runs it. Three hours later (past the 2 h default timeout and its grace) it is aborted.
    await syncTide(deps, new Date(start + 3 * 3_600_000));
    expect((await store.jobs.get(batch?.job.metadata.name ?? ''))?.job.status?.state).toBe('aborted');
    const history = await store.tide.listHistory({ poolId: 'acme/widgets:main' }, { limit: 10 });
    expect(history.records.find((record) => record.action === 'CANCEL')?.reason).toMatch(/long after its timeout/);
  }, 60_000);
});
