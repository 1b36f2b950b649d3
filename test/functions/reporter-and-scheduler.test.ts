import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS } from '../../shared/bus/bus';
import { PubSubBus } from '../../shared/bus/pubsub';
import { GitHubClients } from '../../shared/github/octokit';
import { memoryLogger } from '../../shared/log/logger';
import { OutboxWriter, writerClientsOf } from '../../shared/outbox/writer';
import { GITHUB_WRITER_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { FirestoreStore } from '../../shared/store/firestore';
import { startFirestoreEmulator, startPubSubEmulator, type RunningEmulator } from '../support/emulators';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { encodeJobWrite } from '../support/firestore-events';
import { testProwJob } from '../support/prowjobs';

/**
 * functions/reporter and functions/scheduler as deployed, through the Functions Framework: the
 * reporter gets Firestore's document-written CloudEvents in binary mode (protobuf body, ce-*
 * headers), the scheduler Cloud Scheduler's POST; state lives in the Firestore emulator, nudges go
 * to the Pub/Sub emulator, and GitHub is the fake server. The reporter stores its statuses in the
 * GitHub write outbox; the writer (what the github-writer function runs) sends them.
 */

let firestore: RunningEmulator;
let pubsub: RunningEmulator;
let bus: PubSubBus;
let writer: OutboxWriter;
let github: FakeGitHub;
let store: FirestoreStore;
let server: Server;
let scheduler: Server;
let configDir: string;
const DAY = 24 * 3600_000;

beforeAll(async () => {
  [firestore, pubsub, github] = await Promise.all([startFirestoreEmulator('reporter-fn'), startPubSubEmulator('reporter-fn'), startFakeGitHub()]);
  bus = new PubSubBus({ projectId: pubsub.projectId, apiEndpoint: pubsub.host });
  await bus.declare([TOPICS.githubWrites], [{ name: GITHUB_WRITER_SUBSCRIPTION, topic: TOPICS.githubWrites, ...DEFAULT_SUBSCRIPTION_POLICY }]);
  github.addRepo('acme/widgets');
  github.addPullRequest('acme/widgets', { number: 9, author: 'alice' });
  github.addPullRequest('acme/widgets', { number: 3, author: 'alice' });
  configDir = mkdtempSync(path.join(tmpdir(), 'cutwater-reporter-fn-'));
  writeFileSync(path.join(configDir, 'config.yaml'), 'prowjob_namespace: default\n');
  writeFileSync(
    path.join(configDir, 'jobs.yaml'),
    'periodics:\n- name: nightly\n  interval: 24h\n  spec: {containers: [{image: alpine, command: [true]}]}\n',
  );
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: firestore.projectId,
    FIRESTORE_EMULATOR_HOST: firestore.host,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    GITHUB_TOKEN: 'test-token',
    GITHUB_API_URL: github.url,
    CONFIG_PATH: path.join(configDir, 'config.yaml'),
    JOB_CONFIG_PATH: path.join(configDir, 'jobs.yaml'),
    STATUS_URL: 'https://ci.example.com/',
  });
  store = FirestoreStore.connect({ projectId: firestore.projectId, emulatorHost: firestore.host });
  const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'test-token' }, retryAfterBaseMs: 1 });
  writer = new OutboxWriter({ outbox: store.outbox, github: writerClientsOf(clients), log: memoryLogger(), coalesceWindowMs: 0 });
  await import('../../functions/reporter/index');
  await import('../../functions/scheduler/index');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  server = getTestServer('reporter');
  scheduler = getTestServer('scheduler');
  await Promise.all([server, scheduler].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
}, 120_000);

afterAll(async () => {
  await Promise.all([server, scheduler].map((s) => new Promise((resolve) => s?.close(resolve))));
  await store?.close();
  await bus?.close();
  await Promise.all([firestore?.stop(), pubsub?.stop(), github?.close()]);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function postWrite(name: string, before: Record<string, string | boolean> | undefined, after: Record<string, string | boolean> | undefined) {
  const { port } = server.address() as AddressInfo;
  const documentPath = `projects/${firestore.projectId}/databases/(default)/documents/prowjobs/${name}`;
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/protobuf',
      'ce-specversion': '1.0',
      'ce-id': `event-${Math.random()}`,
      'ce-source': `//firestore.googleapis.com/projects/${firestore.projectId}/databases/(default)`,
      'ce-type': 'google.cloud.firestore.document.v1.written',
      'ce-subject': `documents/prowjobs/${name}`,
      'ce-document': `prowjobs/${name}`,
    },
    body: Buffer.from(encodeJobWrite(documentPath, before, after)),
  });
  return response.status;
}

/** What the github-writer function does when nudged: sends what the outbox holds. */
async function sendWrites(): Promise<void> {
  await writer.drain('token', { deadline: Date.now() + 30_000 });
}

const statusPosts = () => github.requests.filter((request) => request.route === 'POST /repos/{owner}/{repo}/statuses/{sha}');

