import type { GitHubClient } from './client';

/** The membership questions trust is decided from (Prow's trust model), answered by the GitHub client. */
export interface MembershipChecks {
  isBot(login: string): Promise<boolean>;
  isOrgMember(org: string, login: string): Promise<boolean>;
  isCollaborator(org: string, repo: string, login: string): Promise<boolean>;
}
/** Who is who on GitHub: the bot's own account, org members and collaborators; the bot's own comments. */

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

