import {
  FieldPath,
  Firestore,
  Timestamp,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Query,
} from '@google-cloud/firestore';
import { z } from 'zod';
import { ProwJobSchema, type ProwJob, type ProwJobState } from '../prowjob/schema';
import { CLAIMABLE_QUERY, REPORT_DUE_QUERY, listQueryShape, type IndexField } from './firestore-queries';
import { JobExistsError, JobNotFoundError, StoreError } from './errors';
import { documentIdFor } from './firestore-ids';
import { FirestoreOutboxStore, OUTBOX_COLLECTIONS } from './firestore-outbox';
import type { OutboxStore } from './outbox';
import { FirestoreTideStore, TIDE_COLLECTIONS } from './firestore-tide';
import type { TideStore } from './tide';
import { FirestoreStatusReconcilerStore, STATUS_RECONCILER_COLLECTION } from './firestore-status-reconciler';
import type { StatusReconcilerStore } from './status-reconciler';
import { FirestoreSchedulerTickStore, SCHEDULER_COLLECTION } from './firestore-scheduler-tick';
import type { SchedulerTickStore } from './scheduler-tick';
import { FirestoreRunnerPresenceStore, RUNNERS_COLLECTION } from './firestore-runners';
import type { RunnerPresenceStore } from './runners';
import {
  applyClaim,
  applyRelease,
  applyRenewal,
  applyReported,
  applyUpdate,
  checkQuery,
  decodeCursor,
  encodeCursor,
  jobIndexOf,
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
import { PeriodicRunSchema, ReportedStateSchema } from './schemas';
import { jobNameForKey } from '../prowjob/names';
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
 * The store on Firestore. Every read-decide-write is optimistic: the write carries the read
 * document's update time as a precondition, and a lost race re-reads and decides again. That is
 * what makes "two writers, one winner" hold without transactions, which on Firestore take locks
 * (and on its emulator queue for seconds under contention).
 *
 * Collections: `prowjobs/{metadata.name}` (with the job's report records), `prowjob-keys/{key}`
 * (idempotency, for jobs not named by their key), `deliveries/{id}`, `periodics/{job}`, `slots/{key}`, the outbox's four (firestore-outbox.ts,
 * optimistic too, with a document per resource that enqueues to it are conditional on), the
 * merge pool's two (firestore-tide.ts) and the status reconciler's one document
 * (firestore-status-reconciler.ts), the scheduler's last tick (firestore-scheduler-tick.ts), and
 * runner presence, `runners/{cluster and holder}` (firestore-runners.ts).
 * Records that must expire carry `expireAt`, the field infra/firestore's TTL policy names.
 */
export const COLLECTIONS = {
  jobs: 'prowjobs',
  idempotencyKeys: 'prowjob-keys',
  deliveries: 'deliveries',
  periodics: 'periodics',
  /** Report records before they moved into the job's document; kept only so the TTL policy clears them. */
  legacyReports: 'reports',
  slots: 'slots',
  outbox: OUTBOX_COLLECTIONS.entries,
  outboxResources: OUTBOX_COLLECTIONS.resources,
  outboxInstallations: OUTBOX_COLLECTIONS.installations,
  outboxCounters: OUTBOX_COLLECTIONS.counters,
  tidePools: TIDE_COLLECTIONS.pools,
  tideHistory: TIDE_COLLECTIONS.history,
  statusReconciler: STATUS_RECONCILER_COLLECTION,
  scheduler: SCHEDULER_COLLECTION,
  runners: RUNNERS_COLLECTION,
} as const;

/** Firestore's gRPC status codes that mean "someone else got there first". */
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const MAX_WRITE_ATTEMPTS = 20;

/** Document reads and writes as Firestore bills them, for `npm run bench`. */
export interface OperationCounts {
  reads: number;
  writes: number;
  deletes: number;
}

export interface FirestoreStoreOptions {
  /** Google Cloud project; taken from the environment when omitted. */
  projectId?: string;
  /** host:port of an emulator; FIRESTORE_EMULATOR_HOST does the same. */
  emulatorHost?: string;
  now?: () => number;
}

/** The job document: the ProwJob as JSON text, beside the fields queries use. */
const JobDocumentSchema = z.object({
  prowjob: z.string(),
  state: z.string(),
  job: z.string(),
  type: z.string(),
  cluster: z.string(),
  repo: z.string().optional(),
  org: z.string().optional(),
  pull: z.number().optional(),
  author: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  revision: z.number().int().positive(),
  lease: z.object({ holder: z.string(), token: z.number().int().positive(), expiresAt: z.number() }).nullable(),
  /** Mirrors lease.expiresAt (0 without a lease) so claimable jobs are one indexed range query. */
  leaseExpiresAt: z.number(),
  reportDue: z.boolean().default(false),
  /** StoredJob.reported as JSON text, like the ProwJob: channel names are not field names. */
  reported: z.string().optional(),
});
type JobDocument = z.infer<typeof JobDocumentSchema>;

function toJobDocument(stored: StoredJob): JobDocument {
  const index = jobIndexOf(stored.job);
  return {
    // Stored as text: Firestore would otherwise index every field of every pod spec, and could
    // not hold nested arrays; JSON also round-trips Prow's shape exactly.
    prowjob: JSON.stringify(stored.job),
    ...index,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    revision: stored.revision,
    lease: stored.lease
      ? { holder: stored.lease.holder, token: stored.lease.token, expiresAt: stored.lease.expiresAt }
      : null,
    leaseExpiresAt: stored.lease?.expiresAt ?? 0,
    reportDue: stored.reportDue ?? false,
    ...(stored.reported ? { reported: JSON.stringify(stored.reported) } : {}),
  };
}

function fromJobDocument(snapshot: DocumentSnapshot): StoredJob {
  const parsed = JobDocumentSchema.safeParse(snapshot.data());
  if (!parsed.success) {
    throw new StoreError(`Firestore document ${snapshot.ref.path} is not a stored ProwJob: ${parsed.error.message}`);
  }
  const document = parsed.data;
  const stored: StoredJob = {
    job: ProwJobSchema.parse(JSON.parse(document.prowjob)),
    revision: document.revision,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
  };
  if (document.lease) stored.lease = { jobName: snapshot.id, ...document.lease };
  if (document.reportDue) stored.reportDue = true;
  if (document.reported) stored.reported = z.record(z.string(), ReportedStateSchema).parse(JSON.parse(document.reported));
  return stored;
}

/**
 * An emulator needs no credentials, but Google's auth library still probes for a GCE metadata
 * server and warns on every client when there is none; tell it not to look.
 */
export function talkingToEmulator(): void {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function ordered(query: Query, orderBy: IndexField[]): Query {
  return orderBy.reduce<Query>(
    (sorted, field) => sorted.orderBy(field.fieldPath, field.order === 'DESCENDING' ? 'desc' : 'asc'),
    query,
  );
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export class FirestoreStore implements Store {
  readonly jobs: FirestoreJobStore;
  readonly deliveries: DeliveryStore;
  readonly periodics: PeriodicStore;
  readonly slots: SlotStore;
  readonly outbox: OutboxStore;
  readonly tide: TideStore;
  readonly statusReconciler: StatusReconcilerStore;
  readonly schedulerTicks: SchedulerTickStore;
  readonly runners: RunnerPresenceStore;
  readonly counts: OperationCounts = { reads: 0, writes: 0, deletes: 0 };

  constructor(
    private readonly db: Firestore,
    now: () => number = Date.now,
  ) {
    this.jobs = new FirestoreJobStore(db, this.counts, now);
    this.deliveries = new FirestoreDeliveryStore(db, this.counts, now);
    this.periodics = new FirestorePeriodicStore(db, this.counts);
    this.slots = new FirestoreSlotStore(db, this.counts, now);
    this.outbox = new FirestoreOutboxStore(db, this.counts, now);
    this.tide = new FirestoreTideStore(db, this.counts);
    this.statusReconciler = new FirestoreStatusReconcilerStore(db, this.counts);
    this.schedulerTicks = new FirestoreSchedulerTickStore(db, this.counts);
    this.runners = new FirestoreRunnerPresenceStore(db, this.counts, now);
  }

  static connect(options: FirestoreStoreOptions = {}): FirestoreStore {
    if (options.emulatorHost || process.env.FIRESTORE_EMULATOR_HOST) talkingToEmulator();
    const db = new Firestore({
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.emulatorHost ? { host: options.emulatorHost, ssl: false } : {}),
      ignoreUndefinedProperties: true,
    });
    return new FirestoreStore(db, options.now);
  }

  resetCounts(): void {
    Object.assign(this.counts, { reads: 0, writes: 0, deletes: 0 });
  }

  async close(): Promise<void> {
    this.jobs.closeWatches();
    await this.db.terminate();
  }
}

/** A job document's version as this process last saw it (read, heard from a listener, or written). */
interface SeenVersion {
  stored: StoredJob;
  updateTime: Timestamp;
}

/** How many seen versions a process keeps (a few KiB each): a runner's or reporter's working set, with room to spare. */
const SEEN_VERSIONS = 2_000;

class FirestoreJobStore implements JobStore {
  private readonly collection: CollectionReference;
  private readonly keys: CollectionReference;
  private readonly watches = new Set<() => void>();
  /**
   * The newest version of each job this process has seen. A read-decide-write starts from it
   * instead of reading, with that version's update time as the write's precondition: when nobody
   * wrote since (the runner's lease and state writes, the reporter's record after its own read),
   * the write costs no read; when someone did, the precondition fails and the job is read as before.
   */
  private readonly seen = new Map<string, SeenVersion>();

  constructor(
    private readonly db: Firestore,
    private readonly counts: OperationCounts,
    private readonly now: () => number,
  ) {
    this.collection = db.collection(COLLECTIONS.jobs);
    this.keys = db.collection(COLLECTIONS.idempotencyKeys);
  }

  private ref(name: string): DocumentReference {
    if (documentIdFor(name) !== name) throw new StoreError(`${JSON.stringify(name)} cannot name a ProwJob document`);
    return this.collection.doc(name);
  }

  async create(job: ProwJob, options: { idempotencyKey: string }): Promise<CreateResult> {
    const now = this.now();
    const stored = newStoredJob(job, now);
    const name = stored.job.metadata.name ?? '';
    const jobRef = this.ref(name);
    if (name === jobNameForKey(options.idempotencyKey)) {
      // Named by its key: the job's own document is the key record, so one create decides.
      try {
        const written = await jobRef.create(toJobDocument(stored));
        this.counts.writes += 1;
        this.remember(name, stored, written.writeTime);
        return { created: true, job: stored };
      } catch (error) {
        if (errorCode(error) !== ALREADY_EXISTS) throw error;
        return { created: false, name, job: await this.get(name) };
      }
    }
    const keyRef = this.keys.doc(documentIdFor(options.idempotencyKey));
    const keyDocument = {
      key: options.idempotencyKey,
      jobName: name,
      expireAt: Timestamp.fromMillis(now + RECORD_RETENTION_MS.idempotencyKey),
    };
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      // First try the common case blind: a new key and a new job, created together or not at all.
      const earlierKey = attempt === 0 ? undefined : await this.getCounted(keyRef);
      const batch = this.db.batch().create(jobRef, toJobDocument(stored));
      if (earlierKey?.exists) {
        const expireAt = earlierKey.get('expireAt') as Timestamp | undefined;
        if (!expireAt || expireAt.toMillis() > now) {
          const earlierName = String(earlierKey.get('jobName'));
          return { created: false, name: earlierName, job: await this.get(earlierName) };
        }
        // A key past its retention is free again; take it over only if nobody else just did.
        batch.update(keyRef, keyDocument, { lastUpdateTime: earlierKey.updateTime as Timestamp });
      } else {
        if (earlierKey && (await this.getCounted(jobRef)).exists) throw new JobExistsError(name);
        batch.create(keyRef, keyDocument);
      }
      try {
        await batch.commit();
        this.counts.writes += 2;
        return { created: true, job: stored };
      } catch (error) {
        const code = errorCode(error);
        if (code !== ALREADY_EXISTS && code !== FAILED_PRECONDITION) throw error;
      }
    }
    throw new StoreError(`gave up creating ProwJob ${name}: too many concurrent writers`);
  }

  async get(name: string): Promise<StoredJob | undefined> {
    const snapshot = await this.getCounted(this.ref(name));
    return snapshot.exists ? this.rememberSnapshot(snapshot) : undefined;
  }

  private remember(name: string, stored: StoredJob, updateTime: Timestamp): void {
    const known = this.seen.get(name);
    if (known && known.updateTime.toMillis() > updateTime.toMillis()) return;
    this.seen.delete(name);
    this.seen.set(name, { stored, updateTime });
    if (this.seen.size > SEEN_VERSIONS) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }

  private rememberSnapshot(snapshot: DocumentSnapshot): StoredJob {
    const stored = fromJobDocument(snapshot);
    if (snapshot.updateTime) this.remember(snapshot.id, stored, snapshot.updateTime);
    return stored;
  }

  async list(query: JobQuery, page: PageRequest = {}): Promise<JobPage> {
    checkQuery(query);
    const limit = pageSize(page.limit);
    let firestoreQuery = ordered(this.filtered(query), listQueryShape(query).orderBy).orderBy(
      FieldPath.documentId(),
      'desc',
    );
    if (page.createdBefore !== undefined) firestoreQuery = firestoreQuery.where('createdAt', '<', page.createdBefore);
    if (page.cursor !== undefined) {
      const after = decodeCursor(page.cursor);
      firestoreQuery = firestoreQuery.startAfter(after.createdAt, after.name);
    }
    const snapshot = await firestoreQuery.limit(limit + 1).get();
    this.counts.reads += Math.max(1, snapshot.size);
    const jobs = snapshot.docs.slice(0, limit).map(fromJobDocument);
    const last = jobs.at(-1);
    return snapshot.size > limit && last ? { jobs, nextCursor: encodeCursor(last) } : { jobs };
  }

  private filtered(query: JobQuery): Query {
    let filtered: Query = this.collection;
    for (const field of JOB_QUERY_FIELDS) {
      const value = query[field];
      if (value !== undefined) filtered = filtered.where(field, '==', value);
    }
    return filtered;
  }

  async update(name: string, update: JobUpdate, guard: WriteGuard): Promise<StoredJob> {
    const next = await this.readDecideWrite(name, (current) => applyUpdate(current, update, guard, this.now()));
    if (!next) throw new JobNotFoundError(name);
    return next;
  }

  async delete(name: string): Promise<void> {
    await this.ref(name).delete();
    this.seen.delete(name);
    this.counts.deletes += 1;
  }

  async listReportDue(options: { updatedBefore: number; limit?: number }): Promise<StoredJob[]> {
    const [equality] = REPORT_DUE_QUERY.equalities;
    const snapshot = await ordered(
      this.collection.where(equality as string, '==', true).where('updatedAt', '<', options.updatedBefore),
      REPORT_DUE_QUERY.orderBy,
    )
      .limit(pageSize(options.limit))
      .get();
    this.counts.reads += Math.max(1, snapshot.size);
    return snapshot.docs.map(fromJobDocument);
  }

  async markReported(name: string, state: ProwJobState | undefined, reported?: Record<string, ReportedState>): Promise<void> {
    await this.readDecideWrite(name, (current) => applyReported(current, state, reported), { missingIsNoop: true });
  }

  async claim(name: string, request: ClaimRequest, start?: JobUpdate): Promise<Claim | undefined> {
    let claim: Claim | undefined;
    await this.readDecideWrite(
      name,
      (current) => {
        claim = applyClaim(current, request, this.now(), start);
        return claim?.job;
      },
      { missingIsNoop: true },
    );
    return claim;
  }

  async claimNext(request: ClaimRequest): Promise<Claim | undefined> {
    // The oldest job goes first. Claimers racing for it all read the same few candidates, so one
    // that loses a race tries the rest in random order rather than colliding again on the next.
    const CANDIDATES = 4;
    for (let round = 0; round < MAX_WRITE_ATTEMPTS; round++) {
      const claimable = this.collection
        .where('cluster', '==', request.cluster)
        .where('state', 'in', ['triggered', 'pending'])
        .where('leaseExpiresAt', '<=', this.now());
      const snapshot = await ordered(claimable, CLAIMABLE_QUERY.orderBy).limit(CANDIDATES).get();
      this.counts.reads += Math.max(1, snapshot.size);
      if (snapshot.empty) return undefined;
      const [oldest, ...others] = snapshot.docs;
      const order = round === 0 ? [oldest, ...shuffled(others)] : shuffled(snapshot.docs);
      for (const candidate of order) {
        if (!candidate) continue;
        const claim = applyClaim(fromJobDocument(candidate), request, this.now());
        if (claim && (await this.writeIfUnchanged(candidate.ref, candidate.updateTime as Timestamp, claim.job))) return claim;
      }
    }
    return undefined;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const next = await this.readDecideWrite(lease.jobName, (current) =>
      applyRenewal(current, lease, ttlMs, this.now()),
    );
    if (!next?.lease) throw new JobNotFoundError(lease.jobName);
    return next.lease;
  }

  async release(lease: Lease): Promise<void> {
    await this.readDecideWrite(lease.jobName, (current) => applyRelease(current, lease, this.now()), {
      missingIsNoop: true,
    });
  }

  watch(query: JobQuery, listener: (change: JobChange) => void, onError?: (error: Error) => void): JobWatch {
    checkQuery(query);
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const unsubscribe = this.filtered(query).onSnapshot(
      (snapshot) => {
        const changes = snapshot.docChanges();
        this.counts.reads += changes.length;
        for (const change of changes) {
          try {
            const job = change.type === 'removed' ? fromJobDocument(change.doc) : this.rememberSnapshot(change.doc);
            listener({ kind: change.type, job });
          } catch (error) {
            onError?.(error as Error);
          }
        }
        markReady();
      },
      (error) => {
        failReady(error);
        onError?.(error);
      },
    );
    const close = () => {
      unsubscribe();
      this.watches.delete(close);
    };
    this.watches.add(close);
    return { ready, close };
  }

  closeWatches(): void {
    for (const close of [...this.watches]) close();
  }

  private async getCounted(ref: DocumentReference): Promise<DocumentSnapshot> {
    const snapshot = await ref.get();
    this.counts.reads += 1;
    return snapshot;
  }

  /** Writes `next` only if the document is still at `updateTime`; false when it has changed. */
  private async writeIfUnchanged(ref: DocumentReference, updateTime: Timestamp, next: StoredJob): Promise<boolean> {
    try {
      const written = await ref.update(toJobDocument(next), { lastUpdateTime: updateTime });
      this.counts.writes += 1;
      this.remember(ref.id, next, written.writeTime);
      return true;
    } catch (error) {
      const code = errorCode(error);
      // NOT_FOUND (5): deleted since it was read; the caller's next read will say so.
      if (code === FAILED_PRECONDITION || code === 5) return false;
      throw error;
    }
  }

  /**
   * Reads the job, asks `decide` for its next version (it throws to refuse, returns undefined for
   * "nothing to write"), and writes it unless someone wrote first — then decides again on the new
   * version. Returns what was written, or undefined.
   */
  private async readDecideWrite(
    name: string,
    decide: (current: StoredJob) => StoredJob | undefined,
    options: { missingIsNoop?: boolean } = {},
  ): Promise<StoredJob | undefined> {
    const ref = this.ref(name);
    const seen = this.seen.get(name);
    if (seen) {
      // Optimistically from the version last seen; anything it would refuse or skip is decided
      // again on a fresh read below, since an old version may say "no" where the current says "yes".
      let next: StoredJob | undefined;
      try {
        next = decide(seen.stored);
      } catch {
        next = undefined;
      }
      if (next && (await this.writeIfUnchanged(ref, seen.updateTime, next))) return next;
      this.seen.delete(name);
    }
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const snapshot = await this.getCounted(ref);
      if (!snapshot.exists) {
        if (options.missingIsNoop) return undefined;
        throw new JobNotFoundError(name);
      }
      const next = decide(this.rememberSnapshot(snapshot));
      if (!next) return undefined;
      if (await this.writeIfUnchanged(ref, snapshot.updateTime as Timestamp, next)) return next;
    }
    throw new StoreError(`gave up writing ProwJob ${name}: too many concurrent writers`);
  }
}

