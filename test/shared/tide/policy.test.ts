import { describe, expect, it } from 'vitest';
import type { PoolAction } from '../../../shared/tide/model';
import { decidePool } from '../../../shared/tide/policy';
import { prowPolicy } from '../../../shared/tide/prow-policy';
import { jobs, passing, poolState, pull, run } from '../../support/tide-state';

describe('decidePool', () => {
  const pool = poolState({ pulls: [pull(1), pull(2), pull(3)], required: jobs('unit'), runs: [run('unit', 'success', { pulls: [2] })] });

  it("decides a pool set to Prow's policy as Prow's tide does", () => {
    expect(decidePool(pool)).toEqual(prowPolicy(pool));
    expect(decidePool(pool).actions).toEqual([expect.objectContaining({ kind: 'merge', pulls: [{ number: 2, sha: 'head-2' }] })]);
  });

  it('decides a pool set to the queue policy by the queue, over Prow’s filter', () => {
    const conflicting = pull(4, { mergeable: 'conflicting', contexts: passing('unit') });
    const queued = poolState({
      pulls: [pull(1, { contexts: passing('unit') }), pull(2, { contexts: passing('unit') }), conflicting],
      required: jobs('unit'),
      runs: [],
    });
    const decision = decidePool({ ...queued, settings: { ...queued.settings, policy: 'queue' } });
    // A quiet queue is one car of its PRs: the same run Prow's batch would be.
    expect(decision.actions).toEqual([
      expect.objectContaining({
        kind: 'trigger',
        runs: [expect.objectContaining({ type: 'batch', pulls: [{ number: 1, sha: 'head-1' }, { number: 2, sha: 'head-2' }] })],
      }),
    ]);
    const runsOf = (actions: PoolAction[]) => actions.flatMap((action) => (action.kind === 'trigger' ? action.runs : []));
    expect(runsOf(decision.actions)).toEqual(runsOf(prowPolicy(queued).actions));
    // The PR Prow's filter drops is dropped with Prow's verdict.
    expect(decision.verdicts.find((verdict) => verdict.number === 4)).toEqual(prowPolicy(queued).verdicts.find((verdict) => verdict.number === 4));
  });
});
