import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionPhase, ExecutionStatus } from '../../runner/executor/executor';
import { KubernetesExecutor } from '../../runner/executor/kubernetes';
import {
  ABORTED_RESULTS_SETTLE_MS,
  decidePodCleanup,
  needsJobLookup,
  podCleanupPolicy,
  type PodCleanupPolicy,
} from '../../runner/pod-cleanup';
import { Runner } from '../../runner/runner';
import { memoryLogger } from '../../shared/log/logger';
import type { ProwJob, ProwJobState } from '../../shared/prowjob/schema';
import { staticConfigSource } from '../../shared/config/config-source';
import { EmbeddedStore } from '../../shared/store/embedded';
import type { StoredJob } from '../../shared/store/store';
import { buildFromFiles, expectLoaded } from '../support/config';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes';
import { testProwJob } from '../support/prowjobs';
import { waitFor } from '../support/wait';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const DEFAULTS: PodCleanupPolicy = podCleanupPolicy(expectLoaded(buildFromFiles({})), 'default');

function execution(phase: ExecutionPhase, options: { startedAgoMs?: number; jobName?: string } = {}): ExecutionStatus {
  const jobName = options.jobName ?? 'job-1';
  return {
    jobName,
    phase,
    description: phase,
    executionName: jobName,
    ...(options.startedAgoMs === undefined ? {} : { startedAt: new Date(NOW - options.startedAgoMs) }),
  };
}

function stored(state: ProwJobState, options: { completedAgoMs?: number; gracePeriod?: string } = {}): StoredJob {
  const job = testProwJob({ name: 'job-1', job: 'pull-widgets-unit', pull: 3 });
  if (options.gracePeriod) job.spec.decoration_config = { grace_period: options.gracePeriod };
  const completed = options.completedAgoMs === undefined ? undefined : NOW - options.completedAgoMs;
  job.status = {
    state,
    startTime: new Date(NOW - 2 * 24 * HOUR).toISOString(),
    ...(completed === undefined ? {} : { completionTime: new Date(completed).toISOString() }),
  };
  return { job, revision: 4, createdAt: NOW - 2 * 24 * HOUR, updatedAt: completed ?? NOW - 2 * 24 * HOUR };
}

