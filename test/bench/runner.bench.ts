import type { V1Pod } from '@kubernetes/client-node';
import { KubernetesExecutor } from '../../runner/executor/kubernetes';
import { Runner } from '../../runner/runner';
import { createLogger } from '../../shared/log/logger';
import { staticConfigSource } from '../../shared/config/config-source';
import { FirestoreStore } from '../../shared/store/firestore';
import { buildFromFiles, expectLoaded } from '../support/config';
import { startFirestoreEmulator } from '../support/emulators';
import { startFakeKubernetes } from '../support/fake-kubernetes';
import { testProwJob } from '../support/prowjobs';

/**
 * The runner on the Firestore emulator and the fake Kubernetes API server: how long from a
 * ProwJob being created (as the trigger plugin does) to its pod being created, and the runner's
 * memory with 1,000 jobs in flight.
 */
const NAMESPACE = 'test-pods';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function benchRunner(): Promise<string> {
  const emulator = await startFirestoreEmulator('cutwater-bench');
  const kube = await startFakeKubernetes({ namespaces: [NAMESPACE] });
  const store = FirestoreStore.connect({ projectId: 'bench-runner', emulatorHost: emulator.host });
  const created = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  kube.onCreate((pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    created.set(name, performance.now());
    waiting.get(name)?.();
  });
  const runner = new Runner({
    cluster: 'default',
    holder: 'bench-runner',
    store,
    executor: new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' }),
    config: staticConfigSource(expectLoaded(buildFromFiles({ config: '' }))),
    log: createLogger({ sink: () => undefined }),
  });
  const lines: string[] = [];
  try {
    await runner.start();
    const latencies: number[] = [];
    for (let i = 0; i < 60; i++) {
      const job = testProwJob();
      const name = job.metadata.name ?? '';
      const podCreated = new Promise<void>((resolve) => waiting.set(name, resolve));
      const started = performance.now();
      await store.jobs.create(job, { idempotencyKey: name });
      await podCreated;
      if (i >= 10) latencies.push((created.get(name) ?? Number.NaN) - started);
    }
    latencies.sort((a, b) => a - b);

    global.gc?.();
    const before = process.memoryUsage();
    const IN_FLIGHT = 1_000;
    const started = performance.now();
    for (let batch = 0; batch < IN_FLIGHT / 100; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, () => {
          const job = testProwJob();
          return store.jobs.create(job, { idempotencyKey: job.metadata.name ?? '' });
        }),
      );
    }
    const deadline = Date.now() + 300_000;
    while (runner.heldJobs().length < IN_FLIGHT + 60 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const seconds = (performance.now() - started) / 1000;
    global.gc?.();
    const after = process.memoryUsage();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    lines.push(
      '### Runner on the Firestore emulator and the fake Kubernetes API server',
      '',
      '| measure | value |',
      '|---|---:|',
      `| ProwJob created → pod created, p50 (50 jobs, one at a time) | ${percentile(latencies, 50).toFixed(1)} ms |`,
      `| ProwJob created → pod created, p99 | ${percentile(latencies, 99).toFixed(1)} ms |`,
      `| ${IN_FLIGHT} jobs triggered at once → all held with pods | ${seconds.toFixed(1)} s (${(IN_FLIGHT / seconds).toFixed(0)} jobs/s) |`,
      `| jobs held at the end | ${runner.heldJobs().length} |`,
      `| heap growth with ${IN_FLIGHT} more jobs in flight (runner, store client and fake API server in one process) | ${mib(after.heapUsed - before.heapUsed)} MiB |`,
      `| process RSS with ${runner.heldJobs().length} jobs in flight | ${mib(after.rss)} MiB |`,
    );
  } finally {
    await runner.stop({ releaseLeases: false });
    await store.close();
    await kube.close();
    await emulator.stop();
  }
  return lines.join('\n');
}
