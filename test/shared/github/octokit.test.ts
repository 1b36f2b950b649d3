import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GitHubError,
  MergeBaseModifiedError,
  MergeHeadModifiedError,
  MergeInvalidError,
  MergeRefusedError,
  MergeUnauthorizedError,
  PullNotMergeableError,
  ReviewRequestRefusedError,
  type GitHubClient,
} from '../../../shared/github/client';
import {
  countingWriteRequests,
  createGitHubClient,
  GitHubClients,
  githubAuthFromEnv,
  graphqlUrl,
  type GitHubConnectionOptions,
  type RetryInfo,
} from '../../../shared/github/octokit';
import { useTempTrees } from '../../support/files';
import { primaryRateLimit, secondaryRateLimit, startFakeGitHub, type FakeGitHub } from '../../support/fake-github';

// Shaped like a real personal token, so a leak would be recognisable.
const TOKEN = 'ghp_T0kenThatMustNeverBeSeen1234567890ab';
const REPO = 'acme/widgets';

let fake: FakeGitHub;
let retries: RetryInfo[];

/** Fast retries and no write pacing, so tests take milliseconds rather than seconds. */
function connection(): GitHubConnectionOptions {
  return { baseUrl: fake.url, onRetry: (info) => retries.push(info), retryAfterBaseMs: 1, pacing: false };
}

function tokenClient(): GitHubClient {
  return createGitHubClient({ ...connection(), auth: { token: TOKEN } });
}

async function failure(promise: Promise<unknown>): Promise<GitHubError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(GitHubError);
  return error as GitHubError;
}

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addRepo(REPO);
  retries = [];
});

afterEach(async () => {
  await fake.close();
});

