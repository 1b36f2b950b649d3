import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Octokit } from '@octokit/core';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { z } from 'zod';
import { readBody } from '../../http/node';
import type { Logger } from '../../log/logger';
import { githubApiUrl } from '../../github/environment';
import { requestCookie, setCookie } from '../cookies';
import { html, type SafeHtml } from '../html';
import type { Exchange, HttpMethod } from '../router';
import { submittedCsrfToken, appendSetCookie, type CsrfGuard } from './csrf';
import { sameText, type SessionCodec } from './session';

/**
 * Signing in to the status pages with GitHub's OAuth web flow, at Prow deck's paths:
 * `GET /github-login?dest=/path` sends the browser to GitHub with a random `state`, which is kept
 * with `dest` in a short-lived signed cookie; `GET /github-login/redirect` checks the state,
 * exchanges the code for a user token, asks GitHub whose token it is, and signs that login in.
 * `POST /logout` signs out. The user's token is kept only encrypted in a cookie (./session.ts), for
 * the PR dashboard's searches.
 *
 * Works with an OAuth App or a GitHub App's client ID and secret. The web host is derived from
 * GITHUB_API_URL by @octokit/oauth-methods: api.github.com → github.com, a GitHub Enterprise
 * `https://ghe.example.com/api/v3` → `https://ghe.example.com`, anything else (a test server)
 * is used as it is.
 */

export interface GitHubOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** GITHUB_API_URL. */
  apiUrl: string;
  /** Where the status pages are published (STATUS_URL), for GitHub's redirect back. */
  publicUrl: string;
}

export const LOGIN_PATH = '/github-login';
export const REDIRECT_PATH = '/github-login/redirect';
export const LOGOUT_PATH = '/logout';

const STATE_COOKIE = 'cutwater_oauth_state';
/** As long as a person may reasonably spend on GitHub's consent page. */
const STATE_TTL_MS = 10 * 60 * 1000;
const MAX_LOGOUT_BODY_BYTES = 16 * 1024;
/** A person is waiting on the redirect: a GitHub that does not answer is reported, not waited out. */
const GITHUB_TIMEOUT_MS = 15_000;

const NOT_CONFIGURED =
  'GitHub sign-in is not configured: set GITHUB_OAUTH_CLIENT_ID and GITHUB_OAUTH_CLIENT_SECRET (or GITHUB_OAUTH_CLIENT_SECRET_FILE) to an OAuth App\'s credentials, and STATUS_URL to where these pages are published.';

/**
 * GitHub sign-in settings from the environment; undefined when GITHUB_OAUTH_CLIENT_ID is unset.
 * `fallbackPublicUrl` stands in for STATUS_URL (local mode knows its own address).
 */
export function oauthSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallbackPublicUrl?: string,
): GitHubOAuthSettings | undefined {
  const clientId = env.GITHUB_OAUTH_CLIENT_ID?.trim();
  if (!clientId) return undefined;
  const secretFile = env.GITHUB_OAUTH_CLIENT_SECRET_FILE;
  const clientSecret = (secretFile ? readSecretFile(secretFile, 'GitHub OAuth client secret') : (env.GITHUB_OAUTH_CLIENT_SECRET ?? '')).trim();
  if (!clientSecret) {
    throw new Error('GITHUB_OAUTH_CLIENT_ID is set but the client secret is missing: set GITHUB_OAUTH_CLIENT_SECRET or GITHUB_OAUTH_CLIENT_SECRET_FILE');
  }
  const publicUrl = (env.STATUS_URL || fallbackPublicUrl || '').replace(/\/+$/, '');
  if (!publicUrl) {
    throw new Error('GitHub sign-in needs STATUS_URL, the public URL of the status pages: GitHub sends people back to <STATUS_URL>/github-login/redirect');
  }
  if (!/^https?:$/.test(URL.parse(publicUrl)?.protocol ?? '')) {
    throw new Error(`STATUS_URL "${publicUrl}" is not an http(s) URL`);
  }
  return { clientId, clientSecret, apiUrl: githubApiUrl(env), publicUrl };
}

/**
 * Session secrets: STATUS_SESSION_SECRET, or STATUS_SESSION_SECRET_FILE with one secret per line
 * (the first signs; all verify, for rotation). Empty when neither is set, so the caller decides
 * whether to generate one (local mode) or refuse to start.
 */
