import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../shared/github/octokit';
import { dispatch } from '../../../shared/plugins/engine';
import { trigger } from '../../../shared/plugins/trigger';
import type { StoredJob } from '../../../shared/store/store';
import { yaml } from '../../support/config';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { issueComment, pullRequest, push } from '../../support/payloads';
import type { MembershipChecks } from '../../../shared/github/membership';
import type { ProwJobState } from '../../../shared/prowjob/schema';
import {
  commentConcernsTrigger,
  dropCodeBlocks,
  helpMessage,
  helpNeeded,
  HELP_NOTES,
  isDeletion,
  isFrequentContributor,
  isHelpComment,
  isTrustedApp,
  makesHelpStale,
  mayNudgeToJoin,
  orgInviteGuidance,
  planCommentLabels,
  presubmitsToAbort,
  pullRequestPlan,
  pullRequestTrusted,
  pushChangedFiles,
  pushedRef,
  supersededRuns,
  type Trigger,
  trustedUser,
  welcomeMessage,
} from '../../../shared/plugins/trigger-rules';
import { testProwJob } from '../../support/prowjobs';
import { presubmits } from '../../support/jobs';

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

  it("deletes Prow's earlier /test help reply too, once someone starts a test", async () => {
    await open('alice');
    harness.github.addComment(REPO, 1, 'cutwater-bot', '@alice: The specified target(s) for `/test` were not found.\nThe following commands are available to trigger required jobs:\n```\n/test e2e\n```');
    harness.github.addComment(REPO, 1, 'cutwater-bot', '@alice: The following commands are available to trigger optional jobs:\n```\n/test bench\n```');
    await comment('alice', '/test e2e', { author: 'alice' });
    expect(botComments()).toEqual([]);
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

/** The trigger plugin's decisions (Prow's pkg/plugins/trigger), without GitHub or a store. */

/** Membership as a table: who is in which org, who collaborates on which repo. */
function membership(facts: { bot?: string; members?: Record<string, string[]>; collaborators?: string[] }) {
  const asked: string[] = [];
  const checks: MembershipChecks = {
    isBot: (login) => Promise.resolve(login === (facts.bot ?? 'cutwater-bot')),
    isOrgMember: (org, login) => {
      asked.push(`member ${org} ${login}`);
      return Promise.resolve(facts.members?.[org]?.includes(login) ?? false);
    },
    isCollaborator: (_org, _repo, login) => {
      asked.push(`collaborator ${login}`);
      return Promise.resolve(facts.collaborators?.includes(login) ?? false);
    },
  };
  return { checks, asked };
}

describe('who is trusted', () => {
  const facts = { members: { acme: ['alice'], friends: ['frank'] }, collaborators: ['carol'] };

  it('trusts org members, collaborators and the bot itself, and no one else', async () => {
    const { checks } = membership(facts);
    const trusted = (user: string, settings: Trigger = {}) =>
      trustedUser(checks, settings, user, 'acme', 'widgets').then((decision) => decision.trusted);
    expect(await trusted('alice')).toBe(true);
    expect(await trusted('carol')).toBe(true);
    expect(await trusted('cutwater-bot')).toBe(true);
    expect(await trusted('mallory')).toBe(false);
  });

  it('does not trust collaborators with only_org_members, and says why', async () => {
    const { checks, asked } = membership(facts);
    const decision = await trustedUser(checks, { only_org_members: true }, 'carol', 'acme', 'widgets');
    expect(decision.trusted).toBe(false);
    expect(asked).not.toContain('collaborator carol');
    expect(decision.reason).toContain('not a member of the organisation');
    expect(decision.reason).not.toContain('collaborator');
  });

  it('trusts members of trusted_org as well', async () => {
    const { checks } = membership(facts);
    expect((await trustedUser(checks, { trusted_org: 'friends' }, 'frank', 'acme', 'widgets')).trusted).toBe(true);
    const refused = await trustedUser(checks, { trusted_org: 'friends' }, 'mallory', 'acme', 'widgets');
    expect(refused.trusted).toBe(false);
    expect(refused.reason).toContain('trusted organisation');
  });

  it('asks the cheapest question first and stops at the first yes', async () => {
    const { checks, asked } = membership(facts);
    await trustedUser(checks, {}, 'alice', 'acme', 'widgets');
    expect(asked).toEqual(['member acme alice']);
  });

  it('trusts a trusted app only under its "[bot]" login', () => {
    expect(isTrustedApp('renovate[bot]', ['renovate'])).toBe(true);
    expect(isTrustedApp('renovate', ['renovate'])).toBe(false);
    expect(isTrustedApp('other[bot]', ['renovate'])).toBe(false);
  });

  it('trusts a pull request whose author is trusted, or that carries ok-to-test', () => {
    expect(pullRequestTrusted(true, [])).toBe(true);
    expect(pullRequestTrusted(false, ['ok-to-test'])).toBe(true);
    expect(pullRequestTrusted(false, ['needs-ok-to-test'])).toBe(false);
  });
});

describe('what a comment does to the ok-to-test labels', () => {
  const base = { honorOkToTest: true, commenterTrusted: true };

  it('/ok-to-test swaps needs-ok-to-test for ok-to-test', () => {
    expect(planCommentLabels({ ...base, labels: ['needs-ok-to-test', 'size/S'], text: '/ok-to-test' })).toEqual({
      add: ['ok-to-test'],
      remove: ['needs-ok-to-test'],
      stop: false,
    });
  });

  it('changes nothing when the labels are already right, or when ok-to-test is ignored', () => {
    expect(planCommentLabels({ ...base, labels: ['ok-to-test'], text: '/ok-to-test' })).toEqual({ add: [], remove: [], stop: false });
    expect(planCommentLabels({ ...base, honorOkToTest: false, labels: ['needs-ok-to-test'], text: '/ok-to-test' })).toEqual({
      add: [],
      remove: [],
      stop: false,
    });
  });

  it('/ok-to-test cancel from a trusted user restores needs-ok-to-test and starts nothing', () => {
    expect(planCommentLabels({ ...base, labels: ['ok-to-test'], text: '/ok-to-test cancel' })).toEqual({
      add: ['needs-ok-to-test'],
      remove: ['ok-to-test'],
      stop: true,
    });
  });

  it('/ok-to-test cancel from anyone else is refused', () => {
    const plan = planCommentLabels({ ...base, commenterTrusted: false, labels: ['ok-to-test'], text: '/ok-to-test cancel' });
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.stop).toBe(true);
    expect(plan.reply).toMatch(/only trusted users/i);
  });
});

describe('which comments concern the trigger', () => {
  const jobs = presubmits(`
- name: unit
  always_run: true
- name: e2e
`);

  it('recognises its commands on their own line, and job triggers', () => {
    for (const text of ['/retest', '/retest-required', '/test-manual-required', '/ok-to-test', '/ok-to-test cancel', '/test all', '/test ?', '/test', '/test nothing-like-this', 'LGTM\n/test e2e']) {
      expect(commentConcernsTrigger(text, jobs), text).toBe(true);
    }
  });

  it('ignores prose and commands inside code blocks', () => {
    expect(commentConcernsTrigger('please run the tests', jobs)).toBe(false);
    expect(commentConcernsTrigger('try ```/retest``` later', jobs)).toBe(false);
    expect(commentConcernsTrigger(dropCodeBlocks('Run this:\n```\n/test all\n```\n'), jobs)).toBe(false);
  });
});

describe('answering /test with the list of jobs', () => {
  it('answers /test ?, a bare /test and /retest with a target, whatever was selected', () => {
    expect(helpNeeded('/test ?', 3)).toEqual({ needed: true, note: '' });
    expect(helpNeeded('/test', 0)).toEqual({ needed: true, note: HELP_NOTES.testWithoutTarget });
    expect(helpNeeded('/retest e2e', 0)).toEqual({ needed: true, note: HELP_NOTES.retestWithTarget });
  });

  it('answers /test <name> and /test all only when they select nothing', () => {
    expect(helpNeeded('/test nothing', 0)).toEqual({ needed: true, note: HELP_NOTES.targetNotFound });
    expect(helpNeeded('/test all', 0)).toEqual({ needed: true, note: HELP_NOTES.noTestAllJobs });
    expect(helpNeeded('/test e2e', 1).needed).toBe(false);
    expect(helpNeeded('/retest', 0).needed).toBe(false);
  });

  it('lists required then optional commands, and what /test all runs', () => {
    const message = helpMessage('acme', 'widgets', 'main', HELP_NOTES.targetNotFound, {
      testAll: ['unit'],
      required: ['/test e2e', '/test unit'],
      optional: ['/test bench'],
    });
    expect(message.startsWith(HELP_NOTES.targetNotFound)).toBe(true);
    expect(message.indexOf('/test e2e')).toBeLessThan(message.indexOf('/test bench'));
    expect(message).toContain('```\n/test unit\n```');
    expect(message).toMatch(/`\/test all` starts the jobs that run automatically:\n```\nunit\n```/);
    expect(isHelpComment(message)).toBe(true);
  });

  it('says so when /test all runs every listed job, and when there are no jobs at all', () => {
    expect(helpMessage('acme', 'widgets', 'main', '', { testAll: ['unit'], required: ['/test unit'], optional: [] })).toContain(
      '`/test all` starts every one of them.',
    );
    const none = helpMessage('acme', 'widgets', 'dev', '', { testAll: [], required: [], optional: [] });
    expect(none).toContain('acme/widgets');
    expect(none).toContain('dev');
  });

  it('treats earlier help replies as stale once someone runs /test or /retest', () => {
    expect(makesHelpStale('/test unit')).toBe(true);
    expect(makesHelpStale('/retest')).toBe(true);
    expect(makesHelpStale('/ok-to-test')).toBe(false);
    expect(isHelpComment('Thanks for the review!')).toBe(false);
  });
});

describe('what a pull request event asks for', () => {
  it("follows Prow's handling of each action", () => {
    expect(pullRequestPlan({ action: 'opened' })).toBe('run-or-welcome');
    expect(pullRequestPlan({ action: 'reopened' })).toBe('run-if-trusted');
    expect(pullRequestPlan({ action: 'ready_for_review' })).toBe('run-if-trusted');
    expect(pullRequestPlan({ action: 'synchronize' })).toBe('abort-then-run-if-trusted');
    expect(pullRequestPlan({ action: 'closed' })).toBe('abort');
    expect(pullRequestPlan({ action: 'converted_to_draft' })).toBe('abort');
    expect(pullRequestPlan({ action: 'assigned' })).toBe('nothing');
  });

  it('reruns on an edit only when the base changed', () => {
    expect(pullRequestPlan({ action: 'edited', baseChanged: true })).toBe('run-if-trusted');
    expect(pullRequestPlan({ action: 'edited', baseChanged: false })).toBe('nothing');
  });

  it('runs on lgtm for untrusted PRs, and on ok-to-test added by a person rather than the bot', () => {
    expect(pullRequestPlan({ action: 'labeled', label: 'lgtm' })).toBe('run-if-untrusted');
    expect(pullRequestPlan({ action: 'labeled', label: 'ok-to-test', senderIsBot: false })).toBe('run');
    expect(pullRequestPlan({ action: 'labeled', label: 'ok-to-test', senderIsBot: true })).toBe('nothing');
    expect(pullRequestPlan({ action: 'labeled', label: 'size/S' })).toBe('nothing');
  });
});

describe('the welcome message', () => {
  it('asks an org member for /ok-to-test and names the label that will show it', () => {
    const message = welcomeMessage({ author: 'mallory', org: 'acme', settings: {}, frequentContributor: false });
    expect(message).toContain('@mallory');
    expect(message).toContain('`/ok-to-test`');
    expect(message).toContain('https://github.com/orgs/acme/people');
    expect(message).toContain('`ok-to-test` label');
  });

  it('names the trusted org and the configured join URL', () => {
    const message = welcomeMessage({
      author: 'mallory',
      org: 'acme',
      settings: { trusted_org: 'friends', join_org_url: 'https://example.com/join' },
      frequentContributor: false,
    });
    expect(message).toContain('https://github.com/orgs/friends/people');
    expect(message).toContain('(https://example.com/join)');
  });

  it('does not mention /ok-to-test as a way forward when the repository ignores it', () => {
    const message = welcomeMessage({ author: 'mallory', org: 'acme', settings: { ignore_ok_to_test: true }, frequentContributor: false });
    expect(message).toContain('`/test all`');
    expect(message).not.toContain('`ok-to-test` label');
  });

  it('nudges frequent contributors to join, with the configured message if any', () => {
    expect(isFrequentContributor(3, {})).toBe(true);
    expect(isFrequentContributor(2, {})).toBe(false);
    expect(isFrequentContributor(1, { org_invite: { prominent: { merged_pr_threshold: 1 } } })).toBe(true);
    expect(mayNudgeToJoin({}, true)).toBe(false);
    expect(mayNudgeToJoin({ org_invite: { prominent: { disabled: true } } }, false)).toBe(false);
    expect(orgInviteGuidance({}, 'https://j', true)).toContain('[!TIP]');
    expect(orgInviteGuidance({ org_invite: { prominent: { message: 'Join at {join_org_url}!' } } }, 'https://j', true)).toBe(
      'Join at https://j!',
    );
    expect(orgInviteGuidance({}, 'https://j', false)).not.toContain('[!TIP]');
  });
});

function stored(options: {
  name: string;
  job?: string;
  pull?: number;
  sha?: string;
  state?: ProwJobState;
  createdAt?: number;
  type?: 'presubmit' | 'postsubmit';
}): StoredJob {
  const job = testProwJob({ name: options.name, job: options.job ?? 'unit', pull: options.pull ?? 1, type: options.type ?? 'presubmit' });
  const pull = job.spec.refs?.pulls?.[0];
  if (pull && options.sha) pull.sha = options.sha;
  job.status = { state: options.state ?? 'triggered' };
  const createdAt = options.createdAt ?? 1;
  return { job, revision: 1, createdAt, updatedAt: createdAt };
}

describe('which runs are aborted', () => {
  it("a new head aborts the pull request's unfinished presubmits at other commits", () => {
    const jobs = [
      stored({ name: 'old-running', sha: 'old', state: 'pending' }),
      stored({ name: 'old-queued', sha: 'old', job: 'e2e' }),
      stored({ name: 'old-done', sha: 'old', state: 'success' }),
      stored({ name: 'new', sha: 'new' }),
    ];
    expect(presubmitsToAbort(jobs, 'new').map((job) => job.job.metadata.name)).toEqual(['old-running', 'old-queued']);
    expect(presubmitsToAbort(jobs).map((job) => job.job.metadata.name)).toEqual(['old-running', 'old-queued', 'new']);
  });

  it('a new run replaces older unfinished runs of the same job only', () => {
    const newer = stored({ name: 'newer', createdAt: 10 });
    const jobs = [
      newer,
      stored({ name: 'older', createdAt: 5 }),
      stored({ name: 'older-done', createdAt: 5, state: 'failure' }),
      stored({ name: 'other-job', job: 'e2e', createdAt: 5 }),
      stored({ name: 'other-pull', pull: 2, createdAt: 5 }),
      stored({ name: 'later', createdAt: 20 }),
    ];
    expect(supersededRuns(jobs, newer).map((job) => job.job.metadata.name)).toEqual(['older']);
  });
});

describe('pushes', () => {
  it('names the branch or tag pushed', () => {
    expect(pushedRef('refs/heads/release-1.2')).toBe('release-1.2');
    expect(pushedRef('refs/tags/v1.0.0')).toBe('v1.0.0');
  });

  it('recognises a branch deletion', () => {
    expect(isDeletion({ deleted: true, after: 'a'.repeat(40) })).toBe(true);
    expect(isDeletion({ after: '0'.repeat(40) })).toBe(true);
    expect(isDeletion({ deleted: false, after: 'a'.repeat(40) })).toBe(false);
  });

  it('collects every file the commits touched, once', () => {
    expect(
      pushChangedFiles([
        { added: ['a.go'], removed: [], modified: ['b.go'] },
        { added: null, removed: ['c.md'], modified: ['a.go'] },
      ]).sort(),
    ).toEqual(['a.go', 'b.go', 'c.md']);
  });
});