describe('GitHub client against the fake GitHub: reads and writes', () => {
  it('learns its login from GET /user once', async () => {
    const client = tokenClient();
    expect(await client.botLogin()).toBe('cutwater-bot');
    expect(await client.botLogin()).toBe('cutwater-bot');
    expect(fake.requests.filter((request) => request.path === '/user')).toHaveLength(1);
    expect(fake.requests[0]?.authorization).toBe(`token ${TOKEN}`);
  });

  it('reads a pull request with the fields plugins use', async () => {
    fake.addCollaborator(REPO, 'alice');
    fake.addPullRequest(REPO, {
      number: 7,
      author: 'alice',
      title: 'Add sprockets',
      body: 'Fixes #3',
      headSha: 'a'.repeat(40),
      baseRef: 'release-1.0',
      draft: true,
      mergeable: null,
      labels: ['kind/feature'],
      files: [
        { filename: 'a.go', additions: 3, deletions: 1 },
        { filename: 'b.go', additions: 2 },
      ],
    });
    const pull = await tokenClient().getPullRequest('acme', 'widgets', 7);
    expect(pull).toMatchObject({
      number: 7,
      title: 'Add sprockets',
      body: 'Fixes #3',
      state: 'open',
      draft: true,
      merged: false,
      mergeable: null,
      user: { login: 'alice', type: 'User' },
      head: { ref: 'pr-7', sha: 'a'.repeat(40), repo: { full_name: REPO } },
      base: { ref: 'release-1.0', repo: { full_name: REPO, name: 'widgets', owner: { login: 'acme' } } },
      labels: [{ name: 'kind/feature' }],
      assignees: [],
      requested_reviewers: [],
      additions: 5,
      deletions: 1,
      html_url: 'https://github.com/acme/widgets/pull/7',
      author_association: 'COLLABORATOR',
    });
  });

  it('lists every changed file across pages of 100', async () => {
    const files = Array.from({ length: 250 }, (_, index) => ({ filename: `pkg/file${index}.go`, additions: 1 }));
    files[3] = { ...files[3]!, filename: 'pkg/renamed.go' };
    fake.addPullRequest(REPO, {
      number: 1,
      author: 'alice',
      files: files.map((file, index) =>
        index === 3 ? { ...file, status: 'renamed', previousFilename: 'pkg/old.go' } : file,
      ),
    });
    const listed = await tokenClient().listPullRequestFiles('acme', 'widgets', 1);
    expect(listed).toHaveLength(250);
    expect(listed[249]).toEqual({ filename: 'pkg/file249.go', status: 'modified', additions: 1, deletions: 0, changes: 1 });
    expect(listed[3]).toMatchObject({ filename: 'pkg/renamed.go', status: 'renamed', previous_filename: 'pkg/old.go' });
    const pages = fake.requests.filter((request) => request.path === '/repos/acme/widgets/pulls/1/files');
    expect(pages.map((request) => request.query)).toEqual([
      { per_page: '100', page: '1' },
      { per_page: '100', page: '2' },
      { per_page: '100', page: '3' },
    ]);
  });

  it("lists a pull request's commits oldest first, with their whole messages, across pages", async () => {
    const commits = Array.from({ length: 120 }, (_, index) => ({ message: `Change ${index}\n\nWhy it matters.` }));
    fake.addPullRequest(REPO, { number: 3, author: 'alice', headSha: 'f'.repeat(40), commits });
    const listed = await tokenClient().listPullRequestCommits('acme', 'widgets', 3);
    expect(listed).toHaveLength(120);
    expect(listed[0]?.message).toBe('Change 0\n\nWhy it matters.');
    expect(listed[119]).toEqual({ sha: 'f'.repeat(40), message: 'Change 119\n\nWhy it matters.', parents: [listed[118]?.sha] });
    const pushed = fake.pushPullRequestHead(REPO, 3);
    expect((await tokenClient().listPullRequestCommits('acme', 'widgets', 3)).at(-1)).toEqual({
      sha: pushed,
      message: 'Change 119\n\nWhy it matters.',
      parents: [listed[118]?.sha],
    });
  });

  it("reads each commit's parents, so a merge commit shows as one", async () => {
    const base = 'b'.repeat(40);
    fake.addPullRequest(REPO, {
      number: 4,
      author: 'alice',
      commits: [{ sha: '1'.repeat(40), message: 'Change' }, { message: 'Merge main', parents: ['1'.repeat(40), base] }],
    });
    const listed = await tokenClient().listPullRequestCommits('acme', 'widgets', 4);
    expect(listed.map((commit) => commit.parents)).toEqual([[expect.stringMatching(/^[0-9a-f]{40}$/)], ['1'.repeat(40), base]]);
  });

  it('requests reviewers and reads reviews', async () => {
    fake.addCollaborator(REPO, 'alice');
    fake.addCollaborator(REPO, 'bob');
    fake.addPullRequest(REPO, { number: 2, author: 'carol' });
    const client = tokenClient();
    await client.requestReviewers('acme', 'widgets', 2, ['alice', 'bob']);
    expect(fake.requestedReviewers(REPO, 2)).toEqual(['alice', 'bob']);

    fake.addReview(REPO, 2, { user: 'alice', state: 'APPROVED', body: 'looks good' });
    const reviews = await client.listReviews('acme', 'widgets', 2);
    expect(reviews).toEqual([
      expect.objectContaining({ user: { login: 'alice', type: 'User' }, state: 'APPROVED', body: 'looks good' }),
    ]);
    expect(reviews[0]?.submitted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(fake.requestedReviewers(REPO, 2)).toEqual(['bob']);
  });

  it('still requests the reviewers GitHub accepts when it refuses one, then reports the refused', async () => {
    fake.addCollaborator(REPO, 'alice');
    fake.addPullRequest(REPO, { number: 2, author: 'carol' });
    const error = await failure(tokenClient().requestReviewers('acme', 'widgets', 2, ['alice', 'mallory', 'carol']));
    expect(error.status).toBe(422);
    expect(error.message).toContain('mallory, carol');
    expect(error.request).toBe('POST /repos/acme/widgets/pulls/2/requested_reviewers');
    expect(fake.requestedReviewers(REPO, 2)).toEqual(['alice']);
    expect(error).toBeInstanceOf(ReviewRequestRefusedError);
    expect((error as ReviewRequestRefusedError).refused).toEqual(['mallory', 'carol']);
  });

  it('requests and withdraws reviews from teams written org/team', async () => {
    fake.addCollaborator(REPO, 'alice');
    fake.addTeamMember('acme', 'reviewers', 'carol');
    fake.addPullRequest(REPO, { number: 2, author: 'dave' });
    const client = tokenClient();
    await client.requestReviewers('acme', 'widgets', 2, ['alice', 'acme/reviewers']);
    expect(fake.requestedReviewers(REPO, 2)).toEqual(['alice']);
    expect(fake.requestedTeams(REPO, 2)).toEqual(['acme/reviewers']);
    expect(fake.requests.find((request) => request.method === 'POST')?.body).toEqual({ reviewers: ['alice'], team_reviewers: ['reviewers'] });
    await client.removeRequestedReviewers('acme', 'widgets', 2, ['acme/reviewers']);
    expect(fake.requestedTeams(REPO, 2)).toEqual([]);
    expect(fake.requestedReviewers(REPO, 2)).toEqual(['alice']);
  });

  it('counts search results computed from the fake’s state, or as set', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'newbie' });
    fake.addPullRequest(REPO, { number: 2, author: 'newbie' });
    fake.addPullRequest(REPO, { number: 3, author: 'veteran' });
    fake.addIssue(REPO, { number: 4, author: 'newbie' });
    fake.addPullRequest('acme/other', { number: 1, author: 'newbie' });
    const client = tokenClient();
    expect(await client.countSearchResults('is:pr repo:acme/widgets author:newbie')).toBe(2);
    expect(await client.countSearchResults('repo:acme/widgets author:newbie')).toBe(3);
    expect(await client.countSearchResults('is:pr org:acme author:newbie')).toBe(3);
    expect(await client.countSearchResults('is:pr repo:acme/widgets author:nobody')).toBe(0);
    fake.setSearchCount('is:pr repo:acme/widgets author:nobody', 12);
    expect(await client.countSearchResults('is:pr repo:acme/widgets author:nobody')).toBe(12);
    const unknown = await failure(client.countSearchResults('is:pr involves:alice'));
    expect(unknown.status).toBe(422);
  });

  it('reads issues and pull requests as issues, and edits title and state', async () => {
    fake.addIssue(REPO, { number: 4, author: 'dave', title: 'Broken', body: 'It broke', labels: ['kind/bug'] });
    fake.addPullRequest(REPO, { number: 5, author: 'erin' });
    const client = tokenClient();
    const issue = await client.getIssue('acme', 'widgets', 4);
    expect(issue).toEqual({
      number: 4,
      title: 'Broken',
      body: 'It broke',
      state: 'open',
      user: { login: 'dave', type: 'User' },
      labels: [{ name: 'kind/bug' }],
      assignees: [],
      html_url: 'https://github.com/acme/widgets/issues/4',
    });
    const pullAsIssue = await client.getIssue('acme', 'widgets', 5);
    expect(pullAsIssue.pull_request?.url).toBe(`${fake.url}/repos/acme/widgets/pulls/5`);

    await client.updateIssue('acme', 'widgets', 4, { title: 'Broken badly', state: 'closed' });
    expect(fake.issue(REPO, 4)).toEqual({ title: 'Broken badly', body: 'It broke', state: 'closed' });
    await client.updateIssue('acme', 'widgets', 5, { state: 'closed' });
    expect(fake.issue(REPO, 5).state).toBe('closed');
    const patches = fake.requests.filter((request) => request.method === 'PATCH');
    expect(patches.map((request) => request.body)).toEqual([{ title: 'Broken badly', state: 'closed' }, { state: 'closed' }]);

    await client.updateIssue('acme', 'widgets', 4, { state: 'closed', stateReason: 'not_planned' });
    expect(fake.stateReason(REPO, 4)).toBe('not_planned');
  });

  it('adds labels, creating the ones the repository lacks, and removes them by encoded name', async () => {
    fake.addRepoLabels(REPO, ['LGTM']);
    fake.addPullRequest(REPO, { number: 1, author: 'alice' });
    const client = tokenClient();
    await client.addLabels('acme', 'widgets', 1, ['lgtm', 'do-not-merge/hold']);
    expect(await client.listIssueLabels('acme', 'widgets', 1)).toEqual(['LGTM', 'do-not-merge/hold']);
    expect(fake.requests.find((request) => request.method === 'POST')?.body).toEqual({
      labels: ['lgtm', 'do-not-merge/hold'],
    });

    await client.removeLabel('acme', 'widgets', 1, 'do-not-merge/hold');
    expect(fake.labels(REPO, 1)).toEqual(['LGTM']);
    expect(fake.requests.find((request) => request.method === 'DELETE')?.path).toBe(
      '/repos/acme/widgets/issues/1/labels/do-not-merge%2Fhold',
    );

    await client.removeLabel('acme', 'widgets', 1, 'needs-rebase');
    expect(fake.requests.at(-1)?.status).toBe(404);

    const repoLabels = await client.listRepoLabels('acme', 'widgets');
    expect(repoLabels.map((label) => label.name)).toEqual(['LGTM', 'do-not-merge/hold']);
    expect(repoLabels[0]).toEqual({ name: 'LGTM', color: 'ededed', description: null });
  });

  it('assigns only people who can be assigned, as GitHub does, and unassigns', async () => {
    fake.addCollaborator(REPO, 'alice');
    fake.addOrgMember('acme', 'bob');
    fake.addIssue(REPO, { number: 9, author: 'dave' });
    const client = tokenClient();
    // GitHub's answer tells who was assigned; "stranger" was silently left out.
    expect(await client.addAssignees('acme', 'widgets', 9, ['alice', 'stranger', 'BOB'])).toEqual(['alice', 'bob']);
    expect(fake.assignees(REPO, 9)).toEqual(['alice', 'bob']);
    await client.removeAssignees('acme', 'widgets', 9, ['alice']);
    expect(fake.assignees(REPO, 9)).toEqual(['bob']);
    expect((await client.getIssue('acme', 'widgets', 9)).assignees).toEqual([{ login: 'bob', type: 'User' }]);
  });

  it('creates, lists (all pages), edits and deletes comments', async () => {
    fake.addPullRequest(REPO, { number: 3, author: 'alice' });
    for (let index = 0; index < 120; index++) fake.addComment(REPO, 3, 'alice', `comment ${index}`);
    const client = tokenClient();

    const created = await client.createComment('acme', 'widgets', 3, 'Hello from the bot');
    expect(created.user.login).toBe('cutwater-bot');
    expect(created.body).toBe('Hello from the bot');
    expect(created.created_at).toMatch(/Z$/);
    expect(created.html_url).toBe(`https://github.com/acme/widgets/pull/3#issuecomment-${created.id}`);

    const listed = await client.listComments('acme', 'widgets', 3);
    expect(listed).toHaveLength(121);
    expect(listed[0]?.body).toBe('comment 0');
    expect(listed.at(-1)).toEqual(created);
    expect(listed.map((comment) => comment.id)).toEqual([...listed.map((comment) => comment.id)].sort((a, b) => a - b));

    await client.editComment('acme', 'widgets', created.id, 'Edited');
    expect(fake.comments(REPO, 3).at(-1)).toEqual({ id: created.id, body: 'Edited', user: 'cutwater-bot' });

    await client.deleteComment('acme', 'widgets', created.id);
    await client.deleteComment('acme', 'widgets', created.id);
    expect(fake.comments(REPO, 3)).toHaveLength(120);
  });

  it('sets commit statuses and reads the combined status, latest per context', async () => {
    const sha = 'b'.repeat(40);
    const client = tokenClient();
    expect(await client.getCombinedStatus('acme', 'widgets', sha)).toEqual({ state: 'pending', sha, statuses: [] });

    await client.createStatus('acme', 'widgets', sha, { state: 'pending', context: 'ci/unit', description: 'Running' });
    await client.createStatus('acme', 'widgets', sha, {
      state: 'success',
      context: 'ci/unit',
      description: 'Passed',
      target_url: 'https://ci.example/1',
    });
    expect((await client.getCombinedStatus('acme', 'widgets', sha)).state).toBe('success');

    await client.createStatus('acme', 'widgets', sha, { state: 'error', context: 'ci/lint', description: 'x'.repeat(300) });
    const combined = await client.getCombinedStatus('acme', 'widgets', sha);
    expect(combined).toEqual({
      state: 'failure',
      sha,
      statuses: [
        { state: 'success', context: 'ci/unit', description: 'Passed', target_url: 'https://ci.example/1' },
        { state: 'error', context: 'ci/lint', description: `${'x'.repeat(139)}…`, target_url: null },
      ],
    });
    expect(fake.statuses(REPO, sha)).toEqual(combined.statuses);
  });

  it('reads the combined status across pages when there are more than 100 contexts', async () => {
    const sha = 'c'.repeat(40);
    const client = tokenClient();
    await Promise.all(
      Array.from({ length: 105 }, (_, index) =>
        client.createStatus('acme', 'widgets', sha, { state: 'success', context: `job-${index}` }),
      ),
    );
    const combined = await client.getCombinedStatus('acme', 'widgets', sha);
    expect(combined.state).toBe('success');
    expect(combined.statuses).toHaveLength(105);
  });

  it('answers membership questions', async () => {
    fake.addOrgMember('acme', 'alice');
    fake.addCollaborator(REPO, 'bob');
    fake.addTeamMember('acme', 'reviewers', 'carol');
    const client = tokenClient();
    expect(await client.isOrgMember('acme', 'alice')).toBe(true);
    expect(await client.isOrgMember('acme', 'bob')).toBe(false);
    expect(await client.isOrgMember('acme', 'carol')).toBe(true);
    expect(await client.isCollaborator('acme', 'widgets', 'bob')).toBe(true);
    expect(await client.isCollaborator('acme', 'widgets', 'alice')).toBe(false);
    expect(await client.isTeamMember('acme', 'reviewers', 'carol')).toBe(true);
    expect(await client.isTeamMember('acme', 'reviewers', 'alice')).toBe(false);
    expect(await client.isTeamMember('acme', 'nobody', 'carol')).toBe(false);
  });

  it('answers team membership by team ID, and whether a user is busy', async () => {
    fake.addTeamMember('acme', 'reviewers', 'carol');
    fake.setTeamId('acme', 'reviewers', 4321);
    fake.setUserBusy('dave', true);
    const client = tokenClient();
    expect(await client.isTeamMemberById(4321, 'carol')).toBe(true);
    expect(await client.isTeamMemberById(4321, 'alice')).toBe(false);
    expect(await client.isTeamMemberById(1, 'carol')).toBe(false);
    expect(await client.isUserBusy('dave')).toBe(true);
    expect(await client.isUserBusy('carol')).toBe(false);
  });

  it('does not take GitHub’s redirect to public membership as membership', async () => {
    fake.addOrgMember('acme', 'dave');
    fake.failNext('GET', /\/members\/dave$/, {
      status: 302,
      headers: { location: `${fake.url}/orgs/acme/public_members/dave` },
    });
    expect(await tokenClient().isOrgMember('acme', 'dave')).toBe(false);
    expect(fake.requests.map((request) => request.path)).toEqual(['/orgs/acme/members/dave']);
  });

  it('reads files at the default branch or a ref, and undefined for what is not a file', async () => {
    fake.setFile(REPO, 'OWNERS', 'approvers:\n- alice\n');
    fake.setFile(REPO, 'docs/OWNERS', 'reviewers:\n- zoë\n');
    fake.setFile(REPO, 'OWNERS', 'approvers:\n- bob\n', 'd'.repeat(40));
    const client = tokenClient();
    expect(await client.getFileContent('acme', 'widgets', 'OWNERS')).toBe('approvers:\n- alice\n');
    expect(await client.getFileContent('acme', 'widgets', 'OWNERS', 'd'.repeat(40))).toBe('approvers:\n- bob\n');
    expect(await client.getFileContent('acme', 'widgets', 'OWNERS', 'e'.repeat(40))).toBe('approvers:\n- alice\n');
    expect(await client.getFileContent('acme', 'widgets', 'docs/OWNERS', 'd'.repeat(40))).toBe('reviewers:\n- zoë\n');
    expect(await client.getFileContent('acme', 'widgets', 'docs')).toBeUndefined();
    expect(await client.getFileContent('acme', 'widgets', 'missing/OWNERS')).toBeUndefined();
    const reads = fake.requests.filter((request) => request.route === 'GET /repos/{owner}/{repo}/contents/{path}');
    expect(reads[1]?.query).toEqual({ ref: 'd'.repeat(40) });
    expect(reads[0]?.query).toEqual({});
  });

  it('reports a 404 as a GitHubError without retrying', async () => {
    const error = await failure(tokenClient().getPullRequest('acme', 'widgets', 404));
    expect(error.status).toBe(404);
    expect(error.request).toBe('GET /repos/acme/widgets/pulls/404');
    expect(error.message).toBe('GET /repos/acme/widgets/pulls/404: GitHub answered 404: Not Found - https://docs.github.com/rest');
    expect(fake.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });
});