/**
 * A delivery document. `accepted` defaults to true and `done` to false for documents written
 * before deliveries had a processing half, when a document meant "accepted".
 */
const DeliveryDocumentSchema = z.object({
  deliveryId: z.string(),
  accepted: z.boolean().default(true),
  done: z.boolean().default(false),
  processing: z.object({ holder: z.string(), expiresAt: z.number() }).nullable().default(null),
  expireAt: z.instanceof(Timestamp),
});

function fromDeliveryDocument(snapshot: DocumentSnapshot): DeliveryRecord | undefined {
  if (!snapshot.exists) return undefined;
  const document = DeliveryDocumentSchema.parse(snapshot.data());
  return {
    accepted: document.accepted,
    done: document.done,
    ...(document.processing ? { processing: document.processing } : {}),
    expireAt: document.expireAt.toMillis(),
  };
}

class FirestoreDeliveryStore implements DeliveryStore {
  private readonly collection: CollectionReference;

  constructor(
    db: Firestore,
    private readonly counts: OperationCounts,
    private readonly now: () => number,
  ) {
    this.collection = db.collection(COLLECTIONS.deliveries);
  }

  async isAccepted(deliveryId: string): Promise<boolean> {
    return isDeliveryAccepted(await this.read(deliveryId), this.now());
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    return currentDelivery(await this.read(deliveryId), this.now());
  }

