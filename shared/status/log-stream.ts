import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { isActiveState } from '../prowjob/lifecycle';
import { LogStreamRenderer } from './build-log';
import { joinHtml, type SafeHtml } from './html';
import { readLogFrom, type JobLogSources } from './job-log';
import type { StatusRequest } from './status-request';
import { stateBadge, stateOf } from './pages/layout';
import { sendText } from './respond';

/**
 * A running job's build log as server-sent events, for the job page: `lines` events carry newly
 * written lines already rendered (escaped, coloured, numbered), `state` a new state badge, and `end`
 * the final state once the job finished and the last bytes were sent. Each event's id is
 * "<byte offset>:<next line number>", so a browser that reconnects (EventSource does so by itself,
 * sending Last-Event-ID) resumes where it was instead of starting over.
 *
 * Where the bytes come from while the job runs and after is `readLogFrom`'s business (job-log.ts).
 */

export interface StreamOptions {
  pollMs?: number;
  /** The stream ends after this long (the browser reconnects); keeps a function within its timeout. */
  maxMs?: number;
  keepAliveMs?: number;
}

/** Where a page that showed `text` (whole lines only) leaves the stream to continue. */
export function streamPosition(text: string): { offset: number; line: number; shown: string } {
  const end = text.lastIndexOf('\n') + 1;
  const shown = text.slice(0, end);
  return { offset: Buffer.byteLength(shown, 'utf8'), line: shown.split('\n').length, shown };
}

/** Parses `id` / Last-Event-ID "<offset>:<line>"; undefined when absent or malformed. */
export function parsePosition(value: string | null | undefined): { offset: number; line: number } | undefined {
  const match = /^(\d{1,15}):(\d{1,12})$/.exec(value ?? '');
  if (!match) return undefined;
  return { offset: Number(match[1]), line: Math.max(1, Number(match[2])) };
}

/** `GET /view/<ProwJob name>/stream`: from Last-Event-ID when the browser reconnects, else from `?from=`. */
export async function serveLogStream(page: StatusRequest, name: string): Promise<void> {
  const stored = await page.deps.store.jobs.get(name);
  if (!stored || !page.visible(stored.job)) return sendText(page.response, 404, `no ProwJob named ${name}\n`);
  const lastEventId = page.request.headers['last-event-id'];
  const start = parsePosition(typeof lastEventId === 'string' ? lastEventId : undefined) ?? parsePosition(page.url.searchParams.get('from')) ?? { offset: 0, line: 1 };
  await streamJobLog(page.deps, page.request, page.response, name, start, page.deps.stream);
}

function event(response: ServerResponse, name: string, data: string, id?: string): void {
  const lines = data.split('\n').map((line) => `data: ${line}`);
  response.write(`${id ? `id: ${id}\n` : ''}event: ${name}\n${lines.join('\n')}\n\n`);
}

export async function streamJobLog(
  sources: JobLogSources,
  request: IncomingMessage,
  response: ServerResponse,
  jobName: string,
  start: { offset: number; line: number },
  options: StreamOptions = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 1_000;
  const maxMs = options.maxMs ?? 10 * 60_000;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  response.write('retry: 2000\n\n');
  let closed = false;
  request.on('close', () => (closed = true));
  const renderer = new LogStreamRenderer(start.line);
  const decoder = new StringDecoder('utf8');
  let offset = start.offset;
  let lastState: string | undefined;
  let lastWrite = Date.now();
  const began = Date.now();
  while (!closed && Date.now() - began < maxMs) {
    const stored = await sources.store.jobs.get(jobName);
    if (!stored) {
      event(response, 'end', 'gone');
      break;
    }
    const state = stateOf(stored.job);
    const bytes = await readLogFrom(sources, stored.job, offset).catch(() => undefined);
    const rendered: SafeHtml[] = [];
    if (bytes && bytes.length > 0) {
      offset += bytes.length;
      rendered.push(renderer.push(decoder.write(bytes)));
    }
    const finished = !isActiveState(state);
    if (finished) rendered.push(renderer.push(decoder.end()), renderer.flush());
    const html = joinHtml(rendered).toString();
    if (html) {
      event(response, 'lines', html, `${offset}:${renderer.nextLineNumber}`);
      lastWrite = Date.now();
    }
    if (state !== lastState) {
      if (lastState !== undefined) event(response, 'state', stateBadge(state, 'job-state').toString());
      lastState = state;
    }
    if (finished) {
      event(response, 'end', state);
      break;
    }
    if (Date.now() - lastWrite > keepAliveMs) {
      response.write(': still running\n\n');
      lastWrite = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  response.end();
}
