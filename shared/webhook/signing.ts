import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** Signs a body as GitHub does (`X-Hub-Signature-256`), for `cutwater phony` and tests. */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const SIGNATURE_FORM = /^sha256=[0-9a-f]{64}$/;

/**
 * Whether `signature` is `secret`'s signature of `body`, compared in constant time. Over the bytes
 * as received: an empty body is a body like any other (GitHub never sends one, so it is refused
 * after this check, as a bad request rather than a forgery), and bytes that are not UTF-8 are not
 * decoded into different bytes first.
 */
export function signedWith(secret: string, body: Buffer, signature: string): boolean {
  if (!SIGNATURE_FORM.test(signature)) return false;
  return timingSafeEqual(Buffer.from(githubSignature(secret, body)), Buffer.from(signature));
}

/** The headers GitHub sends with a delivery. */
export function signedHeaders(secret: string, event: string, body: string | Buffer, delivery: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/cutwater-phony',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': githubSignature(secret, body),
  };
}
