import { setTimeout as delay } from 'node:timers/promises';
import { ADD, DELETE, ERROR, ListWatch, UPDATE, Watch, type KubeConfig, type KubernetesListObject, type V1Pod } from '@kubernetes/client-node';
// Watch hands over raw JSON; this is how client-node itself turns it into a typed pod (Dates included).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { z } from 'zod';
import type { Logger } from '../../shared/log/logger';
import type { ExecutionStatus } from './executor';
import { kubernetesStatusSchema } from './kubernetes-status';
import type { OwnDeletions } from './own-deletions';
import { executionStatusOfPod } from './pod-status';

/**
 * Watches are re-established on a spread of timeouts, as client-go's reflector does, so that a
 * connection that died silently (a NAT dropping idle flows) is replaced rather than trusted forever.
 */
const WATCH_TIMEOUT_MIN_SECONDS = 300;
const WATCH_TIMEOUT_MAX_SECONDS = 600;
/** How long after its own timeout a watch the server did not end is given up as dead. */
const WATCH_DEADLINE_SLACK_MS = 60_000;
const RETRY_INITIAL_MS = 500;
/** Spacing attempts keeps a server that accepts watches and ends them at once from being hammered. */
const MIN_ATTEMPT_SPACING_MS = 1_000;
const RETRY_MAX_MS = 30_000;

const watchedPodSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
});

const bookmarkSchema = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string() }) });

export interface PodWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  labelSelector: string;
  listPods: () => Promise<{ pods: V1Pod[]; resourceVersion: string }>;
  ownDeletions: OwnDeletions;
  log: Logger;
  listener: (status: ExecutionStatus) => void;
  onVanished: (jobName: string) => void;
}

interface KnownPod {
  uid: string | undefined;
  jobName: string;
}

/** How one watch connection ended. */
interface WatchOutcome {
  /** Pod and bookmark events received. */
  delivered: number;
  /** The resourceVersion it resumed from is gone (410): the informer lists afresh. */
  expired: boolean;
  error: unknown;
}

/** What a connection asks of the watch it serves. */
interface ConnectionPacing {
  readonly stopped: AbortSignal;
  /** Waits, if need be, until a new connection may be made; throws or rejects once the watch has stopped. */
  beforeConnecting(): Promise<void> | undefined;
  ended(outcome: WatchOutcome): void;
  log: Logger;
}

function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '';
}

/**
 * One long-lived watch of the executor's pods on client-node's informer (ListWatch), which lists,
 * watches from the list's resourceVersion, resumes after a connection ends, and lists afresh when
 * Kubernetes no longer has the history to resume from (410 Gone). What the informer leaves to its
 * user is done here: restarting it after errors with backoff (it stops at the first error), spacing
 * its reconnections, reporting pods that vanished (and not those this runner deleted), and telling a
 * pod replaced under the same name from an update of it.
 */
export class PodWatch {
  private readonly informer: ListWatch<V1Pod>;
  private readonly stopping = new AbortController();
  /** Pods believed to exist, by pod name: what tells a replaced pod from an updated one. */
  private readonly known = new Map<string, KnownPod>();
  /** Consecutive attempts that failed; reset by a watch that delivered events or ended normally. */
  private failures = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** A list and the watch that follows it are one attempt; a watch resuming on its own is another. */
  private watchFollowsList = false;

