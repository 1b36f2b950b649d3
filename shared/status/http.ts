import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http/node';
import type { Logger } from '../log/logger';
import { ProwJobSchema } from '../prowjob/schema';
import { JobExistsError } from '../store/errors';
import { buildLogOf, findRun, type JobLogSources } from './job-log';
import { jobListPage, jobPage } from './pages';
import { parseProwJobsRequest, withoutOmitted } from './prowjobs-js';

/**
 * The status routes (Prow's deck) on a node:http server: `/`, `/view/<job>`, `/prowjobs.js`,
 * `/log`, and `/api/prowjobs` for `cutwater mkpj`. Returns false for a path it does not serve.
 */
export interface StatusDependencies extends JobLogSources {
  log: Logger;
  now?: () => number;
  /**
   * `POST /api/prowjobs` creates jobs (local mode only) for requests from this machine that carry
   * `Authorization: Bearer <token>`. Loopback alone is not enough: a tunnel that forwards GitHub's
   * webhooks to local mode also arrives from 127.0.0.1.
   */
  jobCreationToken?: string;
}

const MAX_JOB_BYTES = 1024 * 1024;

export function statusListener(deps: StatusDependencies) {
  const now = deps.now ?? Date.now;
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (request.method === 'POST' && path === '/api/prowjobs') {
      await createJob(deps, request, response);
      return true;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (path === '/prowjobs.js') {
      let parsed;
      try {
        parsed = parseProwJobsRequest(url.searchParams);
      } catch (error) {
        sendJson(response, 400, { message: (error as Error).message });
        return true;
      }
      const page = await deps.store.jobs.list(parsed.query, parsed.page);
      if (page.nextCursor) response.setHeader('x-next-cursor', page.nextCursor);
      sendJson(response, 200, { items: page.jobs.map((stored) => withoutOmitted(stored.job, parsed.omit)) });
      return true;
    }
    if (path === '/') {
      const page = await deps.store.jobs.list({}, { limit: 100 });
      sendHtml(response, 200, jobListPage(page.jobs.map((stored) => stored.job), now()));
      return true;
    }
    const view = /^\/view\/([^/]+)$/.exec(path);
    if (view?.[1]) {
      const stored = await deps.store.jobs.get(decodeURIComponent(view[1]));
      if (!stored) {
        sendHtml(response, 404, '<!doctype html><title>Not found</title><p>No such job. <a href="/">All jobs</a></p>');
        return true;
      }
      sendHtml(response, 200, jobPage(stored.job, await buildLogOf(deps, stored.job), now()));
      return true;
    }
    if (path === '/log') {
      const job = url.searchParams.get('job');
      const id = url.searchParams.get('id');
      if (!job || !id) {
        sendText(response, 400, 'give the job name and build ID: /log?job=<job>&id=<build id>\n');
        return true;
      }
      const run = await findRun(deps.store, job, id);
      const log = run && (await buildLogOf(deps, run.job));
      if (log === undefined) sendText(response, 404, `no log for ${job} build ${id}\n`);
      else sendText(response, 200, log);
      return true;
    }
    const api = /^\/api\/prowjobs\/([^/]+)$/.exec(path);
    if (api?.[1]) {
      const stored = await deps.store.jobs.get(decodeURIComponent(api[1]));
      if (stored) sendJson(response, 200, stored.job);
      else sendJson(response, 404, { message: 'no such ProwJob' });
      return true;
    }
    return false;
  };
}

async function createJob(deps: StatusDependencies, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const remote = request.socket.remoteAddress ?? '';
  const token = deps.jobCreationToken;
  if (!token || !/^(127\.|::1$|::ffff:127\.)/.test(remote)) {
    sendJson(response, 403, { message: 'creating jobs over HTTP is only allowed from this machine in local mode' });
    return;
  }
  const given = Buffer.from(request.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    sendJson(response, 401, { message: 'give the local API token (the api-token file in the data dir) as "Authorization: Bearer <token>"' });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse((await readBody(request, MAX_JOB_BYTES)).toString('utf8'));
  } catch {
    sendJson(response, 400, { message: 'the body must be a ProwJob as JSON' });
    return;
  }
  const parsed = ProwJobSchema.safeParse(body);
  if (!parsed.success || !parsed.data.metadata.name) {
    sendJson(response, 400, { message: `not a ProwJob: ${parsed.success ? 'metadata.name is missing' : parsed.error.message}` });
    return;
  }
  const name = parsed.data.metadata.name;
  try {
    const created = await deps.store.jobs.create(parsed.data, { idempotencyKey: `api/${name}` });
    deps.log.info('ProwJob created over the local API', { job: parsed.data.spec.job, jobId: name });
    sendJson(response, created.created ? 201 : 200, created.created ? created.job.job : (created.job?.job ?? { metadata: { name } }));
  } catch (error) {
    if (!(error instanceof JobExistsError)) throw error;
    sendJson(response, 409, { message: error.message });
  }
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(html);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(text);
}
