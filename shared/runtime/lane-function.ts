import type { CloudEvent } from '@google-cloud/functions-framework';
import { DEFAULT_SUBSCRIPTION_POLICY, deadLetterTopicOf } from '../bus/bus';
import { handlePushed, receivedFromPush } from '../bus/push';
import type { CherryPicker } from '../cherrypick/job';
import type { ConfigSource } from '../config/config-source';
import { githubApiUrl, webhookSecrets } from '../github/environment';
import { GitHubClients, githubAuthFromEnv } from '../github/octokit';
import { incomingWebhookSender, slackWebhooksFromEnv, type SlackSender } from '../reporter/slack';
import type { WriterNudge } from '../outbox/nudge';
import type { DispatchLane } from '../plugins/lanes';
import type { Plugin } from '../plugins/plugin';
import { handleGitHubEventMessage } from '../webhook/events';
import { cloudBus, cloudLogger, cloudStore } from './cloud';

/**
 * The body of a function that serves one lane of `github-events` (shared/plugins/lanes.ts): the
 * events function (the plugins lane) and the trigger function (the jobs lane). Their entry files
 * name what differs — lane, subscription, plugins, config, nudge — and this does the rest.
 */
export interface LaneFunctionOptions {
  lane: DispatchLane;
  subscription: string;
  plugins: readonly Plugin[];
  /** Built on the first delivery, so a cold start reads config only when it has work. */
  config: () => ConfigSource;
  nudge: WriterNudge;
  /** Where the cherrypicker plugin's requests go (the plugins lane). */
  cherryPicker?: () => CherryPicker;
}

export function laneFunction(options: LaneFunctionOptions): (event: CloudEvent<unknown>) => Promise<void> {
  let wiring: { clients: GitHubClients; config: ConfigSource; hmacSecret: string | undefined; slack: SlackSender | undefined } | undefined;
  const wire = (): NonNullable<typeof wiring> => {
    const auth = githubAuthFromEnv(process.env);
    if (!auth) throw new Error('no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY(_FILE), or GITHUB_TOKEN');
    return {
      clients: new GitHubClients({ baseUrl: githubApiUrl(), auth, logger: cloudLogger() }),
      config: options.config(),
      hmacSecret: webhookSecrets()[0],
      // The reporter's webhooks (SLACK_WEBHOOKS / SLACK_WEBHOOK_URL) serve plugins too.
      slack: ((webhooks) => (webhooks ? incomingWebhookSender(webhooks) : undefined))(slackWebhooksFromEnv(process.env)),
    };
  };
  return async (event) => {
    wiring ??= wire();
    const { clients, config: configSource, hmacSecret, slack } = wiring;
    await handlePushed(
      receivedFromPush(event.data),
      async (received) => {
        const config = await configSource.current();
        await handleGitHubEventMessage(
          {
            plugins: options.plugins,
            github: (installationId) => clients.clientForInstallation(installationId),
            store: cloudStore(),
            config,
            pluginConfig: config.plugins ?? {},
            log: cloudLogger(),
            ...(hmacSecret ? { hmacSecret } : {}),
            ...(slack ? { slack } : {}),
            outbox: { nudge: options.nudge, installationKey: (installationId) => clients.installationKey(installationId) },
            ...(options.cherryPicker ? { cherryPicker: options.cherryPicker() } : {}),
          },
          received,
          options.lane,
        );
      },
      {
        bus: cloudBus(),
        topic: deadLetterTopicOf(options.subscription),
        subscription: options.subscription,
        // The subscription is ordered: a delivery that keeps failing is dead-lettered here on its
        // last attempt rather than left to Pub/Sub's best effort, so the PR's later deliveries go on.
        maxDeliveryAttempts: DEFAULT_SUBSCRIPTION_POLICY.maxDeliveryAttempts,
      },
    );
  };
}
