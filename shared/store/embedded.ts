import { z } from 'zod';
import { Journal, lockDirectory } from '../journal/journal';
import type { ProwJob, ProwJobState } from '../prowjob/schema';
import { jobNameForKey } from '../prowjob/names';
import { EmbeddedOutboxState, EmbeddedOutboxStore, OUTBOX_JOURNAL_RECORDS } from './embedded-outbox';
import { JobExistsError, JobNotFoundError } from './errors';
import type { OutboxStore } from './outbox';
import { EmbeddedTideState, EmbeddedTideStore, TIDE_JOURNAL_RECORDS } from './embedded-tide';
import type { TideStore } from './tide';
import { EmbeddedRunnerPresenceStore, EmbeddedRunnerState, RUNNER_JOURNAL_RECORDS } from './embedded-runners';
import type { RunnerPresenceStore } from './runners';
import { LastTickSchema, type LastTick, type SchedulerTickStore } from './scheduler-tick';
import { ReconciledPresubmitsSchema, type ReconciledPresubmits, type StatusReconcilerStore } from './status-reconciler';
import {
  applyClaim,
  applyRelease,
  applyRenewal,
  applyReported,
  applyUpdate,
  checkQuery,
  compareNewestFirst,
  decodeCursor,
  encodeCursor,
  jobIndexOf,
  matchesQuery,
  newStoredJob,
  pageSize,
  applySlotAcquire,
  currentSlotHolders,
  type SlotHolders,
  applyDeliveryAccepted,
  applyProcessingClaim,
  applyProcessingDone,
  applyProcessingRelease,
  applyProcessingRenewal,
  currentDelivery,
  isDeliveryAccepted,
} from './rules';
import { DeliveryRecordSchema, PeriodicRunSchema, ReportedStateSchema, StoredJobSchema } from './schemas';
import {
  JOB_QUERY_FIELDS,
  RECORD_RETENTION_MS,
  type Claim,
  type ClaimRequest,
  type CreateResult,
  type DeliveryRecord,
  type DeliveryStore,
  type JobChange,
  type JobPage,
  type JobQuery,
  type JobStore,
  type JobUpdate,
  type JobWatch,
  type Lease,
  type PageRequest,
  type PeriodicRun,
  type PeriodicStore,
  type ProcessingClaim,
  type ReportedState,
  type SlotStore,
  type Store,
  type StoredJob,
  type WriteGuard,
} from './store';

/**
 * The store for local mode: everything in memory, every change journalled to `dataDir` so it
 * survives a restart (shared/journal/journal.ts). One process owns a data directory at a time.
 *
 * Concurrency is JavaScript's: each operation checks and applies its change synchronously, so two
 * racing writers are ordered and the rules in rules.ts decide the loser exactly as Firestore's
 * preconditions do. An operation resolves, and watchers hear of it, once its record is on disk.
 */
export interface EmbeddedStoreOptions {
  /** Where the journal lives; without it the store is memory only (tests, throwaway runs). */
  dataDir?: string;
  now?: () => number;
  /** fsync each group of writes (default true). */
  fsync?: boolean;
}

const JournalRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('job'), name: z.string(), value: StoredJobSchema.nullable() }),
  z.object({ kind: z.literal('key'), key: z.string(), name: z.string(), expireAt: z.number() }),
  // `record` absent: a journal written before deliveries had a processing half, where a record
  // meant "accepted" (and `expireAt` null, forgotten).
  z.object({ kind: z.literal('delivery'), id: z.string(), expireAt: z.number().nullable(), record: DeliveryRecordSchema.optional() }),
  z.object({ kind: z.literal('periodic'), job: z.string(), value: PeriodicRunSchema }),
  z.object({ kind: z.literal('report'), job: z.string(), channel: z.string(), value: ReportedStateSchema.nullable() }),
  z.object({ kind: z.literal('slot'), key: z.string(), holders: z.record(z.string(), z.number()) }),
  ...OUTBOX_JOURNAL_RECORDS,
  ...TIDE_JOURNAL_RECORDS,
  z.object({ kind: z.literal('status-reconciler'), value: ReconciledPresubmitsSchema }),
  z.object({ kind: z.literal('scheduler-tick'), value: LastTickSchema }),
  ...RUNNER_JOURNAL_RECORDS,
]);
type JournalRecord = z.infer<typeof JournalRecordSchema>;

