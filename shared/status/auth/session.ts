import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { requestCookie, setCookie } from '../cookies';

/**
 * Who is signed in to the status pages: a cookie holding `{login, exp}` as base64url JSON and an
 * HMAC-SHA256 over it, so no server-side session store is needed (the status pages run as a
 * stateless function). Several secrets allow rotation: cookies are signed with the first and
 * accepted under any, so a new secret goes first and the old one is dropped once its cookies
 * have expired. A tampered, expired or malformed cookie reads as signed out, never as an error.
 *
 * The GitHub token the sign-in obtained is not in the cookie: it is used once to learn the login.
 */

export const SESSION_COOKIE = 'cutwater_session';

/** Seven days: rerun rights are checked against GitHub on every rerun, the login alone is kept. */
export const DEFAULT_SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Short secrets make forgeable cookies; 32 characters is what `openssl rand -base64 32` gives at least. */
const MIN_SECRET_LENGTH = 32;

export interface SessionOptions {
  ttlMs?: number;
  /** Mark cookies `Secure`: set it when the public URL (STATUS_URL) is https. */
  secure?: boolean;
  now?: () => number;
}

export interface SessionCodec {
  readonly secure: boolean;
  /** A `Set-Cookie` value that signs `login` in. */
  sessionCookie(login: string): string;
  /** A `Set-Cookie` value that signs out. */
  clearCookie(): string;
  readLogin(request: IncomingMessage): string | undefined;
  /**
   * The signed-in session with an identifier unique to this sign-in (its signature), to which
   * CSRF tokens are bound; undefined when signed out.
   */
  readSession(request: IncomingMessage): { login: string; id: string } | undefined;
  /**
   * Signs other short-lived values (the OAuth state) with the same secrets. `purpose` is part of
   * what is signed, so a value sealed for one purpose is never accepted for another — an OAuth
   * state cookie cannot pass for a session.
   */
  seal(purpose: string, data: Record<string, string>, ttlMs: number): string;
  unseal(purpose: string, sealed: string | undefined): Record<string, string> | undefined;
}

const SessionPayload = z.object({ login: z.string().min(1), exp: z.number() });
const SealedPayload = z.object({ data: z.record(z.string(), z.string()), exp: z.number() });

export function createSessionCodec(secrets: readonly string[], options: SessionOptions = {}): SessionCodec {
  const keys = checkedSecrets(secrets);
  const ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const secure = options.secure ?? false;
  const now = options.now ?? Date.now;
  const scope = { path: '/', secure };

  const sign = (purpose: string, payload: unknown) => {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${mac(keys[0]!, purpose, body)}`;
  };

  /** The payload of a value signed for `purpose` under any of the secrets, and its signature. */
  const verify = (purpose: string, value: string | undefined): { payload: unknown; signature: string } | undefined => {
    if (!value) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
    const body = value.slice(0, dot);
    const signature = value.slice(dot + 1);
    if (!keys.some((key) => sameText(mac(key, purpose, body), signature))) return undefined;
    try {
      return { payload: JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), signature };
    } catch {
      return undefined;
    }
  };

  const readSession = (request: IncomingMessage) => {
    const verified = verify('session', requestCookie(request, SESSION_COOKIE));
    const parsed = SessionPayload.safeParse(verified?.payload);
    if (!verified || !parsed.success || parsed.data.exp <= now()) return undefined;
    return { login: parsed.data.login, id: verified.signature };
  };

  return {
    secure,
    sessionCookie: (login) => {
      const value = sign('session', { login, exp: now() + ttlMs });
      return setCookie(SESSION_COOKIE, value, scope, Math.floor(ttlMs / 1000));
    },
    clearCookie: () => setCookie(SESSION_COOKIE, '', scope, 0),
    readLogin: (request) => readSession(request)?.login,
    readSession,
    seal: (purpose, data, sealTtlMs) => sign(`sealed:${purpose}`, { data, exp: now() + sealTtlMs }),
    unseal: (purpose, sealed) => {
      const parsed = SealedPayload.safeParse(verify(`sealed:${purpose}`, sealed)?.payload);
      if (!parsed.success || parsed.data.exp <= now()) return undefined;
      return parsed.data.data;
    },
  };
}

function checkedSecrets(secrets: readonly string[]): string[] {
  if (secrets.length === 0) {
    throw new Error('no session secret: set STATUS_SESSION_SECRET or STATUS_SESSION_SECRET_FILE (one secret per line)');
  }
  if (secrets.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
    throw new Error(`a session secret is shorter than ${MIN_SECRET_LENGTH} characters: make one with \`openssl rand -base64 32\``);
  }
  return [...secrets];
}

function mac(key: string, purpose: string, body: string): string {
  return createHmac('sha256', key).update(`${purpose}\n${body}`).digest('base64url');
}

/** Constant-time comparison of two strings; unequal lengths say no without comparing. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