export function sessionSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env.STATUS_SESSION_SECRET_FILE;
  const text = file ? readSecretFile(file, 'status session secret') : (env.STATUS_SESSION_SECRET ?? '');
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Where to go after signing in: a path on this site, or `/`. Anything that a browser could read
 * as another host (`//evil`, `/\evil`, `https://evil`) or that carries control characters is
 * replaced, so the login link cannot be used as an open redirect.
 */
export function safeDestination(dest: string | null | undefined): string {
  if (!dest || !dest.startsWith('/') || dest.startsWith('//') || dest.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(dest)) return '/';
  const base = 'http://status.invalid';
  const parsed = URL.parse(dest, base);
  if (!parsed || parsed.origin !== base) return '/';
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}

export interface SignInDependencies {
  /** Undefined when sign-in is not configured: the login routes then explain how to set it up. */
  oauth?: GitHubOAuthSettings;
  sessions: SessionCodec;
  /** Checks `POST /logout`, so another site cannot sign people out. */
  csrf: CsrfGuard;
  log: Logger;
  /** Whose token this is (GET /user); by default asked of GITHUB_API_URL. */
  fetchLogin?: (userToken: string) => Promise<string>;
}

// github.com logins are letters, digits and hyphens; Enterprise managed users add `_shortcode`.
const UserSchema = z.object({ login: z.string().max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/) });
const OAuthErrorSchema = z.object({ error: z.string().regex(/^[a-z_]{1,64}$/) });

export interface SignInHandlers {
  /** `GET /github-login`. */
  startLogin(exchange: Exchange): void;
  /** `GET /github-login/redirect`. */
  finishLogin(exchange: Exchange): Promise<void>;
  /** `POST /logout`. */
  logout(exchange: Exchange): Promise<void>;
  /** Any other method on those paths. */
  methodNotAllowed(exchange: Exchange, allowed: readonly HttpMethod[]): void;
}

