import { z } from 'zod';
import { checkGoRegexp, pluginSection } from '../config/plugin-section';
import type { PullRequestFile, ReactionContent } from '../github/client';
import { compileGoRegexp } from '../go/regexp';
import { pickBySeed } from './fun/pick';
import { definePlugin } from './plugin';
import { repoOwnersSettings } from './repo-owners';

/**
 * Prow's heart plugin (pkg/plugins/heart): celebrates with an emoji reaction two things — a new
 * comment on a pull request by one of the configured "adorees" that matches `commentregexp`, and
 * a newly opened pull request that adds lines to an OWNERS or OWNERS_ALIASES file. Prow picks the
 * reaction at random; Cutwater picks it by the comment's or PR's ID, so a redelivery repeats it.
 */

export const HeartSettingsSchema = z.object({
  /** GitHub logins whose comments get a reaction, matched exactly as Prow does. */
  adorees: z.array(z.string()).optional(),
  /** Comments by adorees that match get a reaction; with none set, no comment does. */
  commentregexp: z.string().optional(),
});
export type HeartSettings = z.infer<typeof HeartSettingsSchema>;

export const heartSection = pluginSection('heart', HeartSettingsSchema, (settings, report) => {
  // Prow compiles the expression while loading plugins.yaml and refuses the file when it cannot.
  if (settings.commentregexp) checkGoRegexp(report, ['commentregexp'], settings.commentregexp);
});

export const HEART_REACTIONS: readonly [ReactionContent, ...ReactionContent[]] = ['+1', 'heart', 'hooray'];

export function heartReaction(seed: number): ReactionContent {
  return pickBySeed(HEART_REACTIONS, seed);
}

/** Whether a new PR comment by `author` earns a reaction. */
export function adoresComment(settings: HeartSettings | undefined, author: string, body: string): boolean {
  const adorees = settings?.adorees ?? [];
  const pattern = settings?.commentregexp ?? '';
  if (adorees.length === 0 || pattern === '') return false;
  if (!adorees.includes(author)) return false;
  return compileGoRegexp(pattern).test(body);
}

/** Whether a PR's changes add lines to an OWNERS or OWNERS_ALIASES file (by the repo's configured names) anywhere in the tree. */
export function addsOwners(
  files: readonly Pick<PullRequestFile, 'filename' | 'additions'>[],
  filenames: { owners: string; ownersAliases: string },
): boolean {
  return files.some((file) => {
    const basename = file.filename.slice(file.filename.lastIndexOf('/') + 1);
    return (basename === filenames.owners || basename === filenames.ownersAliases) && file.additions > 0;
  });
}

export const heart = definePlugin('heart', {
  description:
    'The heart plugin celebrates certain GitHub actions with the reaction emojis. Emojis are added to pull requests that make additions to OWNERS or OWNERS_ALIASES files and to comments left by specified "adorees".',
  config:
    'The `heart` section lists the GitHub logins (`adorees`) whose pull request comments matching `commentregexp` get a reaction; with either left empty, no comment does.',
})
  .settings(heartSection)
  .on('issue_comment.created', async ({ event, issue, plugins, log }) => {
    const { comment } = event.payload;
    if (!event.payload.issue.pull_request) return;
    if (!adoresComment(heartSection.read(plugins), comment.user?.login ?? '', comment.body)) return;
    log.info('this is a wonderful thing', { number: issue.number, by: comment.user?.login });
    await issue.createCommentReaction(comment.id, heartReaction(comment.id));
  })
  .on('pull_request.opened', async (context) => {
    const { issue, org, repo, log } = context;
    const { filenames } = repoOwnersSettings(context, org, repo);
    if (!addsOwners(await issue.listPullRequestFiles(), filenames)) return;
    log.info('new OWNERS make me happy', { number: issue.number });
    await issue.createIssueReaction(heartReaction(issue.number));
  });