/** Compact once the log holds this many records more than the live state. */
const COMPACTION_SLACK = 20_000;

export class EmbeddedStore implements Store {
  readonly jobs: EmbeddedJobStore;
  readonly deliveries: DeliveryStore;
  readonly periodics: PeriodicStore;
  readonly slots: SlotStore;
  readonly outbox: OutboxStore;
  readonly tide: TideStore;
  readonly statusReconciler: StatusReconcilerStore;
  readonly schedulerTicks: SchedulerTickStore;
  readonly runners: RunnerPresenceStore;

  private readonly state = new EmbeddedState();

  private constructor(
    private readonly journal: Journal<JournalRecord> | undefined,
    private readonly unlock: (() => void) | undefined,
    private readonly now: () => number,
  ) {
    const persist: Persist = (records) => this.persist(records);
    this.jobs = new EmbeddedJobStore(this.state, persist, now);
    this.deliveries = new EmbeddedDeliveryStore(this.state, persist, (record) => this.persistEventually(record), now);
    this.periodics = new EmbeddedPeriodicStore(this.state, persist);
    this.slots = new EmbeddedSlotStore(this.state, persist, now);
    this.outbox = new EmbeddedOutboxStore(this.state.outbox, persist, now);
    this.tide = new EmbeddedTideStore(this.state.tide, persist);
    this.statusReconciler = new EmbeddedStatusReconcilerStore(this.state, persist);
    this.schedulerTicks = new EmbeddedSchedulerTickStore(this.state, persist);
    this.runners = new EmbeddedRunnerPresenceStore(this.state.runners, persist, now);
  }

