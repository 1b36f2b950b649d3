import { ApiException, CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
// Watch hands over raw JSON; this is how client-node itself turns it into a typed pod (Dates included).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { z } from 'zod';
import type { ProwJob } from '../../shared/prowjob/schema';
import type { Logger } from '../../shared/log/logger';
import type { ExecutionStatus, Executor } from './executor';
import { artifactsFromSidecarLog, sidecarFinishedPrinting } from './artifact-stream';
import { ARTIFACTS_CONTAINER, POD_LABELS, podForJob } from './pod';
import { executionStatusOfPod } from './pod-status';

/**
 * Runs ProwJobs as pods in one namespace of a build cluster, as Prow's plank does. The pod is
 * named after the job, so the job's name finds its pod again after a runner restart, and the
 * cluster label keeps runners of different build clusters sharing a namespace apart.
 */
export interface KubernetesExecutorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The build cluster's name as ProwJobs give it (spec.cluster); labels the pods this runner owns. */
  cluster: string;
  cloneImage?: string;
  log?: Logger;
}

/** Pages keep one list response from growing with the number of pods. */
const LIST_PAGE_SIZE = 500;
/**
 * Watches are re-established on a spread of timeouts, as client-go's reflector does, so that a
 * connection that died silently (a NAT dropping idle flows) is replaced rather than trusted forever.
 */
const WATCH_TIMEOUT_MIN_SECONDS = 300;
const WATCH_TIMEOUT_MAX_SECONDS = 600;
/** How long after its own timeout a watch the server did not end is given up as dead. */
const WATCH_DEADLINE_SLACK_MS = 60_000;
const RETRY_INITIAL_MS = 500;
const MIN_ATTEMPT_SPACING_MS = 1_000;
const RETRY_MAX_MS = 30_000;

const kubernetesStatusSchema = z.looseObject({
  code: z.number().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

const watchedPodSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
});

const bookmarkSchema = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string() }) });

interface ApiFailure {
  code: number;
  reason: string | undefined;
  message: string | undefined;
}

/** The HTTP code and Kubernetes Status of a failed CoreV1Api call; undefined for anything else (network errors…). */
function apiFailureOf(error: unknown): ApiFailure | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const body: unknown = error.body;
  let status: z.infer<typeof kubernetesStatusSchema> = {};
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      status = kubernetesStatusSchema.safeParse(JSON.parse(body)).data ?? {};
    } catch {
      // Not a Status (a proxy's HTML error page, say): the code alone has to do.
    }
  }
  return { code: error.code, reason: status.reason, message: status.message };
}

function describeFailure(failure: ApiFailure): string {
  return `${failure.code} ${failure.reason ?? 'error'}${failure.message ? `: ${failure.message}` : ''}`;
}

/** A wrapped error whose message says what was being done, without client-node's header dump. */
function failedTo(action: string, error: unknown): Error {
  const failure = apiFailureOf(error);
  const detail = failure ? describeFailure(failure) : error instanceof Error ? error.message : String(error);
  return new Error(`${action}: ${detail}`, { cause: error });
}

function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

function errorStatus(jobName: string, description: string): ExecutionStatus {
  return { jobName, phase: 'error', description, executionName: jobName };
}

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/**
 * Deletions this executor asked for, so the watch does not report a pod it removed itself as
 * vanished (the runner would revive a job it just aborted). Kept by UID, not by name: a job's pod
 * may be removed and created again under the same name before the old pod's DELETED event arrives.
 */
class OwnDeletions {
  /** Pod name → delete requests under way: a DELETED event can arrive before the delete's response. */
  private readonly inFlight = new Map<string, number>();
  /** UIDs deleted by us whose DELETED event is still to come. */
  private readonly awaitingEvent = new Set<string>();
  /** UID → pod name, for DELETED events that came while the delete request was still under way. */
  private readonly seenEarly = new Map<string, string>();
  /** Only a running watch consumes what is recorded here; without one, recording would only grow. */
  tracking = false;

  begin(name: string): void {
    this.inFlight.set(name, (this.inFlight.get(name) ?? 0) + 1);
  }

