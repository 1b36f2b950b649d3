import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../shared/github/octokit';
import { trigger } from '../../../shared/plugins/trigger';
import { followAndReport, type FollowingReporter } from '../../../shared/reporter/follow';
import { reportJob, sweepReports, type ReporterDependencies } from '../../../shared/reporter/report-job';
import type { ProwJobState } from '../../../shared/prowjob/schema';
import { staticConfigSource } from '../../../shared/config/config-source';
import type { StoredJob } from '../../../shared/store/store';
import { yaml } from '../../support/config';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { issueComment, pullRequest } from '../../support/payloads';

/**
 * Crier end to end, as a PR author sees it: the trigger plugin starts jobs for a real webhook, a
 * simulated runner moves them through Prow's states in the store, and the reporter — following
 * the store's change feed as in local mode — talks HTTP to the fake GitHub.
 */

const REPO = 'acme/widgets';
const HEAD = 'c'.repeat(40);
const STATUS_URL = 'https://ci.example.com';

const JOBS = yaml(`
  presubmits:
    acme/widgets:
    - name: unit
      always_run: true
      spec: {containers: [{image: alpine}]}
    - name: lint
      always_run: true
      optional: true
      spec: {containers: [{image: alpine}]}
`);
const PLUGINS = yaml(`
  plugins:
    acme/widgets:
      plugins: [trigger]
`);

let harness: PluginHarness;
let reporter: FollowingReporter | undefined;
let deps: ReporterDependencies;

async function setUp(config?: string): Promise<void> {
  harness = await startPluginHarness({ plugins: PLUGINS, jobs: JOBS, registry: [trigger], ...(config ? { config } : {}) });
  harness.github.addRepo(REPO);
  harness.github.addOrgMember('acme', 'alice');
  harness.github.addPullRequest(REPO, {
    number: 1,
    author: 'alice',
    headSha: HEAD,
    baseRef: 'main',
    files: [{ filename: 'main.go' }],
  });
  const client = createGitHubClient({ baseUrl: harness.github.url, auth: { token: 'test-token' }, pacing: false, retryAfterBaseMs: 1 });
  deps = {
    store: harness.store,
    config: harness.config,
    log: harness.log,
    now: Date.now,
    github: async () => client,
    statusUrl: STATUS_URL,
  };
}

beforeEach(() => setUp());

afterEach(async () => {
  await reporter?.stop();
  reporter = undefined;
});

async function deliver(event: string, payload: Record<string, unknown>) {
  const outcome = await harness.deliver(event, payload);
  expect(outcome.failed).toEqual([]);
}

const jobNamed = async (job: string): Promise<StoredJob[]> => (await harness.jobs()).filter((stored) => stored.job.spec.job === job);

/** What the runner does to a job, one state at a time, letting the reporter catch up after each. */
async function runTo(stored: StoredJob, ...states: ProwJobState[]) {
  for (const state of states) {
    await harness.store.jobs.update(stored.job.metadata.name ?? '', { state }, 'latest');
    await reporter?.idle();
  }
}

function statusPosts(context: string): string[] {
  return harness.github.requests
    .filter((request) => request.route === 'POST /repos/{owner}/{repo}/statuses/{sha}')
    .map((request) => request.body as { state: string; context: string })
    .filter((body) => body.context === context)
    .map((body) => body.state);
}

const reportComments = () => harness.github.comments(REPO, 1).filter((comment) => comment.body.includes('<!-- test report -->'));

