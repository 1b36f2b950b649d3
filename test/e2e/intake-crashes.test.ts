import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { TOPICS, type MessageBus, type OutgoingMessage } from '../../shared/bus/bus';
import { InProcessBus } from '../../shared/bus/in-process';
import { PubSubBus } from '../../shared/bus/pubsub';
import { createGitHubClient } from '../../shared/github/octokit';
import { memoryLogger } from '../../shared/log/logger';
import { SELF_LGTM_REPLY } from '../../shared/plugins/lgtm';
import { PLUGINS } from '../../shared/plugins/registry';
import { EmbeddedStore } from '../../shared/store/embedded';
import { FirestoreStore } from '../../shared/store/firestore';
import type { DeliveryStore, Store } from '../../shared/store/store';
import { LANES, laneDeliveryKey } from '../../shared/plugins/lanes';
import { handleGitHubEventMessage } from '../../shared/webhook/events';
import { receiveWebhook } from '../../shared/webhook/receive';
import { buildFromFiles, expectLoaded, yaml } from '../support/config';
import { startFirestoreEmulator, startPubSubEmulator, type RunningEmulator } from '../support/emulators';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import { waitFor } from '../support/wait';

/**
 * Processed at least once, each effect at most once: a crash is injected between every pair of
 * intake steps — webhook: verify, duplicate check, publish, record, answer; events function:
 * claim, plugins, done, acknowledge — then GitHub redelivers as it does (after a failed attempt,
 * and once more by hand), and the bus redelivers what was not acknowledged. Whatever the step, the
 * delivery ends with exactly one ProwJob and one bot reply. On the embedded backends and on
 * Firestore + Pub/Sub (emulators).
 *
 * A crash is a thrown error at that point: like a killed process, the attempt stops there and
 * leaves behind only what it had written (a processing claim is not given back).
 */
const SECRET = 'intake-crash-secret-0b7c';
const REPO = 'acme/widgets';
const SUBSCRIPTION = 'intake-events';
/** Short, so a crashed attempt's claim lapses within the test; production uses 30 s. */
const INTAKE = { leaseMs: 1_000, maxWaitMs: 1_500 };
const POLICY = { maxDeliveryAttempts: 10, minBackoffMs: 100, maxBackoffMs: 1_000, ackDeadlineSeconds: 10 };

const STEPS = [
  'after verify',
  'after the duplicate check',
  'after publish',
  'after record',
  'after claim',
  'after plugins',
  'after done',
] as const;
type Step = (typeof STEPS)[number];

/** One presubmit, so "one ProwJob per delivery" is one job. */
const JOBS = yaml(`
  presubmits:
    acme/widgets: [{name: pull-widgets-build, always_run: true, spec: {containers: [{image: golang:1.23, command: [make]}]}}]
`);
const PLUGINS_YAML = yaml(`
  plugins:
    acme:
      plugins: [trigger, lgtm]
`);

interface Backends {
  store: Store;
  bus: MessageBus;
}

/** Throws once, at `step`: the injected crash. */
class Crash {
  fired = false;
  constructor(private readonly step: Step) {}
  at(step: Step): void {
    if (step !== this.step || this.fired) return;
    this.fired = true;
    throw new Error(`injected crash ${step}`);
  }
}

function crashingDeliveries(deliveries: DeliveryStore, crash: Crash): DeliveryStore {
  return {
    isAccepted: async (id) => {
      crash.at('after verify');
      const accepted = await deliveries.isAccepted(id);
      crash.at('after the duplicate check');
      return accepted;
    },
    recordAccepted: async (id) => {
      await deliveries.recordAccepted(id);
      crash.at('after record');
    },
    claimProcessing: async (id, holder, leaseMs) => {
      const claim = await deliveries.claimProcessing(id, holder, leaseMs);
      if (claim.outcome === 'claimed') crash.at('after claim');
      return claim;
    },
    renewProcessing: (id, holder, leaseMs) => deliveries.renewProcessing(id, holder, leaseMs),
    finishProcessing: async (id) => {
      crash.at('after plugins');
      await deliveries.finishProcessing(id);
      crash.at('after done');
    },
    releaseProcessing: (id, holder) => deliveries.releaseProcessing(id, holder),
    countSince: (since) => deliveries.countSince(since),
    get: (id) => deliveries.get(id),
  };
}

