import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../shared/config/model';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { outboxGitHub } from '../../../shared/outbox/github';
import { retiredDescription } from '../../../shared/statusreconciler/diff';
import { reconcileStatuses, type StatusReconcileDependencies } from '../../../shared/statusreconciler/reconcile';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { commitSubject } from '../../../shared/store/outbox';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';

/**
 * The status reconciler against the fake GitHub and a real store: a config change between two
 * ticks starts the new required jobs on trusted open PRs, retires the removed job's context and
 * moves the renamed one, once.
 */
const REPO = 'acme/widgets';
const SPEC = `
    spec:
      containers:
      - image: golang:1.22`;

const BEFORE = `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true${SPEC}
  - name: e2e
    always_run: true${SPEC}
  - name: lint
    always_run: true
    optional: true${SPEC}
`;

const AFTER = `
presubmits:
  acme/widgets:
  - name: e2e
    context: e2e-v2
    always_run: true${SPEC}
  - name: lint
    always_run: true
    optional: true${SPEC}
  - name: integration
    always_run: true${SPEC}
  - name: docs
    run_if_changed: '^docs/'${SPEC}
`;

const PLUGINS = `
triggers:
- repos: [acme]
  trusted_org: acme-friends
`;

function loaded(jobs: string): Config {
  return expectLoaded(buildFromFiles({ jobs: { 'jobs.yaml': jobs }, plugins: PLUGINS }));
}

