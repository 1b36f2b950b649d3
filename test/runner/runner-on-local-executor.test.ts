import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { processIsDead } from '../support/processes';
import { waitFor } from '../support/wait';

/** Local mode's path: a runner with the local executor, results in Prow's layout on disk. */
describe('runner with the local executor', () => {
  const dirs: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A directory for the work root: jobs run as nobody under root, and must be able to pass through it. */
  function tempRoot(): string {
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-local-runner-'));
    chmodSync(root, 0o711);
    dirs.push(root);
    return root;
  }

  /** A started runner over a fresh embedded store, the local executor and disk artifacts under `root`. */
  async function startRunner(root: string, options: { leaseTtlMs?: number; secrets?: string[] } = {}) {
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
      ...options,
    });
    await runner.start();
    cleanups.push(async () => {
      await runner.stop();
      await store.close();
    });
    return { store, artifacts };
  }

  it('runs a job as local processes and stores its log, metadata and artifacts in Prow’s layout', async () => {
    const { store, artifacts } = await startRunner(tempRoot(), { leaseTtlMs: 3_000 });

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
    // prowjob.json is the final record's copy, written after the final state (runner.ts).
    await waitFor(async () => (await artifacts.read(`${dir}prowjob.json`)) !== undefined, 'prowjob.json stored', 10_000);
    const listed = (await artifacts.list(dir)).map((file) => file.path.slice(dir.length));
    expect(listed).toEqual(['artifacts/junit/junit_01.xml', 'build-log.txt', 'finished.json', 'prowjob.json', 'started.json']);
    expect((await artifacts.read(`${dir}build-log.txt`))?.toString()).toContain('testing ci-local-smoke');
    expect(JSON.parse((await artifacts.read(`${dir}finished.json`))?.toString() ?? '')).toMatchObject({ passed: true, result: 'SUCCESS' });
    expect(JSON.parse((await artifacts.read(`${dir}prowjob.json`))?.toString() ?? '')).toMatchObject({ metadata: { name }, status: { state: 'success' } });
  });

  it('stores the log and artifacts with every secret it knows masked, split writes and base64 included', async () => {
    const webhookSecret = 'webhook-secret-0123456789';
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123';
    const { store, artifacts } = await startRunner(tempRoot(), { secrets: [webhookSecret, `${token}\n`] });

    const job: ProwJob = testProwJob({ type: 'periodic', job: 'ci-leaky' });
    delete job.spec.refs;
    // The secret is put together at run time, half written, then the rest a moment later.
    const script = [
      "a='webhook-secret-'; b='0123456789'",
      'printf "%s" "$a"; sleep 0.2; printf "%s\\n" "$b"',
      `echo "token: ${token}"`,
      'printf "%s" "$a$b" | base64',
      'echo "in a file: $a$b" > "$ARTIFACTS/leak.txt"',
    ].join('\n');
    job.spec.pod_spec = { containers: [{ image: 'alpine', command: ['sh', '-c', script] }] };
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });
    await waitFor(async () => (await store.jobs.get(name))?.job.status?.state === 'success', 'the job to succeed');

    const finished = (await store.jobs.get(name))?.job as ProwJob;
    const dir = jobArtifactsDir(finished, finished.status?.build_id ?? '');
    const log = (await artifacts.read(`${dir}build-log.txt`))?.toString() ?? '';
    expect(log).toBe('*****\ntoken: *****\n*****\n');
    expect((await artifacts.read(`${dir}artifacts/leak.txt`))?.toString()).toBe('in a file: *****\n');
  });

  it('after a crash, runs the job again only once its old execution has ended: never two at once', async () => {
    const root = tempRoot();
    const store = EmbeddedStore.open();
    const config = staticConfigSource(expectLoaded(buildFromFiles({ config: '' })));
    const startRunner = async (executor: LocalExecutor) => {
      const runner = new Runner({ cluster: 'default', holder: 'local', store, executor, config, log: memoryLogger(), leaseTtlMs: 1_500, heartbeatMs: 300, sweepMs: 300 });
      await runner.start();
      return runner;
    };
    const crashed = await startRunner(new LocalExecutor({ workRoot: path.join(root, 'work'), stateDir: root }));
    cleanups.push(async () => {
      await store.close();
    });

    // Each run notes its shell and its child ($$$$: Kubernetes reads $$ as an escaped $) in a file
    // only this test and the job's user share; the first runs on and on, a later one ends.
    const shared = mkdtempSync(path.join(tmpdir(), 'cutwater-local-runs-'));
    dirs.push(shared);
    chmodSync(shared, 0o777);
    const runs = () => (existsSync(path.join(shared, 'runs')) ? readFileSync(path.join(shared, 'runs'), 'utf8').trim().split('\n').filter(Boolean) : []).map((line) => line.split(' ').map(Number));
    const job: ProwJob = testProwJob({ type: 'periodic', job: 'ci-long' });
    delete job.spec.refs;
    const script = `sleep 600 & echo "$$$$ $!" >> '${path.join(shared, 'runs')}'; if [ "$(wc -l < '${path.join(shared, 'runs')}')" -gt 1 ]; then kill $!; fi; wait`;
    job.spec.pod_spec = { containers: [{ image: 'alpine', command: ['sh', '-c', script] }] };
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });
    await waitFor(() => runs().length === 1, 'the first run');

    // The runner dies as under kill -9: it renews nothing more and its executor is never shut down.
    await crashed.stop({ releaseLeases: false });
    let mostAtOnce = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        mostAtOnce = Math.max(mostAtOnce, runs().filter((run) => run.some((pid) => !processIsDead(pid))).length);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const restartedExecutor = new LocalExecutor({ workRoot: path.join(root, 'work'), stateDir: root });
    const restarted = await startRunner(restartedExecutor);
    cleanups.unshift(async () => {
      await restarted.stop();
      await restartedExecutor.shutdown(0);
    });
    // Ended while the restarted runner started, before the lease let it claim the job again.
    expect((runs()[0] ?? []).filter((pid) => !processIsDead(pid))).toEqual([]);
    await waitFor(async () => (await store.jobs.get(name))?.job.status?.state === 'success', 'the job to succeed on its second run', 30_000);
    watching = false;
    await watcher;
    expect(runs()).toHaveLength(2);
    expect(mostAtOnce).toBe(1);
  });
});
