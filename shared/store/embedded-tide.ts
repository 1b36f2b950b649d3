import { z } from 'zod';
import {
  HistoryRecordSchema,
  PoolRecordSchema,
  checkHistoryId,
  checkHistoryQuery,
  decodeHistoryCursor,
  encodeHistoryCursor,
  historyPageSize,
  isSatisfiable,
  matchesHistoryQuery,
  pruneLimit,
  type HistoryPage,
  type HistoryPageRequest,
  type HistoryPosition,
  type HistoryQuery,
  type HistoryRecord,
  type PoolRecord,
  type PruneOptions,
  type TideStore,
} from './tide';

/**
 * The merge pool's records in the embedded store (shared/store/embedded.ts): in memory, journalled
 * with everything else so they survive a restart. History is indexed newest-first per pool, per
 * repository and per pull request number, so a page reads only the records it shows.
 */

export const TIDE_JOURNAL_RECORDS = [
  /** A pool's record, whole; null when the pool was deleted. */
  z.object({ kind: z.literal('tide-pool'), id: z.string(), value: PoolRecordSchema.nullable() }),
  z.object({ kind: z.literal('tide-history'), record: HistoryRecordSchema }),
  /** These history records are gone (pruned for age). */
  z.object({ kind: z.literal('tide-prune'), ids: z.array(z.string()) }),
] as const;
export type TideJournalRecord = z.infer<(typeof TIDE_JOURNAL_RECORDS)[number]>;

type Persist = (records: TideJournalRecord[]) => Promise<void>;

/** Positions ordered oldest first; newest-first reads walk it backwards. */
class SortedHistory {
  private readonly entries: HistoryPosition[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Index of the first entry at or after the position. */
  private lowerBound(position: HistoryPosition): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.entries[mid] as HistoryPosition;
      if (entry.at < position.at || (entry.at === position.at && entry.id < position.id)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  insert(position: HistoryPosition): void {
    this.entries.splice(this.lowerBound(position), 0, position);
  }

  remove(position: HistoryPosition): void {
    const at = this.lowerBound(position);
    if (this.entries[at]?.id === position.id) this.entries.splice(at, 1);
  }

  /** Ids newest first, starting strictly after `after` when given. */
  *newestFirst(after?: HistoryPosition): Generator<string> {
    for (let at = after ? this.lowerBound(after) - 1 : this.entries.length - 1; at >= 0; at--) {
      yield (this.entries[at] as HistoryPosition).id;
    }
  }

  /** Ids of the entries before `at`, oldest first, at most `limit`. */
  before(at: number, limit: number): string[] {
    const end = Math.min(this.lowerBound({ at, id: '' }), limit);
    return this.entries.slice(0, end).map((entry) => entry.id);
  }
}

function indexKeys(record: HistoryRecord): string[] {
  const numbers = new Set(record.pulls.map((pull) => pull.number));
  return ['*', `pool=${record.poolId}`, `repo=${record.key.org}/${record.key.repo}`, ...[...numbers].map((number) => `pr=${number}`)];
}

function queryKeys(query: HistoryQuery): string[] {
  const keys: string[] = [];
  if (query.poolId !== undefined) keys.push(`pool=${query.poolId}`);
  if (query.repo !== undefined) keys.push(`repo=${query.repo}`);
  if (query.prNumber !== undefined) keys.push(`pr=${query.prNumber}`);
  return keys;
}

/** The pools and history, changed only by applying journal records. */
export class EmbeddedTideState {
  readonly pools = new Map<string, PoolRecord>();
  readonly history = new Map<string, HistoryRecord>();
  private readonly lists = new Map<string, SortedHistory>();

  list(key: string): SortedHistory | undefined {
    return this.lists.get(key);
  }

  apply(record: TideJournalRecord): void {
    switch (record.kind) {
      case 'tide-pool':
        if (record.value) this.pools.set(record.id, record.value);
        else this.pools.delete(record.id);
        return;
      case 'tide-history':
        if (this.history.has(record.record.id)) return;
        this.history.set(record.record.id, record.record);
        for (const key of indexKeys(record.record)) {
          let list = this.lists.get(key);
          if (!list) this.lists.set(key, (list = new SortedHistory()));
          list.insert(record.record);
        }
        return;
      case 'tide-prune':
        for (const id of record.ids) this.forget(id);
        return;
    }
  }

  private forget(id: string): void {
    const record = this.history.get(id);
    if (!record) return;
    this.history.delete(id);
    for (const key of indexKeys(record)) {
      const list = this.lists.get(key);
      list?.remove(record);
      if (list?.length === 0) this.lists.delete(key);
    }
  }

  size(): number {
    return this.pools.size + this.history.size;
  }

  *records(): Generator<TideJournalRecord> {
    for (const [id, value] of this.pools) yield { kind: 'tide-pool', id, value };
    for (const record of this.history.values()) yield { kind: 'tide-history', record };
  }
}

export class EmbeddedTideStore implements TideStore {
  constructor(
    private readonly state: EmbeddedTideState,
    private readonly persist: Persist,
  ) {}

  async putPool(record: PoolRecord): Promise<void> {
    const value = PoolRecordSchema.parse(record);
    await this.persist([{ kind: 'tide-pool', id: value.id, value }]);
  }

  async getPool(id: string): Promise<PoolRecord | undefined> {
    await Promise.resolve();
    return this.state.pools.get(id);
  }

  async listPools(): Promise<PoolRecord[]> {
    await Promise.resolve();
    return [...this.state.pools.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async deletePool(id: string): Promise<void> {
    if (!this.state.pools.has(id)) return;
    await this.persist([{ kind: 'tide-pool', id, value: null }]);
  }

  async appendHistory(records: readonly HistoryRecord[]): Promise<void> {
    const fresh = new Map<string, HistoryRecord>();
    for (const record of records) {
      checkHistoryId(record.id);
      if (!this.state.history.has(record.id) && !fresh.has(record.id)) fresh.set(record.id, HistoryRecordSchema.parse(record));
    }
    if (fresh.size === 0) {
      await Promise.resolve();
      return;
    }
    await this.persist([...fresh.values()].map((record) => ({ kind: 'tide-history', record })));
  }

  async listHistory(query: HistoryQuery, page: HistoryPageRequest = {}): Promise<HistoryPage> {
    checkHistoryQuery(query);
    const limit = historyPageSize(page);
    const after = page.cursor === undefined ? undefined : decodeHistoryCursor(page.cursor);
    await Promise.resolve();
    if (!isSatisfiable(query)) return { records: [] };
    // Walk the narrowest index the query names; the other filters are checked per record.
    let narrowest = this.state.list('*');
    for (const key of queryKeys(query)) {
      const list = this.state.list(key);
      if (!list) return { records: [] };
      if (!narrowest || list.length < narrowest.length) narrowest = list;
    }
    const records: HistoryRecord[] = [];
    for (const id of narrowest?.newestFirst(after) ?? []) {
      const record = this.state.history.get(id);
      if (!record || !matchesHistoryQuery(record, query)) continue;
      if (records.length === limit) {
        const last = records.at(-1) as HistoryRecord;
        return { records, nextCursor: encodeHistoryCursor(last) };
      }
      records.push(record);
    }
    return { records };
  }

  async pruneHistory(olderThan: number, options: PruneOptions = {}): Promise<number> {
    const ids = this.state.list('*')?.before(olderThan, pruneLimit(options)) ?? [];
    if (ids.length === 0) {
      await Promise.resolve();
      return 0;
    }
    await this.persist([{ kind: 'tide-prune', ids }]);
    return ids.length;
  }
}
