import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSessionCodec, SESSION_COOKIE } from '../../../shared/status/auth/session';
import { HOSTING_COOKIE, unpackedCookieHeader } from '../../../shared/status/cookie-jar';
import { cookieHeader, requestCookie, requestCookies, setCookie } from '../../../shared/status/cookies';

/**
 * One rule for a cookie name sent twice, wherever the status pages read cookies: the first one
 * counts (browsers send the cookie with the longest Path first).
 */

const SECRET = 'cookie-test-session-secret-0123456789';

function requestWith(cookie: string): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.headers.cookie = cookie;
  return request;
}

describe('cookies', () => {
  it('reads the first of two cookies with the same name', () => {
    expect(requestCookies('a=first; b=2; a=second')).toEqual({ a: 'first', b: '2' });
    expect(requestCookie(requestWith('a=first; a=second'), 'a')).toBe('first');
  });

  it('keeps a signed-in session when a stale cookie of the same name comes after it, and not the other way round', () => {
    const sessions = createSessionCodec([SECRET]);
    const valid = sessions.sessionCookie('alice').split(';')[0] ?? '';
    const stale = `${SESSION_COOKIE}=garbage.sig`;
    expect(sessions.readLogin(requestWith(`${valid}; ${stale}`))).toBe('alice');
    expect(sessions.readLogin(requestWith(`${stale}; ${valid}`))).toBeUndefined();
  });

  it('applies the same rule to the Firebase Hosting jar and inside it', () => {
    const jar = (entries: Record<string, string>) => `${HOSTING_COOKIE}=${Buffer.from(JSON.stringify(entries)).toString('base64url')}`;
    expect(unpackedCookieHeader(`${jar({ a: 'from-first-jar' })}; ${jar({ a: 'from-second-jar' })}`)).toBe('a=from-first-jar');
    // A cookie that reached the function beside the jar (its own URL) counts over the jar's copy.
    expect(unpackedCookieHeader(`${jar({ a: 'in-jar' })}; a=direct`)).toBe('a=direct');
  });

  it('writes status cookies HttpOnly and SameSite=Lax, Secure over https, values as they are', () => {
    expect(setCookie('c', 'ab.c_d-e', { path: '/', secure: false }, 60)).toBe('c=ab.c_d-e; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
    expect(setCookie('c', '', { path: '/github-login', secure: true }, 0)).toBe('c=; Max-Age=0; Path=/github-login; HttpOnly; Secure; SameSite=Lax');
  });

  it('leaves out of a Cookie header what the header cannot carry, instead of failing the request', () => {
    expect(cookieHeader({ good: 'v', 'bad name': 'x', other: 'a b' })).toBe('good=v');
  });
});
