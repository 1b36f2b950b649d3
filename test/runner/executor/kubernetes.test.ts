import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig, V1PodSpec } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionStatus } from '../../../runner/executor/executor';
import { KubernetesExecutor } from '../../../runner/executor/kubernetes';
import { memoryLogger } from '../../../shared/log/logger';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { startFakeKubernetes, type FakeKubernetes } from '../../support/fake-kubernetes';
import { testProwJob, type TestJobOptions } from '../../support/prowjobs';
import { sidecarArtifactsLog } from '../../support/sidecar-artifacts';

/**
 * The Kubernetes executor against the fake API server, through the real client-node: pods as
 * Prow creates them, an idempotent start, and one watch that survives reconnections and 410s.
 */

const NAMESPACE = 'test-pods';
const CLUSTER = 'build-east';
const PODS_PATH = `/api/v1/namespaces/${NAMESPACE}/pods`;

function pendingJob(options: TestJobOptions = {}, buildId = '1790000000000000001'): ProwJob {
  return { ...testProwJob(options), status: { state: 'pending', build_id: buildId } };
}

/** Polls until `check` stops throwing: waits for what the executor reports, asserting nothing about how long it takes. */
async function eventually(check: () => void): Promise<void> {
  await vi.waitFor(check, { timeout: 20_000, interval: 10 });
}

/** Everything a watch reported, in order. */
function recorder() {
  const statuses: ExecutionStatus[] = [];
  const vanished: string[] = [];
  return {
    statuses,
    vanished,
    listener: (status: ExecutionStatus) => statuses.push(status),
    onVanished: (jobName: string) => vanished.push(jobName),
    /** The phases reported for a job, with repeats of the same phase collapsed. */
    phasesOf(jobName: string): string[] {
      const phases: string[] = [];
      for (const status of statuses) if (status.jobName === jobName && phases.at(-1) !== status.phase) phases.push(status.phase);
      return phases;
    },
    latest(jobName: string): ExecutionStatus | undefined {
      return statuses.filter((status) => status.jobName === jobName).at(-1);
    },
  };
}

interface ProxiedWatch {
  established: boolean;
  /** Ends the stream as a server does at its timeout: cleanly. */
  end(): void;
  /** Breaks the connection, as a network failure does. */
  drop(): void;
}

/**
 * A pass-through proxy in front of the fake API server, so a test can end or break the executor's
 * watch connections, and hold new ones back, at moments of its choosing.
 */