/** The handlers of the sign-in routes; the status pages' route table (../http.ts) mounts them. */
export function signInHandlers(deps: SignInDependencies): SignInHandlers {
  const { oauth, sessions, csrf, log } = deps;
  const github = oauth
    ? new Octokit({
        baseUrl: oauth.apiUrl.replace(/\/+$/, ''),
        request: { fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS) }) },
      })
    : undefined;
  const redirectUrl = oauth ? `${oauth.publicUrl}${REDIRECT_PATH}` : '';
  const stateScope = { path: LOGIN_PATH, secure: sessions.secure };
  const clearState = setCookie(STATE_COOKIE, '', stateScope, 0);

  const fetchLogin =
    deps.fetchLogin ??
    (async (userToken: string) => {
      const response = await github!.request('GET /user', { headers: { authorization: `token ${userToken}` } });
      return UserSchema.parse(response.data).login;
    });

  const startLogin = ({ response, url }: Exchange) => {
    if (!oauth || !github) return sendPage(response, 404, 'Sign-in unavailable', html`${NOT_CONFIGURED}`);
    const state = randomBytes(32).toString('base64url');
    const dest = safeDestination(url.searchParams.get('dest'));
    const sealed = sessions.seal('oauth-state', { state, dest }, STATE_TTL_MS);
    const { url: authorizeUrl } = getWebFlowAuthorizationUrl({
      clientType: 'oauth-app',
      clientId: oauth.clientId,
      redirectUrl,
      state,
      // Reading the login needs no scope; a new account has no rerun rights to sign in for. Without
      // a scope the PR dashboard's search (as the viewer) sees public repositories only.
      scopes: [],
      allowSignup: false,
      request: github.request,
    });
    appendSetCookie(response, setCookie(STATE_COOKIE, sealed, stateScope, STATE_TTL_MS / 1000));
    response.writeHead(302, { location: authorizeUrl, 'cache-control': 'no-store' });
    response.end();
  };

  const finishLogin = async ({ request, response, url }: Exchange) => {
    if (!oauth || !github) return sendPage(response, 404, 'Sign-in unavailable', html`${NOT_CONFIGURED}`);
    // The state is single-use whatever happens next.
    appendSetCookie(response, clearState);
    const again = html`<a href="${LOGIN_PATH}">Sign in again</a>`;
    const refused = url.searchParams.get('error');
    if (refused) {
      log.info('GitHub sign-in refused on GitHub', { githubError: OAuthErrorSchema.safeParse({ error: refused }).data?.error ?? 'other' });
      return sendPage(response, 400, 'Sign-in cancelled', html`GitHub did not sign you in (the authorization was declined). ${again} or <a href="/">go back</a>.`, true);
    }
    const saved = sessions.unseal('oauth-state', requestCookie(request, STATE_COOKIE));
    const state = url.searchParams.get('state') ?? '';
    if (!saved?.state || !sameText(saved.state, state)) {
      log.warn('GitHub sign-in refused: the state does not match this browser\'s sign-in', { hadStateCookie: saved !== undefined });
      return sendPage(
        response,
        400,
        'Sign-in not verified',
        html`This sign-in could not be verified: it expired, was started in another browser, or did not come from this site. ${again}.`,
        true,
      );
    }
    const code = url.searchParams.get('code');
    if (!code) return sendPage(response, 400, 'Sign-in failed', html`GitHub sent no authorization code. ${again}.`, true);
    let userToken: string;
    try {
      const exchanged = await exchangeWebFlowCode({
        clientType: 'oauth-app',
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        code,
        redirectUrl,
        request: github.request,
      });
      userToken = exchanged.authentication.token;
    } catch (error) {
      // Only GitHub's error code leaves here: the error also carries the request, secret included.
      const githubError = oauthErrorCode(error);
      log.warn('GitHub sign-in failed: the code exchange was refused', { githubError, status: statusOf(error) });
      return sendPage(response, 502, 'Sign-in failed', html`GitHub did not accept the sign-in${githubError ? ` (${githubError})` : ''}. ${again}.`, true);
    }
    let login: string;
    try {
      login = await fetchLogin(userToken);
    } catch (error) {
      log.warn('GitHub sign-in failed: GitHub did not say whose token it issued', { status: statusOf(error) });
      return sendPage(response, 502, 'Sign-in failed', html`GitHub did not tell us who you are. ${again}.`, true);
    }
    appendSetCookie(response, sessions.sessionCookie(login));
    // Kept (encrypted) for the PR dashboard, which searches GitHub as the viewer.
    appendSetCookie(response, sessions.userTokenCookie(login, userToken));
    log.info('signed in with GitHub', { login });
    response.writeHead(302, { location: safeDestination(saved.dest), 'cache-control': 'no-store' });
    response.end();
  };

  const logout = async ({ request, response }: Exchange) => {
    let form: URLSearchParams | undefined;
    if (/^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
      try {
        form = new URLSearchParams((await readBody(request, MAX_LOGOUT_BODY_BYTES)).toString('utf8'));
      } catch {
        form = undefined;
      }
    }
    if (!csrf.checkCsrf(request, submittedCsrfToken(request, form))) {
      return sendPage(response, 403, 'Not signed out', html`The sign-out form has expired or came from another site: reload the page and sign out again.`);
    }
    appendSetCookie(response, sessions.clearCookie());
    appendSetCookie(response, sessions.clearUserTokenCookie());
    response.writeHead(303, { location: '/', 'cache-control': 'no-store' });
    response.end();
  };

  const methodNotAllowed = ({ response }: Exchange, allowed: readonly HttpMethod[]) => {
    const allow = allowed.join(', ');
    response.setHeader('allow', allow);
    sendPage(response, 405, 'Method not allowed', html`Use ${allow} here.`);
  };

  return { startLogin, finishLogin, logout, methodNotAllowed };
}

function oauthErrorCode(error: unknown): string | undefined {
  const data = z.object({ response: z.object({ data: z.unknown() }) }).safeParse(error).data?.response.data;
  return OAuthErrorSchema.safeParse(data).data?.error;
}

function statusOf(error: unknown): number | undefined {
  return z.object({ status: z.number() }).safeParse(error).data?.status;
}

/** A bare page: these answer before (and apart from) the status pages' layout. */
function sendPage(response: ServerResponse, status: number, title: string, body: SafeHtml, fromGitHub = false): void {
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
  // The redirect URL holds the authorization code: keep it out of Referer headers.
  if (fromGitHub) headers['referrer-policy'] = 'no-referrer';
  response.writeHead(status, headers);
  response.end(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${body}</p></body></html>`.toString());
}
