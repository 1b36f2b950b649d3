import { describe, expect, it, onTestFinished } from 'vitest';
import { TOPICS } from '../../../shared/bus/bus';
import { InProcessBus } from '../../../shared/bus/in-process';
import type { GitHubClient } from '../../../shared/github/client';
import { createGitHubClient } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { SELF_LGTM_REPLY } from '../../../shared/plugins/lgtm';
import { PLUGINS } from '../../../shared/plugins/registry';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { definePlugin } from '../../../shared/plugins/plugin';
import { LANES, laneDeliveryKey } from '../../../shared/plugins/lanes';
import { handleGitHubEventMessage } from '../../../shared/webhook/events';
import { DeliveryBusyError, processOnce } from '../../../shared/webhook/process-once';
import { EVENT_ATTRIBUTES, receiveWebhook } from '../../../shared/webhook/receive';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { startFakeGitHub } from '../../support/fake-github';
import { issueComment } from '../../support/payloads';
import { signedHeaders } from '../../support/signing';
import { waitFor } from '../../support/wait';

/** Each delivery's plugins run once, however many copies of its message the bus hands over. */
function openStore(): EmbeddedStore {
  const store = EmbeddedStore.open();
  onTestFinished(() => store.close());
  return store;
}

describe('processOnce', () => {
  const log = memoryLogger();

  it('runs a delivery once; a later copy is acknowledged without running', async () => {
    const store = openStore();
    let runs = 0;
    expect(await processOnce(store.deliveries, 'd-1', log, async () => ++runs)).toEqual({ ran: true, result: 1 });
    expect(await processOnce(store.deliveries, 'd-1', log, async () => ++runs)).toEqual({ ran: false });
    expect(runs).toBe(1);
  });

  it('has a copy that arrives mid-run wait for it, then acknowledge without running', async () => {
    const store = openStore();
    let finish = () => undefined as void;
    const first = processOnce(store.deliveries, 'd-2', log, () => new Promise<string>((resolve) => (finish = () => resolve('first'))));
    await waitFor(async () => (await store.deliveries.get('d-2'))?.processing !== undefined, 'the first attempt’s claim');
    let secondRan = false;
    const second = processOnce(store.deliveries, 'd-2', log, async () => (secondRan = true), { leaseMs: 5_000 });
    finish();
    expect(await first).toEqual({ ran: true, result: 'first' });
    expect(await second).toEqual({ ran: false });
    expect(secondRan).toBe(false);
  });

  it('gives a copy back to the bus while another attempt is alive and still busy', async () => {
    const store = openStore();
    let finish = () => undefined as void;
    const first = processOnce(store.deliveries, 'd-3', log, () => new Promise<void>((resolve) => (finish = resolve)), { leaseMs: 600 });
    await waitFor(async () => (await store.deliveries.get('d-3'))?.processing !== undefined, 'the first attempt’s claim');
    // The first attempt renews its claim, so waiting past the original lease still finds it held.
    await expect(processOnce(store.deliveries, 'd-3', log, async () => undefined, { leaseMs: 600, maxWaitMs: 900 })).rejects.toThrow(
      DeliveryBusyError,
    );
    finish();
    await first;
  });

  it('lets the next copy run at once when an attempt failed, and tells a copy that outlives a crashed attempt it is taking over', async () => {
    const store = openStore();
    await expect(processOnce(store.deliveries, 'd-4', log, () => Promise.reject(new Error('GitHub is down')))).rejects.toThrow(
      'GitHub is down',
    );
    expect(await processOnce(store.deliveries, 'd-4', log, async (attempt) => attempt)).toEqual({ ran: true, result: { takeover: false } });

    // A crashed attempt leaves its claim behind; it lapses and the next copy takes over.
    await store.deliveries.claimProcessing('d-5', 'crashed-attempt', 300);
    expect(await processOnce(store.deliveries, 'd-5', log, async (attempt) => attempt, { leaseMs: 300 })).toEqual({
      ran: true,
      result: { takeover: true },
    });
  });
});

