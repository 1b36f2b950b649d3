import { describe, expect, it } from 'vitest';
import { historyRecordForDeck, poolForDeck, tideHistory, tidePools } from '../../../shared/status/tide-js';
import type { PoolRecord } from '../../../shared/tide/model';
import { BASE_SHA, testHistoryRecord, testPoolRecord } from '../../support/tide-records';

/**
 * `tide.js` and `tide-history.js` carry Prow's JSON, field for field, so Deck's scripts and
 * anything written against Prow read ours. The field names below are Prow's, from its source:
 * cmd/deck/tide.go (`tidePools`, `tideHistory`), pkg/tide/tide.go (`PoolForDeck`),
 * pkg/tide/codereview.go (`CodeReviewForDeck`), pkg/tide/blockers (`Blocker`),
 * pkg/tide/history (`Record`: time, action, baseSHA, target, err, tenantids) and
 * pkg/apis/prowjobs/v1 (`Pull`: number, author, sha, title).
 */

const POOL_FIELDS = ['Org', 'Repo', 'Branch', 'SuccessPRs', 'PendingPRs', 'MissingPRs', 'BatchPending', 'Action', 'Target', 'Blockers', 'Error', 'TenantIDs'];
const PR_FIELDS = ['Title', 'Number', 'HeadRefOID', 'Mergeable'];

function numbers(prs: { Number: number }[]): number[] {
  return prs.map((pr) => pr.Number);
}

describe('tide.js', () => {
  it('has Prow’s top-level fields and pool fields, in Prow’s order', () => {
    const body = JSON.parse(JSON.stringify(tidePools([testPoolRecord()], [{ repos: ['acme/widgets'], labels: ['lgtm'] }]))) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['Queries', 'TideQueries', 'Pools']);
    expect(body.Queries).toEqual(['is:pr state:open archived:false label:"lgtm" repo:"acme/widgets"']);
    expect(body.TideQueries).toEqual([{ labels: ['lgtm'], repos: ['acme/widgets'] }]);
    const [pool] = body.Pools as Record<string, unknown>[];
    expect(Object.keys(pool!)).toEqual(POOL_FIELDS);
    expect(Object.keys((pool!.SuccessPRs as object[])[0]!)).toEqual(PR_FIELDS);
  });

  it('sorts each PR into Prow’s lists: passing, pending, missing (failing included); one filtered out of the pool is not listed', () => {
    const pool = poolForDeck(testPoolRecord());
    expect(pool).toMatchObject({ Org: 'acme', Repo: 'widgets', Branch: 'main', Error: '', TenantIDs: [], Blockers: [], BatchPending: [] });
    expect(numbers(pool.SuccessPRs)).toEqual([1]);
    expect(numbers(pool.PendingPRs)).toEqual([2]);
    expect(numbers(pool.MissingPRs)).toEqual([3, 4]);
    expect(pool.SuccessPRs[0]).toEqual({ Title: 'Passing change', Number: 1, HeadRefOID: 'head1'.padEnd(40, '0'), Mergeable: 'MERGEABLE' });
    // Mergeability the sync did not record reads as GitHub's UNKNOWN.
    expect(pool.PendingPRs[0]?.Mergeable).toBe('UNKNOWN');
    expect(pool.Action).toBe('MERGE');
    expect(numbers(pool.Target)).toEqual([1]);
  });

  it('names the action as Prow does, with its target, and lists a batch under way at the current base', () => {
    const batch = (baseSha: string) => ({
      id: `batch-${baseSha}`,
      job: 'unit',
      context: 'ci/unit',
      type: 'batch' as const,
      baseSha,
      pulls: [{ number: 2, sha: 'head2'.padEnd(40, '0') }, { number: 3, sha: 'head3'.padEnd(40, '0') }],
      state: 'pending' as const,
      createdAt: 0,
    });
    const action = (actions: PoolRecord['actions'], runs = [batch(BASE_SHA), batch('older-base')]) =>
      poolForDeck(testPoolRecord({ actions, runsInFlight: runs }));

    const waiting = action([{ kind: 'wait', reason: 'a batch is under way' }]);
    expect([waiting.Action, numbers(waiting.Target), numbers(waiting.BatchPending)]).toEqual(['WAIT', [], [2, 3]]);
    const mergeBatch = action([{ kind: 'merge', batch: true, pulls: [{ number: 2, sha: 'x' }, { number: 3, sha: 'y' }], reason: 'batch passed' }]);
    expect([mergeBatch.Action, numbers(mergeBatch.Target)]).toEqual(['MERGE_BATCH', [2, 3]]);
    const triggerBatch = action([{ kind: 'trigger', reason: 'batch', runs: [{ type: 'batch', baseSha: BASE_SHA, pulls: [{ number: 1, sha: 'a' }, { number: 2, sha: 'b' }], jobs: ['unit'] }] }]);
    expect([triggerBatch.Action, numbers(triggerBatch.Target)]).toEqual(['TRIGGER_BATCH', [1, 2]]);
    const trigger = action([{ kind: 'trigger', reason: 'retest', runs: [{ type: 'presubmit', baseSha: BASE_SHA, pulls: [{ number: 3, sha: 'c' }], jobs: ['unit'] }] }], []);
    expect([trigger.Action, numbers(trigger.Target), trigger.BatchPending]).toEqual(['TRIGGER', [3], []]);
    const blocked = poolForDeck(
      testPoolRecord({
        actions: [{ kind: 'blocked', reason: 'merge freeze', blockers: [9] }],
        blockers: [{ number: 9, title: 'Freeze', url: 'https://github.com/acme/widgets/issues/9' }],
        error: 'GitHub said 502',
      }),
    );
    expect(blocked).toMatchObject({ Action: 'BLOCKED', Target: [], Blockers: [{ Number: 9, Title: 'Freeze', URL: 'https://github.com/acme/widgets/issues/9' }], Error: 'GitHub said 502' });
  });
});

