import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  DEAD_LETTER_ATTRIBUTES,
  deadLetterTopicOf,
  type MessageBus,
  type ReceivedMessage,
} from '../../../shared/bus/bus';
import { InProcessBus } from '../../../shared/bus/in-process';
import { PubSubBus } from '../../../shared/bus/pubsub';
import { handlePushed, receivedFromPush } from '../../../shared/bus/push';
import { memoryLogger, type LogFields } from '../../../shared/log/logger';
import { PROW_EVENT_TYPE_ATTRIBUTE, PROW_JOB_EVENT_TYPES, type ProwJobEventKind } from '../../../shared/pubsub/prow-job-event';
import { handleProwJobMessage, type ProwJobTriggerDependencies } from '../../../shared/pubsub/trigger';
import { EmbeddedStore } from '../../../shared/store/embedded';
import type { JobStore, StoredJob } from '../../../shared/store/store';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { startPubSubEmulator, type RunningEmulator } from '../../support/emulators';
import { waitFor } from '../../support/wait';

/**
 * Prow's sub end to end on a real bus: messages in Prow's format published to a topic, consumed
 * through a subscription by the handler the `pubsub` function and local mode run, ProwJobs in the
 * store. The same tests run on the in-process bus and on the Pub/Sub emulator, so the two cannot
 * differ in what a redelivery or a bad message does.
 */

const CONFIG = expectLoaded(
  buildFromFiles({
    jobs: {
      'jobs.yaml': yaml(`
        periodics:
        - name: nightly
          interval: 24h
          spec:
            containers:
            - image: alpine
              command: [make, nightly]
              env: [{name: MODE, value: config}]
        presubmits:
          acme/widget:
          - name: unit
            always_run: true
            branches: [main]
            spec: {containers: [{image: alpine, command: [make, test]}]}
      `),
    },
  }),
);

/** Pub/Sub's minimum attempts with sub-second backoff, so a redelivery comes quickly. */
const FAST_POLICY = { maxDeliveryAttempts: 5, minBackoffMs: 100, maxBackoffMs: 1_000, ackDeadlineSeconds: 10 } as const;
/** Generous: the emulator redelivers a nacked message on a roughly two-second cycle. */
const WAIT_MS = 45_000;

const PR_REFS = {
  org: 'acme',
  repo: 'widget',
  base_ref: 'main',
  base_sha: 'a'.repeat(40),
  pulls: [{ number: 42, author: 'alice', sha: 'b'.repeat(40) }],
};

function prowMessage(kind: ProwJobEventKind, data: unknown) {
  return {
    data: typeof data === 'string' ? data : JSON.stringify(data),
    attributes: { [PROW_EVENT_TYPE_ATTRIBUTE]: PROW_JOB_EVENT_TYPES[kind] },
  };
}

interface Harness {
  bus: MessageBus;
  store: EmbeddedStore;
  log: ReturnType<typeof memoryLogger>;
  topic: string;
  subscription: string;
  /** Messages that reached the subscription's dead-letter topic. */
  deadLetters: ReceivedMessage[];
  /** Deliveries the handler saw, by message ID. */
  deliveries: Map<string, number[]>;
  jobs(): Promise<StoredJob[]>;
}

/** Lines the handler logged with this message. */
function linesFor(log: Harness['log'], messageId: string): LogFields[] {
  return log.entries.filter((entry) => entry.messageId === messageId);
}