describe('GitHub client against the fake GitHub: retries', () => {
  beforeEach(() => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', title: 'Retry me' });
  });

  it('retries a 5xx and succeeds, telling onRetry each time', async () => {
    fake.failNext('GET', /\/pulls\/1$/, { status: 502, body: { message: 'Server Error' } }, 2);
    const pull = await tokenClient().getPullRequest('acme', 'widgets', 1);
    expect(pull.title).toBe('Retry me');
    expect(fake.requests.map((request) => request.status)).toEqual([502, 502, 200]);
    expect(retries).toEqual([
      { request: 'GET /repos/acme/widgets/pulls/1', attempt: 1, reason: 'GitHub answered 502: Server Error' },
      { request: 'GET /repos/acme/widgets/pulls/1', attempt: 2, reason: 'GitHub answered 502: Server Error' },
    ]);
  });

  it('retries a 5xx while paging a list, and still lists every item', async () => {
    for (let index = 0; index < 120; index++) fake.addComment(REPO, 1, 'alice', `comment ${index}`);
    fake.failNext('GET', /\/issues\/1\/comments$/, { status: 502, body: { message: 'Server Error' } });
    const comments = await tokenClient().listComments('acme', 'widgets', 1);
    expect(comments.map((comment) => comment.body)).toEqual(Array.from({ length: 120 }, (_, index) => `comment ${index}`));
    expect(fake.requests.map((request) => [request.status, request.query.page])).toEqual([
      [502, '1'],
      [200, '1'],
      [200, '2'],
    ]);
    expect(retries).toEqual([{ request: 'GET /repos/acme/widgets/issues/1/comments', attempt: 1, reason: 'GitHub answered 502: Server Error' }]);
  });

  it('retries a write after a 5xx', async () => {
    fake.failNext('POST', /\/comments$/, { status: 500 });
    const comment = await tokenClient().createComment('acme', 'widgets', 1, 'persistent');
    expect(fake.comments(REPO, 1)).toEqual([{ id: comment.id, body: 'persistent', user: 'cutwater-bot' }]);
  });

  it('waits out a secondary rate limit and retries', async () => {
    fake.failNext('POST', /\/labels$/, secondaryRateLimit(0));
    await tokenClient().addLabels('acme', 'widgets', 1, ['lgtm']);
    expect(fake.labels(REPO, 1)).toEqual(['lgtm']);
    expect(fake.requests.map((request) => request.status)).toEqual([403, 200]);
    expect(retries).toEqual([
      {
        request: 'POST /repos/acme/widgets/issues/1/labels',
        attempt: 1,
        // GitHub's retry-after of 0 means "unknown"; Octokit then waits its default minute.
        reason: 'secondary rate limit, retrying after 60s',
      },
    ]);
  });

  it('waits out a primary rate limit until its reset and retries', async () => {
    fake.failNext('GET', /\/pulls\/1$/, primaryRateLimit(new Date()));
    expect((await tokenClient().getPullRequest('acme', 'widgets', 1)).number).toBe(1);
    expect(retries).toHaveLength(1);
    expect(retries[0]?.reason).toMatch(/^rate limit, retrying after \d+s$/);
  });

  it('gives up on a rate limit whose wait is longer than a handler can wait', async () => {
    fake.failNext('GET', /\/pulls\/1$/, secondaryRateLimit(3600));
    const error = await failure(tokenClient().getPullRequest('acme', 'widgets', 1));
    expect(error.status).toBe(403);
    expect(error.message).toContain('secondary rate limit');
    expect(fake.requests).toHaveLength(1);
  });

  it('stops after three retries of a persistent 500 with a GitHubError naming the request, never the token', async () => {
    fake.failNext('GET', /\/pulls\/1$/, { status: 500, body: { message: 'Internal Server Error' } }, 10);
    const error = await failure(tokenClient().getPullRequest('acme', 'widgets', 1));
    expect(error.status).toBe(500);
    expect(error.request).toBe('GET /repos/acme/widgets/pulls/1');
    expect(error.message).toBe('GET /repos/acme/widgets/pulls/1: GitHub answered 500: Internal Server Error');
    expect(fake.requests).toHaveLength(4);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3]);
    const everything = JSON.stringify({ error, stack: error.stack, retries, ...error });
    expect(everything).not.toContain(TOKEN);
  });
});

