import type { GitHubClient } from '../github/client';
import type { EngineDependencies } from '../plugins/engine';

/**
 * For a delivery run again after an attempt that stopped between running the plugins and marking
 * the delivery done (shared/webhook/process-once.ts, a takeover): the plugins decide from GitHub's
 * state, so labels and jobs come out the same, but a reply comment would be posted a second time.
 * On such a run only, a comment whose exact text the bot already posted on that issue or PR is not
 * posted again. Normal runs skip the extra read: a user who repeats a command gets a repeat reply.
 */
export function replayGuarded(dependencies: EngineDependencies): EngineDependencies {
  return { ...dependencies, github: (installationId) => withoutRepeatedComments(dependencies.github(installationId)) };
}

function withoutRepeatedComments(client: GitHubClient): GitHubClient {
  // A prototype link rather than a copy, so the client's own methods keep their `this`.
  const guarded = Object.create(client) as GitHubClient;
  guarded.createComment = async (owner, repo, number, body) => {
    const [bot, comments] = await Promise.all([client.botLogin(), client.listComments(owner, repo, number)]);
    const earlier = comments.find((comment) => comment.user.login === bot && comment.body === body);
    return earlier ?? client.createComment(owner, repo, number, body);
  };
  return guarded;
}