  async recordAccepted(deliveryId: string): Promise<void> {
    // Usually the first write about the delivery, so try a bare create (one write) before reading.
    const ref = this.collection.doc(documentIdFor(deliveryId));
    const fresh = applyDeliveryAccepted(undefined, this.now(), RECORD_RETENTION_MS.delivery);
    try {
      if (fresh) await ref.create(this.toDocument(deliveryId, fresh));
      this.counts.writes += 1;
      return;
    } catch (error) {
      if (errorCode(error) !== ALREADY_EXISTS) throw error;
    }
    await this.change(deliveryId, (record, now) => ({ next: applyDeliveryAccepted(record, now, RECORD_RETENTION_MS.delivery), result: undefined }));
  }

  async claimProcessing(deliveryId: string, holder: string, leaseMs: number): Promise<ProcessingClaim> {
    return this.change(deliveryId, (record, now) => {
      const { claim, next } = applyProcessingClaim(record, holder, leaseMs, now, RECORD_RETENTION_MS.delivery);
      return { next, result: claim };
    });
  }

  async renewProcessing(deliveryId: string, holder: string, leaseMs: number): Promise<boolean> {
    return this.change(deliveryId, (record, now) => {
      const next = applyProcessingRenewal(record, holder, leaseMs, now);
      return { next, result: next !== undefined };
    });
  }

