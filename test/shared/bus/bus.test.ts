import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY } from '../../../shared/bus/bus';
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

// Beyond the contract: the journal's compaction, which only the durable in-process bus has.
describe('in-process bus journal', () => {
  it('compacts once acknowledgements pile up, and a reopen still restores exactly the unacknowledged', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-bus-'));
    const buses: InProcessBus[] = [];
    onTestFinished(async () => {
      for (const bus of buses) await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const bus = new InProcessBus({ dataDir });
    buses.push(bus);
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

    const reopened = new InProcessBus({ dataDir });
    buses.push(reopened);
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

describe('in-process bus journal, message bodies', () => {
  it('restores webhook-sized and binary bodies byte for byte after a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-bus-'));
    const buses: InProcessBus[] = [];
    onTestFinished(async () => {
      for (const bus of buses) await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const bus = new InProcessBus({ dataDir });
    buses.push(bus);
    await bus.declare(['hooks'], [{ name: 'events', topic: 'hooks', ...DEFAULT_SUBSCRIPTION_POLICY }]);
    const webhook = Buffer.from(JSON.stringify(issueComment({ commenter: 'alice', comment: '/lgtm "quoted" \\ ünïcode' })));
    const bodies = [webhook, randomBytes(4_096), Buffer.alloc(0)];
    await Promise.all(bodies.map((data) => bus.publish('hooks', { data, attributes: { 'x-github-event': 'issue_comment' } })));
    await bus.close();

    const reopened = new InProcessBus({ dataDir });
    buses.push(reopened);
    const received: Buffer[] = [];
    await reopened.subscribe('events', async (message) => void received.push(message.data));
    await waitFor(() => received.length === bodies.length, 'every body redelivered');
    expect(received.map((data) => data.toString('hex')).sort()).toEqual(bodies.map((data) => data.toString('hex')).sort());
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
});
