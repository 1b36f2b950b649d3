import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestCookie, setCookie } from '../cookies';
import { sameText, type SessionCodec } from './session';

/**
 * CSRF protection for the status pages' POSTs (rerun, abort, sign-out). A token is an HMAC of
 * whom the page was rendered for: the signed-in session, or — for signed-out visitors, whose
 * `allow_anyone` reruns must be protected too — a random anonymous cookie. Another site can make
 * the browser send the cookies but cannot read the page, so it cannot know the token. As a second
 * line, a request whose `Origin` is another site's, or which the browser labels
 * `Sec-Fetch-Site: cross-site`, is refused whatever it carries.
 */

export const CSRF_FIELD = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
export const ANONYMOUS_CSRF_COOKIE = 'cutwater_csrf';

const ANONYMOUS_ID = /^[A-Za-z0-9_-]{43}$/;

export interface CsrfOptions {
  /** The session codec made from the same secrets: tokens of signed-in users are bound to the session. */
  sessions: SessionCodec;
  /** STATUS_URL: its origin is accepted in `Origin` besides the request's own host. */
  publicUrl?: string;
}

export interface CsrfGuard {
  /** The token to put in a form or header; sets the anonymous cookie on `response` when needed. */
  csrfTokenFor(request: IncomingMessage, response: ServerResponse): string;
  checkCsrf(request: IncomingMessage, submittedToken: string | undefined): boolean;
}

export function createCsrfGuard(secrets: readonly string[], options: CsrfOptions): CsrfGuard {
  if (secrets.length === 0) throw new Error('no session secret for CSRF tokens: set STATUS_SESSION_SECRET or STATUS_SESSION_SECRET_FILE');
  const { sessions } = options;
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : undefined;
  const anonymousScope = { path: '/', secure: sessions.secure };
  // A page may ask for its token more than once while the new anonymous cookie is still unsent.
  const issued = new WeakMap<IncomingMessage, string>();

  const binding = (request: IncomingMessage): string | undefined => {
    const session = sessions.readSession(request);
    if (session) return `session:${session.id}`;
    const anonymous = issued.get(request) ?? requestCookie(request, ANONYMOUS_CSRF_COOKIE);
    return anonymous && ANONYMOUS_ID.test(anonymous) ? `anonymous:${anonymous}` : undefined;
  };

  const token = (secret: string, bound: string) => createHmac('sha256', secret).update(`csrf\n${bound}`).digest('base64url');

  return {
    csrfTokenFor: (request, response) => {
      let bound = binding(request);
      if (!bound) {
        const anonymous = randomBytes(32).toString('base64url');
        issued.set(request, anonymous);
        // No Max-Age: the binding lasts as long as the browser session, like the page it protects.
        appendSetCookie(response, setCookie(ANONYMOUS_CSRF_COOKIE, anonymous, anonymousScope));
        bound = `anonymous:${anonymous}`;
      }
      return token(secrets[0]!, bound);
    },
    checkCsrf: (request, submittedToken) => {
      if (!fromOwnSite(request, publicOrigin)) return false;
      const bound = binding(request);
      if (!bound || !submittedToken) return false;
      // Tokens rendered before a secret rotation stay good while the old secret is still listed.
      return secrets.some((secret) => sameText(token(secret, bound), submittedToken));
    },
  };
}

/**
 * The browser's own word on where a request comes from. Requests without `Origin` or
 * `Sec-Fetch-Site` (old browsers, curl) are left to the token.
 */
function fromOwnSite(request: IncomingMessage, publicOrigin: string | undefined): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (publicOrigin !== undefined && origin === publicOrigin) return true;
  let parsed: URL;
  try {
    // "null" (sandboxed frames, some redirects) is not a URL and is refused.
    parsed = new URL(origin);
  } catch {
    return false;
  }
  const host = request.headers.host?.toLowerCase();
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && host !== undefined && parsed.host === host;
}

/** The token a request submitted: the header (for fetch) or the form field. */
export function submittedCsrfToken(request: IncomingMessage, form?: URLSearchParams): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  return form?.get(CSRF_FIELD) ?? undefined;
}

export function appendSetCookie(response: ServerResponse, cookie: string): void {
  const existing = response.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  response.setHeader('set-cookie', [...list, cookie]);
}
