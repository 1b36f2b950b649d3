import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small adapters between node:http and Cutwater's request handlers, shared by local mode and tests. */

/** GitHub caps webhook payloads at 25 MB. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The request's URL when its target is a path (`/view/x?y=1`), as every server here expects; else
 * undefined, to be answered 400. node:http also passes on absolute targets (`http://host/x`, which
 * only a proxy is sent) and `*`: parsing those against a base either throws or drops part of them.
 */
export function requestUrl(request: IncomingMessage): URL | undefined {
  const target = request.url ?? '/';
  if (!target.startsWith('/')) return undefined;
  try {
    // Appended rather than resolved: resolved, "//host/x" would be read as another host's "/x".
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // A browser must never take JSON that echoes a request for HTML or script.
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}
