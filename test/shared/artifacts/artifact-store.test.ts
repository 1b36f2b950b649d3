import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { GcsArtifactStore } from '../../../shared/artifacts/gcs';
import { startFakeGcs, type FakeGcs } from '../../support/fake-gcs';
import { describeArtifactStoreContract } from './artifact-store.contract';

/** The artifact store contract on every implementation: a directory, and GCS (a fake JSON API over HTTP). */

function temporaryRoot(): string {
  return mkdtempSync(path.join(tmpdir(), 'cutwater-artifacts-'));
}

describeArtifactStoreContract('disk', async () => {
  const root = temporaryRoot();
  return {
    store: new DiskArtifactStore(root),
    keepsContentTypes: false,
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describeArtifactStoreContract('disk, root not yet created', async () => {
  const parent = temporaryRoot();
  return {
    store: new DiskArtifactStore(path.join(parent, 'artifacts', 'root')),
    keepsContentTypes: false,
    cleanup: async () => rmSync(parent, { recursive: true, force: true }),
  };
});

// Pages of two objects, so every listing longer than that exercises the client's paging.
const PAGE_SIZE = 2;
let fake: FakeGcs | undefined;
let buckets = 0;
beforeAll(async () => {
  fake = await startFakeGcs({ pageSize: PAGE_SIZE });
});
afterAll(async () => {
  await fake?.close();
});

function runningFake(): FakeGcs {
  if (!fake) throw new Error('the fake GCS server did not start');
  return fake;
}

describeArtifactStoreContract('gcs', async () => {
  // A bucket of its own per test, so tests never see each other's objects.
  const store = new GcsArtifactStore({ bucket: `contract-${++buckets}`, apiEndpoint: runningFake().url });
  return { store, keepsContentTypes: true, cleanup: async () => {} };
});

describeArtifactStoreContract('gcs, under a path prefix, with a given client', async () => {
  const bucket = `contract-${++buckets}`;
  const storage = new Storage({ apiEndpoint: runningFake().url });
  // An object outside the prefix, which the store must neither list nor read.
  await storage.bucket(bucket).file('elsewhere/logs/job-1/1/build-log.txt').save('not ours', { resumable: false });
  const store = new GcsArtifactStore({ bucket: `gs://${bucket}`, pathPrefix: 'cutwater/', storage });
  return { store, keepsContentTypes: true, cleanup: async () => {} };
});

describe('DiskArtifactStore', () => {
  let root: string;
  let store: DiskArtifactStore;
  beforeEach(() => {
    root = temporaryRoot();
    store = new DiskArtifactStore(root);
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps each object as a plain file at its path under the root', async () => {
    await store.write('logs/unit-tests/1/build-log.txt', 'ok\n');
    expect(readFileSync(path.join(root, 'logs', 'unit-tests', '1', 'build-log.txt'), 'utf8')).toBe('ok\n');
    expect(readdirSync(path.join(root, 'logs', 'unit-tests', '1'))).toEqual(['build-log.txt']);
  });

  it('links to the file by file:// URL', () => {
    expect(store.urlFor('logs/unit-tests/1/build-log.txt')).toBe(
      pathToFileURL(path.join(root, 'logs/unit-tests/1/build-log.txt')).href,
    );
    expect(store.urlFor('logs/unit-tests/1/junit #1.xml')).toMatch(/\/logs\/unit-tests\/1\/junit%20%231\.xml$/);
  });

  it('leaves no temporary file behind when a write fails', async () => {
    await store.write('logs/unit-tests/1/artifacts/junit.xml', '<testsuites/>');
    // A directory stands where the object would go, so the final rename fails.
    await expect(store.write('logs/unit-tests/1/artifacts', 'x')).rejects.toThrow();
    expect(readdirSync(path.join(root, 'logs', 'unit-tests', '1'))).toEqual(['artifacts']);
    expect((await store.list('')).map((info) => info.path)).toEqual(['logs/unit-tests/1/artifacts/junit.xml']);
  });
});

describe('GcsArtifactStore', () => {
  let bucket: string;
  beforeEach(() => {
    bucket = `unit-${++buckets}`;
  });

  it('links to objects by gs:// URL, with the path prefix', () => {
    const url = runningFake().url;
    expect(new GcsArtifactStore({ bucket, apiEndpoint: url }).urlFor('logs/j/1/build-log.txt')).toBe(`gs://${bucket}/logs/j/1/build-log.txt`);
    expect(new GcsArtifactStore({ bucket: `gs://${bucket}/`, pathPrefix: '/ci/cutwater/', apiEndpoint: url }).urlFor('logs/j/1/build-log.txt')).toBe(
      `gs://${bucket}/ci/cutwater/logs/j/1/build-log.txt`,
    );
  });

  it('rejects a bucket with a path in it and a path prefix that could escape', () => {
    expect(() => new GcsArtifactStore({ bucket: 'gs://bucket/logs' })).toThrow(/invalid bucket/);
    expect(() => new GcsArtifactStore({ bucket: '' })).toThrow(/invalid bucket/);
    expect(() => new GcsArtifactStore({ bucket, pathPrefix: '../other' })).toThrow(/invalid artifact path/);
  });

  it('writes objects under the path prefix, each in one simple upload', async () => {
    const gcs = runningFake();
    const store = new GcsArtifactStore({ bucket, pathPrefix: 'cutwater', apiEndpoint: gcs.url });
    await store.write('logs/j/1/build-log.txt', 'ok\n', { contentType: 'text/plain; charset=utf-8' });
    expect(gcs.objects(bucket).map((object) => [object.name, object.contentType, object.content.toString()])).toEqual([
      ['cutwater/logs/j/1/build-log.txt', 'text/plain; charset=utf-8', 'ok\n'],
    ]);
    const uploads = gcs.requests.filter((request) => request.method === 'POST' && request.path === `/upload/storage/v1/b/${bucket}/o`);
    expect(uploads.map((request) => request.query)).toEqual([{ uploadType: 'multipart', name: 'cutwater/logs/j/1/build-log.txt' }]);
  });

  it('lets the client guess a content type from the name when none is given', async () => {
    const store = new GcsArtifactStore({ bucket, apiEndpoint: runningFake().url });
    await store.write('logs/j/1/finished.json', '{}');
    expect(await store.list('logs/')).toMatchObject([{ path: 'logs/j/1/finished.json', contentType: 'application/json' }]);
  });

  it('asks GCS for an inclusive byte range', async () => {
    const gcs = runningFake();
    const store = new GcsArtifactStore({ bucket, apiEndpoint: gcs.url });
    await store.write('logs/j/1/build-log.txt', '0123456789');
    expect((await store.readRange('logs/j/1/build-log.txt', 2, 5))?.toString()).toBe('234');
    expect((await store.readRange('logs/j/1/build-log.txt', 7))?.toString()).toBe('789');
    const ranges = gcs.requests.filter((request) => request.path.startsWith(`/storage/v1/b/${bucket}/o/`)).map((request) => request.range);
    expect(ranges).toEqual(['bytes=2-4', 'bytes=7-']);
  });

  it('follows nextPageToken until the listing ends', async () => {
    const gcs = runningFake();
    const store = new GcsArtifactStore({ bucket, apiEndpoint: gcs.url });
    for (const build of ['1', '2', '3', '4', '5']) await store.write(`logs/j/${build}/started.json`, '{}');
    expect((await store.list('logs/j/')).map((info) => info.path)).toHaveLength(5);
    const listings = gcs.requests.filter((request) => request.method === 'GET' && request.path === `/storage/v1/b/${bucket}/o`);
    expect(listings).toHaveLength(3);
    expect(listings.every((request) => request.query.prefix === 'logs/j/')).toBe(true);
    expect(listings.slice(1).every((request) => request.query.pageToken !== undefined)).toBe(true);
  });

  it('reports the object’s size, type and update time from GCS', async () => {
    const store = new GcsArtifactStore({ bucket, apiEndpoint: runningFake().url });
    await store.write('logs/j/1/build-log.txt', 'ünï\n', { contentType: 'text/plain' });
    const [info] = await store.list('logs/j/1/');
    expect(info).toMatchObject({ path: 'logs/j/1/build-log.txt', size: 6, contentType: 'text/plain' });
    expect(info?.updated).toBeInstanceOf(Date);
    expect(Number.isNaN(info?.updated?.getTime())).toBe(false);
  });
});