describe('GitHub client against the fake GitHub: what the merge pool (Tide) asks', () => {
  const MAIN = (): string => fake.branchHead(REPO, 'main') ?? '';

  /** A clock that moves a second each time it is read: each PR gets a creation second of its own. */
  function tickingClock(): () => Date {
    let now = Date.parse('2030-01-01T00:00:00Z');
    return () => new Date((now += 1000));
  }

  it('searches as Prow’s tide queries search, listing open pull requests with what a pool needs', async () => {
    fake.addRepo('acme/gadgets');
    fake.addRepo('acme/archive', { archived: true });
    fake.addPullRequest(REPO, { number: 1, author: 'alice', title: 'Ready', labels: ['lgtm', 'approved'], milestone: 'v1.2' });
    fake.addPullRequest(REPO, { number: 2, author: 'bob', labels: ['lgtm', 'approved', 'do-not-merge/hold'] });
    fake.addPullRequest(REPO, { number: 3, author: 'carol', labels: ['lgtm'] });
    fake.addPullRequest(REPO, { number: 4, author: 'dave', labels: ['lgtm', 'approved'], baseRef: 'release-1.0' });
    fake.addPullRequest('acme/gadgets', { number: 5, author: 'erin', labels: ['LGTM', 'approved'], draft: true });
    fake.addPullRequest('acme/archive', { number: 6, author: 'frank', labels: ['lgtm', 'approved'] });
    fake.addIssue(REPO, { number: 7, author: 'gina', labels: ['lgtm', 'approved'] });

    const query =
      'is:pr state:open archived:false label:"lgtm" label:"approved" -label:"do-not-merge/hold" -base:"release-1.0" org:"acme" repo:"other/thing"';
    const { items, incomplete } = await tokenClient().searchPullRequests(query);
    expect(incomplete).toBe(false);
    expect(items).toEqual([
      {
        number: 1,
        repo: REPO,
        title: 'Ready',
        author: 'alice',
        labels: ['lgtm', 'approved'],
        milestone: 'v1.2',
        state: 'open',
        pullRequest: true,
        draft: false,
        created_at: expect.stringMatching(/Z$/),
        updated_at: expect.stringMatching(/Z$/),
        html_url: 'https://github.com/acme/widgets/pull/1',
      },
      expect.objectContaining({ number: 5, repo: 'acme/gadgets', draft: true, milestone: null }),
    ]);
    const search = fake.requests.filter((request) => request.path === '/search/issues');
    expect(search.map((request) => request.query)).toEqual([{ q: query, sort: 'created', order: 'asc', per_page: '100', page: '1' }]);
  });

  it('lists every page, and goes on past GitHub’s 1,000-result cap from the last creation time it saw', async () => {
    await fake.close();
    fake = await startFakeGitHub({ now: tickingClock() });
    for (let number = 1; number <= 1050; number++) fake.addPullRequest(REPO, { number, author: 'alice' });
    const { items, incomplete } = await tokenClient().searchPullRequests('is:pr state:open repo:acme/widgets');
    expect(incomplete).toBe(false);
    expect(items.map((item) => item.number)).toEqual(Array.from({ length: 1050 }, (_, index) => index + 1));
    const search = fake.requests.filter((request) => request.path === '/search/issues');
    // Ten pages of the query (GitHub refuses an eleventh), then the rest, narrowed by creation time.
    expect(search.map((request) => [request.query.page, request.status])).toEqual([
      ...Array.from({ length: 10 }, (_, index) => [String(index + 1), 200]),
      ['1', 200],
    ]);
    expect(search[10]?.query.q).toBe(`is:pr state:open repo:acme/widgets created:>=${items[999]?.created_at}`);
  });

  it('says a search is incomplete when more than 1,000 results share one creation second', async () => {
    await fake.close();
    fake = await startFakeGitHub({ now: () => new Date('2030-01-01T00:00:00Z') });
    for (let number = 1; number <= 1010; number++) fake.addPullRequest(REPO, { number, author: 'alice' });
    const { items, incomplete } = await tokenClient().searchPullRequests('is:pr state:open repo:acme/widgets');
    expect(incomplete).toBe(true);
    expect(items).toHaveLength(1000);
  });

  it('searches issues too, for blocker issues', async () => {
    fake.addIssue(REPO, { number: 1, author: 'alice', title: 'Release blocked', labels: ['tide/merge-blocker'] });
    fake.addPullRequest(REPO, { number: 2, author: 'bob', labels: ['tide/merge-blocker'] });
    const { items } = await tokenClient().searchIssues('is:issue state:open label:"tide/merge-blocker" org:"acme"');
    expect(items).toEqual([expect.objectContaining({ number: 1, title: 'Release blocked', pullRequest: false, html_url: 'https://github.com/acme/widgets/issues/1' })]);
  });

  it('reads mergeability, its reason, and the head and base of a pull request', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: 'a'.repeat(40), files: [{ filename: 'go.mod' }] });
    fake.addPullRequest(REPO, { number: 2, author: 'bob', files: [{ filename: 'go.mod' }] });
    fake.addPullRequest(REPO, { number: 3, author: 'carol', files: [{ filename: 'README.md' }] });
    const client = tokenClient();
    expect(await client.getPullRequest('acme', 'widgets', 1)).toMatchObject({
      mergeable: true,
      mergeable_state: 'clean',
      head: { ref: 'pr-1', sha: 'a'.repeat(40) },
      base: { ref: 'main', sha: MAIN() },
    });

    const mergeCommit = await client.mergePullRequest('acme', 'widgets', 1, { sha: 'a'.repeat(40), mergeMethod: 'squash' });
    expect(await client.getPullRequest('acme', 'widgets', 1)).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: mergeCommit });
    expect(await client.getPullRequest('acme', 'widgets', 2)).toMatchObject({ mergeable: false, mergeable_state: 'dirty', base: { sha: mergeCommit } });
    expect(await client.getPullRequest('acme', 'widgets', 3)).toMatchObject({ mergeable: true, mergeable_state: 'clean' });

    fake.setMergeability(REPO, 3, 'blocked');
    expect(await client.getPullRequest('acme', 'widgets', 3)).toMatchObject({ mergeable: true, mergeable_state: 'blocked' });
    fake.setMergeability(REPO, 3, 'unknown');
    expect(await client.getPullRequest('acme', 'widgets', 3)).toMatchObject({ mergeable: null, mergeable_state: 'unknown' });
  });

  it('reads where a branch points, following it as it moves, and nothing for a branch that is not there', async () => {
    const client = tokenClient();
    expect(await client.getBranchHeadSha('acme', 'widgets', 'main')).toBe(MAIN());
    const pushed = fake.pushToBranch(REPO, 'release/1.0', { files: ['CHANGELOG.md'] });
    expect(await client.getBranchHeadSha('acme', 'widgets', 'release/1.0')).toBe(pushed);
    const moved = fake.pushToBranch(REPO, 'release/1.0', { files: ['VERSION'] });
    expect(await client.getBranchHeadSha('acme', 'widgets', 'release/1.0')).toBe(moved);
    expect(await client.getBranchHeadSha('acme', 'widgets', 'gone')).toBeUndefined();
  });

  it('deletes a branch, answering false for one already gone and refusing the default branch', async () => {
    const client = tokenClient();
    fake.pushToBranch(REPO, 'feature/x', { files: ['a.txt'] });
    expect(await client.deleteBranch('acme', 'widgets', 'feature/x')).toBe(true);
    expect(fake.branchHead(REPO, 'feature/x')).toBeUndefined();
    expect(await client.deleteBranch('acme', 'widgets', 'feature/x')).toBe(false);
    expect((await failure(client.deleteBranch('acme', 'widgets', 'main'))).status).toBe(422);
    expect(fake.branchHead(REPO, 'main')).toBe(MAIN());
  });

  it('reads which merge methods the repository allows', async () => {
    fake.addRepo('acme/strict', { mergeMethods: { merge: false, rebase: false } });
    expect(await tokenClient().getRepository('acme', 'strict')).toEqual({
      full_name: 'acme/strict',
      default_branch: 'main',
      archived: false,
      allow_merge_commit: false,
      allow_squash_merge: true,
      allow_rebase_merge: false,
    });
  });

  it('merges with the head pinned and the commit message asked for, and the branch moves to the merge commit', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: 'a'.repeat(40) });
    const before = MAIN();
    const sha = await tokenClient().mergePullRequest('acme', 'widgets', 1, {
      sha: 'a'.repeat(40),
      mergeMethod: 'merge',
      commitTitle: 'Merge #1',
      commitMessage: 'Sprockets',
    });
    expect(MAIN()).toBe(sha);
    expect(fake.merges()).toEqual([
      {
        repo: REPO,
        number: 1,
        sha: 'a'.repeat(40),
        mergeMethod: 'merge',
        commitTitle: 'Merge #1',
        commitMessage: 'Sprockets',
        baseRef: 'main',
        baseShaBefore: before,
        mergeCommitSha: sha,
      },
    ]);
    expect(fake.requests.find((request) => request.method === 'PUT')?.body).toEqual({
      sha: 'a'.repeat(40),
      merge_method: 'merge',
      commit_title: 'Merge #1',
      commit_message: 'Sprockets',
    });
  });

  it('tells GitHub’s refusals apart, each as its own error', async () => {
    fake.addRepo('acme/squashy', { mergeMethods: { merge: false } });
    fake.addPullRequest('acme/squashy', { number: 1, author: 'alice', headSha: 'a'.repeat(40) });
    fake.addPullRequest(REPO, { number: 2, author: 'bob', headSha: 'b'.repeat(40), files: [{ filename: 'x' }] });
    fake.addPullRequest(REPO, { number: 3, author: 'carol', headSha: 'c'.repeat(40) });
    const client = tokenClient();
    const merge = (repo: string, number: number, sha: string) =>
      failure(client.mergePullRequest('acme', repo, number, { sha, mergeMethod: 'merge' }));

    const modified = await merge('widgets', 2, 'f'.repeat(40));
    expect(modified).toBeInstanceOf(MergeHeadModifiedError);
    expect(modified).toMatchObject({ status: 409, reason: 'head-modified', githubMessage: expect.stringContaining('Head branch was modified') });

    expect(await merge('squashy', 1, 'a'.repeat(40))).toMatchObject({ status: 405, reason: 'method-not-allowed', name: 'MergeMethodNotAllowedError' });

    fake.pushToBranch(REPO, 'main', { files: ['x'] });
    const conflict = await merge('widgets', 2, 'b'.repeat(40));
    expect(conflict).toBeInstanceOf(PullNotMergeableError);
    expect(conflict).toBeInstanceOf(MergeRefusedError);
    expect(conflict).toMatchObject({ reason: 'not-mergeable' });

    fake.setMergeability(REPO, 3, 'blocked');
    expect(await merge('widgets', 3, 'c'.repeat(40))).toBeInstanceOf(PullNotMergeableError);
    fake.setMergeability(REPO, 3, 'computed');

    fake.failNext('PUT', /\/merge$/, { status: 405, body: { message: 'Base branch was modified. Review and try the merge again.' } });
    expect(await merge('widgets', 3, 'c'.repeat(40))).toBeInstanceOf(MergeBaseModifiedError);
    fake.failNext('PUT', /\/merge$/, { status: 405, body: { message: "You're not authorized to push to this branch." } });
    expect(await merge('widgets', 3, 'c'.repeat(40))).toBeInstanceOf(MergeUnauthorizedError);
    fake.failNext('PUT', /\/merge$/, { status: 422, body: { message: 'Validation Failed', errors: [{ message: 'sha is malformed' }] } });
    expect(await merge('widgets', 3, 'c'.repeat(40))).toBeInstanceOf(MergeInvalidError);
    expect(fake.merges()).toEqual([]);

    expect(await client.mergePullRequest('acme', 'widgets', 3, { sha: 'c'.repeat(40), mergeMethod: 'merge' })).toBe(MAIN());
  });

  it('takes a merge whose answer was lost, and refused when retried, as merged', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: 'a'.repeat(40) });
    fake.loseNextAnswer('PUT', /\/pulls\/1\/merge$/);
    const sha = await tokenClient().mergePullRequest('acme', 'widgets', 1, { sha: 'a'.repeat(40), mergeMethod: 'squash' });
    expect(sha).toBe(MAIN());
    expect(fake.merges()).toHaveLength(1);
    expect(fake.requests.filter((request) => request.method === 'PUT').map((request) => request.status)).toEqual([502, 405]);
  });

  it('takes a PR already merged at the head asked for as merged, but not one merged at another head', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: 'a'.repeat(40) });
    const client = tokenClient();
    const sha = await client.mergePullRequest('acme', 'widgets', 1, { sha: 'a'.repeat(40), mergeMethod: 'squash' });
    expect(await client.mergePullRequest('acme', 'widgets', 1, { sha: 'a'.repeat(40), mergeMethod: 'squash' })).toBe(sha);
    const other = await failure(client.mergePullRequest('acme', 'widgets', 1, { sha: 'b'.repeat(40), mergeMethod: 'squash' }));
    expect(other).toBeInstanceOf(PullNotMergeableError);
    expect(fake.merges()).toHaveLength(1);
  });

  it('trial-merges a batch on a scratch branch, leaving out what conflicts, and deletes the branch', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: '1'.repeat(40), files: [{ filename: 'a.go' }] });
    fake.addPullRequest(REPO, { number: 2, author: 'bob', headSha: '2'.repeat(40), files: [{ filename: 'b.go' }] });
    fake.addPullRequest(REPO, { number: 3, author: 'carol', headSha: '3'.repeat(40), files: [{ filename: 'a.go' }] });
    fake.addPullRequest(REPO, { number: 4, author: 'dave', headSha: '4'.repeat(40), files: [{ filename: 'c.go' }] });
    const base = MAIN();
    const result = await tokenClient().trialMerge('acme', 'widgets', base, [
      { number: 1, sha: '1'.repeat(40) },
      { number: 2, sha: '2'.repeat(40) },
      { number: 3, sha: '3'.repeat(40) },
      { number: 4, sha: '4'.repeat(40) },
      { number: 1, sha: '1'.repeat(40) },
    ]);
    expect(result).toEqual({ merged: [1, 2, 4], conflicting: [3], alreadyIncluded: [1] });
    expect(fake.branches(REPO)).toEqual({ main: base });
    const writes = fake.requests.filter((request) => request.method !== 'GET');
    const scratch = (writes[0]?.body as { ref: string }).ref;
    expect(scratch).toMatch(/^refs\/heads\/cutwater-tide-trial\/[0-9a-f]{16}$/);
    expect(writes.map((request) => [request.method, request.route, request.status])).toEqual([
      ['POST', 'POST /repos/{owner}/{repo}/git/refs', 201],
      ['POST', 'POST /repos/{owner}/{repo}/merges', 201],
      ['POST', 'POST /repos/{owner}/{repo}/merges', 201],
      ['POST', 'POST /repos/{owner}/{repo}/merges', 409],
      ['POST', 'POST /repos/{owner}/{repo}/merges', 201],
      ['POST', 'POST /repos/{owner}/{repo}/merges', 204],
      ['DELETE', 'DELETE /repos/{owner}/{repo}/git/refs/{ref}', 204],
    ]);
    expect(writes[1]?.body).toMatchObject({ base: scratch.slice('refs/heads/'.length), head: '1'.repeat(40) });
  });

  it('finds a PR conflicting in a trial once its file changed on the branch after its base', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: '1'.repeat(40), files: [{ filename: 'a.go' }] });
    fake.pushToBranch(REPO, 'main', { files: ['a.go'] });
    const rebased = fake.pushPullRequestHead(REPO, 1, { rebase: true });
    fake.addPullRequest(REPO, { number: 2, author: 'bob', headSha: '2'.repeat(40), files: [{ filename: 'b.go' }] });
    const client = tokenClient();
    expect(await client.trialMerge('acme', 'widgets', MAIN(), [{ number: 1, sha: '1'.repeat(40) }])).toMatchObject({ merged: [], conflicting: [1] });
    expect(await client.trialMerge('acme', 'widgets', MAIN(), [{ number: 1, sha: rebased }, { number: 2, sha: '2'.repeat(40) }])).toMatchObject({
      merged: [1, 2],
      conflicting: [],
    });
  });

  it('deletes the scratch branch when a trial merge fails, and names it when it cannot be deleted', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', headSha: '1'.repeat(40) });
    const client = tokenClient();
    const missing = await failure(client.trialMerge('acme', 'widgets', MAIN(), [{ number: 9, sha: '9'.repeat(40) }]));
    expect(missing.status).toBe(404);
    expect(Object.keys(fake.branches(REPO))).toEqual(['main']);

    fake.failNext('DELETE', /\/git\/refs\//, { status: 403, body: { message: 'Resource not accessible by integration' } });
    const result = await client.trialMerge('acme', 'widgets', MAIN(), [{ number: 1, sha: '1'.repeat(40) }]);
    expect(result.merged).toEqual([1]);
    expect(result.leftoverRef).toMatch(/^refs\/heads\/cutwater-tide-trial\//);
    expect(Object.keys(fake.branches(REPO))).toEqual([result.leftoverRef?.slice('refs/heads/'.length), 'main']);
  });

  it('lists check runs across pages, the latest per name, in the four states as Prow maps them', async () => {
    const sha = 'd'.repeat(40);
    const conclusions = ['success', 'neutral', 'skipped', 'failure', 'cancelled', 'timed_out', 'action_required'] as const;
    for (const conclusion of conclusions) fake.addCheckRun(REPO, sha, { name: `check-${conclusion}`, conclusion });
    fake.addCheckRun(REPO, sha, { name: 'queued' });
    fake.addCheckRun(REPO, sha, { name: 'running', status: 'in_progress' });
    fake.addCheckRun(REPO, sha, { name: 'rerun', conclusion: 'failure' });
    fake.addCheckRun(REPO, sha, { name: 'rerun', conclusion: 'success', detailsUrl: 'https://ci.example/rerun' });
    for (let index = 0; index < 100; index++) fake.addCheckRun(REPO, sha, { name: `bulk-${index}`, conclusion: 'success' });
    const runs = await tokenClient().listCheckRuns('acme', 'widgets', sha);
    expect(runs).toHaveLength(110);
    const states = Object.fromEntries(runs.map((run) => [run.name, run.state]));
    expect(states).toMatchObject({
      'check-success': 'success',
      'check-neutral': 'success',
      'check-skipped': 'success',
      'check-failure': 'failure',
      'check-cancelled': 'failure',
      'check-timed_out': 'failure',
      'check-action_required': 'failure',
      queued: 'pending',
      running: 'pending',
      rerun: 'success',
    });
    expect(runs.find((run) => run.name === 'rerun')).toMatchObject({ status: 'completed', conclusion: 'success', head_sha: sha, details_url: 'https://ci.example/rerun' });
    expect(fake.requests.map((request) => request.query.page)).toEqual(['1', '2']);
  });

  it('reads a branch’s check runs at its head', async () => {
    const head = fake.pushToBranch(REPO, 'main', { files: ['x'] });
    fake.addCheckRun(REPO, head, { name: 'build', status: 'in_progress' });
    expect(await tokenClient().listCheckRuns('acme', 'widgets', 'main')).toEqual([expect.objectContaining({ name: 'build', state: 'pending' })]);
  });

  it('asks again conditionally, and a 304 costs no rate limit', async () => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice', labels: ['lgtm'] });
    fake.addCheckRun(REPO, MAIN(), { name: 'build', conclusion: 'success' });
    const client = tokenClient();
    const readAll = () =>
      Promise.all([
        client.searchPullRequests('is:pr state:open label:lgtm repo:acme/widgets'),
        client.getPullRequest('acme', 'widgets', 1),
        client.getBranchHeadSha('acme', 'widgets', 'main'),
        client.listCheckRuns('acme', 'widgets', 'main'),
      ]);
    const first = await readAll();
    const again = await readAll();
    expect(again).toEqual(first);
    const second = fake.requests.slice(4);
    expect(second.map((request) => request.status)).toEqual([304, 304, 304, 304]);
  });
});

