import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { deadLetterTopicOf } from '../../shared/bus/bus';
import { handlePushed, receivedFromPush } from '../../shared/bus/push';
import { githubApiUrl } from '../../shared/github/environment';
import { GitHubClients, githubAuthFromEnv } from '../../shared/github/octokit';
import { handleWriterNudge } from '../../shared/outbox/cloud-writers';
import { writeLimitsFromEnv } from '../../shared/outbox/pace';
import { OutboxWriter, writerClientsOf } from '../../shared/outbox/writer';
import { cloudBus, cloudLogger, cloudStore } from '../../shared/runtime/cloud';
import { GITHUB_WRITER_SUBSCRIPTION, GITHUB_WRITER_TIMEOUT_SECONDS } from '../../shared/runtime/deployment';

/**
 * Pub/Sub `github-writes` → drains the named installation's GitHub write outbox, paced, under its
 * writer lease (shared/outbox/writer.ts). Wiring only. Stops a minute before the timeout, so a
 * request in flight still ends inside it; the scheduler's tick wakes a writer for what is left.
 */
const SUBSCRIPTION = GITHUB_WRITER_SUBSCRIPTION;
const MARGIN_MS = 60_000;

let writer: OutboxWriter | undefined;

function wire(): OutboxWriter {
  const auth = githubAuthFromEnv(process.env);
  if (!auth) throw new Error('no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY(_FILE), or GITHUB_TOKEN');
  return new OutboxWriter({
    outbox: cloudStore().outbox,
    github: writerClientsOf(new GitHubClients({ baseUrl: githubApiUrl(), auth, logger: cloudLogger() })),
    log: cloudLogger(),
    limits: writeLimitsFromEnv(process.env),
  });
}

cloudEvent('github-writer', async (event: CloudEvent<unknown>) => {
  writer ??= wire();
  const drainer = writer;
  const deadline = Date.now() + GITHUB_WRITER_TIMEOUT_SECONDS * 1000 - MARGIN_MS;
  await handlePushed(
    receivedFromPush(event.data),
    async (received) => {
      await handleWriterNudge(drainer, received, deadline);
    },
    { bus: cloudBus(), topic: deadLetterTopicOf(SUBSCRIPTION), subscription: SUBSCRIPTION },
  );
});
