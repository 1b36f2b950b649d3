import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsArtifactStore } from '../../shared/artifacts/gcs';
import { jobArtifactsDir } from '../../shared/artifacts/layout';
import { RERUN_OF_ANNOTATION } from '../../shared/status/triggered-by';
import { FirestoreStore } from '../../shared/store/firestore';
import { startFirestoreEmulator, type RunningEmulator } from '../support/emulators';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs';
import { startFakeMonitoring, type FakeMonitoring } from '../support/fake-monitoring';
import { testProwJob } from '../support/prowjobs';

/**
 * functions/status as deployed, through the Functions Framework: jobs in the Firestore emulator,
 * their logs in the fake GCS. The framework parses every request body before the function runs,
 * so the form POSTs here prove the pages still read theirs.
 */

const BUCKET = 'status-fn-artifacts';
const LOG_LINE = 'compiled 42 widgets';

let firestore: RunningEmulator;
let gcs: FakeGcs;
let monitoring: FakeMonitoring;
let store: FirestoreStore;
let server: Server;
let base: string;
let configDir: string;
let jobName: string;

beforeAll(async () => {
  [firestore, gcs, monitoring] = await Promise.all([startFirestoreEmulator('status-fn'), startFakeGcs(), startFakeMonitoring()]);
  store = FirestoreStore.connect({ projectId: firestore.projectId, emulatorHost: firestore.host });

  const job = testProwJob({ pull: 5, job: 'unit' });
  jobName = job.metadata.name ?? '';
  await store.jobs.create(job, { idempotencyKey: jobName });
  const buildId = '1001';
  await store.jobs.update(jobName, { state: 'pending', status: { build_id: buildId } }, 'latest');
  const finished = await store.jobs.update(jobName, { state: 'failure', status: { description: 'Job failed.' } }, 'latest');
  // Written before STORAGE_EMULATOR_HOST is set below, which every Storage client made later reads.
  const seeder = new GcsArtifactStore({ bucket: BUCKET, apiEndpoint: gcs.url });
  await seeder.write(`${jobArtifactsDir(finished.job, buildId)}build-log.txt`, `${LOG_LINE}\nFAIL\n`);

  configDir = mkdtempSync(path.join(tmpdir(), 'cutwater-status-fn-'));
  writeFileSync(path.join(configDir, 'config.yaml'), "prowjob_namespace: default\ndeck:\n  rerun_auth_configs:\n    '*':\n      allow_anyone: true\n");
  writeFileSync(path.join(configDir, 'jobs.yaml'), 'presubmits: {}\n');
  for (const name of ['GITHUB_TOKEN', 'GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_OAUTH_CLIENT_ID', 'CONFIG_SNAPSHOTS']) delete process.env[name];
  Object.assign(process.env, {
    GOOGLE_CLOUD_PROJECT: firestore.projectId,
    FIRESTORE_EMULATOR_HOST: firestore.host,
    CONFIG_PATH: path.join(configDir, 'config.yaml'),
    JOB_CONFIG_PATH: path.join(configDir, 'jobs.yaml'),
    STATUS_URL: 'https://ci.example.com',
    STATUS_SESSION_SECRET: 'a-test-session-secret-of-forty-characters',
    ARTIFACTS_BUCKET: `gs://${BUCKET}`,
    // The client's emulator setting is its JSON API base URL, which is all the status pages use.
    STORAGE_EMULATOR_HOST: `${gcs.url}/storage/v1`,
    MONITORING_API_URL: monitoring.base,
  });
  await import('../../functions/status/index');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  server = getTestServer('status');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await store?.close();
  await Promise.all([firestore?.stop(), gcs?.close(), monitoring?.close()]);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

function postForm(pathAndQuery: string, form: Record<string, string>, cookie?: string) {
  return fetch(`${base}${pathAndQuery}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

describe('the status Cloud Function', () => {
  it('answers /healthz', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });

  it('lists the job and shows its page with the log from the artifacts bucket', async () => {
    const list = await fetch(`${base}/`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain(`/view/${jobName}`);

    const page = await fetch(`${base}/view/${jobName}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(LOG_LINE);
    // Behind Firebase Hosting only __session reaches the function, so that is the cookie set.
    expect(page.headers.getSetCookie()).toEqual([expect.stringMatching(/^__session=[^;]+;.*Secure/)]);
  });

  it('reads a form POST the framework already parsed: without a CSRF token a rerun is refused', async () => {
    const response = await postForm('/rerun', { prowjob: jobName });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('did not come from this site');
  });

  it('reruns with the token and the __session cookie from the job page', async () => {
    const page = await fetch(`${base}/view/${jobName}`);
    const html = await page.text();
    const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const cookie = page.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect(token).not.toBe('');

    const response = await postForm('/rerun', { prowjob: jobName, csrf_token: token, request_id: 'fn-test' }, cookie);
    expect(response.status).toBe(303);
    const rerun = decodeURIComponent(response.headers.get('location')?.replace(/^\/view\//, '') ?? '');
    expect(rerun).not.toBe(jobName);
    expect((await store.jobs.get(rerun))?.job.metadata.annotations?.[RERUN_OF_ANNOTATION]).toBe(jobName);
  });

  it("reads the event backlog from Cloud Monitoring for /health, and without Google credentials says so and keeps the links", async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    const page = await response.text();
    // Tests have no Application Default Credentials: the read fails in words, before asking Monitoring.
    expect(page).toContain('Event backlog: could not read it from Cloud Monitoring: ');
    expect(page).toContain(`/cloudpubsub/subscription/detail/events?tab=metrics&#38;project=${firestore.projectId}`);
    expect(page).toContain('/cloudpubsub/subscription/detail/trigger?');
    expect(monitoring.asked).toEqual([]);
  });

  it('answers 404 for a path the pages do not serve', async () => {
    const response = await fetch(`${base}/no/such/page`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'nothing at /no/such/page' });
  });
});
