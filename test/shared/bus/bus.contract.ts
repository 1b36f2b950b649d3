import { randomUUID } from 'node:crypto';
import { describe, expect, it, type TestContext } from 'vitest';
import {
  DEAD_LETTER_ATTRIBUTES,
  PermanentMessageError,
  deadLetterTopicOf,
  type MessageBus,
  type ReceivedMessage,
  type SubscriptionSpec,
} from '../../../shared/bus/bus';
import { waitFor } from '../../support/wait';

/**
 * The behaviour every MessageBus must show, written once and run against each implementation
 * (test/shared/bus/bus.test.ts), so local mode and the cloud cannot drift apart.
 *
 * Names are unique per test because the Pub/Sub emulator is shared by the whole suite.
 */
export interface OpenedBus {
  bus: MessageBus;
  /** Closes nothing itself: the test closes `bus` first, then opens a new bus on the same state. */
  reopen?: () => Promise<MessageBus>;
  /** Closes the bus and removes whatever the implementation created for the test. */
  cleanup: () => Promise<void>;
}

export interface BusContractOptions {
  /** The implementation keeps its state across close and reopen, so `open` must provide `reopen`. */
  durable?: boolean;
}

/** A policy fast enough for tests: Pub/Sub's minimum of 5 attempts and sub-second backoff. */
const FAST_POLICY = {
  maxDeliveryAttempts: 5,
  minBackoffMs: 100,
  maxBackoffMs: 1_000,
  ackDeadlineSeconds: 10,
} as const;

/** Generous: the emulator redelivers a nacked message on a roughly two-second cycle. */
const WAIT_TIMEOUT_MS = 45_000;

/**
 * How long a negative check ("not delivered again") watches. Redelivery after a failure comes after
 * at most `maxBackoffMs` (1 s here), or about 2 s on the emulator, so this would see it.
 */
const QUIET_PERIOD_MS = 3_000;

/** Long enough for a lost acknowledgement to show: past the ack deadline, plus the emulator's cycle. */
const PAST_ACK_DEADLINE_MS = FAST_POLICY.ackDeadlineSeconds * 1_000 + 3_000;

