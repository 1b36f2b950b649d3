import { describe, expect, it } from 'vitest';
import { pickHighestPriority, pullOrder } from '../../../shared/tide/priority';

/** Prow's TestPickSmallestPassingNumber: priority label sets first, then the lowest number. */

const priority = [
  { labels: ['kind/failing-test'] },
  { labels: ['area/deflake'] },
  { labels: ['kind/bug', 'priority/critical-urgent'] },
  { labels: ['kind/feature,kind/enhancement,kind/undefined'] },
];

const pr = (number: number, ...labels: string[]) => ({ number, labels });

describe('the pool order', () => {
  it.each([
    { name: 'no labels', prs: [pr(5), pr(3)], expected: 3 },
    { name: 'any of a set’s alternatives', prs: [pr(3, 'kind/enhancement', 'kind/undefined'), pr(1, 'kind/enhancement')], expected: 1 },
    { name: 'a deflake PR first', prs: [pr(5), pr(3), pr(7, 'area/deflake')], expected: 7 },
    { name: 'the same label: lowest number', prs: [pr(7, 'area/deflake'), pr(6, 'area/deflake'), pr(1, 'area/deflake')], expected: 1 },
    { name: 'a set needs all its labels', prs: [pr(5), pr(3), pr(6, 'kind/bug')], expected: 3 },
    {
      name: 'the first set wins',
      prs: [pr(5), pr(3), pr(6, 'kind/bug'), pr(7, 'area/deflake'), pr(8, 'kind/bug'), pr(9, 'kind/failing-test'), pr(10, 'kind/bug', 'priority/critical-urgent')],
      expected: 9,
    },
  ])('$name', ({ prs, expected }) => {
    expect(pickHighestPriority(prs, priority, () => true)?.number).toBe(expected);
  });

  it('skips PRs that are not eligible', () => {
    expect(pickHighestPriority([pr(1, 'area/deflake'), pr(2, 'area/deflake'), pr(3)], priority, (p) => p.number !== 1)?.number).toBe(2);
    expect(pickHighestPriority([pr(1)], priority, () => false)).toBeUndefined();
  });

  it('orders the whole pool', () => {
    const order = pullOrder([pr(5), pr(3), pr(10, 'kind/bug', 'priority/critical-urgent'), pr(7, 'area/deflake'), pr(4, 'kind/feature')], priority);
    expect(order.map((p) => p.number)).toEqual([7, 10, 4, 3, 5]);
  });
});