describe('the reporter Cloud Function', () => {
  it('reports each state change written to Firestore, records the final one once, and ignores heartbeats', async () => {
    const job = testProwJob({ pull: 3, job: 'unit' });
    const name = job.metadata.name ?? '';
    const triggered = (await store.jobs.create(job, { idempotencyKey: name })).job;
    const pending = await store.jobs.update(name, { state: 'pending' }, 'latest');
    const fields = (stored: typeof pending | undefined, reportDue: boolean) =>
      ({ state: stored?.job.status?.state ?? 'triggered', reportDue, prowjob: JSON.stringify(stored?.job) });

    expect(await postWrite(name, undefined, fields(triggered, false))).toBe(204);
    await sendWrites();
    expect(statusPosts().map((request) => request.body)).toEqual([
      expect.objectContaining({ state: 'pending', context: 'unit', target_url: `https://ci.example.com/view/${name}` }),
    ]);
    // Pending is shown without a record: nothing is owed, nothing written.
    expect((await store.jobs.get(name))?.reported).toBeUndefined();

    // Leased and pending looks the same on GitHub; the same event again (at-least-once delivery)
    // and a heartbeat say nothing more.
    expect(await postWrite(name, fields(triggered, false), fields(pending, false))).toBe(204);
    expect(await postWrite(name, undefined, fields(triggered, false))).toBe(204);
    expect(await postWrite(name, fields(pending, false), fields(pending, false))).toBe(204);
    await sendWrites();
    expect(statusPosts()).toHaveLength(1);

    const failed = await store.jobs.update(name, { state: 'failure' }, 'latest');
    expect(await postWrite(name, fields(pending, false), fields(failed, true))).toBe(204);
    expect(await postWrite(name, fields(pending, false), fields(failed, true))).toBe(204);
    await sendWrites();
    expect(statusPosts().map((request) => (request.body as { state: string }).state)).toEqual(['pending', 'failure']);
    const reported = await store.jobs.get(name);
    expect(reported?.reportDue).toBeUndefined();
    expect(reported?.reported?.['github-status:unit']?.state).toBe('failure');
  }, 60_000);

  it('keeps a status GitHub fails to take in the outbox and sends it again, without the reporter retrying', async () => {
    const job = testProwJob({ pull: 4, job: 'lint' });
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });
    const before = statusPosts().length;
    github.failNext('POST', /\/statuses\//, { status: 502, body: { message: 'Bad Gateway' } });
    // Reported once it is stored: GitHub's answer is the writer's business from here.
    expect(await postWrite(name, undefined, { state: 'triggered', reportDue: false })).toBe(204);
    await sendWrites();
    expect(statusPosts().slice(before).map((request) => request.status)).toEqual([502, 201]);
  }, 60_000);
});

describe('the scheduler Cloud Function', () => {
  it('starts due periodics, sweeps reports a lost trigger left behind, and deletes old finished jobs', async () => {
    // Jobs written "earlier", by a store whose clock is behind: a failure whose report is due for
    // five minutes, and a job that finished ten days ago.
    const past = (ago: number) => FirestoreStore.connect({ projectId: firestore.projectId, emulatorHost: firestore.host, now: () => Date.now() - ago });
    const fiveMinutesAgo = past(5 * 60_000);
    const tenDaysAgo = past(10 * DAY);
    const stale = testProwJob({ pull: 9, job: 'stale' });
    const old = testProwJob({ pull: 9, job: 'old' });
    await fiveMinutesAgo.jobs.create(stale, { idempotencyKey: 'stale' });
    await fiveMinutesAgo.jobs.update(stale.metadata.name ?? '', { state: 'pending' }, 'latest');
    await fiveMinutesAgo.jobs.update(stale.metadata.name ?? '', { state: 'failure' }, 'latest');
    await tenDaysAgo.jobs.create(old, { idempotencyKey: 'old' });
    await tenDaysAgo.jobs.update(old.metadata.name ?? '', { state: 'aborted' }, 'latest');
    await tenDaysAgo.jobs.markReported(old.metadata.name ?? '', 'aborted');
    await Promise.all([fiveMinutesAgo.close(), tenDaysAgo.close()]);

    const { port } = scheduler.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' });
    const result = (await response.json()) as { periodicsStarted: string[]; cleanup: { deleted: number }; reports: { reported: number } };
    expect(response.status).toBe(200);
    expect(result.periodicsStarted).toHaveLength(1);
    expect(result.cleanup.deleted).toBe(1);
    expect(result.reports.reported).toBeGreaterThanOrEqual(1);

    const nightly = (await store.jobs.list({ job: 'nightly' })).jobs;
    expect(nightly.map((stored) => stored.job.spec.type)).toEqual(['periodic']);
    expect(await store.jobs.get(old.metadata.name ?? '')).toBeUndefined();
    await sendWrites();
    expect(statusPosts().map((request) => request.body)).toContainEqual(expect.objectContaining({ context: 'stale', state: 'failure' }));

    // A second call in the same minute (Cloud Scheduler retries) starts nothing new.
    const again = (await (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' })).json()) as { periodicsStarted: string[] };
    expect(again.periodicsStarted).toEqual([]);
  }, 60_000);

  it('refuses anything but POST', async () => {
    const { port } = scheduler.address() as AddressInfo;
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(405);
  });
});