describe('status reconciler', () => {
  let github: FakeGitHub;
  let store: EmbeddedStore;
  afterEach(async () => {
    await github?.close();
    await store?.close();
  });

  async function setUp(): Promise<(config: Config, extra?: Partial<StatusReconcileDependencies>) => StatusReconcileDependencies> {
    github = await startFakeGitHub();
    store = EmbeddedStore.open();
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'reconciler-token' }, retryAfterBaseMs: 1, pacing: false });
    github.addOrgMember('acme', 'alice');
    github.addOrgMember('acme-friends', 'frank');
    return (config, extra = {}) => ({ config, store, github: (org, repo) => clients.clientForRepository(org, repo), log: memoryLogger(), ...extra });
  }

  function addPull(number: number, author: string, options: { labels?: string[]; files?: string[]; draft?: boolean; mergeable?: boolean } = {}): string {
    github.addPullRequest(REPO, {
      number,
      author,
      labels: options.labels ?? [],
      files: (options.files ?? [`src/file${number}.go`]).map((filename) => ({ filename })),
      ...(options.draft ? { draft: true } : {}),
      ...(options.mergeable === false ? { mergeable: false } : {}),
    });
    return github.pullRequest(REPO, number).headSha;
  }

  async function report(head: string, statuses: Record<string, 'success' | 'failure' | 'pending'>): Promise<void> {
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'reporter-token' }, retryAfterBaseMs: 1, pacing: false });
    const client = await clients.clientForRepository('acme', 'widgets');
    for (const [context, state] of Object.entries(statuses)) {
      await client.createStatus('acme', 'widgets', head, { context, state, description: `Job ${state}.`, target_url: `https://prow.example.com/${context}` });
    }
  }

  async function startedJobs(): Promise<string[]> {
    const { jobs } = await store.jobs.list({}, { limit: 100 });
    return jobs.map((stored) => `#${stored.job.spec.refs?.pulls?.[0]?.number}:${stored.job.spec.job}`).sort();
  }

  const status = (head: string, context: string) => github.statuses(REPO, head).find((each) => each.context === context);

  it('records the first config without touching anything, then reconciles a change once', async () => {
    const deps = await setUp();
    const trusted = addPull(1, 'alice');
    const untrusted = addPull(2, 'mallory');
    const okToTest = addPull(3, 'mallory', { labels: ['ok-to-test'] });
    addPull(4, 'alice', { draft: true });
    const docs = addPull(5, 'frank', { files: ['docs/guide.md'] });
    addPull(6, 'alice', { mergeable: false });
    for (const head of [trusted, untrusted, okToTest, docs]) await report(head, { unit: 'failure', e2e: 'success', lint: 'failure' });

    // First tick: Prow starts from the config it sees; nothing on GitHub or in the store changes.
    expect(await reconcileStatuses(deps(loaded(BEFORE)), new Date())).toMatchObject({ outcome: 'recorded', triggered: 0 });
    expect(status(trusted, 'unit')?.state).toBe('failure');
    expect(await startedJobs()).toEqual([]);

    const result = await reconcileStatuses(deps(loaded(AFTER)), new Date());
    expect(result).toMatchObject({ outcome: 'reconciled', errors: 0 });

    // The new required jobs, on trusted (member, trusted org) or ok-to-test PRs, where they would run:
    // not the untrusted PR, the draft or the conflicting one; `docs` only where docs changed.
    expect(await startedJobs()).toEqual(['#1:integration', '#3:integration', '#5:docs', '#5:integration']);
    const [job] = (await store.jobs.list({ job: 'integration', pull: 1, repo: REPO }, { limit: 1 })).jobs;
    expect(job?.job.spec.refs).toMatchObject({ base_ref: 'main', base_sha: github.branchHead(REPO, 'main'), pulls: [{ number: 1, sha: trusted, author: 'alice' }] });

    // Every open PR carrying the removed context has it retired, and the renamed one moved.
    for (const head of [trusted, untrusted, okToTest, docs]) {
      expect(status(head, 'unit')).toMatchObject({ state: 'success', description: retiredDescription() });
      expect(status(head, 'e2e-v2')).toMatchObject({ state: 'success', description: 'Job success.', target_url: 'https://prow.example.com/e2e' });
      expect(status(head, 'e2e')).toMatchObject({ state: 'success', description: retiredDescription('e2e-v2') });
      // The optional job stayed: its status is untouched.
      expect(status(head, 'lint')?.state).toBe('failure');
    }
    expect(result).toMatchObject({ triggered: 4, retired: 4, migrated: 4 });

    // The next tick sees the same config: nothing started or written again.
    const writes = github.requests.filter((request) => request.method === 'POST').length;
    expect(await reconcileStatuses(deps(loaded(AFTER)), new Date())).toMatchObject({ outcome: 'unchanged', triggered: 0 });
    expect(github.requests.filter((request) => request.method === 'POST').length).toBe(writes);
    expect(await startedJobs()).toHaveLength(4);
  }, 60_000);

  it('acts once when two ticks race over the same change', async () => {
    const deps = await setUp();
    const head = addPull(1, 'alice');
    await report(head, { unit: 'pending', e2e: 'failure' });
    await reconcileStatuses(deps(loaded(BEFORE)), new Date());

    const outcomes = await Promise.all([reconcileStatuses(deps(loaded(AFTER)), new Date()), reconcileStatuses(deps(loaded(AFTER)), new Date())]);
    expect(outcomes.map((outcome) => outcome.outcome).sort()).toEqual(['raced', 'reconciled']);
    expect(await startedJobs()).toEqual(['#1:integration']);
    const retires = github.requests.filter((request) => request.method === 'POST' && request.path.includes('/statuses/') && JSON.stringify(request.body).includes('Retired'));
    // The two retirements (`unit`, and `e2e` once copied to `e2e-v2`), each written once.
    expect(retires).toHaveLength(2);
  }, 60_000);

  it('honours Prow’s denylists: no new jobs under --denylist, nothing at all under --denylist-all', async () => {
    const deps = await setUp();
    const head = addPull(1, 'alice');
    await report(head, { unit: 'failure', e2e: 'failure' });
    await reconcileStatuses(deps(loaded(BEFORE)), new Date());

    expect(await reconcileStatuses(deps(loaded(AFTER), { denylistAll: ['acme'] }), new Date())).toMatchObject({ outcome: 'reconciled', triggered: 0, retired: 0, migrated: 0 });
    expect(status(head, 'unit')?.state).toBe('failure');

    // Back, without a denylist: `unit` is a newly added required job again and starts.
    await reconcileStatuses(deps(loaded(BEFORE)), new Date());
    expect(await startedJobs()).toEqual(['#1:unit']);
    // Forward again under --denylist: retired and moved, but `integration` is not started.
    const result = await reconcileStatuses(deps(loaded(AFTER), { denylist: ['acme/widgets'] }), new Date());
    expect(result).toMatchObject({ triggered: 0, retired: 1, migrated: 1 });
    expect(await startedJobs()).toEqual(['#1:unit']);
  }, 60_000);

  it('retires and moves only on the branches the old job ran on', async () => {
    const deps = await setUp();
    const onMain = addPull(1, 'alice');
    github.pushToBranch(REPO, 'release-1', { files: ['VERSION'] });
    github.addPullRequest(REPO, { number: 2, author: 'alice', baseRef: 'release-1', files: [{ filename: 'src/x.go' }] });
    const onRelease = github.pullRequest(REPO, 2).headSha;
    for (const head of [onMain, onRelease]) await report(head, { unit: 'failure' });
    const job = (branches: string) => `
presubmits:
  acme/widgets:
  - name: unit
    always_run: true
    branches: [${branches}]${SPEC}
`;
    await reconcileStatuses(deps(loaded(job('main'))), new Date());
    await reconcileStatuses(deps(loaded('presubmits: {}\n')), new Date());
    expect(status(onMain, 'unit')?.state).toBe('success');
    expect(status(onRelease, 'unit')?.state).toBe('failure');
  }, 60_000);

  it('writes statuses through the outbox, for the installation’s writer to send', async () => {
    const deps = await setUp();
    const head = addPull(1, 'alice');
    await report(head, { unit: 'failure' });
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'reconciler-token' }, retryAfterBaseMs: 1, pacing: false });
    const statusWriter = async (org: string, repo: string, cause: string) =>
      outboxGitHub({ client: await clients.clientForRepository(org, repo), outbox: store.outbox, installation: 'token', cause, nudge: () => undefined });
    await reconcileStatuses(deps(loaded(BEFORE), { statusWriter }), new Date());
    await reconcileStatuses(deps(loaded(AFTER), { statusWriter }), new Date());

    const queued = await store.outbox.unsent('token', commitSubject('acme', 'widgets', head));
    expect(queued.map((entry) => entry.write)).toEqual([
      expect.objectContaining({ kind: 'createStatus', sha: head, context: 'unit', state: 'success', description: retiredDescription() }),
    ]);
    // Not on GitHub until the installation's writer sends it.
    expect(status(head, 'unit')?.state).toBe('failure');
  }, 60_000);
});
