import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import { memoryLogger } from '../../shared/log/logger';
import { yaml } from '../support/config';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment, pullRequest } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import { waitFor } from '../support/wait';

/**
 * Nothing waits behind GitHub (issue 15): with a GitHub that takes 5 s to answer every write,
 * `cutwater local` still creates the jobs of a pull request's events and finishes handling the
 * events before any of their GitHub writes has been answered; the writes follow, from the outbox.
 * Not timed: the order of what is observed is the assertion.
 */
const SECRET = 'slow-github-secret-90ad';
const REPO = 'acme/widgets';
const HEAD = 'e'.repeat(40);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(github: FakeGitHub): Promise<LocalSystem> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-slow-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'jobs'));
  writeFileSync(path.join(dir, 'config.yaml'), 'prowjob_namespace: default\n');
  writeFileSync(
    path.join(dir, 'jobs', 'widgets.yaml'),
    yaml(`
      presubmits:
        acme/widgets:
        - name: pull-widgets-unit
          always_run: true
          cluster: elsewhere
          spec: {containers: [{image: golang:1.23, command: [make, test]}]}
        - name: pull-widgets-e2e
          always_run: false
          cluster: elsewhere
          spec: {containers: [{image: golang:1.23, command: [make, e2e]}]}
    `),
  );
  writeFileSync(
    path.join(dir, 'plugins.yaml'),
    yaml(`
      plugins:
        acme:
          plugins: [trigger, size, hold]
    `),
  );
  const system = await startLocalSystem({
    configPaths: { configPath: path.join(dir, 'config.yaml'), jobConfigPath: path.join(dir, 'jobs'), pluginConfigPath: path.join(dir, 'plugins.yaml') },
    dataDir: path.join(dir, 'data'),
    port: 0,
    log: memoryLogger(),
    env: { GITHUB_TOKEN: 'slow-token', GITHUB_API_URL: github.url, WEBHOOK_SECRET: SECRET },
  });
  cleanups.push(() => system.stop());
  return system;
}

async function send(system: LocalSystem, event: string, payload: unknown, deliveryId: string): Promise<void> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${system.url}/hook`, { method: 'POST', headers: signedHeaders(SECRET, event, body, deliveryId), body });
  expect(response.status).toBe(200);
}

describe('a GitHub whose every write takes 5 s', () => {
  it('does not hold up job creation or event handling: the jobs come first, the writes after', async () => {
    const github = await startFakeGitHub({ writeDelayMs: 5_000 });
    cleanups.push(() => github.close());
    github.addRepo(REPO);
    github.addOrgMember('acme', 'maintainer');
    github.addPullRequest(REPO, { number: 21, author: 'maintainer', headSha: HEAD });
    const system = await start(github);

    await send(system, 'pull_request', pullRequest('opened', { number: 21, author: 'maintainer', headSha: HEAD }), 'open-21');
    await send(system, 'issue_comment', issueComment({ number: 21, commenter: 'maintainer', comment: '/test pull-widgets-e2e\n/hold' }), 'test-21');

    const jobs = async () => (await system.store.jobs.list({ repo: REPO })).jobs.map((stored) => stored.job.spec.job).sort();
    await waitFor(async () => (await jobs()).length === 2, 'both jobs created', 20_000);
    await waitFor(async () => (await system.store.deliveries.get('test-21'))?.done === true, 'the comment handled', 20_000);
    expect(await jobs()).toEqual(['pull-widgets-e2e', 'pull-widgets-unit']);
    // Both events are handled and both jobs exist, and GitHub has yet to answer a single write.
    expect(github.labels(REPO, 21)).toEqual([]);
    expect(github.statuses(REPO, HEAD)).toEqual([]);
    const [waiting] = await system.store.outbox.stats();
    expect(waiting?.depth).toBeGreaterThan(0);

    // And the writes do go out: the size and hold labels, and the jobs' pending statuses.
    await waitFor(async () => (await system.store.outbox.stats()).every((installation) => installation.depth === 0), 'the outbox emptied', 60_000);
    expect(github.labels(REPO, 21)).toEqual(expect.arrayContaining(['do-not-merge/hold']));
    expect(github.labels(REPO, 21).some((label) => label.startsWith('size/'))).toBe(true);
    expect(github.statuses(REPO, HEAD).map((status) => `${status.context} ${status.state}`).sort()).toEqual([
      'pull-widgets-e2e pending',
      'pull-widgets-unit pending',
    ]);
  });
});

describe('a GitHub that hangs on the reads of one plugin', () => {
  it('does not hold up the jobs of the same pull request: job creation has its own lane', async () => {
    const github = await startFakeGitHub();
    cleanups.push(() => github.close());
    github.addRepo(REPO);
    github.addOrgMember('acme', 'maintainer');
    github.addPullRequest(REPO, { number: 22, author: 'maintainer', headSha: HEAD });
    // The size plugin reads the PR's files; nothing else here does.
    const release = github.stallReads(/\/pulls\/22\/files$/);
    let released = false;
    cleanups.push(async () => {
      if (!released) release();
    });
    const system = await start(github);

    await send(system, 'pull_request', pullRequest('opened', { number: 22, author: 'maintainer', headSha: HEAD }), 'open-22');
    await send(system, 'issue_comment', issueComment({ number: 22, commenter: 'maintainer', comment: '/test pull-widgets-e2e\n/hold' }), 'test-22');

    const jobs = async () => (await system.store.jobs.list({ repo: REPO })).jobs.map((stored) => stored.job.spec.job).sort();
    await waitFor(async () => (await jobs()).length === 2, 'both jobs created', 20_000);
    expect(await jobs()).toEqual(['pull-widgets-e2e', 'pull-widgets-unit']);
    // The other plugins still wait on the PR's first delivery: its size, then the comment's /hold.
    expect((await system.store.deliveries.get('open-22'))?.done).not.toBe(true);
    expect((await system.store.deliveries.get('test-22'))?.done).not.toBe(true);

    released = true;
    release();
    await waitFor(async () => (await system.store.deliveries.get('test-22'))?.done === true, 'the comment handled', 20_000);
    await waitFor(async () => (await system.store.outbox.stats()).every((installation) => installation.depth === 0), 'the outbox emptied', 60_000);
    expect(github.labels(REPO, 22)).toEqual(expect.arrayContaining(['do-not-merge/hold']));
    expect(github.labels(REPO, 22).some((label) => label.startsWith('size/'))).toBe(true);
  });
});
