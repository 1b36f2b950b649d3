import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { cookieHeader, parsedSetCookie, requestCookies, setCookie } from './cookies';

/**
 * Firebase Hosting forwards exactly one cookie to the functions behind it: `__session`; every other
 * cookie is stripped from the request. The status pages use four (the session, the anonymous CSRF
 * binding, the OAuth state, the viewer's encrypted GitHub token), so behind Hosting they travel together inside `__session`: on the way
 * in, the jar is unpacked into an ordinary Cookie header; on the way out, the Set-Cookie headers the
 * pages wrote are folded into one new jar. Each entry keeps its own signature and expiry, so the
 * jar needs neither; it only has to live as long as the longest entry (a session's week).
 *
 * Duplicate names follow ./cookies.ts (the first counts), for the jar itself and inside it; a
 * cookie that reached the function beside the jar (its own URL, no Hosting) counts over the jar's.
 */
export const HOSTING_COOKIE = '__session';
const JAR_MAX_AGE_SECONDS = 7 * 24 * 3600;

type Jar = Record<string, string>;

function decodeJar(value: string | undefined): Jar {
  if (!value) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    // A jar that does not decode is no jar: the reader is signed out, nothing worse.
    return {};
  }
}

/** The Cookie header the pages should see: the request's cookies with the jar's entries unpacked. */
export function unpackedCookieHeader(header: string | undefined): string | undefined {
  const cookies = requestCookies(header);
  const jar = decodeJar(cookies[HOSTING_COOKIE]);
  delete cookies[HOSTING_COOKIE];
  return cookieHeader({ ...jar, ...cookies }) || undefined;
}

/** The one Set-Cookie that replaces `setCookies`, given the jar the request brought; undefined if nothing changed. */
export function packedSetCookie(requestCookieHeader: string | undefined, setCookies: readonly string[], secure: boolean): string | undefined {
  if (setCookies.length === 0) return undefined;
  const jar = decodeJar(requestCookies(requestCookieHeader)[HOSTING_COOKIE]);
  const now = Date.now();
  for (const header of setCookies) {
    const cookie = parsedSetCookie(header, now);
    if (!cookie) continue;
    if (cookie.deletes) delete jar[cookie.name];
    else jar[cookie.name] = cookie.value;
  }
  const scope = { path: '/', secure };
  if (Object.keys(jar).length === 0) return setCookie(HOSTING_COOKIE, '', scope, 0);
  return setCookie(HOSTING_COOKIE, Buffer.from(JSON.stringify(jar)).toString('base64url'), scope, JAR_MAX_AGE_SECONDS);
}

function setCookieList(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** Wraps a node:http handler so its cookies survive Firebase Hosting. */
export function throughHostingCookieJar<T>(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<T>,
  options: { secure: boolean },
): (request: IncomingMessage, response: ServerResponse) => Promise<T> {
  return (request, response) => {
    const original = request.headers.cookie;
    const unpacked = unpackedCookieHeader(original);
    if (unpacked === undefined) delete request.headers.cookie;
    else request.headers.cookie = unpacked;
    const writeHead = response.writeHead.bind(response) as (status: number, ...rest: unknown[]) => ServerResponse;
    // Every response passes through writeHead (node calls it for implicit headers too), so this is
    // the one place to see all the Set-Cookie headers the pages wrote.
    response.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.find((value): value is OutgoingHttpHeaders => typeof value === 'object' && value !== null && !Array.isArray(value));
      const fromArgument = headers ? setCookieList(headers['set-cookie']) : [];
      if (headers) delete headers['set-cookie'];
      const all = [...setCookieList(response.getHeader('set-cookie')), ...fromArgument];
      response.removeHeader('set-cookie');
      const packed = packedSetCookie(original, all, options.secure);
      if (packed) response.setHeader('set-cookie', packed);
      return writeHead(status, ...rest);
    }) as ServerResponse['writeHead'];
    return handler(request, response);
  };
}