describe('the outbox writer’s clients', () => {
  beforeEach(() => {
    fake.addPullRequest(REPO, { number: 1, author: 'alice' });
  });

  function writerClient(): GitHubClient {
    return new GitHubClients({ ...connection(), auth: { token: TOKEN } }).writerClientForInstallation();
  }

  it('hand a secondary rate limit straight back with GitHub’s Retry-After, without waiting or retrying', async () => {
    fake.failNext('POST', /\/labels$/, secondaryRateLimit(3600));
    const error = await failure(writerClient().addLabels('acme', 'widgets', 1, ['lgtm']));
    expect(error.status).toBe(403);
    expect(error.rateLimit).toEqual({ secondary: true, retryAfterMs: 3_600_000 });
    expect(fake.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('hand a spent primary quota back with its reset time', async () => {
    const resetAt = new Date(Math.ceil((Date.now() + 1_800_000) / 1000) * 1000);
    fake.failNext('POST', /\/comments$/, primaryRateLimit(resetAt));
    const error = await failure(writerClient().createComment('acme', 'widgets', 1, 'hello'));
    expect(error.rateLimit).toEqual({ secondary: false, resetAt: resetAt.getTime() });
    expect(fake.comments(REPO, 1)).toEqual([]);
  });

  it('say nothing of rate limits for a 403 that is a missing permission', async () => {
    fake.failNext('POST', /\/labels$/, { status: 403, body: { message: 'Resource not accessible by integration' } });
    const error = await failure(writerClient().addLabels('acme', 'widgets', 1, ['lgtm']));
    expect(error.rateLimit).toBeUndefined();
  });

  it('retry a 5xx once, promptly', async () => {
    fake.failNext('POST', /\/labels$/, { status: 502, body: { message: 'Bad Gateway' } }, 5);
    const error = await failure(writerClient().addLabels('acme', 'widgets', 1, ['lgtm']));
    expect(error.status).toBe(502);
    expect(fake.requests.map((request) => request.status)).toEqual([502, 502]);
  });

  it('do not pace writes: they go out as they are sent, even at once (the writer paces)', async () => {
    fake.setWriteDelay(100);
    // Pacing on, as in production: the standard clients would send these one at a time.
    const client = new GitHubClients({ ...connection(), pacing: true, auth: { token: TOKEN } }).writerClientForInstallation();
    await Promise.all(Array.from({ length: 4 }, (_, index) => client.addLabels('acme', 'widgets', 1, [`label-${index}`])));
    expect(fake.labels(REPO, 1)).toHaveLength(4);
    expect(fake.counters().peakConcurrentWrites).toBeGreaterThan(1);
  });

  it('count every write request a call makes, retries and one-by-one review requests included, reads and token minting not', async () => {
    fake.addCollaborator(REPO, 'bob');
    const client = writerClient();
    const tally = { requests: 0 };
    fake.failNext('POST', /\/labels$/, { status: 502, body: { message: 'Bad Gateway' } });
    await countingWriteRequests(tally, () => client.addLabels('acme', 'widgets', 1, ['lgtm']));
    expect(tally.requests).toBe(2);
    await countingWriteRequests(tally, () => client.listComments('acme', 'widgets', 1));
    expect(tally.requests).toBe(2);
    const refused = await countingWriteRequests(tally, () => client.requestReviewers('acme', 'widgets', 1, ['bob', 'mallory'])).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ReviewRequestRefusedError);
    // The joint request, then bob's and mallory's on their own.
    expect(tally.requests).toBe(5);
  });
});

describe('GitHub client as a GitHub App installation', () => {
  let privateKey: string;
  let publicKey: KeyObject;

  beforeEach(() => {
    // GitHub issues App keys as PKCS#1 PEM.
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    publicKey = pair.publicKey;
  });

  function jwtOf(authorization: string | undefined): { iss: unknown; signedBy: boolean } {
    const [scheme, jwt] = (authorization ?? '').split(' ');
    expect(scheme?.toLowerCase()).toBe('bearer');
    const [header, payload, signature] = (jwt ?? '').split('.');
    const signedBy = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature ?? '', 'base64url'),
    );
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss: unknown };
    return { iss: claims.iss, signedBy };
  }

  it('gets an installation token with a signed JWT, uses it, and keeps it', async () => {
    fake.addIssue(REPO, { number: 1, author: 'alice' });
    const client = createGitHubClient({ ...connection(), auth: { appId: 42, privateKey, installationId: 7 } });

    const comment = await client.createComment('acme', 'widgets', 1, 'from the app');
    await client.addLabels('acme', 'widgets', 1, ['triage/accepted']);
    expect(comment.user.login).toBe('cutwater[bot]');
    expect(await client.botLogin()).toBe('cutwater[bot]');

    const tokenRequests = fake.requests.filter((request) => request.path === '/app/installations/7/access_tokens');
    expect(tokenRequests).toHaveLength(1);
    expect(jwtOf(tokenRequests[0]?.authorization)).toEqual({ iss: 42, signedBy: true });

    const repoRequests = fake.requests.filter((request) => request.path.startsWith('/repos/'));
    expect(repoRequests).toHaveLength(2);
    for (const request of repoRequests) expect(request.authorization).toMatch(/^token ghs_[0-9a-f]{36}$/);

    const appRequest = fake.requests.find((request) => request.path === '/app');
    expect(jwtOf(appRequest?.authorization).signedBy).toBe(true);
  });

  it('keeps one client per installation and asks for each installation’s token', async () => {
    fake.addIssue(REPO, { number: 1, author: 'alice' });
    const clients = new GitHubClients({ ...connection(), auth: { appId: '42', privateKey } });
    const first = clients.clientForInstallation(7);
    expect(clients.clientForInstallation(7)).toBe(first);
    const second = clients.clientForInstallation(8);
    expect(second).not.toBe(first);
    await first.getIssue('acme', 'widgets', 1);
    await second.getIssue('acme', 'widgets', 1);
    expect(
      fake.requests.filter((request) => request.route?.includes('access_tokens')).map((request) => request.path),
    ).toEqual(['/app/installations/7/access_tokens', '/app/installations/8/access_tokens']);
    expect(await first.botLogin()).toBe(await second.botLogin());
    expect(fake.requests.filter((request) => request.path === '/app')).toHaveLength(1);
    expect(() => clients.clientForInstallation()).toThrow(/no GitHub App installation ID/);
  });

  it('gives the outbox writer clients of its own per installation, with their own installation token', async () => {
    fake.addIssue(REPO, { number: 1, author: 'alice' });
    const clients = new GitHubClients({ ...connection(), auth: { appId: '42', privateKey } });
    const writer = clients.writerClientForInstallation(7);
    expect(clients.writerClientForInstallation(7)).toBe(writer);
    expect(writer).not.toBe(clients.clientForInstallation(7));
    const tally = { requests: 0 };
    await countingWriteRequests(tally, () => writer.addLabels('acme', 'widgets', 1, ['lgtm']));
    expect(tally.requests).toBe(1);
    expect(fake.labels(REPO, 1)).toEqual(['lgtm']);
    expect(await writer.botLogin()).toBe('cutwater[bot]');
    expect(() => clients.writerClientForInstallation()).toThrow(/no GitHub App installation ID/);
  });

  it('returns the one token client whatever the installation', () => {
    const clients = new GitHubClients({ ...connection(), auth: { token: TOKEN } });
    expect(clients.clientForInstallation(7)).toBe(clients.clientForInstallation());
  });

  it('reports a refused installation token without the key or the JWT', async () => {
    fake.failNext('POST', /access_tokens$/, { status: 401, body: { message: 'Bad credentials' } });
    const client = createGitHubClient({ ...connection(), auth: { appId: 42, privateKey, installationId: 7 } });
    const error = await failure(client.getIssue('acme', 'widgets', 1));
    expect(error.status).toBe(401);
    expect(error.request).toBe('POST /app/installations/7/access_tokens');
    const jwt = (fake.requests[0]?.authorization ?? '').split(' ')[1] ?? '';
    expect(jwt.length).toBeGreaterThan(100);
    const everything = JSON.stringify({ error, stack: error.stack, ...error });
    expect(everything).not.toContain(jwt);
    expect(everything).not.toContain('PRIVATE KEY');
  });

  it('refuses a private key that is not PEM, without echoing it', () => {
    expect(() =>
      createGitHubClient({ ...connection(), auth: { appId: 42, privateKey: 'hunter2-not-a-key', installationId: 7 } }),
    ).toThrow(/^(?!.*hunter2).*not a PEM private key/);
  });
});

