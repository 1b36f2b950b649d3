import type { RepoOwners } from '../owners/owners';
import { definePlugin } from './plugin';
import { loadOwnersForPaths, repoOwnersSettings } from './repo-owners';

/**
 * owners-label (Prow's pkg/plugins/owners-label): OWNERS files may list `labels:` for their
 * directory (and, through filters, for some files in it); a pull request changing files there gets
 * those labels, including the ones OWNERS files further up list. Labels the repository does not
 * have are not added, nor ever removed later: the plugin only adds.
 */

/** The labels OWNERS files ask for the changed files, sorted. */
export function ownersLabelsFor(owners: Pick<RepoOwners, 'labelsForFile'>, paths: readonly string[]): string[] {
  const wanted = new Set<string>();
  for (const path of paths) for (const label of owners.labelsForFile(path)) wanted.add(label);
  return [...wanted].sort();
}

/** Which wanted labels to add: those missing from the PR that the repository has (names compared exactly, as Prow does). */
export function ownersLabelsToAdd(
  wanted: readonly string[],
  current: readonly string[],
  repoLabels: readonly string[],
): { add: string[]; nonexistent: string[] } {
  const existing = new Set(repoLabels);
  const missing = wanted.filter((label) => !current.includes(label));
  return { add: missing.filter((label) => existing.has(label)), nonexistent: missing.filter((label) => !existing.has(label)) };
}

export const ownersLabel = definePlugin('owners-label', {
  description:
    "Labels pull requests from the files they change: the 'labels' that OWNERS files (at the PR's base branch) list for a " +
    'changed file, including those of OWNERS files in the directories above, are added when missing. Labels the repository ' +
    'does not have are skipped. Pull requests are checked when opened, reopened or pushed to.',
}).on(
  ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize'],
  async (context) => {
    const { event, issue, repository, log } = context;
    const paths = (await issue.listPullRequestFiles()).map((file) => file.filename);
    // Only labels are read, so checking who is a collaborator would spend requests for nothing.
    const settings = { ...repoOwnersSettings(context, context.org, context.repo), skipCollaborators: true };
    const owners = await loadOwnersForPaths(context, event.payload.pull_request.base.ref, paths, settings);
    const wanted = ownersLabelsFor(owners, paths);
    // Most PRs touch no labelled directory: no need to read any labels then.
    if (wanted.length === 0) return;

    const [repoLabels, current] = await Promise.all([repository.listRepoLabels(), issue.listIssueLabels()]);
    const { add, nonexistent } = ownersLabelsToAdd(wanted, current, repoLabels.map((label) => label.name));
    if (nonexistent.length > 0) log.warn('OWNERS files list labels the repository does not have', { labels: nonexistent });
    if (add.length > 0) {
      log.info('labelling from OWNERS files', { number: issue.number, labels: add });
      await issue.addLabels(add);
    }
  },
);
