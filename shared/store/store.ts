import type { ProwJob, ProwJobState, ProwJobStatus, ProwJobType } from '../prowjob/schema';
import type { OutboxStore } from './outbox';
import type { RunnerPresenceStore } from './runners';
import type { SchedulerTickStore } from './scheduler-tick';
import type { StatusReconcilerStore } from './status-reconciler';
import type { TideStore } from './tide';

/**
 * Where ProwJob state and the control plane's bookkeeping live. Firestore in the cloud
 * (shared/store/firestore.ts), an embedded, disk-backed twin in local mode
 * (shared/store/embedded.ts); both pass the one contract suite in test/contract/store.contract.ts.
 * The rules every implementation enforces — lifecycle, leases, fencing, query matching — are pure
 * functions in shared/store/rules.ts, so the two can only differ in how they persist.
 */
export interface Store {
  readonly jobs: JobStore;
  readonly deliveries: DeliveryStore;
  readonly periodics: PeriodicStore;
  readonly slots: SlotStore;
  /** GitHub writes waiting to be sent (shared/store/outbox.ts). */
  readonly outbox: OutboxStore;
  /** The merge pool's pool records and history, for the status pages (shared/store/tide.ts). */
  readonly tide: TideStore;
  /** The presubmits the status reconciler last acted on (shared/store/status-reconciler.ts). */
  readonly statusReconciler: StatusReconcilerStore;
  /** The scheduler's last tick, for the health page (shared/store/scheduler-tick.ts). */
  readonly schedulerTicks: SchedulerTickStore;
  /** Each runner's last heartbeat, for the health page (shared/store/runners.ts). */
  readonly runners: RunnerPresenceStore;
  close(): Promise<void>;
}

/** A ProwJob plus what the store keeps about it. */
export interface StoredJob {
  job: ProwJob;
  /** Increments on every write: the version optimistic writers compare against. */
  revision: number;
  /** Store clock, ms since the epoch: the order of "newest first". */
  createdAt: number;
  updatedAt: number;
  lease?: Lease;
  /**
   * Set by the write that makes the job finished (success, failure, aborted, error), cleared by
   * `markReported` once the reporter has reported that state everywhere: the outbox the
   * reporter's reconcile sweep reads, written in the same write as the state, so a final state can
   * never go unreported. Triggered and pending are reported from their change events without a
   * record where a repeat cannot be seen (shared/reporter/report-job.ts says why).
   */
  reportDue?: boolean;
  /**
   * What was last reported on each channel ("github-status:<context>", "slack:<channel>"…), kept
   * in the job's own record so that recording a report is the write that clears `reportDue`.
   */
  reported?: Record<string, ReportedState>;
}

/**
 * A runner's claim on an active job. `token` is the fencing token: it grows with every claim of
 * the job, and a write carrying any token but the current one, or a lease that has expired, is
 * rejected — so a runner that paused past its lease cannot overwrite its successor's work.
 */
export interface Lease {
  jobName: string;
  holder: string;
  token: number;
  /** ms since the epoch. */
  expiresAt: number;
}

/** Equality filters, all optional, combined with AND. */
export interface JobQuery {
  state?: ProwJobState;
  job?: string;
  type?: ProwJobType;
  /** "org/repo". */
  repo?: string;
  org?: string;
  /** Pull request number (with `repo`, one PR). */
  pull?: number;
  cluster?: string;
  /** The pull request author. */
  author?: string;
}

export const JOB_QUERY_FIELDS = ['state', 'job', 'type', 'repo', 'org', 'pull', 'cluster', 'author'] as const;

export interface PageRequest {
  /** 1–1000; default 100. */
  limit?: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
  /** Only jobs the store created strictly before this time (ms since the epoch). */
  createdBefore?: number;
}

export interface JobPage {
  jobs: StoredJob[];
  /** Present when more jobs match. */
  nextCursor?: string;
}

/**
 * What a writer changes. `state` must be a legal next state (shared/prowjob/lifecycle.ts); status
 * fields are merged over the current status. The store stamps `pendingTime` when a job starts and
 * `completionTime` when it finishes, unless the writer gives them.
 */
export interface JobUpdate {
  state?: ProwJobState;
  status?: Partial<Omit<ProwJobStatus, 'state'>>;
}

/**
 * The condition a write is made under:
 * - `{ revision }`: only if nobody wrote since the writer read that revision (two writers racing
 *   from one read: exactly one wins).
 * - `{ lease }`: only while that lease is current (the runner's writes).
 * - `'latest'`: against whatever is current, re-checking the lifecycle rules on each retry (aborts).
 */
