import { githubApiUrl } from '../github/environment';
import { GitHubClients, githubAuthFromEnv } from '../github/octokit';
import type { Logger } from '../log/logger';
import { outboxClientForRepository } from '../outbox/clients';
import type { WriterNudge } from '../outbox/nudge';
import type { OutboxStore } from '../store/outbox';
import type { TideSyncDependencies } from '../tide/sync';

/** What the scheduler's tide sync needs besides store, config and log. */
export type TideChannels = Omit<TideSyncDependencies, 'config' | 'store' | 'log'>;

export interface TideChannelOptions {
  /** `tide` statuses go through the outbox (coalesced, paced); its writer is woken by `nudge`. */
  outbox: OutboxStore;
  nudge: WriterNudge;
  /** The process's GitHub clients, when it has them already; else made from the environment. */
  clients?: GitHubClients;
  /** The status site, for the link of each `tide` status (STATUS_URL when unset). */
  statusSiteUrl?: string;
}

/**
 * Tide's GitHub wiring from the environment: reads and merges straight to GitHub (merges are paced
 * per identity and never wait behind comments), statuses through the outbox. Undefined without
 * GitHub credentials: there is nothing to merge with.
 */
export function tideChannelsFromEnv(env: NodeJS.ProcessEnv, log: Logger, options: TideChannelOptions): TideChannels | undefined {
  const auth = options.clients ? undefined : githubAuthFromEnv(env);
  const clients = options.clients ?? (auth ? new GitHubClients({ baseUrl: githubApiUrl(env), auth, logger: log }) : undefined);
  if (!clients) return undefined;
  const statusSiteUrl = options.statusSiteUrl ?? env.STATUS_URL;
  return {
    github: (org, repo) => clients.clientForRepository(org, repo),
    githubForOrg: (org) => clients.clientForOrg(org),
    statusWriter: outboxClientForRepository(clients, options.outbox, options.nudge, log),
    ...(statusSiteUrl ? { statusSiteUrl } : {}),
  };
}
