import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { compileGoRegexp } from '../go/regexp';
import { definePlugin } from './plugin';

/**
 * branchcleaner (Prow's pkg/plugins/branchcleaner): deletes the source branch of a pull request
 * merged from a branch of the same repository, which keeps repositories that do not allow forks
 * free of merged branches. Branches listed under `preserved_branches` are never deleted.
 */

export const BranchCleanerSchema = z.object({
  /** "org" or "org/repo" → branch names or Go regular expressions (matched anywhere in the name). */
  preserved_branches: z.record(z.string(), z.array(z.string())).optional(),
});
export type BranchCleanerSettings = z.infer<typeof BranchCleanerSchema>;

export const branchCleanerSection = pluginSection('branch_cleaner', BranchCleanerSchema);

/** Prow's `IsPreservedBranch`: the repository's entries, then the org's; each exact or a regexp. */
export function isPreservedBranch(settings: BranchCleanerSettings | undefined, org: string, repo: string, branch: string): boolean {
  const preserved = settings?.preserved_branches ?? {};
  const patterns = [...(preserved[`${org}/${repo}`] ?? []), ...(preserved[org] ?? [])];
  return patterns.some((pattern) => pattern === branch || matchesPattern(pattern, branch));
}

function matchesPattern(pattern: string, branch: string): boolean {
  try {
    return compileGoRegexp(pattern).test(branch);
  } catch {
    // Prow ignores an entry that is not a regexp beyond comparing it as a plain name.
    return false;
  }
}

export const branchCleaner = definePlugin('branchcleaner', {
  description:
    "Deletes the source branch of a merged pull request when it came from a branch of the same repository. This is helpful to keep repos that don't allow forking clean.",
  config:
    '`branch_cleaner.preserved_branches` maps an org or org/repo to branches (names or regular expressions) never deleted.',
})
  .settings(branchCleanerSection)
  .on('pull_request.closed', async ({ event, org, repo, repository, plugins, log }) => {
    const pr = event.payload.pull_request;
    if (!pr.merged) return;
    // A fork's branch is not ours to delete; a deleted fork has no head repository at all.
    if (pr.head.repo?.full_name !== pr.base.repo.full_name) return;
    const branch = pr.head.ref;
    if (isPreservedBranch(branchCleanerSection.read(plugins), org, repo, branch)) return;
    log.info('deleting the merged branch', { number: pr.number, branch });
    await repository.deleteBranch(branch);
  });