export type WriteGuard = { revision: number } | { lease: Lease } | 'latest';

export interface ClaimRequest {
  cluster: string;
  /** Who claims: a stable runner identity, e.g. "<cluster>/<pod name>". */
  holder: string;
  ttlMs: number;
}

export interface Claim {
  job: StoredJob;
  lease: Lease;
}

export type CreateResult =
  | { created: true; job: StoredJob }
  /** The key was used before: `job` is that earlier job (undefined if since deleted). */
  | { created: false; name: string; job: StoredJob | undefined };

export type JobChangeKind = 'added' | 'modified' | 'removed';

export interface JobChange {
  /** `removed` also means "no longer matches the watched query". */
  kind: JobChangeKind;
  job: StoredJob;
}

export interface JobWatch {
  /** Resolves once the jobs matching at the start have been delivered as `added`. */
  ready: Promise<void>;
  close(): void;
}

export interface JobStore {
  /**
   * Stores a new ProwJob named by `metadata.name`. The `idempotencyKey` identifies the cause (a
   * webhook delivery and job, a scheduled run, a Pub/Sub message ID): a second create with the same
   * key returns the first job instead of making another. A job named `jobNameForKey(key)` needs no
   * separate key record (one write in Firestore): its name is the key, for as long as it exists.
   */
  create(job: ProwJob, options: { idempotencyKey: string }): Promise<CreateResult>;
  get(name: string): Promise<StoredJob | undefined>;
  /** Newest first, paginated by cursor. */
  list(query: JobQuery, page?: PageRequest): Promise<JobPage>;
  /** Throws JobNotFoundError, ConflictError, StaleLeaseError or InvalidTransitionError. */
  update(name: string, update: JobUpdate, guard: WriteGuard): Promise<StoredJob>;
  /** For garbage collection; a no-op when already gone. */
  delete(name: string): Promise<void>;

  /**
   * Jobs whose latest state change is not yet reported (`reportDue`) and was written before
   * `updatedBefore`, oldest change first: what the reporter's sweep must heal.
   */
  listReportDue(options: { updatedBefore: number; limit?: number }): Promise<StoredJob[]>;
  /**
   * Records what was reported (`reported`, merged over the job's records) and, with a `state`,
   * clears `reportDue` if the job is still in it (a newer state stays due), in one write. Does not
   * count as a change of the job: revision and updatedAt stay. A no-op when the job is gone.
   */
  markReported(name: string, state: ProwJobState | undefined, reported?: Record<string, ReportedState>): Promise<void>;

  /**
   * Leases `name` if it is active, for `request.cluster`, and not leased by anyone else. With
   * `start`, a job still triggered is also started by that update in the same write (the runner's
   * "leased and pending" in one); a job already started is only leased.
   */
  claim(name: string, request: ClaimRequest, start?: JobUpdate): Promise<Claim | undefined>;
  /** Leases the oldest claimable job for the cluster, if any. */
  claimNext(request: ClaimRequest): Promise<Claim | undefined>;
  /** Heartbeat: extends a current lease. Throws StaleLeaseError when it is no longer current. */
  renew(lease: Lease, ttlMs: number): Promise<Lease>;
  /** Gives a lease up early; a no-op when it is no longer current. */
  release(lease: Lease): Promise<void>;

  /**
   * The change feed: `listener` first receives every job matching `query` as `added`, then each
   * change as it commits. Listeners in the cloud implementation, so nobody polls.
   */
  watch(query: JobQuery, listener: (change: JobChange) => void, onError?: (error: Error) => void): JobWatch;
}

/**
 * What the control plane knows about one webhook delivery (by `X-GitHub-Delivery`), in two halves
 * that different functions write:
 * - `accepted`: the webhook function handed the delivery to `github-events`. Recorded only after
 *   the publish succeeded, so a redelivery is refused as a duplicate only when its event is surely
 *   on the bus — a crash between publish and record means a second publish, never a lost event.
 * - processing: the events function's claim to run the plugins for it, a lease (`holder` until
 *   `expiresAt`) so that a second copy of the message (Pub/Sub is at least once, and redelivers a
 *   message whose handler outlives the ack deadline) waits instead of running the plugins again,
 *   while an attempt that crashed lets a later copy take over once its lease has lapsed. `done`
 *   once the plugins ran: every later copy is acknowledged without running anything.
 */
