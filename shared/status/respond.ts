import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { SafeHtml } from './html';

/** How the status pages answer: HTML under a strict policy, text, and compressible JSON. */

/** Nothing inline and nothing from elsewhere: a job's text can never become script. */
const CONTENT_SECURITY_POLICY =
  // Style attributes only: the log renderer colours 256-colour and 24-bit ANSI text with them.
  // Frames only from this site: the html lens's reports, which the artifact route serves sandboxed.
  "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Below this, gzip saves less than its own framing costs the reader in time. */
const MIN_GZIP_CHARS = 1024;

/** Pages and JSON are text that compresses ~10×; a browser that says it takes gzip gets gzip. */
export function sendCompressible(response: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  const accepts = /\bgzip\b/.test(String(response.req.headers['accept-encoding'] ?? ''));
  const gzip = accepts && text.length > MIN_GZIP_CHARS;
  const body = gzip ? gzipSync(text) : Buffer.from(text, 'utf8');
  response.writeHead(status, {
    ...headers,
    vary: 'accept-encoding',
    'content-length': String(body.length),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

export function sendHtml(response: ServerResponse, status: number, html: SafeHtml): void {
  sendCompressible(
    response,
    status,
    {
      'content-type': 'text/html; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    },
    html.toString(),
  );
}

export function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(text);
}
