import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { FirestoreStore } from '../../../shared/store/firestore';
import { openStore } from '../../../shared/store/open';
import { testProwJob } from '../../support/prowjobs';

/**
 * The one store factory: the backend each setting names. (What each store does is the contract
 * suite's business, in store.test.ts.) Firestore clients connect lazily, so nothing here needs the
 * emulator.
 */
describe('openStore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the embedded store in memory without a data directory', async () => {
    const store = openStore({ backend: 'embedded' });
    expect(store).toBeInstanceOf(EmbeddedStore);
    const job = testProwJob();
    await store.jobs.create(job, { idempotencyKey: 'memory' });
    expect((await store.jobs.get(job.metadata.name ?? ''))?.job.spec.job).toBe(job.spec.job);
    await store.close();
  });

  it('journals the embedded store in its data directory, where a reopened store finds it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-open-store-'));
    dirs.push(dataDir);
    const job = testProwJob();
    const first = openStore({ backend: 'embedded', dataDir, fsync: false });
    await first.jobs.create(job, { idempotencyKey: 'disk' });
    await first.close();

    const reopened = openStore({ backend: 'embedded', dataDir, fsync: false });
    expect((await reopened.jobs.get(job.metadata.name ?? ''))?.job.spec.job).toBe(job.spec.job);
    await reopened.close();
  });

  it('connects to Firestore by project and emulator host', async () => {
    const store = openStore({ backend: 'firestore', projectId: 'open-store', emulatorHost: '127.0.0.1:1' });
    expect(store).toBeInstanceOf(FirestoreStore);
    await store.close();
  });

  it('uses a Firestore client it is given, and terminates it on close', async () => {
    const firestore = new Firestore({ projectId: 'open-store', host: '127.0.0.1:1', ssl: false, ignoreUndefinedProperties: true });
    const collection = vi.spyOn(firestore, 'collection');
    const terminate = vi.spyOn(firestore, 'terminate');
    const store = openStore({ backend: 'firestore', firestore });
    expect(store).toBeInstanceOf(FirestoreStore);
    expect(collection).toHaveBeenCalledWith('prowjobs');
    await store.close();
    expect(terminate).toHaveBeenCalledOnce();
  });
});
