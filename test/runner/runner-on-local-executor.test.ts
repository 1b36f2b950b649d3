import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../runner/executor/local';
import { Runner } from '../../runner/runner';
import { DiskArtifactStore } from '../../shared/artifacts/disk';
import { jobArtifactsDir } from '../../shared/artifacts/layout';
import { memoryLogger } from '../../shared/log/logger';
import type { ProwJob } from '../../shared/prowjob/schema';
import { staticConfigSource } from '../../shared/config/config-source';
import { EmbeddedStore } from '../../shared/store/embedded';
import { buildFromFiles, expectLoaded } from '../support/config';
import { testProwJob } from '../support/prowjobs';

/** Local mode's path: a runner with the local executor, results in Prow's layout on disk. */
describe('runner with the local executor', () => {
  const dirs: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a job as local processes and stores its log, metadata and artifacts in Prow’s layout', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-local-runner-'));
    dirs.push(root);
    const store = EmbeddedStore.open();
    const artifacts = new DiskArtifactStore(path.join(root, 'artifacts'));
    const runner = new Runner({
      cluster: 'default',
      holder: 'local',
      store,
      executor: new LocalExecutor({ workRoot: path.join(root, 'work') }),
      artifacts,
      config: staticConfigSource(expectLoaded(buildFromFiles({ config: '' }))),
      log: memoryLogger(),
      leaseTtlMs: 3_000,
    });
    await runner.start();
    cleanups.push(async () => {
      await runner.stop();
      await store.close();
    });

    const job: ProwJob = testProwJob({ type: 'periodic', job: 'ci-local-smoke' });
    delete job.spec.refs;
    job.spec.pod_spec = {
      containers: [{ image: 'alpine', command: ['sh', '-c'], args: ['echo "testing $JOB_NAME"; mkdir -p "$ARTIFACTS/junit"; echo "<testsuite/>" > "$ARTIFACTS/junit/junit_01.xml"'] }],
    };
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });

    const deadline = Date.now() + 30_000;
    while ((await store.jobs.get(name))?.job.status?.state !== 'success') {
      if (Date.now() > deadline) throw new Error(`job did not succeed: ${JSON.stringify((await store.jobs.get(name))?.job.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const finished = (await store.jobs.get(name))?.job;
    const dir = jobArtifactsDir(finished as ProwJob, finished?.status?.build_id ?? '');
    expect(dir).toMatch(/^logs\/ci-local-smoke\/\d{19}\/$/);
    const listed = (await artifacts.list(dir)).map((file) => file.path.slice(dir.length));
    expect(listed).toEqual(['artifacts/junit/junit_01.xml', 'build-log.txt', 'finished.json', 'prowjob.json', 'started.json']);
    expect((await artifacts.read(`${dir}build-log.txt`))?.toString()).toContain('testing ci-local-smoke');
    expect(JSON.parse((await artifacts.read(`${dir}finished.json`))?.toString() ?? '')).toMatchObject({ passed: true, result: 'SUCCESS' });
    expect(JSON.parse((await artifacts.read(`${dir}prowjob.json`))?.toString() ?? '')).toMatchObject({ metadata: { name }, status: { state: 'success' } });
  });
});
