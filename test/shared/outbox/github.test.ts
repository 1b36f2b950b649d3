import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { outboxGitHub } from '../../../shared/outbox/github';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { issueSubject } from '../../../shared/store/outbox';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';

/**
 * The outbox-backed client takes comments, labels and statuses into the outbox; a merge and a
 * trial merge are not writes to queue: they go to GitHub at once and answer with GitHub's answer.
 */

const REPO = 'acme/widgets';
let github: FakeGitHub;
let store: EmbeddedStore;

beforeEach(async () => {
  github = await startFakeGitHub();
  github.addPullRequest(REPO, { number: 1, author: 'alice', headSha: '1'.repeat(40), files: [{ filename: 'a.go' }] });
  github.addPullRequest(REPO, { number: 2, author: 'bob', headSha: '2'.repeat(40), files: [{ filename: 'b.go' }] });
  store = EmbeddedStore.open();
});

afterEach(async () => {
  await github.close();
  await store.close();
});

describe('the outbox-backed client', () => {
  it('merges and trial-merges straight away, while a comment before them waits in the outbox', async () => {
    const nudged: string[] = [];
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'token' }, retryAfterBaseMs: 1, pacing: false });
    const client = outboxGitHub({
      client: clients.clientForInstallation(),
      outbox: store.outbox,
      installation: 'token',
      cause: 'tide sync',
      nudge: (installation) => nudged.push(installation),
      log: memoryLogger(),
    });

    await client.createComment('acme', 'widgets', 2, 'Merging soon.');
    const base = github.branchHead(REPO, 'main') ?? '';
    const trial = await client.trialMerge('acme', 'widgets', base, [
      { number: 1, sha: '1'.repeat(40) },
      { number: 2, sha: '2'.repeat(40) },
    ]);
    expect(trial).toEqual({ merged: [1, 2], conflicting: [], alreadyIncluded: [] });
    const sha = await client.mergePullRequest('acme', 'widgets', 1, { sha: '1'.repeat(40), mergeMethod: 'merge' });

    expect(github.branchHead(REPO, 'main')).toBe(sha);
    expect(github.merges()).toEqual([expect.objectContaining({ number: 1, mergeCommitSha: sha })]);
    // The comment is still the writer's to send; nothing of the merge went through the outbox.
    expect(github.comments(REPO, 2)).toEqual([]);
    expect(nudged).toEqual(['token']);
    expect((await store.outbox.unsent('token', issueSubject('acme', 'widgets', 2))).map((entry) => entry.write.kind)).toEqual(['createComment']);
    expect(await store.outbox.unsent('token', issueSubject('acme', 'widgets', 1))).toEqual([]);
  });
});
