import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fake-github';

/**
 * The fake's secondary limits with compressed windows, which the burst bench relies on: a
 * "minute" of 2 s refuses the write beyond its limit as GitHub's minute would, and saying how long
 * to wait in whole seconds, then takes writes again once that short minute has passed.
 */

let github: FakeGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

describe('secondary limits over compressed windows', () => {
  it('refuses a write beyond the limit within the short minute, and takes writes again after it', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    github = await startFakeGitHub({ now: () => new Date(now), secondaryLimits: { perMinute: 2, minuteMs: 2_000, perHour: 100, hourMs: 120_000 } });
    github.addRepo('acme/widgets');
    github.addPullRequest('acme/widgets', { number: 1, author: 'alice' });
    const label = async (name: string) =>
      fetch(`${github!.url}/repos/acme/widgets/issues/1/labels`, {
        method: 'POST',
        headers: { authorization: 'token t', 'content-type': 'application/json' },
        body: JSON.stringify({ labels: [name] }),
      });

    expect((await label('a')).status).toBe(200);
    now += 500;
    expect((await label('b')).status).toBe(200);
    now += 500;
    const refused = await label('c');
    expect(refused.status).toBe(403);
    // The first write leaves the short minute 1 s from now.
    expect(refused.headers.get('retry-after')).toBe('1');

    now += 1_000;
    expect((await label('c')).status).toBe(200);
    expect(github.labels('acme/widgets', 1)).toEqual(['a', 'b', 'c']);
    expect(github.counters()).toMatchObject({ writes: 3, secondaryLimited: 1 });
  });
});

/** GitHub's JSON answers, as far as these tests read fields of them. */
interface ApiBody {
  [field: string]: unknown;
  items?: { number: number }[];
  errors?: { message: string }[];
  sha?: string;
  mergeable?: boolean | null;
  total_count?: number;
  check_runs?: unknown[];
}

