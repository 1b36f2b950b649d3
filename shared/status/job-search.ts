import { z } from 'zod';
import { ProwJobStateSchema, ProwJobTypeSchema, type ProwJob } from '../prowjob/schema';
import { encodeCursor } from '../store/rules';
import type { JobQuery, Store, StoredJob } from '../store/store';
import type { JobVisibility } from './visibility';

/**
 * The job list's query: the store's indexed equality filters (repo, job, type, state, author, PR,
 * org, cluster) plus free text. Every filter but the text is answered by an index, so a page costs
 * the same with 100 jobs stored or 100,000. Free text has no index to use (Firestore has no
 * substring search), so it is a bounded scan: it reads at most SCAN_BUDGET of the jobs the other
 * filters select, newest first, and when that runs out before the page fills it says so and hands
 * back a cursor to search further — never a scan of the whole store in one request.
 */

/** Empty form fields arrive as `repo=`; they mean "any". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export const JobFilterShape = {
  job: optional(z.string().min(1).max(400)),
  type: optional(ProwJobTypeSchema),
  state: optional(ProwJobStateSchema),
  repo: optional(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'repo must be org/repo')),
  org: optional(z.string().min(1).max(100)),
  pull: optional(z.coerce.number().int().positive()),
  cluster: optional(z.string().min(1).max(100)),
  author: optional(z.string().min(1).max(100)),
};

const JobListRequestSchema = z.object({
  ...JobFilterShape,
  text: optional(z.string().max(200)),
  limit: optional(z.coerce.number().int().min(1).max(500)),
  cursor: optional(z.string().max(500)),
});

export type JobListRequest = z.infer<typeof JobListRequestSchema>;

export const DEFAULT_PAGE_SIZE = 50;
export const SCAN_BUDGET = 5_000;
const SCAN_BATCH = 500;

/** Parses the page's query string; throws an Error naming each bad parameter. */
export function parseJobListRequest(search: URLSearchParams): JobListRequest {
  const raw: Record<string, string> = {};
  for (const [key, value] of search) if (key in JobListRequestSchema.shape) raw[key] = value.trim();
  const parsed = JobListRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; '));
  }
  return parsed.data;
}

export function storeQueryOf(request: JobListRequest): JobQuery {
  const query: JobQuery = {};
  for (const field of ['job', 'type', 'state', 'repo', 'org', 'pull', 'cluster', 'author'] as const) {
    const value = request[field];
    if (value !== undefined) Object.assign(query, { [field]: value });
  }
  return query;
}

/** The words of a free-text search, each of which must appear in the job's searchable text. */
export function textMatcher(text: string | undefined): ((job: ProwJob) => boolean) | undefined {
  const words = (text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  return (job) => {
    const refs = job.spec.refs;
    const haystack = [
      job.spec.job,
      job.spec.type,
      job.status?.state ?? '',
      job.status?.description ?? '',
      job.spec.cluster ?? '',
      job.metadata.name ?? '',
      refs ? `${refs.org}/${refs.repo}` : '',
      refs?.base_ref ?? '',
      ...(refs?.pulls ?? []).flatMap((pull) => [`#${pull.number}`, pull.author ?? '', pull.sha ?? '', pull.title ?? '']),
    ]
      .join('\n')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  };
}

export interface JobListResult {
  jobs: StoredJob[];
  /** Present when there may be more: the next page, or the next stretch of a text search. */
  nextCursor?: string;
  /** How many jobs were read to answer a text search or skip hidden ones (for "searched N jobs"). */
  scanned: number;
  /** True when a text search stopped at its budget rather than at the end of the matches. */
  budgetExhausted: boolean;
}

/**
 * One page of jobs matching the request, newest first, leaving out what `visible` refuses. Without
 * text and hidden jobs this is exactly one indexed store query.
 */
export async function searchJobs(store: Store, request: JobListRequest, visible: JobVisibility): Promise<JobListResult> {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  const query = storeQueryOf(request);
  const matchesText = textMatcher(request.text);
  const wanted = matchesText ? (job: ProwJob) => visible(job) && matchesText(job) : visible;
  const found: StoredJob[] = [];
  let cursor = request.cursor;
  let scanned = 0;
  // Without text the first read is exactly the page; more reads happen only to replace hidden jobs.
  let batch = matchesText ? SCAN_BATCH : limit;
  while (scanned < SCAN_BUDGET) {
    const page = await store.jobs.list(query, { limit: Math.min(batch, SCAN_BUDGET - scanned), ...(cursor ? { cursor } : {}) });
    for (const stored of page.jobs) {
      scanned++;
      if (!wanted(stored.job)) continue;
      found.push(stored);
      if (found.length === limit) {
        const more = stored !== page.jobs.at(-1) || page.nextCursor !== undefined;
        return { jobs: found, ...(more ? { nextCursor: encodeCursor(stored) } : {}), scanned, budgetExhausted: false };
      }
    }
    if (!page.nextCursor) return { jobs: found, scanned, budgetExhausted: false };
    cursor = page.nextCursor;
    batch = matchesText ? SCAN_BATCH : Math.max(limit - found.length, 20);
  }
  return { jobs: found, ...(cursor ? { nextCursor: cursor } : {}), scanned, budgetExhausted: true };
}

/** The URL of the same list with some parameters changed (undefined removes one). */
export function listHref(request: JobListRequest, changes: Partial<Record<keyof JobListRequest | 'fragment', string | undefined>>): string {
  const params = new URLSearchParams();
  const merged: Record<string, unknown> = { ...request, ...changes };
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `/?${text}` : '/';
}
