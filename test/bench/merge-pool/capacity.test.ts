import { describe, expect, it } from 'vitest';
import { searchCapacity, type RateTrial } from './capacity';

/** A policy that keeps up up to `limit` per hour, as the capacity search sees it. */
function upTo(limit: number): { trial: (rate: number) => RateTrial; tried: number[] } {
  const tried: number[] = [];
  return {
    tried,
    trial: (rate) => {
      tried.push(rate);
      return { arrivalsPerHour: rate, keptUp: rate <= limit, runs: [] };
    },
  };
}

describe('the capacity search', () => {
  it('finds the largest rate on the grid that keeps up, doubling the rate then bisecting', () => {
    const policy = upTo(7.3);
    const found = searchCapacity(policy.trial, { min: 0.5, max: 30, step: 0.25 });
    expect(found.capacity?.arrivalsPerHour).toBe(7.25);
    expect(found.atGridMax).toBe(false);
    expect(policy.tried.slice(0, 6)).toEqual([0.5, 1, 2, 4, 8, 6]);
    expect(policy.tried.length).toBeLessThanOrEqual(10);
    expect(found.trials.map((trial) => trial.arrivalsPerHour)).toEqual(policy.tried);
  });

  it('never tries beyond the grid', () => {
    const policy = upTo(20);
    expect(searchCapacity(policy.trial, { min: 0.5, max: 30, step: 0.25 }).capacity?.arrivalsPerHour).toBe(20);
    expect(Math.max(...policy.tried)).toBe(30);
  });

  it('says when even the smallest rate falls behind, or the largest keeps up', () => {
    expect(searchCapacity(upTo(0.1).trial, { min: 0.5, max: 30, step: 0.25 }).capacity).toBeUndefined();
    const all = searchCapacity(upTo(100).trial, { min: 0.5, max: 30, step: 0.25 });
    expect(all.capacity?.arrivalsPerHour).toBe(30);
    expect(all.atGridMax).toBe(true);
  });
});