describe('githubAuthFromEnv', () => {
  const tree = useTempTrees('github-auth');
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n';

  it('is undefined when nothing is set', () => {
    expect(githubAuthFromEnv({})).toBeUndefined();
    expect(githubAuthFromEnv({ GITHUB_TOKEN: '  ', GITHUB_APP_ID: '' })).toBeUndefined();
  });

  it('reads a token', () => {
    expect(githubAuthFromEnv({ GITHUB_TOKEN: TOKEN })).toEqual({ token: TOKEN });
  });

  it('reads an App with an inline key, turning escaped newlines back into newlines', () => {
    const escaped = pem.replace(/\n/g, '\\n');
    expect(
      githubAuthFromEnv({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: escaped, GITHUB_APP_INSTALLATION_ID: '7' }),
    ).toEqual({ appId: '42', privateKey: pem, installationId: 7 });
  });

  it('reads an App key from a file, and prefers the App to a stray token', () => {
    const dir = tree({ 'app.pem': pem });
    expect(
      githubAuthFromEnv({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY_FILE: `${dir}/app.pem`, GITHUB_TOKEN: TOKEN }),
    ).toEqual({ appId: '42', privateKey: pem });
  });

  it('says what is missing when an App is half configured', () => {
    expect(() => githubAuthFromEnv({ GITHUB_APP_ID: '42' })).toThrow(
      'GITHUB_APP_ID is set but its private key is not: set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE',
    );
    expect(() => githubAuthFromEnv({ GITHUB_APP_PRIVATE_KEY: pem })).toThrow(
      'GITHUB_APP_PRIVATE_KEY set but GITHUB_APP_ID is not: set GITHUB_APP_ID for GitHub App authentication',
    );
    expect(() => githubAuthFromEnv({ GITHUB_APP_INSTALLATION_ID: '7', GITHUB_TOKEN: TOKEN })).toThrow(/GITHUB_APP_ID is not/);
    expect(() =>
      githubAuthFromEnv({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: pem, GITHUB_APP_PRIVATE_KEY_FILE: '/key.pem' }),
    ).toThrow('both GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_FILE are set: set only one');
    expect(() =>
      githubAuthFromEnv({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: pem, GITHUB_APP_INSTALLATION_ID: 'seven' }),
    ).toThrow('GITHUB_APP_INSTALLATION_ID must be a positive integer, not "seven"');
  });

  it('names an unreadable key file but never shows a key', () => {
    const dir = tree({});
    expect(() => githubAuthFromEnv({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY_FILE: `${dir}/absent.pem` })).toThrow(
      `cannot read GITHUB_APP_PRIVATE_KEY_FILE ${dir}/absent.pem: ENOENT`,
    );
    expect(() => githubAuthFromEnv({ GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: 'sekrit' })).toThrow(
      /^(?!.*sekrit).*not a PEM private key/,
    );
  });
});

