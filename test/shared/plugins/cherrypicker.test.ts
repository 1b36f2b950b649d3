import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CherryPickJobSchema, type CherryPicker, type CherryPickJob } from '../../../shared/cherrypick/job';
import { censor } from '../../../shared/cherrypick/git';
import { CherryPickWorker, gitRemoteUrlFor } from '../../../shared/cherrypick/worker';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

/**
 * The cherrypicker end to end: the plugin in the engine against the fake GitHub, its requests
 * handed (as bus messages) to the real worker, which runs real `git` against bare repositories in
 * a temp dir standing in for GitHub's git server: `org/repo` and the bot's fork.
 */

const REPO = 'acme/widgets';
const BOT = 'cutwater-bot';
const TOKEN = 'ghs_doNotLeakThisToken0123456789';
const NUMBER = 7;
const MEMBER = 'alice';

type Json = Record<string, unknown>;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Ann Author', GIT_AUTHOR_EMAIL: 'ann@example.com', GIT_COMMITTER_NAME: 'Ann Author', GIT_COMMITTER_EMAIL: 'ann@example.com' },
  });
}

interface Remotes {
  root: string;
  url: (owner: string, repo: string) => string;
  /** The parent PR's patch, as GitHub would serve it. */
  patch: string;
  /** A file's content on a branch of a bare repository. */
  show(owner: string, branch: string, file: string): string;
}

/**
 * acme/widgets: `main` and `release-1.0` share a first commit; the PR (on main) adds a line to
 * notes.txt. With `conflicting`, release-1.0 has rewritten that line its own way.
 */
function makeRemotes(options: { conflicting?: boolean; fork?: boolean } = {}): Remotes {
  const root = mkdtempSync(path.join(tmpdir(), 'cherrypicker-test-'));
  const bare = (owner: string, repo: string) => path.join(root, owner, `${repo}.git`);
  const [org, name] = REPO.split('/') as [string, string];
  mkdirSync(path.join(root, org), { recursive: true });
  git(root, 'init', '--quiet', '--bare', bare(org, name));
  if (options.fork !== false) {
    mkdirSync(path.join(root, BOT), { recursive: true });
    git(root, 'init', '--quiet', '--bare', bare(BOT, name));
  }
  const work = path.join(root, 'work');
  git(root, 'init', '--quiet', '-b', 'main', work);
  writeFileSync(path.join(work, 'notes.txt'), 'one\ntwo\n');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'first');
  git(work, 'branch', 'release-1.0');
  if (options.conflicting) {
    git(work, 'checkout', '--quiet', 'release-1.0');
    writeFileSync(path.join(work, 'notes.txt'), 'one\nTWO on the release\n');
    git(work, 'commit', '--quiet', '-am', 'release change');
    git(work, 'checkout', '--quiet', 'main');
  }
  git(work, 'checkout', '--quiet', '-b', 'feature');
  writeFileSync(path.join(work, 'notes.txt'), 'one\ntwo, improved\n');
  git(work, 'commit', '--quiet', '-am', 'Improve the second line');
  const patch = git(work, 'format-patch', '--stdout', 'main..feature');
  git(work, 'push', '--quiet', bare(org, name), 'main', 'release-1.0');
  onTestCleanup(() => rmSync(root, { recursive: true, force: true }));
  return {
    root,
    url: (owner, repo) => `file://${bare(owner, repo)}`,
    patch,
    show: (owner, branch, file) => git(root, '--git-dir', bare(owner, name), 'show', `${branch}:${file}`),
  };
}

const cleanups: (() => void)[] = [];
function onTestCleanup(cleanup: () => void): void {
  cleanups.push(cleanup);
}
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface Setup {
  harness: PluginHarness;
  remotes: Remotes;
  log: ReturnType<typeof memoryLogger>;
  jobs: CherryPickJob[];
}

const RELEASE_NOTE_BODY = 'Makes line two better.\n\n```release-note\nLine two is better now.\n```\n';

async function setup(options: { plugins?: string; conflicting?: boolean; fork?: boolean; prLabels?: string[] } = {}): Promise<Setup> {
  const remotes = makeRemotes(options);
  const log = memoryLogger();
  const jobs: CherryPickJob[] = [];
  // Made once the harness (and so the fake GitHub's URL) exists.
  const wired: { worker?: CherryPickWorker } = {};
  // As the bus carries it: serialised, then read back by the worker, which checks it.
  const cherryPicker: CherryPicker = {
    request: async (job) => {
      jobs.push(job);
      const data = Buffer.from(JSON.stringify(job));
      await wired.worker!.handleMessage({ id: `m${jobs.length}`, data, attributes: {}, publishTime: new Date(), deliveryAttempt: 1 });
    },
  };
  const harness = await startPluginHarness({
    plugins: `external_plugins:\n  acme:\n  - name: cherrypicker\n${options.plugins ?? ''}`,
    cherryPicker,
  });
  const clients = new GitHubClients({ baseUrl: harness.github.url, auth: { token: TOKEN }, pacing: false, retryAfterBaseMs: 1 });
  wired.worker = new CherryPickWorker({
    github: (org, repo) => clients.cherryPickClientForRepository(org, repo),
    remoteUrl: remotes.url,
    log,
  });
  harness.github.addRepo(REPO);
  harness.github.addOrgMember('acme', MEMBER);
  // The fake's own model of the branches, which the API checks a new PR's base against.
  harness.github.pushToBranch(REPO, 'release-1.0', { files: ['notes.txt'] });
  harness.github.addPullRequest(REPO, {
    number: NUMBER,
    author: MEMBER,
    title: 'Improve line two',
    body: RELEASE_NOTE_BODY,
    baseRef: 'main',
    labels: ['kind/bug', ...(options.prLabels ?? [])],
  });
  harness.github.setPullRequestPatch(REPO, NUMBER, remotes.patch);
  return { harness, remotes, log, jobs };
}