  end(name: string, deletedUid: string | undefined): void {
    const remaining = (this.inFlight.get(name) ?? 1) - 1;
    if (remaining > 0) this.inFlight.set(name, remaining);
    else this.inFlight.delete(name);
    if (deletedUid !== undefined && !this.seenEarly.has(deletedUid) && this.tracking) this.awaitingEvent.add(deletedUid);
    if (remaining <= 0) {
      for (const [uid, early] of this.seenEarly) if (early === name) this.seenEarly.delete(uid);
    }
  }

  /** Whether the disappearance of this pod is our own doing; a claimed deletion is forgotten. */
  claim(name: string, uid: string | undefined): boolean {
    if (uid !== undefined && this.awaitingEvent.delete(uid)) return true;
    if (this.inFlight.has(name)) {
      if (uid !== undefined) this.seenEarly.set(uid, name);
      return true;
    }
    return false;
  }

  /** After a fresh list: deleted pods that are not in it will never send a DELETED event. */
  keepOnly(liveUids: ReadonlySet<string>): void {
    for (const uid of this.awaitingEvent) if (!liveUids.has(uid)) this.awaitingEvent.delete(uid);
  }

  stopTracking(): void {
    this.tracking = false;
    this.awaitingEvent.clear();
  }
}

interface KnownPod {
  uid: string | undefined;
  jobName: string;
}

interface WatchOutcome {
  /** Events handled, ERROR events excluded. */
  delivered: number;
  /** The resourceVersion we resumed from is gone (410): only a fresh list can catch up. */
  expired: boolean;
  error: unknown;
}

export class KubernetesExecutor implements Executor {
  private readonly api: CoreV1Api;
  private readonly kubeConfig: KubeConfig;
  private readonly namespace: string;
  private readonly cluster: string;
  private readonly cloneImage: string | undefined;
  private readonly logger: Logger;
  private readonly labelSelector: string;
  private readonly ownDeletions = new OwnDeletions();
  private activeWatches = 0;

  constructor(options: KubernetesExecutorOptions) {
    this.kubeConfig = options.kubeConfig;
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = options.namespace;
    this.cluster = options.cluster;
    this.cloneImage = options.cloneImage;
    this.logger = (options.log ?? silentLogger).child({ executor: 'kubernetes', namespace: options.namespace, cluster: options.cluster });
    this.labelSelector = `${POD_LABELS.createdByProw}=true,${POD_LABELS.cluster}=${options.cluster}`;
  }

