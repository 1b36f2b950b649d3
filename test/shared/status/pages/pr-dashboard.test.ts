import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../../../shared/artifacts/disk';
import { staticConfigSource } from '../../../../shared/config/config-source';
import type { Config } from '../../../../shared/config/model';
import { createGitHubClient } from '../../../../shared/github/octokit';
import { memoryLogger } from '../../../../shared/log/logger';
import { statusAuthFromEnv } from '../../../../shared/status/auth/from-env';
import { createSessionCodec, USER_TOKEN_COOKIE } from '../../../../shared/status/auth/session';
import { statusListener, type StatusDependencies } from '../../../../shared/status/http';
import { dashboardSearches } from '../../../../shared/status/pr-dashboard';
import { EmbeddedStore } from '../../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';
import { startFakeGitHub, type FakeGitHub } from '../../../support/fake-github';
import { serveListener } from '../../../support/listener-server';
import { testProwJob } from '../../../support/prowjobs';
import { testPoolRecord } from '../../../support/tide-records';
import { visibleText } from '../../../support/tide-status';

/**
 * The PR dashboard end to end: the status pages over HTTP, signing in through the fake GitHub's
 * OAuth flow, GitHub's search and statuses answered by the fake, jobs and pools from the store.
 */

const CONFIG: Config = expectLoaded(
  buildFromFiles({
    config: yaml(`
      deck:
        hidden_repos: [acme/private]
      tide:
        queries:
        - repos: [acme/widgets, acme/private]
          labels: [lgtm, approved]
          missingLabels: [do-not-merge/hold]
    `),
    jobs: {
      'jobs.yaml': yaml(`
        presubmits:
          acme/widgets:
          - name: unit
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
          acme/gadgets:
          - name: lint
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
      `),
    },
  }),
);

const NEEDS_LGTM_HEAD = '1'.repeat(40);
const IN_POOL_HEAD = '2'.repeat(40);
const HOSTILE_TITLE = '<img src=x onerror=alert(1)> & "quotes"';

let fake: FakeGitHub;
let store: EmbeddedStore;
let dir: string;
let server: Server | undefined;
let base: string;

async function start(options: { oauth: boolean; local?: boolean }): Promise<void> {
  // The OAuth settings need the server's address, so the listener is made once it listens.
  const made: { listener?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean> } = {};
  ({ server, base } = await serveListener((request, response) => made.listener!(request, response)));
  const env: NodeJS.ProcessEnv = { STATUS_SESSION_SECRET: 's'.repeat(40), GITHUB_API_URL: fake.url };
  if (options.oauth) Object.assign(env, { GITHUB_OAUTH_CLIENT_ID: fake.oauth.clientId, GITHUB_OAUTH_CLIENT_SECRET: fake.oauth.clientSecret, STATUS_URL: base });
  const github = createGitHubClient({ baseUrl: fake.url, auth: { token: 'deployment-token' }, pacing: false, retryAfterBaseMs: 1 });
  const deps: StatusDependencies = {
    store,
    artifacts: new DiskArtifactStore(dir),
    log: memoryLogger(),
    config: staticConfigSource(CONFIG),
    auth: statusAuthFromEnv(env, {}),
    github: () => Promise.resolve(github),
    ...(options.local ? { localUserLookup: true } : {}),
  };
  made.listener = statusListener(deps);
}

/** A browser: keeps the cookies our site sets, follows nothing by itself. */
class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    const own = url.startsWith(base);
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: own && cookie ? { cookie } : {} });
    if (own) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (/Max-Age=0/i.test(line)) this.cookies.delete(pair.slice(0, eq));
        else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
    }
    return response;
  }

  /** Signs in through GitHub's web flow as `login`, landing on /pr. */
  async signIn(login: string): Promise<void> {
    fake.oauth.nextLogin = login;
    let response = await this.get(`${base}/github-login?dest=%2Fpr`);
    for (let hops = 0; hops < 3 && response.status === 302; hops++) {
      const location = response.headers.get('location')!;
      if (location === '/pr') return;
      response = await this.get(new URL(location, base).toString());
    }
    throw new Error(`sign-in did not come back to /pr (status ${response.status})`);
  }

  async text(pathname: string): Promise<{ status: number; text: string }> {
    const response = await this.get(`${base}${pathname}`);
    return { status: response.status, text: await response.text() };
  }
}

