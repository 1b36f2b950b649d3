import { z } from 'zod';
import { canTransition, isActiveState, isFinalState } from '../prowjob/lifecycle';
import { ProwJobSchema, type ProwJob, type ProwJobState, type ProwJobType } from '../prowjob/schema';
import { kubernetesTime } from '../prowjob/time';
import { ConflictError, InvalidQueryError, InvalidTransitionError, StaleLeaseError } from './errors';
import type { Claim, ClaimRequest, DeliveryRecord, JobQuery, JobUpdate, Lease, ProcessingClaim, ReportedState, StoredJob, WriteGuard } from './store';

/**
 * The store's rules as pure functions: both implementations read a job, ask these what the new
 * version is (or why the write is refused), and persist the answer under their own concurrency
 * control. Nothing here does I/O or reads a clock; `now` is passed in.
 */

/** The cluster a job runs in when its spec names none (Prow's `default`). */
export const DEFAULT_JOB_CLUSTER = 'default';

/** The fields queries filter on, as stored beside the job. */
export interface JobIndex {
  state: ProwJobState;
  job: string;
  type: ProwJobType;
  cluster: string;
  repo?: string;
  org?: string;
  pull?: number;
  author?: string;
}

export function jobIndexOf(job: ProwJob): JobIndex {
  const index: JobIndex = {
    state: job.status?.state ?? 'triggered',
    job: job.spec.job,
    type: job.spec.type,
    cluster: job.spec.cluster || DEFAULT_JOB_CLUSTER,
  };
  const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
  if (refs) {
    index.org = refs.org;
    index.repo = `${refs.org}/${refs.repo}`;
    const pull = job.spec.refs?.pulls?.[0];
    if (pull) {
      index.pull = pull.number;
      index.author = pull.author;
    }
  }
  return index;
}

export function matchesQuery(job: StoredJob, query: JobQuery): boolean {
  const index = jobIndexOf(job.job);
  return (
    (query.state === undefined || index.state === query.state) &&
    (query.job === undefined || index.job === query.job) &&
    (query.type === undefined || index.type === query.type) &&
    (query.repo === undefined || index.repo === query.repo) &&
    (query.org === undefined || index.org === query.org) &&
    (query.pull === undefined || index.pull === query.pull) &&
    (query.cluster === undefined || index.cluster === query.cluster) &&
    (query.author === undefined || index.author === query.author)
  );
}

