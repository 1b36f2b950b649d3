import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubClients, type GitHubConnectionOptions } from '../../../shared/github/octokit';
import { ResponseCache } from '../../../shared/github/response-cache';
import { startFakeGitHub, type FakeGitHub, type RecordedRequest } from '../../support/fake-github';

const TOKEN = 'ghp_T0kenForConditionalReads1234567890ab';
const REPO = 'acme/widgets';

let fake: FakeGitHub;

function connection(extra: Partial<GitHubConnectionOptions> = {}): GitHubConnectionOptions {
  return { baseUrl: fake.url, retryAfterBaseMs: 1, pacing: false, ...extra };
}

function tokenClients(extra: Partial<GitHubConnectionOptions> = {}): GitHubClients {
  return new GitHubClients({ ...connection(extra), auth: { token: TOKEN } });
}

/** The requests for exactly this path, as status and whether they were conditional. */
function exchanges(path: string): { status: number; conditional: boolean }[] {
  return fake.requests
    .filter((request: RecordedRequest) => request.path === path)
    .map((request) => ({ status: request.status, conditional: request.ifNoneMatch !== undefined }));
}

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addRepo(REPO);
});

afterEach(async () => {
  await fake.close();
});

describe('conditional reads against the fake GitHub', () => {
  it('answers a second read of an unchanged pull request from the cache after a 304', async () => {
    fake.addPullRequest(REPO, { number: 7, author: 'alice', title: 'Add sprockets', labels: ['kind/feature'] });
    const client = tokenClients().clientForInstallation();

    const first = await client.getPullRequest('acme', 'widgets', 7);
    const second = await client.getPullRequest('acme', 'widgets', 7);

    expect(second).toEqual(first);
    expect(second.title).toBe('Add sprockets');
    expect(exchanges('/repos/acme/widgets/pulls/7')).toEqual([
      { status: 200, conditional: false },
      { status: 304, conditional: true },
    ]);
  });

  it('returns the new content once the resource has changed', async () => {
    fake.addIssue(REPO, { number: 3, author: 'alice', labels: ['bug'] });
    const client = tokenClients().clientForInstallation();

    expect(await client.listIssueLabels('acme', 'widgets', 3)).toEqual(['bug']);
    expect(await client.listIssueLabels('acme', 'widgets', 3)).toEqual(['bug']);
    await client.addLabels('acme', 'widgets', 3, ['lgtm']);
    expect(await client.listIssueLabels('acme', 'widgets', 3)).toEqual(['bug', 'lgtm']);
    expect(await client.listIssueLabels('acme', 'widgets', 3)).toEqual(['bug', 'lgtm']);

    expect(exchanges('/repos/acme/widgets/issues/3/labels').filter((exchange) => exchange.status !== 200 || exchange.conditional)).toEqual([
      { status: 304, conditional: true },
      { status: 200, conditional: true },
      { status: 304, conditional: true },
    ]);
  });

  it('revalidates each page of a list on its own and still lists every item', async () => {
    fake.addIssue(REPO, { number: 1, author: 'alice' });
    for (let index = 0; index < 130; index++) fake.addComment(REPO, 1, 'bob', `comment ${index}`);
    const client = tokenClients().clientForInstallation();

    const first = await client.listComments('acme', 'widgets', 1);
    fake.addComment(REPO, 1, 'bob', 'one more');
    const second = await client.listComments('acme', 'widgets', 1);

    expect(first).toHaveLength(130);
    expect(second.map((comment) => comment.body)).toEqual([...first.map((comment) => comment.body), 'one more']);
    const pages = fake.requests
      .filter((request) => request.path === '/repos/acme/widgets/issues/1/comments')
      .map((request) => ({ page: request.query.page, status: request.status }));
    // The first page is unchanged; the second has gained a comment.
    expect(pages).toEqual([
      { page: '1', status: 200 },
      { page: '2', status: 200 },
      { page: '1', status: 304 },
      { page: '2', status: 200 },
    ]);
  });

  it('never answers one URL with another’s body: another ref is its own read', async () => {
    fake.setFile(REPO, 'OWNERS', 'approvers: [alice]');
    fake.setFile(REPO, 'OWNERS', 'approvers: [bob]', 'feature');
    const client = tokenClients().clientForInstallation();

    expect(await client.getFileContent('acme', 'widgets', 'OWNERS')).toBe('approvers: [alice]');
    expect(await client.getFileContent('acme', 'widgets', 'OWNERS', 'feature')).toBe('approvers: [bob]');
    expect(await client.getFileContent('acme', 'widgets', 'OWNERS')).toBe('approvers: [alice]');
    expect(exchanges('/repos/acme/widgets/contents/OWNERS')).toEqual([
      { status: 200, conditional: false },
      { status: 200, conditional: false },
      { status: 304, conditional: true },
    ]);
  });

  it('never shows one installation what another read', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    fake.addPullRequest(REPO, { number: 7, author: 'alice' });
    const clients = new GitHubClients({ ...connection(), auth: { appId: 42, privateKey } });

    await clients.clientForInstallation(7).getPullRequest('acme', 'widgets', 7);
    await clients.clientForInstallation(8).getPullRequest('acme', 'widgets', 7);
    await clients.clientForInstallation(8).getPullRequest('acme', 'widgets', 7);

    const reads = fake.requests.filter((request) => request.path === '/repos/acme/widgets/pulls/7');
    // Installation 8's first read asks unconditionally, although installation 7 has the answer.
    expect(reads.map((request) => ({ status: request.status, conditional: request.ifNoneMatch !== undefined }))).toEqual([
      { status: 200, conditional: false },
      { status: 200, conditional: false },
      { status: 304, conditional: true },
    ]);
    expect(reads[1]?.authorization).not.toBe(reads[0]?.authorization);
    expect(reads[2]?.authorization).toBe(reads[1]?.authorization);
  });

  it('does not keep an answer GitHub marks no-store', async () => {
    fake.addPullRequest(REPO, { number: 7, author: 'alice' });
    fake.noStore(/\/pulls\/7$/);
    const client = tokenClients().clientForInstallation();

    await client.getPullRequest('acme', 'widgets', 7);
    await client.getPullRequest('acme', 'widgets', 7);

    expect(exchanges('/repos/acme/widgets/pulls/7')).toEqual([
      { status: 200, conditional: false },
      { status: 200, conditional: false },
    ]);
  });

  it('does not keep an error answer', async () => {
    const client = tokenClients().clientForInstallation();

    expect(await client.getFileContent('acme', 'widgets', 'missing.txt')).toBeUndefined();
    fake.setFile(REPO, 'missing.txt', 'here now');
    expect(await client.getFileContent('acme', 'widgets', 'missing.txt')).toBe('here now');

    expect(exchanges('/repos/acme/widgets/contents/missing.txt')).toEqual([
      { status: 404, conditional: false },
      { status: 200, conditional: false },
    ]);
  });

  it('asks unconditionally when the cache is turned off', async () => {
    fake.addPullRequest(REPO, { number: 7, author: 'alice' });
    const client = tokenClients({ cacheBytes: 0 }).clientForInstallation();

    await client.getPullRequest('acme', 'widgets', 7);
    await client.getPullRequest('acme', 'widgets', 7);

    expect(exchanges('/repos/acme/widgets/pulls/7').every((exchange) => !exchange.conditional)).toBe(true);
  });
});

