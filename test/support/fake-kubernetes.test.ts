import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  Log,
  V1Container,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  V1Volume,
  V1VolumeMount,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeKubernetes, type FakeKubernetes } from './fake-kubernetes';

/**
 * The fake API server is only worth having if the real client cannot tell it from a cluster, so
 * everything here goes through @kubernetes/client-node: CoreV1Api, Watch and Log.
 */

const NAMESPACE = 'test-pods';
const PODS_PATH = `/api/v1/namespaces/${NAMESPACE}/pods`;

const statusSchema = z.object({
  kind: z.literal('Status'),
  apiVersion: z.literal('v1'),
  status: z.literal('Failure'),
  reason: z.string(),
  code: z.number(),
  message: z.string(),
  details: z
    .object({
      name: z.string().optional(),
      kind: z.string().optional(),
      causes: z.array(z.object({ reason: z.string(), message: z.string(), field: z.string() })).optional(),
    })
    .optional(),
});
type Status = z.infer<typeof statusSchema>;

/** The HTTP code and Kubernetes Status a client-node call failed with. */
async function failureOf(call: Promise<unknown>): Promise<{ code: number; status: Status | undefined }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = error.body;
    return { code: error.code, status: typeof body === 'string' && body !== '' ? statusSchema.parse(JSON.parse(body)) : undefined };
  }
  throw new Error('expected the call to fail');
}

function testPod(name: string, labels: Record<string, string> = {}, spec: Partial<V1PodSpec> = {}): V1Pod {
  return {
    metadata: { name, labels },
    spec: { restartPolicy: 'Never', containers: [{ name: 'test', image: 'golang:1.23', command: ['go', 'test', './...'] }], ...spec },
  };
}

