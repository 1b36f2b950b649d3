import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../shared/github/octokit';
import { dispatch } from '../../../shared/plugins/engine';
import { trigger } from '../../../shared/plugins/trigger';
import type { StoredJob } from '../../../shared/store/store';
import { yaml } from '../../support/config';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { issueComment, pullRequest, push } from '../../support/payloads';

/**
 * The trigger plugin end to end: webhook deliveries through the plugin engine, a real GitHub
 * client talking to the fake GitHub, ProwJobs in the embedded store. What a Prow user would see:
 * labels, comments, and which jobs start (or stop).
 */

const REPO = 'acme/widgets';
const HEAD = 'a'.repeat(40);
const NEW_HEAD = 'd'.repeat(40);

const JOBS = yaml(`
  presubmits:
    acme/widgets:
    - name: unit
      always_run: true
      spec: {containers: [{image: alpine}]}
    - name: docs
      run_if_changed: '^docs/'
      spec: {containers: [{image: alpine}]}
    - name: go-lint
      run_if_changed: '\\.go$'
      spec: {containers: [{image: alpine}]}
    - name: e2e
      spec: {containers: [{image: alpine}]}
    - name: bench
      optional: true
      spec: {containers: [{image: alpine}]}
  postsubmits:
    acme/widgets:
    - name: publish
      branches: [main]
      spec: {containers: [{image: alpine}]}
    - name: docs-publish
      run_if_changed: '^docs/'
      spec: {containers: [{image: alpine}]}
`);

const PLUGINS = yaml(`
  plugins:
    acme/widgets:
      plugins: [trigger]
`);

let harness: PluginHarness;

beforeEach(async () => {
  harness = await startPluginHarness({ plugins: PLUGINS, jobs: JOBS, registry: [trigger] });
  harness.github.addRepo(REPO);
  harness.github.addOrgMember('acme', 'alice');
});

afterEach(async () => {
  await harness.close();
});

/** A pull request in the fake GitHub touching Go code and the README (not docs/). */
function seedPullRequest(author: string, options: { number?: number; headSha?: string; draft?: boolean; labels?: string[] } = {}) {
  harness.github.addPullRequest(REPO, {
    number: options.number ?? 1,
    author,
    headSha: options.headSha ?? HEAD,
    baseRef: 'main',
    draft: options.draft ?? false,
    labels: options.labels ?? [],
    files: [{ filename: 'pkg/server.go' }, { filename: 'README.md' }],
  });
}

async function open(author: string, options: { number?: number; draft?: boolean } = {}) {
  seedPullRequest(author, options);
  const outcome = await harness.deliver('pull_request', pullRequest('opened', { author, number: options.number ?? 1, headSha: HEAD, draft: options.draft ?? false }));
  expect(outcome.failed).toEqual([]);
}

async function comment(commenter: string, body: string, options: { author?: string; number?: number } = {}) {
  const outcome = await harness.deliver(
    'issue_comment',
    issueComment({ commenter, comment: body, author: options.author ?? 'mallory', number: options.number ?? 1, isPR: true }),
  );
  expect(outcome.failed).toEqual([]);
}

function jobNames(jobs: readonly StoredJob[]): string[] {
  return jobs.map((stored) => stored.job.spec.job).sort();
}

function stateOf(stored: StoredJob) {
  return stored.job.status?.state;
}

function botComments(number = 1): string[] {
  return harness.github
    .comments(REPO, number)
    .filter((entry) => entry.user === 'cutwater-bot')
    .map((entry) => entry.body);
}

