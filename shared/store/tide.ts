import { z } from 'zod';
import { InvalidQueryError, StoreError } from './errors';
import { documentIdFor } from './firestore-ids';
import { pageSize } from './rules';

/**
 * What the merge pool (Prow's tide, shared/tide/) keeps for the status pages: the latest sync's
 * record of each pool, replaced whole at every sync, and the history of what the pool did (every
 * merge, trigger, block and cancel, with why), kept for a retention period rather than Prow's last
 * 1,000 records per pool in memory.
 *
 * The records are shared/tide/model.ts's `PoolRecord` and `HistoryRecord`. The store sits below
 * the merge pool (shared/tide imports the store's interfaces), so it cannot import the model; the
 * schemas below describe the same shapes, and test/shared/store/tide-records.test.ts fails the
 * type check when the two drift apart. They are also how both implementations parse what they
 * read back: stored data is input too.
 */

const PoolKeySchema = z.object({ org: z.string(), repo: z.string(), branch: z.string() });
const RunStateSchema = z.enum(['triggered', 'pending', 'success', 'failure', 'aborted', 'error']);
const RunPullSchema = z.object({ number: z.number().int(), sha: z.string() });

const RunRequestSchema = z.object({
  type: z.enum(['presubmit', 'batch']),
  baseSha: z.string(),
  pulls: z.array(RunPullSchema),
  jobs: z.array(z.string()),
});

const PoolActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('wait'), reason: z.string() }),
  z.object({ kind: z.literal('blocked'), reason: z.string(), blockers: z.array(z.number().int()) }),
  z.object({ kind: z.literal('merge'), pulls: z.array(RunPullSchema), batch: z.boolean(), reason: z.string() }),
  z.object({ kind: z.literal('trigger'), runs: z.array(RunRequestSchema), reason: z.string() }),
  z.object({ kind: z.literal('cancel'), runIds: z.array(z.string()), reason: z.string() }),
]);

const PullSummarySchema = z.object({
  number: z.number().int(),
  title: z.string(),
  author: z.string(),
  headSha: z.string(),
  url: z.string(),
  labels: z.array(z.string()),
  mergeable: z.enum(['mergeable', 'conflicting', 'unknown']).optional(),
});

const JobVerdictSchema = z.object({
  job: z.string(),
  context: z.string(),
  state: z.union([RunStateSchema, z.literal('missing')]),
  runId: z.string().optional(),
  url: z.string().optional(),
});

const PullVerdictSchema = z.object({
  number: z.number().int(),
  state: z.enum(['merging', 'success', 'pending', 'missing', 'failure', 'excluded']),
  summary: z.string(),
  reasons: z.array(z.string()),
  jobs: z.array(JobVerdictSchema),
  rank: z.number().int().optional(),
  statusState: z.enum(['success', 'pending', 'error']).optional(),
});

const PoolRunSchema = z.object({
  id: z.string(),
  job: z.string(),
  context: z.string(),
  type: z.enum(['presubmit', 'batch']),
  baseSha: z.string(),
  pulls: z.array(RunPullSchema),
  state: RunStateSchema,
  createdAt: z.number(),
  completedAt: z.number().optional(),
  url: z.string().optional(),
  createdByTide: z.boolean().optional(),
});

const BlockingIssueSchema = z.object({ number: z.number().int(), title: z.string(), url: z.string() });

export const PoolRecordSchema = z.object({
  id: z.string().min(1),
  key: PoolKeySchema,
  baseSha: z.string(),
  policy: z.enum(['tide', 'queue']),
  actions: z.array(PoolActionSchema),
  pulls: z.array(PullSummarySchema),
  verdicts: z.array(PullVerdictSchema),
  runsInFlight: z.array(PoolRunSchema),
  blockers: z.array(BlockingIssueSchema),
  mergedOnto: z
    .array(z.object({ fromSha: z.string(), toSha: z.string(), pulls: z.array(z.number().int()), at: z.number() }))
    .optional(),
  mergeRefusals: z.array(z.object({ number: z.number().int(), sha: z.string(), error: z.string(), at: z.number() })).optional(),
  error: z.string().optional(),
  syncedAt: z.number(),
});
/** shared/tide/model.ts's PoolRecord, as the store keeps it. */
export type PoolRecord = z.infer<typeof PoolRecordSchema>;

export const HistoryActionNameSchema = z.enum(['MERGE', 'MERGE_BATCH', 'TRIGGER', 'TRIGGER_BATCH', 'BLOCKED', 'CANCEL']);

export const HistoryRecordSchema = z.object({
  id: z.string().min(1),
  poolId: z.string(),
  key: PoolKeySchema,
  at: z.number(),
  action: HistoryActionNameSchema,
  baseSha: z.string(),
  pulls: z.array(
    z.object({ number: z.number().int(), sha: z.string(), title: z.string().optional(), author: z.string().optional() }),
  ),
  reason: z.string(),
  error: z.string().optional(),
});
/** shared/tide/model.ts's HistoryRecord, as the store keeps it. */
export type HistoryRecord = z.infer<typeof HistoryRecordSchema>;

