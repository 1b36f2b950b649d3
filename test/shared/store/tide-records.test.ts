import { describe, expect, expectTypeOf, it } from 'vitest';
import { HistoryRecordSchema, PoolRecordSchema, type HistoryRecord as StoredHistoryRecord, type PoolRecord as StoredPoolRecord } from '../../../shared/store/tide';
import type { HistoryRecord, PoolRecord } from '../../../shared/tide/model';
import { testHistoryRecord, testPoolRecord } from '../../support/tide-records';

/**
 * The store describes the merge pool's records with schemas of its own (it sits below
 * shared/tide and cannot import the model). Here the two are held together: `tsc` fails when a
 * field is added to one and not the other, and a record made as the model says passes the store's
 * parsing unchanged.
 */
describe('the store’s tide records', () => {
  it('are exactly shared/tide/model.ts’s PoolRecord and HistoryRecord', () => {
    expectTypeOf<StoredPoolRecord>().toEqualTypeOf<PoolRecord>();
    expectTypeOf<StoredHistoryRecord>().toEqualTypeOf<HistoryRecord>();
  });

  it('parse a record made as the model says without losing anything', () => {
    const pool = testPoolRecord({ error: 'search failed', blockers: [{ number: 9, title: 'freeze', url: 'https://github.com/acme/widgets/issues/9' }] });
    expect(PoolRecordSchema.parse(pool)).toEqual(pool);
    const history = testHistoryRecord(Date.UTC(2026, 0, 1), { error: 'merge refused: base changed' });
    expect(HistoryRecordSchema.parse(history)).toEqual(history);
  });
});