describe('pull requests from people the trigger does not trust', () => {
  it('get needs-ok-to-test and a welcome, and no jobs', async () => {
    await open('mallory');

    expect(harness.github.labels(REPO, 1)).toEqual(['needs-ok-to-test']);
    expect(await harness.jobs()).toEqual([]);
    const [welcome, ...others] = botComments();
    expect(others).toEqual([]);
    expect(welcome).toContain('@mallory');
    expect(welcome).toContain('`/ok-to-test`');
  });

  it('start exactly the automatic jobs once a member says /ok-to-test', async () => {
    await open('mallory');
    await comment('alice', '/ok-to-test');

    expect(harness.github.labels(REPO, 1)).toEqual(['ok-to-test']);
    const jobs = await harness.jobs();
    // unit always runs and go-lint matches the Go change; docs does not match, e2e and bench need /test.
    expect(jobNames(jobs)).toEqual(['go-lint', 'unit']);
    for (const stored of jobs) {
      expect(stateOf(stored)).toBe('triggered');
      expect(stored.job.spec.type).toBe('presubmit');
      expect(stored.job.spec.refs?.pulls?.[0]).toMatchObject({ number: 1, author: 'mallory', sha: HEAD });
      expect(stored.job.metadata.labels).toMatchObject({ 'prow.k8s.io/refs.pull': '1', 'prow.k8s.io/type': 'presubmit' });
    }
  });

  it('ignore /test all from another non-member, apart from saying why', async () => {
    await open('mallory');
    await comment('eve', '/test all');

    expect(await harness.jobs()).toEqual([]);
    expect(harness.github.labels(REPO, 1)).toEqual(['needs-ok-to-test']);
    const reply = botComments().at(-1) ?? '';
    expect(reply).toMatch(/^@eve: /);
    expect(reply).toContain('`/ok-to-test`');
  });

  it('do not let a non-member /ok-to-test them', async () => {
    await open('mallory');
    await comment('mallory', '/ok-to-test');

    expect(await harness.jobs()).toEqual([]);
    expect(harness.github.labels(REPO, 1)).toEqual(['needs-ok-to-test']);
    expect(botComments().at(-1)).toMatch(/^@mallory: /);
  });

  it('go back to needing /ok-to-test when a member cancels it', async () => {
    await open('mallory');
    await comment('alice', '/ok-to-test');
    await comment('alice', '/ok-to-test cancel');

    expect(harness.github.labels(REPO, 1)).toEqual(['needs-ok-to-test']);
    expect(jobNames(await harness.jobs())).toEqual(['go-lint', 'unit']);
  });
});

describe('pull requests from members', () => {
  it('start the automatic jobs on open, without labels or comments', async () => {
    await open('alice');

    expect(jobNames(await harness.jobs())).toEqual(['go-lint', 'unit']);
    expect(harness.github.labels(REPO, 1)).toEqual([]);
    expect(botComments()).toEqual([]);
  });

  it('start nothing while a draft, and say so', async () => {
    await open('alice', { draft: true });

    expect(await harness.jobs()).toEqual([]);
    expect(botComments()).toHaveLength(1);
    expect(botComments()[0]).toContain('draft');
  });

  it('accept /test from anyone once trusted', async () => {
    await open('alice');
    await comment('eve', '/test e2e', { author: 'alice' });

    expect(jobNames(await harness.jobs())).toEqual(['e2e', 'go-lint', 'unit']);
  });
});

describe('redelivered webhooks', () => {
  it('create the jobs once', async () => {
    seedPullRequest('alice');
    const payload = pullRequest('opened', { author: 'alice', number: 1, headSha: HEAD });
    const client = createGitHubClient({ baseUrl: harness.github.url, auth: { token: 'test-token' } });
    const delivery = { name: 'pull_request', id: 'redelivered-1', rawBody: JSON.stringify(payload), payload };
    const dependencies = {
      plugins: [trigger],
      github: () => client,
      store: harness.store,
      config: harness.config,
      pluginConfig: harness.pluginConfig,
      log: harness.log,
    };

    expect((await dispatch(dependencies, delivery)).failed).toEqual([]);
    expect((await dispatch(dependencies, delivery)).failed).toEqual([]);

    const jobs = await harness.jobs();
    expect(jobNames(jobs)).toEqual(['go-lint', 'unit']);
    expect(jobs.every((stored) => stateOf(stored) === 'triggered')).toBe(true);
  });
});

describe('new commits', () => {
  it("abort the older head's unfinished presubmits and start the new head's", async () => {
    await open('alice');
    const old = await harness.jobs();
    expect(jobNames(old)).toEqual(['go-lint', 'unit']);

    const outcome = await harness.deliver('pull_request', pullRequest('synchronize', { author: 'alice', number: 1, headSha: NEW_HEAD }));
    expect(outcome.failed).toEqual([]);

    const jobs = await harness.jobs();
    const atOldHead = jobs.filter((stored) => stored.job.spec.refs?.pulls?.[0]?.sha === HEAD);
    const atNewHead = jobs.filter((stored) => stored.job.spec.refs?.pulls?.[0]?.sha === NEW_HEAD);
    expect(jobNames(atOldHead)).toEqual(['go-lint', 'unit']);
    for (const stored of atOldHead) {
      expect(stateOf(stored)).toBe('aborted');
      expect(stored.job.status?.description).toBe('Aborted by trigger plugin.');
    }
    expect(jobNames(atNewHead)).toEqual(['go-lint', 'unit']);
    expect(atNewHead.every((stored) => stateOf(stored) === 'triggered')).toBe(true);
  });

  it('leave finished runs alone', async () => {
    await open('alice');
    const unit = (await harness.jobs()).find((stored) => stored.job.spec.job === 'unit')!;
    const name = unit.job.metadata.name!;
    await harness.store.jobs.update(name, { state: 'pending' }, 'latest');
    await harness.store.jobs.update(name, { state: 'success' }, 'latest');

    await harness.deliver('pull_request', pullRequest('synchronize', { author: 'alice', number: 1, headSha: NEW_HEAD }));

    expect(stateOf((await harness.store.jobs.get(name))!)).toBe('success');
  });
});

