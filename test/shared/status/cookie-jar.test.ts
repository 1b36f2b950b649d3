import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTING_COOKIE, packedSetCookie, throughHostingCookieJar, unpackedCookieHeader } from '../../../shared/status/cookie-jar';

/** Behind Firebase Hosting only `__session` reaches the function: the pages' cookies must ride in it. */

let server: Server;
let base: string;
let seen: string | undefined;

beforeAll(async () => {
  const handler = throughHostingCookieJar(
    async (request, response) => {
      seen = request.headers.cookie;
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/sign-in') {
        response.setHeader('set-cookie', ['cutwater_session=abc.sig; Path=/; HttpOnly', 'cutwater_csrf=anon; Path=/']);
        response.writeHead(302, { location: '/', 'set-cookie': 'cutwater_oauth_state=; Max-Age=0; Path=/github-login' });
        response.end();
      } else if (url.pathname === '/sign-out') {
        response.writeHead(303, { 'set-cookie': 'cutwater_session=; Max-Age=0; Path=/', location: '/' });
        response.end();
      } else {
        response.end('ok');
      }
      return true;
    },
    { secure: true },
  );
  server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function jarOf(setCookie: string | null): string {
  expect(setCookie).toMatch(new RegExp(`^${HOSTING_COOKIE}=`));
  expect(setCookie).toContain('Secure');
  return (setCookie ?? '').split(';')[0] ?? '';
}

describe('the __session cookie jar', () => {
  it('folds every cookie a response sets into __session and unpacks it on the next request', async () => {
    const signIn = await fetch(`${base}/sign-in`, { redirect: 'manual', headers: { cookie: `${HOSTING_COOKIE}=${Buffer.from(JSON.stringify({ cutwater_oauth_state: 'st' })).toString('base64url')}` } });
    const jar = jarOf(signIn.headers.get('set-cookie'));
    await fetch(`${base}/page`, { headers: { cookie: `${jar}; other=1` } });
    expect(seen).toContain('cutwater_session=abc.sig');
    expect(seen).toContain('cutwater_csrf=anon');
    expect(seen).toContain('other=1');
    expect(seen).not.toContain('cutwater_oauth_state');
    expect(seen).not.toContain(HOSTING_COOKIE);

    const signOut = await fetch(`${base}/sign-out`, { redirect: 'manual', headers: { cookie: jar } });
    const after = jarOf(signOut.headers.get('set-cookie'));
    expect(unpackedCookieHeader(after)).toBe('cutwater_csrf=anon');
  });

  it('clears the jar when its last entry goes, and treats a garbled jar as empty', () => {
    const only = `${HOSTING_COOKIE}=${Buffer.from(JSON.stringify({ a: '1' })).toString('base64url')}`;
    expect(packedSetCookie(only, ['a=; Max-Age=0'], false)).toMatch(/^__session=; Max-Age=0/);
    expect(unpackedCookieHeader(`${HOSTING_COOKIE}=%%%not-base64`)).toBeUndefined();
    expect(packedSetCookie(undefined, [], false)).toBeUndefined();
  });
});