  static open(options: EmbeddedStoreOptions = {}): EmbeddedStore {
    const now = options.now ?? Date.now;
    if (options.dataDir === undefined) return new EmbeddedStore(undefined, undefined, now);
    const unlock = lockDirectory(options.dataDir);
    try {
      const opened = Journal.open({
        dir: options.dataDir,
        name: 'store',
        parse: (value) => JournalRecordSchema.parse(value),
        ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
      });
      const store = new EmbeddedStore(opened.journal, unlock, now);
      for (const record of opened.records) store.state.apply(record);
      store.state.dropExpired(now());
      return store;
    } catch (error) {
      unlock();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.jobs.closeWatches();
    await this.journal?.close();
    this.unlock?.();
  }

  /**
   * Applies records to memory at once (so the next operation sees them) and resolves once they are
   * durable; only then do watchers hear of job changes, as Firestore listeners only see commits.
   */
  private async persist(records: JournalRecord[]): Promise<void> {
    const changes = records.map((record) => this.state.apply(record)).filter((change) => change !== undefined);
    if (this.journal) {
      const journal = this.journal;
      await Promise.all(records.map((record) => journal.append(record)));
      this.compactIfWorthwhile();
    } else {
      // Still asynchronous, as a real backend is: callers and watchers see the same ordering.
      await Promise.resolve();
    }
    for (const change of changes) this.jobs.notify(change.before, change.after);
  }

  /**
   * Like `persist` for one record that is no job (so no watcher hears of it), but resolves at once:
   * the record reaches the disk with a later group commit (Journal.appendEventually). Only for
   * records whose loss in a crash does no harm (see recordAccepted). A failed write loses only what
   * the caller agreed to lose; a disk that keeps failing fails the next write that is waited for,
   * which reports it.
   */
  private persistEventually(record: Exclude<JournalRecord, { kind: 'job' }>): Promise<void> {
    this.state.apply(record);
    if (!this.journal) return Promise.resolve();
    // Not awaited: the journal handles a failure nobody waits for.
    void this.journal.appendEventually(record);
    this.compactIfWorthwhile();
    return Promise.resolve();
  }

  private compactIfWorthwhile(): void {
    if (!this.journal || this.journal.appendedSinceCompaction <= this.state.size() + COMPACTION_SLACK) return;
    this.state.dropExpired(this.now());
    // Not waited for: it finishes off the event loop. A failed one leaves the journal whole,
    // and the next is tried once the log has grown by the slack again.
    this.journal.compact(this.state.records()).catch(() => undefined);
  }
}

type Persist = (records: JournalRecord[]) => Promise<void>;
type PersistEventually = (record: Exclude<JournalRecord, { kind: 'job' }>) => Promise<void>;

/** Ordered by (createdAt, name) ascending; newest-first reads walk it backwards. */
class SortedJobList {
  private readonly entries: { createdAt: number; name: string }[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Index of the first entry at or after the position. */
  private lowerBound(createdAt: number, name: string): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.entries[mid] as { createdAt: number; name: string };
      if (entry.createdAt < createdAt || (entry.createdAt === createdAt && entry.name < name)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  insert(createdAt: number, name: string): void {
    this.entries.splice(this.lowerBound(createdAt, name), 0, { createdAt, name });
  }

  remove(createdAt: number, name: string): void {
    const at = this.lowerBound(createdAt, name);
    if (this.entries[at]?.name === name) this.entries.splice(at, 1);
  }

  /** Names newest first, starting strictly after `before` when given. */
  *newestFirst(before?: { createdAt: number; name: string }): Generator<string> {
    let at = before ? this.lowerBound(before.createdAt, before.name) - 1 : this.entries.length - 1;
    for (; at >= 0; at--) yield (this.entries[at] as { name: string }).name;
  }
}

/** The sorted lists a job is in, or that a query narrows to: all jobs, then one per field. */
function indexKeys(index: JobQuery): string[] {
  const keys = ['*'];
  for (const field of JOB_QUERY_FIELDS) {
    const value = index[field];
    if (value !== undefined) keys.push(`${field}=${value}`);
  }
  return keys;
}

interface JobVersions {
  before: StoredJob | undefined;
  after: StoredJob | undefined;
}

/** The in-memory data and its indexes; changed only by applying journal records. */
class EmbeddedState {
  readonly jobs = new Map<string, StoredJob>();
  readonly keys = new Map<string, { name: string; expireAt: number }>();
  readonly deliveries = new Map<string, DeliveryRecord>();
  readonly periodics = new Map<string, PeriodicRun>();
  readonly slots = new Map<string, SlotHolders>();
  /** Names of the jobs with `reportDue` set. */
  readonly reportDue = new Set<string>();
  readonly outbox = new EmbeddedOutboxState();
  readonly tide = new EmbeddedTideState();
  readonly runners = new EmbeddedRunnerState();
  statusReconciler: ReconciledPresubmits | undefined;
  lastTick: LastTick | undefined;
  private readonly lists = new Map<string, SortedJobList>();

  list(key: string): SortedJobList | undefined {
    return this.lists.get(key);
  }

  /** Applies a record; for a job, returns the versions before and after so watchers can be told. */
  apply(record: JournalRecord): JobVersions | undefined {
    switch (record.kind) {
      case 'job': {
        const before = this.jobs.get(record.name);
        if (before) this.unindex(before);
        this.reportDue.delete(record.name);
        if (record.value) {
          this.jobs.set(record.name, record.value);
          this.index(record.value);
          if (record.value.reportDue) this.reportDue.add(record.name);
        } else {
          this.jobs.delete(record.name);
        }
        return { before, after: record.value ?? undefined };
      }
      case 'key':
        this.keys.set(record.key, { name: record.name, expireAt: record.expireAt });
        return;
      case 'delivery':
        if (record.expireAt === null) this.deliveries.delete(record.id);
        else this.deliveries.set(record.id, record.record ?? { accepted: true, done: false, expireAt: record.expireAt });
        return;
      case 'periodic':
        this.periodics.set(record.job, record.value);
        return;
      case 'slot':
        if (Object.keys(record.holders).length > 0) this.slots.set(record.key, record.holders);
        else this.slots.delete(record.key);
        return;
      case 'report': {
        // Journals written before report records moved into the job's own record.
        const job = this.jobs.get(record.job);
        if (job && record.value) job.reported = { ...job.reported, [record.channel]: record.value };
        return;
      }
      case 'outbox':
      case 'outbox-installation':
        this.outbox.apply(record);
        return;
      case 'tide-pool':
      case 'tide-history':
      case 'tide-prune':
        this.tide.apply(record);
        return;
      case 'status-reconciler':
        this.statusReconciler = record.value;
        return;
      case 'scheduler-tick':
        this.lastTick = record.value;
        return;
      case 'runner':
        this.runners.apply(record);
        return;
    }
  }

  private index(job: StoredJob): void {
    const name = job.job.metadata.name ?? '';
    for (const key of indexKeys(jobIndexOf(job.job))) {
      let list = this.lists.get(key);
      if (!list) this.lists.set(key, (list = new SortedJobList()));
      list.insert(job.createdAt, name);
    }
  }

  private unindex(job: StoredJob): void {
    const name = job.job.metadata.name ?? '';
    for (const key of indexKeys(jobIndexOf(job.job))) this.lists.get(key)?.remove(job.createdAt, name);
  }

  dropExpired(now: number): void {
    for (const [key, entry] of this.keys) if (entry.expireAt <= now) this.keys.delete(key);
    for (const [id, record] of this.deliveries) if (record.expireAt <= now) this.deliveries.delete(id);
    this.outbox.dropExpired(now);
    this.runners.dropExpired(now);
  }

  size(): number {
    return (
      this.jobs.size + this.keys.size + this.deliveries.size + this.periodics.size + this.slots.size + this.outbox.size() + this.tide.size() + (this.statusReconciler ? 1 : 0) + (this.lastTick ? 1 : 0) + this.runners.size()
    );
  }

  *records(): Generator<JournalRecord> {
    for (const [name, value] of this.jobs) yield { kind: 'job', name, value };
    for (const [key, entry] of this.keys) yield { kind: 'key', key, ...entry };
    for (const [id, record] of this.deliveries) yield { kind: 'delivery', id, expireAt: record.expireAt, record };
    for (const [job, value] of this.periodics) yield { kind: 'periodic', job, value };
    for (const [key, holders] of this.slots) yield { kind: 'slot', key, holders };
    yield* this.outbox.records();
    yield* this.tide.records();
    if (this.statusReconciler) yield { kind: 'status-reconciler', value: this.statusReconciler };
    if (this.lastTick) yield { kind: 'scheduler-tick', value: this.lastTick };
    yield* this.runners.records();
  }
}

/** Where a newest-first walk starts: after the cursor, and before `createdBefore`, whichever is older. */
function startingAfter(page: PageRequest): { createdAt: number; name: string } | undefined {
  const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  if (page.createdBefore === undefined) return cursor;
  // "" sorts before every name, so the walk starts at the newest job created before the bound.
  const bound = { createdAt: page.createdBefore, name: '' };
  return cursor && cursor.createdAt < bound.createdAt ? cursor : bound;
}

interface Watcher {
  query: JobQuery;
  listener: (change: JobChange) => void;
  /** Set once the initial jobs were delivered; changes before that are already in them. */
  live: boolean;
}

class EmbeddedJobStore implements JobStore {
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly state: EmbeddedState,
    private readonly persist: Persist,
    private readonly now: () => number,
  ) {}

  async create(job: ProwJob, options: { idempotencyKey: string }): Promise<CreateResult> {
    const now = this.now();
    const earlier = this.state.keys.get(options.idempotencyKey);
    if (earlier && earlier.expireAt > now) {
      await Promise.resolve();
      return { created: false, name: earlier.name, job: this.state.jobs.get(earlier.name) };
    }
    const stored = newStoredJob(job, now);
    const name = stored.job.metadata.name ?? '';
    const keyed = name === jobNameForKey(options.idempotencyKey);
    const existing = this.state.jobs.get(name);
    if (existing) {
      if (keyed) return { created: false, name, job: existing };
      throw new JobExistsError(name);
    }
    await this.persist([
      ...(keyed ? [] : [{ kind: 'key' as const, key: options.idempotencyKey, name, expireAt: now + RECORD_RETENTION_MS.idempotencyKey }]),
      { kind: 'job', name, value: stored },
    ]);
    return { created: true, job: stored };
  }

  async get(name: string): Promise<StoredJob | undefined> {
    await Promise.resolve();
    return this.state.jobs.get(name);
  }

  async list(query: JobQuery, page: PageRequest = {}): Promise<JobPage> {
    checkQuery(query);
    const limit = pageSize(page.limit);
    const after = startingAfter(page);
    await Promise.resolve();
    // Walk the narrowest index that the query names; the others are checked per job.
    let narrowest = this.state.list('*');
    for (const key of indexKeys(query).slice(1)) {
      const list = this.state.list(key);
      if (!list) return { jobs: [] };
      if (!narrowest || list.length < narrowest.length) narrowest = list;
    }
    const jobs: StoredJob[] = [];
    let hasMore = false;
    for (const name of narrowest?.newestFirst(after) ?? []) {
      const job = this.state.jobs.get(name);
      if (!job || !matchesQuery(job, query)) continue;
      if (jobs.length === limit) {
        hasMore = true;
        break;
      }
      jobs.push(job);
    }
    const last = jobs.at(-1);
    return hasMore && last ? { jobs, nextCursor: encodeCursor(last) } : { jobs };
  }

  async update(name: string, update: JobUpdate, guard: WriteGuard): Promise<StoredJob> {
    const current = this.state.jobs.get(name);
    if (!current) throw new JobNotFoundError(name);
    const next = applyUpdate(current, update, guard, this.now());
    await this.persist([{ kind: 'job', name, value: next }]);
    return next;
  }

  async delete(name: string): Promise<void> {
    if (!this.state.jobs.has(name)) return;
    await this.persist([{ kind: 'job', name, value: null }]);
  }

  async listReportDue(options: { updatedBefore: number; limit?: number }): Promise<StoredJob[]> {
    const limit = pageSize(options.limit);
    await Promise.resolve();
    const due: StoredJob[] = [];
    for (const name of this.state.reportDue) {
      const job = this.state.jobs.get(name);
      if (job && job.updatedAt < options.updatedBefore) due.push(job);
    }
    due.sort((a, b) => a.updatedAt - b.updatedAt);
    return due.slice(0, limit);
  }

  async markReported(name: string, state: ProwJobState | undefined, reported?: Record<string, ReportedState>): Promise<void> {
    const current = this.state.jobs.get(name);
    const next = current && applyReported(current, state, reported);
    if (next) await this.persist([{ kind: 'job', name, value: next }]);
  }

  async claim(name: string, request: ClaimRequest, start?: JobUpdate): Promise<Claim | undefined> {
    const current = this.state.jobs.get(name);
    const claim = current && applyClaim(current, request, this.now(), start);
    if (!claim) return undefined;
    await this.persist([{ kind: 'job', name, value: claim.job }]);
    return claim;
  }

  async claimNext(request: ClaimRequest): Promise<Claim | undefined> {
    const now = this.now();
    const candidates: StoredJob[] = [];
    for (const state of ['triggered', 'pending'] as const) {
      for (const name of this.state.list(`state=${state}`)?.newestFirst() ?? []) {
        const job = this.state.jobs.get(name);
        if (job && jobIndexOf(job.job).cluster === request.cluster) candidates.push(job);
      }
    }
    candidates.sort((a, b) => -compareNewestFirst(a, b));
    for (const candidate of candidates) {
      const claim = applyClaim(candidate, request, now);
      if (!claim) continue;
      await this.persist([{ kind: 'job', name: claim.lease.jobName, value: claim.job }]);
      return claim;
    }
    return undefined;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const current = this.state.jobs.get(lease.jobName);
    if (!current) throw new JobNotFoundError(lease.jobName);
    const next = applyRenewal(current, lease, ttlMs, this.now());
    await this.persist([{ kind: 'job', name: lease.jobName, value: next }]);
    return next.lease as Lease;
  }

  async release(lease: Lease): Promise<void> {
    const current = this.state.jobs.get(lease.jobName);
    const next = current && applyRelease(current, lease, this.now());
    if (next) await this.persist([{ kind: 'job', name: lease.jobName, value: next }]);
  }

  watch(query: JobQuery, listener: (change: JobChange) => void, onError?: (error: Error) => void): JobWatch {
    const watcher: Watcher = { query, listener, live: false };
    this.watchers.add(watcher);
    const ready = Promise.resolve().then(() => {
      if (!this.watchers.has(watcher)) return;
      const initial = [...this.state.jobs.values()].filter((job) => matchesQuery(job, query));
      initial.sort(compareNewestFirst);
      watcher.live = true;
      for (const job of initial) deliver(watcher, { kind: 'added', job }, onError);
    });
    return { ready, close: () => this.watchers.delete(watcher) };
  }

  closeWatches(): void {
    this.watchers.clear();
  }

  notify(before: StoredJob | undefined, after: StoredJob | undefined): void {
    for (const watcher of this.watchers) {
      if (!watcher.live) continue;
      const matchedBefore = before !== undefined && matchesQuery(before, watcher.query);
      const matchesNow = after !== undefined && matchesQuery(after, watcher.query);
      if (matchesNow) deliver(watcher, { kind: matchedBefore ? 'modified' : 'added', job: after });
      else if (matchedBefore) deliver(watcher, { kind: 'removed', job: before });
    }
  }
}

function deliver(watcher: Watcher, change: JobChange, onError?: (error: Error) => void): void {
  // A listener's exception is its own problem; it must not fail the write that triggered it.
  queueMicrotask(() => {
    try {
      watcher.listener(change);
    } catch (error) {
      onError?.(error as Error);
    }
  });
}

class EmbeddedDeliveryStore implements DeliveryStore {
  constructor(
    private readonly state: EmbeddedState,
    private readonly persist: Persist,
    private readonly persistEventually: PersistEventually,
    private readonly now: () => number,
  ) {}

