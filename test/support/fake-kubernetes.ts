import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, loadYaml, type V1ContainerStatus, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { Pod } from 'kubernetes-models/v1';
import { stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';

/**
 * A stateful stand-in for a Kubernetes API server on a loopback port, for tests that run the real
 * @kubernetes/client-node (CoreV1Api, Watch, Log) over real HTTP. It serves pods only, with the
 * wire behaviour callers depend on: Status objects for every failure, validation the real server
 * would do (so a pod that passes here is not rejected by a cluster for a reason a test could have
 * caught), one resourceVersion counter, watches that replay from a resourceVersion or answer 410
 * when it is too old, and followed logs that end when the container does.
 *
 * Nothing runs pods: tests play kubelet and scheduler with setPhase, setUnschedulable,
 * setImagePullError, vanish and appendLog, or react to creations with onCreate. Anything not
 * implemented answers 404 or 405 rather than pretending.
 */

export type FakePodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface SetPhaseOptions {
  /** Exit code of the regular containers when the phase ends them (default 0 for Succeeded, 1 for Failed, 137 for pod-level failures). */
  exitCode?: number;
  /**
   * A pod-level reason Kubernetes puts on status.reason (Evicted, DeadlineExceeded, NodeLost,
   * Shutdown, Terminated, UnexpectedAdmissionError) goes there with `message`; any other reason
   * (OOMKilled, Error, ContainerCannotRun…) is the terminated or waiting reason of the containers.
   */
  reason?: string;
  message?: string;
  /** Replace the generated statuses (Date values are fine; they are sent as RFC 3339). */
  containerStatuses?: V1ContainerStatus[];
  initContainerStatuses?: V1ContainerStatus[];
  conditions?: V1PodCondition[];
}

export interface RecordedKubernetesRequest {
  method: string;
  /** As sent, percent-encoding included, without the query string. */
  path: string;
  query: Record<string, string>;
}

export interface FakeKubernetes {
  /** Base URL, http://127.0.0.1:PORT. */
  server: string;
  /** A KubeConfig for this server: cluster (TLS verification off, it is plain HTTP), a user with the bearer token, and a context. */
  kubeConfig(): KubeConfig;
  /** The same as kubeconfig file text. */
  kubeconfigYaml(): string;
  /** Every request in arrival order, rejected ones included. */
  requests: RecordedKubernetesRequest[];
  close(): Promise<void>;
  /** Current pods, sorted by namespace then name (deep copies, timestamps as Dates like the client returns). */
  pods(namespace?: string): V1Pod[];
  /** Kubelet reporting `phase`, with container statuses and conditions to match; a MODIFIED event. */
  setPhase(namespace: string, name: string, phase: FakePodPhase, options?: SetPhaseOptions): void;
  /** The scheduler giving up for now: Pending with PodScheduled=False, reason Unschedulable. */
  setUnschedulable(namespace: string, name: string, message: string): void;
  /** The kubelet failing to pull one container's image; the pod stays Pending. */
  setImagePullError(namespace: string, name: string, container: string, reason: 'ErrImagePull' | 'ImagePullBackOff', message: string): void;
  /** Node loss: the pod disappears (DELETED event) without anyone deleting it. */
  vanish(namespace: string, name: string): void;
  /** Output of a container, served by .../log and pushed to followers. */
  appendLog(namespace: string, name: string, container: string, text: string): void;
  /** Called after each successful create (not dry runs), once the response is sent. */
  onCreate(listener: (pod: V1Pod) => void): void;
  /** A Secret with these values (stored base64-encoded, as the API serves them); only `get` is served. */
  setSecret(namespace: string, name: string, values: Record<string, string>): void;
  /**
   * Forgets the watch history so far, as etcd compaction does: a watch from an older
   * resourceVersion then gets a 410 ERROR event.
   */
  compactHistory(): void;
  /**
   * A Kubernetes event about a pod (the scheduler's, the kubelet's), served by the events list with
   * `fieldSelector` on `involvedObject.*`. Events outlive their pod, as in a cluster.
   */
  addPodEvent(namespace: string, name: string, event: FakePodEvent): void;
}

export interface FakePodEvent {
  type?: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count?: number;
  /** Which component reported it; "kubelet" unless given. */
  component?: string;
}

export interface FakeKubernetesOptions {
  /** The namespaces that exist; creating a pod elsewhere is 404. Omitted, every namespace exists. */
  namespaces?: string[];
}

export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const fake = new FakeKubernetesServer(options);
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes. Stored pods are kept as JSON exactly as sent over the wire (timestamps as strings);
// zod checks the parts this fake reads, and passes everything else through untouched.

const volumeMountSchema = z.looseObject({ name: z.string(), mountPath: z.string() });
const containerSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  imagePullPolicy: z.string().optional(),
  volumeMounts: z.array(volumeMountSchema).optional(),
  resources: z
    .looseObject({
      limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    })
    .optional(),
});
const podBodySchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      namespace: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  spec: z
    .looseObject({
      containers: z.array(containerSchema).optional(),
      initContainers: z.array(containerSchema).optional(),
      volumes: z.array(z.looseObject({ name: z.string() })).optional(),
      restartPolicy: z.string().optional(),
      nodeName: z.string().optional(),
      terminationGracePeriodSeconds: z.number().optional(),
    })
    .optional(),
});
type PodBody = z.infer<typeof podBodySchema>;
type ContainerWire = z.infer<typeof containerSchema>;

