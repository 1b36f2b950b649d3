import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
 * The GitHub token the sign-in obtained is not in the session cookie. The PR dashboard (`/pr`)
 * searches GitHub as the viewer, so the token is kept beside it in a cookie of its own, encrypted
 * (AES-256-GCM under a key derived from the session secret) and bound to the login: the browser
 * holds only ciphertext, and a token cookie never serves another session's login.
 */

export const SESSION_COOKIE = 'cutwater_session';
export const USER_TOKEN_COOKIE = 'cutwater_gh_token';

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
  /** A `Set-Cookie` value holding `login`'s GitHub token, encrypted; it lasts as long as a session. */
  userTokenCookie(login: string, token: string): string;
  /** A `Set-Cookie` value that forgets the token. */
  clearUserTokenCookie(): string;
  /** The signed-in viewer's GitHub token; undefined when signed out, or the cookie is absent, foreign or expired. */
  readUserToken(request: IncomingMessage): string | undefined;
}

const SessionPayload = z.object({ login: z.string().min(1), exp: z.number() });
const SealedPayload = z.object({ data: z.record(z.string(), z.string()), exp: z.number() });
const TokenPayload = z.object({ login: z.string().min(1), token: z.string().min(1), exp: z.number() });
/** GCM's recommended nonce length. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

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

  // One encryption key per secret, derived so the key never equals a signing key.
  const tokenKeys = keys.map((key) => createHmac('sha256', key).update('user-token-encryption').digest());
  const readUserToken = (request: IncomingMessage) => {
    const login = readSession(request)?.login;
    const sealed = requestCookie(request, USER_TOKEN_COOKIE);
    if (!login || !sealed) return undefined;
    for (const key of tokenKeys) {
      const parsed = TokenPayload.safeParse(decrypt(key, sealed));
      if (parsed.success) return parsed.data.login === login && parsed.data.exp > now() ? parsed.data.token : undefined;
    }
    return undefined;
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
    userTokenCookie: (login, token) =>
      setCookie(USER_TOKEN_COOKIE, encrypt(tokenKeys[0]!, { login, token, exp: now() + ttlMs }), scope, Math.floor(ttlMs / 1000)),
    clearUserTokenCookie: () => setCookie(USER_TOKEN_COOKIE, '', scope, 0),
    readUserToken,
  };
}

function encrypt(key: Buffer, payload: unknown): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The payload, or undefined when the value was not encrypted under this key (or was altered). */
function decrypt(key: Buffer, value: string): unknown {
  const raw = Buffer.from(value, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
