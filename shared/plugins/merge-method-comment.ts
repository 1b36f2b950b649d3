import type { Config } from '../config/model';
import { isBotAccount } from '../github/membership';
import { configuredMergeMethod, tideConfig } from '../tide/config';
import { definePlugin } from './plugin';
import { formatNotice } from './respond';

/**
 * merge-method-comment (Prow's pkg/plugins/merge-method-comment): tells the author of a pull
 * request with several commits how Tide will merge it — merged as they are or squashed into one —
 * and which label asks for the other way, so nobody is surprised by the shape of the history.
 */

/**
 * The notice for a PR, or undefined when it has a single commit (there is nothing to squash). The
 * wording is Prow's, word for word: the bot recognises its earlier notice by it, including the
 * notices Prow left on PRs opened before a repository moved to Cutwater.
 */
export function mergeMethodNotice(config: Config, org: string, repo: string, branch: string, commits: number): string | undefined {
  if (commits <= 1) return undefined;
  const tide = tideConfig(config);
  const method = configuredMergeMethod(config, org, repo, branch);
  const opening = `This PR has multiple commits, and the default merge method is: ${method}.\n`;
  if (method === 'squash') {
    return tide.merge_label
      ? `${opening}You can request commits to be merged using the label: ${tide.merge_label}`
      : `${opening}Commits will be squashed, as no merge labels are defined`;
  }
  if (method === 'merge') {
    return tide.squash_label
      ? `${opening}You can request commits to be squashed using the label: ${tide.squash_label}`
      : `${opening}Commits will be merged, as no squash labels are defined`;
  }
  // Prow says nothing more for rebase: there is no label to ask for a merge or squash instead.
  return opening;
}

export const mergeMethodComment = definePlugin('merge-method-comment', {
  description:
    'Comments on pull requests with more than one commit, saying whether Tide will merge or squash the commits by default and which label asks for the other.',
}).on(
  // The actions after which the commits may have changed, as in Prow.
  ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize', 'pull_request.edited'],
  async ({ event, config, org, repo, issue, github, log }) => {
    const pr = event.payload.pull_request;
    // Some webhook shapes leave the count out; without it there is nothing to say.
    const commits = pr.commits ?? 0;
    const notice = mergeMethodNotice(config, org, repo, pr.base.ref, commits);
    if (!notice) return;
    const [bot, comments] = await Promise.all([github.botLogin(), issue.listComments()]);
    if (comments.some((comment) => isBotAccount(bot, comment.user.login) && comment.body.includes(notice))) return;
    log.info('explaining the merge method', { number: issue.number, commits });
    await issue.createComment(formatNotice(notice));
  },
);
