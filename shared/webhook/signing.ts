import { createHmac, randomUUID } from 'node:crypto';

/** Signs a body as GitHub does (`X-Hub-Signature-256`), for `cutwater phony` and tests. */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
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
