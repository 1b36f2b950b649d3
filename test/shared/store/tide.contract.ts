import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidQueryError, StoreError } from '../../../shared/store/errors';
import type { HistoryQuery, HistoryRecord, TideStore } from '../../../shared/store/tide';
import { TIDE_HISTORY_RETENTION_MS } from '../../../shared/store/tide';
import { poolId, type PoolKey } from '../../../shared/tide/model';
import { testHistoryRecord, testPoolRecord, WIDGETS_MAIN } from '../../support/tide-records';
import type { OpenOutboxStore, OpenedOutboxStore } from './outbox.contract';
import { TestClock } from './store.contract';

/**
 * What every store keeps for the merge pool (shared/store/tide.ts): each pool's latest record,
 * replaced whole, and the history of actions, appended idempotently, read newest first by pool,
 * repository and pull request, a page at a time, and pruned by age. Run against each
 * implementation by test/shared/store/store.test.ts.
 */

const MINUTE = 60_000;
const WIDGETS_RELEASE: PoolKey = { org: 'acme', repo: 'widgets', branch: 'release-1.0' };
const GADGETS_MAIN: PoolKey = { org: 'acme', repo: 'gadgets', branch: 'main' };

export function describeTideStoreContract(implementation: string, open: OpenOutboxStore, options: { durable: boolean }): void {
  describe(`tide store contract [${implementation}]`, () => {
    let clock: TestClock;
    let opened: OpenedOutboxStore;
    let tide: TideStore;

    beforeEach(async () => {
      clock = new TestClock();
      opened = await open(clock);
      tide = opened.store.tide;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    /** Every record matching, newest first, read a page of `limit` at a time. */
    async function readAll(query: HistoryQuery, limit: number): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await tide.listHistory(query, { limit, ...(cursor ? { cursor } : {}) });
        pages++;
        ids.push(...page.records.map((record) => record.id));
        cursor = page.nextCursor;
      } while (cursor && pages < 50);
      return { ids, pages };
    }

    describe('pools', () => {
      it('keeps the latest record of each pool, replaced whole, and lists pools by id', async () => {
        const first = testPoolRecord({ error: 'GitHub search failed: 502' });
        await tide.putPool(first);
        expect(await tide.getPool(first.id)).toEqual(first);

        // The next sync's record has no error and other PRs: nothing of the first survives.
        const second = testPoolRecord({ baseSha: 'c0ffee', pulls: [], verdicts: [], runsInFlight: [], actions: [{ kind: 'wait', reason: 'no PRs' }] });
        delete second.error;
        await tide.putPool(second);
        const stored = await tide.getPool(first.id);
        expect(stored).toEqual(second);
        expect(stored).not.toHaveProperty('error');

        await tide.putPool(testPoolRecord({ key: GADGETS_MAIN, id: poolId(GADGETS_MAIN) }));
        await tide.putPool(testPoolRecord({ key: WIDGETS_RELEASE, id: poolId(WIDGETS_RELEASE) }));
        expect((await tide.listPools()).map((pool) => pool.id)).toEqual(['acme/gadgets:main', 'acme/widgets:main', 'acme/widgets:release-1.0']);
        expect(await tide.getPool('acme/widgets:no-such-branch')).toBeUndefined();
      });

      it('forgets a deleted pool, and deleting one that is gone is harmless', async () => {
        const record = testPoolRecord();
        await tide.putPool(record);
        await tide.deletePool(record.id);
        await tide.deletePool(record.id);
        expect(await tide.getPool(record.id)).toBeUndefined();
        expect(await tide.listPools()).toEqual([]);
      });

      it('stores every part of a record as it was given: verdicts, runs, blockers, actions of each kind', async () => {
        const record = testPoolRecord({
          policy: 'queue',
          blockers: [{ number: 99, title: 'Release freeze <b>', url: 'https://github.com/acme/widgets/issues/99' }],
          actions: [
            { kind: 'blocked', reason: 'blocked by #99', blockers: [99] },
            { kind: 'trigger', reason: 'batch of #1, #2', runs: [{ type: 'batch', baseSha: 'b', pulls: [{ number: 1, sha: 'a' }, { number: 2, sha: 'c' }], jobs: ['unit', 'e2e'] }] },
            { kind: 'cancel', reason: 'stale speculation', runIds: ['run-7'] },
          ],
        });
        await tide.putPool(record);
        expect(await tide.getPool(record.id)).toEqual(record);
      });
    });

    describe('history', () => {
      it('appends idempotently by id: a retried sync neither doubles a record nor changes the first', async () => {
        const t = clock.now();
        const a = testHistoryRecord(t, { pulls: [1] });
        const b = testHistoryRecord(t + 1, { pulls: [2], action: 'TRIGGER' });
        const c = testHistoryRecord(t + 2, { pulls: [3] });
        await tide.appendHistory([a, b]);
        await tide.appendHistory([{ ...b, reason: 'a different reason' }, c, c]);
        await tide.appendHistory([]);
        const page = await tide.listHistory({});
        expect(page.records).toEqual([c, b, a]);
        expect(page.nextCursor).toBeUndefined();
      });

      it('lists newest first, ties in time broken by id, and filters by pool, repository and pull request', async () => {
        const t = clock.now();
        const records: HistoryRecord[] = [
          testHistoryRecord(t, { id: 'r1', pulls: [1] }),
          testHistoryRecord(t + MINUTE, { id: 'r2', pulls: [1, 2], action: 'TRIGGER_BATCH' }),
          testHistoryRecord(t + MINUTE, { id: 'r3', key: WIDGETS_RELEASE, pulls: [2] }),
          testHistoryRecord(t + 2 * MINUTE, { id: 'r4', key: GADGETS_MAIN, pulls: [2], action: 'TRIGGER' }),
          testHistoryRecord(t + 3 * MINUTE, { id: 'r5', action: 'BLOCKED', pulls: [] }),
        ];
        await tide.appendHistory(records);
        const ids = async (query: HistoryQuery) => (await tide.listHistory(query)).records.map((record) => record.id);
        expect(await ids({})).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
        expect(await ids({ poolId: poolId(WIDGETS_MAIN) })).toEqual(['r5', 'r2', 'r1']);
        expect(await ids({ repo: 'acme/widgets' })).toEqual(['r5', 'r3', 'r2', 'r1']);
        expect(await ids({ prNumber: 2 })).toEqual(['r4', 'r3', 'r2']);
        expect(await ids({ repo: 'acme/widgets', prNumber: 2 })).toEqual(['r3', 'r2']);
        expect(await ids({ poolId: poolId(WIDGETS_MAIN), prNumber: 1 })).toEqual(['r2', 'r1']);
        expect(await ids({ poolId: poolId(WIDGETS_MAIN), repo: 'acme/widgets', prNumber: 2 })).toEqual(['r2']);
        // A pool of another repository, and filters nothing matches, find nothing.
        expect(await ids({ poolId: poolId(WIDGETS_MAIN), repo: 'acme/gadgets' })).toEqual([]);
        expect(await ids({ prNumber: 404 })).toEqual([]);
        expect(await ids({ poolId: 'acme/widgets:gone' })).toEqual([]);
      });

      it('pages by cursor without skipping or repeating a record, while newer records arrive', async () => {
        const t = clock.now();
        const older = Array.from({ length: 7 }, (_, i) => testHistoryRecord(t + i * MINUTE, { id: `r${i}`, pulls: [i % 2 === 0 ? 10 : 11] }));
        await tide.appendHistory(older);

        const first = await tide.listHistory({}, { limit: 3 });
        expect(first.records.map((record) => record.id)).toEqual(['r6', 'r5', 'r4']);
        expect(first.nextCursor).toBeDefined();
        // A sync records something new between two page loads: later pages go on back in time.
        await tide.appendHistory([testHistoryRecord(t + 60 * MINUTE, { id: 'r-new' })]);
        const second = await tide.listHistory({}, { limit: 3, cursor: first.nextCursor! });
        expect(second.records.map((record) => record.id)).toEqual(['r3', 'r2', 'r1']);
        const third = await tide.listHistory({}, { limit: 3, cursor: second.nextCursor! });
        expect(third.records.map((record) => record.id)).toEqual(['r0']);
        expect(third.nextCursor).toBeUndefined();

        expect(await readAll({ prNumber: 10 }, 2)).toEqual({ ids: ['r6', 'r4', 'r2', 'r0'], pages: 2 });
        expect((await readAll({}, 1)).ids).toEqual(['r-new', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
      });

      it('pages through records made at the same moment', async () => {
        const t = clock.now();
        await tide.appendHistory(['a', 'b', 'c', 'd', 'e'].map((id) => testHistoryRecord(t, { id })));
        expect(await readAll({}, 2)).toEqual({ ids: ['e', 'd', 'c', 'b', 'a'], pages: 3 });
      });

      it('refuses a malformed cursor, a page size out of range, an unusable id and a bad pull number', async () => {
        await expect(tide.listHistory({}, { cursor: 'not-a-cursor' })).rejects.toThrow(InvalidQueryError);
        await expect(tide.listHistory({}, { limit: 0 })).rejects.toThrow(InvalidQueryError);
        await expect(tide.listHistory({}, { limit: 1001 })).rejects.toThrow(InvalidQueryError);
        await expect(tide.listHistory({ prNumber: -1 })).rejects.toThrow(InvalidQueryError);
        await expect(tide.appendHistory([testHistoryRecord(clock.now(), { id: 'acme/widgets#1' })])).rejects.toThrow(StoreError);
        expect((await tide.listHistory({})).records).toEqual([]);
      });

      it('prunes records older than a time, by pool and pull request too, and says how many went', async () => {
        const t = clock.now();
        const old = testHistoryRecord(t - TIDE_HISTORY_RETENTION_MS - MINUTE, { id: 'old', pulls: [7] });
        const edge = testHistoryRecord(t - TIDE_HISTORY_RETENTION_MS, { id: 'edge', pulls: [7] });
        const recent = testHistoryRecord(t - MINUTE, { id: 'recent', pulls: [7] });
        await tide.appendHistory([old, edge, recent, testHistoryRecord(t - 40 * 24 * 3600_000, { id: 'older', key: GADGETS_MAIN })]);

        expect(await tide.pruneHistory(t - TIDE_HISTORY_RETENTION_MS)).toBe(2);
        expect((await tide.listHistory({})).records.map((record) => record.id)).toEqual(['recent', 'edge']);
        expect((await tide.listHistory({ poolId: poolId(WIDGETS_MAIN), prNumber: 7 })).records.map((record) => record.id)).toEqual(['recent', 'edge']);
        expect((await tide.listHistory({ poolId: poolId(GADGETS_MAIN) })).records).toEqual([]);
        expect(await tide.pruneHistory(t - TIDE_HISTORY_RETENTION_MS)).toBe(0);
        // Pruned means gone: appending the same id again stores it anew.
        await tide.appendHistory([old]);
        expect((await tide.listHistory({ prNumber: 7 })).records.map((record) => record.id)).toEqual(['recent', 'edge', 'old']);
      });

      it('prunes at most maxDeletes records per call, oldest first, leaving the rest for the next call', async () => {
        const t = clock.now();
        await tide.appendHistory(['e', 'd', 'c', 'b', 'a'].map((id, i) => testHistoryRecord(t - (10 - i) * MINUTE, { id })));
        await tide.appendHistory([testHistoryRecord(t, { id: 'now' })]);
        expect(await tide.pruneHistory(t, { maxDeletes: 2 })).toBe(2);
        expect((await tide.listHistory({})).records.map((record) => record.id)).toEqual(['now', 'a', 'b', 'c']);
        expect(await tide.pruneHistory(t, { maxDeletes: 2 })).toBe(2);
        expect(await tide.pruneHistory(t, { maxDeletes: 2 })).toBe(1);
        expect(await tide.pruneHistory(t, { maxDeletes: 2 })).toBe(0);
        expect((await tide.listHistory({})).records.map((record) => record.id)).toEqual(['now']);
        await expect(tide.pruneHistory(t, { maxDeletes: 0 })).rejects.toThrow(InvalidQueryError);
      });

      if (options.durable) {
        it('keeps pools, history and prunes across a restart', async () => {
          const t = clock.now();
          const pool = testPoolRecord();
          await tide.putPool(pool);
          await tide.appendHistory([testHistoryRecord(t - 2 * MINUTE, { id: 'gone' }), testHistoryRecord(t - MINUTE, { id: 'kept', pulls: [4] })]);
          await tide.pruneHistory(t - 90_000);
          if (!opened.reopen) throw new Error(`${implementation} is durable but cannot be reopened`);
          tide = (await opened.reopen()).tide;
          expect(await tide.getPool(pool.id)).toEqual(pool);
          expect((await tide.listHistory({ prNumber: 4 })).records.map((record) => record.id)).toEqual(['kept']);
          expect((await tide.listHistory({})).records.map((record) => record.id)).toEqual(['kept']);
          await tide.appendHistory([testHistoryRecord(t - MINUTE, { id: 'kept', pulls: [4] })]);
          expect((await tide.listHistory({})).records).toHaveLength(1);
        });
      }
    });
  });
}
