import { z } from 'zod';
import type { PullRequestCommit } from '../github/client';
import { deleteBotComments } from '../github/membership';
import { pluginSection } from '../config/plugin-section';
import { definePlugin } from './plugin';
import { formatNotice } from './respond';

/**
 * invalidcommitmsg (Prow's pkg/plugins/invalidcommitmsg): GitHub closes an issue when a merged
 * commit's message says "fixes #123", so a PR that is only part of the fix (or a cherry-pick of it)
 * would close the issue early. Such PRs, and PRs carrying fixup!/amend!/squash! commits meant to be
 * squashed before merging, get the `do-not-merge/invalid-commit-message` label and one comment
 * listing the offending commits; both go once the commits are fixed.
 */

export const INVALID_COMMIT_MSG_LABEL = 'do-not-merge/invalid-commit-message';

/**
 * Prow's marker for this notice: kept identical so that the notices Prow left on a migrating
 * repository's open PRs are replaced like ours.
 */
export const INVALID_COMMIT_MSG_MARKER = '<!-- [prow:invalid-commit-message] -->';
/** Phrases of the notices older Prow versions posted, before the marker existed. */
const LEGACY_NOTICE_PHRASES = [
  '**The list of commits with invalid commit messages**:',
  'not allowed in the title of a Pull Request',
];

/** The checks a repository may turn off, by the names Prow's config uses. */
export const FIXUP_PREFIX_CHECK = 'fixupPrefix';
export const ISSUE_CLOSING_KEYWORDS_CHECK = 'issueClosingKeywords';

/**
 * GitHub's closing keywords followed by an issue reference, as Prow matches them: anywhere in the
 * text, keyword in any case (so "prefix #1" counts, as it does for Prow), whitespace as Go's `\s`.
 */
const CLOSE_ISSUE = /(?:close[sd]?|fix(?:es|ed)?|resolve[sd]?)[\t\n\f\r :]+(?:\w+\/\w+)?#\d+/i;
const FIXUP_SUBJECT = /^(?:fixup!|amend!|squash!)/;

// ---- plugins.yaml `invalid_commit_msg:` ----

export const InvalidCommitMsgSchema = z.object({
  /** "org" or "org/repo". */
  repos: z.array(z.string()).optional(),
  checks: z.array(z.object({ name: z.string(), disabled: z.boolean().optional() })).optional(),
});
export type InvalidCommitMsgSettings = z.infer<typeof InvalidCommitMsgSchema>;

export const invalidCommitMsgSection = pluginSection('invalid_commit_msg', z.array(InvalidCommitMsgSchema));

/** The entry for a repository: one naming the repo wins over one naming its org, as in Prow. */
export function invalidCommitMsgFor(
  entries: readonly InvalidCommitMsgSettings[] | undefined,
  org: string,
  repo: string,
): InvalidCommitMsgSettings {
  const list = entries ?? [];
  return (
    list.find((entry) => entry.repos?.includes(`${org}/${repo}`)) ?? list.find((entry) => entry.repos?.includes(org)) ?? {}
  );
}

export function isCheckDisabled(settings: InvalidCommitMsgSettings, check: string): boolean {
  return settings.checks?.find((candidate) => candidate.name === check)?.disabled ?? false;
}

export function closesIssue(text: string): boolean {
  return CLOSE_ISSUE.test(text);
}

export function isFixupCommit(message: string): boolean {
  return FIXUP_SUBJECT.test(message.split('\n', 1)[0] ?? '');
}

export interface CommitMessageProblems {
  closingCommits: PullRequestCommit[];
  fixupCommits: PullRequestCommit[];
  closingTitle: boolean;
}

export function findProblems(
  title: string,
  commits: readonly PullRequestCommit[],
  settings: InvalidCommitMsgSettings,
): CommitMessageProblems {
  const checkClosing = !isCheckDisabled(settings, ISSUE_CLOSING_KEYWORDS_CHECK);
  const checkFixup = !isCheckDisabled(settings, FIXUP_PREFIX_CHECK);
  return {
    closingCommits: checkClosing ? commits.filter((commit) => closesIssue(commit.message)) : [],
    fixupCommits: checkFixup ? commits.filter((commit) => isFixupCommit(commit.message)) : [],
    closingTitle: checkClosing && closesIssue(title),
  };
}

