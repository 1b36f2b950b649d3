import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { staticConfigSource } from '../../../shared/config/config-source';
import { memoryLogger } from '../../../shared/log/logger';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { statusAuthFromEnv } from '../../../shared/status/auth/from-env';
import { statusListener } from '../../../shared/status/http';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { testProwJob } from '../../support/prowjobs';
import { serveListener } from '../../support/listener-server';

/**
 * `POST /api/prowjobs` (how `cutwater mkpj` reaches local mode): a job whose names would become
 * paths that no store accepts — `..` as its job or build ID — is refused when it is created, with
 * what to fix, rather than stored for its pages to fail on.
 */

const TOKEN = 'local-api-token-for-tests';
let server: Server;
let base: string;
let store: EmbeddedStore;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutwater-job-api-'));
  store = EmbeddedStore.open();
  const listener = statusListener({
    store,
    artifacts: new DiskArtifactStore(dir),
    log: memoryLogger(),
    config: staticConfigSource(expectLoaded(buildFromFiles({}))),
    auth: statusAuthFromEnv({ STATUS_SESSION_SECRET: 's'.repeat(40) }, {}),
    jobCreationToken: TOKEN,
  });
  ({ server, base } = await serveListener(listener));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(job: ProwJob): Promise<{ status: number; message: string }> {
  const response = await fetch(`${base}/api/prowjobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(job),
  });
  const body = (await response.json()) as { message?: string };
  return { status: response.status, message: body.message ?? '' };
}

describe('creating a job over the local API', () => {
  it('creates a well-named job, and shows it', async () => {
    const job = testProwJob({ name: 'well-named-1', job: 'unit-tests' });
    expect((await create(job)).status).toBe(201);
    expect((await fetch(`${base}/view/well-named-1`)).status).toBe(200);
  });

  it('refuses a job named "..", saying which field and why', async () => {
    const answer = await create(testProwJob({ name: 'dots-1', job: '..' }));
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/spec\.job: job name "\.\." cannot be/);
    expect(await store.jobs.get('dots-1')).toBeUndefined();
  });

  it('refuses a build ID ".."', async () => {
    const job: ProwJob = { ...testProwJob({ name: 'dots-2' }), status: { state: 'pending', build_id: '..' } };
    const answer = await create(job);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/status\.build_id: build ID "\.\."/);
  });

  it('refuses a ProwJob name that is no Kubernetes object name, and a repository that is a path segment', async () => {
    for (const name of ['..', '.', 'a/b', 'UPPER', 'x'.repeat(254)]) {
      const answer = await create(testProwJob({ name }));
      expect({ name: name.slice(0, 10), status: answer.status }).toEqual({ name: name.slice(0, 10), status: 400 });
      expect(answer.message).toMatch(/metadata\.name/);
    }
    const answer = await create(testProwJob({ name: 'dots-3', org: '..', repo: 'x/../y', pull: 1 }));
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/spec\.refs\.org/);
    expect(answer.message).toMatch(/spec\.refs\.repo/);
  });

  it('still refuses a body that is not a ProwJob', async () => {
    const response = await fetch(`${base}/api/prowjobs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"metadata":{}}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/not a ProwJob/);
  });
});
