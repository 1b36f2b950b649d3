import { GitHubClients, githubAuthFromEnv } from '../github/octokit';
import type { Logger } from '../log/logger';
import type { ReporterDependencies } from '../reporter/report-job';
import { incomingWebhookSender, slackWebhooksFromEnv } from '../reporter/slack';
import { githubApiUrl } from '../github/environment';

/** Where reports go, from the environment: what functions/reporter and the scheduler's sweep share. */
export type ReportChannels = Omit<ReporterDependencies, 'store' | 'config' | 'log'>;

export function reportChannelsFromEnv(
  env: NodeJS.ProcessEnv,
  log: Logger,
  publishReport?: ReporterDependencies['publishReport'],
): ReportChannels {
  const auth = githubAuthFromEnv(env);
  const clients = auth ? new GitHubClients({ baseUrl: githubApiUrl(env), auth }) : undefined;
  if (!clients) log.warn('GitHub reporting is off: no GitHub credentials (GITHUB_TOKEN, or GITHUB_APP_ID and its key)');
  const slackWebhooks = slackWebhooksFromEnv(env);
  return {
    now: Date.now,
    ...(clients ? { github: (org: string, repo: string) => clients.clientForRepository(org, repo) } : {}),
    ...(slackWebhooks ? { slack: incomingWebhookSender(slackWebhooks) } : {}),
    ...(publishReport ? { publishReport } : {}),
    ...(env.STATUS_URL ? { statusUrl: env.STATUS_URL } : {}),
    ...(env.ARTIFACTS_BUCKET ? { artifactsBucket: env.ARTIFACTS_BUCKET } : {}),
  };
}
