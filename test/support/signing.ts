import { createHmac, randomUUID } from 'node:crypto';

/** Signs a body as GitHub does, for tests that send webhooks. */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function signedHeaders(secret: string, event: string, body: string, delivery: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': githubSignature(secret, body),
  };
}
