import type { PoolSettings } from './model';

/**
 * The pool's order: Prow's `priority` label sets first (`hasAllLabels`), then the lowest PR
 * number (`pickHighestPriorityPR`).
 */

type Priority = PoolSettings['priority'];

interface Labelled {
  number: number;
  labels: readonly string[];
}

/**
 * Prow's `hasAllLabels`: the PR has every wanted label, an entry with commas accepting any of its
 * alternatives ("kind/bug,kind/regression").
 */
export function hasAllLabels(labels: readonly string[], wanted: readonly string[]): boolean {
  const have = new Set(labels);
  return wanted.every((entry) => entry.split(',').some((alternative) => have.has(alternative)));
}

/** The index of the first priority set the PR matches; `priority.length` when it matches none. */
export function priorityTier(labels: readonly string[], priority: Priority): number {
  const tier = priority.findIndex((set) => hasAllLabels(labels, set.labels));
  return tier === -1 ? priority.length : tier;
}

/** PRs in the pool's order: best priority set first, then lowest number. */
export function pullOrder<T extends Labelled>(pulls: readonly T[], priority: Priority): T[] {
  return pulls
    .map((pull) => ({ pull, tier: priorityTier(pull.labels, priority) }))
    .sort((a, b) => a.tier - b.tier || a.pull.number - b.pull.number)
    .map(({ pull }) => pull);
}

/**
 * Prow's `pickHighestPriorityPR`: within the first priority set that has an eligible PR, the
 * eligible PR with the lowest number (the PRs matching no set form a last, catch-all set).
 */
export function pickHighestPriority<T extends Labelled>(pulls: readonly T[], priority: Priority, eligible: (pull: T) => boolean): T | undefined {
  return pullOrder(pulls, priority).find(eligible);
}

/** Why `chosen` goes before `other`, in the words the verdicts use. */
export function precedenceReason(chosen: Labelled, other: Labelled, priority: Priority): string {
  return priorityTier(chosen.labels, priority) < priorityTier(other.labels, priority) ? 'higher priority' : 'lower number';
}
