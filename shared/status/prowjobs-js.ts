import { z } from 'zod';
import type { ProwJob } from '../prowjob/schema';
import type { JobQuery, PageRequest } from '../store/store';
import { JobFilterShape } from './job-search';

/**
 * Deck's `/prowjobs.js`: `{"items": [ProwJob…]}` newest first, which Prow's own tools and scripts
 * read. Filters are query parameters named as the store's (job, type, state, repo, org, pull,
 * cluster, author); `omit=` drops bulky fields as deck does; pages by `cursor` (the next one is in
 * the `X-Next-Cursor` header, so the body stays Prow's).
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
