import type { GitHubClient } from '../github/client';
import type { GitHubClients } from '../github/octokit';
import type { Logger } from '../log/logger';
import type { OutboxStore } from '../store/outbox';
import { outboxGitHub } from './github';
import type { WriterNudge } from './nudge';

/**
 * Outbox-backed clients for work that starts from a repository rather than a webhook (the
 * reporter, the status page's actions): each names its cause, so a repeated report asks for the
 * same writes under the same keys.
 */
export function outboxClientForRepository(
  clients: GitHubClients,
  outbox: OutboxStore,
  nudge: WriterNudge,
  log: Logger,
): (owner: string, repo: string, cause: string) => Promise<GitHubClient> {
  return async (owner, repo, cause) => {
    const [client, installation] = await Promise.all([
      clients.clientForRepository(owner, repo),
      clients.installationKeyForRepository(owner, repo),
    ]);
    return outboxGitHub({ client, outbox, installation, cause, nudge, log });
  };
}