describe('ResponseCache', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };

  it('keeps a revalidatable 200 per identity, URL and media type', () => {
    const cache = new ResponseCache();
    const key = cache.key('installation-7', 'https://api.github.com/repos/a/b/pulls/1', { accept: 'application/vnd.github+json' });
    cache.remember(key, 200, 'https://api.github.com/repos/a/b/pulls/1', { ...json, etag: 'W/"1"' }, { number: 1 });

    expect(cache.lookUp(key)?.etag).toBe('W/"1"');
    expect(cache.lookUp(cache.key('installation-8', 'https://api.github.com/repos/a/b/pulls/1', { accept: 'application/vnd.github+json' }))).toBeUndefined();
    expect(cache.lookUp(cache.key('installation-7', 'https://api.github.com/repos/a/b/pulls/1', { accept: 'application/vnd.github.diff' }))).toBeUndefined();
    expect(cache.lookUp(cache.key('installation-7', 'https://api.github.com/repos/a/b/pulls/1?page=2', { accept: 'application/vnd.github+json' }))).toBeUndefined();
  });

  it('keeps nothing GitHub cannot revalidate, and forgets a key answered so', () => {
    const cache = new ResponseCache();
    const key = cache.key('token-x', 'https://api.github.com/user', {});
    cache.remember(key, 200, 'u', { ...json, etag: '"1"' }, {});
    cache.remember(key, 200, 'u', json, {});
    expect(cache.lookUp(key)).toBeUndefined();
    cache.remember(key, 200, 'u', { ...json, etag: '"1"', 'cache-control': 'private, no-store' }, {});
    expect(cache.lookUp(key)).toBeUndefined();
    cache.remember(key, 404, 'u', { ...json, etag: '"1"' }, {});
    expect(cache.lookUp(key)).toBeUndefined();
  });

  it('stays within its bytes, letting the least recently used answers go first', () => {
    const cache = new ResponseCache({ maxBytes: 4000 });
    const body = { text: 'x'.repeat(1000) };
    const keys = ['a', 'b', 'c'].map((name) => cache.key('token-x', `https://api.github.com/${name}`, {}));
    for (const key of keys) cache.remember(key, 200, key, { ...json, etag: '"e"' }, body);
    // Three entries of about 1.6 kB each do not fit in 4 kB; the oldest went.
    expect(cache.lookUp(keys[0]!)).toBeUndefined();
    expect(cache.lookUp(keys[1]!)).toBeDefined();
    expect(cache.lookUp(keys[2]!)).toBeDefined();
    expect(cache.stats.bytes).toBeLessThanOrEqual(4000);
  });
});
