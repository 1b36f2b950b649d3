import type { PoolDecision, PoolState } from './model';

/**
 * The merge pool's decision for one pool at one sync: which PRs are in the pool and why, and what
 * to do (merge, test, wait). The scheduler's sync and the merge-pool simulator both call this.
 */
export type PoolPolicy = (state: PoolState) => PoolDecision;