  isAccepted(deliveryId: string): Promise<boolean> {
    // A settled promise is still answered asynchronously, as a real backend's would be.
    return Promise.resolve(isDeliveryAccepted(this.state.deliveries.get(deliveryId), this.now()));
  }

  /**
   * Resolves once `isAccepted` sees the record, without waiting for the disk: the webhook records a
   * delivery only after its event is durably on the bus, and a record lost in a crash only means a
   * redelivery is published again, which the processing claim runs once. So `POST /hook` answers
   * after one disk flush (the publish's), not two in a row.
   */
  recordAccepted(deliveryId: string): Promise<void> {
    const next = applyDeliveryAccepted(this.state.deliveries.get(deliveryId), this.now(), RECORD_RETENTION_MS.delivery);
    if (!next) return Promise.resolve();
    return this.persistEventually({ kind: 'delivery', id: deliveryId, expireAt: next.expireAt, record: next });
  }

  async claimProcessing(deliveryId: string, holder: string, leaseMs: number): Promise<ProcessingClaim> {
    const { claim, next } = applyProcessingClaim(
      this.state.deliveries.get(deliveryId),
      holder,
      leaseMs,
      this.now(),
      RECORD_RETENTION_MS.delivery,
    );
    await this.write(deliveryId, next);
    return claim;
  }

