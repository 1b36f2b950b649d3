import type { PullRequestCommit } from '../github/client';
import { deleteBotComments } from '../github/membership';
import { definePlugin } from './plugin';
import { formatNotice } from './respond';

/**
 * mergecommitblocker (Prow's pkg/plugins/mergecommitblocker): a pull request that carries merge
 * commits (usually from merging the base branch into the PR branch) gets the
 * `do-not-merge/contains-merge-commits` label, which Tide's queries exclude, and one comment asking
 * for a rebase. Once the merge commits are gone, the label and the comment go too.
 */

export const MERGE_COMMITS_LABEL = 'do-not-merge/contains-merge-commits';

/** The sentence the notice is recognised by when it is pruned, so it must stay stable. */
export const MERGE_COMMITS_NOTICE =
  `This pull request has been labelled \`${MERGE_COMMITS_LABEL}\`: it contains merge commits, which this repository does not accept.`;

const REBASE_ADVICE =
  'Please bring your branch up to date by rebasing it onto the target branch (`git fetch`, then `git rebase` onto ' +
  'the target, then force-push) rather than by merging the target branch in.';

/** How Prow's own notice reads, so that those left on a migrating repository's PRs are cleared too. */
const PROW_NOTICE_PHRASE = 'because PR contains merge commits';

export function isMergeCommitsNotice(body: string): boolean {
  return body.includes(MERGE_COMMITS_NOTICE) || body.includes(PROW_NOTICE_PHRASE);
}

/** A merge commit is one with more than one parent. */
export function mergeCommitsIn(commits: readonly PullRequestCommit[]): PullRequestCommit[] {
  return commits.filter((commit) => commit.parents.length > 1);
}

export const mergeCommitBlocker = definePlugin('mergecommitblocker', {
  description:
    `Adds the '${MERGE_COMMITS_LABEL}' label, with a comment asking for a rebase, to pull requests that contain merge commits; ` +
    'both are removed once the merge commits are gone. Pull requests are checked when opened, reopened or pushed to.',
}).on(
  ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize'],
  async ({ issue, github, log }) => {
    const [labels, commits] = await Promise.all([issue.listIssueLabels(), issue.listPullRequestCommits()]);
    const merges = mergeCommitsIn(commits);
    // GitHub keeps a label's case but matches names without it, as Prow's HasLabel does.
    const labelled = labels.some((name) => name.toLowerCase() === MERGE_COMMITS_LABEL);
    if (merges.length > 0 && !labelled) {
      log.info('pull request contains merge commits; labelling it', { number: issue.number, mergeCommits: merges.map((commit) => commit.sha) });
      await issue.addLabels([MERGE_COMMITS_LABEL]);
      await issue.createComment(formatNotice(`${MERGE_COMMITS_NOTICE}\n${REBASE_ADVICE}`));
    } else if (merges.length === 0 && labelled) {
      await issue.removeLabel(MERGE_COMMITS_LABEL);
      const deleted = await deleteBotComments(github, issue, isMergeCommitsNotice);
      log.info('merge commits are gone; removed the label', { number: issue.number, deletedNotices: deleted });
    }
  },
);
