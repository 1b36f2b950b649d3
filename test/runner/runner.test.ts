import type { V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../shared/artifacts/artifact-store';
import { DiskArtifactStore } from '../../shared/artifacts/disk';
import { jobArtifactsDir } from '../../shared/artifacts/layout';
import { PodReportSchema } from '../../shared/status/lenses/podinfo';
import { KubernetesExecutor } from '../../runner/executor/kubernetes';
import { Runner } from '../../runner/runner';
import { memoryLogger } from '../../shared/log/logger';
import type { ProwJob } from '../../shared/prowjob/schema';
import { staticConfigSource } from '../../shared/config/config-source';
import { EmbeddedStore } from '../../shared/store/embedded';
import { buildFromFiles, expectLoaded } from '../support/config';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes';
import { testProwJob } from '../support/prowjobs';
import { sidecarArtifactsLog } from '../support/sidecar-artifacts';
import { waitFor } from '../support/wait';

/**
 * Runners against the fake Kubernetes API server and a real store: leases make each job run
 * once, and the store (not any one runner) carries the work through crashes.
 */
const NAMESPACE = 'test-pods';
const LEASE = { leaseTtlMs: 1_500, heartbeatMs: 250, sweepMs: 400 };


describe('runner', () => {
  let kube: FakeKubernetes;
  let store: EmbeddedStore;
  const runners: Runner[] = [];
  const log = memoryLogger();
  const config = staticConfigSource(expectLoaded(buildFromFiles({ config: 'plank:\n  max_revivals: 2\n' })));

  async function setUp(): Promise<void> {
    kube = await startFakeKubernetes({ namespaces: [NAMESPACE] });
    store = EmbeddedStore.open();
  }
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop({ releaseLeases: false });
    await kube.close();
    await store.close();
  });

  async function startRunner(index: number): Promise<Runner> {
    const executor = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
    const runner = new Runner({ cluster: 'default', holder: `runner-${index}`, store, executor, config, log, ...LEASE });
    await runner.start();
    runners.push(runner);
    return runner;
  }

  async function trigger(job: ProwJob): Promise<string> {
    await store.jobs.create(job, { idempotencyKey: job.metadata.name ?? '' });
    return job.metadata.name ?? '';
  }

  /** Plays the kubelet: every new pod runs, then succeeds after `runMs`. */
  function autoRun(runMs: number, live?: Set<string>): Map<string, number> {
    const created = new Map<string, number>();
    kube.onCreate((pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      created.set(name, (created.get(name) ?? 0) + 1);
      live?.add(name);
      setTimeout(() => {
        if (!kube.pods(NAMESPACE).some((p) => p.metadata?.name === name)) return;
        kube.setPhase(NAMESPACE, name, 'Running');
        setTimeout(() => {
          live?.delete(name);
          if (kube.pods(NAMESPACE).some((p) => p.metadata?.name === name)) kube.setPhase(NAMESPACE, name, 'Succeeded');
        }, runMs);
      }, 10);
    });
    return created;
  }

  const stateOf = async (name: string) => (await store.jobs.get(name))?.job.status?.state;

  it('runs 200 jobs on three runners with exactly one pod each, even when one runner dies mid-way', async () => {
    await setUp();
    const created = autoRun(150);
    await Promise.all([0, 1, 2].map(startRunner));
    const names = await Promise.all(Array.from({ length: 200 }, () => trigger(testProwJob())));
    await waitFor(async () => (await store.jobs.list({ state: 'success' }, { limit: 1000 })).jobs.length >= 60, 'a third of the jobs');
    // The first runner crashes: it stops renewing but never gives its leases back.
    await runners[0]?.stop({ releaseLeases: false });
    await waitFor(
      async () => (await store.jobs.list({}, { limit: 1000 })).jobs.every((job) => job.job.status?.state === 'success'),
      'every job to succeed',
      90_000,
    );
    for (const name of names) expect(created.get(name), `pods created for ${name}`).toBe(1);
    // Finished pods are removed, including those the dead runner finished but never removed.
    await waitFor(() => kube.pods(NAMESPACE).length === 0, 'every pod to be removed');
  }, 120_000);

  it('never runs more pods of a job than its max_concurrency, across runners', async () => {
    await setUp();
    const live = new Set<string>();
    let most = 0;
    autoRun(200, live);
    kube.onCreate(() => void (most = Math.max(most, live.size)));
    await Promise.all([0, 1, 2].map(startRunner));
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const job = testProwJob({ job: 'pull-widgets-e2e' });
      job.spec.max_concurrency = 2;
      names.push(await trigger(job));
    }
    await waitFor(async () => (await Promise.all(names.map(stateOf))).every((state) => state === 'success'), 'all eight runs');
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2);
  }, 60_000);

  it('shares a job queue’s capacity (plank.job_queue_capacities) between runners', async () => {
    kube = await startFakeKubernetes({ namespaces: [NAMESPACE] });
    store = EmbeddedStore.open();
    const live = new Set<string>();
    let most = 0;
    autoRun(150, live);
    kube.onCreate(() => void (most = Math.max(most, live.size)));
    const queued = staticConfigSource(expectLoaded(buildFromFiles({ config: 'plank:\n  job_queue_capacities:\n    gpu: 1\n' })));
    for (const index of [0, 1]) {
      const executor = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
      const runner = new Runner({ cluster: 'default', holder: `runner-${index}`, store, executor, config: queued, log, ...LEASE });
      await runner.start();
      runners.push(runner);
    }
    const names: string[] = [];
    for (const job of ['gpu-a', 'gpu-b', 'gpu-c', 'gpu-d']) {
      const prowJob = testProwJob({ job });
      prowJob.spec.job_queue_name = 'gpu';
      names.push(await trigger(prowJob));
    }
    await waitFor(async () => (await Promise.all(names.map(stateOf))).every((state) => state === 'success'), 'all four jobs');
    expect(most).toBe(1);
  }, 60_000);

  it('stores a decorated pod’s build log, metadata and artifacts in Prow’s layout', async () => {
    await setUp();
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-runner-artifacts-'));
    try {
      const artifacts = new DiskArtifactStore(root);
      const executor = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
      const runner = new Runner({ cluster: 'default', holder: 'runner-a', store, executor, config, log, artifacts, ...LEASE });
      await runner.start();
      runners.push(runner);
      const job = testProwJob({ pull: 4, job: 'pull-widgets-unit' });
      job.spec.decoration_config = { timeout: '1h' };
      const name = await trigger(job);
      await waitFor(() => kube.pods(NAMESPACE).length === 1, 'the pod');
      kube.setPhase(NAMESPACE, name, 'Running');
      kube.appendLog(NAMESPACE, name, 'test', 'PASS: TestWidgets\n');
      kube.appendLog(NAMESPACE, name, 'artifacts', await sidecarArtifactsLog({ './junit_01.xml': '<testsuite tests="1"/>' }));
      kube.addPodEvent(NAMESPACE, name, { reason: 'Pulled', message: 'Container image "golang:1.22" already present on machine' });
      kube.setPhase(NAMESPACE, name, 'Succeeded');
      await waitFor(async () => (await stateOf(name)) === 'success', 'success');
      const finished = (await store.jobs.get(name))?.job;
      const dir = `pr-logs/pull/acme_widgets/4/pull-widgets-unit/${finished?.status?.build_id}/`;
      await waitFor(async () => (await artifacts.list(dir)).length === 6, 'the uploads');
      expect((await artifacts.list(dir)).map((file) => file.path.slice(dir.length))).toEqual([
        'artifacts/junit_01.xml',
        'build-log.txt',
        'finished.json',
        'podinfo.json',
        'prowjob.json',
        'started.json',
      ]);
      expect((await artifacts.read(`${dir}build-log.txt`))?.toString()).toBe('PASS: TestWidgets\n');
      // Prow's podinfo.json: the pod as it ended and its events, which the podinfo lens reads.
      const podInfo = PodReportSchema.parse(JSON.parse((await artifacts.read(`${dir}podinfo.json`))?.toString() ?? '{}'));
      expect(podInfo.pod?.metadata?.name).toBe(name);
      expect(podInfo.pod?.status?.phase).toBe('Succeeded');
      expect(podInfo.events?.map((event) => event.reason)).toEqual(['Pulled']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('masks the values of the Secrets a job’s pod references when it sets censor_secrets, as Prow’s sidecar does', async () => {
    await setUp();
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-runner-censor-'));
    try {
      kube.setSecret(NAMESPACE, 'creds', { token: 'volume-secret-value-123' });
      kube.setSecret(NAMESPACE, 'env-creds', { key: 'env-secret-value-789' });
      const artifacts = new DiskArtifactStore(root);
      const executor = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
      const runner = new Runner({ cluster: 'default', holder: 'runner-a', store, executor, config, log, artifacts, secrets: ['control-plane-secret-xyz'], ...LEASE });
      await runner.start();
      runners.push(runner);
      const job = testProwJob({ pull: 4, job: 'pull-widgets-unit' });
      job.spec.decoration_config = { timeout: '1h', censor_secrets: true, censoring_options: { exclude_directories: ['raw/**'] } };
      const podSpec = job.spec.pod_spec as { containers: Record<string, unknown>[]; volumes?: unknown[] };
      podSpec.containers[0] = {
        ...podSpec.containers[0],
        env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'env-creds', key: 'key' } } }],
        volumeMounts: [{ name: 'creds', mountPath: '/etc/creds' }],
      };
      podSpec.volumes = [{ name: 'creds', secret: { secretName: 'creds' } }];
      const name = await trigger(job);
      await waitFor(() => kube.pods(NAMESPACE).length === 1, 'the pod');
      kube.setPhase(NAMESPACE, name, 'Running');
      kube.appendLog(NAMESPACE, name, 'test', 'volume volume-secret-value-123 env env-secret-value-789 runner control-plane-secret-xyz\n');
      const files = { './junit.xml': '<failure>volume-secret-value-123</failure>', './raw/dump.txt': 'volume-secret-value-123 control-plane-secret-xyz' };
      kube.appendLog(NAMESPACE, name, 'artifacts', await sidecarArtifactsLog(files));
      kube.setPhase(NAMESPACE, name, 'Succeeded');
      await waitFor(async () => (await stateOf(name)) === 'success', 'success');
      const finished = (await store.jobs.get(name))?.job;
      const dir = `pr-logs/pull/acme_widgets/4/pull-widgets-unit/${finished?.status?.build_id}/`;
      expect((await artifacts.read(`${dir}build-log.txt`))?.toString()).toBe('volume ***** env ***** runner *****\n');
      expect((await artifacts.read(`${dir}artifacts/junit.xml`))?.toString()).toBe('<failure>*****</failure>');
      // Excluded from the job's own censoring, never from the control plane's.
      expect((await artifacts.read(`${dir}artifacts/raw/dump.txt`))?.toString()).toBe('volume-secret-value-123 *****');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps a job running until its results are stored, retrying a failed upload', async () => {
    await setUp();
    const root = mkdtempSync(path.join(tmpdir(), 'cutwater-runner-retry-'));
    try {
      const disk = new DiskArtifactStore(root);
      let failuresLeft = 2;
      const flaky: ArtifactStore = {
        write: (file, content) => {
          if (failuresLeft > 0) {
            failuresLeft--;
            return Promise.reject(new Error('GCS unavailable'));
          }
          return disk.write(file, content);
        },
        read: disk.read.bind(disk),
        readRange: disk.readRange.bind(disk),
        list: disk.list.bind(disk),
        urlFor: disk.urlFor.bind(disk),
      };
      const executor = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
      const runner = new Runner({ cluster: 'default', holder: 'runner-a', store, executor, config, log, artifacts: flaky, ...LEASE });
      await runner.start();
      runners.push(runner);
      const name = await trigger(testProwJob());
      await waitFor(() => kube.pods(NAMESPACE).length === 1, 'the pod');
      kube.setPhase(NAMESPACE, name, 'Running');
      kube.appendLog(NAMESPACE, name, 'test', 'all good\n');
      // started.json is the first write, and fails; so does the first attempt at the results.
      kube.setPhase(NAMESPACE, name, 'Succeeded');
      await waitFor(async () => (await stateOf(name)) === 'success', 'success once the upload works');
      expect(failuresLeft).toBe(0);
      const job = (await store.jobs.get(name))?.job;
      const dir = jobArtifactsDir(job as ProwJob, job?.status?.build_id ?? '');
      expect((await disk.read(`${dir}build-log.txt`))?.toString()).toBe('all good\n');
      await waitFor(() => kube.pods(NAMESPACE).length === 0, 'the pod to be removed');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('deletes the pod of a job aborted in the store', async () => {
    await setUp();
    await startRunner(0);
    const name = await trigger(testProwJob());
    await waitFor(() => kube.pods(NAMESPACE).length === 1, 'the pod');
    kube.setPhase(NAMESPACE, name, 'Running');
    await store.jobs.update(name, { state: 'aborted', status: { description: 'Aborted by trigger plugin.' } }, 'latest');
    await waitFor(() => kube.pods(NAMESPACE).length === 0, 'the pod to be deleted');
    expect(await stateOf(name)).toBe('aborted');
  });

  it('stops an aborted job at once, without waiting for its next lease renewal', async () => {
    await setUp();
    // Heartbeats and renewals far apart: only the abort feed can tell the runner in time.
    const runner = new Runner({ cluster: 'default', holder: 'runner-slow-beat', store, executor: new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' }), config, log, leaseTtlMs: 600_000, heartbeatMs: 300_000, sweepMs: 400 });
    await runner.start();
    try {
      const name = await trigger(testProwJob());
      await waitFor(() => kube.pods(NAMESPACE).length === 1, 'the pod');
      kube.setPhase(NAMESPACE, name, 'Running');
      await store.jobs.update(name, { state: 'aborted', status: { description: 'Aborted by trigger plugin.' } }, 'latest');
      await waitFor(() => kube.pods(NAMESPACE).length === 0, 'the pod to be deleted', 10_000);
      expect(runner.heldJobs()).toEqual([]);
      expect(await stateOf(name)).toBe('aborted');
    } finally {
      await runner.stop();
    }
  });

  it('fails a job that outlives its decoration timeout, and stops its pod', async () => {
    await setUp();
    await startRunner(0);
    const job = testProwJob();
    job.spec.decoration_config = { timeout: '1s', grace_period: '1s' };
    const name = await trigger(job);
    await waitFor(() => kube.pods(NAMESPACE).length === 1, 'the pod');
    kube.setPhase(NAMESPACE, name, 'Running');
    await waitFor(async () => (await stateOf(name)) === 'failure', 'the timeout');
    expect((await store.jobs.get(name))?.job.status?.description).toBe('Job timed out after 1s.');
    await waitFor(() => kube.pods(NAMESPACE).length === 0, 'the pod to be deleted');
  });

  it('starts a vanished pod again a bounded number of times, then errors the job', async () => {
    await setUp();
    const created = autoRun(60_000);
    await startRunner(0);
    const name = await trigger(testProwJob());
    for (let lost = 1; lost <= 3; lost++) {
      await waitFor(() => (created.get(name) ?? 0) === lost && kube.pods(NAMESPACE).length === 1, `pod ${lost}`);
      kube.vanish(NAMESPACE, name);
    }
    await waitFor(async () => (await stateOf(name)) === 'error', 'the job to error');
    const job = (await store.jobs.get(name))?.job;
    expect(job?.status?.pod_revival_count).toBe(2);
    expect(job?.status?.description).toBe('Job pod reached max revivals (2) after being deleted unexpectedly.');
    expect(created.get(name)).toBe(3);
  });

  it('adopts the running pods of a restarted runner instead of creating them again', async () => {
    await setUp();
    const created = autoRun(60_000);
    const first = await startRunner(0);
    const name = await trigger(testProwJob());
    await waitFor(() => kube.pods(NAMESPACE)[0]?.status?.phase === 'Running', 'the pod to run');
    await first.stop();
    runners.splice(runners.indexOf(first), 1);
    await startRunner(1);
    await waitFor(async () => (await store.jobs.get(name))?.lease?.holder === 'runner-1', 'the new runner to hold the job');
    kube.setPhase(NAMESPACE, name, 'Succeeded');
    await waitFor(async () => (await stateOf(name)) === 'success', 'success');
    expect(created.get(name)).toBe(1);
  });

  it('finishes a claim under way before stop() returns, starts nothing, and gives the job back', async () => {
    await setUp();
    const created = autoRun(50);
    let stopReturned = false;
    const callsAfterStop: string[] = [];
    let letClaimFinish!: () => void;
    const claimHeld = new Promise<void>((resolve) => (letClaimFinish = resolve));
    let claimStarted!: () => void;
    const claiming = new Promise<void>((resolve) => (claimStarted = resolve));
    // The store as the runner sees it: notes calls made after stop() returned; holds the first claim.
    const watched = <T extends object>(target: T, area: string): T =>
      new Proxy(target, {
        get(object, property, receiver) {
          const value: unknown = Reflect.get(object, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (stopReturned) callsAfterStop.push(`${area}.${String(property)}`);
            const call = () => (value as (...a: unknown[]) => unknown).apply(object, args);
            if (area === 'jobs' && property === 'claim') {
              claimStarted();
              return claimHeld.then(call);
            }
            return call();
          };
        },
      });
    const runnerStore = Object.create(store, {
      jobs: { value: watched(store.jobs, 'jobs') },
      slots: { value: watched(store.slots, 'slots') },
    }) as EmbeddedStore;
    const executor = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
    const runner = new Runner({ cluster: 'default', holder: 'runner-stopping', store: runnerStore, executor, config, log, ...LEASE });
    await runner.start();
    const name = await trigger(testProwJob());
    await claiming;
    const stopping = runner.stop().then(() => (stopReturned = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopReturned, 'stop() returned while a claim was still under way').toBe(false);
    letClaimFinish();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 3 * LEASE.sweepMs));
    expect(callsAfterStop).toEqual([]);
    expect(created.get(name)).toBeUndefined();
    // Given back, not left to expire: leased and started in one write, it is pending with its lease
    // ended, and another runner takes it at once and runs it.
    const givenBack = await store.jobs.get(name);
    expect(givenBack?.job.status?.state).toBe('pending');
    expect(givenBack?.lease?.expiresAt).toBe(0);
    await startRunner(1);
    await waitFor(async () => (await stateOf(name)) === 'success', 'the other runner to run it', 5_000);
  });
});
