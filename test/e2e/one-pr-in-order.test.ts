import { describe, expect, it, onTestFinished } from 'vitest';
import { TOPICS } from '../../shared/bus/bus';
import { InProcessBus } from '../../shared/bus/in-process';
import { createGitHubClient } from '../../shared/github/octokit';
import { memoryLogger } from '../../shared/log/logger';
import { PLUGINS } from '../../shared/plugins/registry';
import { DEPLOYED_SUBSCRIPTIONS, EVENTS_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { EmbeddedStore } from '../../shared/store/embedded';
import type { DeliveryStore, Store } from '../../shared/store/store';
import { LANES } from '../../shared/plugins/lanes';
import { handleGitHubEventMessage } from '../../shared/webhook/events';
import { receiveWebhook } from '../../shared/webhook/receive';
import { buildFromFiles, expectLoaded, yaml } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import { waitFor } from '../support/wait';

/**
 * One issue, one order (issue 25): comments on one pull request, sent by GitHub in quick
 * succession, reach the plugins one at a time and in the order GitHub sent them — through the
 * webhook (which publishes them under the PR's ordering key) and the `events` subscription as
 * the deployment declares it (ordered) — on the embedded store and bus. Seen where a user sees
 * it: `/kind bug`, `/remove-kind bug`, `/kind feature` leave the PR with kind/feature only, and
 * GitHub received the label writes in that order. Handled out of order, the removal finds no label
 * to remove and kind/bug stays.
 */
const SECRET = 'one-pr-in-order-secret-3c1d';
const REPO = 'acme/widgets';
const PR = 7;
const COMMANDS = ['/kind bug', '/remove-kind bug', '/kind feature'] as const;
const PLUGINS_YAML = yaml(`
  plugins:
    acme:
      plugins: [label]
`);

/** What happened to each delivery, in the order it happened. */
type Step = `claimed ${number}` | `done ${number}` | `failed ${number}`;

interface Harness {
  github: FakeGitHub;
  steps: Step[];
  /** Sends the commands as GitHub would: one delivery after another, each acknowledged with 200. */
  sendAll(): Promise<void>;
  /** The delivery ID of command `index` (0-based), as the scenario hooks see it. */
  deliveryId(index: number): string;
}

/**
 * `beforeClaim` runs before each attempt to claim a delivery's processing, where a test slows down
 * or fails the handling of one delivery.
 */
async function harness(beforeClaim: (deliveryId: string, steps: Step[]) => Promise<void>): Promise<Harness> {
  const github = await startFakeGitHub();
  github.addRepo(REPO);
  github.addRepoLabels(REPO, ['kind/bug', 'kind/feature']);
  github.addPullRequest(REPO, { number: PR, author: 'contributor', headSha: '7'.repeat(40) });
  const store = EmbeddedStore.open();
  const bus = new InProcessBus();
  onTestFinished(async () => {
    await bus.close();
    await store.close();
    await github.close();
  });

  const deliveryId = (index: number) => `comment-${index + 1}`;
  const indexOf = (id: string) => Number(id.replace('comment-', ''));
  const steps: Step[] = [];
  const deliveries = recordingDeliveries(store.deliveries, steps, indexOf, beforeClaim);
  const recordingStore: Store = { ...store, deliveries, close: () => store.close() };

  // The events subscription exactly as deployed (ordered), with a test's quick backoff.
  const events = DEPLOYED_SUBSCRIPTIONS.find((spec) => spec.name === EVENTS_SUBSCRIPTION);
  if (!events?.messageOrdering) throw new Error('the deployment declares no ordered events subscription');
  await bus.declare([TOPICS.githubEvents], [{ ...events, minBackoffMs: 100, maxBackoffMs: 1_000 }]);

  const config = expectLoaded(buildFromFiles({ jobs: {}, plugins: PLUGINS_YAML }));
  const client = createGitHubClient({ baseUrl: github.url, auth: { token: 'order-token' }, pacing: false, retryAfterBaseMs: 1 });
  const log = memoryLogger();
  await bus.subscribe(EVENTS_SUBSCRIPTION, async (message) => {
    await handleGitHubEventMessage(
      { plugins: PLUGINS, github: () => client, store: recordingStore, config, pluginConfig: config.plugins ?? {}, log },
      message,
      LANES.plugins,
    );
  });

  const sendAll = async () => {
    for (const [index, command] of COMMANDS.entries()) {
      const body = JSON.stringify(issueComment({ number: PR, commenter: 'contributor', comment: command, commentId: 1_000 + index }));
      const answer = await receiveWebhook(
        { secrets: [SECRET], deliveries: store.deliveries, bus, log },
        { headers: signedHeaders(SECRET, 'issue_comment', body, deliveryId(index)), rawBody: Buffer.from(body) },
      );
      expect(answer.status).toBe(200);
    }
  };
  return { github, steps, sendAll, deliveryId };
}

function recordingDeliveries(
  deliveries: DeliveryStore,
  steps: Step[],
  indexOf: (id: string) => number,
  beforeClaim: (deliveryId: string, steps: Step[]) => Promise<void>,
): DeliveryStore {
  return {
    isAccepted: (id) => deliveries.isAccepted(id),
    recordAccepted: (id) => deliveries.recordAccepted(id),
    claimProcessing: async (id, holder, leaseMs) => {
      try {
        await beforeClaim(id, steps);
      } catch (error) {
        steps.push(`failed ${indexOf(id)}`);
        throw error;
      }
      const claim = await deliveries.claimProcessing(id, holder, leaseMs);
      if (claim.outcome === 'claimed') steps.push(`claimed ${indexOf(id)}`);
      return claim;
    },
    renewProcessing: (id, holder, leaseMs) => deliveries.renewProcessing(id, holder, leaseMs),
    finishProcessing: async (id) => {
      await deliveries.finishProcessing(id);
      steps.push(`done ${indexOf(id)}`);
    },
    releaseProcessing: (id, holder) => deliveries.releaseProcessing(id, holder),
    countSince: (since) => deliveries.countSince(since),
    get: (id) => deliveries.get(id),
  };
}

/** The label writes GitHub received for the PR, in the order it received them. */
function labelWrites(github: FakeGitHub): string[] {
  return github.requests
    .filter((request) => request.path.startsWith(`/repos/${REPO}/issues/${PR}/labels`) && request.method !== 'GET')
    .map((request) =>
      request.method === 'DELETE'
        ? `remove ${decodeURIComponent(request.path.split('/').pop() ?? '')}`
        : `add ${(request.body as { labels: string[] }).labels.join(',')}`,
    );
}

describe('one pull request, one order, end to end', () => {
  it('handles comments sent in quick succession one at a time, in the order GitHub sent them, however slow the first', async () => {
    let allSent = false;
    let secondArrived = false;
    const { github, steps, sendAll, deliveryId } = await harness(async (id, recorded) => {
      if (id === deliveryId(1)) secondArrived = true;
      if (id !== deliveryId(0) || recorded.length > 0) return;
      // The first comment's handling stalls until all three are on the bus: a bus that let the
      // second one through now would show it here, claimed before the first.
      await waitFor(() => allSent, 'every comment sent');
      await waitFor(() => secondArrived, 'the second comment handled', 1_500).catch(() => undefined);
    });
    await sendAll();
    allSent = true;

    await waitFor(() => steps.length === 6, 'all three comments handled');
    expect(steps).toEqual(['claimed 1', 'done 1', 'claimed 2', 'done 2', 'claimed 3', 'done 3']);
    expect(labelWrites(github)).toEqual(['add kind/bug', 'remove kind/bug', 'add kind/feature']);
    expect(github.labels(REPO, PR)).toEqual(['kind/feature']);
  });

  it('redelivers the first comment after its handling failed, before the later ones', async () => {
    const { github, steps, sendAll, deliveryId } = await harness(async (id, recorded) => {
      if (id === deliveryId(0) && recorded.length === 0) throw new Error('injected failure: the store is unreachable');
    });
    await sendAll();

    await waitFor(() => steps.length === 7, 'all three comments handled, the first after a retry');
    expect(steps).toEqual(['failed 1', 'claimed 1', 'done 1', 'claimed 2', 'done 2', 'claimed 3', 'done 3']);
    expect(labelWrites(github)).toEqual(['add kind/bug', 'remove kind/bug', 'add kind/feature']);
    expect(github.labels(REPO, PR)).toEqual(['kind/feature']);
  });
});
