import {
  Timestamp,
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type QuerySnapshot,
} from '@google-cloud/firestore';
import { z } from 'zod';
import { StoreError } from './errors';
import type { OperationCounts } from './firestore';
import { documentIdFor, outboxEntryDocumentId } from './firestore-ids';
import { OUTBOX_QUERIES, type QueryShape } from './firestore-queries';
import type {
  EnqueueOutcome,
  InstallationPace,
  OutboxEntry,
  OutboxStats,
  OutboxStore,
  OutboxWriteRequest,
  SendOutcome,
  WriterLease,
} from './outbox';
import {
  applyBlock,
  applyWriterClaim,
  applyWriterRelease,
  applyWriterRenewal,
  checkLimit,
  checkRequests,
  emptyInstallation,
  enqueueReads,
  isBlocked,
  isOutboxEntryExpired,
  outboxExpireAt,
  paceOf,
  planEnqueue,
  planSettle,
  planTake,
  requireCurrentWriter,
  statsOf,
  sumOutcomes,
  wantsWriter,
  type OutboxInstallationRecord,
  type OutboxView,
} from './outbox-rules';
import { OutboxEntrySchema, OutboxInstallationRecordSchema } from './schemas';

/**
 * The outbox on Firestore. Collections:
 * - `outbox/{hash of installation and key}`: one document per entry, its fields as OutboxEntry
 *   plus `lane` (see OUTBOX_QUERIES) and `expireAt` (the TTL field, set once the entry settles).
 * - `outbox-installations/{installation}`: the seq counter, the writer lease, the pace window,
 *   the block, and the ledger's counters (depth, saved, failed).
 *
 * The installation document is the version of its whole outbox: every change to an entry is
 * written in one batch with a change to it (`version` grows), under the precondition that it is
 * unchanged since it was read first. So an operation reads the installation document, then the
 * entries it needs, decides with the rules, and commits only if nobody changed anything of that
 * installation meanwhile — else it reads and decides again. That serialises the enqueues of an
 * installation with each other and with its writer, as a transaction would: coalescing sees exactly
 * the unsent entries a concurrent enqueue or take left, and a writer whose lease was superseded
 * meanwhile is refused (fencing). It is optimistic rather than a transaction because Firestore's
 * transactions lock, and under a burst's contention their backoff (a second and growing; seconds
 * of queueing on the emulator) would hold event handlers up, which the outbox exists to prevent.
 */
export const OUTBOX_COLLECTIONS = {
  entries: 'outbox',
  installations: 'outbox-installations',
} as const;

/**
 * At most this many requests go in one group commit: a request writes itself and the few pending
 * entries it coalesces with (rarely more than three documents), and a Firestore batch takes 500.
 */
const GROUP_COMMIT_REQUESTS = 50;
const MAX_BATCH_WRITES = 500;
/** Contention on one installation's document is the normal case under a burst: retry patiently. */
const MAX_ATTEMPTS = 100;
/** Firestore's gRPC status codes that mean "someone else got there first". */
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

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

