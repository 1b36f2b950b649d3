import type { PoolDecision, PoolPolicyName, PoolState } from './model';
import { pullOrder } from './priority';
import { prowPolicy } from './prow-policy';
import { queueDecision } from './queue-policy';

/**
 * The merge pool's decision for one pool at one sync: which PRs are in the pool and why, and what
 * to do (merge, test, wait). The scheduler's sync and the merge-pool simulator both call this.
 */
export type PoolPolicy = (state: PoolState) => PoolDecision;

const POLICIES: Record<PoolPolicyName, PoolPolicy> = {
  tide: prowPolicy,
  queue: queuePolicy,
};

/**
 * Cutwater's queue over Prow's filter: a PR Prow's policy would drop (a conflict, a failing
 * context, a forbidden merge method...) is dropped with the same verdict; the rest are queued in
 * Prow's order (priority labels, then number).
 */
function queuePolicy(state: PoolState): PoolDecision {
  const prow = prowPolicy(state);
  const dropped = prow.verdicts.filter((verdict) => verdict.state === 'failure' || verdict.state === 'excluded');
  const droppedNumbers = new Set(dropped.map((verdict) => verdict.number));
  const kept = pullOrder(
    state.pulls.filter((pull) => !droppedNumbers.has(pull.number)),
    state.settings.priority,
  );
  return queueDecision(state, { kept, dropped });
}

export function policyFor(name: PoolPolicyName): PoolPolicy {
  return POLICIES[name];
}

/** The decision for one pool, by the policy its settings name. */
export function decidePool(state: PoolState): PoolDecision {
  return policyFor(state.settings.policy)(state);
}
