import { timingSafeEqual } from 'node:crypto';
import { readBody, sendJson } from '../http/node';
import { prowJobNameProblems } from '../prowjob/names';
import { ProwJobSchema } from '../prowjob/schema';
import { JobExistsError } from '../store/errors';
import type { StatusDependencies } from './status-request';
import type { Exchange } from './router';

/**
 * `POST /api/prowjobs`: how `cutwater mkpj` creates a job in `cutwater local`. Only from this
 * machine and only with the local API token (the api-token file in the data dir), so that nothing
 * reaching local mode through a tunnel can create jobs; the body is a ProwJob, checked by its schema
 * and by the rules for the names that become paths and URLs (shared/prowjob/names.ts).
 */

const MAX_JOB_BYTES = 1024 * 1024;
/** On a created job's answer: why no runner will start it (see StatusDependencies.unservedNotice). */
export const UNSERVED_HEADER = 'x-cutwater-unserved';

export async function createJobOverLocalApi(deps: StatusDependencies, { request, response }: Exchange): Promise<void> {
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
  if (!parsed.success) {
    sendJson(response, 400, { message: `not a ProwJob: ${parsed.error.message}` });
    return;
  }
  const problems = prowJobNameProblems(parsed.data);
  const name = parsed.data.metadata.name;
  if (problems.length > 0 || name === undefined) {
    sendJson(response, 400, { message: `the ProwJob cannot be created: ${problems.join('; ')}` });
    return;
  }
  try {
    const created = await deps.store.jobs.create(parsed.data, { idempotencyKey: `api/${name}` });
    deps.log.info('ProwJob created over the local API', { job: parsed.data.spec.job, jobId: name });
    // mkpj says it and does not wait for a job nothing will run.
    const notice = deps.unservedNotice?.(parsed.data.spec.cluster ?? 'default');
    if (notice) response.setHeader(UNSERVED_HEADER, notice);
    sendJson(response, created.created ? 201 : 200, created.created ? created.job.job : (created.job?.job ?? { metadata: { name } }));
  } catch (error) {
    if (!(error instanceof JobExistsError)) throw error;
    sendJson(response, 409, { message: error.message });
  }
}