/** Filters for `listHistory`, all optional, combined with AND. */
export interface HistoryQuery {
  /** One pool: "org/repo:branch" (shared/tide/model.ts `poolId`). */
  poolId?: string;
  /** One repository, any branch: "org/repo". */
  repo?: string;
  /** Records naming this pull request (with `repo` or `poolId`, one PR). */
  prNumber?: number;
}

export interface HistoryPageRequest {
  /** 1–1000; default 100. */
  limit?: number;
  /** From the previous page's `nextCursor`: the page starts just after it, going back in time. */
  cursor?: string;
}

export interface HistoryPage {
  /** Newest first. */
  records: HistoryRecord[];
  /** Present when more records match. */
  nextCursor?: string;
}

/**
 * How long history is kept by default: long enough to answer "why did my PR take three days?",
 * short enough that the collection stays small. The scheduler's cleanup calls `pruneHistory`.
 */
export const TIDE_HISTORY_RETENTION_MS = 30 * 24 * 3600_000;

export interface TideStore {
  /** Stores the latest sync's record of a pool, replacing the previous one whole. */
  putPool(record: PoolRecord): Promise<void>;
  getPool(id: string): Promise<PoolRecord | undefined>;
  /** Every pool, ordered by id. */
  listPools(): Promise<PoolRecord[]>;
  /** Forgets a pool that no longer has pull requests; a no-op when absent. */
  deletePool(id: string): Promise<void>;

  /**
   * Records what pools did. Idempotent by `id`: a record whose id is already stored is left as it
   * was, so a sync retried after a crash cannot double a record. Throws StoreError for an id that
   * cannot name a document as it is (see `checkHistoryId`).
   */
  appendHistory(records: readonly HistoryRecord[]): Promise<void>;
  /** Newest first (by `at`, then id), paginated by cursor. */
  listHistory(query: HistoryQuery, page?: HistoryPageRequest): Promise<HistoryPage>;
  /**
   * Removes records made before `olderThan` (ms since the epoch), oldest first, at most
   * `maxDeletes` per call so a scheduler call stays short (the rest goes next time); resolves to
   * how many went.
   */
  pruneHistory(olderThan: number, options?: PruneOptions): Promise<number>;
}

export interface PruneOptions {
  /** Default 5000. */
  maxDeletes?: number;
}

export function pruneLimit(options: PruneOptions): number {
  const limit = options.maxDeletes ?? 5000;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidQueryError(`maxDeletes must be a positive whole number, not ${limit}`);
  return limit;
}

/**
 * History ids are document IDs in Firestore and the order's tie-break in both stores, so they must
 * stand as they are: the model's `<at, zero-padded>-<pool hash>-<n>` does.
 */
export function checkHistoryId(id: string): void {
  if (documentIdFor(id) !== id) {
    throw new StoreError(`tide history id ${JSON.stringify(id)} cannot name a document: use letters, digits and . _ @ : - only`);
  }
}

export function checkHistoryQuery(query: HistoryQuery): void {
  if (query.prNumber !== undefined && (!Number.isSafeInteger(query.prNumber) || query.prNumber <= 0)) {
    throw new InvalidQueryError(`a pull request number must be a positive whole number, not ${query.prNumber}`);
  }
}

export function historyPageSize(page: HistoryPageRequest): number {
  return pageSize(page.limit);
}

/** "org/repo" of a pool id "org/repo:branch" (branches may contain ":", org and repo may not). */
export function repoOfPoolId(poolId: string): string {
  const colon = poolId.indexOf(':');
  return colon < 0 ? poolId : poolId.slice(0, colon);
}

/** Whether a query can match anything at all: a pool of another repository never does. */
export function isSatisfiable(query: HistoryQuery): boolean {
  return query.poolId === undefined || query.repo === undefined || repoOfPoolId(query.poolId) === query.repo;
}

export function matchesHistoryQuery(record: HistoryRecord, query: HistoryQuery): boolean {
  return (
    (query.poolId === undefined || record.poolId === query.poolId) &&
    (query.repo === undefined || `${record.key.org}/${record.key.repo}` === query.repo) &&
    (query.prNumber === undefined || record.pulls.some((pull) => pull.number === query.prNumber))
  );
}

/** Where a page starts: just after this record, in newest-first order. */
export interface HistoryPosition {
  at: number;
  id: string;
}

const CursorSchema = z.tuple([z.number(), z.string()]);

export function encodeHistoryCursor(last: HistoryRecord): string {
  return Buffer.from(JSON.stringify([last.at, last.id])).toString('base64url');
}

export function decodeHistoryCursor(cursor: string): HistoryPosition {
  try {
    const [at, id] = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at, id };
  } catch {
    throw new InvalidQueryError(`invalid page cursor ${JSON.stringify(cursor.slice(0, 64))}: use nextCursor from a previous page`);
  }
}

/** Newest first: later `at` first, then the greater id. */
export function compareHistoryNewestFirst(a: HistoryPosition, b: HistoryPosition): number {
  if (a.at !== b.at) return b.at - a.at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
