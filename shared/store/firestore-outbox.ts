import {
  FieldValue,
  Timestamp,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type QuerySnapshot,
  type WriteBatch,
} from '@google-cloud/firestore';
import { z } from 'zod';
import { StoreError } from './errors';
import type { OperationCounts } from './firestore';
import { documentIdFor, outboxEntryDocumentId, outboxResourceDocumentId } from './firestore-ids';
import { OUTBOX_QUERIES, type QueryShape } from './firestore-queries';
import {
  OUTBOX_RETENTION_MS,
  type EnqueueOutcome,
  type InstallationPace,
  type OutboxEntry,
  type OutboxStats,
  type OutboxStore,
  type OutboxWriteRequest,
  type SendOutcome,
  type TakeRequest,
  type TakeResult,
  type WriterLease,
} from './outbox';
import {
  applyBlock,
  applyWriterClaim,
  applyWriterRelease,
  applyWriterRenewal,
  bySeq,
  checkLimit,
  checkRequests,
  emptyInstallation,
  enqueueReads,
  groupByInstallation,
  isBlocked,
  isOutboxEntryExpired,
  outboxExpireAt,
  paceOf,
  planEnqueue,
  planSettle,
  planTake,
  requireCurrentWriter,
  resourceOf,
  statsOf,
  sumOutcomes,
  wantsWriter,
  type OutboxInstallationRecord,
  type OutboxView,
} from './outbox-rules';
import { OutboxEntrySchema, OutboxInstallationRecordSchema } from './schemas';

/**
 * The outbox on Firestore, laid out so that event handlers enqueueing at once do not contend with
 * each other or with the writer on one document (Firestore sustains about one write a second per
 * document). Collections:
 * - `outbox/{hash of installation and key}`: one document per entry, its fields as OutboxEntry
 *   plus `lane` (see OUTBOX_QUERIES) and `expireAt` (the TTL field, set once the entry settles).
 *   The key is the document's identity, so storing a new entry is a create, which fails for a
 *   key already used (idempotency without reading a shared document).
 * - `outbox-resources/{hash of installation and resource}`: one small document per resource that
 *   writes have been enqueued to ("owner/repo#12 label:lgtm"), rewritten by every enqueue that
 *   stores a write to that resource, under the precondition that it is unchanged since it was
 *   read. Enqueues to one resource are thereby serialised, so coalescing sees exactly the pending
 *   entries the previous enqueue left; enqueues to different resources never meet. It expires
 *   (TTL) a retention period after its last write.
 * - `outbox-installations/{installation}`: the writer's record — lease, pace window, requests
 *   reserved, block. Written by the writer (claim, renew, take, settle, block, release) under an
 *   optimistic precondition, which fences a stale writer out; an enqueue only creates it, once, for
 *   the sweep to find the installation.
 * - `outbox-counters/{installation}~{shard}`: the ledger's running totals (writes saved by
 *   coalescing, writes refused for good), as sharded counters incremented blindly in the same
 *   commit as the change they count. The depth is counted from the entries instead.
 *
 * `take` marks entries `sending` with each entry's own update time as a precondition, so a write
 * an enqueue cancelled or changed meanwhile is never handed out, and an enqueue never changes a
 * write a writer took. `seq` comes from the enqueue's time (see nextSeq), not from a counter.
 *
 * Everything is optimistic rather than transactional because Firestore's transactions lock, and
 * under a burst's contention their backoff (a second and growing; seconds of queueing on the
 * emulator) would hold event handlers up, which the outbox exists to prevent.
 */
export const OUTBOX_COLLECTIONS = {
  entries: 'outbox',
  resources: 'outbox-resources',
  installations: 'outbox-installations',
  counters: 'outbox-counters',
} as const;

const MAX_BATCH_WRITES = 500;
/** Lost races are expected under a burst (one resource, or a take meeting an enqueue): retry patiently. */
const MAX_ATTEMPTS = 100;
/** Firestore's gRPC status codes that mean "someone else got there first" (or TTL removed what was read). */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
/** Counter shards per installation: increments spread over them, so none takes more than its share. */
const COUNTER_SHARDS = 8;
/** `seq` is the enqueue time in ms times this, plus a tiebreak: room for that many per ms and instance. */
const SEQ_PER_MS = 1000;

const UNSENT_STATES = ['pending', 'sending'];
const TAKE_LANES = ['p0', 'p1', 'p2'] as const;

