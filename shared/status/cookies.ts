import type { IncomingMessage } from 'node:http';
import { parseCookie, parseSetCookie, stringifyCookie, stringifySetCookie, type SetCookie } from 'cookie';

/**
 * The status pages' cookies, read and written with the `cookie` package (jshttp, the parser under
 * Express). Its 1.x line is used because 2.x needs Node 22 and Cutwater runs on Node 20 too.
 *
 * One rule for a name sent twice: the first one counts. Browsers list the cookies of a request
 * with the longest Path first (RFC 6265, 5.4), so the first is the most specific — the sign-in
 * state cookie at `/github-login` over a stale one at `/` — and it is what `cookie` itself keeps.
 *
 * Values are kept exactly as sent: every cookie the pages set is base64url (with a `.` before a
 * signature), which needs no percent-encoding, and a cookie carried through the Hosting jar must
 * come out as it went in.
 */

const asIs = (value: string) => value;

/** The request's cookies by name, the first of each name. */
export function requestCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseCookie(header ?? '', { decode: asIs }))) {
    if (value !== undefined) cookies[name] = value;
  }
  return cookies;
}

export function requestCookie(request: IncomingMessage, name: string): string | undefined {
  return requestCookies(request.headers.cookie)[name];
}

/** A `Cookie` header with these cookies; one the header syntax cannot carry is left out. */
export function cookieHeader(cookies: Readonly<Record<string, string>>): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(cookies)) {
    try {
      pairs.push(stringifyCookie({ [name]: value }, { encode: asIs }));
    } catch {
      // Another application's malformed cookie on the same host: the status pages never read it.
    }
  }
  return pairs.join('; ');
}

/** Every status cookie is HttpOnly, SameSite=Lax, and Secure when the pages are served over https. */
export interface CookieScope {
  path: string;
  secure: boolean;
}

/** A `Set-Cookie` value; `maxAgeSeconds` 0 deletes the cookie, undefined makes it last the browser session. */
export function setCookie(name: string, value: string, scope: CookieScope, maxAgeSeconds?: number): string {
  return stringifySetCookie(
    {
      name,
      value,
      ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
      path: scope.path,
      httpOnly: true,
      secure: scope.secure,
      sameSite: 'lax',
    },
    { encode: asIs },
  );
}

/** What a `Set-Cookie` header says: the name, the value and whether it deletes the cookie. */
export function parsedSetCookie(header: string, now: number): { name: string; value: string; deletes: boolean } | undefined {
  let parsed: SetCookie;
  try {
    parsed = parseSetCookie(header, { decode: asIs });
  } catch {
    return undefined;
  }
  if (!parsed.name) return undefined;
  const expired = (parsed.maxAge !== undefined && parsed.maxAge <= 0) || (parsed.expires !== undefined && parsed.expires.getTime() <= now);
  return { name: parsed.name, value: parsed.value ?? '', deletes: expired };
}
