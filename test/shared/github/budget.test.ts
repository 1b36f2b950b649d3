import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger } from '../../../shared/github/budget';
import { GitHubClients, type GitHubConnectionOptions } from '../../../shared/github/octokit';
import { memoryLogger } from '../../../shared/log/logger';
import { secondaryRateLimit, startFakeGitHub, type FakeGitHub } from '../../support/fake-github';

const TOKEN = 'ghp_T0kenForTheBudgetLedger1234567890abc';
const REPO = 'acme/widgets';

let fake: FakeGitHub;

function connection(extra: Partial<GitHubConnectionOptions> = {}): GitHubConnectionOptions {
  return { baseUrl: fake.url, retryAfterBaseMs: 1, pacing: false, ...extra };
}

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addRepo(REPO);
  fake.addPullRequest(REPO, { number: 7, author: 'alice' });
});

afterEach(async () => {
  await fake.close();
});

describe('the GitHub budget of GitHubClients', () => {
  it('shows the rate-limit headers GitHub sent and the 304s served', async () => {
    fake.setRateLimit({ remaining: 4000 });
    const clients = new GitHubClients({ ...connection(), auth: { token: TOKEN } });
    const client = clients.clientForInstallation();
    expect(clients.budget()).toEqual([]);

    await client.getPullRequest('acme', 'widgets', 7);
    await client.getPullRequest('acme', 'widgets', 7);
    await client.getPullRequest('acme', 'widgets', 7);

    const [budget, ...others] = clients.budget();
    expect(others).toEqual([]);
    // The fake's window ends an hour after it started.
    expect(new Date(budget?.primary[0]?.resetAt ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(budget).toMatchObject({
      identity: expect.stringMatching(/^token-[0-9a-f]{16}$/),
      // The first read used one request; the two 304s cost nothing.
      primary: [{ resource: 'core', limit: 5000, remaining: 3999, used: 1001 }],
      requests: 3,
      notModified: 2,
      secondaryLimited: 0,
    });
    expect(budget?.installationId).toBeUndefined();
    expect(JSON.stringify(clients.budget())).not.toContain(TOKEN);
  });

  it('keeps a budget per installation, and one for the App’s own requests', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const clients = new GitHubClients({ ...connection(), auth: { appId: 42, privateKey } });

    await clients.clientForInstallation(7).getPullRequest('acme', 'widgets', 7);
    await clients.clientForInstallation(7).getPullRequest('acme', 'widgets', 7);
    await clients.clientForInstallation(8).getPullRequest('acme', 'widgets', 7);

    const budgets = clients.budget();
    expect(budgets.map((budget) => [budget.identity, budget.installationId, budget.requests, budget.notModified])).toEqual([
      // Two installation tokens, asked for with the App's JWT.
      ['app-42', undefined, 2, 0],
      ['installation-7', 7, 2, 1],
      ['installation-8', 8, 1, 0],
    ]);
    expect(budgets.find((budget) => budget.identity === 'installation-7')?.primary).toMatchObject([{ remaining: 4999 }]);
  });

  it('counts secondary rate-limit answers', async () => {
    fake.addIssue(REPO, { number: 1, author: 'alice' });
    fake.failNext('POST', /\/labels$/, secondaryRateLimit(0));
    const clients = new GitHubClients({ ...connection(), auth: { token: TOKEN } });

    await clients.clientForInstallation().addLabels('acme', 'widgets', 1, ['lgtm']);

    expect(fake.labels(REPO, 1)).toEqual(['lgtm']);
    expect(clients.budget()[0]).toMatchObject({ requests: 2, secondaryLimited: 1 });
  });

  it('warns once per window when less than a tenth of the primary limit is left', async () => {
    fake.setRateLimit({ remaining: 501, limit: 5000 });
    const logger = memoryLogger();
    const clients = new GitHubClients({ ...connection(), auth: { token: TOKEN }, logger });
    const client = clients.clientForInstallation();

    await client.getPullRequest('acme', 'widgets', 7);
    expect(logger.entries).toEqual([]);
    fake.addIssue(REPO, { number: 1, author: 'alice' });
    for (let read = 0; read < 5; read++) {
      // Each read a new answer (a 304 would cost nothing), each below a tenth of the limit.
      fake.addComment(REPO, 1, 'bob', `comment ${read}`);
      await client.listComments('acme', 'widgets', 1);
    }
    await client.listComments('acme', 'widgets', 1);

    const warnings = logger.entries.filter((entry) => entry.severity === 'WARNING');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      message: expect.stringContaining('499 of 5000 core requests left'),
      rateLimitResource: 'core',
      rateLimitRemaining: 499,
      rateLimitLimit: 5000,
      githubIdentity: expect.stringMatching(/^token-/),
    });
  });
});

describe('BudgetLedger', () => {
  const installation = { key: 'installation-7', installationId: 7 };
  const headers = (remaining: number, reset: number, resource = 'core') => ({
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-resource': resource,
  });

  it('warns again in the next window, and per resource', () => {
    const logger = memoryLogger();
    const ledger = new BudgetLedger({ logger });
    ledger.record(installation, { status: 200, headers: headers(100, 1_000) });
    ledger.record(installation, { status: 200, headers: headers(99, 1_000) });
    ledger.record(installation, { status: 200, headers: headers(4999, 4_600) });
    ledger.record(installation, { status: 200, headers: headers(10, 4_600) });
    ledger.record(installation, { status: 200, headers: headers(3, 4_600, 'search') });
    expect(logger.entries.map((entry) => [entry.rateLimitResource, entry.rateLimitRemaining, entry.installationId])).toEqual([
      ['core', 100, 7],
      ['core', 10, 7],
      ['search', 3, 7],
    ]);
  });

  it('takes 429, a 403 with retry-after, or GitHub’s secondary-limit message as a secondary limit, not a spent primary one', () => {
    const ledger = new BudgetLedger();
    ledger.record(installation, { status: 429, headers: {} });
    ledger.record(installation, { status: 403, headers: { 'retry-after': '60' } });
    ledger.record(installation, { status: 403, headers: {}, message: 'You have exceeded a secondary rate limit.' });
    ledger.record(installation, { status: 403, headers: headers(0, 1_000), message: 'API rate limit exceeded for installation.' });
    ledger.record(installation, { status: 403, headers: {}, message: 'Resource not accessible by integration' });
    expect(ledger.snapshot()[0]).toMatchObject({ requests: 5, secondaryLimited: 3, primary: [{ remaining: 0, used: 5000 }] });
  });

  it('skips rate-limit headers it cannot read, still counting the answer', () => {
    const ledger = new BudgetLedger();
    ledger.record(installation, { status: 200, headers: { 'x-ratelimit-limit': 'lots', 'x-ratelimit-remaining': '1' } });
    expect(ledger.snapshot()).toMatchObject([{ identity: 'installation-7', requests: 1, primary: [] }]);
  });
});
