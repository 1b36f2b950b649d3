import { FieldPath, type CollectionReference, type DocumentSnapshot, type Firestore, type Query } from '@google-cloud/firestore';
import { z } from 'zod';
import { StoreError } from './errors';
import { documentIdFor } from './firestore-ids';
import { TIDE_HISTORY_QUERY_FIELDS, tideHistoryQueryShape } from './firestore-queries';
import {
  HistoryActionNameSchema,
  HistoryRecordSchema,
  PoolRecordSchema,
  checkHistoryId,
  checkHistoryQuery,
  decodeHistoryCursor,
  encodeHistoryCursor,
  historyPageSize,
  isSatisfiable,
  pruneLimit,
  type HistoryPage,
  type HistoryPageRequest,
  type HistoryQuery,
  type HistoryRecord,
  type PoolRecord,
  type PruneOptions,
  type TideStore,
} from './tide';

/**
 * The merge pool's records on Firestore: `tide-pools/{pool id}` (hashed: pool ids hold "/") and
 * `tide-history/{record id}`. Each document keeps the record as JSON text beside the few fields
 * queries use: the verdicts, runs and reasons are read whole and never queried, and as text they
 * cost no index entries (infra/firestore/firestore.indexes.json exempts `record`).
 */
export const TIDE_COLLECTIONS = { pools: 'tide-pools', history: 'tide-history' } as const;

/** Firestore's limit on writes in one batch. */
const MAX_BATCH_WRITES = 500;
const ALREADY_EXISTS = 6;

const PoolDocumentSchema = z.object({
  id: z.string(),
  org: z.string(),
  repo: z.string(),
  branch: z.string(),
  syncedAt: z.number(),
  record: z.string(),
});
type PoolDocument = z.infer<typeof PoolDocumentSchema>;

const HistoryDocumentSchema = z.object({
  id: z.string(),
  poolId: z.string(),
  /** "org/repo". */
  repo: z.string(),
  at: z.number(),
  action: HistoryActionNameSchema,
  /** Each pull request the record names, once: for `array-contains`. */
  pullNumbers: z.array(z.number()),
  record: z.string(),
});
type HistoryDocument = z.infer<typeof HistoryDocumentSchema>;

function toHistoryDocument(record: HistoryRecord): HistoryDocument {
  return {
    id: record.id,
    poolId: record.poolId,
    repo: `${record.key.org}/${record.key.repo}`,
    at: record.at,
    action: record.action,
    pullNumbers: [...new Set(record.pulls.map((pull) => pull.number))],
    record: JSON.stringify(record),
  };
}