type Lane = 'sending' | 'deferred' | (typeof TAKE_LANES)[number];

function laneOf(entry: OutboxEntry): Lane | null {
  if (entry.state === 'sending') return 'sending';
  if (entry.state !== 'pending') return null;
  return entry.notBefore === undefined ? `p${entry.priority}` : 'deferred';
}

function toEntryDocument(entry: OutboxEntry): Record<string, unknown> {
  const expireAt = outboxExpireAt(entry);
  return { ...entry, lane: laneOf(entry), expireAt: expireAt === undefined ? null : Timestamp.fromMillis(expireAt) };
}

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** Every optional field of an entry: an update must delete those the new version lacks. */
const OPTIONAL_ENTRY_FIELDS: Record<OptionalKeys<OutboxEntry>, true> = {
  changesState: true,
  refusalNotice: true,
  confirmation: true,
  notBefore: true,
  writerToken: true,
  placeholderId: true,
  commentId: true,
  settledAt: true,
  error: true,
  cancelledBy: true,
};

/** The entry as an update of its document: the whole entry, deleting the fields it no longer has. */
function toEntryUpdate(entry: OutboxEntry): Record<string, unknown> {
  const update = toEntryDocument(entry);
  for (const field of Object.keys(OPTIONAL_ENTRY_FIELDS)) {
    if (update[field] === undefined) update[field] = FieldValue.delete();
  }
  return update;
}