  async start(job: ProwJob): Promise<ExecutionStatus> {
    const jobName = job.metadata.name ?? '';
    let pod: V1Pod;
    try {
      pod = podForJob(job, {
        namespace: this.namespace,
        buildId: job.status?.build_id ?? '',
        cluster: this.cluster,
        ...(this.cloneImage !== undefined ? { cloneImage: this.cloneImage } : {}),
      });
    } catch (error) {
      // The job itself is unusable (no pod_spec…): retrying cannot help, so it ends as an error.
      const description = `Pod can not be created: ${error instanceof Error ? error.message : String(error)}`;
      this.logger.warn('job has no runnable pod', { jobName, description });
      return errorStatus(jobName, description);
    }

    // A pod that vanished between "already exists" and our read is created again; twice is enough
    // for that race, more would hide a real problem.
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.api.createNamespacedPod({ namespace: this.namespace, body: pod });
        this.logger.info('pod created', { jobName, pod: podName(created), buildId: job.status?.build_id });
        return executionStatusOfPod(created);
      } catch (error) {
        const failure = apiFailureOf(error);
        if (failure?.code === 422) {
          // Prow's plank: a pod Kubernetes rejects as invalid never will run, so the job errors.
          const description = `Pod can not be created: ${failure.message ?? failure.reason ?? 'Kubernetes rejected it as invalid'}`;
          this.logger.warn('pod rejected as invalid', { jobName, description });
          return errorStatus(jobName, description);
        }
        if (failure?.code !== 409) throw failedTo(`creating pod ${jobName} in namespace ${this.namespace}`, error);
      }
      const existing = await this.status(jobName);
      if (existing) {
        this.logger.info('pod already exists; adopting it', { jobName, phase: existing.phase });
        return existing;
      }
      if (attempt >= 2) throw new Error(`pod ${jobName} keeps existing and vanishing while being created`);
    }
  }

  async status(jobName: string): Promise<ExecutionStatus | undefined> {
    const pod = await this.readPod(jobName);
    return pod ? executionStatusOfPod(pod) : undefined;
  }

  async list(): Promise<ExecutionStatus[]> {
    const { pods } = await this.listPods();
    return pods.map((pod) => executionStatusOfPod(pod));
  }

  watch(listener: (status: ExecutionStatus) => void, onVanished: (jobName: string) => void): () => void {
    const session = new PodWatch({
      kubeConfig: this.kubeConfig,
      path: `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`,
      labelSelector: this.labelSelector,
      listPods: () => this.listPods(),
      ownDeletions: this.ownDeletions,
      log: this.logger,
      listener,
      onVanished,
    });
    this.activeWatches++;
    this.ownDeletions.tracking = true;
    session.start();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      session.stop();
      if (--this.activeWatches === 0) this.ownDeletions.stopTracking();
    };
  }

  async log(jobName: string): Promise<string> {
    const pod = await this.readPod(jobName);
    // The test container is the first one; a job may have named it something other than "test".
    const container = pod?.spec?.containers[0]?.name;
    if (!pod || !container) return '';
    try {
      return await this.api.readNamespacedPodLog({ name: jobName, namespace: this.namespace, container });
    } catch (error) {
      const failure = apiFailureOf(error);
      // 400: the container has not started, so there is no log yet; 404: the pod went meanwhile.
      if (failure?.code === 400 || failure?.code === 404) return '';
      throw failedTo(`reading the log of pod ${jobName}`, error);
    }
  }

  async abort(jobName: string, gracePeriodMs: number): Promise<void> {
    const gracePeriodSeconds = Math.max(0, Math.ceil(gracePeriodMs / 1000));
    await this.deletePod(jobName, gracePeriodSeconds, 'aborting');
  }

  /**
   * The runner may read pods and their logs, nothing else inside them, so a decorated pod's
   * sidecar prints $ARTIFACTS to its log once the test ends (pod.ts). This waits briefly for the
   * sidecar to finish printing, then unpacks what it printed.
   */
  async artifacts(jobName: string): Promise<{ path: string; content: Buffer }[]> {
    const pod = await this.readPod(jobName);
    if (!pod?.spec?.containers.some((container) => container.name === ARTIFACTS_CONTAINER)) return [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      let log = '';
      try {
        log = await this.api.readNamespacedPodLog({ name: jobName, namespace: this.namespace, container: ARTIFACTS_CONTAINER });
      } catch (error) {
        const failure = apiFailureOf(error);
        if (failure?.code !== 400 && failure?.code !== 404) throw failedTo(`reading the artifacts of pod ${jobName}`, error);
        if (failure.code === 404) return [];
      }
      if (sidecarFinishedPrinting(log)) return artifactsFromSidecarLog(log);
      if (Date.now() > deadline) return [];
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async remove(jobName: string): Promise<void> {
    // Finished pods have nothing left to shut down gracefully.
    await this.deletePod(jobName, 0, 'removing');
  }

  private async readPod(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.api.readNamespacedPod({ name, namespace: this.namespace });
    } catch (error) {
      if (apiFailureOf(error)?.code === 404) return undefined;
      throw failedTo(`reading pod ${name}`, error);
    }
  }

  private async listPods(): Promise<{ pods: V1Pod[]; resourceVersion: string }> {
    const pods: V1Pod[] = [];
    let resourceVersion = '';
    let continueToken: string | undefined;
    do {
      let page;
      try {
        page = await this.api.listNamespacedPod({
          namespace: this.namespace,
          labelSelector: this.labelSelector,
          limit: LIST_PAGE_SIZE,
          ...(continueToken !== undefined ? { _continue: continueToken } : {}),
        });
      } catch (error) {
        throw failedTo(`listing pods in namespace ${this.namespace}`, error);
      }
      pods.push(...page.items);
      // Every page of one list is the same snapshot; the first page names it.
      if (resourceVersion === '') resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken !== undefined);
    return { pods, resourceVersion };
  }

  private async deletePod(jobName: string, gracePeriodSeconds: number, action: 'aborting' | 'removing'): Promise<void> {
    this.ownDeletions.begin(jobName);
    let deletedUid: string | undefined;
    try {
      const deleted = await this.api.deleteNamespacedPod({ name: jobName, namespace: this.namespace, gracePeriodSeconds });
      deletedUid = deleted.metadata?.uid;
      this.logger.info(action === 'aborting' ? 'pod deleted to abort its job' : 'pod removed', { jobName, gracePeriodSeconds });
    } catch (error) {
      if (apiFailureOf(error)?.code !== 404) throw failedTo(`${action} pod ${jobName}`, error);
      this.logger.debug('pod already gone', { jobName, action });
    } finally {
      this.ownDeletions.end(jobName, deletedUid);
    }
  }
}

