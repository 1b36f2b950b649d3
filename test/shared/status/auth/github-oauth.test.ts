import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../../shared/github/octokit';
import { memoryLogger } from '../../../../shared/log/logger';
import { createCsrfGuard, CSRF_FIELD, type CsrfGuard } from '../../../../shared/status/auth/csrf';
import { LOGIN_PATH, LOGOUT_PATH, REDIRECT_PATH, signInHandlers, type GitHubOAuthSettings } from '../../../../shared/status/auth/github-oauth';
import { decideRerun, membershipLookupFor } from '../../../../shared/status/auth/rerun-auth';
import { createSessionCodec, SESSION_COOKIE, type SessionCodec } from '../../../../shared/status/auth/session';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';
import { startFakeGitHub, type FakeGitHub } from '../../../support/fake-github';
import { testProwJob } from '../../../support/prowjobs';

/**
 * GitHub sign-in end to end: the sign-in handlers on a real node:http server, a browser played by fetch
 * with a small cookie jar, and the fake GitHub's OAuth web flow.
 */

const SECRET = 'integration-session-secret-0123456789';

let fake: FakeGitHub;
let server: Server | undefined;
let base: string;
let sessions: SessionCodec;
let csrf: CsrfGuard;
let log: ReturnType<typeof memoryLogger>;

