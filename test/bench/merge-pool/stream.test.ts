import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, readyStream, seededRandom } from './stream';

describe('the stream of PRs becoming ready', () => {
  it('is the same for a seed every time, and another for another seed', () => {
    const params = { arrivalsPerHour: 4, badFraction: 0.05, untilMs: 2 * DAY_MS };
    expect(readyStream({ ...params, seed: 3 })).toEqual(readyStream({ ...params, seed: 3 }));
    expect(readyStream({ ...params, seed: 3 })).not.toEqual(readyStream({ ...params, seed: 4 }));
  });

  it('arrives as a Poisson process of rate λ, a fraction b of it bad', () => {
    const stream = readyStream({ arrivalsPerHour: 10, badFraction: 0.05, seed: 1, untilMs: 100 * DAY_MS });
    const hours = 100 * 24;
    expect(stream.length / hours).toBeGreaterThan(9.7);
    expect(stream.length / hours).toBeLessThan(10.3);
    expect(stream.filter((pull) => pull.bad).length / stream.length).toBeCloseTo(0.05, 2);
    // Exponential gaps: about e^-1 of them longer than the mean gap.
    const gaps = stream.slice(1).map((pull, index) => pull.readyAt - stream[index]!.readyAt);
    expect(gaps.filter((gap) => gap > HOUR_MS / 10).length / gaps.length).toBeCloseTo(Math.exp(-1), 1);
    expect(stream.map((pull) => pull.number)).toEqual(stream.map((_, index) => 1_001 + index));
  });

  it('keeps its arrival times when only the bad fraction changes', () => {
    const times = (badFraction: number) => readyStream({ arrivalsPerHour: 4, badFraction, seed: 9, untilMs: 3 * DAY_MS }).map((pull) => pull.readyAt);
    expect(times(0)).toEqual(times(0.05));
  });

  it('draws each purpose from a generator of its own', () => {
    const first = seededRandom(1, 'ci');
    const second = seededRandom(1, 'ci');
    const other = seededRandom(1, 'conflicts');
    const a = Array.from({ length: 5 }, first);
    expect(Array.from({ length: 5 }, second)).toEqual(a);
    expect(Array.from({ length: 5 }, other)).not.toEqual(a);
    expect(a.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});