  async finishProcessing(deliveryId: string): Promise<void> {
    await this.change(deliveryId, (record, now) => ({ next: applyProcessingDone(record, now, RECORD_RETENTION_MS.delivery), result: undefined }));
  }

  async releaseProcessing(deliveryId: string, holder: string): Promise<void> {
    await this.change(deliveryId, (record, now) => ({ next: applyProcessingRelease(record, holder, now), result: undefined }));
  }

  async countSince(since: number): Promise<number> {
    const answer = await this.collection.where('expireAt', '>=', Timestamp.fromMillis(since + RECORD_RETENTION_MS.delivery)).count().get();
    const { count } = answer.data();
    this.counts.reads += Math.max(1, Math.ceil(count / 1_000));
    return count;
  }

  private async read(deliveryId: string): Promise<DeliveryRecord | undefined> {
    const snapshot = await this.collection.doc(documentIdFor(deliveryId)).get();
    this.counts.reads += 1;
    return fromDeliveryDocument(snapshot);
  }

  private toDocument(deliveryId: string, record: DeliveryRecord): Record<string, unknown> {
    return {
      deliveryId,
      accepted: record.accepted,
      done: record.done,
      // null rather than absent: an update replaces named fields only, so a released lease must be overwritten.
      processing: record.processing ?? null,
      expireAt: Timestamp.fromMillis(record.expireAt),
    };
  }