  constructor(private readonly options: PodWatchOptions) {
    const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`;
    const pacing: ConnectionPacing = {
      stopped: this.stopping.signal,
      beforeConnecting: () => {
        const followsList = this.watchFollowsList;
        this.watchFollowsList = false;
        return followsList ? undefined : this.beginAttempt();
      },
      ended: (outcome) => this.watchEnded(outcome),
      log: options.log,
    };
    this.informer = new ListWatch(path, new PacedWatch(options.kubeConfig, pacing), () => this.list(), false, options.labelSelector);
    this.informer.on(ADD, (pod) => this.seen(pod));
    this.informer.on(UPDATE, (pod) => this.seen(pod));
    this.informer.on(DELETE, (pod) => this.deleted(pod));
    this.informer.on(ERROR, (error: unknown) => void this.restartAfter(error));
  }

  start(): void {
    this.startInformer();
  }

  stop(): void {
    this.stopping.abort();
    void this.informer.stop();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private startInformer(): void {
    this.informer.start().catch((error: unknown) => {
      // The informer reports its failures through ERROR; reaching here is a bug, and the watch is over.
      this.options.log.error('pod watch stopped unexpectedly', { error });
    });
  }

  /**
   * Starts an attempt once the spacing since the last one has passed; throws or rejects
   * (AbortError) once stopped. Synchronous when there is nothing to wait for: a request put off by
   * even one tick goes out behind the runner's own start-up requests, and a watch connected late
   * leaves the runner blind to its pods until then.
   */
  private beginAttempt(): Promise<void> | undefined {
    this.stopping.signal.throwIfAborted();
    const wait = this.lastAttemptAt + MIN_ATTEMPT_SPACING_MS - Date.now();
    if (wait <= 0) {
      this.lastAttemptAt = Date.now();
      return undefined;
    }
    return delay(wait, undefined, { signal: this.stopping.signal }).then(() => {
      this.lastAttemptAt = Date.now();
    });
  }

  private async list(): Promise<KubernetesListObject<V1Pod>> {
    const spacing = this.beginAttempt();
    if (spacing) await spacing;
    const { pods, resourceVersion } = await this.options.listPods();
    this.watchFollowsList = true;
    // Deletions of ours not in this list will never send a DELETED event, unless the informer still
    // knows the pod: it reports those as deleted once it compares its cache with this list.
    const uids = [...pods.map((pod) => pod.metadata?.uid), ...[...this.known.values()].map((known) => known.uid)];
    this.options.ownDeletions.keepOnly(new Set(uids.filter((uid) => uid !== undefined)));
    return { items: pods, metadata: { resourceVersion } };
  }

  private watchEnded(outcome: WatchOutcome): void {
    if (this.stopped) return;
    if (outcome.expired) {
      this.failures = 0;
      this.options.log.info('pod watch history expired; listing pods afresh', { resourceVersion: this.informer.latestResourceVersion() });
    } else if (outcome.error !== undefined && outcome.error !== null) {
      // restartAfter counts this failure; one that delivered events first starts the count afresh.
      if (outcome.delivered > 0) this.failures = 0;
    } else {
      this.failures = 0;
      this.options.log.debug('pod watch ended; resuming', { resourceVersion: this.informer.latestResourceVersion() });
    }
  }

  /** The informer stops at its first error (a failed list or watch): it is started again after a backoff. */
  private async restartAfter(error: unknown): Promise<void> {
    // Stopping aborts the connection under way, which the informer reports as one more error.
    if (this.stopped) return;
    this.failures++;
    const backoffMs = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** (this.failures - 1));
    this.options.log.warn('pod watch failed; retrying', { error, failures: this.failures, backoffMs, resourceVersion: this.informer.latestResourceVersion() });
    try {
      await delay(backoffMs, undefined, { signal: this.stopping.signal });
    } catch {
      return;
    }
    this.startInformer();
  }

  private seen(pod: V1Pod): void {
    const name = podName(pod);
    const status = executionStatusOfPod(pod);
    const previous = this.known.get(name);
    this.known.set(name, { uid: pod.metadata?.uid, jobName: status.jobName });
    // A fresh list shows a pod replaced under the same name as an update: the pod we knew has gone.
    if (previous !== undefined && previous.uid !== pod.metadata?.uid) this.gone(name, previous, 'pod vanished while the watch was away');
    if (this.stopped) return;
    try {
      this.options.listener(status);
    } catch (error) {
      this.options.log.error('execution status listener failed', { error, jobName: status.jobName });
    }
  }

  private deleted(pod: V1Pod): void {
    const name = podName(pod);
    const uid = pod.metadata?.uid;
    const known = this.known.get(name);
    // A DELETED event for an older pod of the same name must not forget the current one.
    if (known?.uid === uid) this.known.delete(name);
    this.gone(name, { uid, jobName: known?.jobName ?? executionStatusOfPod(pod).jobName }, 'pod vanished');
  }

  private gone(name: string, pod: KnownPod, message: string): void {
    if (this.options.ownDeletions.claim(name, pod.uid)) {
      this.options.log.debug('pod deleted by this runner is gone', { jobName: pod.jobName, pod: name });
      return;
    }
    this.options.log.warn(message, { jobName: pod.jobName, pod: name });
    if (this.stopped) return;
    try {
      this.options.onVanished(pod.jobName);
    } catch (error) {
      this.options.log.error('vanished-execution listener failed', { error, jobName: pod.jobName });
    }
  }
}

/**
 * client-node's Watch as the informer's connection, made to behave as client-go's reflector:
 * bookmarks and a server-side timeout on every watch, a deadline for a watch the server never ends,
 * typed pods out of the raw JSON, ERROR events other than 410 ending the watch as failures, and
 * each reconnection paced by the PodWatch it serves.
 */
class PacedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly pacing: ConnectionPacing,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const { pacing } = this;
    const notConnected = new AbortController();
    notConnected.abort();
    try {
      const spacing = pacing.beforeConnecting();
      if (spacing) await spacing;
    } catch {
      // Stopped while waiting: the informer is stopped too and expects nothing more.
      return notConnected;
    }

    const timeoutSeconds = WATCH_TIMEOUT_MIN_SECONDS + Math.floor(Math.random() * (WATCH_TIMEOUT_MAX_SECONDS - WATCH_TIMEOUT_MIN_SECONDS));
    const outcome: WatchOutcome = { delivered: 0, expired: false, error: undefined };
    let connection: AbortController | undefined;
    let settled = false;
    // The informer only aborts the connection it holds, which it learns of when this method returns.
    const abortConnection = () => connection?.abort();
    pacing.stopped.addEventListener('abort', abortConnection);
    const finish = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      pacing.stopped.removeEventListener('abort', abortConnection);
      connection?.abort();
      // The server answering the watch request itself with 410 (rather than an ERROR event) means the same.
      if (error instanceof Error && 'statusCode' in error && error.statusCode === 410) outcome.expired = true;
      const failure = outcome.error ?? error ?? undefined;
      pacing.ended({ ...outcome, error: failure });
      done(failure ?? null);
    };
    const deadline = setTimeout(
      () => finish(new Error(`no end of the watch ${WATCH_DEADLINE_SLACK_MS / 1000}s after its timeout`)),
      timeoutSeconds * 1000 + WATCH_DEADLINE_SLACK_MS,
    );
    deadline.unref();

    const onEvent = (type: string, object: unknown, event: unknown) => {
      if (settled) return;
      // Watch swallows whatever its callback throws, and a lost event would be a job never finished.
      try {
        if (type === 'ERROR') {
          const status = kubernetesStatusSchema.safeParse(object).data;
          if (status?.code === 410) outcome.expired = true;
          else outcome.error = new Error(`watch error: ${status?.code ?? '?'} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim());
          // The informer forgets its resourceVersion on a 410, so that it lists afresh once this watch is done.
          callback(type, object, event);
          finish(undefined);
          return;
        }
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') {
          pacing.log.warn('unknown pod watch event ignored', { type });
          return;
        }
        if (type === 'BOOKMARK') {
          const bookmark = bookmarkSchema.parse(object);
          outcome.delivered++;
          callback(type, bookmark, event);
          return;
        }
        watchedPodSchema.parse(object);
        outcome.delivered++;
        callback(type, ObjectSerializer.deserialize(object, 'V1Pod', '') as V1Pod, event);
      } catch (error) {
        pacing.log.error('pod watch event could not be handled', { error, type });
      }
    };

    try {
      connection = await super.watch(path, { ...queryParams, allowWatchBookmarks: true, timeoutSeconds }, onEvent, finish);
    } catch (error) {
      // Before any request: no cluster in the kubeconfig, or its credentials could not be had.
      finish(error);
      return notConnected;
    }
    // Ended, or stopped, before the informer could hold on to the connection.
    if (settled || pacing.stopped.aborted) connection.abort();
    return connection;
  }
}
