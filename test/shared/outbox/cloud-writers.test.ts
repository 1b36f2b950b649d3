import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY, PermanentMessageError, TOPICS, type OutgoingMessage, type ReceivedMessage } from '../../../shared/bus/bus';
import { InProcessBus } from '../../../shared/bus/in-process';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { handleWriterNudge, installationOfNudge, publishingNudge } from '../../../shared/outbox/cloud-writers';
import { OutboxWriter, writerClientsOf } from '../../../shared/outbox/writer';
import { GITHUB_WRITER_SUBSCRIPTION } from '../../../shared/runtime/deployment';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';
import { waitFor } from '../../support/wait';

/** Waking writers in the cloud: nudges on `github-writes`, each draining the installation it names. */

function received(attributes: Record<string, string>): ReceivedMessage {
  return { id: 'm1', data: Buffer.from(''), attributes, publishTime: new Date(), deliveryAttempt: 1 };
}

describe('publishingNudge', () => {
  it('publishes the installation to github-writes, one nudge at a time per installation', async () => {
    const published: { topic: string; message: OutgoingMessage }[] = [];
    const pending: (() => void)[] = [];
    const bus = {
      publish: async (topic: string, message: OutgoingMessage) => {
        published.push({ topic, message });
        await new Promise<void>((resolve) => pending.push(resolve));
        return 'id';
      },
    };
    const nudge = publishingNudge(bus, memoryLogger());
    nudge('42');
    // Still on its way, so it is delivered after these writes are stored too: no second message.
    nudge('42');
    nudge('7');
    expect(published.map(({ topic, message }) => [topic, message.attributes])).toEqual([
      [TOPICS.githubWrites, { installation: '42' }],
      [TOPICS.githubWrites, { installation: '7' }],
    ]);
    for (const release of pending.splice(0)) release();
    await waitFor(async () => {
      nudge('42');
      return published.length === 3;
    }, 'a new nudge once the first was published');
    for (const release of pending.splice(0)) release();
  });

  it('logs, and does not throw, when the nudge cannot be published: the tick wakes the writer later', async () => {
    const log = memoryLogger();
    const nudge = publishingNudge({ publish: () => Promise.reject(new Error('Pub/Sub unavailable')) }, log);
    expect(() => nudge('42')).not.toThrow();
    await waitFor(() => log.entries.some((entry) => entry.severity === 'WARNING' && entry.installation === '42'), 'the warning');
  });
});

describe('installationOfNudge', () => {
  it('reads the installation attribute', () => {
    expect(installationOfNudge(received({ installation: 'token' }))).toBe('token');
    expect(installationOfNudge(received({ installation: '1234' }))).toBe('1234');
  });

  it('dead-letters a message that names no installation', () => {
    expect(() => installationOfNudge(received({}))).toThrow(PermanentMessageError);
    expect(() => installationOfNudge(received({ installation: 'acme' }))).toThrow(/"installation" attribute/);
  });
});

describe('a nudge on the bus', () => {
  let github: FakeGitHub;
  let store: EmbeddedStore;
  let bus: InProcessBus;
  beforeEach(async () => {
    github = await startFakeGitHub();
    github.addPullRequest('acme/widgets', { number: 1, author: 'alice' });
    store = EmbeddedStore.open();
    bus = new InProcessBus();
  });
  afterEach(async () => {
    await bus.close();
    await github.close();
    await store.close();
  });

  it('drains the installation it names, as the github-writer function does', async () => {
    await bus.declare([TOPICS.githubWrites], [{ name: GITHUB_WRITER_SUBSCRIPTION, topic: TOPICS.githubWrites, ...DEFAULT_SUBSCRIPTION_POLICY }]);
    const log = memoryLogger();
    const writer = new OutboxWriter({
      outbox: store.outbox,
      github: writerClientsOf(new GitHubClients({ baseUrl: github.url, auth: { token: 'cloud-token' }, retryAfterBaseMs: 1 })),
      log,
      coalesceWindowMs: 0,
    });
    const subscriber = await bus.subscribe(GITHUB_WRITER_SUBSCRIPTION, async (message) => {
      await handleWriterNudge(writer, message, Date.now() + 60_000);
    });
    await store.outbox.enqueue([
      { id: 'l1', installation: 'token', write: { kind: 'addLabel', owner: 'acme', repo: 'widgets', number: 1, label: 'lgtm' }, cause: 'test' },
    ]);
    publishingNudge(bus, log)('token');
    await waitFor(() => github.labels('acme/widgets', 1).includes('lgtm'), 'the label');
    await subscriber.close();
  });
});
