import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from '../../runner/executor/kubernetes';
import { Runner } from '../../runner/runner';
import { staticConfigSource } from '../../shared/config/config-source';
import { memoryLogger } from '../../shared/log/logger';
import { EmbeddedStore } from '../../shared/store/embedded';
import type { RunnerPresence, RunnerPresenceStore } from '../../shared/store/runners';
import type { Store } from '../../shared/store/store';
import { buildFromFiles, expectLoaded } from '../support/config';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes';
import { testProwJob } from '../support/prowjobs';
import { waitFor } from '../support/wait';

/**
 * A runner records its presence for the health page: at start, every `presenceMs`, and as stopped
 * on a clean shutdown; a store that refuses those writes costs a warning, never a job.
 */
const NAMESPACE = 'test-pods';
const TIMING = { leaseTtlMs: 1_500, heartbeatMs: 250, sweepMs: 400, presenceMs: 100 };

describe('runner presence', () => {
  let kube: FakeKubernetes | undefined;
  let store: EmbeddedStore | undefined;
  const runners: Runner[] = [];

  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop({ releaseLeases: false });
    await kube?.close();
    await store?.close();
  });

  async function startRunner(runnerStore: Store, log = memoryLogger()): Promise<Runner> {
    kube = await startFakeKubernetes({ namespaces: [NAMESPACE] });
    const runner = new Runner({
      cluster: 'gke-east',
      holder: 'gke-east/runner-7',
      version: '1.2.3',
      store: runnerStore,
      executor: new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'gke-east' }),
      config: staticConfigSource(expectLoaded(buildFromFiles({ config: '' }))),
      log,
      ...TIMING,
    });
    await runner.start();
    runners.push(runner);
    return runner;
  }

  /** The first value `read` gives that is not undefined. */
  async function eventually<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
    let value: T | undefined;
    await waitFor(async () => (value = await read()) !== undefined, what);
    return value as T;
  }

  /** Pods start running and stay so until the test ends. */
  function podsRunForever(): void {
    kube?.onCreate((pod: V1Pod) => {
      setTimeout(() => kube?.setPhase(NAMESPACE, pod.metadata?.name ?? '', 'Running'), 10);
    });
  }

  it('is listed from its start, counts the jobs it holds at each beat, and says when it stopped cleanly', async () => {
    store = EmbeddedStore.open();
    const runner = await startRunner(store);
    const started = await eventually(async () => (await store?.runners.list())?.[0], 'the first beat');
    expect(started).toMatchObject({ cluster: 'gke-east', holder: 'gke-east/runner-7', version: '1.2.3', jobsHeld: 0 });
    expect(started.stoppedAt).toBeUndefined();

    podsRunForever();
    const job = testProwJob({ cluster: 'gke-east' });
    await store.jobs.create(job, { idempotencyKey: job.metadata.name ?? '' });
    const busy = await eventually(async () => (await store?.runners.list())?.find((record) => record.jobsHeld === 1), 'a beat with the job held');
    expect(busy.lastHeartbeatAt).toBeGreaterThan(started.lastHeartbeatAt);
    expect(busy.startedAt).toBe(started.startedAt);

    runners.splice(runners.indexOf(runner), 1);
    await runner.stop();
    const [stopped] = await store.runners.list();
    expect(stopped?.stoppedAt).toBeTypeOf('number');
    expect(stopped?.jobsHeld).toBe(0);
  }, 30_000);

  it('goes silent without a word when it stops as a crashed runner would', async () => {
    store = EmbeddedStore.open();
    const runner = await startRunner(store);
    await waitFor(async () => ((await store?.runners.list()) ?? []).length === 1, 'the first beat');
    runners.splice(runners.indexOf(runner), 1);
    await runner.stop({ releaseLeases: false });
    const [last] = await store.runners.list();
    await new Promise((resolve) => setTimeout(resolve, TIMING.presenceMs * 3));
    expect((await store.runners.list())[0]).toEqual(last);
    expect(last?.stoppedAt).toBeUndefined();
  }, 30_000);

  it('keeps running jobs, with a warning, when its presence cannot be written', async () => {
    store = EmbeddedStore.open();
    let refused = 0;
    const refusing: RunnerPresenceStore = {
      beat: async (_record: RunnerPresence) => {
        refused++;
        await Promise.resolve();
        throw new Error('permission denied on runners');
      },
      list: () => Promise.resolve([]),
    };
    const log = memoryLogger();
    const backing = store;
    const runnerStore: Store = { ...backing, runners: refusing, close: () => backing.close() };
    await startRunner(runnerStore, log);
    podsRunForever();
    const job = testProwJob({ cluster: 'gke-east' });
    await store.jobs.create(job, { idempotencyKey: job.metadata.name ?? '' });
    await waitFor(async () => (await store?.jobs.get(job.metadata.name ?? ''))?.job.status?.state === 'pending', 'the job to run');
    await waitFor(() => refused >= 3, 'several refused beats');
    const warnings = log.entries.filter((entry) => String(entry.message).includes('presence'));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ severity: 'WARNING', error: 'permission denied on runners' });
  }, 30_000);
});
