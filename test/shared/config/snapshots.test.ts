import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../shared/artifacts/artifact-store';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import type { ConfigTexts } from '../../../shared/config/load';
import { countJobs } from '../../../shared/config/model';
import { formatProblem } from '../../../shared/config/problems';
import {
  createSnapshot,
  publishSnapshot,
  readPointer,
  snapshotConfigSource,
  snapshotPaths,
  snapshotVersion,
  type SnapshotSource,
} from '../../../shared/config/snapshots';
import { memoryLogger } from '../../../shared/log/logger';
import { configSourceFromEnv, staticConfigSource } from '../../../shared/config/config-source';
import { expectLoaded, buildFromFiles, lineOf, yaml } from '../../support/config';
import { useTempTrees } from '../../support/files';

/** A job-config file with one always-run presubmit per name. */
function presubmitFile(...names: string[]): string {
  const jobs = names
    .map((name) => `  - name: ${name}\n    always_run: true\n    spec:\n      containers:\n      - image: registry.example/test:latest\n`)
    .join('');
  return `presubmits:\n  acme/widgets:\n${jobs}`;
}

const BROKEN_JOB = yaml(`
  presubmits:
    acme/widgets:
    - name: unit
      run_if_changed: "^docs/(.*"
      spec:
        containers:
        - image: registry.example/test:latest
`);

function texts(jobs: Record<string, string>, config = 'pod_namespace: test-pods\n'): ConfigTexts {
  return {
    prowConfig: { path: 'config/prow/config.yaml', text: config },
    jobConfigs: Object.entries(jobs).map(([file, text]) => ({ path: file, text })),
    pluginConfig: { path: 'config/prow/plugins.yaml', text: 'plugins:\n  acme/widgets:\n    plugins: [hold]\n' },
  };
}

function source(sha: string, pullRequest = 1): SnapshotSource {
  return { repo: 'acme/config', sha, pullRequest, author: 'alice' };
}

/** An ArtifactStore that counts reads per path, to see what a config source looks at. */
function countingStore(inner: ArtifactStore): ArtifactStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    write: (file, content, options) => inner.write(file, content, options),
    read: (file) => {
      reads.push(file);
      return inner.read(file);
    },
    readRange: (file, start, end) => inner.readRange(file, start, end),
    list: (prefix) => inner.list(prefix),
    urlFor: (file) => inner.urlFor(file),
  };
}

function manualClock(start = Date.parse('2025-06-01T12:00:00Z')) {
  let time = start;
  return { now: () => new Date(time), advance: (ms: number) => void (time += ms) };
}

const PREFIX = 'cutwater/config';