/** Something to await that the code under observation signals, instead of sleeping. */
function signal() {
  let waiters: (() => void)[] = [];
  return {
    notify() {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
    async until(condition: () => boolean): Promise<void> {
      while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

const watchedObjectSchema = z.looseObject({
  code: z.number().optional(),
  // Optional throughout, since an ERROR event carries a Status; a parse error here would be swallowed by Watch.
  metadata: z
    .looseObject({ name: z.string().optional(), resourceVersion: z.string().optional(), deletionTimestamp: z.string().optional() })
    .optional(),
  status: z.union([z.string(), z.looseObject({ phase: z.string().optional() })]).optional(),
});

interface SeenEvent {
  type: string;
  name: string;
  resourceVersion: number;
  phase: string | undefined;
  deleting: boolean;
  code: number | undefined;
}

async function watchPods(config: KubeConfig, query: Record<string, string> = {}) {
  const events: SeenEvent[] = [];
  const changed = signal();
  let ended: { error: unknown } | undefined;
  const controller = await new Watch(config).watch(
    PODS_PATH,
    query,
    (type: string, raw: unknown) => {
      const object = watchedObjectSchema.parse(raw);
      events.push({
        type,
        name: object.metadata?.name ?? '',
        resourceVersion: Number(object.metadata?.resourceVersion ?? 0),
        phase: typeof object.status === 'object' ? object.status.phase : undefined,
        deleting: object.metadata?.deletionTimestamp !== undefined,
        code: object.code,
      });
      changed.notify();
    },
    (error: unknown) => {
      ended = { error };
      changed.notify();
    },
  );
  return {
    events,
    async count(total: number): Promise<SeenEvent[]> {
      await changed.until(() => events.length >= total || ended !== undefined);
      return events.map((event) => ({ ...event }));
    },
    async ended(): Promise<{ error: unknown }> {
      await changed.until(() => ended !== undefined);
      return ended!;
    },
    stop: () => controller.abort(),
  };
}

describe('fake Kubernetes API server', () => {
  let fake: FakeKubernetes;
  let config: KubeConfig;
  let api: CoreV1Api;

  beforeEach(async () => {
    fake = await startFakeKubernetes({ namespaces: [NAMESPACE] });
    config = fake.kubeConfig();
    api = config.makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('creates, reads and lists pods by label selector, from plain objects and from client-node model classes', async () => {
    const created = await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit', { app: 'prow', tier: 'unit' }) });
    expect(created.metadata).toMatchObject({ name: 'unit', namespace: NAMESPACE, labels: { app: 'prow', tier: 'unit' } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe('Pending');
    expect(created.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');

    const modelPod = new V1Pod();
    modelPod.metadata = Object.assign(new V1ObjectMeta(), { name: 'e2e', labels: { app: 'prow', tier: 'e2e' } });
    modelPod.spec = Object.assign(new V1PodSpec(), {
      restartPolicy: 'Never',
      volumes: [Object.assign(new V1Volume(), { name: 'logs', emptyDir: {} })],
      containers: [
        Object.assign(new V1Container(), {
          name: 'test',
          image: 'kindest/node:latest',
          volumeMounts: [Object.assign(new V1VolumeMount(), { name: 'logs', mountPath: '/logs' })],
        }),
      ],
    });
    const fromModel = await api.createNamespacedPod({ namespace: NAMESPACE, body: modelPod });
    expect(fromModel.spec?.containers[0]).toMatchObject({ imagePullPolicy: 'Always', volumeMounts: [{ name: 'logs', mountPath: '/logs' }] });
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('lint', { app: 'other' }) });
    const generated = await api.createNamespacedPod({ namespace: NAMESPACE, body: { ...testPod(''), metadata: { generateName: 'build-' } } });
    expect(generated.metadata?.name).toMatch(/^build-[bcdfghjklmnpqrstvwxz2456789]{5}$/);

    const read = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'unit' });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.spec?.containers[0]?.command).toEqual(['go', 'test', './...']);

    const names = async (labelSelector: string) => {
      const list = await api.listNamespacedPod({ namespace: NAMESPACE, labelSelector });
      expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
      return list.items.map((pod) => pod.metadata?.name);
    };
    expect(await names('app=prow,tier=unit')).toEqual(['unit']);
    expect(await names('app==prow')).toEqual(['e2e', 'unit']);
    expect(await names('app!=prow')).toEqual([generated.metadata?.name, 'lint']);
    expect(await names('tier')).toEqual(['e2e', 'unit']);
    expect(await names('!tier')).toEqual([generated.metadata?.name, 'lint']);
    expect(await names('tier in (unit, e2e),app')).toEqual(['e2e', 'unit']);
    expect(await names('tier notin (unit)')).toEqual([generated.metadata?.name, 'e2e', 'lint']);
    expect(await names('')).toHaveLength(4);
    expect((await failureOf(names('tier in (unit'))).status).toMatchObject({ code: 400, reason: 'BadRequest' });

    const byField = await api.listNamespacedPod({ namespace: NAMESPACE, fieldSelector: 'metadata.name=lint' });
    expect(byField.items.map((pod) => pod.metadata?.name)).toEqual(['lint']);
    const firstPage = await api.listNamespacedPod({ namespace: NAMESPACE, limit: 3 });
    expect(firstPage.items).toHaveLength(3);
    expect(firstPage.metadata?.remainingItemCount).toBe(1);
    const secondPage = await api.listNamespacedPod({ namespace: NAMESPACE, limit: 3, _continue: firstPage.metadata?._continue });
    expect(secondPage.items.map((pod) => pod.metadata?.name)).toEqual(['unit']);
    expect(secondPage.metadata?._continue).toBeUndefined();
    expect((await api.listPodForAllNamespaces({ labelSelector: 'tier=e2e' })).items.map((pod) => pod.metadata?.namespace)).toEqual([NAMESPACE]);

    expect(fake.pods(NAMESPACE).map((pod) => pod.metadata?.name)).toEqual([generated.metadata?.name, 'e2e', 'lint', 'unit']);
    expect(fake.pods()[0]?.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(fake.requests.filter((request) => request.method === 'POST').map((request) => request.path)).toEqual(Array(4).fill(PODS_PATH));
    expect(fake.requests.find((request) => request.query.labelSelector === 'app=prow,tier=unit')).toMatchObject({ method: 'GET', path: PODS_PATH });
  });

  it('answers with the Status objects Kubernetes returns for conflicts and missing things', async () => {
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit') });
    const conflict = await failureOf(api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit') }));
    expect(conflict).toMatchObject({ code: 409, status: { reason: 'AlreadyExists', code: 409, message: 'pods "unit" already exists' } });

    const missing = await failureOf(api.readNamespacedPod({ namespace: NAMESPACE, name: 'x' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "x" not found' });
    expect((await failureOf(api.deleteNamespacedPod({ namespace: NAMESPACE, name: 'x' }))).code).toBe(404);

    const elsewhere = await failureOf(api.createNamespacedPod({ namespace: 'nowhere', body: testPod('unit') }));
    expect(elsewhere.status).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found' });
    expect((await api.listNamespacedPod({ namespace: 'nowhere' })).items).toEqual([]);
  });

  it('rejects pods the API server would reject, with 422 Invalid naming each field', async () => {
    const rejection = async (body: V1Pod) => {
      const { code, status } = await failureOf(api.createNamespacedPod({ namespace: NAMESPACE, body }));
      expect(code).toBe(422);
      expect(status).toMatchObject({ reason: 'Invalid', code: 422, details: { kind: 'Pod' } });
      return status!;
    };
    const causes = async (body: V1Pod) => (await rejection(body)).details?.causes?.map(({ field, reason }) => ({ field, reason }));

    expect(await causes(testPod('no-image', {}, { containers: [{ name: 'test' }] }))).toEqual([
      { field: 'spec.containers[0].image', reason: 'FieldValueRequired' },
    ]);
    const badLabel = await rejection(testPod('bad-label', { 'prow.k8s.io/job': 'has spaces in it' }));
    expect(badLabel.details?.causes).toEqual([expect.objectContaining({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: expect.stringContaining('"has spaces in it"') })]);
    expect(badLabel.message).toMatch(/^Pod "bad-label" is invalid: metadata\.labels: Invalid value: "has spaces in it": /);
    expect(await causes(testPod('long-label', { job: 'x'.repeat(64) }))).toEqual([{ field: 'metadata.labels', reason: 'FieldValueInvalid' }]);
    expect(
      await causes(
        testPod('twins', {}, {
          containers: [
            { name: 'test', image: 'golang:1.23' },
            { name: 'test', image: 'golang:1.23' },
          ],
        }),
      ),
    ).toEqual([{ field: 'spec.containers[1].name', reason: 'FieldValueDuplicate' }]);
    expect(
      await causes(testPod('mounts', {}, { containers: [{ name: 'test', image: 'golang:1.23', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }] })),
    ).toEqual([{ field: 'spec.containers[0].volumeMounts[0].name', reason: 'FieldValueNotFound' }]);
    expect(await causes(testPod('policy', {}, { restartPolicy: 'Sometimes' }))).toEqual([{ field: 'spec.restartPolicy', reason: 'FieldValueNotSupported' }]);
    expect(await causes(testPod('Not_A_Name'))).toEqual([{ field: 'metadata.name', reason: 'FieldValueInvalid' }]);
    expect(await causes(testPod('empty', {}, { containers: [] }))).toEqual([{ field: 'spec.containers', reason: 'FieldValueRequired' }]);
    expect(await causes({ spec: testPod('x').spec })).toEqual([{ field: 'metadata.name', reason: 'FieldValueRequired' }]);
    expect(await causes(testPod('init', {}, { initContainers: [{ name: 'Clone', image: 'alpine/git' }] }))).toEqual([
      { field: 'spec.initContainers[0].name', reason: 'FieldValueInvalid' },
    ]);

    // The OpenAPI schema's own checks, through kubernetes-models: a port must be a number.
    const port = { name: 'test', image: 'nginx:1.27', ports: [{ containerPort: 'http' as unknown as number }] };
    expect(await causes(testPod('port', {}, { containers: [port] }))).toEqual([
      { field: 'spec.containers[0].ports[0].containerPort', reason: 'FieldValueInvalid' },
    ]);

    const several = await rejection(testPod('several', { ok: 'fine value' }, { containers: [{ name: 'a' }, { name: 'a', image: 'x' }] }));
    expect(several.details?.causes?.map((cause) => cause.field)).toEqual(['metadata.labels', 'spec.containers[0].image', 'spec.containers[1].name']);
    expect(several.message).toMatch(/^Pod "several" is invalid: \[metadata\.labels: .*, spec\.containers\[0\]\.image: Required value, spec\.containers\[1\]\.name: Duplicate value: "a"\]$/);

    expect(fake.pods()).toEqual([]);
  });

  it('streams ADDED, MODIFIED and DELETED events for the pods a watch selects', async () => {
    const watch = await watchPods(config, { labelSelector: 'app=prow' });
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('ignored', { app: 'other' }) });
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('lost', { app: 'prow' }) });
    fake.setPhase(NAMESPACE, 'lost', 'Running');
    fake.vanish(NAMESPACE, 'lost');
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('aborted', { app: 'prow' }) });
    fake.setPhase(NAMESPACE, 'aborted', 'Running');
    const deleted = await api.deleteNamespacedPod({ namespace: NAMESPACE, name: 'aborted', gracePeriodSeconds: 5 });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(5);

    const events = await watch.count(7);
    watch.stop();
    expect(events.map(({ type, name, phase, deleting }) => ({ type, name, phase, deleting }))).toEqual([
      { type: 'ADDED', name: 'lost', phase: 'Pending', deleting: false },
      { type: 'MODIFIED', name: 'lost', phase: 'Running', deleting: false },
      { type: 'DELETED', name: 'lost', phase: 'Running', deleting: false },
      { type: 'ADDED', name: 'aborted', phase: 'Pending', deleting: false },
      { type: 'MODIFIED', name: 'aborted', phase: 'Running', deleting: false },
      { type: 'MODIFIED', name: 'aborted', phase: 'Running', deleting: true },
      { type: 'DELETED', name: 'aborted', phase: 'Running', deleting: true },
    ]);
    const versions = events.map((event) => event.resourceVersion);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);

    expect((await failureOf(api.readNamespacedPod({ namespace: NAMESPACE, name: 'aborted' }))).code).toBe(404);
    expect(fake.pods().map((pod) => pod.metadata?.name)).toEqual(['ignored']);
    expect(fake.requests.find((request) => request.method === 'DELETE')).toMatchObject({
      path: `${PODS_PATH}/aborted`,
      query: { gracePeriodSeconds: '5' },
    });
    const watchRequest = fake.requests.find((request) => request.query.watch === 'true');
    expect(watchRequest).toMatchObject({ method: 'GET', path: PODS_PATH, query: { labelSelector: 'app=prow' } });
  });

  it('starts a watch without a resourceVersion from the current pods, and replays missed events when resuming from one', async () => {
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit') });
    const listed = await api.listNamespacedPod({ namespace: NAMESPACE });
    const resumeFrom = listed.metadata?.resourceVersion ?? '';

    fake.setPhase(NAMESPACE, 'unit', 'Running');
    fake.setPhase(NAMESPACE, 'unit', 'Succeeded');
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('lint') });

    const fresh = await watchPods(config);
    expect((await fresh.count(2)).map(({ type, name, phase }) => [type, name, phase])).toEqual([
      ['ADDED', 'lint', 'Pending'],
      ['ADDED', 'unit', 'Succeeded'],
    ]);
    fresh.stop();

    const resumed = await watchPods(config, { resourceVersion: resumeFrom });
    const replayed = await resumed.count(3);
    expect(replayed.map(({ type, name, phase }) => [type, name, phase])).toEqual([
      ['MODIFIED', 'unit', 'Running'],
      ['MODIFIED', 'unit', 'Succeeded'],
      ['ADDED', 'lint', 'Pending'],
    ]);
    expect(replayed.every((event) => event.resourceVersion > Number(resumeFrom))).toBe(true);
    fake.vanish(NAMESPACE, 'lint');
    expect((await resumed.count(4))[3]).toMatchObject({ type: 'DELETED', name: 'lint' });
    resumed.stop();

    fake.compactHistory();
    const tooOld = await watchPods(config, { resourceVersion: resumeFrom });
    expect(await tooOld.count(1)).toEqual([expect.objectContaining({ type: 'ERROR', code: 410 })]);
    expect((await tooOld.ended()).error).toBeNull();
  });

  it('serves container logs, and follows them until the container terminates', async () => {
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit') });
    const notStarted = await failureOf(api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'unit' }));
    expect(notStarted).toMatchObject({ code: 400, status: { reason: 'BadRequest', message: 'container "test" in pod "unit" is waiting to start: ContainerCreating' } });

    fake.setPhase(NAMESPACE, 'unit', 'Running');
    fake.appendLog(NAMESPACE, 'unit', 'test', 'building\n');
    fake.appendLog(NAMESPACE, 'unit', 'test', 'testing\n');
    expect(await api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'unit', container: 'test' })).toBe('building\ntesting\n');
    expect(await api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'unit', tailLines: 1 })).toBe('testing\n');
    expect(await api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'unit', timestamps: true })).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z building\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z testing\n$/,
    );

    const output = new PassThrough();
    let followed = '';
    let finished = false;
    const changed = signal();
    output.on('data', (chunk: Buffer) => {
      followed += chunk.toString();
      changed.notify();
    });
    output.on('end', () => {
      finished = true;
      changed.notify();
    });
    await new Log(config).log(NAMESPACE, 'unit', 'test', output, { follow: true });
    await changed.until(() => followed === 'building\ntesting\n');
    fake.appendLog(NAMESPACE, 'unit', 'test', 'PASS\n');
    await changed.until(() => followed.endsWith('PASS\n'));
    expect(finished).toBe(false);
    fake.setPhase(NAMESPACE, 'unit', 'Succeeded');
    await changed.until(() => finished);
    expect(followed).toBe('building\ntesting\nPASS\n');

    const future = new Date(Date.now() + 3_600_000).toISOString();
    const since = new PassThrough();
    let sinceText = '';
    since.on('data', (chunk: Buffer) => (sinceText += chunk.toString()));
    const sinceEnded = new Promise((resolve) => since.on('end', resolve));
    await new Log(config).log(NAMESPACE, 'unit', 'test', since, { sinceTime: future });
    await sinceEnded;
    expect(sinceText).toBe('');
    expect(fake.requests.find((request) => request.query.sinceTime === future)?.path).toBe(`${PODS_PATH}/unit/log`);

    await api.createNamespacedPod({
      namespace: NAMESPACE,
      body: testPod('pair', {}, { containers: [{ name: 'test', image: 'golang:1.23' }, { name: 'sidecar', image: 'busybox:1.36' }] }),
    });
    fake.setPhase(NAMESPACE, 'pair', 'Running');
    const ambiguous = await failureOf(api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'pair' }));
    expect(ambiguous.status?.message).toBe('a container name must be specified for pod pair, choose one of: [test sidecar]');
    expect((await failureOf(api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'pair', container: 'nope' }))).status?.message).toBe(
      'container nope is not valid for pod pair',
    );
  });

  it('ends a followed log when the pod vanishes', async () => {
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit') });
    fake.setPhase(NAMESPACE, 'unit', 'Running');
    fake.appendLog(NAMESPACE, 'unit', 'test', 'partial line without newline');
    const output = new PassThrough();
    let followed = '';
    let finished = false;
    const changed = signal();
    output.on('data', (chunk: Buffer) => {
      followed += chunk.toString();
      changed.notify();
    });
    output.on('end', () => {
      finished = true;
      changed.notify();
    });
    // Log resolves once the response has started, so the server is following by then.
    await new Log(config).log(NAMESPACE, 'unit', 'test', output, { follow: true });
    fake.appendLog(NAMESPACE, 'unit', 'test', ', then more\n');
    await changed.until(() => followed.endsWith('more\n'));
    fake.vanish(NAMESPACE, 'unit');
    await changed.until(() => finished);
    expect(followed).toBe('partial line without newline, then more\n');
  });

  it('returns a whole log to a follow request once the container has ended', async () => {
    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('unit') });
    fake.setPhase(NAMESPACE, 'unit', 'Running');
    fake.appendLog(NAMESPACE, 'unit', 'test', 'ok\n');
    fake.setPhase(NAMESPACE, 'unit', 'Succeeded');
    expect(await api.readNamespacedPodLog({ namespace: NAMESPACE, name: 'unit', follow: true })).toBe('ok\n');
  });

  it('lets a test play kubelet and scheduler', async () => {
    fake.onCreate((pod) => {
      if (pod.metadata?.labels?.auto === 'run') fake.setPhase(NAMESPACE, pod.metadata.name ?? '', 'Running');
    });
    const created = await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('auto', { auto: 'run' }) });
    expect(created.status?.phase).toBe('Pending');
    const running = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'auto' });
    expect(running.status?.phase).toBe('Running');
    expect(running.spec?.nodeName).toBeTruthy();
    expect(running.status?.containerStatuses?.[0]).toMatchObject({ name: 'test', ready: true, state: { running: { startedAt: expect.any(Date) } } });
    expect(running.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');

    await api.createNamespacedPod({ namespace: NAMESPACE, body: testPod('big') });
    fake.setUnschedulable(NAMESPACE, 'big', '0/3 nodes are available: 3 Insufficient cpu.');
    const big = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'big' });
    expect(big.status?.phase).toBe('Pending');
    expect(big.status?.conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }),
    ]);

    await api.createNamespacedPod({
      namespace: NAMESPACE,
      body: testPod('pull', {}, { initContainers: [{ name: 'clonerefs', image: 'alpine/git:2.45' }], containers: [{ name: 'test', image: 'golang:9.99' }] }),
    });
    fake.setImagePullError(NAMESPACE, 'pull', 'test', 'ImagePullBackOff', 'manifest unknown');
    const pull = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'pull' });
    expect(pull.status?.phase).toBe('Pending');
    expect(pull.status?.containerStatuses).toEqual([
      expect.objectContaining({ name: 'test', image: 'golang:9.99', state: { waiting: { reason: 'ImagePullBackOff', message: 'manifest unknown' } } }),
    ]);
    expect(pull.status?.initContainerStatuses?.[0]?.name).toBe('clonerefs');

    fake.setPhase(NAMESPACE, 'auto', 'Failed', { reason: 'OOMKilled', exitCode: 137 });
    const oom = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'auto' });
    expect(oom.status?.reason).toBeUndefined();
    expect(oom.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled', finishedAt: expect.any(Date) });

    fake.setPhase(NAMESPACE, 'big', 'Failed', { reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });
    const evicted = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'big' });
    expect(evicted.status).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });

    fake.setPhase(NAMESPACE, 'pull', 'Failed', {
      initContainerStatuses: [
        { name: 'clonerefs', image: 'alpine/git:2.45', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 128, finishedAt: new Date('2026-01-02T03:04:05Z') } } },
      ],
    });
    const clone = await api.readNamespacedPod({ namespace: NAMESPACE, name: 'pull' });
    expect(clone.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 128, finishedAt: new Date('2026-01-02T03:04:05Z') });
    expect(clone.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('requires the bearer token of its kubeconfig', async () => {
    const stranger = new KubeConfig();
    stranger.loadFromOptions({
      clusters: [{ name: 'fake', server: fake.server, skipTLSVerify: true }],
      users: [{ name: 'stranger', token: 'not-the-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'stranger' }],
      currentContext: 'fake',
    });
    const rejected = await failureOf(stranger.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NAMESPACE }));
    expect(rejected.code).toBe(401);

    const anonymous = new KubeConfig();
    anonymous.loadFromOptions({
      clusters: [{ name: 'fake', server: fake.server, skipTLSVerify: true }],
      users: [{ name: 'nobody' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'nobody' }],
      currentContext: 'fake',
    });
    expect((await failureOf(anonymous.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: NAMESPACE, name: 'x' }))).code).toBe(401);
    const watch = await watchPods(anonymous);
    expect((await watch.ended()).error).toMatchObject({ statusCode: 401 });
    expect(fake.requests.filter((request) => request.path === PODS_PATH)).toHaveLength(2);
  });

  it('is reachable from its kubeconfig file text', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'fake-kubernetes-'));
    try {
      const file = path.join(directory, 'kubeconfig');
      writeFileSync(file, fake.kubeconfigYaml());
      const fromFile = new KubeConfig();
      fromFile.loadFromFile(file);
      expect(fromFile.getCurrentCluster()?.server).toBe(fake.server);
      expect(fromFile.getContextObject(fromFile.getCurrentContext())?.namespace).toBe(NAMESPACE);
      await fromFile.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: NAMESPACE, body: testPod('from-file') });
      expect(fake.pods(NAMESPACE).map((pod) => pod.metadata?.name)).toEqual(['from-file']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
