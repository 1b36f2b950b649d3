import { z } from 'zod';
import type { ProwJob } from '../prowjob/schema';
import { sendJson } from '../http/node';
import { InvalidQueryError } from '../store/errors';
import type { JobQuery, PageRequest } from '../store/store';
import { JobFilterShape } from './job-search';
import { sendCompressible } from './respond';
import type { StatusRequest } from './status-request';

/**
 * Deck's `/prowjobs.js`: `{"items": [ProwJob…]}` newest first, which Prow's own tools and scripts
 * read. Filters are query parameters named as the store's (job, type, state, repo, org, pull,
 * cluster, author); `omit=` drops bulky fields as deck does; pages by `cursor` (the next one is in
 * the `X-Next-Cursor` header, so the body stays Prow's). One job alone is at `/api/prowjobs/<name>`.
 */

const OMITTABLE = ['annotations', 'labels', 'decoration_config', 'pod_spec'] as const;

const ProwJobsQuerySchema = z.object({
  ...JobFilterShape,
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().optional(),
  omit: z
    .string()
    .transform((value) => value.split(',').filter(Boolean))
    .pipe(z.array(z.enum(OMITTABLE)))
    .optional(),
});

export interface ProwJobsRequest {
  query: JobQuery;
  page: PageRequest;
  omit: readonly (typeof OMITTABLE)[number][];
}

/** Parses the URL's parameters; throws a message naming the bad parameter. */
export function parseProwJobsRequest(search: URLSearchParams): ProwJobsRequest {
  const parsed = ProwJobsQuerySchema.safeParse(Object.fromEntries(search));
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; '));
  }
  const { limit, cursor, omit, ...filters } = parsed.data;
  const query: JobQuery = {};
  for (const [key, value] of Object.entries(filters)) if (value !== undefined) Object.assign(query, { [key]: value });
  return { query, page: { limit: limit ?? 500, ...(cursor ? { cursor } : {}) }, omit: omit ?? [] };
}

/** The job as `/prowjobs.js` shows it, without the omitted fields. */
export function withoutOmitted(job: ProwJob, omit: ProwJobsRequest['omit']): ProwJob {
  if (omit.length === 0) return job;
  const metadata = { ...job.metadata };
  const spec = { ...job.spec };
  if (omit.includes('annotations')) delete metadata.annotations;
  if (omit.includes('labels')) delete metadata.labels;
  if (omit.includes('decoration_config')) delete spec.decoration_config;
  if (omit.includes('pod_spec')) delete spec.pod_spec;
  return { ...job, metadata, spec };
}

/** `GET /prowjobs.js`. */
export async function serveProwJobsJs(request: StatusRequest): Promise<void> {
  const { response } = request;
  let parsed;
  try {
    parsed = parseProwJobsRequest(request.url.searchParams);
  } catch (error) {
    return sendJson(response, 400, { message: (error as Error).message });
  }
  let page;
  try {
    page = await request.deps.store.jobs.list(parsed.query, parsed.page);
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    return sendJson(response, 400, { message: error.message });
  }
  if (page.nextCursor) response.setHeader('x-next-cursor', page.nextCursor);
  const items = page.jobs.filter((stored) => request.visible(stored.job)).map((stored) => withoutOmitted(stored.job, parsed.omit));
  sendCompressible(response, 200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ items }));
}

/** `GET /api/prowjobs/<name>`: the job page's "JSON" link. */
export async function serveProwJob(request: StatusRequest, name: string): Promise<void> {
  const stored = await request.deps.store.jobs.get(name);
  if (stored && request.visible(stored.job)) sendJson(request.response, 200, stored.job);
  else sendJson(request.response, 404, { message: 'no such ProwJob' });
}
