import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/args';
import { runnerCommand, runnerLeaseTiming } from '../../cli/runner';
import { FirestoreStore } from '../../shared/store/firestore';
import { REPO_ROOT } from '../support/config';
import { freePort, startFirestoreEmulator, type RunningEmulator } from '../support/emulators';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes';
import { testProwJob } from '../support/prowjobs';
import { waitFor } from '../support/wait';

/**
 * `cutwater runner --cluster NAME --kubeconfig F` as a real process: on the Firestore emulator and
 * the fake Kubernetes API server, it runs a triggered job as a pod, answers /healthz, and on
 * SIGTERM exits cleanly with its lease given back. Its lease TTL and heartbeat are the operator's
 * to set, and refused when they cannot work together.
 */

describe('cutwater runner, as a real process', () => {
  let emulator: RunningEmulator;
  let kube: FakeKubernetes;
  let dir: string;

  beforeAll(async () => {
    emulator = await startFirestoreEmulator();
    kube = await startFakeKubernetes({ namespaces: ['test-pods'] });
    dir = mkdtempSync(path.join(tmpdir(), 'cutwater-runner-cli-'));
    writeFileSync(path.join(dir, 'kubeconfig'), kube.kubeconfigYaml());
    writeFileSync(path.join(dir, 'config.yaml'), 'pod_namespace: test-pods\n');
  });
  afterAll(async () => {
    await kube.close();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `cutwater runner` for cluster "default" on the emulator's `projectId`, with more flags if given. */
  function spawnRunner(projectId: string, port: number, flags: string[] = []) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/cutwater.ts', 'runner', '--cluster', 'default', '--kubeconfig', path.join(dir, 'kubeconfig'), '--config-path', path.join(dir, 'config.yaml'), '--port', String(port), ...flags],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, FIRESTORE_EMULATOR_HOST: emulator.host, GOOGLE_CLOUD_PROJECT: projectId },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const run = { child, output: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
    child.stdout.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
    return run;
  }

  it('runs a triggered job as a pod, reports it, and gives its lease back on SIGTERM', async () => {
    const projectId = 'runner-cli';
    const store = FirestoreStore.connect({ projectId, emulatorHost: emulator.host });
    const job = testProwJob({ pull: 3 });
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: 'cli-test' });

    const port = await freePort();
    const run = spawnRunner(projectId, port);
    const { child, exited } = run;
    try {
      await waitFor(() => kube.pods('test-pods').length === 1, `the pod (runner output so far:\n${run.output})`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      await waitFor(async () => (await store.jobs.get(name))?.job.status?.state === 'pending', 'the job to be pending');
      const pending = await store.jobs.get(name);
      expect(pending?.lease?.holder).toMatch(/^default\//);
      expect(pending?.job.status?.build_id).toMatch(/^\d{19}$/);
      kube.setPhase('test-pods', name, 'Running');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(run.output).toContain('leases given back');
      const after = await store.jobs.get(name);
      expect(after?.job.status?.state).toBe('pending');
      expect(after?.lease?.expiresAt).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await store.close();
    }
  }, 120_000);

  it('leases jobs for the --lease-ttl it is given', async () => {
    const projectId = 'runner-cli-lease-ttl';
    const store = FirestoreStore.connect({ projectId, emulatorHost: emulator.host });
    const job = testProwJob({ pull: 4 });
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: 'cli-lease-ttl' });

    const run = spawnRunner(projectId, await freePort(), ['--lease-ttl', '10m', '--heartbeat', '1m']);
    try {
      await waitFor(async () => (await store.jobs.get(name))?.lease != null, `the job to be leased (runner output so far:\n${run.output})`);
      const leasedAt = Date.now();
      const lease = (await store.jobs.get(name))?.lease;
      // Ten minutes from when it was taken, not the default minute.
      expect(lease?.expiresAt).toBeGreaterThan(leasedAt + 9 * 60_000);
      expect(lease?.expiresAt).toBeLessThanOrEqual(leasedAt + 10 * 60_000);
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
      await store.close();
    }
  }, 120_000);

  it('says what is missing when started without a cluster', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/cutwater.ts', 'runner'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--cluster is required');
  });
});

describe('cutwater runner lease settings', () => {
  it('defaults to a one-minute lease and a heartbeat every 10 seconds (which renews it at half)', () => {
    expect(runnerLeaseTiming({}, {})).toEqual({ leaseTtlMs: 60_000, heartbeatMs: 10_000 });
  });

  it('takes Go durations from the flags, or else from $LEASE_TTL and $HEARTBEAT', () => {
    expect(runnerLeaseTiming({ 'lease-ttl': '2m', heartbeat: '30s' }, {})).toEqual({ leaseTtlMs: 120_000, heartbeatMs: 30_000 });
    expect(runnerLeaseTiming({}, { LEASE_TTL: '1m30s', HEARTBEAT: '15s' })).toEqual({ leaseTtlMs: 90_000, heartbeatMs: 15_000 });
    expect(runnerLeaseTiming({ 'lease-ttl': '3m' }, { LEASE_TTL: '1h' })).toEqual({ leaseTtlMs: 180_000, heartbeatMs: 30_000 });
  });

  it('refuses what is not a Go duration, naming where it came from', () => {
    expect(() => runnerLeaseTiming({ 'lease-ttl': '60' }, {})).toThrow(new UsageError("--lease-ttl: invalid duration '60': missing unit in '60' (use h, m, s, ms…) (a Go duration such as 60s or 1m30s)"));
    expect(() => runnerLeaseTiming({}, { HEARTBEAT: 'soon' })).toThrow(/^\$HEARTBEAT: invalid duration 'soon'/);
  });

  it('refuses a heartbeat that is not shorter than the lease TTL, before connecting to anything', async () => {
    const refusal = '--lease-ttl and --heartbeat: the heartbeat (45s) must be shorter than the lease TTL (30s), or leases expire before they are renewed';
    expect(() => runnerLeaseTiming({ 'lease-ttl': '30s', heartbeat: '45s' }, {})).toThrow(new UsageError(refusal));
    expect(() => runnerLeaseTiming({ heartbeat: '1m' }, {})).toThrow(/the heartbeat \(1m0s\) must be shorter than the lease TTL \(1m0s\)/);
    expect(() => runnerLeaseTiming({ 'lease-ttl': '0s' }, {})).toThrow(/the lease TTL must be longer than 0s, not 0s/);
    const io = { stdout: () => undefined, stderr: () => undefined };
    await expect(
      runnerCommand(['--cluster', 'default', '--config-path', '/nonexistent/config.yaml', '--kubeconfig', '/nonexistent/kubeconfig', '--lease-ttl', '30s', '--heartbeat', '45s'], io),
    ).rejects.toThrow(new UsageError(refusal));
  });
});
