import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreStore } from '../../shared/store/firestore';
import { REPO_ROOT } from '../support/config';
import { freePort, startFirestoreEmulator, type RunningEmulator } from '../support/emulators';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes';
import { testProwJob } from '../support/prowjobs';
import { waitFor } from '../support/wait';

/**
 * `cutwater runner --cluster NAME --kubeconfig F` as a real process: on the Firestore emulator and
 * the fake Kubernetes API server, it runs a triggered job as a pod, answers /healthz, and on
 * SIGTERM exits cleanly with its lease given back.
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

  it('runs a triggered job as a pod, reports it, and gives its lease back on SIGTERM', async () => {
    const projectId = 'runner-cli';
    const store = FirestoreStore.connect({ projectId, emulatorHost: emulator.host });
    const job = testProwJob({ pull: 3 });
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: 'cli-test' });

    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/cutwater.ts', 'runner', '--cluster', 'default', '--kubeconfig', path.join(dir, 'kubeconfig'), '--config-path', path.join(dir, 'config.yaml'), '--port', String(port)],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, FIRESTORE_EMULATOR_HOST: emulator.host, GOOGLE_CLOUD_PROJECT: projectId },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => kube.pods('test-pods').length === 1, `the pod (runner output so far:\n${output})`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      await waitFor(async () => (await store.jobs.get(name))?.job.status?.state === 'pending', 'the job to be pending');
      const pending = await store.jobs.get(name);
      expect(pending?.lease?.holder).toMatch(/^default\//);
      expect(pending?.job.status?.build_id).toMatch(/^\d{19}$/);
      kube.setPhase('test-pods', name, 'Running');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('leases given back');
      const after = await store.jobs.get(name);
      expect(after?.job.status?.state).toBe('pending');
      expect(after?.lease?.expiresAt).toBe(0);
    } finally {
      child.kill('SIGKILL');
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
