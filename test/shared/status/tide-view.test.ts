import { describe, expect, it } from 'vitest';
import { goTime, parseHistoryRequest, poolPulls, tideVisibility } from '../../../shared/status/tide-view';
import { poolId } from '../../../shared/tide/model';
import { TIDE_CONFIG } from '../../support/tide-status';
import { testPoolRecord } from '../../support/tide-records';

/** What the Tide pages read from a pool record: order, visibility, filters, and Go's time format. */

describe('the Tide pages’ view of a pool', () => {
  it('orders PRs closest to merging first, then by place in line, then number', () => {
    const record = testPoolRecord();
    record.verdicts.reverse();
    record.verdicts[0]!.state = 'pending';
    expect(poolPulls(record).map(({ verdict }) => `${verdict.state} #${verdict.number}`)).toEqual([
      'merging #1',
      'pending #2',
      'pending #5',
      'missing #3',
      'failure #4',
    ]);
  });

  it('drops a hidden repository’s pools and history, and a hidden job’s verdicts and runs', () => {
    const visibility = tideVisibility(TIDE_CONFIG);
    const secret = { org: 'secret-org', repo: 'vault', branch: 'main' };
    expect(visibility.pool(testPoolRecord({ key: secret, id: poolId(secret) }))).toBeUndefined();
    const record = testPoolRecord();
    record.verdicts[0]!.jobs.push({ job: 'secret-scan', context: 'secret-scan', state: 'success' });
    record.runsInFlight.push({ ...record.runsInFlight[0]!, job: 'secret-scan' });
    const shown = visibility.pool(record)!;
    expect(shown.verdicts[0]!.jobs.map((job) => job.job)).toEqual(['unit']);
    expect(shown.runsInFlight.map((run) => run.job)).toEqual(['unit']);
    // The stored record is not changed by showing it.
    expect(record.verdicts[0]!.jobs).toHaveLength(2);
  });

  it('turns the history filters into a store query: repo and branch name a pool', () => {
    expect(parseHistoryRequest(new URLSearchParams('repo=acme/widgets&branch=release/1.0&pr=7'))).toEqual({
      filters: { repo: 'acme/widgets', branch: 'release/1.0', pr: 7 },
      query: { poolId: 'acme/widgets:release/1.0', prNumber: 7 },
    });
    expect(parseHistoryRequest(new URLSearchParams('repo=acme/widgets&branch=&pr=')).query).toEqual({ repo: 'acme/widgets' });
    expect(() => parseHistoryRequest(new URLSearchParams('limit=5000'))).toThrow(/limit/);
  });

  it('writes times as Go’s encoding/json does', () => {
    expect(goTime(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05Z');
    expect(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 120))).toBe('2026-01-02T03:04:05.12Z');
    expect(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 7))).toBe('2026-01-02T03:04:05.007Z');
  });
});