describe('fake GitHub', () => {
  it('requires credentials, answers unknown routes 404, and records both', async () => {
    const anonymous = await fetch(`${fake.url}/repos/acme/widgets/pulls/1`);
    expect(anonymous.status).toBe(401);
    const unknown = await fetch(`${fake.url}/repos/acme/widgets/deployments?x=1`, { headers: { authorization: 'token t' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: 'Not Found' });
    expect(fake.requests).toEqual([
      expect.objectContaining({ method: 'GET', path: '/repos/acme/widgets/pulls/1', status: 401, authorization: undefined }),
      expect.objectContaining({ path: '/repos/acme/widgets/deployments', query: { x: '1' }, status: 404, route: undefined }),
    ]);
  });

  it('pages lists 30 at a time by default with Link headers', async () => {
    fake.addPullRequest(REPO, {
      number: 1,
      author: 'alice',
      files: Array.from({ length: 45 }, (_, index) => ({ filename: `f${index}` })),
    });
    const first = await fetch(`${fake.url}/repos/acme/widgets/pulls/1/files`, { headers: { authorization: 'token t' } });
    expect(((await first.json()) as unknown[]).length).toBe(30);
    expect(first.headers.get('link')).toContain('page=2>; rel="next"');
    const second = await fetch(`${fake.url}/repos/acme/widgets/pulls/1/files?page=2`, { headers: { authorization: 'token t' } });
    expect(((await second.json()) as unknown[]).length).toBe(15);
    expect(second.headers.get('link')).not.toContain('rel="next"');
  });

  it('refuses an installation token on App routes and a JWT elsewhere', async () => {
    const withToken = await fetch(`${fake.url}/app`, { headers: { authorization: 'token t' } });
    expect(withToken.status).toBe(401);
    const jwtShaped = `bearer ${Buffer.from('{}').toString('base64url')}.${Buffer.from('{"iss":"1"}').toString('base64url')}.sig`;
    const withJwt = await fetch(`${fake.url}/repos/acme/widgets/labels`, { headers: { authorization: jwtShaped } });
    expect(withJwt.status).toBe(401);
  });
});

describe('GitHub client against the fake GitHub: issue management and release refs', () => {
  it('pins, unpins and transfers issues through GraphQL, and reports GraphQL refusals as GitHubErrors', async () => {
    const client = tokenClient();
    fake.addRepo('acme/gadgets');
    fake.addIssue(REPO, { number: 3, author: 'alice', title: 'Sprockets squeak' });
    await client.pinIssue('acme', 'widgets', 3);
    expect(fake.pinnedIssues(REPO)).toEqual([3]);
    await client.unpinIssue('acme', 'widgets', 3);
    expect(fake.pinnedIssues(REPO)).toEqual([]);
    expect(await client.transferIssue('acme', 'widgets', 3, 'gadgets')).toBe('https://github.com/acme/gadgets/issues/1');
    expect(fake.issue('acme/gadgets', 1).title).toBe('Sprockets squeak');
    fake.addPullRequest(REPO, { number: 4, author: 'alice' });
    await expect(client.pinIssue('acme', 'widgets', 4)).rejects.toBeInstanceOf(GitHubError);
  });

  it('lists tags, and edits a description', async () => {
    const client = tokenClient();
    fake.addTag(REPO, 'v1.0.0');
    fake.addTag(REPO, 'v1.1.0');
    expect((await client.listTags('acme', 'widgets')).sort()).toEqual(['v1.0.0', 'v1.1.0']);
    fake.addIssue(REPO, { number: 5, author: 'alice', body: 'old' });
    await client.updateIssue('acme', 'widgets', 5, { body: 'Fixes #3' });
    expect(fake.issue(REPO, 5).body).toBe('Fixes #3');
  });

  it('finds GraphQL beside the REST API, on github.com and on Enterprise Server', () => {
    expect(graphqlUrl('https://api.github.com')).toBe('https://api.github.com/graphql');
    expect(graphqlUrl('https://ghe.example.com/api/v3/')).toBe('https://ghe.example.com/api/graphql');
  });
});
