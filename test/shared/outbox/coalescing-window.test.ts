import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { OutboxWriter, writerClientsOf } from '../../../shared/outbox/writer';
import { EmbeddedStore } from '../../../shared/store/embedded';
import type { GitHubWrite } from '../../../shared/store/outbox';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';

/**
 * The writer's coalescing window, on the real clock: a write waits that long in the outbox, so
 * the command that undoes it, arriving moments later, cancels it there and GitHub sees neither.
 */
const REPO = 'acme/widgets';
const hold = (kind: 'addLabel' | 'removeLabel'): GitHubWrite => ({ kind, owner: 'acme', repo: 'widgets', number: 3, label: 'do-not-merge/hold' });

describe('the coalescing window', () => {
  let github: FakeGitHub;
  let store: EmbeddedStore;
  let writer: OutboxWriter;
  beforeEach(async () => {
    github = await startFakeGitHub();
    github.addRepo(REPO);
    github.addPullRequest(REPO, { number: 3, author: 'alice' });
    store = EmbeddedStore.open();
    const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'window-token' }, retryAfterBaseMs: 1 });
    writer = new OutboxWriter({ outbox: store.outbox, github: writerClientsOf(clients), log: memoryLogger(), coalesceWindowMs: 400 });
  });
  afterEach(async () => {
    await store.close();
    await github.close();
  });

  const writes = () => github.requests.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.path}`);

  it('sends nothing for a label added and removed within the window, though the writer was already draining', async () => {
    await store.outbox.enqueue([{ id: 'hold', installation: 'token', write: hold('addLabel'), changesState: true, cause: 'delivery 1' }]);
    const draining = writer.drain('token', { deadline: Date.now() + 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const outcome = await store.outbox.enqueue([{ id: 'unhold', installation: 'token', write: hold('removeLabel'), changesState: true, cause: 'delivery 2' }]);
    await draining;
    expect(outcome.saved).toBe(2);
    expect(writes()).toEqual([]);
    expect(github.labels(REPO, 3)).toEqual([]);
  });

  it('sends a write nobody undoes once the window has passed', async () => {
    await store.outbox.enqueue([{ id: 'hold', installation: 'token', write: hold('addLabel'), changesState: true, cause: 'delivery 1' }]);
    const report = await writer.drain('token', { deadline: Date.now() + 10_000 });
    expect(report.sent).toBe(1);
    expect(writes()).toEqual([`POST /repos/${REPO}/issues/3/labels`]);
    expect(github.labels(REPO, 3)).toEqual(['do-not-merge/hold']);
  });
});
