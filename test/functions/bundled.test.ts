import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS, type ReceivedMessage } from '../../shared/bus/bus';
import { PubSubBus } from '../../shared/bus/pubsub';
import { FirestoreStore } from '../../shared/store/firestore';
import { freePort, startFirestoreEmulator, startPubSubEmulator, type RunningEmulator } from '../support/emulators';

/**
 * The functions as they deploy: `dist/functions/X` (each bundled with the Google clients, see
 * scripts/build.mjs) run by the Functions Framework's own command line against the Firestore and
 * Pub/Sub emulators. The other function tests import the TypeScript sources, where the clients
 * come from node_modules; this one proves the bundled clients talk to Google's services (gRPC,
 * protos, credentials) and that the lazily loaded config loader's chunk, with the Kubernetes
 * client and schema bundled in it, works.
 */
const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const FRAMEWORK_MAIN = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');
const SECRET = 'bundled-test-secret';
const SUBSCRIPTION = 'bundled-test-events';
/** This file's own build (scripts/build.mjs, CUTWATER_DIST): the functions as they deploy. */
const BUILD_DIR = 'dist-tests/bundled';

let firestore: RunningEmulator;
let pubsub: RunningEmulator;
let bus: PubSubBus;
let store: FirestoreStore;
let configDir: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
  // Always the code under test, never a stale dist/; in a directory of its own (CUTWATER_DIST), so
  // other test files building at the same time never delete it under us.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe', timeout: 170_000, env: { ...process.env, CUTWATER_DIST: BUILD_DIR } });
  [firestore, pubsub] = await Promise.all([startFirestoreEmulator('bundled-fn'), startPubSubEmulator('bundled-fn')]);
  bus = new PubSubBus({ projectId: pubsub.projectId, apiEndpoint: pubsub.host });
  await bus.declare([TOPICS.githubEvents], [{ name: SUBSCRIPTION, topic: TOPICS.githubEvents, ...DEFAULT_SUBSCRIPTION_POLICY }]);
  store = FirestoreStore.connect({ projectId: firestore.projectId, emulatorHost: firestore.host });
  configDir = mkdtempSync(path.join(tmpdir(), 'cutwater-bundled-fn-'));
  writeFileSync(path.join(configDir, 'config.yaml'), 'prowjob_namespace: default\n');
  writeFileSync(
    path.join(configDir, 'jobs.yaml'),
    'periodics:\n- name: bundled-nightly\n  interval: 24h\n  spec: {containers: [{image: alpine, command: [true]}]}\n',
  );
}, 240_000);

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await store?.close();
  await bus?.close();
  await Promise.all([firestore?.stop(), pubsub?.stop()]);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** Starts dist/functions/<name> through the Framework; resolves with its URL once it answers. */
async function serve(name: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [FRAMEWORK_MAIN, `--target=${name}`, `--source=${path.join(ROOT, BUILD_DIR, 'functions', name)}`, `--port=${port}`], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      GOOGLE_CLOUD_PROJECT: firestore.projectId,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      PUBSUB_EMULATOR_HOST: pubsub.host,
      WEBHOOK_SECRET: SECRET,
      CONFIG_PATH: path.join(configDir, 'config.yaml'),
      JOB_CONFIG_PATH: path.join(configDir, 'jobs.yaml'),
      STATUS_URL: 'https://ci.example.com/',
    },
  });
  running.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    try {
      await fetch(`${url}/healthz`);
      return url;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('the bundled functions on the emulators', () => {
  it('webhook: stores the delivery in Firestore, publishes it on Pub/Sub, and answers a redelivery as a duplicate', async () => {
    const received: ReceivedMessage[] = [];
    const subscriber = await bus.subscribe(SUBSCRIPTION, async (message) => {
      received.push(message);
    });
    try {
      const url = await serve('webhook');
      const body = Buffer.from(JSON.stringify({ zen: 'Bundles travel light.', hook_id: 7 }));
      const post = () =>
        fetch(`${url}/hook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'issues',
            'x-github-delivery': 'bundled-delivery-1',
            'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
          },
          body,
        });
      const first = await post();
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ message: 'accepted', delivery: 'bundled-delivery-1' });
      // The delivery record read back from Firestore by the bundled client.
      const again = await post();
      expect(await again.json()).toMatchObject({ message: 'duplicate delivery: already accepted' });

      const deadline = Date.now() + 20_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toHaveLength(1);
      expect(received[0]?.data.toString()).toBe(body.toString());
      expect(received[0]?.attributes).toMatchObject({ 'x-github-event': 'issues', 'x-github-delivery': 'bundled-delivery-1' });
    } finally {
      await subscriber.close();
    }
  }, 60_000);

  it('scheduler: loads the config through its lazy chunk (the Kubernetes client and schema bundled in it) and starts a periodic in Firestore', async () => {
    const url = await serve('scheduler');
    const response = await fetch(`${url}/`, { method: 'POST' });
    const result = (await response.json()) as { periodicsStarted: string[] };
    expect(response.status).toBe(200);
    expect(result.periodicsStarted).toHaveLength(1);
    const started = (await store.jobs.list({ job: 'bundled-nightly' })).jobs;
    expect(started.map((stored) => stored.job.spec.type)).toEqual(['periodic']);
  }, 60_000);

  it('ships a package.json naming only what the bundle leaves to node_modules', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, BUILD_DIR, 'functions/webhook/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['@google-cloud/functions-framework']);
  });
});