beforeEach(async () => {
  fake = await startFakeGitHub();
  store = EmbeddedStore.open();
  dir = mkdtempSync(path.join(tmpdir(), 'cutwater-pr-dashboard-'));
  fake.addRepo('acme/widgets');
  fake.addRepo('acme/gadgets');
  fake.addRepo('acme/private');
  fake.addRepo('other/elsewhere');
  fake.addPullRequest('acme/widgets', { number: 1, author: 'alice', title: 'Needs a review', labels: ['approved'], headSha: NEEDS_LGTM_HEAD });
  fake.addPullRequest('acme/widgets', { number: 2, author: 'alice', title: 'Ready to go', labels: ['lgtm', 'approved'], headSha: IN_POOL_HEAD });
  fake.addPullRequest('acme/widgets', { number: 3, author: 'bob', title: "Bob's change" });
  fake.addPullRequest('acme/gadgets', { number: 7, author: 'alice', title: HOSTILE_TITLE });
  fake.addPullRequest('acme/private', { number: 8, author: 'alice', title: 'Secret work' });
  fake.addPullRequest('other/elsewhere', { number: 9, author: 'alice', title: 'Not covered here' });
  fake.addCheckRun('acme/widgets', NEEDS_LGTM_HEAD, { name: 'unit', conclusion: 'failure', detailsUrl: 'https://ci.example/unit/1' });
  fake.addCheckRun('acme/widgets', IN_POOL_HEAD, { name: 'unit', conclusion: 'success' });

  const run = testProwJob({ name: 'run-unit-1', job: 'unit', pull: 1, author: 'alice' });
  run.spec.refs!.pulls![0]!.sha = NEEDS_LGTM_HEAD;
  run.status = { state: 'failure', startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:05:00Z' };
  await store.jobs.create(run, { idempotencyKey: 'run-unit-1' });
  const older = testProwJob({ name: 'run-unit-0', job: 'unit', pull: 1, author: 'alice' });
  older.spec.refs!.pulls![0]!.sha = '0'.repeat(40);
  older.status = { state: 'success', startTime: '2025-12-01T00:00:00Z', completionTime: '2025-12-01T00:05:00Z' };
  await store.jobs.create(older, { idempotencyKey: 'run-unit-0' });

  const pool = testPoolRecord();
  await store.tide.putPool({
    ...pool,
    pulls: [{ number: 2, title: 'Ready to go', author: 'alice', headSha: IN_POOL_HEAD, url: 'https://github.com/acme/widgets/pull/2', labels: ['lgtm', 'approved'] }],
    verdicts: [{ number: 2, state: 'success', summary: 'In merge pool.', reasons: [], jobs: [], rank: 1 }],
  });
});

afterEach(async () => {
  const running = server;
  server = undefined;
  running?.closeAllConnections();
  if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
  await store.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the PR dashboard with GitHub sign-in', () => {
  it('asks a signed-out visitor to sign in, with the link back to /pr, and its JSON says Login: false', async () => {
    await start({ oauth: true });
    const browser = new Browser();
    const page = await browser.text('/pr');
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/github-login?dest=%2Fpr"');
    expect(visibleText(page.text)).toContain('Sign in with GitHub to see your open pull requests');
    const data = await browser.get(`${base}/pr-data.js`);
    expect(data.headers.get('cache-control')).toContain('no-store');
    expect(await data.json()).toEqual({ Login: false, PullRequestsWithContexts: [] });
    expect(fake.requests.some((request) => request.route === 'GET /search/issues')).toBe(false);
  });

  it("lists the viewer's open PRs in covered repos with jobs at the head, contexts and the tide verdict", async () => {
    await start({ oauth: true });
    const browser = new Browser();
    await browser.signIn('alice');
    const { status, text } = await browser.text('/pr');
    expect(status).toBe(200);
    const seen = visibleText(text);
    expect(seen).toContain('Needs a review');
    expect(seen).toContain('Ready to go');
    // Someone else's PR, a hidden repository's and one outside the config are not listed.
    expect(seen).not.toContain("Bob's change");
    expect(seen).not.toContain('Secret work');
    expect(seen).not.toContain('Not covered here');

    const needsLgtm = text.slice(text.indexOf('id="pr-acme-widgets-1"'));
    const section = needsLgtm.slice(0, needsLgtm.indexOf('</section>'));
    expect(visibleText(section)).toContain('Not mergeable. Needs lgtm label.');
    // The run at the current head, not the older one at an earlier head.
    expect(section).toContain('href="/view/run-unit-1"');
    expect(section).not.toContain('run-unit-0');
    expect(visibleText(section)).toContain('failure');
    expect(section).toContain('href="https://ci.example/unit/1"');

    const inPool = text.slice(text.indexOf('id="pr-acme-widgets-2"'));
    expect(visibleText(inPool.slice(0, inPool.indexOf('</section>')))).toContain('In merge pool.');

    // The search ran as the viewer, with the token their sign-in obtained.
    const [token] = [...fake.oauth.issuedTokens].find(([, login]) => login === 'alice')!;
    const searches = fake.requests.filter((request) => request.route === 'GET /search/issues');
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((request) => request.authorization?.includes(token))).toBe(true);
    // ...which the browser holds only encrypted.
    expect(browser.cookies.get(USER_TOKEN_COOKIE)).toBeDefined();
    for (const value of browser.cookies.values()) expect(Buffer.from(value, 'base64url').toString('latin1')).not.toContain(token);
    expect(decodeURIComponent([...browser.cookies.values()].join(';'))).not.toContain(token);
  });

  it("serves pr-data.js in Prow's UserData shape with the verdicts", async () => {
    await start({ oauth: true });
    const browser = new Browser();
    await browser.signIn('alice');
    const data = (await (await browser.get(`${base}/pr-data.js`)).json()) as {
      Login: boolean;
      PullRequestsWithContexts: { PullRequest: { Number: number; Title: string; Repository: { NameWithOwner: string }; HeadRefOID: string }; Contexts: { Context: string; State: string }[]; Tide: { Summary: string; Kind: string } }[];
    };
    expect(data.Login).toBe(true);
    const byNumber = new Map(data.PullRequestsWithContexts.map((entry) => [entry.PullRequest.Number, entry]));
    expect([...byNumber.keys()].sort()).toEqual([1, 2, 7]);
    expect(byNumber.get(1)?.PullRequest.HeadRefOID).toBe(NEEDS_LGTM_HEAD);
    expect(byNumber.get(1)?.Contexts).toContainEqual(expect.objectContaining({ Context: 'unit', State: 'FAILURE' }));
    expect(byNumber.get(1)?.Tide.Summary).toBe('Not mergeable. Needs lgtm label.');
    expect(byNumber.get(2)?.Tide).toMatchObject({ Kind: 'in-pool', Summary: 'In merge pool.' });
    expect(byNumber.get(7)?.Tide.Kind).toBe('no-query');
    expect(byNumber.get(7)?.PullRequest.Title).toBe(HOSTILE_TITLE);
  });

  it('escapes a hostile PR title', async () => {
    await start({ oauth: true });
    const browser = new Browser();
    await browser.signIn('alice');
    const { text } = await browser.text('/pr');
    expect(text).not.toContain('<img src=x');
    expect(text).toContain('&#60;img src=x onerror=alert(1)&#62; &#38; &#34;quotes&#34;');
  });

  it('asks to sign in again when the session has no token, and forgets a token GitHub revoked', async () => {
    await start({ oauth: true });
    const browser = new Browser();
    await browser.signIn('alice');
    browser.cookies.delete(USER_TOKEN_COOKIE);
    expect(visibleText((await browser.text('/pr')).text)).toContain('sign in again');

    await browser.signIn('alice');
    fake.failNext('GET', /^\/search\/issues/, { status: 401, body: { message: 'Bad credentials' } });
    const revoked = await browser.get(`${base}/pr`);
    expect(visibleText(await revoked.text())).toContain('GitHub no longer accepts the sign-in');
    expect(browser.cookies.has(USER_TOKEN_COOKIE)).toBe(false);
  });
});