async function startWatchProxy(fake: FakeKubernetes) {
  const watches = new Set<ProxiedWatch>();
  let holding = false;
  let held: (() => void)[] = [];
  const target = new URL(fake.server);

  const forward = (request: IncomingMessage, response: ServerResponse, watch: ProxiedWatch | undefined) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        response.flushHeaders();
        upstreamResponse.pipe(response);
        if (watch) {
          watch.established = true;
          watch.end = () => {
            upstreamResponse.unpipe(response);
            upstream.destroy();
            response.end();
          };
        }
      },
    );
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  };

  const server = createServer((request, response) => {
    const isWatch = new URL(request.url ?? '/', fake.server).searchParams.get('watch') === 'true';
    if (!isWatch) return forward(request, response, undefined);
    const watch: ProxiedWatch = { established: false, end: () => response.destroy(), drop: () => response.destroy() };
    watches.add(watch);
    response.on('close', () => watches.delete(watch));
    if (holding) held.push(() => forward(request, response, watch));
    else forward(request, response, watch);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    kubeConfig(): KubeConfig {
      const config = fake.kubeConfig();
      config.loadFromString(fake.kubeconfigYaml().replace(fake.server, url));
      return config;
    },
    /** Watches connected through to the API server. */
    established(): number {
      return [...watches].filter((watch) => watch.established).length;
    },
    /** Watches asked for, whether connected or held. */
    open(): number {
      return watches.size;
    },
    hold(): void {
      holding = true;
    },
    release(): void {
      holding = false;
      const waiting = held;
      held = [];
      for (const connect of waiting) connect();
    },
    endWatches(): void {
      for (const watch of [...watches]) watch.end();
    },
    dropWatches(): void {
      for (const watch of [...watches]) watch.drop();
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function podSpecOf(job: ProwJob): V1PodSpec {
  return job.spec.pod_spec as unknown as V1PodSpec;
}

describe('Kubernetes executor', () => {
  let fake: FakeKubernetes;
  let executor: KubernetesExecutor;
  const stops: (() => void)[] = [];

  beforeEach(async () => {
    fake = await startFakeKubernetes({ namespaces: [NAMESPACE] });
    executor = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER });
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await fake.close();
  });

  it('starts a job as a valid pod carrying Prow’s labels and environment', async () => {
    const job = pendingJob({ pull: 7 });
    const name = job.metadata.name!;
    const status = await executor.start(job);
    expect(status).toMatchObject({ jobName: name, executionName: name, phase: 'pending', description: 'Job triggered; its pod is starting.' });

    const [pod, ...others] = fake.pods(NAMESPACE);
    expect(others).toEqual([]);
    expect(pod?.metadata).toMatchObject({
      name,
      namespace: NAMESPACE,
      labels: {
        'created-by-prow': 'true',
        'prow.k8s.io/id': name,
        'prow.k8s.io/build-id': '1790000000000000001',
        'prow.k8s.io/job': 'unit-tests',
        'prow.k8s.io/refs.pull': '7',
        'cutwater.dev/cluster': CLUSTER,
      },
    });
    expect(pod?.spec?.restartPolicy).toBe('Never');
    const env = Object.fromEntries((pod?.spec?.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
    expect(env).toMatchObject({ BUILD_ID: '1790000000000000001', PROW_JOB_ID: name, JOB_NAME: 'unit-tests', PULL_NUMBER: '7', GOFLAGS: '-mod=vendor' });
    expect(JSON.parse(env.JOB_SPEC ?? '{}')).toMatchObject({ type: 'presubmit', job: 'unit-tests', buildid: '1790000000000000001' });
  });

  it('describes an ended pod as Prow’s podinfo.json: the pod and only its own events', async () => {
    const job = pendingJob();
    const name = job.metadata.name!;
    // An event about an earlier pod of the same name, and one about another pod: neither belongs.
    fake.addPodEvent(NAMESPACE, name, { reason: 'Killing', message: 'from before' });
    await executor.start(job);
    fake.addPodEvent(NAMESPACE, name, { reason: 'Scheduled', message: `Successfully assigned ${NAMESPACE}/${name} to node-1`, component: 'default-scheduler' });
    fake.addPodEvent(NAMESPACE, 'someone-else', { reason: 'Scheduled', message: 'elsewhere' });
    fake.setPhase(NAMESPACE, name, 'Running');
    fake.addPodEvent(NAMESPACE, name, { type: 'Warning', reason: 'BackOff', message: 'Back-off pulling image', count: 3 });
    fake.setPhase(NAMESPACE, name, 'Failed');

    const info = await executor.podInfo(name);
    expect(info?.pod.metadata?.name).toBe(name);
    expect(info?.pod.status?.phase).toBe('Failed');
    expect(info?.events.map((event) => [event.type, event.reason, event.count, event.source?.component])).toEqual([
      ['Normal', 'Scheduled', 1, 'default-scheduler'],
      ['Warning', 'BackOff', 3, 'kubelet'],
    ]);
    // A pod that is gone has nothing to describe.
    fake.vanish(NAMESPACE, name);
    expect(await executor.podInfo(name)).toBeUndefined();
  });

  it('puts a decorated job’s clone step on the configured image', async () => {
    const custom = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER, cloneImage: 'registry.example/git:1' });
    const job = pendingJob({ pull: 3 });
    job.spec.decoration_config = { timeout: '1h', grace_period: '15s' };
    await custom.start(job);
    expect(fake.pods(NAMESPACE)[0]?.spec?.initContainers?.[0]).toMatchObject({ name: 'clonerefs', image: 'registry.example/git:1' });
  });

  it('starts idempotently: a second start, even from a restarted runner, adopts the existing pod', async () => {
    const job = pendingJob();
    const name = job.metadata.name!;
    await executor.start(job);
    fake.setPhase(NAMESPACE, name, 'Running');

    const restarted = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER });
    expect(await restarted.start(job)).toMatchObject({ jobName: name, phase: 'running', description: 'Job running.' });
    expect(fake.pods(NAMESPACE)).toHaveLength(1);
    expect(fake.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
  });

  it('creates one pod when two runners start the same job at the same moment: the pod’s name is the job’s', async () => {
    const job = pendingJob();
    const other = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER });
    const [first, second] = await Promise.all([executor.start(job), other.start(job)]);
    expect(fake.pods(NAMESPACE).map((pod) => pod.metadata?.name)).toEqual([job.metadata.name]);
    expect([first.jobName, second.jobName]).toEqual([job.metadata.name, job.metadata.name]);
  });

  it('reads the values of the Secrets a job’s pod references, for censoring; a Secret that is gone has none', async () => {
    fake.setSecret(NAMESPACE, 'creds', { token: 'volume-token', ca: 'volume-ca' });
    fake.setSecret(NAMESPACE, 'env-creds', { key: 'env-key', unused: 'not-given-to-the-pod' });
    fake.setSecret(NAMESPACE, 'pull', { '.dockerconfigjson': JSON.stringify({ auths: { 'registry.example': { auth: 'dXNlcjpwdw==', password: 'registry-password' } } }) });
    const job = pendingJob();
    const spec = podSpecOf(job);
    spec.volumes = [
      { name: 'creds', secret: { secretName: 'creds' } },
      { name: 'projected', projected: { sources: [{ secret: { name: 'pull' } }] } },
      { name: 'gone', secret: { secretName: 'deleted-meanwhile' } },
    ];
    spec.containers[0]!.env = [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'env-creds', key: 'key' } } }];
    const values = (await executor.jobSecrets(job)).map((value) => value.toString()).sort();
    expect(values).toEqual(
      ['volume-token', 'volume-ca', 'env-key', JSON.stringify({ auths: { 'registry.example': { auth: 'dXNlcjpwdw==', password: 'registry-password' } } }), 'dXNlcjpwdw==', 'registry-password'].sort(),
    );
  });

  it('reports a pod Kubernetes rejects as invalid as an error naming the reason, and creates nothing', async () => {
    const job = pendingJob();
    delete podSpecOf(job).containers[0]!.image;
    const status = await executor.start(job);
    expect(status).toMatchObject({ jobName: job.metadata.name, phase: 'error' });
    expect(status.description).toMatch(/^Pod can not be created: .*spec\.containers\[0\]\.image: Required value/);
    expect(fake.pods()).toEqual([]);
  });

  it('reports a job without a pod spec as an error without calling Kubernetes', async () => {
    const job = pendingJob();
    delete job.spec.pod_spec;
    expect(await executor.start(job)).toMatchObject({ phase: 'error', description: expect.stringContaining('has no pod_spec') });
    expect(fake.requests).toEqual([]);
  });

  it('throws on failures other than an invalid pod, so the runner retries', async () => {
    const elsewhere = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: 'missing', cluster: CLUSTER });
    await expect(elsewhere.start(pendingJob())).rejects.toThrow(/namespaces "missing" not found/);
  });

  it('reads a status by job name, and undefined once the pod is gone', async () => {
    const job = pendingJob();
    const name = job.metadata.name!;
    await executor.start(job);
    fake.setPhase(NAMESPACE, name, 'Failed', { exitCode: 3 });
    expect(await executor.status(name)).toMatchObject({ phase: 'failed', description: 'Job failed: exit code 3.', exitCode: 3 });
    fake.vanish(NAMESPACE, name);
    expect(await executor.status(name)).toBeUndefined();
  });

  it('lists its own pods by label after a restart, and not another cluster’s', async () => {
    const first = pendingJob();
    const second = pendingJob();
    await executor.start(first);
    await executor.start(second);
    const otherCluster = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: 'build-west' });
    const foreign = pendingJob();
    await otherCluster.start(foreign);
    fake.setPhase(NAMESPACE, second.metadata.name!, 'Succeeded');

    const restarted = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER });
    const listed = await restarted.list();
    expect(listed.map((status) => [status.jobName, status.phase]).sort()).toEqual(
      [
        [first.metadata.name, 'pending'],
        [second.metadata.name, 'succeeded'],
      ].sort(),
    );
    expect((await otherCluster.list()).map((status) => status.jobName)).toEqual([foreign.metadata.name]);
    expect(fake.requests.find((request) => request.method === 'GET' && request.path === PODS_PATH)?.query.labelSelector).toBe(
      `created-by-prow=true,cutwater.dev/cluster=${CLUSTER}`,
    );
  });

  it('returns the test container’s log, and nothing before it starts or after the pod is gone', async () => {
    const job = pendingJob({ pull: 1 });
    // Decoration adds an init container, so the log must name the test container explicitly.
    job.spec.decoration_config = { timeout: '1h' };
    const name = job.metadata.name!;
    await executor.start(job);
    expect(await executor.log(name)).toBe('');

    fake.setPhase(NAMESPACE, name, 'Running');
    fake.appendLog(NAMESPACE, name, 'clonerefs', 'cloning\n');
    fake.appendLog(NAMESPACE, name, 'test', 'go test ./...\n');
    fake.appendLog(NAMESPACE, name, 'test', 'ok  \tacme/widgets\t0.1s\n');
    expect(await executor.log(name)).toBe('go test ./...\nok  \tacme/widgets\t0.1s\n');

    fake.vanish(NAMESPACE, name);
    expect(await executor.log(name)).toBe('');
  });

  it('collects the artifacts a decorated pod’s sidecar printed, and none from an undecorated pod', async () => {
    const job = pendingJob({ pull: 1 });
    job.spec.decoration_config = { timeout: '1h' };
    const name = job.metadata.name!;
    await executor.start(job);
    fake.setPhase(NAMESPACE, name, 'Running');
    fake.appendLog(NAMESPACE, name, 'artifacts', await sidecarArtifactsLog({ './junit/junit_01.xml': '<testsuite tests="1"/>' }));
    expect(await executor.artifacts(name)).toEqual([{ path: 'junit/junit_01.xml', content: Buffer.from('<testsuite tests="1"/>') }]);

    const plain = pendingJob();
    await executor.start(plain);
    expect(await executor.artifacts(plain.metadata.name!)).toEqual([]);
  });

  it('aborts by deleting the pod with the grace period in whole seconds; deleting what is gone is fine', async () => {
    const job = pendingJob();
    const name = job.metadata.name!;
    await executor.start(job);
    fake.setPhase(NAMESPACE, name, 'Running');
    await executor.abort(name, 1_500);
    expect(fake.pods()).toEqual([]);
    expect(fake.requests.find((request) => request.method === 'DELETE')).toMatchObject({ path: `${PODS_PATH}/${name}`, query: { gracePeriodSeconds: '2' } });

    await executor.abort(name, 1_000);
    await executor.remove(name);
    expect(fake.requests.filter((request) => request.method === 'DELETE')).toHaveLength(3);
  });

  it('watches a job’s pod through pending, running and its end, with descriptions a person understands', async () => {
    const passing = pendingJob();
    const failing = pendingJob();
    const unpullable = pendingJob();
    const seen = recorder();
    for (const job of [passing, failing, unpullable]) await executor.start(job);
    stops.push(executor.watch(seen.listener, seen.onVanished));
    const [passingName, failingName, unpullableName] = [passing, failing, unpullable].map((job) => job.metadata.name!) as [string, string, string];
    await eventually(() => expect(new Set(seen.statuses.map((status) => status.jobName))).toEqual(new Set([passingName, failingName, unpullableName])));

    fake.setPhase(NAMESPACE, passingName, 'Running');
    fake.setPhase(NAMESPACE, passingName, 'Succeeded');
    fake.setPhase(NAMESPACE, failingName, 'Running');
    fake.setPhase(NAMESPACE, failingName, 'Failed', { exitCode: 2 });
    fake.setImagePullError(NAMESPACE, unpullableName, 'test', 'ErrImagePull', 'manifest unknown');

    await eventually(() => expect(seen.latest(unpullableName)?.phase).toBe('error'));
    expect(seen.phasesOf(passingName)).toEqual(['pending', 'running', 'succeeded']);
    expect(seen.phasesOf(failingName)).toEqual(['pending', 'running', 'failed']);
    expect(seen.statuses.filter((status) => status.jobName === passingName).map((status) => status.description)).toEqual([
      'Job triggered; its pod is starting.',
      'Job running.',
      'Job succeeded.',
    ]);
    expect(seen.latest(passingName)).toMatchObject({ exitCode: 0, finishedAt: expect.any(Date), startedAt: expect.any(Date) });
    expect(seen.latest(failingName)).toMatchObject({ description: 'Job failed: exit code 2.', exitCode: 2 });
    expect(seen.latest(unpullableName)?.description).toBe('Image "golang:1.23" of container test could not be pulled: manifest unknown');
    expect(seen.vanished).toEqual([]);
    // One watch, with the executor's label selector.
    const watches = fake.requests.filter((request) => request.query.watch === 'true');
    expect(watches).toHaveLength(1);
    expect(watches[0]).toMatchObject({ path: PODS_PATH, query: { labelSelector: `created-by-prow=true,cutwater.dev/cluster=${CLUSTER}` } });
  });

  it('reports a pod that vanished, but not one it removed or aborted itself', async () => {
    const removed = pendingJob();
    const aborted = pendingJob();
    const lost = pendingJob();
    const seen = recorder();
    for (const job of [removed, aborted, lost]) await executor.start(job);
    stops.push(executor.watch(seen.listener, seen.onVanished));
    await eventually(() => expect(seen.statuses).toHaveLength(3));

    fake.setPhase(NAMESPACE, removed.metadata.name!, 'Succeeded');
    await executor.remove(removed.metadata.name!);
    fake.setPhase(NAMESPACE, aborted.metadata.name!, 'Running');
    await executor.abort(aborted.metadata.name!, 30_000);
    fake.vanish(NAMESPACE, lost.metadata.name!);

    // Events arrive in order, so by the time the lost pod is reported the others' DELETED events have been handled.
    await eventually(() => expect(seen.vanished).toEqual([lost.metadata.name]));
  });

  it('keeps watching when a listener throws', async () => {
    const job = pendingJob();
    const name = job.metadata.name!;
    const log = memoryLogger();
    const logged = new KubernetesExecutor({ kubeConfig: fake.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER, log });
    await logged.start(job);
    const phases: string[] = [];
    stops.push(
      logged.watch(
        (status) => {
          phases.push(status.phase);
          if (status.phase === 'pending') throw new Error('listener bug');
        },
        () => undefined,
      ),
    );
    await eventually(() => expect(phases).toContain('pending'));
    fake.setPhase(NAMESPACE, name, 'Running');
    await eventually(() => expect(phases).toContain('running'));
    expect(log.entries).toContainEqual(expect.objectContaining({ severity: 'INFO', message: 'pod created', jobName: name, cluster: CLUSTER }));
    expect(log.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'execution status listener failed', jobName: name }));
  });

  describe('through connections that end', () => {
    let proxy: Awaited<ReturnType<typeof startWatchProxy>>;
    let proxied: KubernetesExecutor;

    beforeEach(async () => {
      proxy = await startWatchProxy(fake);
      proxied = new KubernetesExecutor({ kubeConfig: proxy.kubeConfig(), namespace: NAMESPACE, cluster: CLUSTER });
    });

    afterEach(async () => {
      for (const stop of stops.splice(0)) stop();
      await proxy.close();
    });

    it('resumes from the last resourceVersion after the connection breaks, missing nothing', async () => {
      const job = pendingJob();
      const name = job.metadata.name!;
      await proxied.start(job);
      const seen = recorder();
      stops.push(proxied.watch(seen.listener, seen.onVanished));
      await eventually(() => expect(proxy.established()).toBe(1));
      await eventually(() => expect(seen.phasesOf(name)).toEqual(['pending']));

      proxy.hold();
      proxy.dropWatches();
      const requestsBefore = fake.requests.length;
      fake.setPhase(NAMESPACE, name, 'Running');
      fake.setPhase(NAMESPACE, name, 'Succeeded');
      await eventually(() => expect(proxy.open()).toBe(1));
      proxy.release();

      await eventually(() => expect(seen.phasesOf(name)).toEqual(['pending', 'running', 'succeeded']));
      const after = fake.requests.slice(requestsBefore);
      expect(after.filter((request) => request.query.watch !== 'true' && request.path === PODS_PATH)).toEqual([]);
      expect(after.find((request) => request.query.watch === 'true')?.query.resourceVersion).toMatch(/^\d+$/);
      expect(seen.vanished).toEqual([]);
    });

    it('lists afresh after a 410, reporting what changed and what vanished while it was away', async () => {
      const running = pendingJob();
      const lost = pendingJob();
      const removed = pendingJob();
      for (const job of [running, lost, removed]) await proxied.start(job);
      const seen = recorder();
      stops.push(proxied.watch(seen.listener, seen.onVanished));
      fake.setPhase(NAMESPACE, running.metadata.name!, 'Running');
      await eventually(() => expect(seen.latest(running.metadata.name!)?.phase).toBe('running'));
      await eventually(() => expect(proxy.established()).toBe(1));

      proxy.hold();
      proxy.endWatches();
      const requestsBefore = fake.requests.length;
      const started = pendingJob();
      await proxied.start(started);
      await proxied.remove(removed.metadata.name!);
      fake.setPhase(NAMESPACE, running.metadata.name!, 'Succeeded');
      fake.vanish(NAMESPACE, lost.metadata.name!);
      fake.compactHistory();
      await eventually(() => expect(proxy.open()).toBe(1));
      proxy.release();

      await eventually(() => expect(seen.vanished).toEqual([lost.metadata.name]));
      await eventually(() => expect(seen.latest(started.metadata.name!)?.phase).toBe('pending'));
      expect(seen.latest(running.metadata.name!)?.phase).toBe('succeeded');
      const podRequests = () => fake.requests.slice(requestsBefore).filter((request) => request.method === 'GET' && request.path === PODS_PATH);
      // The watch from the old resourceVersion (answered 410), then a list, then a watch from the list's version.
      await eventually(() => expect(podRequests().map((request) => (request.query.watch === 'true' ? 'watch' : 'list'))).toEqual(['watch', 'list', 'watch']));
      const [expired, , resumed] = podRequests();
      expect(Number(resumed?.query.resourceVersion)).toBeGreaterThan(Number(expired?.query.resourceVersion));

      // The watch goes on from the list: later changes still arrive.
      fake.vanish(NAMESPACE, started.metadata.name!);
      await eventually(() => expect(seen.vanished).toEqual([lost.metadata.name, started.metadata.name]));
    });

    it('reports a pod replaced under the same name while it was away as vanished, then the new pod', async () => {
      const job = pendingJob();
      const name = job.metadata.name!;
      await proxied.start(job);
      const seen = recorder();
      stops.push(proxied.watch(seen.listener, seen.onVanished));
      fake.setPhase(NAMESPACE, name, 'Running');
      await eventually(() => expect(seen.latest(name)?.phase).toBe('running'));
      await eventually(() => expect(proxy.established()).toBe(1));

      proxy.hold();
      proxy.endWatches();
      fake.vanish(NAMESPACE, name);
      await proxied.start(job);
      fake.compactHistory();
      await eventually(() => expect(proxy.open()).toBe(1));
      proxy.release();

      await eventually(() => expect(seen.vanished).toEqual([name]));
      await eventually(() => expect(seen.latest(name)?.phase).toBe('pending'));
    });

    it('stops for good: the connection is closed and not re-established', async () => {
      const job = pendingJob();
      const name = job.metadata.name!;
      await proxied.start(job);
      const seen = recorder();
      const stop = proxied.watch(seen.listener, seen.onVanished);
      await eventually(() => expect(proxy.established()).toBe(1));
      stop();
      await eventually(() => expect(proxy.open()).toBe(0));

      // A second watch sees what follows; the stopped one, nothing.
      const later = recorder();
      stops.push(proxied.watch(later.listener, later.onVanished));
      await eventually(() => expect(later.phasesOf(name)).toEqual(['pending']));
      fake.setPhase(NAMESPACE, name, 'Running');
      fake.vanish(NAMESPACE, name);
      await eventually(() => expect(later.vanished).toEqual([name]));
      expect(seen.phasesOf(name)).toEqual(['pending']);
      expect(seen.vanished).toEqual([]);
      expect(proxy.open()).toBe(1);
    });
  });
});
