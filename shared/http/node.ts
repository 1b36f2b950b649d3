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

/**
 * The whole request body as one Buffer. Node's parser hands over exactly Content-Length bytes, so
 * with that header the Buffer is allocated once and each chunk copied into it (a body that came in
 * one chunk is that chunk); only a chunked body is collected and joined. Plain listeners rather
 * than `for await`: the async iterator's promises and stream plumbing cost more than reading a
 * webhook's few chunks, per request.
 */
export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  const expected = request.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  if (expected !== undefined && expected > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    let whole: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        stop();
        request.pause();
        reject(new BodyTooLargeError());
        return;
      }
      if (expected !== undefined && size === 0 && chunk.length === expected) {
        whole = chunk;
      } else if (expected !== undefined && size + chunk.length <= expected) {
        whole ??= Buffer.allocUnsafe(expected);
        chunk.copy(whole, size);
      } else {
        chunks ??= whole ? [whole.subarray(0, size)] : [];
        whole = undefined;
        chunks.push(chunk);
      }
      size += chunk.length;
    };
    const onEnd = () => {
      stop();
      if (chunks) resolve(Buffer.concat(chunks, size));
      else resolve(whole ? whole.subarray(0, size) : Buffer.alloc(0));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(new Error('the request was closed before its body arrived'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
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