/** Starts the status server; `settings` adjusts the OAuth settings derived from the fake and the server. */
async function startStatus(settings: (defaults: GitHubOAuthSettings) => GitHubOAuthSettings | undefined = (s) => s) {
  await stopStatus();
  sessions = createSessionCodec([SECRET]);
  csrf = createCsrfGuard([SECRET], { sessions });
  log = memoryLogger();
  const status = createServer();
  server = status;
  await new Promise<void>((resolve) => status.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(status.address() as AddressInfo).port}`;
  const oauth = settings({ clientId: fake.oauth.clientId, clientSecret: fake.oauth.clientSecret, apiUrl: fake.url, publicUrl: base });
  const signIn = signInHandlers({ ...(oauth ? { oauth } : {}), sessions, csrf, log });
  // The paths and methods the status pages' route table (shared/status/http.ts) mounts them at.
  const routes: Record<string, (exchange: { request: IncomingMessage; response: ServerResponse; url: URL }) => Promise<void> | void> = {
    [`GET ${LOGIN_PATH}`]: signIn.startLogin,
    [`GET ${REDIRECT_PATH}`]: signIn.finishLogin,
    [`POST ${LOGOUT_PATH}`]: signIn.logout,
  };
  status.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    void (async () => {
      const route = routes[`${request.method ?? 'GET'} ${url.pathname}`];
      if (route) return route({ request, response, url });
      // Stand-ins for the lead's pages: who is signed in, and a page with a sign-out token.
      if (url.pathname === '/whoami') {
        response.end(sessions.readLogin(request) ?? '(signed out)');
        return;
      }
      if (url.pathname === '/page') {
        response.end(csrf.csrfTokenFor(request, response));
        return;
      }
      response.writeHead(404).end();
    })();
  });
}

async function stopStatus(): Promise<void> {
  const running = server;
  if (!running) return;
  server = undefined;
  running.closeAllConnections();
  await new Promise<void>((resolve) => running.close(() => resolve()));
}

/** A browser's cookies, honouring Path and Max-Age=0 as far as these routes need. */
class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(url, { method: 'GET', headers });
  }

  async send(url: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.cookies]
      .filter(([, stored]) => target.origin === base && target.pathname.startsWith(stored.path))
      .map(([name, stored]) => `${name}=${stored.value}`)
      .join('; ');
    const response = await fetch(url, {
      method: init.method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    if (target.origin === base) this.remember(response);
    return response;
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const path = attributes.find((attribute) => attribute.startsWith('Path='))?.slice(5) ?? '/';
      if (attributes.includes('Max-Age=0')) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair!.slice(eq + 1), path });
    }
  }
}

/** Follows the sign-in from our login link through GitHub and back; returns the final answer. */
async function signIn(browser: Browser, dest: string): Promise<Response> {
  const start = await browser.get(`${base}/github-login?dest=${encodeURIComponent(dest)}`);
  expect(start.status).toBe(302);
  const onGitHub = await browser.get(start.headers.get('location')!);
  expect(onGitHub.status).toBe(302);
  return browser.get(onGitHub.headers.get('location')!);
}

async function whoami(browser: Browser): Promise<string> {
  return (await browser.get(`${base}/whoami`)).text();
}

function exchanges(): number {
  return fake.requests.filter((request) => request.route === 'POST /login/oauth/access_token').length;
}

/** Nothing that must stay secret appears in what the server logged or answered. */
function expectNoSecrets(texts: string[]): void {
  const secrets = [fake.oauth.clientSecret, ...fake.oauth.issuedTokens.keys()];
  const codes = fake.requests.flatMap((request) => (typeof request.body === 'object' && request.body && 'code' in request.body ? [String(request.body.code)] : []));
  for (const text of [...texts, JSON.stringify(log.entries)]) {
    for (const secret of [...secrets, ...codes]) expect(text).not.toContain(secret);
  }
}

beforeEach(async () => {
  fake = await startFakeGitHub();
});

afterEach(async () => {
  await stopStatus();
  await fake.close();
});

describe('signing in with GitHub', () => {
  it('sends the browser to GitHub and back, and signs the right login in at the page it came from', async () => {
    await startStatus();
    fake.oauth.nextLogin = 'alice';
    const browser = new Browser();
    const start = await browser.get(`${base}/github-login?dest=${encodeURIComponent('/view/job-1?tab=log')}`);
    const authorize = new URL(start.headers.get('location')!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fake.url}/login/oauth/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(fake.oauth.clientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/github-login/redirect`);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const back = await browser.get((await browser.get(authorize.toString())).headers.get('location')!);
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/view/job-1?tab=log');
    expect(back.headers.getSetCookie().some((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`) && cookie.includes('HttpOnly'))).toBe(true);
    expect(await whoami(browser)).toBe('alice');
    expect(exchanges()).toBe(1);
    // The user token was used to ask who it belongs to, and for nothing else.
    const token = [...fake.oauth.issuedTokens.keys()][0]!;
    expect(fake.requests.filter((request) => request.authorization === `token ${token}`).map((request) => request.route)).toEqual(['GET /user']);
    expect(browser.has('cutwater_oauth_state')).toBe(false);
    expectNoSecrets([await back.text()]);
  });

  it('refuses a callback whose state is not the one this browser was given, without exchanging the code', async () => {
    await startStatus();
    fake.oauth.nextLogin = 'mallory';
    // The attacker completes GitHub's side with their own account and sends the victim the callback link.
    const attacker = new Browser();
    const attackerStart = await attacker.get(`${base}/github-login`);
    const callback = (await attacker.get(attackerStart.headers.get('location')!)).headers.get('location')!;

    const victim = new Browser();
    await victim.get(`${base}/github-login`); // the victim has a sign-in of their own under way
    const answer = await victim.get(callback);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('could not be verified');
    expect(await whoami(victim)).toBe('(signed out)');

    const noCookie = await new Browser().get(callback);
    expect(noCookie.status).toBe(400);
    expect(exchanges()).toBe(0);
  });

  it('sends people home rather than to another site, whatever dest says', async () => {
    await startStatus();
    fake.oauth.nextLogin = 'alice';
    for (const dest of ['//evil.example/phish', 'https://evil.example/', '/\\evil.example']) {
      const back = await signIn(new Browser(), dest);
      expect(back.status).toBe(302);
      expect(back.headers.get('location')).toBe('/');
    }
  });

  it('explains a declined authorization and a refused code exchange, without leaking the secret', async () => {
    await startStatus((settings) => ({ ...settings, clientSecret: 'wrong-secret-that-must-not-show' }));
    fake.oauth.nextLogin = undefined;
    const declined = await signIn(new Browser(), '/');
    expect(declined.status).toBe(400);
    expect(await declined.text()).toContain('declined');

    fake.oauth.nextLogin = 'alice';
    const browser = new Browser();
    const refused = await signIn(browser, '/');
    expect(refused.status).toBe(502);
    const page = await refused.text();
    expect(page).toContain('GitHub did not accept the sign-in (incorrect_client_credentials)');
    expect(page).not.toContain('wrong-secret-that-must-not-show');
    expect(JSON.stringify(log.entries)).not.toContain('wrong-secret-that-must-not-show');
    expect(await whoami(browser)).toBe('(signed out)');
    expectNoSecrets([page]);
  });

  it('says how to configure sign-in when it is not', async () => {
    await startStatus(() => undefined);
    const answer = await new Browser().get(`${base}/github-login?dest=/`);
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain('GitHub sign-in is not configured: set GITHUB_OAUTH_CLIENT_ID');
  });

  it('derives GitHub\'s web host from the API URL, for github.com and GitHub Enterprise', async () => {
    for (const [apiUrl, authorize] of [
      ['https://api.github.com', 'https://github.com/login/oauth/authorize'],
      ['https://ghe.example.com/api/v3/', 'https://ghe.example.com/login/oauth/authorize'],
    ] as const) {
      await startStatus((settings) => ({ ...settings, apiUrl }));
      const start = await new Browser().get(`${base}/github-login`);
      expect(start.headers.get('location')!.split('?')[0]).toBe(authorize);
    }
  });
});

describe('signing out', () => {
  it('needs the page\'s CSRF token and a same-site origin, then clears the session', async () => {
    await startStatus();
    fake.oauth.nextLogin = 'alice';
    const browser = new Browser();
    await signIn(browser, '/');
    expect(await whoami(browser)).toBe('alice');

    const form = (token: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ [CSRF_FIELD]: token }).toString(),
    });
    expect((await browser.send(`${base}/logout`, form('forged'))).status).toBe(403);
    const token = await (await browser.get(`${base}/page`)).text();
    const crossSite = await browser.send(`${base}/logout`, { ...form(token), headers: { ...form(token).headers, origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await whoami(browser)).toBe('alice');

    const out = await browser.send(`${base}/logout`, form(token));
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
    expect(await whoami(browser)).toBe('(signed out)');
  });
});

describe('rerun decisions over the real GitHub client', () => {
  it('asks GitHub for team membership and Prow\'s /test trust on a pull request', async () => {
    const config = expectLoaded(
      buildFromFiles({
        config: yaml(`
          deck:
            rerun_auth_configs:
              '*':
                github_team_slugs: [{org: acme, slug: ci-admins}]
        `),
        plugins: yaml(`
          triggers:
            - repos: [acme/widgets]
              trusted_org: friends
        `),
      }),
    );
    fake.addTeamMember('acme', 'ci-admins', 'admin');
    fake.addCollaborator('acme/widgets', 'collab');
    fake.addOrgMember('friends', 'friend');
    fake.addPullRequest('acme/widgets', { number: 7, author: 'newcomer' });
    fake.addPullRequest('acme/widgets', { number: 8, author: 'newcomer', labels: ['ok-to-test'] });
    const github = createGitHubClient({ baseUrl: fake.url, auth: { token: 'ghp_testtokenforthefakegithub000000' }, pacing: false });
    const lookup = membershipLookupFor(github, config.plugins);
    const deck = config.prow.deck;
    const decide = (login: string, pull: number) =>
      decideRerun({ login, deck, lookup, job: testProwJob({ org: 'acme', repo: 'widgets', pull }) });

    expect(await decide('admin', 7)).toEqual({ allowed: true, login: 'admin' });
    expect(await decide('collab', 7)).toEqual({ allowed: true, login: 'collab' });
    expect(await decide('friend', 7)).toEqual({ allowed: true, login: 'friend' });
    expect(await decide('newcomer', 7)).toMatchObject({ allowed: false, status: 403 });
    // As in Prow, a pull request marked ok-to-test may be rerun by anyone signed in.
    expect(await decide('newcomer', 8)).toEqual({ allowed: true, login: 'newcomer' });
  });
});