const deleteOptionsSchema = z.looseObject({
  gracePeriodSeconds: z.number().int().nonnegative().optional(),
  preconditions: z.looseObject({ uid: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
});

/** What kubernetes-models throws: an ajv error list. */
const schemaErrorSchema = z.object({
  errors: z.array(
    z.looseObject({
      instancePath: z.string(),
      keyword: z.string(),
      message: z.string().optional(),
      params: z.record(z.string(), z.unknown()),
    }),
  ),
});

interface ContainerStateWire {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string };
}

interface ContainerStatusWire {
  name: string;
  image: string;
  imageID: string;
  ready: boolean;
  restartCount: number;
  started?: boolean;
  containerID?: string;
  state: ContainerStateWire;
}

interface ConditionWire {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

interface PodStatusWire {
  phase: string;
  reason?: string;
  message?: string;
  conditions?: ConditionWire[];
  initContainerStatuses?: ContainerStatusWire[];
  containerStatuses?: ContainerStatusWire[];
  startTime?: string;
  hostIP?: string;
  podIP?: string;
  qosClass?: string;
}

interface PodMetaWire {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generateName?: string;
  labels?: Record<string, string>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  [field: string]: unknown;
}

type PodSpecWire = NonNullable<PodBody['spec']> & { containers: ContainerWire[] };

interface PodWire {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: PodMetaWire;
  spec: PodSpecWire;
  status: PodStatusWire;
}

interface LogEntry {
  time: Date;
  text: string;
}

/** One pod's life: its state and its containers' output, which go when it goes. */
interface PodRecord {
  pod: PodWire;
  logs: Map<string, LogEntry[]>;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface WatchEvent {
  type: WatchEventType;
  resourceVersion: number;
  object: PodWire;
}

interface Watcher {
  deliver(event: WatchEvent): void;
  end(): void;
}

interface LogFollower {
  record: PodRecord;
  container: string;
  write(entry: LogEntry): void;
  /** Ends the stream if its container has stopped or its pod is gone. */
  check(): void;
  end(): void;
}

interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** Reasons Kubernetes reports on the pod itself rather than on its containers. */
const POD_LEVEL_REASONS = new Set(['Evicted', 'DeadlineExceeded', 'NodeLost', 'Shutdown', 'Terminated', 'UnexpectedAdmissionError']);

/** Kubernetes' generated-name alphabet: no vowels, so no accidental words, and no look-alike characters. */
const GENERATED_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_GENERATE_NAME_PREFIX = 58;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

/** The API server refuses bodies over 3 MiB; so does this fake, rather than buffering without bound. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const FAKE_NODE = 'fake-node-1';

class FakeKubernetesServer implements FakeKubernetes {
  server = '';
  readonly requests: RecordedKubernetesRequest[] = [];

  private readonly token = randomBytes(16).toString('hex');
  private readonly httpServer = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendJson(response, 500, failure(500, 'InternalError', `fake-kubernetes: ${error instanceof Error ? error.stack : String(error)}`));
    });
  });
  private readonly namespaces: ReadonlySet<string> | undefined;
  private readonly records = new Map<string, PodRecord>();
  private readonly history: WatchEvent[] = [];
  /** The newest resourceVersion whose event compaction dropped; watches from before it get 410. */
  private compactedThrough = 0;
  private resourceVersion = 1000;
  private readonly watchers = new Set<Watcher>();
  private readonly followers = new Set<LogFollower>();
  private readonly createListeners: ((pod: V1Pod) => void)[] = [];
  private readonly secrets = new Map<string, Record<string, string>>();
  private readonly events: Record<string, unknown>[] = [];
  /** The kubeconfig context's namespace. */
  private readonly defaultNamespace: string;

  constructor(options: FakeKubernetesOptions) {
    this.namespaces = options.namespaces ? new Set(options.namespaces) : undefined;
    this.defaultNamespace = options.namespaces?.[0] ?? 'default';
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.httpServer.address() as AddressInfo;
    this.server = `http://127.0.0.1:${port}`;
  }

  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(this.kubeconfigYaml());
    return config;
  }

  kubeconfigYaml(): string {
    return stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is declared off.
      clusters: [{ name: 'fake', cluster: { server: this.server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake-user', user: { token: this.token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user', namespace: this.defaultNamespace } }],
      'current-context': 'fake',
    });
  }

  async close(): Promise<void> {
    for (const watcher of [...this.watchers]) watcher.end();
    for (const follower of [...this.followers]) follower.end();
    await new Promise<void>((resolve, reject) => {
      this.httpServer.close((error) => (error ? reject(error) : resolve()));
      this.httpServer.closeAllConnections();
    });
  }

  pods(namespace?: string): V1Pod[] {
    return this.sortedRecords()
      .filter((record) => namespace === undefined || record.pod.metadata.namespace === namespace)
      .map((record) => toModel(record.pod));
  }

  setSecret(namespace: string, name: string, values: Record<string, string>): void {
    this.secrets.set(podKey(namespace, name), Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString('base64')])));
  }

  onCreate(listener: (pod: V1Pod) => void): void {
    this.createListeners.push(listener);
  }

  compactHistory(): void {
    const last = this.history.at(-1);
    if (last) this.compactedThrough = last.resourceVersion;
    this.history.length = 0;
  }

  setPhase(namespace: string, name: string, phase: FakePodPhase, options: SetPhaseOptions = {}): void {
    const record = this.mustFind(namespace, name);
    applyPhase(record.pod, phase, options);
    this.modified(record);
  }

  setUnschedulable(namespace: string, name: string, message: string): void {
    const record = this.mustFind(namespace, name);
    const status = record.pod.status;
    status.phase = 'Pending';
    delete status.containerStatuses;
    delete status.initContainerStatuses;
    status.conditions = [condition('PodScheduled', 'False', timestamp(), 'Unschedulable', message)];
    this.modified(record);
  }

  setImagePullError(namespace: string, name: string, container: string, reason: 'ErrImagePull' | 'ImagePullBackOff', message: string): void {
    const record = this.mustFind(namespace, name);
    const { pod } = record;
    const isInit = (pod.spec.initContainers ?? []).some((entry) => entry.name === container);
    if (!isInit && !pod.spec.containers.some((entry) => entry.name === container)) {
      throw new Error(`fake-kubernetes: pod ${namespace}/${name} has no container ${container}`);
    }
    if (pod.status.phase !== 'Pending' || pod.status.containerStatuses === undefined) applyPhase(pod, 'Pending');
    const statuses = (isInit ? pod.status.initContainerStatuses : pod.status.containerStatuses) ?? [];
    const target = statuses.find((entry) => entry.name === container);
    if (target) target.state = { waiting: { reason, message } };
    this.modified(record);
  }

  vanish(namespace: string, name: string): void {
    this.remove(this.mustFind(namespace, name));
  }

  appendLog(namespace: string, name: string, container: string, text: string): void {
    const record = this.mustFind(namespace, name);
    if (!allContainers(record.pod).some((entry) => entry.name === container)) {
      throw new Error(`fake-kubernetes: pod ${namespace}/${name} has no container ${container}`);
    }
    const time = new Date();
    // One entry per line, as the kubelet timestamps lines, so tailLines and timestamps work.
    const entries = text.split(/(?<=\n)/).filter((piece) => piece !== '').map((piece) => ({ time, text: piece }));
    const log = record.logs.get(container) ?? [];
    log.push(...entries);
    record.logs.set(container, log);
    for (const follower of [...this.followers]) {
      if (follower.record === record && follower.container === container) for (const entry of entries) follower.write(entry);
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake-kubernetes');
    const method = request.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method, path: url.pathname, query });
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      request.resume();
      sendJson(response, 401, failure(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const read = await readBody(request);
    if (!read.ok) return sendJson(response, read.code, failure(read.code, read.reason, read.message));
    const body = read.value;
    const segments = url.pathname.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
    const route = segments.join('/');

    if (route === 'version') return this.only(method, 'GET', response, () => sendJson(response, 200, VERSION_INFO));
    if (route === 'api') {
      return this.only(method, 'GET', response, () =>
        sendJson(response, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] }),
      );
    }
    if (route === 'apis') return this.only(method, 'GET', response, () => sendJson(response, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] }));
    if (route === 'api/v1') return this.only(method, 'GET', response, () => sendJson(response, 200, API_RESOURCES));
    if (route === 'api/v1/pods') return this.only(method, 'GET', response, () => this.listOrWatch(undefined, query, response));

    const [api, version, namespacesSegment, namespace, resource, name, subresource, ...rest] = segments;
    if (api !== 'api' || version !== 'v1' || namespacesSegment !== 'namespaces' || namespace === undefined || rest.length > 0) {
      return notFoundRoute(response);
    }
    if (resource === undefined) return this.only(method, 'GET', response, () => this.readNamespace(namespace, response));
    if (resource === 'secrets' && name !== undefined && subresource === undefined) {
      return this.only(method, 'GET', response, () => this.readSecret(namespace, name, response));
    }
    if (resource === 'events' && name === undefined) return this.only(method, 'GET', response, () => this.listEvents(namespace, query, response));
    if (resource !== 'pods') return notFoundRoute(response);
    if (name === undefined) {
      if (method === 'POST') return this.createPod(namespace, query, body, response);
      return this.only(method, 'GET', response, () => this.listOrWatch(namespace, query, response));
    }
    if (subresource === 'log') return this.only(method, 'GET', response, () => this.readLog(namespace, name, query, response));
    if (subresource !== undefined) return notFoundRoute(response);
    if (method === 'GET') return this.readPod(namespace, name, response);
    if (method === 'DELETE') return this.deletePod(namespace, name, query, body, response);
    return methodNotAllowed(response, method);
  }

  addPodEvent(namespace: string, name: string, event: FakePodEvent): void {
    const pod = this.records.get(podKey(namespace, name))?.pod;
    const time = new Date().toISOString();
    this.events.push({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name: `${name}.${(++this.resourceVersion).toString(16)}`, namespace, resourceVersion: String(this.resourceVersion) },
      involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace, name, ...(pod?.metadata.uid ? { uid: pod.metadata.uid } : {}) },
      type: event.type ?? 'Normal',
      reason: event.reason,
      message: event.message,
      count: event.count ?? 1,
      firstTimestamp: time,
      lastTimestamp: time,
      source: { component: event.component ?? 'kubelet' },
    });
  }

  /** Only equality on `involvedObject.*` fields, which is what a search for one object's events sends. */
  private listEvents(namespace: string, query: Record<string, string>, response: ServerResponse): void {
    const wanted: [string, string][] = [];
    for (const term of (query.fieldSelector ?? '').split(',').filter((part) => part !== '')) {
      const match = /^involvedObject\.(kind|name|namespace|uid)=(.*)$/.exec(term);
      if (!match) return sendJson(response, 400, failure(400, 'BadRequest', `fake-kubernetes: unsupported field selector "${term}"`));
      wanted.push([match[1] ?? '', match[2] ?? '']);
    }
    const items = this.events.filter((event) => {
      const involved = event.involvedObject as Record<string, string>;
      return (event.metadata as { namespace: string }).namespace === namespace && wanted.every(([field, value]) => involved[field] === value);
    });
    sendJson(response, 200, { kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(this.resourceVersion) }, items: structuredClone(items) });
  }

  private readSecret(namespace: string, name: string, response: ServerResponse): void {
    const data = this.secrets.get(podKey(namespace, name));
    if (!data) return sendJson(response, 404, failure(404, 'NotFound', `secrets "${name}" not found`, { name, kind: 'secrets' }));
    sendJson(response, 200, { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace }, type: 'Opaque', data });
  }

  private only(method: string, allowed: string, response: ServerResponse, serve: () => void): void {
    if (method !== allowed) return methodNotAllowed(response, method);
    serve();
  }

  private readNamespace(namespace: string, response: ServerResponse): void {
    if (!this.namespaceExists(namespace)) {
      return sendJson(response, 404, failure(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));
    }
    sendJson(response, 200, {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  private createPod(namespace: string, query: Record<string, string>, body: unknown, response: ServerResponse): void {
    if (!isPlainObject(body)) return sendJson(response, 400, failure(400, 'BadRequest', 'the body of the request must be a JSON object'));
    if (body.kind !== undefined && body.kind !== 'Pod') {
      return sendJson(response, 400, failure(400, 'BadRequest', `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (v1) or kind ${String(body.kind)} is not Pod`));
    }
    const bodyNamespace = isPlainObject(body.metadata) ? body.metadata.namespace : undefined;
    if (bodyNamespace !== undefined && bodyNamespace !== '' && bodyNamespace !== namespace) {
      return sendJson(response, 400, failure(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
    }
    if (!this.namespaceExists(namespace)) {
      return sendJson(response, 404, failure(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));
    }

    const described = describeName(body);
    const schemaCauses = schemaProblems(body);
    if (schemaCauses.length > 0) return sendInvalid(response, described, schemaCauses);
    const parsed = podBodySchema.safeParse(body);
    if (!parsed.success) {
      return sendInvalid(
        response,
        described,
        parsed.error.issues.map((issue) => ({ reason: 'FieldValueInvalid', message: `Invalid value: ${issue.message}`, field: fieldPath(issue.path) })),
      );
    }
    const causes = validatePod(parsed.data);
    if (causes.length > 0) return sendInvalid(response, described, causes);

    const metadata = parsed.data.metadata ?? {};
    let name = metadata.name ?? '';
    if (name === '') {
      const prefix = (metadata.generateName ?? '').slice(0, MAX_GENERATE_NAME_PREFIX);
      do name = prefix + generatedSuffix();
      while (this.records.has(podKey(namespace, name)));
    }
    if (this.records.has(podKey(namespace, name))) {
      return sendJson(response, 409, failure(409, 'AlreadyExists', `pods "${name}" already exists`, { name, kind: 'pods' }));
    }

    const dryRun = query.dryRun === 'All';
    const resourceVersion = dryRun ? this.resourceVersion : ++this.resourceVersion;
    const pod = withDefaults(parsed.data, namespace, name, resourceVersion);
    if (dryRun) return sendJson(response, 201, pod);

    const record: PodRecord = { pod, logs: new Map() };
    this.records.set(podKey(namespace, name), record);
    this.emit('ADDED', record);
    sendJson(response, 201, pod);
    for (const listener of this.createListeners) {
      try {
        listener(toModel(pod));
      } catch (error) {
        // A failing listener is a failing test: surface it as an unhandled error, not a 500 the code under test might retry.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private readPod(namespace: string, name: string, response: ServerResponse): void {
    const record = this.records.get(podKey(namespace, name));
    if (!record) return podNotFound(response, name);
    sendJson(response, 200, record.pod);
  }

  private deletePod(namespace: string, name: string, query: Record<string, string>, body: unknown, response: ServerResponse): void {
    const record = this.records.get(podKey(namespace, name));
    if (!record) return podNotFound(response, name);
    const parsedBody = deleteOptionsSchema.safeParse(body ?? {});
    if (!parsedBody.success) return sendJson(response, 400, failure(400, 'BadRequest', `invalid DeleteOptions: ${parsedBody.error.message}`));
    const gracePeriodQuery = query.gracePeriodSeconds;
    if (gracePeriodQuery !== undefined && !/^\d+$/.test(gracePeriodQuery)) {
      return sendJson(response, 400, failure(400, 'BadRequest', `invalid gracePeriodSeconds: ${gracePeriodQuery}`));
    }
    const { pod } = record;
    const preconditions = parsedBody.data.preconditions;
    if (preconditions?.uid !== undefined && preconditions.uid !== pod.metadata.uid) {
      return sendJson(response, 409, failure(409, 'Conflict', `Operation cannot be fulfilled on pods "${name}": Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${pod.metadata.uid}`, { name, kind: 'pods' }));
    }
    if (preconditions?.resourceVersion !== undefined && preconditions.resourceVersion !== pod.metadata.resourceVersion) {
      return sendJson(response, 409, failure(409, 'Conflict', `Operation cannot be fulfilled on pods "${name}": Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`, { name, kind: 'pods' }));
    }

    const requested = gracePeriodQuery !== undefined ? Number(gracePeriodQuery) : parsedBody.data.gracePeriodSeconds;
    // A pod no node has taken goes at once, as does a zero grace period; otherwise the kubelet is
    // told to stop it (MODIFIED with deletionTimestamp), and reports it gone.
    const gracePeriod = pod.spec.nodeName ? (requested ?? pod.spec.terminationGracePeriodSeconds ?? 30) : 0;
    pod.metadata.deletionTimestamp = timestamp(gracePeriod);
    pod.metadata.deletionGracePeriodSeconds = gracePeriod;
    if (gracePeriod > 0) this.modified(record);
    const answer = structuredClone(pod);
    this.remove(record);
    sendJson(response, 200, answer);
  }

  private listOrWatch(namespace: string | undefined, query: Record<string, string>, response: ServerResponse): void {
    let matches: (pod: PodWire) => boolean;
    try {
      const labels = parseLabelSelector(query.labelSelector ?? '');
      const fields = parseFieldSelector(query.fieldSelector ?? '');
      matches = (pod) =>
        (namespace === undefined || pod.metadata.namespace === namespace) && labels(pod.metadata.labels ?? {}) && fields(pod);
    } catch (error) {
      return sendJson(response, 400, failure(400, 'BadRequest', (error as Error).message));
    }
    if (query.watch === 'true' || query.watch === '1') return this.watch(matches, query, response);

    const all = this.sortedRecords().filter((record) => matches(record.pod));
    const continueAfter = query.continue ? decodeContinue(query.continue) : undefined;
    if (query.continue && continueAfter === undefined) {
      return sendJson(response, 400, failure(400, 'BadRequest', 'continue key is not valid'));
    }
    const remaining = continueAfter === undefined ? all : all.filter((record) => recordKey(record) > continueAfter);
    const limit = query.limit ? Number(query.limit) : 0;
    const page = limit > 0 ? remaining.slice(0, limit) : remaining;
    const more = remaining.length - page.length;
    const last = page.at(-1);
    sendJson(response, 200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: {
        resourceVersion: String(this.resourceVersion),
        ...(more > 0 && last ? { continue: encodeContinue(recordKey(last)), remainingItemCount: more } : {}),
      },
      // Kubernetes leaves kind and apiVersion off list items.
      items: page.map((record) => {
        const { apiVersion: _apiVersion, kind: _kind, ...item } = record.pod;
        return item;
      }),
    });
  }

  private watch(matches: (pod: PodWire) => boolean, query: Record<string, string>, response: ServerResponse): void {
    const from = query.resourceVersion ?? '';
    if (from !== '' && !/^\d+$/.test(from)) {
      return sendJson(response, 400, failure(400, 'BadRequest', `invalid resource version: ${from}`));
    }
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    // Headers now, not with the first event: the client's watch() resolves only when they arrive.
    response.flushHeaders();
    const send = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);

    const requested = Number(from);
    if (from !== '' && requested !== 0 && requested < this.compactedThrough) {
      send('ERROR', failure(410, 'Expired', `too old resource version: ${requested} (${this.compactedThrough})`));
      response.end();
      return;
    }

    let timeout: NodeJS.Timeout | undefined;
    const watcher: Watcher = {
      deliver: (event) => {
        if (matches(event.object)) send(event.type, event.object);
      },
      end: () => {
        if (!this.watchers.delete(watcher)) return;
        clearTimeout(timeout);
        response.end();
      },
    };
    // Unset or "0" means "from now", which starts with the current state as synthetic ADDED events.
    if (from === '' || requested === 0) {
      for (const record of this.sortedRecords()) if (matches(record.pod)) send('ADDED', record.pod);
    } else {
      for (const event of this.history) if (event.resourceVersion > requested) watcher.deliver(event);
    }
    this.watchers.add(watcher);
    const timeoutSeconds = Number(query.timeoutSeconds ?? '0');
    if (timeoutSeconds > 0) timeout = setTimeout(() => watcher.end(), timeoutSeconds * 1000).unref();
    // Not request 'close': that fires once the request body is read, not when the client leaves.
    response.on('close', () => watcher.end());
  }

  private readLog(namespace: string, name: string, query: Record<string, string>, response: ServerResponse): void {
    const record = this.records.get(podKey(namespace, name));
    if (!record) return podNotFound(response, name);
    const { pod } = record;
    const badRequest = (message: string) => sendJson(response, 400, failure(400, 'BadRequest', message));
    const containers = pod.spec.containers.map((container) => container.name);
    const initContainers = (pod.spec.initContainers ?? []).map((container) => container.name);
    let container = query.container ?? '';
    if (container === '') {
      if (containers.length !== 1 || initContainers.length > 0) {
        const initChoice = initContainers.length > 0 ? ` or one of the init containers: [${initContainers.join(' ')}]` : '';
        return badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${initChoice}`);
      }
      container = containers[0] ?? '';
    }
    if (!containers.includes(container) && !initContainers.includes(container)) {
      return badRequest(`container ${container} is not valid for pod ${name}`);
    }
    if (query.previous === 'true') return badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    const entries = record.logs.get(container) ?? [];
    const state = containerState(pod, container);
    if (entries.length === 0 && !state?.running && !state?.terminated) {
      return badRequest(`container "${container}" in pod "${name}" is waiting to start: ${state?.waiting?.reason ?? 'ContainerCreating'}`);
    }

    let since: Date | undefined;
    if (query.sinceTime) {
      since = new Date(query.sinceTime);
      if (Number.isNaN(since.getTime())) return badRequest(`invalid sinceTime: ${query.sinceTime}`);
    } else if (query.sinceSeconds) {
      since = new Date(Date.now() - Number(query.sinceSeconds) * 1000);
    }
    const withTimestamps = query.timestamps === 'true';
    const limitBytes = query.limitBytes ? Number(query.limitBytes) : Infinity;
    let selected = entries.filter((entry) => since === undefined || entry.time >= since);
    if (query.tailLines) selected = selected.slice(Math.max(0, selected.length - Number(query.tailLines)));

    response.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    response.flushHeaders();
    let sentBytes = 0;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.followers.delete(follower);
      response.end();
    };
    const write = (entry: LogEntry) => {
      if (ended) return;
      const text = withTimestamps ? `${rfc3339Nano(entry.time)} ${entry.text}` : entry.text;
      const chunk = Buffer.from(text).subarray(0, Math.max(0, limitBytes - sentBytes));
      sentBytes += chunk.length;
      if (chunk.length > 0) response.write(chunk);
      if (sentBytes >= limitBytes) end();
    };
    const follower: LogFollower = {
      record,
      container,
      write,
      check: () => {
        if (this.records.get(podKey(namespace, name)) !== record || containerStopped(record.pod, container)) end();
      },
      end,
    };
    for (const entry of selected) write(entry);
    if (query.follow !== 'true') return end();
    this.followers.add(follower);
    follower.check();
    response.on('close', end);
  }

  // -------------------------------------------------------------------------------------------
  // State changes

  private modified(record: PodRecord): void {
    record.pod.metadata.resourceVersion = String(++this.resourceVersion);
    this.emit('MODIFIED', record);
    for (const follower of [...this.followers]) if (follower.record === record) follower.check();
  }

  private remove(record: PodRecord): void {
    this.records.delete(podKey(record.pod.metadata.namespace, record.pod.metadata.name));
    record.pod.metadata.resourceVersion = String(++this.resourceVersion);
    this.emit('DELETED', record);
    for (const follower of [...this.followers]) if (follower.record === record) follower.end();
  }

  private emit(type: WatchEventType, record: PodRecord): void {
    const event: WatchEvent = { type, resourceVersion: Number(record.pod.metadata.resourceVersion), object: structuredClone(record.pod) };
    this.history.push(event);
    for (const watcher of [...this.watchers]) watcher.deliver(event);
  }

  private mustFind(namespace: string, name: string): PodRecord {
    const record = this.records.get(podKey(namespace, name));
    if (!record) throw new Error(`fake-kubernetes: no pod ${namespace}/${name}`);
    return record;
  }

  private namespaceExists(namespace: string): boolean {
    return this.namespaces === undefined || this.namespaces.has(namespace);
  }

  private sortedRecords(): PodRecord[] {
    return [...this.records.values()].sort((a, b) => (recordKey(a) < recordKey(b) ? -1 : recordKey(a) > recordKey(b) ? 1 : 0));
  }
}

// ---------------------------------------------------------------------------------------------
// Pods

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function recordKey(record: PodRecord): string {
  return podKey(record.pod.metadata.namespace, record.pod.metadata.name);
}

/** The typed form CoreV1Api returns (Dates for timestamps), from the wire form. */
function toModel(pod: PodWire): V1Pod {
  // loadYaml is client-node's public deserializer; JSON is YAML.
  return loadYaml<V1Pod>(JSON.stringify(pod));
}

/** The wire form of client-node model values: their JSON (Dates become RFC 3339 strings). */
function toWire<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function allContainers(pod: PodWire): ContainerWire[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
}

function containerState(pod: PodWire, container: string): ContainerStateWire | undefined {
  return [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((entry) => entry.name === container)?.state;
}

function containerStopped(pod: PodWire, container: string): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed' || containerState(pod, container)?.terminated !== undefined;
}

/** The defaults the API server fills in, so code under test sees what a cluster would return. */
function withDefaults(body: PodBody, namespace: string, name: string, resourceVersion: number): PodWire {
  const { metadata = {}, spec = {}, status: _ignoredStatus, ...rest } = structuredClone(body);
  // Fields the server owns: whatever a client sends for them is dropped.
  const { deletionTimestamp: _deletion, deletionGracePeriodSeconds: _grace, generation: _generation, ...clientMetadata } = metadata;
  const withContainerDefaults = (container: ContainerWire): ContainerWire => ({
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: container.imagePullPolicy ?? defaultPullPolicy(container.image ?? ''),
    resources: {},
    ...container,
  });
  const containers = (spec.containers ?? []).map(withContainerDefaults);
  const initContainers = spec.initContainers?.map(withContainerDefaults);
  return {
    ...rest,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...clientMetadata,
      name,
      namespace,
      uid: randomUUID(),
      resourceVersion: String(resourceVersion),
      creationTimestamp: timestamp(),
    },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      priority: 0,
      ...spec,
      containers,
      ...(initContainers ? { initContainers } : {}),
    },
    status: { phase: 'Pending', qosClass: qosClass([...containers, ...(initContainers ?? [])]) },
  };
}

function defaultPullPolicy(image: string): string {
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  if (image.includes('@')) return 'IfNotPresent';
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.lastIndexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function qosClass(containers: ContainerWire[]): string {
  const resources = containers.map((container) => container.resources ?? {});
  if (resources.every((entry) => Object.keys(entry.limits ?? {}).length === 0 && Object.keys(entry.requests ?? {}).length === 0)) {
    return 'BestEffort';
  }
  const guaranteed = resources.every((entry) =>
    ['cpu', 'memory'].every((kind) => {
      const limit = entry.limits?.[kind];
      const request = entry.requests?.[kind] ?? limit;
      return limit !== undefined && String(request) === String(limit);
    }),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** What the kubelet reports for `phase`: container states, conditions, and the pod-level reason. */
function applyPhase(pod: PodWire, phase: FakePodPhase, options: SetPhaseOptions = {}): void {
  const now = timestamp();
  scheduleOnFakeNode(pod, now);
  const podLevel = options.reason !== undefined && POD_LEVEL_REASONS.has(options.reason);
  const containerReason = podLevel ? undefined : options.reason;
  const containerMessage = podLevel ? undefined : options.message;
  const status = pod.status;
  status.phase = phase;
  delete status.reason;
  delete status.message;
  if (podLevel) {
    status.reason = options.reason;
    if (options.message !== undefined) status.message = options.message;
  }

  const initContainers = pod.spec.initContainers ?? [];
  const previous = new Map([...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].map((entry) => [entry.name, entry]));
  const startedAt = (container: ContainerWire) => previous.get(container.name)?.state.running?.startedAt ?? now;
  const completedInit = (container: ContainerWire): ContainerStateWire => ({
    terminated: { exitCode: 0, reason: 'Completed', startedAt: startedAt(container), finishedAt: now },
  });

  let initStates: (container: ContainerWire) => ContainerStateWire;
  let states: (container: ContainerWire) => ContainerStateWire;
  switch (phase) {
    case 'Pending':
      initStates = () => ({ waiting: { reason: 'PodInitializing' } });
      states = () => ({
        waiting: {
          reason: containerReason ?? (initContainers.length > 0 ? 'PodInitializing' : 'ContainerCreating'),
          ...(containerMessage !== undefined ? { message: containerMessage } : {}),
        },
      });
      break;
    case 'Running':
      initStates = completedInit;
      states = (container) => ({ running: { startedAt: startedAt(container) } });
      break;
    case 'Succeeded':
    case 'Failed': {
      const failed = phase === 'Failed';
      const exitCode = options.exitCode ?? (failed ? (podLevel ? 137 : 1) : 0);
      const reason = containerReason ?? (failed ? 'Error' : 'Completed');
      initStates = completedInit;
      states = (container) => ({
        terminated: {
          exitCode,
          reason,
          ...(containerMessage !== undefined ? { message: containerMessage } : {}),
          startedAt: startedAt(container),
          finishedAt: now,
        },
      });
      break;
    }
  }
  status.initContainerStatuses =
    options.initContainerStatuses !== undefined
      ? toWire<ContainerStatusWire[]>(options.initContainerStatuses)
      : initContainers.map((container) => containerStatus(container, initStates(container)));
  status.containerStatuses =
    options.containerStatuses !== undefined
      ? toWire<ContainerStatusWire[]>(options.containerStatuses)
      : pod.spec.containers.map((container) => containerStatus(container, states(container)));
  if (status.initContainerStatuses.length === 0) delete status.initContainerStatuses;
  status.conditions = options.conditions !== undefined ? toWire<ConditionWire[]>(options.conditions) : phaseConditions(pod, phase, now);
}

function scheduleOnFakeNode(pod: PodWire, now: string): void {
  pod.spec.nodeName ??= FAKE_NODE;
  pod.status.hostIP ??= '10.128.0.2';
  pod.status.podIP ??= `10.4.${randomInt(0, 256)}.${randomInt(2, 255)}`;
  pod.status.startTime ??= now;
}

function containerStatus(container: ContainerWire, state: ContainerStateWire): ContainerStatusWire {
  const started = state.running !== undefined || state.terminated !== undefined;
  const image = container.image ?? '';
  return {
    name: container.name,
    image,
    imageID: started ? `${image.replace(/@.*$/, '').replace(/:[^/:]*$/, '')}@sha256:${'0'.repeat(64)}` : '',
    ready: state.running !== undefined,
    restartCount: 0,
    started: state.running !== undefined,
    ...(started ? { containerID: `containerd://${randomBytes(32).toString('hex')}` } : {}),
    state,
  };
}

function condition(type: string, status: ConditionWire['status'], now: string, reason?: string, message?: string): ConditionWire {
  return {
    type,
    status,
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message } : {}),
    lastProbeTime: null,
    lastTransitionTime: now,
  };
}

function phaseConditions(pod: PodWire, phase: FakePodPhase, now: string): ConditionWire[] {
  const hasInit = (pod.spec.initContainers ?? []).length > 0;
  switch (phase) {
    case 'Pending':
      return [
        hasInit ? condition('Initialized', 'False', now, 'ContainersNotInitialized') : condition('Initialized', 'True', now),
        condition('Ready', 'False', now, 'ContainersNotReady'),
        condition('ContainersReady', 'False', now, 'ContainersNotReady'),
        condition('PodScheduled', 'True', now),
      ];
    case 'Running':
      return ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => condition(type, 'True', now));
    case 'Succeeded':
    case 'Failed':
      return [
        condition('Initialized', 'True', now, 'PodCompleted'),
        condition('Ready', 'False', now, 'PodCompleted'),
        condition('ContainersReady', 'False', now, 'PodCompleted'),
        condition('PodScheduled', 'True', now),
      ];
  }
}

function generatedSuffix(): string {
  return Array.from({ length: GENERATED_SUFFIX_LENGTH }, () => GENERATED_NAME_ALPHABET[randomInt(GENERATED_NAME_ALPHABET.length)]).join('');
}

/** metav1.Time: RFC 3339 in UTC with whole seconds. */
function timestamp(offsetSeconds = 0): string {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rfc3339Nano(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

// ---------------------------------------------------------------------------------------------
// Validation

function describeName(body: Record<string, unknown>): string {
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  if (typeof metadata.name === 'string' && metadata.name !== '') return metadata.name;
  if (typeof metadata.generateName === 'string') return metadata.generateName;
  return '';
}

/** The OpenAPI schema's verdict, via kubernetes-models, as Status causes. */
function schemaProblems(body: Record<string, unknown>): StatusCause[] {
  try {
    new Pod(body as ConstructorParameters<typeof Pod>[0]).validate();
    return [];
  } catch (error) {
    const parsed = schemaErrorSchema.safeParse(error);
    if (!parsed.success) throw error;
    return parsed.data.errors.map((problem) => {
      const segments = problem.instancePath
        .split('/')
        .slice(1)
        .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (problem.keyword === 'required' && typeof problem.params.missingProperty === 'string') {
        return { reason: 'FieldValueRequired', message: 'Required value', field: fieldPath([...segments, problem.params.missingProperty]) };
      }
      if (problem.keyword === 'enum' && Array.isArray(problem.params.allowedValues)) {
        const supported = problem.params.allowedValues.map((value) => JSON.stringify(value)).join(', ');
        return { reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(valueAt(body, segments))}: supported values: ${supported}`, field: fieldPath(segments) };
      }
      return { reason: 'FieldValueInvalid', message: `Invalid value: ${problem.message ?? problem.keyword}`, field: fieldPath(segments) };
    });
  }
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (const segment of segments) value = isPlainObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[segment] : undefined;
  return value;
}

/** Kubernetes' field path notation: spec.containers[0].image. */
function fieldPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number' || (typeof segment === 'string' && /^\d+$/.test(segment))) path += `[${String(segment)}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path;
}

function required(field: string, detail?: string): StatusCause {
  return { reason: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value', field };
}

function invalid(field: string, value: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field };
}

function dns1123LabelProblems(field: string, value: string): StatusCause[] {
  if (value.length > 63) return [invalid(field, value, 'must be no more than 63 characters')];
  if (!DNS1123_LABEL.test(value)) {
    return [invalid(field, value, "must be a lowercase RFC 1123 label: lower case letters, digits and '-', starting and ending with a letter or digit")];
  }
  return [];
}

function dns1123SubdomainProblems(field: string, value: string): StatusCause[] {
  if (value.length > 253) return [invalid(field, value, 'must be no more than 253 characters')];
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return [invalid(field, value, "must be a lowercase RFC 1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit")];
  }
  return [];
}

function labelProblems(labels: Record<string, string>): StatusCause[] {
  const field = 'metadata.labels';
  const problems: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.indexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined) {
      if (prefix === '') problems.push(invalid(field, key, 'prefix part must be non-empty'));
      else problems.push(...dns1123SubdomainProblems(field, prefix).map((cause) => ({ ...cause, message: `Invalid value: ${JSON.stringify(key)}: prefix part ${cause.message.replace(/^Invalid value: "[^"]*": /, '')}` })));
    }
    if (name.length > 63) problems.push(invalid(field, key, 'name part must be no more than 63 characters'));
    else if (!QUALIFIED_NAME_PART.test(name)) {
      problems.push(invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
    if (value.length > 63) problems.push(invalid(field, value, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(value)) {
      problems.push(invalid(field, value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
  }
  return problems;
}

/** What the API server checks beyond the schema, for the fields pods of Cutwater's jobs use. */
function validatePod(body: PodBody): StatusCause[] {
  const problems: StatusCause[] = [];
  const metadata = body.metadata ?? {};
  const spec = body.spec ?? {};

  if (metadata.name) problems.push(...dns1123SubdomainProblems('metadata.name', metadata.name));
  else if (metadata.generateName) {
    // A trailing dash is the usual separator before the random suffix, so it is allowed here.
    const masked = metadata.generateName.replace(/-$/, 'a');
    problems.push(...dns1123SubdomainProblems('metadata.generateName', masked).map((cause) => ({ ...cause, message: cause.message.replace(JSON.stringify(masked), JSON.stringify(metadata.generateName)) })));
  } else problems.push(required('metadata.name', 'name or generateName is required'));
  problems.push(...labelProblems(metadata.labels ?? {}));

  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((volume, index) => {
    const field = `spec.volumes[${index}].name`;
    if (volume.name === '') problems.push(required(field));
    else problems.push(...dns1123LabelProblems(field, volume.name));
    if (volumes.has(volume.name)) problems.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(volume.name)}`, field });
    volumes.add(volume.name);
  });

  if ((spec.containers ?? []).length === 0) problems.push(required('spec.containers'));
  const containerNames = new Set<string>();
  const checkContainers = (containers: ContainerWire[], kind: 'containers' | 'initContainers') => {
    containers.forEach((container, index) => {
      const base = `spec.${kind}[${index}]`;
      if (container.name === '') problems.push(required(`${base}.name`));
      else problems.push(...dns1123LabelProblems(`${base}.name`, container.name));
      if (containerNames.has(container.name)) {
        problems.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(container.name)}`, field: `${base}.name` });
      }
      containerNames.add(container.name);
      if (container.image === undefined || container.image === '') problems.push(required(`${base}.image`));
      else if (container.image.trim() !== container.image) {
        problems.push(invalid(`${base}.image`, container.image, 'must not have leading or trailing whitespace'));
      }
      const mountPaths = new Set<string>();
      (container.volumeMounts ?? []).forEach((mount, mountIndex) => {
        const mountBase = `${base}.volumeMounts[${mountIndex}]`;
        if (mount.name === '') problems.push(required(`${mountBase}.name`));
        else if (!volumes.has(mount.name)) {
          problems.push({ reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(mount.name)}`, field: `${mountBase}.name` });
        }
        if (mount.mountPath === '') problems.push(required(`${mountBase}.mountPath`));
        else if (mountPaths.has(mount.mountPath)) problems.push(invalid(`${mountBase}.mountPath`, mount.mountPath, 'must be unique'));
        mountPaths.add(mount.mountPath);
      });
    });
  };
  checkContainers(spec.initContainers ?? [], 'initContainers');
  checkContainers(spec.containers ?? [], 'containers');

  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    problems.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(spec.restartPolicy)}: supported values: ${RESTART_POLICIES.map((policy) => `"${policy}"`).join(', ')}`,
      field: 'spec.restartPolicy',
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Selectors

type Matcher<T> = (value: T) => boolean;

/** Kubernetes label selector syntax: a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y), comma-joined. */
function parseLabelSelector(selector: string): Matcher<Record<string, string>> {
  const requirements: Matcher<Record<string, string>>[] = [];
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (part === '') continue;
    let match: RegExpExecArray | null;
    if ((match = /^!\s*([^\s!=(),]+)$/.exec(part))) {
      const key = checkedLabelKey(match[1]!, part);
      requirements.push((labels) => !(key in labels));
    } else if ((match = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part))) {
      const key = checkedLabelKey(match[1]!, part);
      const values = new Set(match[3]!.split(',').map((value) => checkedLabelValue(value.trim(), part)));
      const wantIn = match[2] === 'in';
      requirements.push((labels) => (wantIn ? key in labels && values.has(labels[key]!) : !(key in labels) || !values.has(labels[key]!)));
    } else if ((match = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(part))) {
      const key = checkedLabelKey(match[1]!, part);
      const value = checkedLabelValue(match[3]!, part);
      const equal = match[2] !== '!=';
      requirements.push((labels) => (equal ? labels[key] === value : labels[key] !== value));
    } else if ((match = /^([^\s!=(),]+)$/.exec(part))) {
      const key = checkedLabelKey(match[1]!, part);
      requirements.push((labels) => key in labels);
    } else {
      throw new Error(`unable to parse requirement: found '${part}', expected: key, !key, key=value, key!=value, key in (values) or key notin (values)`);
    }
  }
  return (labels) => requirements.every((requirement) => requirement(labels));
}

function checkedLabelKey(key: string, part: string): string {
  if (labelProblems({ [key]: '' }).length > 0) throw new Error(`unable to parse requirement: invalid label key "${key}" in '${part}'`);
  return key;
}

function checkedLabelValue(value: string, part: string): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) throw new Error(`unable to parse requirement: invalid label value "${value}" in '${part}'`);
  return value;
}

/** Splits at commas outside parentheses, since "a in (x,y)" has commas of its own. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of selector) {
    if (character === '(') depth++;
    if (character === ')') depth--;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  return parts;
}

/** The pod fields Kubernetes allows in field selectors. */
const POD_FIELDS: Record<string, (pod: PodWire) => string> = {
  'metadata.name': (pod) => pod.metadata.name,
  'metadata.namespace': (pod) => pod.metadata.namespace,
  'spec.nodeName': (pod) => pod.spec.nodeName ?? '',
  'spec.restartPolicy': (pod) => pod.spec.restartPolicy ?? '',
  'spec.schedulerName': (pod) => String(pod.spec.schedulerName ?? ''),
  'spec.serviceAccountName': (pod) => String(pod.spec.serviceAccountName ?? ''),
  'status.phase': (pod) => pod.status.phase,
  'status.podIP': (pod) => pod.status.podIP ?? '',
};

function parseFieldSelector(selector: string): Matcher<PodWire> {
  const requirements: Matcher<PodWire>[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const match = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) throw new Error(`invalid selector: '${selector}'; can't understand '${part}'`);
    const read = POD_FIELDS[match[1]!];
    if (!read) throw new Error(`field label not supported: ${match[1]}`);
    const value = match[3]!;
    const equal = match[2] !== '!=';
    requirements.push((pod) => (read(pod) === value) === equal);
  }
  return (pod) => requirements.every((requirement) => requirement(pod));
}

function encodeContinue(key: string): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64url');
}

function decodeContinue(token: string): string | undefined {
  try {
    const parsed = z.object({ after: z.string() }).safeParse(JSON.parse(Buffer.from(token, 'base64url').toString()));
    return parsed.success ? parsed.data.after : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const API_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get'], shortNames: ['ns'] },
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'watch'], shortNames: ['po'] },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get'] },
    { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['list'], shortNames: ['ev'] },
  ],
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function failure(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function sendJson(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  response.end(JSON.stringify(body));
}

function sendInvalid(response: ServerResponse, name: string, causes: StatusCause[]): void {
  const described = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const summary = described.length === 1 ? described[0] : `[${described.join(', ')}]`;
  sendJson(response, 422, failure(422, 'Invalid', `Pod "${name}" is invalid: ${summary}`, { name, kind: 'Pod', causes }));
}

function podNotFound(response: ServerResponse, name: string): void {
  sendJson(response, 404, failure(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
}

function notFoundRoute(response: ServerResponse): void {
  sendJson(response, 404, failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

function methodNotAllowed(response: ServerResponse, method: string): void {
  sendJson(response, 405, failure(405, 'MethodNotAllowed', `fake-kubernetes does not implement ${method} here`, {}));
}

type BodyRead = { ok: true; value: unknown } | { ok: false; code: number; reason: string; message: string };

async function readBody(request: IncomingMessage): Promise<BodyRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      return { ok: false, code: 413, reason: 'RequestEntityTooLarge', message: 'the request body is larger than the API server accepts' };
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, code: 400, reason: 'BadRequest', message: `the request body is not JSON: ${(error as Error).message}` };
  }
}