describe('asking for jobs by comment', () => {
  it('/test ? lists the jobs that can be started', async () => {
    await open('alice');
    await comment('alice', '/test ?', { author: 'alice' });

    const reply = botComments().at(-1) ?? '';
    expect(reply).toMatch(/^@alice: /);
    for (const command of ['/test unit', '/test go-lint', '/test e2e', '/test docs', '/test bench']) {
      expect(reply).toContain(`\n${command}\n`);
    }
    // Required jobs come before optional ones.
    expect(reply.indexOf('/test e2e')).toBeLessThan(reply.indexOf('/test bench'));
    expect(jobNames(await harness.jobs())).toEqual(['go-lint', 'unit']);
  });

  it('/test with an unknown job answers with the list instead of starting anything', async () => {
    await open('alice');
    await comment('alice', '/test no-such-job', { author: 'alice' });

    expect(botComments().at(-1)).toContain('/test e2e');
    expect(jobNames(await harness.jobs())).toEqual(['go-lint', 'unit']);
  });

  it('/retest reruns the failed jobs only, marked as retests', async () => {
    await open('alice');
    const client = createGitHubClient({ baseUrl: harness.github.url, auth: { token: 'test-token' } });
    await client.createStatus('acme', 'widgets', HEAD, { state: 'failure', context: 'unit' });
    await client.createStatus('acme', 'widgets', HEAD, { state: 'success', context: 'go-lint' });
    const before = new Set((await harness.jobs()).map((stored) => stored.job.metadata.name));

    await comment('alice', '/retest', { author: 'alice' });

    const rerun = (await harness.jobs()).filter((stored) => !before.has(stored.job.metadata.name));
    expect(jobNames(rerun)).toEqual(['unit']);
    expect(rerun[0]?.job.metadata.labels?.['prow.k8s.io/retest']).toBe('true');
  });

  it('a second /test of a job replaces its unfinished earlier run', async () => {
    await open('alice');
    await comment('alice', '/test e2e', { author: 'alice' });
    await comment('alice', '/test e2e', { author: 'alice' });

    const e2e = (await harness.jobs()).filter((stored) => stored.job.spec.job === 'e2e');
    expect(e2e.map(stateOf).sort()).toEqual(['aborted', 'triggered']);
  });

  it('deletes its earlier job list once someone starts a test', async () => {
    await open('alice');
    await comment('alice', '/test ?', { author: 'alice' });
    expect(botComments()).toHaveLength(1);

    await comment('alice', '/test e2e', { author: 'alice' });

    expect(botComments()).toEqual([]);
  });
});

describe('closing a pull request', () => {
  it('aborts its unfinished jobs', async () => {
    await open('alice');
    await harness.deliver('pull_request', pullRequest('closed', { author: 'alice', number: 1, headSha: HEAD, state: 'closed' }));

    expect((await harness.jobs()).map(stateOf)).toEqual(['aborted', 'aborted']);
  });
});

describe('pushes', () => {
  it('start the postsubmits whose branch and files match', async () => {
    const after = 'e'.repeat(40);
    const outcome = await harness.deliver('push', push({ ref: 'refs/heads/main', after, files: ['docs/guide.md'] }));
    expect(outcome.failed).toEqual([]);

    const jobs = await harness.jobs();
    expect(jobNames(jobs)).toEqual(['docs-publish', 'publish']);
    for (const stored of jobs) {
      expect(stored.job.spec.type).toBe('postsubmit');
      expect(stored.job.spec.refs).toMatchObject({ org: 'acme', repo: 'widgets', base_ref: 'main', base_sha: after });
      expect(stored.job.spec.refs?.pulls).toBeUndefined();
    }
  });

  it('start nothing on other branches without matching files, or for a deleted branch', async () => {
    await harness.deliver('push', push({ ref: 'refs/heads/dev', files: ['src/main.go'] }));
    await harness.deliver('push', push({ ref: 'refs/heads/main', after: '0'.repeat(40), deleted: true }));

    expect(await harness.jobs()).toEqual([]);
  });
});