interface PodWatchOptions {
  kubeConfig: KubeConfig;
  path: string;
  labelSelector: string;
  listPods: () => Promise<{ pods: V1Pod[]; resourceVersion: string }>;
  ownDeletions: OwnDeletions;
  log: Logger;
  listener: (status: ExecutionStatus) => void;
  onVanished: (jobName: string) => void;
}

/**
 * One long-lived watch of the executor's pods: list, then watch from the list's resourceVersion;
 * resume from the last seen resourceVersion whenever the connection ends, and list afresh when
 * Kubernetes no longer has the history to resume from (410 Gone), reporting pods that went meanwhile.
 */
class PodWatch {
  private stopped = false;
  private resourceVersion = '';
  /** Pods believed to exist, by pod name: what a fresh list is compared with to find the vanished. */
  private readonly known = new Map<string, KnownPod>();
  /** Ends the connection or the wait under way, so stop() takes effect at once. */
  private interrupt: (() => void) | undefined;

  constructor(private readonly options: PodWatchOptions) {}

  start(): void {
    void this.run().catch((error: unknown) => {
      // run() handles its own failures; reaching here is a bug, and the watch is over.
      this.options.log.error('pod watch stopped unexpectedly', { error });
    });
  }

  stop(): void {
    this.stopped = true;
    this.interrupt?.();
  }