  /**
   * Reads the record, asks `decide` for the next one, and writes it if the document is unchanged
   * since the read (created if absent); decides again after a lost race, as the other stores do.
   */
  private async change<T>(
    deliveryId: string,
    decide: (record: DeliveryRecord | undefined, now: number) => { next: DeliveryRecord | undefined; result: T },
  ): Promise<T> {
    const ref = this.collection.doc(documentIdFor(deliveryId));
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const snapshot = await ref.get();
      this.counts.reads += 1;
      const { next, result } = decide(fromDeliveryDocument(snapshot), this.now());
      if (!next) return result;
      try {
        if (snapshot.exists) await ref.update(this.toDocument(deliveryId, next), { lastUpdateTime: snapshot.updateTime as Timestamp });
        else await ref.create(this.toDocument(deliveryId, next));
        this.counts.writes += 1;
        return result;
      } catch (error) {
        const code = errorCode(error);
        if (code !== FAILED_PRECONDITION && code !== ALREADY_EXISTS) throw error;
      }
    }
    throw new StoreError(`gave up recording delivery ${deliveryId}: too many concurrent writers`);
  }
}

class FirestorePeriodicStore implements PeriodicStore {
  private readonly collection: CollectionReference;

  constructor(
    db: Firestore,
    private readonly counts: OperationCounts,
  ) {
    this.collection = db.collection(COLLECTIONS.periodics);
  }