  async renewProcessing(deliveryId: string, holder: string, leaseMs: number): Promise<boolean> {
    const next = applyProcessingRenewal(this.state.deliveries.get(deliveryId), holder, leaseMs, this.now());
    await this.write(deliveryId, next);
    return next !== undefined;
  }

  async finishProcessing(deliveryId: string): Promise<void> {
    await this.write(deliveryId, applyProcessingDone(this.state.deliveries.get(deliveryId), this.now(), RECORD_RETENTION_MS.delivery));
  }

  async releaseProcessing(deliveryId: string, holder: string): Promise<void> {
    await this.write(deliveryId, applyProcessingRelease(this.state.deliveries.get(deliveryId), holder, this.now()));
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    await Promise.resolve();
    return currentDelivery(this.state.deliveries.get(deliveryId), this.now());
  }

  async countSince(since: number): Promise<number> {
    await Promise.resolve();
    const bound = since + RECORD_RETENTION_MS.delivery;
    let count = 0;
    for (const record of this.state.deliveries.values()) if (record.expireAt >= bound) count++;
    return count;
  }

  /** Decisions are made synchronously before this is called, so racing callers are ordered. */
  private async write(deliveryId: string, next: DeliveryRecord | undefined): Promise<void> {
    if (!next) {
      await Promise.resolve();
      return;
    }
    await this.persist([{ kind: 'delivery', id: deliveryId, expireAt: next.expireAt, record: next }]);
  }
}

class EmbeddedPeriodicStore implements PeriodicStore {
  constructor(
    private readonly state: EmbeddedState,
    private readonly persist: Persist,
  ) {}