async function runScenario(step: Step, backends: Backends, github: FakeGitHub): Promise<void> {
  const crash = new Crash(step);
  const deliveries = crashingDeliveries(backends.store.deliveries, crash);
  const store: Store = { ...backends.store, deliveries, close: () => backends.store.close() };
  const config = expectLoaded(buildFromFiles({ jobs: { 'jobs.yaml': JOBS }, plugins: PLUGINS_YAML }));
  const client = createGitHubClient({ baseUrl: github.url, auth: { token: 'crash-token' }, pacing: false, retryAfterBaseMs: 1 });
  const log = memoryLogger();
  const bus = backends.bus;
  // Both lanes, as deployed: /test's job and /lgtm's label come from different subscriptions.
  const lanes = Object.values(LANES);
  await bus.declare(
    [TOPICS.githubEvents],
    lanes.map((lane) => ({ name: `${SUBSCRIPTION}-${lane.name}`, topic: TOPICS.githubEvents, ...POLICY })),
  );
  for (const lane of lanes) {
    const subscriber = await bus.subscribe(`${SUBSCRIPTION}-${lane.name}`, async (message) => {
      await handleGitHubEventMessage(
        { plugins: PLUGINS, github: () => client, store, config, pluginConfig: config.plugins ?? {}, log },
        message,
        lane,
        INTAKE,
      );
    });
    onTestFinished(() => subscriber.close());
  }
  const publishingBus = {
    publish: async (topic: string, message: OutgoingMessage) => {
      const id = await bus.publish(topic, message);
      crash.at('after publish');
      return id;
    },
  };

  github.addPullRequest(REPO, { number: 7, author: 'maintainer', headSha: '7'.repeat(40) });
  const body = JSON.stringify(issueComment({ number: 7, author: 'maintainer', commenter: 'maintainer', comment: '/lgtm\n/test all' }));
  const headers = signedHeaders(SECRET, 'issue_comment', body, 'delivery-under-test');
  const deliver = async (): Promise<number> => {
    try {
      const answer = await receiveWebhook({ secrets: [SECRET], deliveries, bus: publishingBus, log }, { headers, rawBody: Buffer.from(body) });
      return answer.status;
    } catch {
      return 0; // GitHub sees the connection drop.
    }
  };

  // GitHub redelivers a delivery that was not answered with 2xx.
  let attempts = 0;
  while ((await deliver()) !== 200) expect(++attempts).toBeLessThan(3);
  for (const lane of lanes) {
    const key = laneDeliveryKey(lane, 'delivery-under-test');
    await waitFor(async () => (await backends.store.deliveries.get(key))?.done === true, `the delivery processed in the ${lane.name} lane`, 30_000);
  }
  // And someone presses "Redeliver" later: acknowledged, not processed again.
  expect(await deliver()).toBe(200);
  // Any copy still on the bus (a second publish, a redelivery) comes through within this time.
  await new Promise((resolve) => setTimeout(resolve, 4_000));

  expect(crash.fired).toBe(true);
  const jobs = (await backends.store.jobs.list({}, { limit: 100 })).jobs.map((job) => job.job.spec.job);
  expect(jobs).toEqual(['pull-widgets-build']);
  expect(github.comments(REPO, 7).filter((comment) => comment.body.includes(SELF_LGTM_REPLY))).toHaveLength(1);
}

async function withGitHub(): Promise<FakeGitHub> {
  const github = await startFakeGitHub();
  onTestFinished(() => github.close());
  github.addRepo(REPO);
  github.addOrgMember('acme', 'maintainer');
  return github;
}

describe('intake crashes on the embedded backends', () => {
  for (const step of STEPS) {
    it(`loses nothing and doubles nothing with a crash ${step}`, { timeout: 60_000 }, async () => {
      const github = await withGitHub();
      const store = EmbeddedStore.open();
      const bus = new InProcessBus();
      onTestFinished(async () => {
        await bus.close();
        await store.close();
      });
      await runScenario(step, { store, bus }, github);
    });
  }
});

describe('intake crashes on Firestore and Pub/Sub (emulators)', () => {
  let firestore: RunningEmulator | undefined;
  let pubsub: RunningEmulator | undefined;
  let projects = 0;
  beforeAll(async () => {
    [firestore, pubsub] = await Promise.all([startFirestoreEmulator(), startPubSubEmulator()]);
  });
  afterAll(async () => {
    await Promise.all([firestore?.stop(), pubsub?.stop()]);
  });

  for (const step of STEPS) {
    it(`loses nothing and doubles nothing with a crash ${step}`, { timeout: 90_000 }, async () => {
      if (!firestore || !pubsub) throw new Error('the emulators did not start');
      const github = await withGitHub();
      const project = `intake-crash-${++projects}`;
      const store = FirestoreStore.connect({ projectId: project, emulatorHost: firestore.host });
      const bus = new PubSubBus({ projectId: project, apiEndpoint: pubsub.host });
      onTestFinished(async () => {
        await bus.close();
        await store.close();
      });
      await runScenario(step, { store, bus }, github);
    });
  }
});
