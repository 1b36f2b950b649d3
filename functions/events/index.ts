import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { DEFAULT_SUBSCRIPTION_POLICY, deadLetterTopicOf } from '../../shared/bus/bus';
import { EVENTS_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { handlePushed, receivedFromPush } from '../../shared/bus/push';
import { GitHubClients, githubAuthFromEnv } from '../../shared/github/octokit';
import { PLUGIN_SETTINGS, PLUGINS } from '../../shared/plugins/registry';
import { cloudBus, cloudLogger, cloudNudge, cloudStore } from '../../shared/runtime/cloud';
import { configSourceFromEnv, type ConfigSource } from '../../shared/config/config-source';
import { githubApiUrl, webhookSecrets } from '../../shared/github/environment';
import { handleGitHubEventMessage } from '../../shared/webhook/events';

/** Pub/Sub `github-events` → the plugins (Prow's hook, plugin half). Wiring only. */
const SUBSCRIPTION = EVENTS_SUBSCRIPTION;

let wiring: { clients: GitHubClients; config: ConfigSource; hmacSecret: string | undefined } | undefined;

function wire(): NonNullable<typeof wiring> {
  const auth = githubAuthFromEnv(process.env);
  if (!auth) throw new Error('no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY(_FILE), or GITHUB_TOKEN');
  return {
    clients: new GitHubClients({ baseUrl: githubApiUrl(), auth, logger: cloudLogger() }),
    config: configSourceFromEnv(process.env, cloudLogger(), { pluginSettings: PLUGIN_SETTINGS }),
    hmacSecret: webhookSecrets()[0],
  };
}

cloudEvent('events', async (event: CloudEvent<unknown>) => {
  wiring ??= wire();
  const { clients, config: configSource, hmacSecret } = wiring;
  const message = receivedFromPush(event.data);
  await handlePushed(
    message,
    async (received) => {
      const config = await configSource.current();
      await handleGitHubEventMessage(
        {
          plugins: PLUGINS,
          github: (installationId) => clients.clientForInstallation(installationId),
          store: cloudStore(),
          config,
          pluginConfig: config.plugins ?? {},
          log: cloudLogger(),
          ...(hmacSecret ? { hmacSecret } : {}),
          outbox: { nudge: cloudNudge, installationKey: (installationId) => clients.installationKey(installationId) },
        },
        received,
      );
    },
    {
      bus: cloudBus(),
      topic: deadLetterTopicOf(SUBSCRIPTION),
      subscription: SUBSCRIPTION,
      // The subscription is ordered: a delivery that keeps failing is dead-lettered here on its
      // last attempt rather than left to Pub/Sub's best effort, so the PR's later deliveries go on.
      maxDeliveryAttempts: DEFAULT_SUBSCRIPTION_POLICY.maxDeliveryAttempts,
    },
  );
});
