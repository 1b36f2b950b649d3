import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS } from '../../shared/bus/bus';
import { InProcessBus } from '../../shared/bus/in-process';
import { createGitHubClient } from '../../shared/github/octokit';
import { memoryLogger } from '../../shared/log/logger';
import type { DispatchOutcome } from '../../shared/plugins/engine';
import { PLUGINS } from '../../shared/plugins/registry';
import { EmbeddedStore } from '../../shared/store/embedded';
import { LANES } from '../../shared/plugins/lanes';
import { handleGitHubEventMessage } from '../../shared/webhook/events';
import { webhookListener } from '../../shared/webhook/http';
import { buildFromFiles, expectLoaded, yaml } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment, pullRequest } from '../support/payloads';
import { signedHeaders } from '../support/signing';

/**
 * The whole hook path as GitHub drives it: signed HTTP deliveries into POST /hook, through the
 * github-events bus, into the plugins, which act on a (fake) GitHub over HTTP and store ProwJobs.
 */
const SECRET = 'e2e-webhook-secret-5d1e';
const REPO = 'acme/widgets';

const JOBS = yaml(`
  presubmits:
    acme/widgets:
    - name: pull-widgets-unit
      always_run: true
      spec: {containers: [{image: golang:1.23, command: [make, test]}]}
    - name: pull-widgets-docs
      run_if_changed: '^docs/'
      spec: {containers: [{image: alpine, command: [true]}]}
    - name: pull-widgets-e2e
      always_run: false
      spec: {containers: [{image: alpine, command: [true]}]}
`);
const PLUGINS_YAML = yaml(`
  plugins:
    acme:
      plugins: [trigger, lgtm, hold, assign, label, size, wip]
`);