describe('pod cleanup decision', () => {
  it('never removes the pod of an active job, however old', () => {
    for (const state of ['triggered', 'pending'] as const) {
      for (const phase of ['pending', 'running', 'succeeded', 'failed', 'error'] as const) {
        expect(decidePodCleanup({ execution: execution(phase, { startedAgoMs: 30 * 24 * HOUR }), job: stored(state) }, DEFAULTS, NOW)).toEqual({
          remove: false,
          why: 'active',
        });
      }
    }
  });

  it('removes an orphan — its ProwJob is gone — stopping it gracefully when it still runs', () => {
    expect(decidePodCleanup({ execution: execution('running', { startedAgoMs: MINUTE }), job: undefined }, DEFAULTS, NOW)).toMatchObject({
      remove: true,
      reason: 'orphaned',
      stop: true,
      gracePeriodMs: 15_000,
    });
    expect(decidePodCleanup({ execution: execution('succeeded'), job: undefined }, DEFAULTS, NOW)).toMatchObject({
      remove: true,
      reason: 'orphaned',
      stop: false,
    });
  });

  it('removes an ended pod of a finished job at once: its results are stored before the state is written', () => {
    expect(decidePodCleanup({ execution: execution('failed', { startedAgoMs: HOUR }), job: stored('failure', { completedAgoMs: MINUTE }) }, DEFAULTS, NOW)).toMatchObject({
      remove: true,
      reason: 'finished',
      stop: false,
    });
  });

  it('removes a still-running pod of a finished job once it is older than max_pod_age', () => {
    const job = stored('success', { completedAgoMs: HOUR });
    expect(decidePodCleanup({ execution: execution('running', { startedAgoMs: 23 * HOUR }), job }, DEFAULTS, NOW)).toEqual({ remove: false, why: 'young' });
    expect(decidePodCleanup({ execution: execution('running', { startedAgoMs: 25 * HOUR }), job }, DEFAULTS, NOW)).toMatchObject({
      remove: true,
      reason: 'aged',
      stop: true,
      detail: 'it started 25h0m0s ago, past max_pod_age 24h0m0s, and its job is success',
    });
  });

  it('removes a still-running pod of a job finished longer ago than terminated_pod_ttl', () => {
    // Never started (unschedulable), so only the job's completion can age it.
    const pod = execution('pending');
    expect(decidePodCleanup({ execution: pod, job: stored('error', { completedAgoMs: 23 * HOUR }) }, DEFAULTS, NOW)).toEqual({ remove: false, why: 'young' });
    expect(decidePodCleanup({ execution: pod, job: stored('error', { completedAgoMs: 25 * HOUR }) }, DEFAULTS, NOW)).toMatchObject({ remove: true, reason: 'ttled' });
    const shortTtl = podCleanupPolicy(expectLoaded(buildFromFiles({ config: 'sinker:\n  terminated_pod_ttl: 30m\n' })), 'default');
    expect(decidePodCleanup({ execution: pod, job: stored('error', { completedAgoMs: 31 * MINUTE }) }, shortTtl, NOW)).toMatchObject({
      remove: true,
      reason: 'ttled',
      detail: 'its job ended error 31m0s ago, past terminated_pod_ttl 30m0s',
    });
  });

  it('leaves the pod of a job aborted moments ago to the runner storing its results, grace period included', () => {
    const ended = execution('failed');
    expect(decidePodCleanup({ execution: ended, job: stored('aborted', { completedAgoMs: MINUTE }) }, DEFAULTS, NOW)).toEqual({ remove: false, why: 'results-pending' });
    const settled = ABORTED_RESULTS_SETTLE_MS + 15_000 + 1;
    expect(decidePodCleanup({ execution: ended, job: stored('aborted', { completedAgoMs: settled }) }, DEFAULTS, NOW)).toMatchObject({ remove: true, reason: 'finished' });
    // A longer grace period gives the runner longer.
    const patient = stored('aborted', { completedAgoMs: settled, gracePeriod: '10m' });
    expect(decidePodCleanup({ execution: ended, job: patient }, DEFAULTS, NOW)).toEqual({ remove: false, why: 'results-pending' });
    expect(decidePodCleanup({ execution: execution('running'), job: stored('aborted', { completedAgoMs: 2 * 24 * HOUR, gracePeriod: '10m' }) }, DEFAULTS, NOW)).toMatchObject({
      remove: true,
      reason: 'ttled',
      stop: true,
      gracePeriodMs: 10 * MINUTE,
    });
  });

  it('leaves live pods alone in a cluster listed in sinker.exclude_clusters; ended leftovers still go', () => {
    const config = expectLoaded(buildFromFiles({ config: 'sinker:\n  exclude_clusters: [gpu]\n' }));
    const excluded = podCleanupPolicy(config, 'gpu');
    expect(excluded.sinkerRules).toBe(false);
    expect(podCleanupPolicy(config, 'default').sinkerRules).toBe(true);
    const old = execution('running', { startedAgoMs: 3 * 24 * HOUR });
    expect(decidePodCleanup({ execution: old, job: undefined }, excluded, NOW)).toEqual({ remove: false, why: 'excluded' });
    expect(decidePodCleanup({ execution: old, job: stored('success', { completedAgoMs: 2 * 24 * HOUR }) }, excluded, NOW)).toEqual({ remove: false, why: 'excluded' });
    expect(decidePodCleanup({ execution: execution('succeeded'), job: stored('success', { completedAgoMs: MINUTE }) }, excluded, NOW)).toMatchObject({ reason: 'finished' });
    expect(decidePodCleanup({ execution: execution('succeeded'), job: undefined }, excluded, NOW)).toMatchObject({ reason: 'orphaned' });
  });

  it('reads the job of an ended execution at every sweep, of a live one only on a sinker pass', () => {
    for (const phase of ['succeeded', 'failed', 'error'] as const) expect(needsJobLookup(execution(phase), false)).toBe(true);
    for (const phase of ['pending', 'running'] as const) {
      expect(needsJobLookup(execution(phase), false)).toBe(false);
      expect(needsJobLookup(execution(phase), true)).toBe(true);
    }
  });
});

