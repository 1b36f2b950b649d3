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
  github: Pick<GitHubClient, 'botLogin' | 'listComments' | 'deleteComment'>,
  { org, repo, number }: { org: string; repo: string; number: number },
  isStale: (body: string) => boolean,
): Promise<number> {
  const [bot, comments] = await Promise.all([github.botLogin(), github.listComments(org, repo, number)]);
  const stale = comments.filter((comment) => isBotAccount(bot, comment.user.login) && isStale(comment.body));
  for (const comment of stale) await github.deleteComment(org, repo, comment.id);
  return stale.length;
}

/**
 * The membership questions trust is decided from, answered by the GitHub client. Each question is
 * asked at most once per checks object: one decision often asks about the same person twice.
 */
export function membershipChecks(
  github: Pick<GitHubClient, 'botLogin' | 'isOrgMember' | 'isCollaborator'>,
): MembershipChecks {
  const answers = new Map<string, Promise<boolean>>();
  const once = (key: string, ask: () => Promise<boolean>) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = ask();
      answers.set(key, answer);
    }
    return answer;
  };
  return {
    isBot: (login) => once(`bot:${login}`, async () => isBotAccount(await github.botLogin(), login)),
    isOrgMember: (org, login) => once(`member:${org}:${login}`, () => github.isOrgMember(org, login)),
    isCollaborator: (org, repo, login) =>
      once(`collaborator:${org}/${repo}:${login}`, () => github.isCollaborator(org, repo, login)),
  };
}