describe('a failing presubmit, then /retest', () => {
  it('shows pending then failure, one comment naming the job and its /test command, then success and no comment', async () => {
    reporter = followAndReport(deps, staticConfigSource(harness.config));
    await reporter.ready;
    await deliver('pull_request', pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD }));
    await reporter.idle();
    const [unit] = await jobNamed('unit');
    const [lint] = await jobNamed('lint');
    if (!unit || !lint) throw new Error('the trigger should have started unit and lint');
    expect(harness.github.statuses(REPO, HEAD).map((s) => [s.context, s.state])).toEqual([
      ['unit', 'pending'],
      ['lint', 'pending'],
    ]);

    await runTo(unit, 'pending', 'failure');
    await runTo(lint, 'pending', 'success');
    // Triggered and running look the same on GitHub, so pending is said once.
    expect(statusPosts('unit')).toEqual(['pending', 'failure']);
    const unitStatus = harness.github.statuses(REPO, HEAD).find((s) => s.context === 'unit');
    expect(unitStatus?.target_url).toBe(`${STATUS_URL}/view/${unit.job.metadata.name}`);
    expect(unitStatus?.description).toMatch(/^Job failed\./);
    const [comment, ...more] = reportComments();
    expect(more).toEqual([]);
    expect(comment?.body).toContain('@alice: The following test **failed**');
    expect(comment?.body).toContain(`unit | ${HEAD} | [link](${STATUS_URL}/view/${unit.job.metadata.name}) | true | \`/test unit\``);
    expect(comment?.body).not.toContain('lint |');

    await deliver('issue_comment', issueComment({ commenter: 'alice', comment: '/retest', author: 'alice', number: 1, isPR: true }));
    await reporter.idle();
    const rerun = (await jobNamed('unit')).find((stored) => stored.job.metadata.name !== unit.job.metadata.name);
    if (!rerun) throw new Error('/retest should have rerun unit');
    expect(harness.github.statuses(REPO, HEAD).find((s) => s.context === 'unit')?.state).toBe('pending');
    await runTo(rerun, 'pending', 'success');

    expect(statusPosts('unit')).toEqual(['pending', 'failure', 'pending', 'success']);
    expect(reportComments()).toEqual([]);
    // Every state was reported, so nothing is left for the sweep.
    expect(await harness.store.jobs.listReportDue({ updatedBefore: Date.now() + 1 })).toEqual([]);
  });

  it('edits the one comment in place when a second job fails', async () => {
    reporter = followAndReport(deps, staticConfigSource(harness.config));
    await reporter.ready;
    await deliver('pull_request', pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD }));
    const [unit] = await jobNamed('unit');
    const [lint] = await jobNamed('lint');
    if (!unit || !lint) throw new Error('the trigger should have started unit and lint');
    await runTo(unit, 'pending', 'failure');
    const [first] = reportComments();
    await runTo(lint, 'pending', 'failure');
    const [edited, ...more] = reportComments();
    expect(more).toEqual([]);
    expect(edited?.id).toBe(first?.id);
    expect(edited?.body).toContain('The following tests **failed**');
    expect(edited?.body).toContain('lint | ' + HEAD);
    expect(edited?.body).toMatch(/lint \| c+ \| \[link\]\([^)]+\) \| false \| `\/test lint`/);
  });
});

describe('summary_comment_repos', () => {
  async function opened(): Promise<{ unit: StoredJob; lint: StoredJob }> {
    await setUp(yaml(`
      github_reporter:
        summary_comment_repos: [acme]
    `));
    reporter = followAndReport(deps, staticConfigSource(harness.config));
    await reporter.ready;
    await deliver('pull_request', pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD }));
    const [unit] = await jobNamed('unit');
    const [lint] = await jobNamed('lint');
    if (!unit || !lint) throw new Error('the trigger should have started unit and lint');
    return { unit, lint };
  }

  it('comments only once every job of the PR has finished, listing the failures', async () => {
    const { unit, lint } = await opened();
    await runTo(unit, 'pending', 'failure');
    expect(reportComments()).toEqual([]);
    expect(statusPosts('unit')).toEqual(['pending', 'failure']);
    await runTo(lint, 'pending', 'failure');
    const [comment, ...more] = reportComments();
    expect(more).toEqual([]);
    expect(comment?.body).toContain('The following tests **failed**');
    expect(comment?.body).toContain(`unit | ${HEAD}`);
    expect(comment?.body).toContain(`lint | ${HEAD}`);
  });

  it('says all tests passed when none failed', async () => {
    const { unit, lint } = await opened();
    await runTo(unit, 'pending', 'success');
    expect(reportComments()).toEqual([]);
    await runTo(lint, 'pending', 'success');
    const [comment, ...more] = reportComments();
    expect(more).toEqual([]);
    expect(comment?.body).toContain('@alice: all tests **passed!**');
    expect(comment?.body).not.toContain('Test name |');
  });
});