describe('webhook to plugins, end to end', () => {
  let github: FakeGitHub;
  let store: EmbeddedStore;
  let bus: InProcessBus;
  let server: Server;
  let hookUrl: string;
  let outcomes: DispatchOutcome[];

  beforeEach(async () => {
    github = await startFakeGitHub();
    github.addRepo(REPO);
    github.addOrgMember('acme', 'maintainer');
    github.addOrgMember('acme', 'xavier');
    github.addRepoLabels(REPO, ['kind/bug']);
    store = EmbeddedStore.open();
    bus = new InProcessBus();
    // Both lanes, as deployed: the trigger plugin in one, every other plugin in the other.
    await bus.declare(
      [TOPICS.githubEvents],
      Object.keys(LANES).map((lane) => ({ name: lane, topic: TOPICS.githubEvents, ...DEFAULT_SUBSCRIPTION_POLICY })),
    );
    const config = expectLoaded(buildFromFiles({ jobs: { 'jobs.yaml': JOBS }, plugins: PLUGINS_YAML }));
    const client = createGitHubClient({ baseUrl: github.url, auth: { token: 'e2e-token' }, pacing: false, retryAfterBaseMs: 1 });
    const log = memoryLogger();
    outcomes = [];
    for (const lane of Object.values(LANES)) {
      await bus.subscribe(lane.name, async (message) => {
        outcomes.push(
          await handleGitHubEventMessage(
            { plugins: PLUGINS, github: () => client, store, config, pluginConfig: config.plugins ?? {}, log, hmacSecret: SECRET },
            message,
            lane,
          ),
        );
      });
    }
    const listener = webhookListener({ secrets: [SECRET], deliveries: store.deliveries, bus, log });
    server = createServer((request, response) => void listener(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
    await store.close();
    await github.close();
  });

  /** Sends a delivery as GitHub would and waits until the plugins have handled it. */
  async function send(event: string, payload: object, options: { delivery?: string; secret?: string } = {}): Promise<number> {
    const body = JSON.stringify(payload);
    const before = outcomes.length;
    const response = await fetch(hookUrl, {
      method: 'POST',
      headers: signedHeaders(options.secret ?? SECRET, event, body, options.delivery),
      body,
    });
    const accepted = response.status === 200 && ((await response.json()) as { message: string }).message === 'accepted';
    if (accepted) {
      const handled = () => outcomes.length - before === Object.keys(LANES).length;
      for (let i = 0; i < 500 && !handled(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      if (!handled()) throw new Error(`${event} was accepted but not handled by both lanes`);
    }
    return response.status;
  }

  const jobNames = async () => (await store.jobs.list({}, { limit: 100 })).jobs.map((job) => job.job.spec.job).sort();

  it('holds a non-member’s PR for /ok-to-test, then runs exactly the jobs Prow would', async () => {
    github.addPullRequest(REPO, { number: 7, author: 'newcomer', headSha: '7'.repeat(40), files: [{ filename: 'docs/usage.md' }] });
    await send('pull_request', pullRequest('opened', { number: 7, author: 'newcomer', headSha: '7'.repeat(40) }));
    expect(github.labels(REPO, 7)).toContain('needs-ok-to-test');
    expect(await jobNames()).toEqual([]);

    // A non-member cannot start jobs on an untrusted PR.
    await send('issue_comment', issueComment({ number: 7, author: 'newcomer', commenter: 'newcomer', comment: '/test all' }));
    expect(await jobNames()).toEqual([]);
    expect(github.labels(REPO, 7)).toContain('needs-ok-to-test');

    await send('issue_comment', issueComment({ number: 7, author: 'newcomer', commenter: 'maintainer', comment: '/ok-to-test' }));
    expect(await jobNames()).toEqual(['pull-widgets-docs', 'pull-widgets-unit']);
    expect(github.labels(REPO, 7)).toContain('ok-to-test');
    expect(github.labels(REPO, 7)).not.toContain('needs-ok-to-test');
    const job = (await store.jobs.list({ job: 'pull-widgets-unit' })).jobs[0]?.job;
    expect(job?.spec.refs?.pulls?.[0]).toMatchObject({ number: 7, author: 'newcomer', sha: '7'.repeat(40) });
    expect(job?.metadata.labels).toMatchObject({ 'prow.k8s.io/refs.pull': '7', 'prow.k8s.io/type': 'presubmit' });
  });

  it('creates one set of ProwJobs when GitHub sends the same delivery twice, and none for a forged one', async () => {
    github.addPullRequest(REPO, { number: 8, author: 'maintainer', headSha: '8'.repeat(40), files: [{ filename: 'main.go' }] });
    const opened = pullRequest('opened', { number: 8, author: 'maintainer', headSha: '8'.repeat(40) });
    expect(await send('pull_request', opened, { delivery: 'redelivered-1' })).toBe(200);
    expect(await send('pull_request', opened, { delivery: 'redelivered-1' })).toBe(200);
    expect(await jobNames()).toEqual(['pull-widgets-unit']);

    const forged = issueComment({ number: 8, author: 'maintainer', commenter: 'maintainer', comment: '/test all' });
    expect(await send('issue_comment', forged, { secret: 'guessed-secret' })).toBe(401);
    expect(await jobNames()).toEqual(['pull-widgets-unit']);
  });

  it('applies each command of a several-command comment exactly once', async () => {
    github.addCollaborator(REPO, 'reviewer');
    github.addPullRequest(REPO, { number: 9, author: 'maintainer', headSha: '9'.repeat(40), files: [{ filename: 'main.go' }] });
    const writesBefore = github.requests.filter((request) => request.method !== 'GET').length;
    await send(
      'issue_comment',
      issueComment({ number: 9, author: 'maintainer', commenter: 'reviewer', comment: '/lgtm\n/hold\n/assign @xavier\n/kind bug' }),
    );
    expect(github.labels(REPO, 9).sort()).toEqual(['do-not-merge/hold', 'kind/bug', 'lgtm']);
    expect(github.assignees(REPO, 9).sort()).toEqual(['reviewer', 'xavier']);
    const writes = github.requests.filter((request) => request.method !== 'GET');
    // One write per effect: three labels, and the assignments (lgtm assigns the reviewer, as Prow does).
    const labelWrites = writes.slice(writesBefore).filter((request) => request.path.endsWith('/labels'));
    expect(labelWrites).toHaveLength(3);
    expect(github.comments(REPO, 9)).toEqual([]);
  });
});
