import { describe, expect, it } from 'vitest';
import { decidePool } from '../../../shared/tide/policy';
import { prowPolicy } from '../../../shared/tide/prow-policy';
import { jobs, poolState, pull, run } from '../../support/tide-state';

describe('decidePool', () => {
  const pool = poolState({ pulls: [pull(1), pull(2), pull(3)], required: jobs('unit'), runs: [run('unit', 'success', { pulls: [2] })] });

  it("decides a pool set to Prow's policy as Prow's tide does", () => {
    expect(decidePool(pool)).toEqual(prowPolicy(pool));
    expect(decidePool(pool).actions).toEqual([expect.objectContaining({ kind: 'merge', pulls: [{ number: 2, sha: 'head-2' }] })]);
  });

  it('decides a pool set to the queue policy as Prow does until that policy exists', () => {
    const queued = { ...pool, settings: { ...pool.settings, policy: 'queue' as const } };
    expect(decidePool(queued)).toEqual(prowPolicy(queued));
  });
});