/** One request to the fake's API as a token client makes it, and its answer. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: ApiBody | undefined }> {
  const response = await fetch(`${github!.url}${path}`, {
    method,
    headers: { authorization: 'token t', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as ApiBody) };
}

async function search(query: string, extra = ''): Promise<number[]> {
  const answer = await api('GET', `/search/issues?q=${encodeURIComponent(query)}${extra}`);
  expect(answer.status).toBe(200);
  return (answer.body?.items ?? []).map((item) => item.number).sort((a, b) => a - b);
}

describe('search, as Prow’s tide queries use it', () => {
  beforeEach(async () => {
    github = await startFakeGitHub();
    github.addRepo('acme/widgets');
    github.addRepo('acme/archive', { archived: true });
    github.addRepo('other/thing');
    github.addPullRequest('acme/widgets', { number: 1, author: 'alice', labels: ['lgtm', 'approved'], milestone: 'v1.2' });
    github.addPullRequest('acme/widgets', { number: 2, author: 'bob', labels: ['lgtm', 'approved', 'do-not-merge/hold'] });
    github.addPullRequest('acme/widgets', { number: 3, author: 'dependabot[bot]', labels: ['approved'], baseRef: 'release-1.0' });
    github.addPullRequest('acme/widgets', { number: 4, author: 'carol', labels: ['lgtm'], draft: true });
    github.addPullRequest('acme/archive', { number: 5, author: 'alice', labels: ['lgtm'] });
    github.addPullRequest('other/thing', { number: 6, author: 'alice', labels: ['lgtm'] });
    github.addIssue('acme/widgets', { number: 7, author: 'alice', labels: ['lgtm'] });
  });

  it('ANDs terms, ORs the scope qualifiers and a label list, and negates with a minus', async () => {
    expect(await search('is:pr label:"lgtm" label:"approved"')).toEqual([1, 2]);
    expect(await search('is:pr label:"lgtm","approved" repo:"acme/widgets"')).toEqual([1, 2, 3, 4]);
    expect(await search('is:pr label:lgtm -label:"do-not-merge/hold" org:"acme"')).toEqual([1, 4, 5]);
    expect(await search('is:pr label:lgtm repo:"acme/widgets" repo:"other/thing"')).toEqual([1, 2, 4, 6]);
    expect(await search('is:pr org:acme -repo:"acme/archive" -author:"alice"')).toEqual([2, 3, 4]);
    expect(await search('is:pr author:"dependabot[bot]"')).toEqual([3]);
  });

  it('knows archived repositories, bases, milestones, drafts, and open and closed', async () => {
    expect(await search('is:pr state:open archived:false label:lgtm')).toEqual([1, 2, 4, 6]);
    expect(await search('is:pr base:"release-1.0"')).toEqual([3]);
    expect(await search('is:pr -base:"release-1.0" org:acme archived:false')).toEqual([1, 2, 4]);
    expect(await search('is:pr milestone:"v1.2"')).toEqual([1]);
    expect(await search('is:pr is:draft')).toEqual([4]);
    expect(await search('is:pr -is:draft repo:acme/widgets')).toEqual([1, 2, 3]);
    expect(await search('is:issue label:lgtm')).toEqual([7]);
    await api('PATCH', '/repos/acme/widgets/pulls/2', { state: 'closed' });
    expect(await search('is:pr state:open repo:acme/widgets label:lgtm')).toEqual([1, 4]);
    expect(await search('is:pr is:closed')).toEqual([2]);
  });

  it('takes review:approved from each reviewer’s latest review, changes requested outweighing approval', async () => {
    github!.addReview('acme/widgets', 1, { user: 'rita', state: 'APPROVED' });
    github!.addReview('acme/widgets', 2, { user: 'rita', state: 'APPROVED' });
    github!.addReview('acme/widgets', 2, { user: 'sam', state: 'CHANGES_REQUESTED' });
    github!.addReview('acme/widgets', 3, { user: 'sam', state: 'CHANGES_REQUESTED' });
    github!.addReview('acme/widgets', 3, { user: 'sam', state: 'APPROVED' });
    github!.addReview('acme/widgets', 4, { user: 'rita', state: 'COMMENTED' });
    expect(await search('is:pr review:approved')).toEqual([1, 3]);
    expect(await search('is:pr review:changes_requested')).toEqual([2]);
    expect(await search('is:pr review:required repo:acme/widgets')).toEqual([4]);
  });

  it('refuses a qualifier it does not know, as GitHub refuses what it cannot search', async () => {
    const refused = await api('GET', `/search/issues?q=${encodeURIComponent('is:pr involves:alice')}`);
    expect(refused.status).toBe(422);
    expect(refused.body?.errors?.[0]?.message).toContain('involves:alice');
  });

  it('sorts by creation when asked, and answers no page past the first 1,000 results', async () => {
    expect(await api('GET', `/search/issues?q=is:pr&sort=created&order=asc&per_page=2`)).toMatchObject({
      status: 200,
      body: { total_count: 6, items: [{ number: 1 }, { number: 2 }] },
    });
    const beyond = await api('GET', `/search/issues?q=is:pr&per_page=100&page=11`);
    expect(beyond.status).toBe(422);
    expect(beyond.body?.errors?.[0]?.message).toBe('Only the first 1000 search results are available');
  });

  it('narrows by creation and update time', async () => {
    await github!.close();
    let now = Date.parse('2030-01-01T00:00:00Z');
    github = await startFakeGitHub({ now: () => new Date(now) });
    github.addPullRequest('acme/widgets', { number: 1, author: 'alice' });
    now += 86_400_000;
    github.addPullRequest('acme/widgets', { number: 2, author: 'alice' });
    now += 1000;
    github.addPullRequest('acme/widgets', { number: 3, author: 'alice' });
    expect(await search('is:pr created:2030-01-02')).toEqual([2, 3]);
    expect(await search('is:pr created:>=2030-01-02T00:00:01Z')).toEqual([3]);
    expect(await search('is:pr created:<2030-01-02')).toEqual([1]);
    expect(await search('is:pr updated:*..2030-01-01')).toEqual([1]);
  });
});

describe('merging, and the conflicts merges make', () => {
  const REPO = 'acme/widgets';
  beforeEach(async () => {
    github = await startFakeGitHub();
    github.addRepo(REPO, { mergeMethods: { rebase: false } });
    github.addPullRequest(REPO, { number: 1, author: 'alice', headSha: '1'.repeat(40), files: [{ filename: 'go.mod' }] });
    github.addPullRequest(REPO, { number: 2, author: 'bob', headSha: '2'.repeat(40), files: [{ filename: 'go.mod' }, { filename: 'b.go' }] });
    github.addPullRequest(REPO, { number: 3, author: 'carol', headSha: '3'.repeat(40), files: [{ filename: 'c.go' }] });
  });

  it('merges only the head asked for, moves the branch, closes the PR, and makes PRs touching its files conflict', async () => {
    expect(await api('PUT', `/repos/${REPO}/pulls/1/merge`, { sha: 'f'.repeat(40) })).toMatchObject({
      status: 409,
      body: { message: 'Head branch was modified. Review and try the merge again.' },
    });
    const before = github!.branchHead(REPO, 'main');
    const merged = await api('PUT', `/repos/${REPO}/pulls/1/merge`, { sha: '1'.repeat(40), merge_method: 'squash' });
    expect(merged).toMatchObject({ status: 200, body: { merged: true, sha: github!.branchHead(REPO, 'main') } });
    expect(merged.body?.sha).not.toBe(before);
    expect(github!.pullRequest(REPO, 1)).toMatchObject({ state: 'closed', merged: true, mergeCommitSha: merged.body?.sha });
    expect(github!.merges()).toEqual([expect.objectContaining({ number: 1, sha: '1'.repeat(40), mergeMethod: 'squash', baseShaBefore: before })]);
    expect(github!.pullRequest(REPO, 2)).toMatchObject({ mergeable: false, mergeableState: 'dirty' });
    expect(github!.pullRequest(REPO, 3)).toMatchObject({ mergeable: true, mergeableState: 'clean' });
    expect(await api('PUT', `/repos/${REPO}/pulls/2/merge`, {})).toMatchObject({ status: 405, body: { message: 'Pull Request is not mergeable' } });
    expect(await api('PUT', `/repos/${REPO}/pulls/1/merge`, {})).toMatchObject({ status: 405 });
  });

  it('resolves a conflict once the author rebases, and a push to the branch makes one', async () => {
    github!.pushToBranch(REPO, 'main', { files: ['c.go'] });
    expect(github!.pullRequest(REPO, 3).mergeableState).toBe('dirty');
    const head = github!.pushPullRequestHead(REPO, 3);
    expect(github!.pullRequest(REPO, 3)).toMatchObject({ headSha: head, mergeableState: 'dirty' });
    const rebased = github!.pushPullRequestHead(REPO, 3, { rebase: true, files: [{ filename: 'c.go' }, { filename: 'd.go' }] });
    expect(github!.pullRequest(REPO, 3)).toMatchObject({ headSha: rebased, mergeableState: 'clean' });
    expect((await api('GET', `/repos/${REPO}/pulls/3/files`)).body).toHaveLength(2);
  });

  it('refuses what GitHub refuses: a merge method the repository turned off, a draft, a block by branch protection', async () => {
    expect(await api('PUT', `/repos/${REPO}/pulls/3/merge`, { merge_method: 'rebase' })).toMatchObject({
      status: 405,
      body: { message: 'Rebase merges are not allowed on this repository.' },
    });
    expect(await api('PUT', `/repos/${REPO}/pulls/3/merge`, { merge_method: 'fast-forward' })).toMatchObject({ status: 422 });
    github!.setMergeability(REPO, 3, 'blocked');
    expect(github!.pullRequest(REPO, 3)).toMatchObject({ mergeable: true, mergeableState: 'blocked' });
    expect(await api('PUT', `/repos/${REPO}/pulls/3/merge`, {})).toMatchObject({ status: 405 });
    github!.setMergeability(REPO, 3, 'unstable');
    github!.addPullRequest(REPO, { number: 4, author: 'dave', draft: true });
    expect(github!.pullRequest(REPO, 4).mergeableState).toBe('draft');
    expect(await api('PUT', `/repos/${REPO}/pulls/4/merge`, {})).toMatchObject({ status: 405, body: { message: 'Pull Request is still a draft' } });
    // Unstable (a check that is not required failing) still merges; so does unknown, which GitHub computes on asking.
    expect(await api('PUT', `/repos/${REPO}/pulls/3/merge`, {})).toMatchObject({ status: 200 });
    github!.setMergeability(REPO, 2, 'unknown');
    expect(github!.pullRequest(REPO, 2).mergeable).toBeNull();
    expect(await api('PUT', `/repos/${REPO}/pulls/2/merge`, {})).toMatchObject({ status: 200 });
  });

  it('with lazy mergeability, says unknown once after the branch moves, then the answer', async () => {
    await github!.close();
    github = await startFakeGitHub({ lazyMergeability: true });
    github.addPullRequest(REPO, { number: 1, author: 'alice', files: [{ filename: 'a' }] });
    github.addPullRequest(REPO, { number: 2, author: 'bob', files: [{ filename: 'a' }] });
    expect((await api('GET', `/repos/${REPO}/pulls/2`)).body?.mergeable).toBe(true);
    await api('PUT', `/repos/${REPO}/pulls/1/merge`, {});
    expect((await api('GET', `/repos/${REPO}/pulls/2`)).body).toMatchObject({ mergeable: null, mergeable_state: 'unknown' });
    expect((await api('GET', `/repos/${REPO}/pulls/2`)).body).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
  });

  it('carries out a request whose answer it then loses', async () => {
    github!.loseNextAnswer('PUT', /\/merge$/);
    expect((await api('PUT', `/repos/${REPO}/pulls/3/merge`, {})).status).toBe(502);
    expect(github!.pullRequest(REPO, 3).merged).toBe(true);
  });
});

describe('git refs and merges between branches', () => {
  const REPO = 'acme/widgets';
  beforeEach(async () => {
    github = await startFakeGitHub();
    github.addPullRequest(REPO, { number: 1, author: 'alice', headSha: '1'.repeat(40), files: [{ filename: 'a' }] });
    github.addPullRequest(REPO, { number: 2, author: 'bob', headSha: '2'.repeat(40), files: [{ filename: 'a' }] });
  });

  it('creates, reads and deletes a branch, refusing what GitHub refuses', async () => {
    const main = github!.branchHead(REPO, 'main');
    expect(await api('POST', `/repos/${REPO}/git/refs`, { ref: 'refs/heads/scratch/x', sha: main })).toMatchObject({
      status: 201,
      body: { ref: 'refs/heads/scratch/x', object: { sha: main } },
    });
    expect(await api('POST', `/repos/${REPO}/git/refs`, { ref: 'refs/heads/scratch/x', sha: main })).toMatchObject({ status: 422 });
    expect(await api('POST', `/repos/${REPO}/git/refs`, { ref: 'refs/heads/y', sha: 'e'.repeat(40) })).toMatchObject({ status: 422 });
    expect(await api('POST', `/repos/${REPO}/git/refs`, { ref: 'scratch', sha: main })).toMatchObject({ status: 422 });
    expect(await api('GET', `/repos/${REPO}/git/ref/heads/scratch/x`)).toMatchObject({ status: 200, body: { object: { sha: main } } });
    expect(await api('GET', `/repos/${REPO}/git/ref/heads%2Fscratch%2Fx`)).toMatchObject({ status: 200 });
    expect(await api('GET', `/repos/${REPO}/branches/scratch%2Fx`)).toMatchObject({ status: 200, body: { name: 'scratch/x', commit: { sha: main } } });
    expect((await api('DELETE', `/repos/${REPO}/git/refs/heads%2Fscratch%2Fx`)).status).toBe(204);
    expect((await api('DELETE', `/repos/${REPO}/git/refs/heads/scratch/x`)).status).toBe(422);
    expect((await api('GET', `/repos/${REPO}/git/ref/heads/scratch/x`)).status).toBe(404);
    expect(github!.branches(REPO)).toEqual({ main });
  });

  it('merges heads into a branch: 201 merged, 204 already in, 409 a conflict, 404 an unknown head', async () => {
    const main = github!.branchHead(REPO, 'main');
    await api('POST', `/repos/${REPO}/git/refs`, { ref: 'refs/heads/trial', sha: main });
    const first = await api('POST', `/repos/${REPO}/merges`, { base: 'trial', head: '1'.repeat(40) });
    expect(first).toMatchObject({ status: 201, body: { parents: [{ sha: main }, { sha: '1'.repeat(40) }] } });
    expect(github!.branchHead(REPO, 'trial')).toBe(first.body?.sha);
    expect((await api('POST', `/repos/${REPO}/merges`, { base: 'trial', head: '1'.repeat(40) })).status).toBe(204);
    expect(await api('POST', `/repos/${REPO}/merges`, { base: 'trial', head: '2'.repeat(40) })).toMatchObject({ status: 409, body: { message: 'Merge conflict' } });
    expect((await api('POST', `/repos/${REPO}/merges`, { base: 'trial', head: '9'.repeat(40) })).status).toBe(404);
    expect((await api('POST', `/repos/${REPO}/merges`, { base: 'nope', head: '1'.repeat(40) })).status).toBe(404);
    // The trial branch moved; the base did not, and PR 2 still merges cleanly there.
    expect(github!.branchHead(REPO, 'main')).toBe(main);
    expect(github!.pullRequest(REPO, 2).mergeableState).toBe('clean');
  });
});

describe('check runs', () => {
  it('lists the latest run per name, or every run with filter=all', async () => {
    github = await startFakeGitHub();
    github.addRepo('acme/widgets');
    const sha = 'c'.repeat(40);
    github.addCheckRun('acme/widgets', sha, { name: 'build', conclusion: 'failure' });
    github.addCheckRun('acme/widgets', sha, { name: 'build', status: 'in_progress' });
    github.addCheckRun('acme/widgets', sha, { name: 'lint', conclusion: 'success' });
    const latest = await api('GET', `/repos/acme/widgets/commits/${sha}/check-runs`);
    expect(latest.body?.total_count).toBe(2);
    expect(latest.body?.check_runs).toEqual([
      expect.objectContaining({ name: 'build', status: 'in_progress', conclusion: null, head_sha: sha }),
      expect.objectContaining({ name: 'lint', status: 'completed', conclusion: 'success' }),
    ]);
    expect((await api('GET', `/repos/acme/widgets/commits/${sha}/check-runs?filter=all`)).body?.total_count).toBe(3);
  });
});