describe('tide-history.js', () => {
  it('groups records by Prow’s pool key, newest first, each a Prow history Record', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0);
    const merged = testHistoryRecord(at + 1500, { pulls: [12, 3], action: 'MERGE_BATCH' });
    const failed = testHistoryRecord(at, { pulls: [7], action: 'MERGE', error: 'base branch was modified' });
    const other = testHistoryRecord(at - 1, { key: { org: 'acme', repo: 'gadgets', branch: 'release-1.0' }, action: 'TRIGGER' });
    const body = JSON.parse(JSON.stringify(tideHistory([merged, failed, other]))) as { History: Record<string, Record<string, unknown>[]> };
    expect(Object.keys(body)).toEqual(['History']);
    expect(Object.keys(body.History)).toEqual(['acme/widgets:main', 'acme/gadgets:release-1.0']);
    const [newest, older] = body.History['acme/widgets:main']!;
    expect(Object.keys(newest!)).toEqual(['time', 'action', 'baseSHA', 'target', 'tenantids']);
    expect(newest).toEqual({
      time: '2026-11-24T12:00:01.5Z',
      action: 'MERGE_BATCH',
      baseSHA: BASE_SHA,
      // Prow sorts a record's targets by number.
      target: [
        { number: 3, author: 'author3', sha: 'head3'.padEnd(40, '0'), title: 'Change 3' },
        { number: 12, author: 'author12', sha: 'head12'.padEnd(40, '0'), title: 'Change 12' },
      ],
      tenantids: [],
    });
    expect(older).toMatchObject({ time: '2026-11-24T12:00:00Z', action: 'MERGE', err: 'base branch was modified' });
  });

  it('leaves out what Prow leaves out when empty: baseSHA, target and err', () => {
    const record = { ...testHistoryRecord(Date.UTC(2026, 0, 1), { pulls: [], action: 'BLOCKED' }), baseSha: '' };
    expect(historyRecordForDeck(record)).toEqual({ time: '2026-01-01T00:00:00Z', action: 'BLOCKED', tenantids: [] });
    const anonymous = { ...testHistoryRecord(Date.UTC(2026, 0, 1)), pulls: [{ number: 1, sha: 'abc' }] };
    expect(historyRecordForDeck(anonymous).target).toEqual([{ number: 1, author: '', sha: 'abc' }]);
  });
});
