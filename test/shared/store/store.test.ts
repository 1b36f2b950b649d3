import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { FirestoreStore } from '../../../shared/store/firestore';
import { REPO_ROOT } from '../../support/config';
import { startFirestoreEmulator, type RunningEmulator } from '../../support/emulators';
import { testProwJob } from '../../support/prowjobs';
import { describeOutboxContract, type OpenOutboxStore } from './outbox.contract';
import { describeStoreContract } from './store.contract';
import { describeTideStoreContract } from './tide.contract';

/**
 * The store contract, the outbox's and the merge pool's included, on every implementation: embedded (memory and on
 * disk) and Firestore (emulator).
 */

const inMemory: OpenOutboxStore = async (clock) => {
  const store = EmbeddedStore.open({ now: clock.now });
  return { store, connect: () => store, cleanup: () => store.close() };
};

const onDisk: OpenOutboxStore = async (clock) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-store-'));
  let store = EmbeddedStore.open({ dataDir, now: clock.now });
  return {
    store,
    connect: () => store,
    reopen: async () => {
      await store.close();
      store = EmbeddedStore.open({ dataDir, now: clock.now });
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

describeStoreContract('embedded, in memory', inMemory);
describeOutboxContract('embedded, in memory', inMemory, { durable: false });
describeTideStoreContract('embedded, in memory', inMemory, { durable: false });
describeStoreContract('embedded, on disk', onDisk);
describeOutboxContract('embedded, on disk', onDisk, { durable: true });
describeTideStoreContract('embedded, on disk', onDisk, { durable: true });

let emulator: RunningEmulator | undefined;
let projects = 0;
beforeAll(async () => {
  emulator = await startFirestoreEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

const onEmulator: OpenOutboxStore = async (clock) => {
  const host = emulator?.host;
  if (!host) throw new Error('the Firestore emulator did not start');
  // A project of its own per test: the emulator keeps projects apart, so tests never see each other's data.
  const projectId = `contract-${++projects}`;
  let store = FirestoreStore.connect({ projectId, emulatorHost: host, now: clock.now });
  const others: FirestoreStore[] = [];
  return {
    store,
    connect: () => {
      const other = FirestoreStore.connect({ projectId, emulatorHost: host, now: clock.now });
      others.push(other);
      return other;
    },
    reopen: async () => {
      await store.close();
      store = FirestoreStore.connect({ projectId, emulatorHost: host, now: clock.now });
      return store;
    },
    cleanup: async () => {
      await Promise.all([store, ...others].map((each) => each.close()));
    },
  };
};

describeStoreContract('firestore, on the emulator', onEmulator);
describeOutboxContract('firestore, on the emulator', onEmulator, { durable: true });
describeTideStoreContract('firestore, on the emulator', onEmulator, { durable: true });

describe('firestore.rules on the emulator', () => {
  it('deny every client read and write, while the service account’s access still works', async () => {
    if (!emulator) throw new Error('the Firestore emulator did not start');
    const project = 'rules-check';
    const rules = readFileSync(path.join(REPO_ROOT, 'infra/firestore/firestore.rules'), 'utf8');
    const loaded = await fetch(`http://${emulator.host}/emulator/v1/projects/${project}:securityRules`, {
      method: 'PUT',
      body: JSON.stringify({ rules: { files: [{ name: 'firestore.rules', content: rules }] } }),
    });
    expect(loaded.status).toBe(200);

    const store = FirestoreStore.connect({ projectId: project, emulatorHost: emulator.host });
    const job = testProwJob();
    await store.jobs.create(job, { idempotencyKey: 'rules' });
    await store.close();

    const documents = `http://${emulator.host}/v1/projects/${project}/databases/(default)/documents`;
    const read = await fetch(`${documents}/prowjobs/${job.metadata.name}`);
    expect(read.status).toBe(403);
    const list = await fetch(`${documents}/deliveries`);
    expect(list.status).toBe(403);
    const write = await fetch(`${documents}/prowjobs?documentId=forged`, {
      method: 'POST',
      body: JSON.stringify({ fields: { state: { stringValue: 'success' } } }),
    });
    expect(write.status).toBe(403);
    const asAdmin = await fetch(`${documents}/prowjobs/${job.metadata.name}`, { headers: { Authorization: 'Bearer owner' } });
    expect(asAdmin.status).toBe(200);
  });
});

describe('firestore: writes from the version last seen, on the emulator', () => {
  it('cost no read while nobody else wrote, and still refuse a lease that another instance ended', async () => {
    if (!emulator) throw new Error('the Firestore emulator did not start');
    const runner = FirestoreStore.connect({ projectId: 'seen-versions', emulatorHost: emulator.host });
    const statusPage = FirestoreStore.connect({ projectId: 'seen-versions', emulatorHost: emulator.host });
    try {
      const job = testProwJob({ pull: 5 });
      const name = job.metadata.name ?? '';
      await statusPage.jobs.create(job, { idempotencyKey: 'seen-1' });
      const request = { cluster: 'default', holder: 'runner-1', ttlMs: 60_000 };
      const claim = await runner.jobs.claim(name, request, { state: 'pending', status: { pod_name: name } });
      if (!claim) throw new Error('claim failed');

      // The runner wrote last: renewing and updating start from its own version, without a read.
      runner.resetCounts();
      const lease = await runner.jobs.renew(claim.lease, 60_000);
      await runner.jobs.update(name, { status: { description: 'still running' } }, { lease });
      expect(runner.counts).toMatchObject({ reads: 0, writes: 2 });

      // Another instance aborts the job: the runner's next write finds out, at the cost of one read.
      await statusPage.jobs.update(name, { state: 'aborted' }, 'latest');
      runner.resetCounts();
      await expect(runner.jobs.renew(lease, 60_000)).rejects.toThrow(/lease/i);
      expect(runner.counts.reads).toBe(1);
      await expect(runner.jobs.update(name, { state: 'success' }, { lease })).rejects.toThrow();
      expect((await statusPage.jobs.get(name))?.job.status?.state).toBe('aborted');
    } finally {
      await runner.close();
      await statusPage.close();
    }
  });
});