export function hasProblems(problems: CommitMessageProblems): boolean {
  return problems.closingCommits.length > 0 || problems.fixupCommits.length > 0 || problems.closingTitle;
}

function commitList(org: string, repo: string, commits: readonly PullRequestCommit[]): string {
  return commits
    .map((commit) => `- [${commit.sha.slice(0, 7)}](https://github.com/${org}/${repo}/commits/${commit.sha}) ${commit.message.split('\n', 1)[0] ?? ''}`)
    .join('\n');
}

const KEYWORDS_LINK = '[Keywords](https://help.github.com/articles/closing-issues-using-keywords)';

/** The one notice listing every problem found, headed by the marker it is later found by. */
export function invalidCommitMsgNotice(org: string, repo: string, problems: CommitMessageProblems): string {
  const sections: string[] = [];
  if (problems.closingCommits.length > 0) {
    sections.push(
      `### Invalid commit messages\n\n${KEYWORDS_LINK} that close issues automatically, followed by an issue reference (#), ` +
        `are not allowed in commit messages: merging would close the issue.\n\n${commitList(org, repo, problems.closingCommits)}`,
    );
  }
  if (problems.fixupCommits.length > 0) {
    sections.push(
      '### Fixup/amend/squash commits\n\nTemporary fixup!, amend! and squash! commits are not allowed. Fold them into the commits ' +
        `they fix with [git rebase --autosquash](https://git-scm.com/docs/git-rebase#Documentation/git-rebase.txt---autosquash).\n\n` +
        commitList(org, repo, problems.fixupCommits),
    );
  }
  if (problems.closingTitle) {
    sections.push(`### Invalid PR title\n\n${KEYWORDS_LINK} that close issues are not allowed in PR titles. Use \`/retitle <new-title>\` to fix it.`);
  }
  return formatNotice(`${INVALID_COMMIT_MSG_MARKER}\n\nInvalid commit message issues detected\n\n${sections.join('\n\n')}`);
}

export function isInvalidCommitMsgNotice(body: string): boolean {
  return body.includes(INVALID_COMMIT_MSG_MARKER) || LEGACY_NOTICE_PHRASES.some((phrase) => body.includes(phrase));
}

export const invalidCommitMsg = definePlugin('invalidcommitmsg', {
  description:
    `Adds the '${INVALID_COMMIT_MSG_LABEL}' label to pull requests whose commit messages or title contain keywords that ` +
    'close issues automatically (such as "fixes #123"), or that contain temporary fixup!, amend! or squash! commits, ' +
    'with a comment listing them. Both go away once the commits and title are fixed.',
  config:
    "invalid_commit_msg: entries naming repos (org or org/repo), each with 'checks' that may disable " +
    `'${FIXUP_PREFIX_CHECK}' or '${ISSUE_CLOSING_KEYWORDS_CHECK}' (disabled: true).`,
})
  .settings(invalidCommitMsgSection)
  // Only these actions can change the commits or the title.
  .on(
    ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize', 'pull_request.edited'],
    async ({ event, org, repo, issue, github, plugins, log }) => {
      const settings = invalidCommitMsgFor(invalidCommitMsgSection.read(plugins), org, repo);
      const [labels, commits] = await Promise.all([issue.listIssueLabels(), issue.listPullRequestCommits()]);
      const problems = findProblems(event.payload.pull_request.title, commits, settings);
      const invalid = hasProblems(problems);
      const labelled = labels.includes(INVALID_COMMIT_MSG_LABEL);
      if (labelled && !invalid) await issue.removeLabel(INVALID_COMMIT_MSG_LABEL);
      else if (!labelled && invalid) await issue.addLabels([INVALID_COMMIT_MSG_LABEL]);
      // The notice is replaced on each change, so it always lists the commits as they are now.
      const deleted = await deleteBotComments(github, issue, isInvalidCommitMsgNotice);
      if (invalid) await issue.createComment(invalidCommitMsgNotice(org, repo, problems));
      log.info('checked commit messages', {
        number: issue.number,
        closingCommits: problems.closingCommits.length,
        fixupCommits: problems.fixupCommits.length,
        closingTitle: problems.closingTitle,
        deletedNotices: deleted,
      });
    },
  );