describe('config snapshots', () => {
  const tree = useTempTrees('snapshots');
  const diskStore = () => new DiskArtifactStore(tree({}));

  describe('publishSnapshot', () => {
    it('stores a valid snapshot, then points current.json at it', async () => {
      const store = diskStore();
      const snapshot = createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit', 'lint') }), source('a'.repeat(40)), new Date('2025-06-01T10:00:00Z'));

      const result = await publishSnapshot(store, PREFIX, snapshot);

      expect(result).toMatchObject({ ok: true, stored: 'written', pointer: 'moved', counts: { presubmits: 2, postsubmits: 0, periodics: 0 }, jobConfigFiles: 1 });
      expect(await readPointer(store, PREFIX)).toEqual({
        version: snapshot.version,
        sha: 'a'.repeat(40),
        createdAt: '2025-06-01T10:00:00.000Z',
        repo: 'acme/config',
        pullRequest: 1,
      });
      const stored = JSON.parse((await store.read(snapshotPaths(PREFIX).snapshot(snapshot.version)))!.toString('utf8')) as unknown;
      expect(stored).toEqual(snapshot);
    });

    it('returns the problems of an invalid snapshot as checkconfig prints them, and leaves the pointer alone', async () => {
      const store = diskStore();
      const good = createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') }), source('a'.repeat(40)), new Date('2025-06-01T10:00:00Z'));
      await publishSnapshot(store, PREFIX, good);
      const bad = createSnapshot(texts({ 'config/jobs/widgets.yaml': BROKEN_JOB }), source('b'.repeat(40), 2), new Date('2025-06-01T11:00:00Z'));

      const result = await publishSnapshot(store, PREFIX, bad);

      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.version).toBe(bad.version);
      expect(result.problems.map(formatProblem)).toEqual([
        expect.stringMatching(new RegExp(`^config/jobs/widgets\\.yaml:${lineOf(BROKEN_JOB, 'run_if_changed')}: presubmit unit: run_if_changed: `)),
      ]);
      expect((await readPointer(store, PREFIX))?.version).toBe(good.version);
      expect(await store.read(snapshotPaths(PREFIX).snapshot(bad.version))).toBeUndefined();
    });

    it('gives the same content the same version, and never rewrites a stored snapshot', async () => {
      const store = diskStore();
      const files = texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') });
      const first = createSnapshot(files, source('a'.repeat(40), 1), new Date('2025-06-01T10:00:00Z'));
      await publishSnapshot(store, PREFIX, first);
      const storedPath = fileURLToPath(store.urlFor(snapshotPaths(PREFIX).snapshot(first.version)));
      const storedBytes = await readFile(storedPath);

      // The same files merged again later (a revert of a revert): same version, stored once.
      const again = createSnapshot(files, source('c'.repeat(40), 3), new Date('2025-06-01T12:00:00Z'));
      expect(again.version).toBe(first.version);
      const result = await publishSnapshot(store, PREFIX, again);

      expect(result).toMatchObject({ ok: true, stored: 'existing', pointer: 'unchanged' });
      expect(await readFile(storedPath)).toEqual(storedBytes);
      expect(snapshotVersion(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit', 'lint') }))).not.toBe(first.version);
      // A path is part of the content: the same text elsewhere is another configuration.
      expect(snapshotVersion(texts({ 'config/jobs/other.yaml': presubmitFile('unit') }))).not.toBe(first.version);
    });

    it('does not move the pointer back to configuration older than the current one (a late or replayed event)', async () => {
      const store = diskStore();
      const newer = createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit', 'lint') }), source('b'.repeat(40), 2), new Date('2025-06-01T11:00:00Z'));
      await publishSnapshot(store, PREFIX, newer);
      const older = createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') }), source('a'.repeat(40), 1), new Date('2025-06-01T10:00:00Z'));

      const result = await publishSnapshot(store, PREFIX, older);

      expect(result).toMatchObject({ ok: true, stored: 'written', pointer: 'superseded', current: { version: newer.version } });
      expect((await readPointer(store, PREFIX))?.version).toBe(newer.version);
    });

    it('refuses a snapshot whose version does not match its files', async () => {
      const snapshot = createSnapshot(texts({}), source('a'.repeat(40)), new Date());
      await expect(publishSnapshot(diskStore(), PREFIX, { ...snapshot, version: 'f'.repeat(64) })).rejects.toThrow(/does not match its content/);
    });
  });

  describe('snapshotConfigSource', () => {
    it('fails clearly at first use when nothing has been published', async () => {
      const store = diskStore();
      const configs = snapshotConfigSource(store, PREFIX, memoryLogger());
      await expect(configs.current()).rejects.toThrow(/no configuration snapshot has been published at file:\/\/.*cutwater\/config\/current\.json/);
    });

    it('reads the pointer at most once per refresh interval and picks up a new version after it', async () => {
      const store = countingStore(diskStore());
      const clock = manualClock();
      await publishSnapshot(store, PREFIX, createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') }), source('a'.repeat(40)), new Date('2025-06-01T10:00:00Z')));
      const configs = snapshotConfigSource(store, PREFIX, memoryLogger(), { refreshMs: 60_000, now: clock.now });

      expect(countJobs(await configs.current()).presubmits).toBe(1);
      const second = createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit', 'lint') }), source('b'.repeat(40), 2), new Date('2025-06-01T11:00:00Z'));
      await publishSnapshot(store, PREFIX, second);
      store.reads.length = 0;

      clock.advance(59_000);
      expect(countJobs(await configs.current()).presubmits).toBe(1);
      await configs.settled();
      expect(store.reads).toEqual([]);

      clock.advance(1_000);
      // The refresh runs in the background: this caller is served the config in use, without waiting.
      expect(countJobs(await configs.current()).presubmits).toBe(1);
      await configs.settled();
      expect(countJobs(await configs.current()).presubmits).toBe(2);
      expect(configs.version()).toBe(second.version);
      expect(store.reads).toEqual([snapshotPaths(PREFIX).pointer, snapshotPaths(PREFIX).snapshot(second.version)]);

      // The pointer has not moved: the next look reads only the pointer.
      store.reads.length = 0;
      clock.advance(60_000);
      await configs.current();
      await configs.settled();
      expect(store.reads).toEqual([snapshotPaths(PREFIX).pointer]);
    });

    it('keeps serving the last good config when the new snapshot is corrupt, and tries that version only once', async () => {
      const store = countingStore(diskStore());
      const clock = manualClock();
      const log = memoryLogger();
      await publishSnapshot(store, PREFIX, createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') }), source('a'.repeat(40)), new Date('2025-06-01T10:00:00Z')));
      const configs = snapshotConfigSource(store, PREFIX, log, { now: clock.now });
      expect(countJobs(await configs.current()).presubmits).toBe(1);
      const good = configs.version();

      const next = createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit', 'lint') }), source('b'.repeat(40), 2), new Date('2025-06-01T11:00:00Z'));
      await publishSnapshot(store, PREFIX, next);
      await store.write(snapshotPaths(PREFIX).snapshot(next.version), '{"format":1,"version":"tor');

      clock.advance(60_000);
      await configs.current();
      await configs.settled();
      expect(countJobs(await configs.current()).presubmits).toBe(1);
      expect(configs.version()).toBe(good);
      const complaint = log.entries.find((entry) => entry.message === 'config snapshot cannot be used; keeping the config in use');
      expect(complaint).toMatchObject({ severity: 'ERROR', version: next.version, reason: expect.stringMatching(/not JSON/) as unknown });

      store.reads.length = 0;
      clock.advance(60_000);
      await configs.current();
      await configs.settled();
      expect(store.reads).toEqual([snapshotPaths(PREFIX).pointer]);
    });

    it('keeps the last good config when a stored snapshot is well formed but does not validate', async () => {
      const store = diskStore();
      const clock = manualClock();
      const log = memoryLogger();
      await publishSnapshot(store, PREFIX, createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') }), source('a'.repeat(40)), new Date('2025-06-01T10:00:00Z')));
      const configs = snapshotConfigSource(store, PREFIX, log, { now: clock.now });
      await configs.current();
      // Written around publishSnapshot, as an older or hand-made publisher might.
      const bad = createSnapshot(texts({ 'config/jobs/widgets.yaml': BROKEN_JOB }), source('b'.repeat(40), 2), new Date('2025-06-01T11:00:00Z'));
      await store.write(snapshotPaths(PREFIX).snapshot(bad.version), JSON.stringify(bad));
      await store.write(snapshotPaths(PREFIX).pointer, JSON.stringify({ version: bad.version, sha: bad.source.sha, createdAt: bad.createdAt }));

      clock.advance(60_000);
      await configs.current();
      await configs.settled();
      expect(countJobs(await configs.current()).presubmits).toBe(1);
      expect(log.entries.find((entry) => entry.message === 'config snapshot cannot be used; keeping the config in use')).toMatchObject({
        reason: expect.stringMatching(/does not validate .*config\/jobs\/widgets\.yaml:\d+: presubmit unit: run_if_changed/) as unknown,
      });
    });

    it('serves the fallback until the first snapshot is published', async () => {
      const store = diskStore();
      const clock = manualClock();
      const deployed = expectLoaded(buildFromFiles({ jobs: { 'deployed.yaml': presubmitFile('deployed-1', 'deployed-2', 'deployed-3') } }));
      const configs = snapshotConfigSource(store, PREFIX, memoryLogger(), { now: clock.now, fallback: staticConfigSource(deployed) });

      expect(countJobs(await configs.current()).presubmits).toBe(3);
      await publishSnapshot(store, PREFIX, createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit') }), source('a'.repeat(40)), new Date()));
      expect(countJobs(await configs.current()).presubmits).toBe(3);
      clock.advance(60_000);
      expect(countJobs(await configs.current()).presubmits).toBe(1);
    });
  });

  describe('configSourceFromEnv', () => {
    it('reads snapshots from the directory CONFIG_SNAPSHOTS names, ahead of CONFIG_PATH', async () => {
      const directory = tree({ 'config.yaml': '', 'jobs/deployed.yaml': presubmitFile('deployed') });
      const store = new DiskArtifactStore(path.join(directory, 'snapshots'));
      await publishSnapshot(store, '', createSnapshot(texts({ 'config/jobs/widgets.yaml': presubmitFile('unit', 'lint') }), source('a'.repeat(40)), new Date()));

      const configs = configSourceFromEnv(
        {
          CONFIG_SNAPSHOTS: path.join(directory, 'snapshots'),
          CONFIG_PATH: path.join(directory, 'config.yaml'),
          JOB_CONFIG_PATH: path.join(directory, 'jobs'),
        },
        memoryLogger(),
      );

      expect(countJobs(await configs.current()).presubmits).toBe(2);
    });

    it('reads the files without CONFIG_SNAPSHOTS', async () => {
      const directory = tree({ 'config.yaml': '', 'jobs/deployed.yaml': presubmitFile('deployed') });
      const configs = configSourceFromEnv({ CONFIG_PATH: path.join(directory, 'config.yaml'), JOB_CONFIG_PATH: path.join(directory, 'jobs') }, memoryLogger());
      expect(countJobs(await configs.current()).presubmits).toBe(1);
    });

    it('rejects a location that is neither a bucket nor a directory', () => {
      expect(() => configSourceFromEnv({ CONFIG_SNAPSHOTS: 's3://bucket/config' }, memoryLogger())).toThrow(
        /give gs:\/\/bucket\/prefix or a local directory/,
      );
    });
  });
});
