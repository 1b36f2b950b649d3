import type { PoolDecision, PoolPolicyName, PoolState } from './model';
import { prowPolicy } from './prow-policy';

/**
 * The merge pool's decision for one pool at one sync: which PRs are in the pool and why, and what
 * to do (merge, test, wait). The scheduler's sync and the merge-pool simulator both call this.
 */
export type PoolPolicy = (state: PoolState) => PoolDecision;

const POLICIES: Record<PoolPolicyName, PoolPolicy> = {
  tide: prowPolicy,
  // Cutwater's queue policy lands separately; until then a pool set to `queue` behaves as Prow's.
  queue: prowPolicy,
};

export function policyFor(name: PoolPolicyName): PoolPolicy {
  return POLICIES[name];
}

/** The decision for one pool, by the policy its settings name. */
export function decidePool(state: PoolState): PoolDecision {
  return policyFor(state.settings.policy)(state);
}
