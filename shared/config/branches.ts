import type { BranchMatchers } from './model';

/** What a job declares about branches: the raw lists (for set logic) and their compiled regexps. */
export interface BranchSelector {
  readonly branches?: readonly string[];
  readonly skip_branches?: readonly string[];
  readonly matchers: BranchMatchers;
}

export function runsAgainstAllBranches(job: BranchSelector): boolean {
  return !job.branches?.length && !job.skip_branches?.length;
}

/**
 * Prow's `Brancher.ShouldRun`: skip_branches wins over branches; each list is one alternation
 * regexp matched anywhere in the branch name (so `release-1.2` also matches `release-1.20`
 * unless the config anchors it).
 */
export function runsAgainstBranch(job: BranchSelector, branch: string): boolean {
  if (runsAgainstAllBranches(job)) return true;
  if (job.skip_branches?.length && job.matchers.skipBranches?.test(branch)) return false;
  if (!job.branches?.length) return true;
  return job.matchers.branches?.test(branch) ?? false;
}

/**
 * Prow's `Brancher.Intersects`: could two jobs ever run against the same branch? Used to decide
 * whether two jobs with one name, or one context, conflict.
 */
export function branchesIntersect(a: BranchSelector, b: BranchSelector): boolean {
  if (runsAgainstAllBranches(a) || runsAgainstAllBranches(b)) return true;
  if (a.branches?.length) {
    if (b.branches?.length) return a.branches.some((branch) => b.branches!.includes(branch));
    return a.branches.some((branch) => runsAgainstBranch(b, branch));
  }
  if (!b.branches?.length) return true;
  return branchesIntersect(b, a);
}