function fromEntryDocument(snapshot: DocumentSnapshot): OutboxEntry {
  // `lane` and `expireAt` are derived from the entry; the schema leaves them out.
  const parsed = OutboxEntrySchema.safeParse(snapshot.data());
  if (!parsed.success) throw new StoreError(`Firestore document ${snapshot.ref.path} is not an outbox entry: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * The installation document: the record, with its absent fields stored as null (each write is an
 * update that must clear them), and a version.
 */
const InstallationDocumentSchema = OutboxInstallationRecordSchema.extend({
  /** Grows with every change to the installation's outbox, so that every change rewrites this document. */
  version: z.number().int().nonnegative(),
  writer: OutboxInstallationRecordSchema.shape.writer.unwrap().nullable(),
  blockedUntil: z.number().nullable(),
  blockedReason: z.string().nullable(),
});

function toInstallationDocument(record: OutboxInstallationRecord, version: number): z.infer<typeof InstallationDocumentSchema> {
  return {
    version,
    installation: record.installation,
    seq: record.seq,
    depth: record.depth,
    saved: record.saved,
    failed: record.failed,
    sentAt: record.sentAt,
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

/** What one read-decide-write changes: whole installation records and entries, and what it answers. */
interface Decision<T> {
  result: T;
  installations?: OutboxInstallationRecord[];
  entries?: OutboxEntry[];
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** A short random pause after a lost race, growing a little, so racing instances spread out. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * (attempt + 1))));
}

interface WaitingEnqueue {
  requests: OutboxWriteRequest[];
  resolve: (outcome: EnqueueOutcome) => void;
  reject: (error: Error) => void;
}

export class FirestoreOutboxStore implements OutboxStore {
  private readonly entries: CollectionReference;
  private readonly installations: CollectionReference;
  /** Enqueues per installation waiting for this instance's commit in flight (see `drain`). */
  private readonly waiting = new Map<string, WaitingEnqueue[]>();

  constructor(
    private readonly db: Firestore,
    private readonly counts: OperationCounts,
    private readonly now: () => number,
  ) {
    this.entries = db.collection(OUTBOX_COLLECTIONS.entries);
    this.installations = db.collection(OUTBOX_COLLECTIONS.installations);
  }

  async enqueue(requests: readonly OutboxWriteRequest[]): Promise<EnqueueOutcome> {
    const checked = checkRequests(requests);
    const installations = new Set(checked.map((request) => request.installation));
    const [installation] = installations;
    if (installation === undefined || installations.size > 1) return sumOutcomes(await this.commitEnqueue(checked));
    return new Promise((resolve, reject) => {
      const caller = { requests: checked, resolve, reject };
      const queue = this.waiting.get(installation);
      if (queue) {
        queue.push(caller);
        return;
      }
      this.waiting.set(installation, [caller]);
      void this.drain(installation);
    });
  }

  /**
   * Group commit: while one enqueue of an installation is being committed, later ones from this
   * instance wait and then go together in one commit, rather than racing for the installation's
   * document and losing to each other (a function instance serves several events at once).
   */
  private async drain(installation: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(installation) ?? [];
      if (queue.length === 0) {
        this.waiting.delete(installation);
        return;
      }
      let size = 0;
      const batch = [];
      while (queue[0] && (batch.length === 0 || size + queue[0].requests.length <= GROUP_COMMIT_REQUESTS)) {
        const caller = queue.shift() as WaitingEnqueue;
        size += caller.requests.length;
        batch.push(caller);
      }
      try {
        const outcomes = await this.commitEnqueue(batch.flatMap((caller) => caller.requests));
        let at = 0;
        for (const caller of batch) {
          caller.resolve(sumOutcomes(outcomes.slice(at, at + caller.requests.length)));
          at += caller.requests.length;
        }
      } catch (error) {
        for (const caller of batch) caller.reject(error as Error);
      }
    }
  }

  /** Enqueues `requests` in one commit; what each did, in the order given. */
  private async commitEnqueue(requests: readonly OutboxWriteRequest[]): Promise<EnqueueOutcome[]> {
    const indexesOf = new Map<string, number[]>();
    requests.forEach((request, index) => {
      const indexes = indexesOf.get(request.installation);
      if (indexes) indexes.push(index);
      else indexesOf.set(request.installation, [index]);
    });
    return this.change([...indexesOf.keys()], async (records, now) => {
      const byRequest: EnqueueOutcome[] = [];
      const decision: Required<Decision<EnqueueOutcome[]>> = { result: byRequest, installations: [], entries: [] };
      for (const [installation, indexes] of indexesOf) {
        const group = indexes.map((index) => requests[index] as OutboxWriteRequest);
        const view = await this.readForEnqueue(installation, group, now);
        const plan = planEnqueue(records.get(installation) ?? emptyInstallation(installation), group, view, now);
        indexes.forEach((index, k) => (byRequest[index] = plan.byRequest[k] ?? { stored: 0, duplicates: 0, saved: 0 }));
        if (plan.writes.length === 0) continue;
        decision.installations.push(plan.installation);
        decision.entries.push(...plan.writes);
      }
      return decision;
    });
  }

  /** What planEnqueue may look at: the requests' keys, their resources' unsent entries, placeholders. */
  private async readForEnqueue(installation: string, requests: readonly OutboxWriteRequest[], now: number): Promise<OutboxView> {
    const reads = enqueueReads(requests);
    const [keys, resources, placeholders] = await Promise.all([
      this.db.getAll(...reads.ids.map((id) => this.entryRef(installation, id))),
      Promise.all(
        reads.resources.map((resource) => this.query(this.shaped(OUTBOX_QUERIES.unsentOfResource, { installation, resource, state: UNSENT_STATES }))),
      ),
      Promise.all(
        reads.placeholderIds.map((placeholderId) => this.query(this.shaped(OUTBOX_QUERIES.byPlaceholder, { installation, placeholderId }).limit(1))),
      ),
    ]);
    this.counts.reads += keys.length;
    const byId = new Map<string, OutboxEntry>();
    for (const snapshot of keys) {
      if (!snapshot.exists) continue;
      const entry = fromEntryDocument(snapshot);
      if (!isOutboxEntryExpired(entry, now)) byId.set(entry.id, entry);
    }
    const unsentByResource = new Map(reads.resources.map((resource, i) => [resource, resources[i]?.docs.map(fromEntryDocument) ?? []]));
    const byPlaceholder = new Map<number, OutboxEntry>();
    for (const snapshot of placeholders.flatMap((result) => result.docs)) {
      const entry = fromEntryDocument(snapshot);
      if (entry.placeholderId !== undefined && !isOutboxEntryExpired(entry, now)) byPlaceholder.set(entry.placeholderId, entry);
    }
    return {
      entry: (id) => byId.get(id),
      unsent: (resource) => unsentByResource.get(resource) ?? [],
      createWithPlaceholder: (placeholderId) => byPlaceholder.get(placeholderId),
    };
  }

  async unsent(installation: string, subject: string): Promise<OutboxEntry[]> {
    const snapshot = await this.query(this.shaped(OUTBOX_QUERIES.unsentOfSubject, { installation, subject, state: UNSENT_STATES }));
    return snapshot.docs.map(fromEntryDocument).sort((a, b) => a.seq - b.seq);
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
    return this.change([installation], async (records, now) => {
      const claim = applyWriterClaim(records.get(installation) ?? emptyInstallation(installation), holder, ttlMs, now);
      return claim ? { result: claim.lease, installations: [claim.installation] } : { result: undefined };
    });
  }

  async renewWriter(lease: WriterLease, ttlMs: number): Promise<WriterLease> {
    return this.change([lease.installation], async (records, now) => {
      const renewal = applyWriterRenewal(records.get(lease.installation), lease, ttlMs, now);
      return { result: renewal.lease, installations: [renewal.installation] };
    });
  }

  async releaseWriter(lease: WriterLease): Promise<void> {
    await this.change([lease.installation], async (records, now) => {
      const next = applyWriterRelease(records.get(lease.installation), lease, now);
      return { result: undefined, installations: next ? [next] : [] };
    });
  }

  async take(lease: WriterLease, limit: number): Promise<OutboxEntry[]> {
    checkLimit(limit);
    const installation = lease.installation;
    return this.change([installation], async (records, now) => {
      const record = records.get(installation);
      requireCurrentWriter(record, lease, now);
      if (isBlocked(record, now)) return { result: [] };
      // Each lane's first `limit` entries hold its best `limit` (within a lane, take order is seq
      // order, aged entries being the oldest), so together they hold the best `limit` overall.
      const ranges = await Promise.all([
        this.query(this.shaped(OUTBOX_QUERIES.resumable, { installation, lane: 'sending' }).where('writerToken', '<', lease.token).limit(limit)),
        ...TAKE_LANES.map((lane) => this.query(this.shaped(OUTBOX_QUERIES.lane, { installation, lane }).limit(limit))),
        this.query(this.shaped(OUTBOX_QUERIES.deferred, { installation, lane: 'deferred' }).where('notBefore', '<=', now).limit(limit)),
      ]);
      const taken = planTake(
        ranges.flatMap((range) => range.docs.map(fromEntryDocument)),
        lease,
        limit,
        now,
      );
      return { result: taken, entries: taken };
    });
  }

  async settle(lease: WriterLease, outcomes: readonly SendOutcome[], requestTimes: readonly number[]): Promise<void> {
    const installation = lease.installation;
    await this.change([installation], async (records, now) => {
      const record = records.get(installation);
      requireCurrentWriter(record, lease, now);
      const ids = [...new Set(outcomes.map((outcome) => outcome.id))];
      const snapshots = ids.length === 0 ? [] : await this.db.getAll(...ids.map((id) => this.entryRef(installation, id)));
      this.counts.reads += snapshots.length;
      const byId = new Map(snapshots.filter((s) => s.exists).map((s) => [String(s.get('id')), fromEntryDocument(s)]));
      const plan = planSettle(record ?? emptyInstallation(installation), (id) => byId.get(id), outcomes, requestTimes, lease, now);
      return { result: undefined, installations: [plan.installation], entries: plan.writes };
    });
  }

  async block(lease: WriterLease, until: number, reason: string): Promise<void> {
    await this.change([lease.installation], async (records, now) => ({
      result: undefined,
      installations: [applyBlock(records.get(lease.installation), lease, until, reason, now)],
    }));
  }

  async pace(installation: string): Promise<InstallationPace> {
    const snapshot = await this.installationRef(installation).get();
    this.counts.reads += 1;
    return paceOf(fromInstallationDocument(snapshot), installation, this.now());
  }

  async installationsNeedingWriter(): Promise<string[]> {
    const snapshot = await this.query(this.installations.where('depth', '>', 0));
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
    const snapshot = await this.query(this.installations);
    const now = this.now();
    const records = snapshot.docs.map(fromInstallationDocument).filter((record) => record !== undefined);
    const stats = await Promise.all(
      records.map(async (record) => {
        if (record.depth === 0) return statsOf(record, undefined, now);
        const { installation } = record;
        const oldest = await this.query(this.shaped(OUTBOX_QUERIES.oldest, { installation, state: UNSENT_STATES }).limit(1));
        const first = oldest.docs[0];
        return statsOf(record, first ? fromEntryDocument(first).enqueuedAt : undefined, now);
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
   * Reads the installations' documents, asks `decide` (which may read entries, and throws to
   * refuse) what to write, and commits it with every installation whose entries change rewritten
   * under the precondition that none changed since the read; decides again after a lost race.
   */
  private async change<T>(
    names: readonly string[],
    decide: (records: Map<string, OutboxInstallationRecord | undefined>, now: number) => Promise<Decision<T>>,
  ): Promise<T> {
    if (names.length === 0) return (await decide(new Map(), this.now())).result;
    const refs = names.map((name) => this.installationRef(name));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const snapshots = await this.db.getAll(...refs);
      this.counts.reads += snapshots.length;
      const read = new Map(names.map((name, i) => [name, snapshots[i]]));
      const records = new Map(names.map((name, i) => [name, snapshots[i] && fromInstallationDocument(snapshots[i])]));
      const decision = await decide(records, this.now());

      const changed = new Map((decision.installations ?? []).map((record) => [record.installation, record]));
      const entries = decision.entries ?? [];
      for (const entry of entries) {
        if (!changed.has(entry.installation)) changed.set(entry.installation, records.get(entry.installation) ?? emptyInstallation(entry.installation));
      }
      if (changed.size === 0) return decision.result;
      if (changed.size + entries.length > MAX_BATCH_WRITES) {
        throw new StoreError(
          `one outbox change would write ${changed.size + entries.length} documents, more than a Firestore batch takes (${MAX_BATCH_WRITES}): enqueue fewer writes at once`,
        );
      }
      const batch = this.db.batch();
      for (const [name, record] of changed) {
        const snapshot = read.get(name);
        if (!snapshot) throw new StoreError(`the outbox of installation ${name} changed without being read first`);
        const version = snapshot.exists ? Number(snapshot.get('version')) + 1 : 1;
        const document = toInstallationDocument(record, version);
        if (snapshot.exists) batch.update(snapshot.ref, document, { lastUpdateTime: snapshot.updateTime as Timestamp });
        else batch.create(snapshot.ref, document);
      }
      for (const entry of entries) batch.set(this.entryRef(entry.installation, entry.id), toEntryDocument(entry));
      try {
        await batch.commit();
        this.counts.writes += changed.size + entries.length;
        return decision.result;
      } catch (error) {
        const code = errorCode(error);
        if (code !== ALREADY_EXISTS && code !== FAILED_PRECONDITION) throw error;
        await pause(attempt);
      }
    }
    throw new StoreError(`gave up changing the outbox of installation ${names.join(', ')}: too many concurrent writers`);
  }
}
