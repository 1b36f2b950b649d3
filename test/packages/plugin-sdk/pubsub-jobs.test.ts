import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, type CreatedProwJob, type NewProwJob } from '../../../packages/plugin-sdk/src/index';
import { jobTopicFromEnv, prowJobCreator } from '../../../packages/plugin-sdk/src/jobs';
import { commentPayload, testPlugin } from '../../../packages/plugin-sdk/src/testing';
import { TOPICS, deadLetterTopicOf, type ReceivedMessage } from '../../../shared/bus/bus';
import { PubSubBus } from '../../../shared/bus/pubsub';
import { memoryLogger } from '../../../shared/log/logger';
import { PROW_JOBS_SUBSCRIPTION, handleProwJobMessage } from '../../../shared/pubsub/trigger';
import { EmbeddedStore } from '../../../shared/store/embedded';
import type { StoredJob } from '../../../shared/store/store';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { startPubSubEmulator, type RunningEmulator } from '../../support/emulators';
import { waitFor } from '../../support/wait';

/**
 * `createProwJob` in the cloud: the SDK publishes Prow's job message to Cutwater's `prow-jobs`
 * topic (here on the real Pub/Sub emulator), and the handler the `pubsub` function runs turns it
 * into a ProwJob in the store — so what the SDK sends is what Cutwater accepts.
 */

const CONFIG = expectLoaded(
  buildFromFiles({
    jobs: {
      'jobs.yaml': yaml(`
        periodics:
        - name: nightly
          interval: 24h
          spec: {containers: [{image: alpine, command: [make, nightly]}]}
        presubmits:
          acme/widget:
          - name: unit
            always_run: true
            branches: [main]
            spec: {containers: [{image: alpine, command: [make, test], env: [{name: MODE, value: config}]}]}
      `),
    },
  }),
);

const REFS = {
  org: 'acme',
  repo: 'widget',
  base_ref: 'main',
  base_sha: 'a'.repeat(40),
  pulls: [{ number: 42, author: 'alice', sha: 'b'.repeat(40) }],
};

let emulator: RunningEmulator;
let bus: PubSubBus;
const store = EmbeddedStore.open();
const deadLetters: ReceivedMessage[] = [];
let topicName: string;

async function storedJobs(): Promise<StoredJob[]> {
  return (await store.jobs.list({}, { limit: 100 })).jobs;
}

async function jobNamed(job: string): Promise<StoredJob> {
  let found: StoredJob | undefined;
  await waitFor(async () => (found = (await storedJobs()).find((stored) => stored.job.spec.job === job)) !== undefined, `the ${job} ProwJob`, 45_000);
  return found!;
}

beforeAll(async () => {
  emulator = await startPubSubEmulator();
  bus = new PubSubBus({ projectId: emulator.projectId, apiEndpoint: emulator.host });
  // Cutwater's own topic and subscription, consumed by the pubsub function's handler.
  await bus.declare([TOPICS.prowJobs], [{ name: PROW_JOBS_SUBSCRIPTION, topic: TOPICS.prowJobs, maxDeliveryAttempts: 5, minBackoffMs: 100, maxBackoffMs: 1_000, ackDeadlineSeconds: 10 }]);
  await bus.subscribe(deadLetterTopicOf(PROW_JOBS_SUBSCRIPTION), async (message) => void deadLetters.push(message));
  await bus.subscribe(PROW_JOBS_SUBSCRIPTION, async (message) => {
    await handleProwJobMessage({ store, config: CONFIG, log: memoryLogger() }, message);
  });
  topicName = `projects/${emulator.projectId}/topics/${TOPICS.prowJobs}`;
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await store.close();
  await emulator?.stop();
});

describe('createProwJob over Pub/Sub', () => {
  it('publishes a presubmit a plugin asks for, and Cutwater makes it with the plugin\'s refs, envs, labels and annotations', async () => {
    const results: CreatedProwJob[] = [];
    const plugin = await testPlugin(
      definePlugin('retester', { description: 'Runs unit tests again.' }).onComment(async ({ createProwJob, comment }) => {
        results.push(
          await createProwJob({
            spec: { type: 'presubmit', job: 'unit', refs: REFS },
            envs: { MODE: 'plugin', EXTRA: '1' },
            labels: { 'requested-by': comment.author },
            annotations: { 'cutwater.dev/why': 'asked in a comment' },
          }),
        );
      }),
      { jobTopic: { topic: topicName, emulatorHost: emulator.host } },
    );
    try {
      expect((await plugin.deliver('issue_comment', commentPayload({ body: 'again please', author: 'frank' }))).status).toBe(200);
      expect(results).toEqual([{ via: 'pubsub', messageId: expect.any(String) }]);
      // Nothing went to the HTTP job API.
      expect(plugin.github.prowJobs).toEqual([]);

      const stored = await jobNamed('unit');
      expect(stored.job.spec).toMatchObject({ type: 'presubmit', job: 'unit', refs: { org: 'acme', repo: 'widget', pulls: [{ number: 42 }] } });
      expect(stored.job.metadata.labels).toMatchObject({ 'requested-by': 'frank' });
      expect(stored.job.metadata.annotations).toMatchObject({ 'cutwater.dev/why': 'asked in a comment' });
      expect(stored.job.spec.pod_spec?.containers).toEqual([
        expect.objectContaining({ env: [{ name: 'MODE', value: 'plugin' }, { name: 'EXTRA', value: '1' }] }),
      ]);
      expect(deadLetters).toEqual([]);
    } finally {
      await plugin.close();
    }
  });

  it('reads the topic from PROW_JOBS_TOPIC and PUBSUB_EMULATOR_HOST, and sends periodics as periodic events', async () => {
    const target = jobTopicFromEnv({ PROW_JOBS_TOPIC: topicName, PUBSUB_EMULATOR_HOST: emulator.host });
    expect(target).toEqual({ topic: topicName, emulatorHost: emulator.host });
    const create = prowJobCreator({ topic: target, api: { url: 'http://127.0.0.1:1', token: 'unused' } });
    const result = await create({ spec: { type: 'periodic', job: 'nightly' }, labels: { origin: 'env' } });
    expect(result.via).toBe('pubsub');
    const stored = await jobNamed('nightly');
    expect(stored.job.spec.type).toBe('periodic');
    expect(stored.job.metadata.labels).toMatchObject({ origin: 'env' });
  });

  it('refuses, before publishing, what Prow\'s message cannot carry', async () => {
    const create = prowJobCreator({ topic: { topic: topicName, emulatorHost: emulator.host } });
    const refusals: [NewProwJob, RegExp][] = [
      [{ spec: { type: 'batch', job: 'unit', refs: REFS } }, /no batch jobs/],
      [{ name: 'my-own-name', spec: { type: 'periodic', job: 'nightly' } }, /leave out `name`/],
      [{ spec: { type: 'periodic', job: 'nightly', report: false, context: 'x' } }, /spec\.report, spec\.context cannot be given/],
    ];
    for (const [job, reason] of refusals) await expect(create(job)).rejects.toThrow(reason);
    expect(() => prowJobCreator({ topic: { topic: 'prow-jobs' } })).toThrow(/projects\/<project>\/topics\/<topic>/);
  });

  it('says which settings it needs when it has neither a topic nor an HTTP API', async () => {
    await expect(prowJobCreator({})({ spec: { type: 'periodic', job: 'nightly' } })).rejects.toThrow(/PROW_JOBS_TOPIC/);
  });
});