function fromEntryDocument(snapshot: DocumentSnapshot): OutboxEntry {
  // `lane` and `expireAt` are derived from the entry; the schema leaves them out.
  const parsed = OutboxEntrySchema.safeParse(snapshot.data());
  if (!parsed.success) throw new StoreError(`Firestore document ${snapshot.ref.path} is not an outbox entry: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * The installation document: the writer's record, with its absent fields stored as null (each
 * write is an update that must clear them), and a version that grows with every write. Documents
 * written before enqueues moved off it also carry counters, which are ignored.
 */
const InstallationDocumentSchema = OutboxInstallationRecordSchema.extend({
  version: z.number().int().nonnegative(),
  writer: OutboxInstallationRecordSchema.shape.writer.unwrap().nullable(),
  blockedUntil: z.number().nullable(),
  blockedReason: z.string().nullable(),
});

function toInstallationDocument(record: OutboxInstallationRecord, version: number): z.infer<typeof InstallationDocumentSchema> {
  return {
    version,
    installation: record.installation,
    sentAt: record.sentAt,
    reservedRequests: record.reservedRequests,
    writer: record.writer ?? null,
    blockedUntil: record.blockedUntil ?? null,
    blockedReason: record.blockedReason ?? null,
  };
}

function fromInstallationDocument(snapshot: DocumentSnapshot): OutboxInstallationRecord | undefined {
  if (!snapshot.exists) return undefined;
  const parsed = InstallationDocumentSchema.safeParse(snapshot.data());
  if (!parsed.success) {
    throw new StoreError(`Firestore document ${snapshot.ref.path} is not an outbox installation: ${parsed.error.message}`);
  }
  const { version: _version, writer, blockedUntil, blockedReason, ...rest } = parsed.data;
  const record: OutboxInstallationRecord = rest;
  if (writer) record.writer = writer;
  if (blockedUntil !== null) record.blockedUntil = blockedUntil;
  if (blockedReason !== null) record.blockedReason = blockedReason;
  return record;
}

const CounterDocumentSchema = z.object({
  installation: z.string(),
  saved: z.number().int().optional(),
  failed: z.number().int().optional(),
});

/** What one writer operation changes: the installation's record, entries, and what it answers. */
interface Decision<T> {
  result: T;
  installation?: OutboxInstallationRecord;
  /** With `readAt`, the entry is updated only if its document is unchanged since that time. */
  entries?: { entry: OutboxEntry; readAt?: Timestamp }[];
  /** Writes refused for good, for the ledger. */
  failed?: number;
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function isLostRace(error: unknown): boolean {
  const code = errorCode(error);
  return code === ALREADY_EXISTS || code === FAILED_PRECONDITION || code === NOT_FOUND;
}

/** A short random pause after a lost race, growing a little, so racing instances spread out. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * (attempt + 1))));
}

/** What an enqueue read of one installation before deciding. */
interface EnqueueRead {
  view: OutboxView;
  /** The update time of every entry document read, by key: an update of it carries that precondition. */
  readAt: Map<string, Timestamp>;
  /** The resource documents as read, by resource. */
  resources: Map<string, DocumentSnapshot>;
  /** The installation's document, unless this instance knows it exists. */
  installationDocument?: DocumentSnapshot;
  /**
   * False when a resource document changed after its entries were read: the reads do not fit
   * together, and are done again.
   */
  consistent: boolean;
}

export class FirestoreOutboxStore implements OutboxStore {
  private readonly entries: CollectionReference;
  private readonly resources: CollectionReference;
  private readonly installations: CollectionReference;
  private readonly counters: CollectionReference;
  /** The last `seq` this instance gave out (see nextSeq). */
  private lastSeq = 0;
  /** Installations whose document this instance has seen: an enqueue need not look for it again. */
  private readonly knownInstallations = new Set<string>();
  /** The last enqueue of this instance waiting on or holding each resource or key (see serialised). */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Firestore,
    private readonly counts: OperationCounts,
    private readonly now: () => number,
  ) {
    this.entries = db.collection(OUTBOX_COLLECTIONS.entries);
    this.resources = db.collection(OUTBOX_COLLECTIONS.resources);
    this.installations = db.collection(OUTBOX_COLLECTIONS.installations);
    this.counters = db.collection(OUTBOX_COLLECTIONS.counters);
  }

  async enqueue(requests: readonly OutboxWriteRequest[]): Promise<EnqueueOutcome> {
    const checked = checkRequests(requests);
    const keys = checked.flatMap((request) => [
      `${request.installation}\u0000${resourceOf(request.write, request.id)}`,
      `${request.installation}\u0000key\u0000${request.id}`,
    ]);
    return this.serialised(keys, async () => sumOutcomes(await this.commitEnqueue(checked)));
  }

  /**
   * Runs `work` after every earlier call of this instance that named one of `keys` has finished.
   * Enqueues to one resource from one instance would only lose races to each other in Firestore;
   * this also applies them in the order they were called. Calls register on all their keys at
   * once, so none waits for a call that waits for it.
   */
  private async serialised<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const earlier = unique.map((key) => this.tails.get(key));
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    for (const key of unique) this.tails.set(key, mine);
    try {
      await Promise.all(earlier);
      return await work();
    } finally {
      done();
      for (const key of unique) if (this.tails.get(key) === mine) this.tails.delete(key);
    }
  }

  /**
   * A `seq` above `after` (the unsent entries the new one meets) and above every one this
   * instance gave before, from the time: enqueue order on one resource and within one instance;
   * time order across instances.
   */
  private nextSeq(after: number, now: number): number {
    this.lastSeq = Math.max(now * SEQ_PER_MS, this.lastSeq + 1, after + 1);
    return this.lastSeq;
  }

  /** Enqueues `requests` in one commit; what each did, in the order given. */
  private async commitEnqueue(requests: readonly OutboxWriteRequest[]): Promise<EnqueueOutcome[]> {
    const groups = [...groupByInstallation(requests)];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.now();
      const reads = await Promise.all(groups.map(([installation, group]) => this.readForEnqueue(installation, group, now)));
      if (reads.some((read) => !read.consistent)) {
        await pause(attempt);
        continue;
      }
      const outcomes = new Map<OutboxWriteRequest, EnqueueOutcome>();
      const batch = this.db.batch();
      let writes = 0;
      const created: string[] = [];
      groups.forEach(([installation, group], index) => {
        const read = reads[index]!;
        const plan = planEnqueue(group, read.view, now, (after) => this.nextSeq(after, now));
        group.forEach((request, k) => outcomes.set(request, plan.byRequest[k] ?? { stored: 0, duplicates: 0, saved: 0 }));
        if (plan.writes.length === 0) return;
        for (const resource of plan.resources) {
          const snapshot = read.resources.get(resource);
          if (!snapshot) throw new StoreError(`outbox bug: resource ${resource} of installation ${installation} was not read before enqueueing to it`);
          const document = { installation, resource, changedAt: now, expireAt: Timestamp.fromMillis(now + OUTBOX_RETENTION_MS) };
          if (snapshot.exists) batch.update(snapshot.ref, document, { lastUpdateTime: snapshot.updateTime as Timestamp });
          else batch.create(snapshot.ref, document);
        }
        for (const entry of plan.writes) {
          const readAt = read.readAt.get(entry.id);
          const ref = this.entryRef(installation, entry.id);
          if (readAt) batch.update(ref, toEntryUpdate(entry), { lastUpdateTime: readAt });
          else batch.create(ref, toEntryDocument(entry));
        }
        writes += plan.resources.length + plan.writes.length;
        if (plan.outcome.saved > 0) writes += this.count(batch, installation, { saved: plan.outcome.saved });
        if (read.installationDocument && !read.installationDocument.exists) {
          batch.create(read.installationDocument.ref, toInstallationDocument(emptyInstallation(installation), 1));
          writes += 1;
          created.push(installation);
        }
      });
      const byRequest = requests.map((request) => outcomes.get(request) ?? { stored: 0, duplicates: 0, saved: 0 });
      if (writes === 0) return byRequest;
      if (writes > MAX_BATCH_WRITES) {
        throw new StoreError(`one outbox enqueue would write ${writes} documents, more than a Firestore batch takes (${MAX_BATCH_WRITES}): enqueue fewer writes at once`);
      }
      try {
        await batch.commit();
        this.counts.writes += writes;
        for (const installation of created) this.knownInstallations.add(installation);
        return byRequest;
      } catch (error) {
        if (!isLostRace(error)) throw error;
        await pause(attempt);
      }
    }
    throw new StoreError(`gave up enqueueing to the outbox of ${groups.map(([installation]) => installation).join(', ')}: too many concurrent enqueues to the same writes`);
  }

  /**
   * What planEnqueue may look at: the requests' keys, their resources' unsent entries, the comments
   * their edits name, all read at once. An enqueue to a resource commits its entries with the
   * resource's document, so the entries read show every change up to the resource document read
   * when the document was last written no later than the entries were read; and a change after
   * the document was read fails this enqueue's commit, which is conditional on it.
   */
  private async readForEnqueue(installation: string, requests: readonly OutboxWriteRequest[], now: number): Promise<EnqueueRead> {
    const reads = enqueueReads(requests);
    const knownInstallation = this.knownInstallations.has(installation);
    const resourceRefs = reads.resources.map((resource) => this.resources.doc(outboxResourceDocumentId(installation, resource)));
    const [resourceSnapshots, unsent, keys, placeholders, installationSnapshots] = await Promise.all([
      this.db.getAll(...resourceRefs),
      Promise.all(
        reads.resources.map((resource) => this.query(this.shaped(OUTBOX_QUERIES.unsentOfResource, { installation, resource, state: UNSENT_STATES }))),
      ),
      this.db.getAll(...reads.ids.map((id) => this.entryRef(installation, id))),
      Promise.all(
        reads.placeholderIds.map((placeholderId) => this.query(this.shaped(OUTBOX_QUERIES.byPlaceholder, { installation, placeholderId }).limit(1))),
      ),
      knownInstallation ? Promise.resolve([]) : this.db.getAll(this.installationRef(installation)),
    ]);
    this.counts.reads += resourceSnapshots.length + keys.length + installationSnapshots.length;
    const consistent = resourceSnapshots.every((snapshot, i) => {
      const entriesReadAt = unsent[i]?.readTime;
      return !snapshot.exists || !snapshot.updateTime || !entriesReadAt || snapshot.updateTime.valueOf() <= entriesReadAt.valueOf();
    });

    const readAt = new Map<string, Timestamp>();
    const note = (snapshot: DocumentSnapshot): OutboxEntry => {
      const entry = fromEntryDocument(snapshot);
      if (snapshot.updateTime) readAt.set(entry.id, snapshot.updateTime);
      return entry;
    };
    const byId = new Map<string, OutboxEntry>();
    for (const snapshot of keys) {
      if (!snapshot.exists) continue;
      const entry = note(snapshot);
      // An expired entry's key may be used again: its document is overwritten, conditionally.
      if (!isOutboxEntryExpired(entry, now)) byId.set(entry.id, entry);
    }
    const byPlaceholder = new Map<number, OutboxEntry>();
    for (const snapshot of placeholders.flatMap((result) => result.docs)) {
      const entry = note(snapshot);
      if (entry.placeholderId !== undefined && !isOutboxEntryExpired(entry, now)) byPlaceholder.set(entry.placeholderId, entry);
    }
    const unsentByResource = new Map(reads.resources.map((resource, i) => [resource, unsent[i]?.docs.map(note) ?? []]));
    const installationDocument = installationSnapshots[0];
    if (installationDocument?.exists) this.knownInstallations.add(installation);
    const read: EnqueueRead = {
      view: {
        entry: (id) => byId.get(id),
        unsent: (resource) => unsentByResource.get(resource) ?? [],
        createWithPlaceholder: (placeholderId) => byPlaceholder.get(placeholderId),
      },
      readAt,
      resources: new Map(reads.resources.map((resource, i) => [resource, resourceSnapshots[i]!])),
      consistent,
    };
    if (installationDocument) read.installationDocument = installationDocument;
    return read;
  }

  /** Adds `amounts` to one of the installation's counter shards, blindly; the number of writes. */
  private count(batch: WriteBatch, installation: string, amounts: { saved?: number; failed?: number }): number {
    const shard = Math.floor(Math.random() * COUNTER_SHARDS);
    const increments: Record<string, unknown> = { installation };
    for (const [field, amount] of Object.entries(amounts)) if (amount) increments[field] = FieldValue.increment(amount);
    batch.set(this.counters.doc(`${documentIdFor(installation)}~${shard}`), increments, { merge: true });
    return 1;
  }

  async unsent(installation: string, subject: string): Promise<OutboxEntry[]> {
    const snapshot = await this.query(this.shaped(OUTBOX_QUERIES.unsentOfSubject, { installation, subject, state: UNSENT_STATES }));
    return snapshot.docs.map(fromEntryDocument).sort(bySeq);
  }

  async get(installation: string, id: string): Promise<OutboxEntry | undefined> {
    const snapshot = await this.entryRef(installation, id).get();
    this.counts.reads += 1;
    if (!snapshot.exists) return undefined;
    const entry = fromEntryDocument(snapshot);
    return isOutboxEntryExpired(entry, this.now()) ? undefined : entry;
  }

  async commentIdFor(installation: string, placeholderId: number): Promise<number | undefined> {
    const snapshot = await this.query(this.shaped(OUTBOX_QUERIES.byPlaceholder, { installation, placeholderId }).limit(1));
    const found = snapshot.docs[0];
    const entry = found && fromEntryDocument(found);
    return entry && !isOutboxEntryExpired(entry, this.now()) ? entry.commentId : undefined;
  }

  async claimWriter(installation: string, holder: string, ttlMs: number): Promise<WriterLease | undefined> {
    return this.change(installation, async (record, now) => {
      const claim = applyWriterClaim(record ?? emptyInstallation(installation), holder, ttlMs, now);
      return claim ? { result: claim.lease, installation: claim.installation } : { result: undefined };
    });
  }

  async renewWriter(lease: WriterLease, ttlMs: number): Promise<WriterLease> {
    return this.change(lease.installation, async (record, now) => {
      const renewal = applyWriterRenewal(record, lease, ttlMs, now);
      return { result: renewal.lease, installation: renewal.installation };
    });
  }

  async releaseWriter(lease: WriterLease): Promise<void> {
    await this.change(lease.installation, async (record, now) => {
      const next = applyWriterRelease(record, lease, now);
      return next ? { result: undefined, installation: next } : { result: undefined };
    });
  }

  async take(lease: WriterLease, request: TakeRequest): Promise<TakeResult> {
    checkLimit(request.limit);
    const installation = lease.installation;
    const limit = request.limit;
    // Each lane's first `limit` entries hold its best `limit` (within a lane, take order is seq
    // order, aged entries being the oldest), and the first to ripen of the rest (young entries are
    // the newest); deferred ones come by `notBefore`, due ones first. One more says whether more is
    // takeable than the limit. Read beside the installation: each taken entry is written on
    // condition that it did not change since.
    const candidates = async (): Promise<Map<string, DocumentSnapshot>> => {
      const ranges = await Promise.all([
        this.query(this.shaped(OUTBOX_QUERIES.resumable, { installation, lane: 'sending' }).where('writerToken', '<', lease.token).limit(limit + 1)),
        ...TAKE_LANES.map((lane) => this.query(this.shaped(OUTBOX_QUERIES.lane, { installation, lane }).limit(limit + 1))),
        this.query(this.shaped(OUTBOX_QUERIES.deferred, { installation, lane: 'deferred' }).limit(limit + 1)),
      ]);
      return new Map(ranges.flatMap((range) => range.docs).map((snapshot) => [String(snapshot.get('id')), snapshot]));
    };
    return this.change(installation, (record, now, snapshots: Map<string, DocumentSnapshot>): Decision<TakeResult> => {
      requireCurrentWriter(record, lease, now);
      if (record && isBlocked(record, now)) {
        return { result: { entries: [], ...(record.blockedUntil === undefined ? {} : { nextAt: record.blockedUntil }) } };
      }
      const plan = planTake(record ?? emptyInstallation(installation), [...snapshots.values()].map(fromEntryDocument), lease, request, now);
      const result: TakeResult = { entries: plan.taken, ...(plan.nextAt === undefined ? {} : { nextAt: plan.nextAt }) };
      if (plan.taken.length === 0) return { result };
      return {
        result,
        installation: plan.installation,
        entries: plan.taken.map((entry) => ({ entry, readAt: snapshots.get(entry.id)!.updateTime })),
      };
    }, candidates);
  }

  async settle(lease: WriterLease, outcomes: readonly SendOutcome[], requestTimes: readonly number[]): Promise<void> {
    const installation = lease.installation;
    const ids = [...new Set(outcomes.map((outcome) => outcome.id))];
    const entries = async (): Promise<Map<string, OutboxEntry>> => {
      const snapshots = ids.length === 0 ? [] : await this.db.getAll(...ids.map((id) => this.entryRef(installation, id)));
      this.counts.reads += snapshots.length;
      return new Map(snapshots.filter((s) => s.exists).map((s) => [String(s.get('id')), fromEntryDocument(s)]));
    };
    await this.change(
      installation,
      (record, now, byId: Map<string, OutboxEntry>) => {
        requireCurrentWriter(record, lease, now);
        const plan = planSettle(record ?? emptyInstallation(installation), (id) => byId.get(id), outcomes, requestTimes, lease, now);
        // Nobody but this writer changes an entry it is sending, and the installation's precondition
        // fences a stale writer: the entries are written whole, unconditionally.
        return { result: undefined, installation: plan.installation, entries: plan.writes.map((entry) => ({ entry })), failed: plan.failed };
      },
      entries,
    );
  }

  async block(lease: WriterLease, until: number, reason: string): Promise<void> {
    await this.change(lease.installation, async (record, now) => ({
      result: undefined,
      installation: applyBlock(record, lease, until, reason, now),
    }));
  }

  async pace(installation: string): Promise<InstallationPace> {
    const snapshot = await this.installationRef(installation).get();
    this.counts.reads += 1;
    return paceOf(fromInstallationDocument(snapshot), installation, this.now());
  }

  async installationsNeedingWriter(): Promise<string[]> {
    const snapshot = await this.query(this.installations);
    const now = this.now();
    const candidates = snapshot.docs
      .map(fromInstallationDocument)
      .filter((record): record is OutboxInstallationRecord => record !== undefined && wantsWriter(record, true, now));
    const needing = await Promise.all(
      candidates.map(async ({ installation }) => {
        // Without a live lease, every `sending` entry was left by a stopped writer.
        const ready = await this.query(this.shaped(OUTBOX_QUERIES.anyInLanes, { installation, lane: ['sending', ...TAKE_LANES] }).limit(1));
        if (!ready.empty) return installation;
        const due = await this.query(this.shaped(OUTBOX_QUERIES.deferred, { installation, lane: 'deferred' }).where('notBefore', '<=', now).limit(1));
        return due.empty ? undefined : installation;
      }),
    );
    return needing.filter((name): name is string => name !== undefined).sort();
  }

  async stats(): Promise<OutboxStats[]> {
    const [installations, counters] = await Promise.all([this.query(this.installations), this.query(this.counters)]);
    const now = this.now();
    const totals = new Map<string, { saved: number; failed: number }>();
    for (const snapshot of counters.docs) {
      const parsed = CounterDocumentSchema.safeParse(snapshot.data());
      if (!parsed.success) throw new StoreError(`Firestore document ${snapshot.ref.path} is not an outbox counter: ${parsed.error.message}`);
      const total = totals.get(parsed.data.installation) ?? { saved: 0, failed: 0 };
      total.saved += parsed.data.saved ?? 0;
      total.failed += parsed.data.failed ?? 0;
      totals.set(parsed.data.installation, total);
    }
    const records = installations.docs.map(fromInstallationDocument).filter((record) => record !== undefined);
    const stats = await Promise.all(
      records.map(async (record) => {
        const { installation } = record;
        const unsent = this.shaped(OUTBOX_QUERIES.unsent, { installation, state: UNSENT_STATES });
        const counted = await unsent.count().get();
        this.counts.reads += 1;
        const depth = counted.data().count;
        const counts = { depth, ...(totals.get(installation) ?? { saved: 0, failed: 0 }) };
        if (depth === 0) return statsOf(record, counts, undefined, now);
        const oldest = await this.query(this.shaped(OUTBOX_QUERIES.oldest, { installation, state: UNSENT_STATES }).limit(1));
        const first = oldest.docs[0];
        return statsOf(record, counts, first ? fromEntryDocument(first).enqueuedAt : undefined, now);
      }),
    );
    return stats.sort((a, b) => (a.installation < b.installation ? -1 : a.installation > b.installation ? 1 : 0));
  }

  private entryRef(installation: string, id: string): DocumentReference {
    return this.entries.doc(outboxEntryDocumentId(installation, id));
  }

  private installationRef(installation: string): DocumentReference {
    return this.installations.doc(documentIdFor(installation));
  }

  private async query(query: Query): Promise<QuerySnapshot> {
    const snapshot = await query.get();
    this.counts.reads += Math.max(1, snapshot.size);
    return snapshot;
  }

  /** The query a shape describes: its equalities (`in` for a list of values), then its ordering. */
  private shaped(shape: QueryShape, values: Record<string, string | number | readonly string[]>): Query {
    let query: Query = this.entries;
    for (const field of shape.equalities) {
      const value = values[field];
      if (value === undefined) throw new StoreError(`outbox query needs a value for ${field}`);
      query = typeof value === 'object' ? query.where(field, 'in', [...value]) : query.where(field, '==', value);
    }
    for (const field of shape.orderBy) query = query.orderBy(field.fieldPath, field.order === 'DESCENDING' ? 'desc' : 'asc');
    return query;
  }

  /**
   * A writer's operation: reads the installation's document, asks `decide` (which may read
   * entries, and throws to refuse) what to write, and commits it with the document rewritten
   * under the precondition that it is unchanged since the read — so a writer whose lease was
   * superseded meanwhile is refused — and each entry read for it under its own; decides again
   * after a lost race.
   */
  private async change<T, R = undefined>(
    installation: string,
    decide: (record: OutboxInstallationRecord | undefined, now: number, read: R) => Promise<Decision<T>> | Decision<T>,
    /**
     * What else the decision needs, read beside the installation's document: entries, which carry
     * their own preconditions (or which only this writer changes).
     */
    read?: (now: number) => Promise<R>,
  ): Promise<T> {
    const ref = this.installationRef(installation);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.now();
      const [snapshot, extra] = await Promise.all([ref.get(), read ? read(now) : Promise.resolve(undefined as R)]);
      this.counts.reads += 1;
      const record = fromInstallationDocument(snapshot);
      const decision = await decide(record, now, extra);
      const entries = decision.entries ?? [];
      if (!decision.installation && entries.length === 0) return decision.result;
      const batch = this.db.batch();
      const document = toInstallationDocument(decision.installation ?? record ?? emptyInstallation(installation), snapshot.exists ? Number(snapshot.get('version')) + 1 : 1);
      if (snapshot.exists) batch.update(ref, document, { lastUpdateTime: snapshot.updateTime as Timestamp });
      else batch.create(ref, document);
      for (const { entry, readAt } of entries) {
        const entryRef = this.entryRef(entry.installation, entry.id);
        if (readAt) batch.update(entryRef, toEntryUpdate(entry), { lastUpdateTime: readAt });
        else batch.set(entryRef, toEntryDocument(entry));
      }
      let writes = 1 + entries.length;
      if (decision.failed) writes += this.count(batch, installation, { failed: decision.failed });
      if (writes > MAX_BATCH_WRITES) {
        throw new StoreError(`one outbox change would write ${writes} documents, more than a Firestore batch takes (${MAX_BATCH_WRITES}): settle fewer writes at once`);
      }
      try {
        await batch.commit();
        this.counts.writes += writes;
        this.knownInstallations.add(installation);
        return decision.result;
      } catch (error) {
        if (!isLostRace(error)) throw error;
        await pause(attempt);
      }
    }
    throw new StoreError(`gave up changing the outbox of installation ${installation}: too many concurrent writers`);
  }
}

