/**
 * The `tide` commit status's description, worded as Prow's pkg/tide/status.go words it so that
 * people (and their scripts) who read Prow's statuses read Cutwater's the same way: "In merge
 * pool." or "Not mergeable." and the first thing missing, within GitHub's 140 characters.
 */

export const STATUS_DESCRIPTION_LIMIT = 140;
export const IN_MERGE_POOL = 'In merge pool.';
const NOT_MERGEABLE = 'Not mergeable.';
/** Prow lists names until they would pass this many characters, always keeping the first. */
const LIST_CHARACTER_BUDGET = 50;

/** "Not mergeable." followed by what is missing, if known. */
export function notMergeable(detail?: string): string {
  return fitDescription(detail ? `${NOT_MERGEABLE} ${detail}` : NOT_MERGEABLE);
}

/** GitHub refuses a longer description; Prow cuts it the same way. */
export function fitDescription(text: string): string {
  return text.length <= STATUS_DESCRIPTION_LIMIT ? text : `${text.slice(0, STATUS_DESCRIPTION_LIMIT - 3)}...`;
}

/** The first names that fit the list budget (at least one), for a status that must stay short. */
export function namesWithinBudget(names: readonly string[]): string[] {
  const kept: string[] = [];
  let length = 0;
  for (const name of names) {
    if (kept.length > 0 && length + name.length > LIST_CHARACTER_BUDGET) break;
    length += name.length + (kept.length > 0 ? 2 : 0);
    kept.push(name);
  }
  return kept;
}

/** "Job a has not succeeded." or "Jobs a, b have not succeeded.", names sorted and deduplicated. */
export function jobsNotSucceeded(contexts: readonly string[]): string {
  const names = namesWithinBudget([...new Set(contexts)].sort());
  return names.length === 1 ? `Job ${names[0]} has not succeeded.` : `Jobs ${names.join(', ')} have not succeeded.`;
}

/** "Merging is blocked by issue 12." or "... by issues 12, 34." */
export function blockedByIssues(numbers: readonly number[]): string {
  const plural = numbers.length > 1 ? 's' : '';
  return `Merging is blocked by issue${plural} ${numbers.join(', ')}.`;
}

/**
 * Prow's `retestingStatus`: the PR is in the pool but these required jobs have not passed at the
 * pool's current base, so Tide is (or will be) testing it again.
 */
export function retesting(contexts: readonly string[]): string {
  const names = [...contexts].sort();
  const full = notMergeable(`Retesting: ${names.join(' ')}`);
  if (`${NOT_MERGEABLE} Retesting: ${names.join(' ')}`.length <= STATUS_DESCRIPTION_LIMIT) return full;
  return notMergeable(`Retesting ${names.length} job${names.length > 1 ? 's' : ''}.`);
}