  private async run(): Promise<void> {
    let needsList = true;
    /** Consecutive attempts that failed; reset by a watch that delivered events or ended normally. */
    let failures = 0;
    let lastAttempt = Number.NEGATIVE_INFINITY;
    while (!this.stopped) {
      const backoff = failures === 0 ? 0 : Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** (failures - 1));
      // Spacing attempts keeps a server that accepts watches and ends them at once from being hammered.
      const wait = Math.max(backoff, lastAttempt + MIN_ATTEMPT_SPACING_MS - Date.now());
      if (wait > 0) await this.pause(wait);
      if (this.stopped) return;
      lastAttempt = Date.now();
      if (needsList) {
        try {
          await this.relist();
          needsList = false;
        } catch (error) {
          failures++;
          this.options.log.warn('listing pods for the watch failed; retrying', { error, failures });
          continue;
        }
        if (this.stopped) return;
      }
      const outcome = await this.watchOnce();
      if (this.stopped) return;
      if (outcome.expired) {
        this.options.log.info('pod watch history expired; listing pods afresh', { resourceVersion: this.resourceVersion });
        needsList = true;
        failures = 0;
      } else if (outcome.error !== undefined && outcome.error !== null) {
        failures = outcome.delivered > 0 ? 1 : failures + 1;
        this.options.log.warn('pod watch failed; resuming', { error: outcome.error, resourceVersion: this.resourceVersion, failures });
      } else {
        failures = 0;
        this.options.log.debug('pod watch ended; resuming', { resourceVersion: this.resourceVersion });
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.interrupt = done;
    });
  }

  private async relist(): Promise<void> {
    const { pods, resourceVersion } = await this.options.listPods();
    if (this.stopped) return;
    const listed = new Map(pods.map((pod) => [podName(pod), pod]));
    for (const [name, known] of this.known) {
      if (listed.has(name) && listed.get(name)?.metadata?.uid === known.uid) continue;
      // Gone, or replaced by a new pod of the same name: either way the pod we knew has gone.
      this.known.delete(name);
      if (this.options.ownDeletions.claim(name, known.uid)) continue;
      this.options.log.warn('pod vanished while the watch was away', { jobName: known.jobName, pod: name });
      this.notifyVanished(known.jobName);
    }
    this.options.ownDeletions.keepOnly(new Set(pods.flatMap((pod) => (pod.metadata?.uid ? [pod.metadata.uid] : []))));
    for (const pod of listed.values()) this.seen(pod);
    this.resourceVersion = resourceVersion;
  }

  private watchOnce(): Promise<WatchOutcome> {
    const { kubeConfig, path, labelSelector, log } = this.options;
    const timeoutSeconds = WATCH_TIMEOUT_MIN_SECONDS + Math.floor(Math.random() * (WATCH_TIMEOUT_MAX_SECONDS - WATCH_TIMEOUT_MIN_SECONDS));
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      const outcome: WatchOutcome = { delivered: 0, expired: false, error: undefined };
      const finish = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.interrupt = undefined;
        controller?.abort();
        resolve({ ...outcome, error: outcome.error ?? error });
      };
      const deadline = setTimeout(() => finish(new Error(`no end of the watch ${WATCH_DEADLINE_SLACK_MS / 1000}s after its timeout`)), timeoutSeconds * 1000 + WATCH_DEADLINE_SLACK_MS);
      deadline.unref();
      this.interrupt = () => finish(undefined);

      const onEvent = (type: string, object: unknown) => {
        if (settled) return;
        // Watch swallows whatever its callback throws, and a lost event would be a job never finished.
        try {
          if (type === 'ERROR') {
            const status = kubernetesStatusSchema.safeParse(object).data;
            if (status?.code === 410) outcome.expired = true;
            else outcome.error = new Error(`watch error: ${status?.code ?? '?'} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim());
            finish(undefined);
            return;
          }
          this.handleEvent(type, object);
          outcome.delivered++;
        } catch (error) {
          log.error('pod watch event could not be handled', { error, type });
        }
      };
      const query = { labelSelector, resourceVersion: this.resourceVersion || undefined, allowWatchBookmarks: true, timeoutSeconds };
      new Watch(kubeConfig)
        .watch(path, query, onEvent, (error: unknown) => {
          // The server answering the watch request itself with 410 (rather than an ERROR event) means the same.
          if (error instanceof Error && 'statusCode' in error && error.statusCode === 410) outcome.expired = true;
          finish(error ?? undefined);
        })
        .then(
          (started) => {
            controller = started;
            if (settled) started.abort();
          },
          (error: unknown) => finish(error),
        );
    });
  }

  private handleEvent(type: string, object: unknown): void {
    if (type === 'BOOKMARK') {
      this.resourceVersion = bookmarkSchema.parse(object).metadata.resourceVersion;
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') {
      this.options.log.warn('unknown pod watch event ignored', { type });
      return;
    }
    const { metadata } = watchedPodSchema.parse(object);
    if (metadata.resourceVersion) this.resourceVersion = metadata.resourceVersion;
    const pod = ObjectSerializer.deserialize(object, 'V1Pod', '') as V1Pod;
    if (type !== 'DELETED') {
      this.seen(pod);
      return;
    }
    const jobName = executionStatusOfPod(pod).jobName;
    const known = this.known.get(metadata.name);
    // A DELETED event for an older pod of the same name must not forget the current one.
    if (known?.uid === metadata.uid) this.known.delete(metadata.name);
    if (this.options.ownDeletions.claim(metadata.name, metadata.uid)) {
      this.options.log.debug('pod deleted by this runner is gone', { jobName, pod: metadata.name });
      return;
    }
    this.options.log.warn('pod vanished', { jobName, pod: metadata.name });
    this.notifyVanished(jobName);
  }

  private seen(pod: V1Pod): void {
    const status = executionStatusOfPod(pod);
    this.known.set(podName(pod), { uid: pod.metadata?.uid, jobName: status.jobName });
    if (this.stopped) return;
    try {
      this.options.listener(status);
    } catch (error) {
      this.options.log.error('execution status listener failed', { error, jobName: status.jobName });
    }
  }

  private notifyVanished(jobName: string): void {
    if (this.stopped) return;
    try {
      this.options.onVanished(jobName);
    } catch (error) {
      this.options.log.error('vanished-execution listener failed', { error, jobName });
    }
  }
}
