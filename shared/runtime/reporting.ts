import { GitHubClients, githubAuthFromEnv } from '../github/octokit';
import type { Logger } from '../log/logger';
import { outboxClientForRepository } from '../outbox/clients';
import type { WriterNudge } from '../outbox/nudge';
import type { ReporterDependencies } from '../reporter/report-job';
import { incomingWebhookSender, slackWebhooksFromEnv } from '../reporter/slack';
import { githubApiUrl } from '../github/environment';
import type { OutboxStore } from '../store/outbox';

/** Where reports go, from the environment: what functions/reporter and the scheduler's sweep share. */
export type ReportChannels = Omit<ReporterDependencies, 'store' | 'config' | 'log'>;

export interface ReportChannelOptions {
  /** GitHub statuses and comments go through the outbox; its writer is woken by `nudge`. */
  outbox: OutboxStore;
  nudge: WriterNudge;
  /** The process's GitHub clients, when it has them already; else made from the environment. */
  clients?: GitHubClients;
  publishReport?: ReporterDependencies['publishReport'];
}

export function reportChannelsFromEnv(env: NodeJS.ProcessEnv, log: Logger, options: ReportChannelOptions): ReportChannels {
  const auth = options.clients ? undefined : githubAuthFromEnv(env);
  const clients = options.clients ?? (auth ? new GitHubClients({ baseUrl: githubApiUrl(env), auth, logger: log }) : undefined);
  if (!clients) log.warn('GitHub reporting is off: no GitHub credentials (GITHUB_TOKEN, or GITHUB_APP_ID and its key)');
  const slackWebhooks = slackWebhooksFromEnv(env);
  return {
    now: Date.now,
    ...(clients ? { github: outboxClientForRepository(clients, options.outbox, options.nudge, log) } : {}),
    ...(slackWebhooks ? { slack: incomingWebhookSender(slackWebhooks) } : {}),
    ...(options.publishReport ? { publishReport: options.publishReport } : {}),
    ...(env.STATUS_URL ? { statusUrl: env.STATUS_URL } : {}),
    ...(env.ARTIFACTS_BUCKET ? { artifactsBucket: env.ARTIFACTS_BUCKET } : {}),
  };
}
