import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { deadLetterTopicOf } from '../../shared/bus/bus';
import { handlePushed, receivedFromPush } from '../../shared/bus/push';
import { CherryPickWorker, gitRemoteUrlFor } from '../../shared/cherrypick/worker';
import { githubApiUrl } from '../../shared/github/environment';
import { GitHubClients, githubAuthFromEnv } from '../../shared/github/octokit';
import { cloudBus, cloudLogger } from '../../shared/runtime/cloud';
import { CHERRYPICKER_SUBSCRIPTION } from '../../shared/runtime/deployment';

/**
 * Pub/Sub `cherry-picks` → one cherry-pick made with git (shared/cherrypick/worker.ts). Wiring
 * only. Deployed on the google-22-full base image, which ships `git`.
 */
const SUBSCRIPTION = CHERRYPICKER_SUBSCRIPTION;

let worker: CherryPickWorker | undefined;

function wire(): CherryPickWorker {
  const auth = githubAuthFromEnv(process.env);
  if (!auth) throw new Error('no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY(_FILE), or GITHUB_TOKEN');
  const clients = new GitHubClients({ baseUrl: githubApiUrl(), auth, logger: cloudLogger() });
  return new CherryPickWorker({
    github: (org, repo) => clients.cherryPickClientForRepository(org, repo),
    remoteUrl: gitRemoteUrlFor(githubApiUrl()),
    log: cloudLogger(),
  });
}

cloudEvent('cherrypicker', async (event: CloudEvent<unknown>) => {
  worker ??= wire();
  const picker = worker;
  await handlePushed(receivedFromPush(event.data), (received) => picker.handleMessage(received), {
    bus: cloudBus(),
    topic: deadLetterTopicOf(SUBSCRIPTION),
    subscription: SUBSCRIPTION,
  });
});