export function describeBusContract(
  implementationName: string,
  open: () => Promise<OpenedBus>,
  options: BusContractOptions = {},
): void {
  // Concurrent: most of each test is waiting for redeliveries, so running them side by side
  // shortens the suite without loading the machine. Each test opens its own bus.
  describe.concurrent(`message bus contract [${implementationName}]`, () => {
    async function openBus(context: TestContext): Promise<OpenedBus & { declareSubscription: DeclareSubscription }> {
      const opened = await open();
      // The test context's hook, not the global one: vitest cannot attribute global hooks to
      // concurrent tests.
      context.onTestFinished(() => opened.cleanup());
      const declareSubscription: DeclareSubscription = async (overrides = {}) => {
        const topic = uniqueName('topic');
        const subscription = uniqueName('sub');
        await opened.bus.declare([topic], [{ name: subscription, topic, ...FAST_POLICY, ...overrides }]);
        return { topic, subscription };
      };
      return { ...opened, declareSubscription };
    }

    it('delivers a published message with its data, attributes, ID, publish time and delivery attempt 1', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      const before = Date.now();
      const bufferId = await bus.publish(topic, { data: Buffer.from([0, 1, 2, 255]), attributes: { kind: 'binary' } });
      const stringId = await bus.publish(topic, { data: 'héllo' });
      const received = new Map<string, ReceivedMessage>();
      await bus.subscribe(subscription, async (message) => {
        received.set(message.id, message);
      });

      await waitFor(() => received.size === 2, 'both messages delivered', WAIT_TIMEOUT_MS);
      expect(bufferId).not.toBe(stringId);
      const binary = received.get(bufferId);
      expect(binary?.data).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(binary?.attributes).toEqual({ kind: 'binary' });
      expect(binary?.deliveryAttempt).toBe(1);
      // Clocks may differ a little between the bus and this process, so only a generous window.
      expect(Math.abs((binary?.publishTime.getTime() ?? 0) - before)).toBeLessThan(60_000);
      const text = received.get(stringId);
      expect(text?.data.toString('utf8')).toBe('héllo');
      expect(text?.attributes).toEqual({});
      expect(text?.deliveryAttempt).toBe(1);
    });

    it('fans a message out to every subscription of its topic', async (context) => {
      const { bus } = await openBus(context);
      const topic = uniqueName('topic');
      const first = uniqueName('sub');
      const second = uniqueName('sub');
      await bus.declare(
        [topic],
        [
          { name: first, topic, ...FAST_POLICY },
          { name: second, topic, ...FAST_POLICY },
        ],
      );
      const id = await bus.publish(topic, { data: 'to both' });
      const seenByFirst: string[] = [];
      const seenBySecond: string[] = [];
      await bus.subscribe(first, async (message) => void seenByFirst.push(message.id));
      await bus.subscribe(second, async (message) => void seenBySecond.push(message.id));

      await waitFor(() => seenByFirst.length === 1 && seenBySecond.length === 1, 'delivery to both subscriptions', WAIT_TIMEOUT_MS);
      expect(seenByFirst).toEqual([id]);
      expect(seenBySecond).toEqual([id]);
    });

    it('keeps messages published while nobody subscribes until a subscriber arrives', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      const ids = [
        await bus.publish(topic, { data: 'one' }),
        await bus.publish(topic, { data: 'two' }),
        await bus.publish(topic, { data: 'three' }),
      ];
      const received: string[] = [];
      await bus.subscribe(subscription, async (message) => void received.push(message.id));

      await waitFor(() => received.length === 3, 'all three messages delivered', WAIT_TIMEOUT_MS);
      expect(received.sort()).toEqual([...ids].sort());
    });

    it(
      'redelivers a message whose handler fails, counting attempts, and acknowledges it once the handler succeeds',
      { timeout: 90_000 },
      async (context) => {
        const { bus, declareSubscription } = await openBus(context);
        const { topic, subscription } = await declareSubscription();
        const id = await bus.publish(topic, { data: 'flaky' });
        const attempts: number[] = [];
        const ids = new Set<string>();
        await bus.subscribe(subscription, async (message) => {
          attempts.push(message.deliveryAttempt);
          ids.add(message.id);
          if (message.deliveryAttempt < 3) throw new Error(`transient failure ${message.deliveryAttempt}`);
        });

        await waitFor(() => attempts.length === 3, 'three delivery attempts', WAIT_TIMEOUT_MS);
        // Past the ack deadline, so an acknowledgement that never arrived would show as a fourth.
        await sleep(PAST_ACK_DEADLINE_MS);
        expect(attempts).toEqual([1, 2, 3]);
        expect([...ids]).toEqual([id]);
      },
    );

    it('dead-letters a poison message after exactly maxDeliveryAttempts deliveries and stops delivering it', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      await bus.publish(topic, { data: 'poison', attributes: { origin: 'contract' } });
      const attempts: number[] = [];
      await bus.subscribe(subscription, async (message) => {
        attempts.push(message.deliveryAttempt);
        throw new Error('this handler never succeeds');
      });
      const deadLetters: ReceivedMessage[] = [];
      await bus.subscribe(deadLetterTopicOf(subscription), async (message) => void deadLetters.push(message));

      await waitFor(() => deadLetters.length === 1, 'the message on the dead-letter subscription', WAIT_TIMEOUT_MS);
      await sleep(QUIET_PERIOD_MS);
      expect(attempts).toEqual([1, 2, 3, 4, 5]);
      expect(deadLetters).toHaveLength(1);
      const [deadLetter] = deadLetters;
      expect(deadLetter?.data.toString()).toBe('poison');
      expect(deadLetter?.attributes).toMatchObject({
        origin: 'contract',
        [DEAD_LETTER_ATTRIBUTES.deliveryCount]: '5',
        [DEAD_LETTER_ATTRIBUTES.subscription]: subscription,
      });
      expect(deadLetter?.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toBeUndefined();
    });

    it('dead-letters at once a message whose handler throws PermanentMessageError, with the reason', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      await bus.publish(topic, { data: '{not json', attributes: { origin: 'contract' } });
      const attempts: number[] = [];
      await bus.subscribe(subscription, async (message) => {
        attempts.push(message.deliveryAttempt);
        throw new PermanentMessageError('malformed payload');
      });
      const deadLetters: ReceivedMessage[] = [];
      await bus.subscribe(deadLetterTopicOf(subscription), async (message) => void deadLetters.push(message));

      await waitFor(() => deadLetters.length === 1, 'the message on the dead-letter subscription', WAIT_TIMEOUT_MS);
      await sleep(QUIET_PERIOD_MS);
      expect(attempts).toEqual([1]);
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]?.data.toString()).toBe('{not json');
      expect(deadLetters[0]?.attributes).toMatchObject({
        origin: 'contract',
        [DEAD_LETTER_ATTRIBUTES.deliveryCount]: '1',
        [DEAD_LETTER_ATTRIBUTES.subscription]: subscription,
        [DEAD_LETTER_ATTRIBUTES.reason]: 'malformed payload',
      });
    });

    it('treats a repeated declare as a no-op: no duplicate subscriptions, no lost messages', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      const id = await bus.publish(topic, { data: 'before the repeat' });
      await bus.declare([topic], [{ name: subscription, topic, ...FAST_POLICY }]);
      await bus.declare([topic], []);
      const received: string[] = [];
      await bus.subscribe(subscription, async (message) => void received.push(message.id));

      await waitFor(() => received.length === 1, 'the message delivered', WAIT_TIMEOUT_MS);
      await sleep(QUIET_PERIOD_MS);
      expect(received).toEqual([id]);
    });

    it('rejects a publish to an undeclared topic and a subscribe to an undeclared subscription', async (context) => {
      const { bus } = await openBus(context);
      const topic = uniqueName('missing-topic');
      const subscription = uniqueName('missing-sub');
      await expect(bus.publish(topic, { data: 'nowhere' })).rejects.toThrow(topic);
      await expect(bus.subscribe(subscription, async () => {})).rejects.toThrow(subscription);
    });

    it('rejects names Pub/Sub would refuse before creating anything', async (context) => {
      const { bus } = await openBus(context);
      await expect(bus.declare(['ab'], [])).rejects.toThrow(/invalid topic name "ab"/);
      const topic = uniqueName('topic');
      await expect(
        bus.declare([topic], [{ name: uniqueName('sub'), topic, ...FAST_POLICY, maxDeliveryAttempts: 2 }]),
      ).rejects.toThrow(/maxDeliveryAttempts/);
      await expect(bus.publish(topic, { data: 'x' })).rejects.toThrow(topic);
    });

    it('never runs more than maxInFlight handlers at once', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      for (let index = 0; index < 6; index++) await bus.publish(topic, { data: `message ${index}` });
      let running = 0;
      let mostRunning = 0;
      const done = new Set<string>();
      await bus.subscribe(
        subscription,
        async (message) => {
          running += 1;
          mostRunning = Math.max(mostRunning, running);
          await sleep(200);
          running -= 1;
          done.add(message.id);
        },
        { maxInFlight: 2 },
      );

      await waitFor(() => done.size === 6, 'all six messages handled', WAIT_TIMEOUT_MS);
      expect(mostRunning).toBe(2);
    });

    it('stops delivering once a subscriber is closed, and keeps the messages for the next one', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      const firstId = await bus.publish(topic, { data: 'first' });
      const receivedByFirst: string[] = [];
      const first = await bus.subscribe(subscription, async (message) => void receivedByFirst.push(message.id));
      await waitFor(() => receivedByFirst.length === 1, 'the first message delivered', WAIT_TIMEOUT_MS);
      await first.close();

      const secondId = await bus.publish(topic, { data: 'second' });
      await sleep(QUIET_PERIOD_MS);
      expect(receivedByFirst).toEqual([firstId]);

      const receivedBySecond: string[] = [];
      await bus.subscribe(subscription, async (message) => void receivedBySecond.push(message.id));
      await waitFor(() => receivedBySecond.length === 1, 'the second message delivered to the new subscriber', WAIT_TIMEOUT_MS);
      expect(receivedBySecond).toEqual([secondId]);
    });

    it('lets a delivery in flight finish and be acknowledged when its subscriber closes', async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      await bus.publish(topic, { data: 'slow' });
      const started = deferred();
      const release = deferred();
      let finished = false;
      const subscriber = await bus.subscribe(subscription, async () => {
        started.resolve();
        await release.promise;
        finished = true;
      });
      await started.promise;

      let closed = false;
      const closing = subscriber.close().then(() => {
        closed = true;
      });
      await sleep(200);
      expect(closed).toBe(false);
      release.resolve();
      await closing;
      expect(finished).toBe(true);

      const redelivered: ReceivedMessage[] = [];
      await bus.subscribe(subscription, async (message) => void redelivered.push(message));
      await sleep(QUIET_PERIOD_MS);
      expect(redelivered).toEqual([]);
    });

    it('redelivers a message whose handler outlives the ack deadline', { timeout: 90_000 }, async (context) => {
      const { bus, declareSubscription } = await openBus(context);
      const { topic, subscription } = await declareSubscription();
      await bus.publish(topic, { data: 'slow' });
      const attempts: number[] = [];
      const redelivered = deferred();
      await bus.subscribe(subscription, async (message) => {
        attempts.push(message.deliveryAttempt);
        // The first delivery hangs until its replacement arrives; its late success must not count.
        if (message.deliveryAttempt === 1) await redelivered.promise;
        else redelivered.resolve();
      });

      await waitFor(() => attempts.length === 2, 'a second delivery after the ack deadline', WAIT_TIMEOUT_MS);
      await sleep(QUIET_PERIOD_MS);
      expect(attempts).toEqual([1, 2]);
    });

    describe('with message ordering', () => {
      it('delivers the messages of one key one at a time in publish order: a slow first one holds the next back', async (context) => {
        const { bus, declareSubscription } = await openBus(context);
        const { topic, subscription } = await declareSubscription({ messageOrdering: true });
        for (const data of ['first', 'second', 'third']) await bus.publish(topic, { data, orderingKey: 'acme/widgets#7' });
        const started: string[] = [];
        const finished: string[] = [];
        const keys = new Set<string | undefined>();
        let running = 0;
        let mostRunning = 0;
        const releaseFirst = deferred();
        await bus.subscribe(subscription, async (message) => {
          const data = message.data.toString();
          started.push(data);
          keys.add(message.orderingKey);
          running += 1;
          mostRunning = Math.max(mostRunning, running);
          if (data === 'first') await releaseFirst.promise;
          running -= 1;
          finished.push(data);
        });

        await waitFor(() => started.length === 1, 'the first message delivered', WAIT_TIMEOUT_MS);
        // Long enough for the second to arrive if the first did not hold it back.
        await sleep(QUIET_PERIOD_MS);
        expect(started).toEqual(['first']);
        releaseFirst.resolve();
        await waitFor(() => finished.length === 3, 'all three handled', WAIT_TIMEOUT_MS);
        expect(started).toEqual(['first', 'second', 'third']);
        expect(finished).toEqual(['first', 'second', 'third']);
        expect(mostRunning).toBe(1);
        expect([...keys]).toEqual(['acme/widgets#7']);
      });

      it('delivers other keys, and messages without a key, while one key waits', async (context) => {
        const { bus, declareSubscription } = await openBus(context);
        const { topic, subscription } = await declareSubscription({ messageOrdering: true });
        await bus.publish(topic, { data: 'slow', orderingKey: 'acme/widgets#7' });
        await bus.publish(topic, { data: 'behind slow', orderingKey: 'acme/widgets#7' });
        await bus.publish(topic, { data: 'other pull request', orderingKey: 'acme/widgets#8' });
        await bus.publish(topic, { data: 'no key' });
        const handled: string[] = [];
        const releaseSlow = deferred();
        await bus.subscribe(subscription, async (message) => {
          const data = message.data.toString();
          if (data === 'slow') await releaseSlow.promise;
          handled.push(data);
        });

        await waitFor(() => handled.length === 2, 'the other key and the keyless message handled', WAIT_TIMEOUT_MS);
        expect(handled.sort()).toEqual(['no key', 'other pull request']);
        releaseSlow.resolve();
        await waitFor(() => handled.length === 4, 'the waiting key handled', WAIT_TIMEOUT_MS);
        expect(handled.slice(2)).toEqual(['slow', 'behind slow']);
      });

      it('redelivers a failing message after its backoff before any later message of its key', { timeout: 90_000 }, async (context) => {
        const { bus, declareSubscription } = await openBus(context);
        const { topic, subscription } = await declareSubscription({ messageOrdering: true });
        await bus.publish(topic, { data: 'flaky', orderingKey: 'acme/widgets#7' });
        await bus.publish(topic, { data: 'next', orderingKey: 'acme/widgets#7' });
        const deliveries: string[] = [];
        await bus.subscribe(subscription, async (message) => {
          const data = message.data.toString();
          deliveries.push(`${data} #${message.deliveryAttempt}`);
          if (data === 'flaky' && message.deliveryAttempt < 3) throw new Error(`transient failure ${message.deliveryAttempt}`);
        });

        await waitFor(() => deliveries.includes('next #1'), 'the next message delivered', WAIT_TIMEOUT_MS);
        await sleep(QUIET_PERIOD_MS);
        expect(deliveries).toEqual(['flaky #1', 'flaky #2', 'flaky #3', 'next #1']);
      });

      it('lets the next message of a key go once the one before is dead-lettered', { timeout: 90_000 }, async (context) => {
        const { bus, declareSubscription } = await openBus(context);
        const { topic, subscription } = await declareSubscription({ messageOrdering: true });
        await bus.publish(topic, { data: 'poison', orderingKey: 'acme/widgets#7' });
        await bus.publish(topic, { data: 'after poison', orderingKey: 'acme/widgets#7' });
        await bus.publish(topic, { data: 'malformed', orderingKey: 'acme/widgets#8' });
        await bus.publish(topic, { data: 'after malformed', orderingKey: 'acme/widgets#8' });
        const deliveries: string[] = [];
        await bus.subscribe(subscription, async (message) => {
          const data = message.data.toString();
          deliveries.push(`${data} #${message.deliveryAttempt}`);
          if (data === 'poison') throw new Error('this handler never succeeds');
          if (data === 'malformed') throw new PermanentMessageError('malformed payload');
        });
        const deadLetters: string[] = [];
        await bus.subscribe(deadLetterTopicOf(subscription), async (message) => void deadLetters.push(message.data.toString()));

        await waitFor(
          () => deliveries.includes('after poison #1') && deliveries.includes('after malformed #1'),
          'both later messages delivered',
          WAIT_TIMEOUT_MS,
        );
        await waitFor(() => deadLetters.length === 2, 'both dead letters', WAIT_TIMEOUT_MS);
        await sleep(QUIET_PERIOD_MS);
        const ofKey = (prefix: string) => deliveries.filter((delivery) => delivery.includes(prefix));
        expect(ofKey('poison')).toEqual(['poison #1', 'poison #2', 'poison #3', 'poison #4', 'poison #5', 'after poison #1']);
        expect(ofKey('malformed')).toEqual(['malformed #1', 'after malformed #1']);
        expect(deadLetters.sort()).toEqual(['malformed', 'poison']);
      });
    });

    if (options.durable) {
      it('redelivers after a reopen what was not acknowledged, and only that, without re-declaring', async (context) => {
        const { bus, reopen, declareSubscription } = await openBus(context);
        if (!reopen) throw new Error(`${implementationName} is declared durable but its open() gives no reopen`);
        // A long backoff keeps the failed message waiting when the bus closes.
        const { topic, subscription } = await declareSubscription({ minBackoffMs: 60_000, maxBackoffMs: 60_000 });
        const ackedId = await bus.publish(topic, { data: 'acknowledged before the restart' });
        const failedId = await bus.publish(topic, { data: 'failed once before the restart' });
        const handled: ReceivedMessage[] = [];
        const subscriber = await bus.subscribe(subscription, async (message) => {
          handled.push(message);
          if (message.id === failedId) throw new Error('fails before the restart');
        });
        await waitFor(() => handled.length === 2, 'both messages handled once', WAIT_TIMEOUT_MS);
        await subscriber.close();
        const waitingId = await bus.publish(topic, { data: 'published after the subscriber stopped' });
        await bus.close();

        const reopened = await reopen();
        try {
          const afterRestart: ReceivedMessage[] = [];
          await reopened.subscribe(subscription, async (message) => void afterRestart.push(message));
          await waitFor(() => afterRestart.length === 2, 'the unacknowledged messages redelivered', WAIT_TIMEOUT_MS);
          await sleep(QUIET_PERIOD_MS);
          const byId = new Map(afterRestart.map((message) => [message.id, message]));
          expect([...byId.keys()].sort()).toEqual([failedId, waitingId].sort());
          expect(byId.has(ackedId)).toBe(false);
          expect(byId.get(failedId)?.data.toString()).toBe('failed once before the restart');
          expect(byId.get(failedId)?.deliveryAttempt).toBe(2);
          expect(byId.get(waitingId)?.deliveryAttempt).toBe(1);

          // The topology survived too: publishing needs no new declare.
          const laterId = await reopened.publish(topic, { data: 'after the restart' });
          await waitFor(() => afterRestart.some((message) => message.id === laterId), 'a message published after reopening', WAIT_TIMEOUT_MS);
        } finally {
          await reopened.close();
        }
      });

      it('keeps each key in publish order across a reopen', async (context) => {
        const { bus, reopen, declareSubscription } = await openBus(context);
        if (!reopen) throw new Error(`${implementationName} is declared durable but its open() gives no reopen`);
        // A long backoff keeps the failed first message waiting, and the others behind it, when the bus closes.
        const { topic, subscription } = await declareSubscription({ messageOrdering: true, minBackoffMs: 60_000, maxBackoffMs: 60_000 });
        for (const data of ['first', 'second', 'third']) await bus.publish(topic, { data, orderingKey: 'acme/widgets#7' });
        const beforeRestart: string[] = [];
        const subscriber = await bus.subscribe(subscription, async (message) => {
          beforeRestart.push(message.data.toString());
          throw new Error('fails before the restart');
        });
        await waitFor(() => beforeRestart.length === 1, 'the first message delivered', WAIT_TIMEOUT_MS);
        await subscriber.close();
        await bus.publish(topic, { data: 'fourth', orderingKey: 'acme/widgets#7' });
        await bus.close();
        expect(beforeRestart).toEqual(['first']);

        const reopened = await reopen();
        try {
          const afterRestart: string[] = [];
          await reopened.subscribe(subscription, async (message) => {
            afterRestart.push(`${message.data.toString()} #${message.deliveryAttempt}`);
            // Slow, so that a later message delivered out of turn would show up first.
            if (afterRestart.length === 1) await sleep(200);
          });
          await waitFor(() => afterRestart.length === 4, 'the key redelivered after the restart', WAIT_TIMEOUT_MS);
          expect(afterRestart).toEqual(['first #2', 'second #1', 'third #1', 'fourth #1']);
        } finally {
          await reopened.close();
        }
      });
    }
  });
}

type DeclareSubscription = (
  overrides?: Partial<Omit<SubscriptionSpec, 'name' | 'topic'>>,
) => Promise<{ topic: string; subscription: string }>;

function uniqueName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** Polls until `condition` holds; fails naming `what` after `timeoutMs`. */

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
