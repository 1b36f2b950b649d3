import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { findCommands } from './comment-event';
import { definePlugin } from './plugin';
import { replyTo } from './respond';
import { membershipChecks } from '../github/membership';
import { triggerSettings, trustedUser } from './trigger-rules';

/**
 * retitle (Prow's pkg/plugins/retitle): lets trusted people rename an issue or pull request they
 * could not rename through GitHub's permissions, e.g. a contributor's PR.
 */

/**
 * GitHub closes issues named after these keywords when the PR merges, so a title carrying one
 * could close an issue nobody meant to close. Same keywords and shape as Prow's check
 * (invalidcommitmsg): keyword, spaces or a colon, an optional owner/repo, then #number.
 */
const CLOSING_KEYWORD = /(?:close[sd]?|fix(?:es|ed)?|resolve[sd]?)[\t\n\f\r :]+(?:\w+\/\w+)?#\d+/i;

export function mentionsClosingKeyword(title: string): boolean {
  return CLOSING_KEYWORD.test(title);
}

/** The title the first `/retitle` command asks for (trimmed), or undefined when there is none. */
export function requestedTitle(body: string): string | undefined {
  return findCommands(body, 'retitle')[0]?.args;
}

export const UNTRUSTED_MESSAGE =
  'Only trusted users, such as collaborators on this repository, can ask me to change a title.';
export const EMPTY_TITLE_MESSAGE = 'A title cannot be empty; write the new title after `/retitle`.';
export const CLOSING_KEYWORD_MESSAGE =
  'A title cannot contain [keywords that close issues automatically](https://docs.github.com/en/issues/tracking-your-work-with-issues/using-issues/linking-a-pull-request-to-an-issue#linking-a-pull-request-to-an-issue-using-a-keyword) followed by an issue reference.';

/** Why a trusted user's requested title is refused, or undefined when it may be used. */
export function titleProblem(title: string): string | undefined {
  if (title === '') return EMPTY_TITLE_MESSAGE;
  if (mentionsClosingKeyword(title)) return CLOSING_KEYWORD_MESSAGE;
  return undefined;
}

/** plugins.yaml `retitle:`. */
export const RetitleSettingsSchema = z.object({ allow_closed_issues: z.boolean().optional() });

export const retitleSection = pluginSection('retitle', RetitleSettingsSchema);

export const retitle = definePlugin('retitle', {
  description:
    "Lets trusted users change the title of an issue or pull request when GitHub's permissions would not let them.",
  config:
    '`retitle.allow_closed_issues` (default false): when true, closed issues and closed or merged pull ' +
    'requests can be retitled too; otherwise the command is ignored on them. Who counts as trusted follows ' +
    'the `triggers` entry for the repository (`only_org_members`, `trusted_apps`, `trusted_org`).',
  commands: [
    {
      usage: '/retitle <title>',
      description:
        'Sets the title of the issue or pull request. Titles that would close an issue on merge ' +
        '("fixes #123") are refused.',
      examples: ['/retitle Make widgets faster'],
      who: 'Trusted users: members of the organisation and collaborators on the repository.',
      featured: true,
    },
  ],
}).settings(retitleSection).onComment(async (context) => {
  const { comment, issue, github, org, repo } = context;
  if (!(retitleSection.read(context.plugins)?.allow_closed_issues ?? false) && comment.issueState !== 'open') return;
  if (comment.action !== 'created') return;
  const title = requestedTitle(comment.body);
  if (title === undefined) return;

  const trust = await trustedUser(
    membershipChecks(github),
    triggerSettings(context.plugins, org, repo),
    comment.author,
    org,
    repo,
  );
  if (!trust.trusted) {
    context.log.info('refused /retitle from an untrusted user', { user: comment.author });
    await issue.createComment(replyTo(comment, UNTRUSTED_MESSAGE));
    return;
  }
  const problem = titleProblem(title);
  if (problem) {
    await issue.createComment(replyTo(comment, problem));
    return;
  }
  await issue.updateIssue({ title });
  context.log.info('retitled', { number: comment.number, user: comment.author });
});
