import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { startLocalWriters, type LocalWriters } from '../../../shared/outbox/local-writers';
import { OutboxWriter, writerClientsOf } from '../../../shared/outbox/writer';
import { EmbeddedStore } from '../../../shared/store/embedded';
import type { GitHubWrite } from '../../../shared/store/outbox';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';
import { waitFor } from '../../support/wait';

/** Local mode's writers, on real time: a kick drains at once, the sweep finds what nobody kicked. */

const REPO = 'acme/widgets';
let github: FakeGitHub;
let store: EmbeddedStore;
let writers: LocalWriters | undefined;

const label = (name: string): GitHubWrite => ({ kind: 'addLabel', owner: 'acme', repo: 'widgets', number: 1, label: name });
const status = (context: string): GitHubWrite => ({ kind: 'createStatus', owner: 'acme', repo: 'widgets', sha: 'b'.repeat(40), context, state: 'success' });

function start(options: { sweepMs?: number; perMinute?: number } = {}): LocalWriters {
  const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'local-token' }, retryAfterBaseMs: 1 });
  const log = memoryLogger();
  const writer = new OutboxWriter({
    outbox: store.outbox,
    github: writerClientsOf(clients),
    log,
    coalesceWindowMs: 0,
    ...(options.perMinute ? { limits: { windows: [{ max: options.perMinute, ms: 60_000 }] } } : {}),
  });
  writers = startLocalWriters({ writer, outbox: store.outbox, log, sweepMs: options.sweepMs ?? 60_000 });
  return writers;
}

async function enqueue(id: string, write: GitHubWrite): Promise<void> {
  await store.outbox.enqueue([{ id, installation: 'token', write, cause: 'test' }]);
}

beforeEach(async () => {
  github = await startFakeGitHub();
  github.addPullRequest(REPO, { number: 1, author: 'alice' });
  store = EmbeddedStore.open();
});

afterEach(async () => {
  await writers?.stop();
  writers = undefined;
  await github.close();
  await store.close();
});

describe('local writers', () => {
  it('send an installation’s writes when kicked', async () => {
    const { kick } = start();
    await enqueue('l1', label('lgtm'));
    kick('token');
    await waitFor(() => github.labels(REPO, 1).includes('lgtm'), 'the label');
    await waitFor(async () => (await store.outbox.get('token', 'l1'))?.state === 'sent', 'the write to be settled');
  });

  it('find writes nobody kicked for on their next sweep', async () => {
    start({ sweepMs: 50 });
    await enqueue('l1', label('approved'));
    await waitFor(() => github.labels(REPO, 1).includes('approved'), 'the label');
  });

  it('stop without losing the writes a drain was waiting to send', async () => {
    const { kick, stop } = start({ perMinute: 1 });
    await enqueue('s1', status('ci/one'));
    await enqueue('s2', status('ci/two'));
    kick('token');
    await waitFor(() => github.statuses(REPO, 'b'.repeat(40)).length === 1, 'the first status');
    // The second may go only a minute after the first: the drain is waiting for it.
    await stop();
    writers = undefined;
    expect(github.statuses(REPO, 'b'.repeat(40))).toHaveLength(1);
    const waiting = await store.outbox.get('token', 's2');
    expect(waiting?.state).toBe('pending');
    expect(await store.outbox.stats()).toEqual([expect.objectContaining({ installation: 'token', depth: 1 })]);
  });
});