describe('pod cleanup in the runner’s sweep', () => {
  const NAMESPACE = 'test-pods';
  let kube: FakeKubernetes | undefined;
  let store: EmbeddedStore | undefined;
  let runner: Runner | undefined;
  afterEach(async () => {
    await runner?.stop({ releaseLeases: false });
    await kube?.close();
    await store?.close();
  });

  it('removes an orphaned pod and an old pod of a finished job, and keeps the pods of active jobs', async () => {
    kube = await startFakeKubernetes({ namespaces: [NAMESPACE] });
    store = EmbeddedStore.open();
    const jobs = store.jobs;
    const log = memoryLogger();
    const config = staticConfigSource(
      expectLoaded(buildFromFiles({ config: 'sinker:\n  max_pod_age: 1s\n  terminated_pod_ttl: 1h\n  resync_period: 100ms\n' })),
    );
    // Pods the runner under test did not start: a peer's, an earlier runner's, a deleted job's.
    const elsewhere = new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' });
    const withBuild = (job: ProwJob, state: ProwJobState): ProwJob => ({ ...job, status: { state, build_id: '1', startTime: new Date().toISOString() } });
    const podNames = () => (kube?.pods(NAMESPACE) ?? []).map((pod) => pod.metadata?.name ?? '');

    const orphan = withBuild(testProwJob(), 'pending');
    const finished = withBuild(testProwJob(), 'failure');
    finished.status = { ...finished.status, state: 'failure', completionTime: new Date().toISOString() };
    await jobs.create(finished, { idempotencyKey: 'finished' });
    const peers = testProwJob();
    await jobs.create(peers, { idempotencyKey: 'peers' });
    const peerClaim = await jobs.claim(peers.metadata.name ?? '', { cluster: 'default', holder: 'peer', ttlMs: 10 * MINUTE });
    if (!peerClaim) throw new Error('test bug: the peer could not claim its job');
    const peerJob = await jobs.update(peers.metadata.name ?? '', { state: 'pending', status: { build_id: '1' } }, { lease: peerClaim.lease });
    for (const job of [orphan, finished, peerJob.job]) {
      await elsewhere.start(job);
      kube.setPhase(NAMESPACE, job.metadata.name ?? '', 'Running');
    }

    runner = new Runner({ cluster: 'default', holder: 'runner-0', store, executor: new KubernetesExecutor({ kubeConfig: kube.kubeConfig(), namespace: NAMESPACE, cluster: 'default' }), config, log, leaseTtlMs: 1_500, heartbeatMs: 250, sweepMs: 300 });
    await runner.start();
    const own = testProwJob();
    await jobs.create(own, { idempotencyKey: 'own' });
    const ownName = own.metadata.name ?? '';
    await waitFor(() => podNames().includes(ownName), 'the runner’s own pod');
    kube.setPhase(NAMESPACE, ownName, 'Running');

    await waitFor(() => !podNames().includes(orphan.metadata.name ?? '') && !podNames().includes(finished.metadata.name ?? ''), 'the orphan and the old pod to go');
    const removals = log.entries.filter((entry) => entry.message === 'removing a leftover pod');
    expect(removals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ jobId: orphan.metadata.name, state: 'deleted', reason: 'orphaned', phase: 'running' }),
        expect.objectContaining({ jobId: finished.metadata.name, state: 'failure', reason: 'aged', repo: 'acme/widgets', job: 'unit-tests' }),
      ]),
    );
    // Let several more sweeps (sinker passes every 100ms) judge the active jobs' pods, by now
    // older than max_pod_age: they stay.
    const removed = () => log.entries.filter((entry) => entry.message === 'removing a leftover pod').length;
    const before = removed();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(removed()).toBe(before);
    expect(podNames().sort()).toEqual([ownName, peers.metadata.name ?? ''].sort());
    expect((await jobs.get(ownName))?.job.status?.state).toBe('pending');
    expect((await jobs.get(peers.metadata.name ?? ''))?.lease?.holder).toBe('peer');
  });
});
