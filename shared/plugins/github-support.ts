import type { GitHubClient } from '../github/client';
import type { MembershipChecks } from './trigger-rules';

/** Small GitHub chores several plugins share. */

/**
 * Is `candidate` the account Cutwater comments as? A GitHub App's user appears both as `name` and
 * `name[bot]`, and logins are case-insensitive, so all those spellings are the bot.
 */
export function isBotAccount(botLogin: string, candidate: string): boolean {
  const bare = (login: string) => login.toLowerCase().replace(/\[bot\]$/, '');
  return bare(candidate) === bare(botLogin);
}

/** Deletes the bot's own comments that `isStale` picks, leaving everybody else's alone. */
export async function deleteBotComments(
  github: GitHubClient,
  org: string,
  repo: string,
  number: number,
  isStale: (body: string) => boolean,
): Promise<number> {
  const bot = await github.botLogin();
  const stale = (await github.listComments(org, repo, number)).filter(
    (comment) => isBotAccount(bot, comment.user.login) && isStale(comment.body),
  );
  for (const comment of stale) await github.deleteComment(org, repo, comment.id);
  return stale.length;
}

/** The membership questions trust is decided from, answered by the GitHub client. */
export function membershipChecks(github: GitHubClient): MembershipChecks {
  return {
    isBot: async (login) => isBotAccount(await github.botLogin(), login),
    isOrgMember: (org, login) => github.isOrgMember(org, login),
    isCollaborator: (org, repo, login) => github.isCollaborator(org, repo, login),
  };
}

export type Sleep = (milliseconds: number) => Promise<void>;

export const realSleep: Sleep = (milliseconds) =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