/** Newest first; jobs created in the same millisecond by name, descending, so pages never overlap. */
export function compareNewestFirst(a: StoredJob, b: StoredJob): number {
  return b.createdAt - a.createdAt || compareNames(b.job.metadata.name ?? '', a.job.metadata.name ?? '');
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The job as first stored: state triggered and a start time unless the creator set them. */
export function newStoredJob(job: ProwJob, now: number): StoredJob {
  const name = job.metadata.name;
  if (!name) throw new InvalidQueryError('a ProwJob needs metadata.name to be stored');
  const stored: ProwJob = {
    ...job,
    metadata: { ...job.metadata, creationTimestamp: job.metadata.creationTimestamp ?? kubernetesTime(now) },
    status: { ...job.status, state: job.status?.state ?? 'triggered', startTime: job.status?.startTime ?? kubernetesTime(now) },
  };
  ProwJobSchema.parse(stored);
  const created: StoredJob = { job: stored, revision: 1, createdAt: now, updatedAt: now };
  if (isFinalState(stored.status?.state ?? 'triggered')) created.reportDue = true;
  return created;
}

/** A lease is current while unexpired; a released or finished job's lease has `expiresAt` 0. */
export function isLeaseCurrent(lease: Lease | undefined, now: number): lease is Lease {
  return lease !== undefined && lease.expiresAt > now;
}

function requireCurrentLease(current: StoredJob, lease: Lease, now: number): void {
  const name = current.job.metadata.name ?? lease.jobName;
  const held = current.lease;
  if (!held || held.token !== lease.token || held.holder !== lease.holder) {
    throw new StaleLeaseError(name, held ? `superseded by token ${held.token} of ${held.holder}` : 'never granted');
  }
  if (held.expiresAt <= now) throw new StaleLeaseError(name, 'expired');
}

/** Applies a write; throws when the guard or the lifecycle refuses it. */
export function applyUpdate(current: StoredJob, update: JobUpdate, guard: WriteGuard, now: number): StoredJob {
  const name = current.job.metadata.name ?? '';
  if (guard !== 'latest') {
    if ('revision' in guard) {
      if (guard.revision !== current.revision) throw new ConflictError(name, guard.revision, current.revision);
    } else {
      requireCurrentLease(current, guard.lease, now);
    }
  }
  return applyTransition(current, update, now);
}

/** The job after `update`, the lifecycle permitting; the caller has checked who may write. */
function applyTransition(current: StoredJob, update: JobUpdate, now: number): StoredJob {
  const name = current.job.metadata.name ?? '';
  const from = current.job.status?.state ?? 'triggered';
  const to = update.state ?? from;
  if (!canTransition(from, to)) throw new InvalidTransitionError(name, from, to);

  const status = { ...current.job.status, ...update.status, state: to };
  if (to === 'pending' && from !== 'pending') status.pendingTime ??= kubernetesTime(now);
  if (isFinalState(to)) status.completionTime ??= kubernetesTime(now);
  const next: StoredJob = {
    job: { ...current.job, status },
    revision: current.revision + 1,
    createdAt: current.createdAt,
    updatedAt: now,
  };
  // Only a final state is owed a recorded report (StoredJob.reportDue); one that is still owed
  // stays owed through later writes, such as a description set after the fact.
  if (isFinalState(to) && (to !== from || current.reportDue)) next.reportDue = true;
  if (current.reported) next.reported = current.reported;
  // A finished job needs no runner: its lease ends with it.
  if (current.lease) next.lease = isFinalState(to) ? { ...current.lease, expiresAt: 0 } : current.lease;
  return next;
}

/**
 * The job with `reported` merged into its records and, if it is still in `state`, `reportDue`
 * cleared; undefined when nothing changes.
 */
export function applyReported(current: StoredJob, state: ProwJobState | undefined, reported: Record<string, ReportedState> = {}): StoredJob | undefined {
  const clears = state !== undefined && current.reportDue === true && (current.job.status?.state ?? 'triggered') === state;
  const records = Object.entries(reported);
  if (!clears && records.length === 0) return undefined;
  const { reportDue, ...rest } = current;
  const next: StoredJob = records.length > 0 ? { ...rest, reported: { ...current.reported, ...reported } } : rest;
  if (reportDue && !clears) next.reportDue = true;
  return next;
}

/** Why a job cannot be claimed now, or undefined when it can. */
export function unclaimableReason(current: StoredJob, request: ClaimRequest, now: number): string | undefined {
  const state = current.job.status?.state ?? 'triggered';
  if (!isActiveState(state)) return `it is ${state}`;
  const cluster = jobIndexOf(current.job).cluster;
  if (cluster !== request.cluster) return `it runs in cluster ${cluster}`;
  if (isLeaseCurrent(current.lease, now)) return `${current.lease.holder} holds it`;
  return undefined;
}

/**
 * The job with a new lease for the claimer, or undefined when it is not claimable. With `start`,
 * a job still triggered is started in the same version (refused as applyUpdate would refuse it);
 * one another runner already started is only leased, so its build ID and pod name stay those of
 * the execution the claimer is about to adopt.
 */
export function applyClaim(current: StoredJob, request: ClaimRequest, now: number, start?: JobUpdate): Claim | undefined {
  if (unclaimableReason(current, request, now) !== undefined) return undefined;
  const lease: Lease = {
    jobName: current.job.metadata.name ?? '',
    holder: request.holder,
    token: (current.lease?.token ?? 0) + 1,
    expiresAt: now + request.ttlMs,
  };
  const triggered = (current.job.status?.state ?? 'triggered') === 'triggered';
  const started = start && triggered ? applyTransition(current, start, now) : { ...current, revision: current.revision + 1, updatedAt: now };
  return { job: { ...started, lease }, lease };
}

export function applyRenewal(current: StoredJob, lease: Lease, ttlMs: number, now: number): StoredJob {
  requireCurrentLease(current, lease, now);
  return {
    ...current,
    lease: { ...lease, expiresAt: now + ttlMs },
    revision: current.revision + 1,
    updatedAt: now,
  };
}

/** The job with the lease ended, or undefined when that lease is not current (nothing to do). */
export function applyRelease(current: StoredJob, lease: Lease, now: number): StoredJob | undefined {
  try {
    requireCurrentLease(current, lease, now);
  } catch {
    return undefined;
  }
  return { ...current, lease: { ...lease, expiresAt: 0 }, revision: current.revision + 1, updatedAt: now };
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InvalidQueryError(`page size must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${limit}`);
  }
  return limit;
}

/** Where a page starts: just after the last job of the previous page. */
export interface CursorPosition {
  createdAt: number;
  name: string;
}

const CursorSchema = z.tuple([z.number().int().nonnegative(), z.string().min(1)]);

export function encodeCursor(last: StoredJob): string {
  return Buffer.from(JSON.stringify([last.createdAt, last.job.metadata.name])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [createdAt, name] = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { createdAt, name };
  } catch {
    throw new InvalidQueryError(`invalid page cursor ${JSON.stringify(cursor.slice(0, 64))}: use nextCursor from a previous page`);
  }
}