function describeTrigger(implementation: string, openBus: () => MessageBus): void {
  // Concurrent: each test waits on its own deliveries, on its own topic and store.
  describe.concurrent(`prow-jobs trigger [${implementation}]`, () => {
    async function setUp(context: TestContext, wrapJobs?: (jobs: JobStore) => Pick<JobStore, 'create'>): Promise<Harness> {
      const bus = openBus();
      const store = EmbeddedStore.open();
      context.onTestFinished(async () => {
        await bus.close();
        await store.close();
      });
      const topic = `prow-jobs-${randomUUID()}`;
      const subscription = `pubsub-${randomUUID()}`;
      await bus.declare([topic], [{ name: subscription, topic, ...FAST_POLICY }]);
      const log = memoryLogger();
      const deadLetters: ReceivedMessage[] = [];
      const deliveries = new Map<string, number[]>();
      const dependencies: ProwJobTriggerDependencies = {
        store: { jobs: wrapJobs ? wrapJobs(store.jobs) : store.jobs },
        config: CONFIG,
        log,
      };
      await bus.subscribe(deadLetterTopicOf(subscription), async (message) => void deadLetters.push(message));
      await bus.subscribe(subscription, async (message) => {
        deliveries.set(message.id, [...(deliveries.get(message.id) ?? []), message.deliveryAttempt]);
        await handleProwJobMessage(dependencies, message);
      });
      return {
        bus,
        store,
        log,
        topic,
        subscription,
        deadLetters,
        deliveries,
        jobs: async () => (await store.jobs.list({}, { limit: 100 })).jobs,
      };
    }

    it('makes one periodic ProwJob from a periodic message, with the message envs on its container', async (context) => {
      const { bus, topic, log, jobs } = await setUp(context);
      const id = await bus.publish(topic, prowMessage('periodic', { name: 'nightly', envs: { MODE: 'pubsub', RUN: '7' } }));

      await waitFor(async () => (await jobs()).length === 1, 'the periodic ProwJob', WAIT_MS);
      const [stored] = await jobs();
      expect(stored?.job.spec).toMatchObject({ type: 'periodic', job: 'nightly' });
      expect(stored?.job.spec.pod_spec?.containers).toEqual([
        {
          image: 'alpine',
          command: ['make', 'nightly'],
          env: [
            { name: 'MODE', value: 'pubsub' },
            { name: 'RUN', value: '7' },
          ],
        },
      ]);
      await waitFor(() => linesFor(log, id).length > 0, 'the log line');
      expect(linesFor(log, id)).toEqual([
        expect.objectContaining({
          severity: 'INFO',
          message: 'prowjob created from pubsub message',
          job: 'nightly',
          type: 'periodic',
          jobId: stored?.job.metadata.name,
          deliveryAttempt: 1,
        }),
      ]);
    });

    it(
      'makes exactly one job when the first delivery stored it but failed before acknowledging',
      { timeout: 90_000 },
      async (context) => {
        let calls = 0;
        const { bus, topic, log, jobs, deliveries } = await setUp(context, (jobs) => ({
          create: async (job, options) => {
            const result = await jobs.create(job, options);
            calls += 1;
            // As if the function instance died after the write: the message is never acknowledged.
            if (calls === 1) throw new Error('connection reset after the write');
            return result;
          },
        }));
        const id = await bus.publish(topic, prowMessage('periodic', { name: 'nightly' }));

        await waitFor(
          () => linesFor(log, id).some((line) => line.message === 'pubsub message redelivered; its prowjob already exists'),
          'the redelivery to find the job',
          WAIT_MS,
        );
        const stored = await jobs();
        expect(stored).toHaveLength(1);
        expect(deliveries.get(id)).toEqual([1, 2]);
        expect(linesFor(log, id)).toEqual([
          expect.objectContaining({
            message: 'pubsub message redelivered; its prowjob already exists',
            job: 'nightly',
            jobId: stored[0]?.job.metadata.name,
            deliveryAttempt: 2,
          }),
        ]);
      },
    );

    it('on the Cloud Functions push path, makes one job from a message pushed twice and dead-letters a malformed one', async (context) => {
      const { bus, store, subscription, jobs, deadLetters } = await setUp(context);
      const log = memoryLogger();
      const deadLetter = { bus, topic: deadLetterTopicOf(subscription), subscription };
      const handler = async (message: ReceivedMessage) => {
        await handleProwJobMessage({ store, config: CONFIG, log }, message);
      };
      // What Eventarc hands the function: the Pub/Sub push body.
      const pushed = (message: ReturnType<typeof prowMessage>, messageId: string, deliveryAttempt: number) =>
        receivedFromPush({
          message: {
            data: Buffer.from(message.data).toString('base64'),
            attributes: message.attributes,
            messageId,
            publishTime: new Date().toISOString(),
          },
          subscription: `projects/cutwater-test/subscriptions/${subscription}`,
          deliveryAttempt,
        });
      const valid = prowMessage('periodic', { name: 'nightly' });
      const id = `push-${randomUUID()}`;

      await handlePushed(pushed(valid, id, 1), handler, deadLetter);
      await handlePushed(pushed(valid, id, 2), handler, deadLetter);
      expect(await jobs()).toHaveLength(1);
      expect(linesFor(log, id).map((line) => line.message)).toEqual([
        'prowjob created from pubsub message',
        'pubsub message redelivered; its prowjob already exists',
      ]);

      // Acknowledged (resolves) once it is on the dead-letter topic, so Pub/Sub does not retry it.
      await handlePushed(pushed(prowMessage('periodic', { labels: { a: 'b' } }), `push-${randomUUID()}`, 1), handler, deadLetter);
      await waitFor(() => deadLetters.length === 1, 'the malformed push on the dead-letter topic', WAIT_MS);
      expect(deadLetters[0]?.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toBe(
        'the message data is not a valid ProwJobEvent: name: Invalid input: expected string, received undefined',
      );
      expect(await jobs()).toHaveLength(1);
    });

    it(
      'dead-letters a malformed message and one naming an unknown job at once, with the reason, and makes no job',
      { timeout: 90_000 },
      async (context) => {
        const { bus, topic, subscription, log, jobs, deadLetters, deliveries } = await setUp(context);
        const malformed = await bus.publish(topic, prowMessage('periodic', '{"name": nightly'));
        const unknown = await bus.publish(topic, prowMessage('periodic', { name: 'weekly' }));

        await waitFor(() => deadLetters.length === 2, 'both messages on the dead-letter topic', WAIT_MS);
        const byData = new Map(deadLetters.map((message) => [message.data.toString('utf8'), message]));
        const malformedLetter = byData.get('{"name": nightly');
        expect(malformedLetter?.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(
          /^the message data is not JSON \(expected Prow's ProwJobEvent\): /,
        );
        const unknownLetter = byData.get(JSON.stringify({ name: 'weekly' }));
        expect(unknownLetter?.attributes).toMatchObject({
          [PROW_EVENT_TYPE_ATTRIBUTE]: PROW_JOB_EVENT_TYPES.periodic,
          [DEAD_LETTER_ATTRIBUTES.reason]: 'no periodic named "weekly" in the config',
          [DEAD_LETTER_ATTRIBUTES.deliveryCount]: '1',
          [DEAD_LETTER_ATTRIBUTES.subscription]: subscription,
        });
        // Refused on the first delivery and never retried.
        expect(deliveries.get(malformed)).toEqual([1]);
        expect(deliveries.get(unknown)).toEqual([1]);
        expect(await jobs()).toEqual([]);
        expect(linesFor(log, unknown)).toEqual([
          expect.objectContaining({
            severity: 'ERROR',
            message: 'pubsub message refused; dead-lettering it',
            job: 'weekly',
            reason: 'no periodic named "weekly" in the config',
          }),
        ]);
        expect(linesFor(log, malformed)).toEqual([
          expect.objectContaining({ severity: 'ERROR', message: 'pubsub message refused; dead-lettering it' }),
        ]);
      },
    );

    it('makes a presubmit ProwJob for the pull request a presubmit message names', async (context) => {
      const { bus, topic, store, log } = await setUp(context);
      const id = await bus.publish(topic, prowMessage('presubmit', { name: 'unit', refs: PR_REFS }));

      const forPull = async () => (await store.jobs.list({ type: 'presubmit', repo: 'acme/widget', pull: 42 })).jobs;
      await waitFor(async () => (await forPull()).length === 1, 'the presubmit ProwJob for acme/widget#42', WAIT_MS);
      const [stored] = await forPull();
      expect(stored?.job.spec).toMatchObject({ type: 'presubmit', job: 'unit', context: 'unit', refs: PR_REFS });
      expect(stored?.job.metadata.labels).toMatchObject({ 'prow.k8s.io/refs.pull': '42', 'prow.k8s.io/refs.base_ref': 'main' });
      await waitFor(() => linesFor(log, id).length > 0, 'the log line');
      expect(linesFor(log, id)[0]).toMatchObject({ repo: 'acme/widget', pull: 42, jobId: stored?.job.metadata.name });
    });
  });
}

describeTrigger('in-process bus', () => new InProcessBus());

describe('on the Pub/Sub emulator', () => {
  let emulator: RunningEmulator | undefined;

  beforeAll(async () => {
    emulator = await startPubSubEmulator();
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  describeTrigger('Pub/Sub emulator', () => {
    if (!emulator) throw new Error('the Pub/Sub emulator did not start');
    return new PubSubBus({ projectId: emulator.projectId, apiEndpoint: emulator.host });
  });
});