  async get(job: string): Promise<PeriodicRun | undefined> {
    const snapshot = await this.collection.doc(documentIdFor(job)).get();
    this.counts.reads += 1;
    return snapshot.exists ? PeriodicRunSchema.parse(snapshot.data()) : undefined;
  }

  async advance(run: PeriodicRun, expectedLastRunAt: number | undefined): Promise<boolean> {
    const ref = this.collection.doc(documentIdFor(run.job));
    try {
      if (expectedLastRunAt === undefined) {
        await ref.create(run);
      } else {
        const snapshot = await ref.get();
        this.counts.reads += 1;
        if (!snapshot.exists || PeriodicRunSchema.parse(snapshot.data()).lastRunAt !== expectedLastRunAt) return false;
        await ref.update({ ...run }, { lastUpdateTime: snapshot.updateTime as Timestamp });
      }
      this.counts.writes += 1;
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === ALREADY_EXISTS || code === FAILED_PRECONDITION) return false;
      throw error;
    }
  }
}



const SlotDocumentSchema = z.object({ holders: z.record(z.string(), z.number()) });

class FirestoreSlotStore implements SlotStore {
  private readonly collection: CollectionReference;

  constructor(
    db: Firestore,
    private readonly counts: OperationCounts,
    private readonly now: () => number,
  ) {
    this.collection = db.collection(COLLECTIONS.slots);
  }