async function merge(harness: PluginHarness): Promise<void> {
  const response = await fetch(`${harness.github.url}/repos/${REPO}/pulls/${NUMBER}/merge`, {
    method: 'PUT',
    headers: { authorization: 'token test-token', 'content-type': 'application/json' },
    body: JSON.stringify({ merge_method: 'squash' }),
  });
  expect(response.status).toBe(200);
}

function comment(commenter: string, text: string, state: 'open' | 'closed' = 'closed'): Json {
  return issueComment({ repo: REPO, number: NUMBER, commenter, comment: text, state, author: MEMBER });
}

function merged(): Json {
  const payload = pullRequest('closed', { repo: REPO, number: NUMBER, author: MEMBER, title: 'Improve line two', body: RELEASE_NOTE_BODY, state: 'closed' });
  (payload['pull_request'] as Json)['merged'] = true;
  return payload;
}

const comments = (harness: PluginHarness) => harness.github.comments(REPO, NUMBER).map((entry) => entry.body);

describe('cherrypicker', () => {
  it('picks a merged PR onto the branch asked for and opens "[branch] title" from the bot\'s fork', async () => {
    const { harness, remotes } = await setup();
    await merge(harness);

    await harness.deliver('issue_comment', comment(MEMBER, '/cherrypick release-1.0'));

    const opened = harness.github.openedPullRequests(REPO);
    expect(opened).toHaveLength(1);
    const [pr] = opened;
    expect(pr).toMatchObject({ title: '[release-1.0] Improve line two', base: 'release-1.0', head: `${BOT}:cherry-pick-7-to-release-1.0` });
    expect(pr!.body).toBe(
      'This is an automated cherry-pick of #7\n\n/assign alice\n\n```release-note\nLine two is better now.\n```\n\n/kind bug',
    );
    // The branch in the fork holds the PR's change on top of release-1.0, with its author kept.
    expect(remotes.show(BOT, 'cherry-pick-7-to-release-1.0', 'notes.txt')).toBe('one\ntwo, improved\n');
    expect(git(remotes.root, '--git-dir', path.join(remotes.root, BOT, 'widgets.git'), 'log', '-1', '--format=%an|%s', 'cherry-pick-7-to-release-1.0')).toBe(
      'Ann Author|Improve the second line\n',
    );
    expect(comments(harness).at(-1)).toContain(`@${MEMBER}: new pull request created: #${pr!.number}`);
    expect(harness.github.assignees(REPO, pr!.number)).toEqual([MEMBER]);
  });

  it('pushes to the repository itself with push_to: repository, and adds the configured labels', async () => {
    const { harness, remotes } = await setup({ plugins: 'cherrypicker:\n  push_to: repository\n  labels: [cherry-pick-approved]\n', fork: false });
    await merge(harness);

    await harness.deliver('issue_comment', comment(MEMBER, '/cherry-pick release-1.0'));

    const [pr] = harness.github.openedPullRequests(REPO);
    expect(pr).toMatchObject({ head: 'cherry-pick-7-to-release-1.0', base: 'release-1.0' });
    expect(remotes.show('acme', 'cherry-pick-7-to-release-1.0', 'notes.txt')).toBe('one\ntwo, improved\n');
    expect(harness.github.labels(REPO, pr!.number)).toEqual(['cherry-pick-approved']);
  });

  it('says what failed when the patch does not apply, and opens nothing', async () => {
    const { harness, remotes } = await setup({ conflicting: true });
    await merge(harness);

    await harness.deliver('issue_comment', comment(MEMBER, '/cherrypick release-1.0'));

    expect(harness.github.openedPullRequests(REPO)).toEqual([]);
    const last = comments(harness).at(-1) ?? '';
    expect(last).toContain('#7 does not apply cleanly on `release-1.0`');
    expect(last).toContain('notes.txt');
    expect(() => remotes.show(BOT, 'cherry-pick-7-to-release-1.0', 'notes.txt')).toThrow();
  });

  it('acknowledges a request on an open PR, and acts on it when the PR merges', async () => {
    const { harness, jobs } = await setup();
    harness.github.addComment(REPO, NUMBER, MEMBER, '/cherrypick release-1.0');

    await harness.deliver('issue_comment', comment(MEMBER, '/cherrypick release-1.0', 'open'));
    expect(comments(harness).at(-1)).toContain('when this PR merges I will cherry-pick it onto `release-1.0`');
    expect(jobs).toHaveLength(0);

    await merge(harness);
    await harness.deliver('pull_request', merged());

    expect(jobs.map((job) => [job.target, job.requester])).toEqual([['release-1.0', MEMBER]]);
    expect(harness.github.openedPullRequests(REPO).map((pr) => pr.title)).toEqual(['[release-1.0] Improve line two']);
  });

  it('takes a cherrypick/<branch> label as a request, at the merge', async () => {
    const { harness, jobs } = await setup({ prLabels: ['cherrypick/release-1.0'] });
    await merge(harness);

    await harness.deliver('pull_request', merged());

    expect(jobs.map((job) => [job.target, job.requester, job.comment])).toEqual([['release-1.0', MEMBER, undefined]]);
    expect(comments(harness).at(-1)).toContain(`@${MEMBER}: about the cherry-pick label: new pull request created:`);
  });

  it('refuses someone outside the org, and leaves their request out at the merge', async () => {
    const { harness, jobs } = await setup();
    harness.github.addComment(REPO, NUMBER, 'mallory', '/cherrypick release-1.0');

    await harness.deliver('issue_comment', comment('mallory', '/cherrypick release-1.0', 'open'));
    expect(comments(harness).at(-1)).toContain('only members of [acme](https://github.com/orgs/acme/people) may ask');

    await merge(harness);
    await harness.deliver('pull_request', merged());
    expect(jobs).toEqual([]);
    expect(harness.github.openedPullRequests(REPO)).toEqual([]);
  });

  it('lets anyone ask under allow_all', async () => {
    const { harness } = await setup({ plugins: 'cherrypicker:\n  allow_all: true\n' });
    await merge(harness);
    await harness.deliver('issue_comment', comment('mallory', '/cherrypick release-1.0'));
    expect(harness.github.openedPullRequests(REPO)).toHaveLength(1);
  });

  it('refuses the PR\'s own base branch', async () => {
    const { harness, jobs } = await setup();
    await merge(harness);
    await harness.deliver('issue_comment', comment(MEMBER, '/cherrypick main'));
    expect(comments(harness).at(-1)).toContain("`main` is this PR's own base branch");
    expect(jobs).toEqual([]);
  });

  it('opens one PR when the same request is delivered twice', async () => {
    const { harness } = await setup();
    await merge(harness);
    const payload = comment(MEMBER, '/cherrypick release-1.0');

    await harness.deliver('issue_comment', payload);
    await harness.deliver('issue_comment', payload);

    const opened = harness.github.openedPullRequests(REPO);
    expect(opened).toHaveLength(1);
    expect(comments(harness).at(-1)).toContain(`#7 was already cherry-picked onto \`release-1.0\` in`);
  });

  it('never shows the token in comments or logs, even when git fails', async () => {
    // No fork repository exists, so the push fails and its error is reported.
    const { harness, log } = await setup({ fork: false });
    await merge(harness);

    await harness.deliver('issue_comment', comment(MEMBER, '/cherrypick release-1.0'));

    expect(comments(harness).at(-1)).toContain('could not push the cherry-pick branch');
    const encoded = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    const everything = [...comments(harness), JSON.stringify(log.entries), JSON.stringify(harness.log.entries)].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(encoded);
    expect(harness.github.openedPullRequests(REPO)).toEqual([]);
  });

  it('dead-letters a malformed job rather than retrying it', async () => {
    const worker = new CherryPickWorker({ github: () => Promise.reject(new Error('unused')), remoteUrl: () => '', log: memoryLogger() });
    await expect(
      worker.handleMessage({ id: 'x', data: Buffer.from('{"org":"acme"}'), attributes: {}, publishTime: new Date(), deliveryAttempt: 1 }),
    ).rejects.toThrow(/not a cherry-pick job/);
    expect(CherryPickJobSchema.safeParse({}).success).toBe(false);
  });
});

describe('cherry-pick remotes and secrets', () => {
  it('derives the git URL from the API URL: github.com, or the GHE host', () => {
    expect(gitRemoteUrlFor('https://api.github.com')('acme', 'widgets')).toBe('https://github.com/acme/widgets.git');
    expect(gitRemoteUrlFor('https://ghe.example.com/api/v3')('acme', 'widgets')).toBe('https://ghe.example.com/acme/widgets.git');
  });

  it('censors the token and the header that carries it', () => {
    const header = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    expect(censor(`fatal: ${TOKEN} and ${header}`, TOKEN)).toBe('fatal: *** and ***');
  });
});