describe('the PR dashboard without GitHub sign-in', () => {
  it('locally, offers ?user= and searches with the deployment credentials', async () => {
    await start({ oauth: false, local: true });
    const browser = new Browser();
    const form = await browser.text('/pr');
    expect(visibleText(form.text)).toContain('GitHub sign-in is not configured');
    expect(form.text).toContain('name="user"');
    const listed = visibleText((await browser.text('/pr?user=alice')).text);
    expect(listed).toContain('Pull requests of alice');
    expect(listed).toContain('Not mergeable. Needs lgtm label.');
    expect(visibleText((await browser.text('/pr?user=%3Cscript%3E')).text)).toContain('That is not a GitHub login.');
  });

  it('in the cloud, says sign-in is not configured and never looks a login up', async () => {
    await start({ oauth: false });
    const { status, text } = await new Browser().text('/pr?user=alice');
    expect(status).toBe(200);
    expect(visibleText(text)).toContain('GitHub sign-in is not configured');
    expect(visibleText(text)).not.toContain('Needs a review');
    expect(fake.requests.some((request) => request.route === 'GET /search/issues')).toBe(false);
  });
});

describe('dashboardSearches', () => {
  it('splits a wide scope into searches GitHub accepts, each with the author', () => {
    const scope = Array.from({ length: 30 }, (_, index) => `repo:"some-org/repository-${index}"`);
    const searches = dashboardSearches('alice', scope);
    expect(searches.length).toBeGreaterThan(1);
    for (const search of searches) {
      expect(search.length).toBeLessThanOrEqual(256);
      expect(search).toContain('author:"alice"');
    }
    expect(searches.join(' ').match(/repo:/g)).toHaveLength(30);
  });
});