/** True when `job` comes after the cursor position in newest-first order. */
export function isAfterCursor(job: StoredJob, position: CursorPosition): boolean {
  const name = job.job.metadata.name ?? '';
  return job.createdAt < position.createdAt || (job.createdAt === position.createdAt && name < position.name);
}

/** Validates a query given by a caller (status page filters, CLI) before it reaches a backend. */
export function checkQuery(query: JobQuery): void {
  if (query.pull !== undefined && (!Number.isInteger(query.pull) || query.pull < 0)) {
    throw new InvalidQueryError(`pull must be a pull request number, not ${query.pull}`);
  }
}

/** Slot holders by expiry time (ms since the epoch). */
export type SlotHolders = Record<string, number>;

/**
 * The holders after `holder` asks for a slot: expired holders are dropped first; a current holder
 * renews; a newcomer gets in only while fewer than `capacity` hold one. Undefined when full.
 */
export function applySlotAcquire(
  holders: SlotHolders,
  holder: string,
  capacity: number,
  expiresAt: number,
  now: number,
): SlotHolders | undefined {
  const current = Object.fromEntries(Object.entries(holders).filter(([, until]) => until > now));
  if (!(holder in current) && Object.keys(current).length >= capacity) return undefined;
  return { ...current, [holder]: expiresAt };
}

export function currentSlotHolders(holders: SlotHolders, now: number): string[] {
  return Object.entries(holders)
    .filter(([, until]) => until > now)
    .map(([holder]) => holder)
    .sort();
}

/** A delivery record past its `expireAt` counts as absent: Firestore's TTL deletes only eventually. */
export function currentDelivery(record: DeliveryRecord | undefined, now: number): DeliveryRecord | undefined {
  return record && record.expireAt > now ? record : undefined;
}

export function isDeliveryAccepted(record: DeliveryRecord | undefined, now: number): boolean {
  return currentDelivery(record, now)?.accepted === true;
}

/** The record once the webhook has published the delivery; undefined when already recorded. */
export function applyDeliveryAccepted(record: DeliveryRecord | undefined, now: number, retentionMs: number): DeliveryRecord | undefined {
  const current = currentDelivery(record, now);
  if (current?.accepted) return undefined;
  return { ...(current ?? { done: false }), accepted: true, expireAt: now + retentionMs };
}

/**
 * Decides a processing claim and the record after it (undefined: nothing to write). A lapsed
 * lease belongs to an attempt that stopped without finishing: the claimant takes over.
 */
export function applyProcessingClaim(
  record: DeliveryRecord | undefined,
  holder: string,
  leaseMs: number,
  now: number,
  retentionMs: number,
): { claim: ProcessingClaim; next: DeliveryRecord | undefined } {
  const current = currentDelivery(record, now);
  if (current?.done) return { claim: { outcome: 'done' }, next: undefined };
  const lease = current?.processing;
  if (lease && lease.holder !== holder && lease.expiresAt > now) return { claim: { outcome: 'held', lease }, next: undefined };
  return {
    claim: { outcome: 'claimed', takeover: lease !== undefined && lease.holder !== holder },
    next: {
      accepted: current?.accepted ?? false,
      done: false,
      processing: { holder, expiresAt: now + leaseMs },
      // Kept as long as redeliveries may come, counted from the latest activity.
      expireAt: Math.max(current?.expireAt ?? 0, now + retentionMs),
    },
  };
}

/** The record after `holder` renews; undefined when the claim is no longer its own. */
export function applyProcessingRenewal(record: DeliveryRecord | undefined, holder: string, leaseMs: number, now: number): DeliveryRecord | undefined {
  const current = currentDelivery(record, now);
  if (!current || current.done || current.processing?.holder !== holder) return undefined;
  return { ...current, processing: { holder, expiresAt: Math.max(current.processing.expiresAt, now + leaseMs) } };
}

/**
 * The record once processing is done, whoever holds the lease now: the plugins did run, and
 * saying so stops any further copy from running them again. Undefined when already done.
 */
export function applyProcessingDone(record: DeliveryRecord | undefined, now: number, retentionMs: number): DeliveryRecord | undefined {
  const current = currentDelivery(record, now);
  if (current?.done) return undefined;
  return { accepted: current?.accepted ?? false, done: true, expireAt: Math.max(current?.expireAt ?? 0, now + retentionMs) };
}

/** The record after `holder` gives its claim up; undefined when it holds none. */
export function applyProcessingRelease(record: DeliveryRecord | undefined, holder: string, now: number): DeliveryRecord | undefined {
  const current = currentDelivery(record, now);
  if (!current || current.processing?.holder !== holder) return undefined;
  const { processing: _released, ...rest } = current;
  return rest;
}