describe('a handler that outlives the bus’s ack deadline', () => {
  it('has the redelivered copy post nothing twice', { timeout: 60_000 }, async () => {
    const SECRET = 'ack-deadline-secret';
    const github = await startFakeGitHub();
    onTestFinished(() => github.close());
    github.addRepo('acme/widgets');
    github.addOrgMember('acme', 'maintainer');
    github.addPullRequest('acme/widgets', { number: 9, author: 'maintainer', headSha: '9'.repeat(40) });
    const store = openStore();
    const bus = new InProcessBus();
    onTestFinished(() => bus.close());
    const ackDeadlineSeconds = 10;
    await bus.declare(
      [TOPICS.githubEvents],
      [{ name: 'events', topic: TOPICS.githubEvents, maxDeliveryAttempts: 5, minBackoffMs: 100, maxBackoffMs: 1_000, ackDeadlineSeconds }],
    );
    const config = expectLoaded(
      buildFromFiles({ plugins: yaml(`
        plugins:
          acme:
            plugins: [lgtm]
      `) }),
    );
    // GitHub answers the reply's write only after the ack deadline has passed.
    const client = createGitHubClient({ baseUrl: github.url, auth: { token: 't' }, pacing: false, retryAfterBaseMs: 1 });
    const slow = Object.create(client) as GitHubClient;
    slow.createComment = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, (ackDeadlineSeconds + 2) * 1_000));
      return client.createComment(...args);
    };
    const log = memoryLogger();
    let copies = 0;
    await bus.subscribe('events', async (message) => {
      copies += 1;
      await handleGitHubEventMessage(
        { plugins: PLUGINS, github: () => slow, store, config, pluginConfig: config.plugins ?? {}, log },
        message,
        LANES.plugins,
      );
    });

    const body = JSON.stringify(issueComment({ number: 9, author: 'maintainer', commenter: 'maintainer', comment: '/lgtm' }));
    const answer = await receiveWebhook(
      { secrets: [SECRET], deliveries: store.deliveries, bus, log },
      { headers: signedHeaders(SECRET, 'issue_comment', body, 'slow-delivery'), rawBody: Buffer.from(body) },
    );
    expect(answer.status).toBe(200);
    await waitFor(() => copies >= 2, 'the bus to redeliver the message after its ack deadline', 30_000);
    await waitFor(async () => (await store.deliveries.get('slow-delivery'))?.done === true, 'the delivery processed', 30_000);
    // Whatever copy is still in flight settles within the ack deadline.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(github.comments('acme/widgets', 9).filter((comment) => comment.body.includes(SELF_LGTM_REPLY))).toHaveLength(1);
  });
});

describe('a delivery on both lanes', () => {
  it('runs once in each lane: the jobs lane and the plugins lane each run their own plugins once, whatever copies arrive', async () => {
    const store = openStore();
    const log = memoryLogger();
    const ran: string[] = [];
    const recorder = (name: string) => definePlugin(name, { description: name }).onComment(async () => void ran.push(name));
    const config = expectLoaded(buildFromFiles({ plugins: 'plugins:\n  acme:\n    plugins: [trigger, lgtm]\n' }));
    const dependencies = {
      plugins: [recorder('trigger'), recorder('lgtm')],
      github: () => createGitHubClient({ baseUrl: 'http://127.0.0.1:9', auth: { token: 't' } }),
      store,
      config,
      pluginConfig: config.plugins ?? {},
      log,
    };
    const body = JSON.stringify(issueComment({ number: 3, commenter: 'maintainer', comment: '/lgtm' }));
    const message = {
      id: 'm-1',
      data: Buffer.from(body),
      attributes: { [EVENT_ATTRIBUTES.event]: 'issue_comment', [EVENT_ATTRIBUTES.delivery]: 'both-lanes' },
      publishTime: new Date(),
      deliveryAttempt: 1,
    };
    for (const copy of [1, 2]) {
      for (const lane of [LANES.jobs, LANES.plugins]) {
        await handleGitHubEventMessage(dependencies, { ...message, deliveryAttempt: copy }, lane);
      }
    }
    expect(ran).toEqual(['trigger', 'lgtm']);
    expect((await store.deliveries.get('both-lanes'))?.done).toBe(true);
  });

  it('leaves a lane with nothing for the delivery without a processing claim, so the store is not written for it', async () => {
    const store = openStore();
    const ran: string[] = [];
    const onlyTests = definePlugin('trigger', { description: 'trigger' })
      .onComment(async () => void ran.push('trigger'))
      .commentsFilteredBy((comment) => comment.body.startsWith('/test'));
    const lgtm = definePlugin('lgtm', { description: 'lgtm' }).onComment(async () => void ran.push('lgtm'));
    const config = expectLoaded(buildFromFiles({ plugins: 'plugins:\n  acme:\n    plugins: [trigger, lgtm]\n' }));
    const dependencies = {
      plugins: [onlyTests, lgtm],
      github: () => createGitHubClient({ baseUrl: 'http://127.0.0.1:9', auth: { token: 't' } }),
      store,
      config,
      pluginConfig: config.plugins ?? {},
      log: memoryLogger(),
    };
    const comment = (id: string, body: string) => ({
      id,
      data: Buffer.from(JSON.stringify(issueComment({ number: 4, commenter: 'maintainer', comment: body }))),
      attributes: { [EVENT_ATTRIBUTES.event]: 'issue_comment', [EVENT_ATTRIBUTES.delivery]: id },
      publishTime: new Date(),
      deliveryAttempt: 1,
    });
    for (const lane of [LANES.jobs, LANES.plugins]) await handleGitHubEventMessage(dependencies, comment('lgtm-only', '/lgtm'), lane);
    expect(ran).toEqual(['lgtm']);
    expect(await store.deliveries.get(laneDeliveryKey(LANES.jobs, 'lgtm-only'))).toBeUndefined();
    expect((await store.deliveries.get('lgtm-only'))?.done).toBe(true);

    await handleGitHubEventMessage(dependencies, comment('a-test', '/test all'), LANES.jobs);
    expect(ran).toEqual(['lgtm', 'trigger']);
    expect((await store.deliveries.get(laneDeliveryKey(LANES.jobs, 'a-test')))?.done).toBe(true);
  });
});