describe("the viewer's token cookie", () => {
  const SECRET = 'a-session-secret-long-enough-0123456789';
  const cookieHeaderOf = (...setCookies: string[]) => setCookies.map((line) => line.split(';')[0]).join('; ');
  const requestWith = (cookie: string) => ({ headers: { cookie } }) as unknown as IncomingMessage;

  it('gives the token back only with the session of the same login, under the current or a rotated secret', () => {
    const sessions = createSessionCodec([SECRET]);
    const tokenCookie = sessions.userTokenCookie('alice', 'gho_secret');
    expect(tokenCookie).not.toContain('gho_secret');
    expect(sessions.readUserToken(requestWith(cookieHeaderOf(sessions.sessionCookie('alice'), tokenCookie)))).toBe('gho_secret');
    // Another login's session, no session, or an altered cookie: nothing.
    expect(sessions.readUserToken(requestWith(cookieHeaderOf(sessions.sessionCookie('mallory'), tokenCookie)))).toBeUndefined();
    expect(sessions.readUserToken(requestWith(cookieHeaderOf(tokenCookie)))).toBeUndefined();
    const altered = tokenCookie.replace(/=(.)/, (_, first: string) => `=${first === 'A' ? 'B' : 'A'}`);
    expect(sessions.readUserToken(requestWith(cookieHeaderOf(sessions.sessionCookie('alice'), altered)))).toBeUndefined();
    const rotated = createSessionCodec(['a-newer-session-secret-0123456789abcdef', SECRET]);
    expect(rotated.readUserToken(requestWith(cookieHeaderOf(sessions.sessionCookie('alice'), tokenCookie)))).toBe('gho_secret');
  });
});
