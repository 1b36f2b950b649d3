import { describe, expect, it } from 'vitest';
import { addTallies, figures, keptUp, lateAllowance, percentile, tally, type BacklogSample, type MeasureInput } from './metrics';
import { HOUR_MS } from './stream';

const h = (hours: number): number => hours * HOUR_MS;

/**
 * A hand-made day: the window is hours 10–20 (10 h). Four good PRs become ready in it and merge
 * after 1, 2, 3 and 6 hours, a fifth never merges; one bad PR is withdrawn; a PR from before the
 * window merges in it; one after the window is ignored.
 */
function handMade(backlog: BacklogSample[] = []): MeasureInput {
  return {
    pulls: [
      { number: 1, bad: false, readyAt: h(5), mergedAt: h(11) },
      { number: 2, bad: false, readyAt: h(10), mergedAt: h(11) },
      { number: 3, bad: false, readyAt: h(11), mergedAt: h(13) },
      { number: 4, bad: true, readyAt: h(12), withdrawnAt: h(14) },
      { number: 5, bad: false, readyAt: h(12), mergedAt: h(15) },
      { number: 6, bad: false, readyAt: h(13), mergedAt: h(19) },
      { number: 7, bad: false, readyAt: h(19) },
      { number: 8, bad: false, readyAt: h(20), mergedAt: h(21) },
    ],
    jobRuns: [
      { createdAt: h(9), cost: 1, origin: 'pool' },
      { createdAt: h(10), cost: 1, origin: 'pool' },
      { createdAt: h(12), cost: 0.5, origin: 'pool' },
      { createdAt: h(14), cost: 1, origin: 'author' },
      { createdAt: h(19.5), cost: 1, origin: 'pool' },
      { createdAt: h(20), cost: 1, origin: 'pool' },
    ],
    backlog,
    jobs: 2,
    from: h(10),
    to: h(20),
    arrivalsPerHour: 1,
  };
}

describe('the simulator’s metrics', () => {
  it('count what happened in the window, latencies of the good PRs ready in it, unmerged ones as infinitely late', () => {
    const counted = tally(handMade());
    expect(counted.hours).toBe(10);
    expect(counted.ready).toBe(6);
    expect(counted.badReady).toBe(1);
    expect(counted.withdrawn).toBe(1);
    expect(counted.badMerged).toBe(0);
    expect(counted.unmerged).toBe(1);
    expect(counted.latencies).toEqual([1, 2, 3, 6, Infinity]);
    // #1, #2, #3, #5, #6 merged in the window (#1 became ready before it, #8 merged after it).
    expect(counted.merged).toBe(5);
    expect(counted.jobRuns).toBe(3.5);
    expect(counted.poolJobRuns).toBe(2.5);
    expect(counted.authorJobRuns).toBe(1);

    const f = figures(counted);
    expect(f.p50Hours).toBe(3);
    expect(f.p90Hours).toBe(Infinity);
    expect(f.mergedPerHour).toBe(0.5);
    // 3.5 job-runs of J = 2 jobs for 5 merged PRs.
    expect(f.ciRunsPerMerged).toBeCloseTo(0.35, 10);
    expect(f.poolRunsPerMerged).toBeCloseTo(0.25, 10);
    expect(f.authorRunsPerMerged).toBeCloseTo(0.1, 10);
  });

  it('take percentiles by nearest rank', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(percentile([4], 0.9)).toBe(4);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('call a backlog bounded when it grows, last quarter over first, by less than 2% of the arrivals or 5 PRs', () => {
    const samples = (values: number[]): BacklogSample[] => values.map((waiting, index) => ({ at: h(10 + index), waiting }));
    const steady = tally(handMade(samples([3, 5, 4, 4, 6, 3, 4, 5])));
    expect(steady.backlogGrowth).toBe(4.5 - 4);
    expect(steady.boundedSeeds).toBe(1);
    const flat = tally(handMade(samples([4, 4, 5, 3, 4, 4, 3, 4])));
    expect(flat.backlogGrowth).toBe(-0.5);
    expect(flat.boundedSeeds).toBe(1);
    // 6 ready in the window, so 5 PRs is the allowance here.
    const growing = tally(handMade(samples([2, 3, 5, 6, 7, 8, 9, 10])));
    expect(growing.backlogGrowth).toBe(9.5 - 2.5);
    expect(growing.boundedSeeds).toBe(0);
    // Never above λ × 24 h + 50 PRs.
    expect(tally(handMade(samples([80, 4, 4, 3, 4, 4, 3, 4]))).boundedSeeds).toBe(0);
  });

  it('pool seeds by adding their sums and merging their latencies', () => {
    const one = tally(handMade());
    const both = addTallies([one, one]);
    expect(both.seeds).toBe(2);
    expect(both.latencies).toEqual([1, 1, 2, 2, 3, 3, 6, 6, Infinity, Infinity]);
    expect(figures(both).ciRunsPerMerged).toBeCloseTo(figures(one).ciRunsPerMerged, 10);
    expect(figures(both).mergedPerHour).toBe(0.5);
  });

  it('say a run kept up only when bounded with p90 ready→merged within 12 hours', () => {
    const bounded = { ...tally(handMade()), boundedSeeds: 1, latencies: [1, 2, 3, 4, 5, 6, 7, 8, 9, 20] };
    expect(keptUp(bounded)).toBe(true);
    expect(keptUp({ ...bounded, latencies: [1, 2, 3, 4, 5, 6, 7, 8, 13, 20] })).toBe(false);
    expect(keptUp({ ...bounded, boundedSeeds: 0 })).toBe(false);
  });

  it('know when enough PRs are late for p90 to be over the limit whatever happens next', () => {
    // Of 10 PRs, p90 is the 9th smallest: one late PR leaves it, a second one decides it.
    expect(lateAllowance(10)).toBe(1);
    expect(lateAllowance(25)).toBe(2);
    expect(lateAllowance(5)).toBe(0);
  });
});
