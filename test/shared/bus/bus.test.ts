import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY, PermanentMessageError } from '../../../shared/bus/bus';
import { InProcessBus } from '../../../shared/bus/in-process';
import { PubSubBus } from '../../../shared/bus/pubsub';
import { startPubSubEmulator, type RunningEmulator } from '../../support/emulators';
import { issueComment } from '../../support/payloads';
import { waitFor } from '../../support/wait';
import { describeBusContract } from './bus.contract';

describeBusContract('in-process', async () => {
  const bus = new InProcessBus();
  return { bus, cleanup: () => bus.close() };
});

describeBusContract(
  'in-process (durable, data dir)',
  async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-bus-'));
    const first = new InProcessBus({ dataDir });
    const opened = [first];
    return {
      bus: first,
      reopen: async () => {
        const bus = new InProcessBus({ dataDir });
        opened.push(bus);
        return bus;
      },
      cleanup: async () => {
        for (const bus of opened) await bus.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
  { durable: true },
);

/**
 * In-process buses journaled in one temporary data dir, as a restart of local mode sees it: each
 * `open()` is another process's bus on the same dir; all are closed and the dir removed after the test.
 */
function busesInTempDir(): { dataDir: string; open: () => InProcessBus } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-bus-'));
  const buses: InProcessBus[] = [];
  onTestFinished(async () => {
    for (const bus of buses) await bus.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    open: () => {
      const bus = new InProcessBus({ dataDir });
      buses.push(bus);
      return bus;
    },
  };
}

// Beyond the contract: the journal's compaction, which only the durable in-process bus has.
describe('in-process bus journal', () => {
  it('compacts once acknowledgements pile up, and a reopen still restores exactly the unacknowledged', async () => {
    const { dataDir, open } = busesInTempDir();
    const bus = open();
    const policy = { topic: 'load-test', ...DEFAULT_SUBSCRIPTION_POLICY };
    await bus.declare(['load-test'], [
      { name: 'consumed', ...policy },
      { name: 'left-alone', ...policy },
    ]);
    const count = 3_000;
    // Published together, so the journal commits them in a few groups rather than 3,000 fsyncs.
    await Promise.all(Array.from({ length: count }, (_, index) => bus.publish('load-test', { data: String(index) })));
    let acknowledged = 0;
    await bus.subscribe('consumed', async () => {
      acknowledged += 1;
    });
    await waitFor(() => acknowledged === count, 'every message acknowledged');
    await bus.close();

    // Without compaction the log would hold every publish and ack: 2 × 3,000 message records plus 3,000 acks.
    expect(existsSync(path.join(dataDir, 'bus.snapshot.jsonl'))).toBe(true);
    const logLines = readFileSync(path.join(dataDir, 'bus.log.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    expect(logLines).toBeLessThan(count * 3);

    const reopened = open();
    const fromConsumed: string[] = [];
    const fromLeftAlone: string[] = [];
    await reopened.subscribe('consumed', async (message) => void fromConsumed.push(message.data.toString()));
    await reopened.subscribe('left-alone', async (message) => void fromLeftAlone.push(message.data.toString()));
    await waitFor(() => fromLeftAlone.length === count, 'the untouched subscription redelivered in full');
    // Both subscribers were served from the same restored state, so by now any leftover would show.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fromConsumed).toEqual([]);
    expect(fromLeftAlone.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, index) => index));
  });
});

// Beyond the contract: switching ordering on for an existing subscription, which Pub/Sub refuses but
// local mode needs, for a data directory from before the events subscription became ordered.
describe('in-process bus ordering on an existing subscription', () => {
  it('orders the messages a data dir already holds once the subscription is declared ordered', async () => {
    const { open } = busesInTempDir();
    const before = open();
    const spec = { name: 'events', topic: 'github-events', ...DEFAULT_SUBSCRIPTION_POLICY };
    await before.declare(['github-events'], [spec]);
    for (const data of ['first', 'second', 'third']) await before.publish('github-events', { data, orderingKey: 'acme/widgets#7' });
    await before.close();

    const after = open();
    await after.declare(['github-events'], [{ ...spec, messageOrdering: true }]);
    const started: string[] = [];
    const finished: string[] = [];
    await after.subscribe('events', async (message) => {
      started.push(message.data.toString());
      // Slow, so that a second message delivered alongside the first would be seen starting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished.push(message.data.toString());
    });
    await waitFor(() => finished.length === 3, 'all three handled');
    expect(started).toEqual(['first', 'second', 'third']);
    expect(finished).toEqual(['first', 'second', 'third']);
  });
});

// Beyond the contract: the backlog the health page shows in local mode (in the cloud it is Pub/Sub's metric).
describe('in-process bus backlog', () => {
  it('counts each subscription’s unacknowledged messages and the oldest one’s publish time, leaving dead letters out', async () => {
    const { open } = busesInTempDir();
    const bus = open();
    const policy = { topic: 'github-events', ...DEFAULT_SUBSCRIPTION_POLICY };
    await bus.declare(['github-events'], [
      { name: 'events', ...policy },
      { name: 'trigger', ...policy },
    ]);
    expect(bus.backlog()).toEqual([
      { subscription: 'events', topic: 'github-events', unacknowledged: 0 },
      { subscription: 'trigger', topic: 'github-events', unacknowledged: 0 },
    ]);
    const before = Date.now();
    await bus.publish('github-events', { data: 'one' });
    await bus.publish('github-events', { data: 'two' });
    const after = Date.now();
    // The trigger lane handles its copies; one of them is refused for good and goes to the dead letters.
    const seen: string[] = [];
    await bus.subscribe('trigger', async (message) => {
      seen.push(message.data.toString());
      if (message.data.toString() === 'two') throw new PermanentMessageError('malformed');
    });
    await waitFor(() => seen.length === 2 && bus.backlog().find((entry) => entry.subscription === 'trigger')?.unacknowledged === 0, 'the trigger lane to finish');
    const [events, trigger, ...others] = bus.backlog();
    expect(others).toEqual([]);
    expect(trigger).toEqual({ subscription: 'trigger', topic: 'github-events', unacknowledged: 0 });
    expect(events).toMatchObject({ subscription: 'events', topic: 'github-events', unacknowledged: 2 });
    expect(events?.oldestPublishedAt).toBeGreaterThanOrEqual(before);
    expect(events?.oldestPublishedAt).toBeLessThanOrEqual(after);
  });
});

describe('in-process bus journal, message bodies', () => {
  it('restores webhook-sized and binary bodies byte for byte after a restart', async () => {
    const { open } = busesInTempDir();
    const bus = open();
    await bus.declare(['hooks'], [{ name: 'events', topic: 'hooks', ...DEFAULT_SUBSCRIPTION_POLICY }]);
    const webhook = Buffer.from(JSON.stringify(issueComment({ commenter: 'alice', comment: '/lgtm "quoted" \\ ünïcode' })));
    const bodies = [webhook, randomBytes(4_096), Buffer.alloc(0)];
    await Promise.all(bodies.map((data) => bus.publish('hooks', { data, attributes: { 'x-github-event': 'issue_comment' } })));
    await bus.close();

    const reopened = open();
    const received: Buffer[] = [];
    await reopened.subscribe('events', async (message) => void received.push(message.data));
    await waitFor(() => received.length === bodies.length, 'every body redelivered');
    expect(received.map((data) => data.toString('hex')).sort()).toEqual(bodies.map((data) => data.toString('hex')).sort());
  });

  it('reads a data dir written before message bodies were attachments, and appends the new format after it', async () => {
    const { dataDir, open } = busesInTempDir();
    const policy = { topic: 'hooks', ...DEFAULT_SUBSCRIPTION_POLICY, messageOrdering: false };
    const oldBody = Buffer.from(JSON.stringify(issueComment({ commenter: 'alice', comment: '/hold' })));
    const oldLines = [
      { kind: 'topic', name: 'hooks' },
      { kind: 'subscription', name: 'events', ...policy },
      { kind: 'message', subscription: 'events', id: 'old-1', dataBase64: oldBody.toString('base64'), attributes: { a: '1' }, publishTimeMs: 1, deliveryAttempts: 0 },
    ];
    writeFileSync(path.join(dataDir, 'bus.log.jsonl'), oldLines.map((line) => `${JSON.stringify(line)}\n`).join(''));

    const bus = open();
    await bus.publish('hooks', { data: 'new body' });
    await bus.close();
    const reopened = open();
    const received: { data: string; attributes: Record<string, string> }[] = [];
    await reopened.subscribe('events', async (message) => void received.push({ data: message.data.toString(), attributes: message.attributes }));
    await waitFor(() => received.length === 2, 'the old message and the new one');
    expect(received).toEqual([
      { data: oldBody.toString(), attributes: { a: '1' } },
      { data: 'new body', attributes: {} },
    ]);
  });
});

describe('against the Pub/Sub emulator', () => {
  let emulator: RunningEmulator | undefined;

  beforeAll(async () => {
    emulator = await startPubSubEmulator();
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  describeBusContract('pubsub (emulator)', async () => {
    if (!emulator) throw new Error('the Pub/Sub emulator did not start');
    const bus = new PubSubBus({ projectId: emulator.projectId, apiEndpoint: emulator.host });
    return { bus, cleanup: () => bus.close() };
  });

  function openPubSubBus(): PubSubBus {
    if (!emulator) throw new Error('the Pub/Sub emulator did not start');
    const bus = new PubSubBus({ projectId: emulator.projectId, apiEndpoint: emulator.host });
    onTestFinished(() => bus.close());
    return bus;
  }

  it('refuses to switch ordering on an existing subscription, and says what to do', async () => {
    const bus = openPubSubBus();
    const spec = { name: 'ordering-flip', topic: 'ordering-flip-topic', ...DEFAULT_SUBSCRIPTION_POLICY };
    await bus.declare([spec.topic], [spec]);
    await expect(bus.declare([spec.topic], [{ ...spec, messageOrdering: true }])).rejects.toThrow(
      /exists without message ordering, which Pub\/Sub cannot change.*delete it/,
    );
  });

  it('publishes with an ordering key again after a publish of that key failed', async () => {
    const bus = openPubSubBus();
    const spec = { name: 'ordering-resume', topic: 'ordering-resume-topic', ...DEFAULT_SUBSCRIPTION_POLICY, messageOrdering: true };
    // The topic does not exist yet, so this publish fails.
    await expect(bus.publish(spec.topic, { data: 'lost', orderingKey: 'acme/widgets#7' })).rejects.toThrow(spec.topic);
    await bus.declare([spec.topic], [spec]);
    await bus.publish(spec.topic, { data: 'after the failure', orderingKey: 'acme/widgets#7' });
    const received: string[] = [];
    await bus.subscribe(spec.name, async (message) => void received.push(message.data.toString()));
    await waitFor(() => received.length === 1, 'the message published after the failure');
    expect(received).toEqual(['after the failure']);
  });
});