describe('a second /test of a job still running', () => {
  it('leaves the commit showing the newer run as pending, never the replaced run as failed', async () => {
    reporter = followAndReport(deps, staticConfigSource(harness.config));
    await reporter.ready;
    await deliver('pull_request', pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD }));
    await reporter.idle();
    const [first] = await jobNamed('unit');
    if (!first) throw new Error('the trigger should have started unit');
    await runTo(first, 'pending');

    await deliver('issue_comment', issueComment({ commenter: 'alice', comment: '/test unit', author: 'alice', number: 1, isPR: true }));
    await reporter.idle();
    const runs = await jobNamed('unit');
    const second = runs.find((stored) => stored.job.metadata.name !== first.job.metadata.name);
    if (!second) throw new Error('/test unit should have started a second run');
    expect((await harness.store.jobs.get(first.job.metadata.name ?? ''))?.job.status?.state).toBe('aborted');

    const unitStatus = harness.github.statuses(REPO, HEAD).find((status) => status.context === 'unit');
    expect(unitStatus).toMatchObject({ state: 'pending', target_url: `${STATUS_URL}/view/${second.job.metadata.name}` });
    expect(statusPosts('unit')).not.toContain('failure');
    // The replaced run's abort counts as reported: the sweep finds nothing to heal.
    expect(await harness.store.jobs.listReportDue({ updatedBefore: Date.now() + 1 })).toEqual([]);
  });
});

describe('healing', () => {
  it('reports once, through the sweep, a state change whose reporter was killed before it could report', async () => {
    // No reporter runs while the PR opens and the job fails: as if it died between change and report.
    await deliver('pull_request', pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD }));
    const [unit] = await jobNamed('unit');
    if (!unit) throw new Error('the trigger should have started unit');
    await harness.store.jobs.update(unit.job.metadata.name ?? '', { state: 'pending' }, 'latest');
    await harness.store.jobs.update(unit.job.metadata.name ?? '', { state: 'failure' }, 'latest');
    expect(statusPosts('unit')).toEqual([]);

    // The sweep leaves changes younger than its grace period to their triggers.
    expect(await sweepReports(deps, { graceMs: 60_000 })).toEqual({ checked: 0, reported: 0, failed: 0 });
    const later = { ...deps, now: () => Date.now() + 120_000 };
    // Only the finished job is owed a recorded report; lint, still triggered, is reported from its own change.
    expect(await sweepReports(later)).toEqual({ checked: 1, reported: 1, failed: 0 });
    expect(await sweepReports(later)).toEqual({ checked: 0, reported: 0, failed: 0 });
    // The lost trigger arrives after all: nothing is said twice.
    expect(await reportJob(deps, unit.job.metadata.name ?? '')).toBe('up-to-date');

    expect(statusPosts('unit')).toEqual(['failure']);
    expect(reportComments()).toHaveLength(1);
  });

  it('retries a report GitHub refused, without repeating the channels that succeeded', async () => {
    await deliver('pull_request', pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD }));
    const [unit] = await jobNamed('unit');
    if (!unit) throw new Error('the trigger should have started unit');
    const name = unit.job.metadata.name ?? '';
    await harness.store.jobs.update(name, { state: 'pending' }, 'latest');
    await harness.store.jobs.update(name, { state: 'failure' }, 'latest');
    harness.github.failNext('POST', /\/issues\/1\/comments$/, { status: 422, body: { message: 'Validation Failed' } });

    await expect(reportJob(deps, name)).rejects.toThrow(/1 report\(s\) failed/);
    expect(statusPosts('unit')).toEqual(['failure']);
    expect(reportComments()).toEqual([]);
    expect(harness.log.entries.some((line) => line.severity === 'ERROR' && line.jobId === name && line.repo === REPO)).toBe(true);

    const later = { ...deps, now: () => Date.now() + 120_000 };
    expect((await sweepReports(later)).failed).toBe(0);
    expect(statusPosts('unit')).toEqual(['failure']);
    expect(reportComments()).toHaveLength(1);
  });
});