  async get(job: string): Promise<PeriodicRun | undefined> {
    await Promise.resolve();
    return this.state.periodics.get(job);
  }

  async advance(run: PeriodicRun, expectedLastRunAt: number | undefined): Promise<boolean> {
    if (this.state.periodics.get(run.job)?.lastRunAt !== expectedLastRunAt) {
      await Promise.resolve();
      return false;
    }
    await this.persist([{ kind: 'periodic', job: run.job, value: run }]);
    return true;
  }
}

class EmbeddedSlotStore implements SlotStore {
  constructor(
    private readonly state: EmbeddedState,
    private readonly persist: Persist,
    private readonly now: () => number,
  ) {}

  async acquire(key: string, holder: string, capacity: number, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const next = applySlotAcquire(this.state.slots.get(key) ?? {}, holder, capacity, now + ttlMs, now);
    if (!next) {
      await Promise.resolve();
      return false;
    }
    await this.persist([{ kind: 'slot', key, holders: next }]);
    return true;
  }

  async release(key: string, holder: string): Promise<void> {
    const holders = this.state.slots.get(key);
    if (!holders || !(holder in holders)) return;
    const { [holder]: _released, ...rest } = holders;
    await this.persist([{ kind: 'slot', key, holders: rest }]);
  }

  async holders(key: string): Promise<string[]> {
    await Promise.resolve();
    return currentSlotHolders(this.state.slots.get(key) ?? {}, this.now());
  }
}

class EmbeddedStatusReconcilerStore implements StatusReconcilerStore {
  constructor(
    private readonly state: EmbeddedState,
    private readonly persist: Persist,
  ) {}

  async get(): Promise<ReconciledPresubmits | undefined> {
    await Promise.resolve();
    return this.state.statusReconciler;
  }

  async advance(next: ReconciledPresubmits, expectedRevision: number | undefined): Promise<boolean> {
    // Checked and applied in one synchronous step (persist applies before it awaits): racing callers are ordered.
    if (this.state.statusReconciler?.revision !== expectedRevision) {
      await Promise.resolve();
      return false;
    }
    await this.persist([{ kind: 'status-reconciler', value: ReconciledPresubmitsSchema.parse(next) }]);
    return true;
  }
}

class EmbeddedSchedulerTickStore implements SchedulerTickStore {
  constructor(
    private readonly state: EmbeddedState,
    private readonly persist: Persist,
  ) {}

  async last(): Promise<LastTick | undefined> {
    await Promise.resolve();
    return this.state.lastTick;
  }

  async record(tick: LastTick): Promise<void> {
    await this.persist([{ kind: 'scheduler-tick', value: LastTickSchema.parse(tick) }]);
  }
}