function parsed<T>(snapshot: DocumentSnapshot, documentSchema: z.ZodType<{ record: string }>, recordSchema: z.ZodType<T>, what: string): T {
  const document = documentSchema.safeParse(snapshot.data());
  if (document.success) {
    try {
      const record = recordSchema.safeParse(JSON.parse(document.data.record));
      if (record.success) return record.data;
      throw new StoreError(record.error.message);
    } catch (error) {
      throw new StoreError(`Firestore document ${snapshot.ref.path} is not a ${what}: ${(error as Error).message}`);
    }
  }
  throw new StoreError(`Firestore document ${snapshot.ref.path} is not a ${what}: ${document.error.message}`);
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Document reads, writes and deletes, as FirestoreStore counts them. */
interface OperationCounts {
  reads: number;
  writes: number;
  deletes: number;
}

export class FirestoreTideStore implements TideStore {
  private readonly pools: CollectionReference;
  private readonly history: CollectionReference;

  constructor(
    private readonly db: Firestore,
    private readonly counts: OperationCounts,
  ) {
    this.pools = db.collection(TIDE_COLLECTIONS.pools);
    this.history = db.collection(TIDE_COLLECTIONS.history);
  }

  async putPool(record: PoolRecord): Promise<void> {
    const value = PoolRecordSchema.parse(record);
    const document: PoolDocument = { id: value.id, ...value.key, syncedAt: value.syncedAt, record: JSON.stringify(value) };
    // set() without merge: the document is replaced whole, as a sync's view of the pool is.
    await this.pools.doc(documentIdFor(value.id)).set(document);
    this.counts.writes += 1;
  }

  async getPool(id: string): Promise<PoolRecord | undefined> {
    const snapshot = await this.pools.doc(documentIdFor(id)).get();
    this.counts.reads += 1;
    return snapshot.exists ? parsed(snapshot, PoolDocumentSchema, PoolRecordSchema, 'tide pool record') : undefined;
  }

  async listPools(): Promise<PoolRecord[]> {
    const snapshot = await this.pools.get();
    this.counts.reads += Math.max(1, snapshot.size);
    const records = snapshot.docs.map((document) => parsed(document, PoolDocumentSchema, PoolRecordSchema, 'tide pool record'));
    return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async deletePool(id: string): Promise<void> {
    await this.pools.doc(documentIdFor(id)).delete();
    this.counts.deletes += 1;
  }

  async appendHistory(records: readonly HistoryRecord[]): Promise<void> {
    const fresh = new Map<string, HistoryRecord>();
    for (const record of records) {
      checkHistoryId(record.id);
      if (!fresh.has(record.id)) fresh.set(record.id, HistoryRecordSchema.parse(record));
    }
    const all = [...fresh.values()];
    for (let start = 0; start < all.length; start += MAX_BATCH_WRITES) {
      await this.createAll(all.slice(start, start + MAX_BATCH_WRITES));
    }
  }

  /**
   * Creates the records' documents. The usual case — none stored yet — is one batch; when the
   * batch fails because some exist (a retried sync), each is created on its own and the ones
   * already there are left as they were.
   */
  private async createAll(records: HistoryRecord[]): Promise<void> {
    const batch = this.db.batch();
    for (const record of records) batch.create(this.history.doc(record.id), toHistoryDocument(record));
    try {
      await batch.commit();
      this.counts.writes += records.length;
      return;
    } catch (error) {
      if (errorCode(error) !== ALREADY_EXISTS) throw error;
    }
    await Promise.all(
      records.map(async (record) => {
        try {
          await this.history.doc(record.id).create(toHistoryDocument(record));
          this.counts.writes += 1;
        } catch (error) {
          if (errorCode(error) !== ALREADY_EXISTS) throw error;
        }
      }),
    );
  }

  async listHistory(query: HistoryQuery, page: HistoryPageRequest = {}): Promise<HistoryPage> {
    checkHistoryQuery(query);
    const limit = historyPageSize(page);
    const after = page.cursor === undefined ? undefined : decodeHistoryCursor(page.cursor);
    if (!isSatisfiable(query)) return { records: [] };
    let filtered: Query = this.history;
    const shape = tideHistoryQueryShape(query);
    for (const field of shape.equalities) {
      if (field === TIDE_HISTORY_QUERY_FIELDS.prNumber) filtered = filtered.where(field, 'array-contains', query.prNumber);
      else if (field === TIDE_HISTORY_QUERY_FIELDS.poolId) filtered = filtered.where(field, '==', query.poolId);
      else filtered = filtered.where(field, '==', query.repo);
    }
    // Ties in `at` are broken by document ID, the record's id, in the same direction.
    let ordered = filtered.orderBy('at', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) ordered = ordered.startAfter(after.at, after.id);
    const snapshot = await ordered.limit(limit + 1).get();
    this.counts.reads += Math.max(1, snapshot.size);
    const records = snapshot.docs
      .slice(0, limit)
      .map((document) => parsed(document, HistoryDocumentSchema, HistoryRecordSchema, 'tide history record'));
    const last = records.at(-1);
    return snapshot.size > limit && last ? { records, nextCursor: encodeHistoryCursor(last) } : { records };
  }

  async pruneHistory(olderThan: number, options: PruneOptions = {}): Promise<number> {
    const limit = pruneLimit(options);
    let removed = 0;
    while (removed < limit) {
      const wanted = Math.min(MAX_BATCH_WRITES, limit - removed);
      // Only the references: a prune reads no record.
      const snapshot = await this.history.where('at', '<', olderThan).orderBy('at').select().limit(wanted).get();
      this.counts.reads += Math.max(1, snapshot.size);
      if (snapshot.empty) break;
      const batch = this.db.batch();
      for (const document of snapshot.docs) batch.delete(document.ref);
      await batch.commit();
      this.counts.deletes += snapshot.size;
      removed += snapshot.size;
      if (snapshot.size < wanted) break;
    }
    return removed;
  }
}