export interface DeliveryRecord {
  accepted: boolean;
  processing?: DeliveryLease;
  done: boolean;
  /** When the whole record may be forgotten (ms since the epoch; Firestore TTL on `expireAt`). */
  expireAt: number;
}

export interface DeliveryLease {
  holder: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** The answer to a processing claim. */
export type ProcessingClaim =
  /** Run the plugins; `takeover` when an earlier attempt claimed it and stopped without finishing. */
  | { outcome: 'claimed'; takeover: boolean }
  /** Already processed: acknowledge without running anything. */
  | { outcome: 'done' }
  /** Another attempt is processing it now: neither run nor acknowledge. */
  | { outcome: 'held'; lease: DeliveryLease };

export interface DeliveryStore {
  /** True when the delivery was recorded as accepted (and its record has not expired). */
  isAccepted(deliveryId: string): Promise<boolean>;
  /**
   * Records the delivery as accepted, leaving any processing state as it is. Idempotent. Resolves
   * once `isAccepted` answers true; a backend may make the record durable a moment later, since a
   * record lost in a crash only means a redelivery is published again (shared/webhook/receive.ts).
   */
  recordAccepted(deliveryId: string): Promise<void>;
  /** Claims the processing of a delivery for `holder` for `leaseMs` (see ProcessingClaim). */
  claimProcessing(deliveryId: string, holder: string, leaseMs: number): Promise<ProcessingClaim>;
  /** Extends `holder`'s claim; false when it is no longer `holder`'s (lapsed and taken, or done). */
  renewProcessing(deliveryId: string, holder: string, leaseMs: number): Promise<boolean>;
  /**
   * Marks the delivery processed; later claims answer `done`. Not tied to a holder: the plugins ran
   * to the end, so the delivery is done even if this attempt's claim lapsed meanwhile.
   */
  finishProcessing(deliveryId: string): Promise<void>;
  /** Gives up `holder`'s claim without finishing, so the next copy runs at once; no-op otherwise. */
  releaseProcessing(deliveryId: string, holder: string): Promise<void>;
  /** The record as stored, for tests and diagnostics; undefined when absent or expired. */
  get(deliveryId: string): Promise<DeliveryRecord | undefined>;
  /**
   * How many deliveries were recorded at or after `since` (ms since the epoch), for the health
   * page's intake figures: counted on `expireAt`, which is set to a retention after a delivery's
   * latest activity, so a delivery still being processed counts at its latest claim (seconds after
   * its acceptance). Counted, not read: Firestore bills one read per 1,000 index entries.
   */
  countSince(since: number): Promise<number>;
}

export interface PeriodicRun {
  job: string;
  /** The scheduled time of the last run started, ms since the epoch. */
  lastRunAt: number;
  /** The ProwJob created for it. */
  lastJobName?: string;
}

/** When each periodic last ran, advanced by compare-and-set so overlapping ticks start a run once. */
export interface PeriodicStore {
  get(job: string): Promise<PeriodicRun | undefined>;
  /**
   * Records a run at `run.lastRunAt` only if the stored `lastRunAt` still equals `expectedLastRunAt`
   * (undefined: no run recorded yet). True when this caller won.
   */
  advance(run: PeriodicRun, expectedLastRunAt: number | undefined): Promise<boolean>;
}

export interface ReportedState {
  state: ProwJobState;
  /** What the reporter needs to recognise a repeat (e.g. a hash of the description and URL). */
  fingerprint?: string;
  reportedAt: number;
}

/**
 * Counted capacity shared by every runner: a job's `max_concurrency`, a `job_queue_capacities`
 * queue. A holder (a ProwJob's name) keeps its slot by acquiring again before `ttlMs` runs out, as
 * a lease, so a crashed runner's slots free themselves.
 */
export interface SlotStore {
  /** True when `holder` now holds one of `capacity` slots of `key` (renewed if it already did). */
  acquire(key: string, holder: string, capacity: number, ttlMs: number): Promise<boolean>;
  /** Gives a slot back; a no-op when not held. */
  release(key: string, holder: string): Promise<void>;
  /** The holders whose slots have not expired. */
  holders(key: string): Promise<string[]>;
}

/** How long delivery, idempotency and report records are kept (Firestore TTL on `expireAt`). */
export const RECORD_RETENTION_MS = {
  /** GitHub redelivers for days at most; after a week an ID may be seen as new again. */
  delivery: 7 * 24 * 3600_000,
  idempotencyKey: 30 * 24 * 3600_000,
} as const;