  async acquire(key: string, holder: string, capacity: number, ttlMs: number): Promise<boolean> {
    return this.change(key, (holders, now) => applySlotAcquire(holders, holder, capacity, now + ttlMs, now));
  }

  async release(key: string, holder: string): Promise<void> {
    await this.change(key, (holders) => {
      if (!(holder in holders)) return undefined;
      const { [holder]: _released, ...rest } = holders;
      return rest;
    });
  }

  /**
   * Rewrites the key's holders with `decide`'s answer, if the document is unchanged since it was
   * read; decides again after a lost race. False when `decide` declines (returns undefined).
   */
  private async change(key: string, decide: (holders: SlotHolders, now: number) => SlotHolders | undefined): Promise<boolean> {
    const ref = this.collection.doc(documentIdFor(key));
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const snapshot = await ref.get();
      this.counts.reads += 1;
      const next = decide(snapshot.exists ? SlotDocumentSchema.parse(snapshot.data()).holders : {}, this.now());
      if (!next) return false;
      try {
        // A whole-map write: update() with a nested object replaces the map, so dropped holders go.
        if (snapshot.exists) await ref.update({ holders: next }, { lastUpdateTime: snapshot.updateTime as Timestamp });
        else await ref.create({ key, holders: next });
        this.counts.writes += 1;
        return true;
      } catch (error) {
        const code = errorCode(error);
        if (code !== FAILED_PRECONDITION && code !== ALREADY_EXISTS) throw error;
      }
    }
    throw new StoreError(`gave up changing the slots of ${key}: too many concurrent writers`);
  }

  async holders(key: string): Promise<string[]> {
    const snapshot = await this.collection.doc(documentIdFor(key)).get();
    this.counts.reads += 1;
    return snapshot.exists ? currentSlotHolders(SlotDocumentSchema.parse(snapshot.data()).holders, this.now()) : [];
  }
}
