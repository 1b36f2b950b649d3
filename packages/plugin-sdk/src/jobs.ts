import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Creating ProwJobs through Cutwater's job API, `POST <CUTWATER_URL>/api/prowjobs` with
 * `Authorization: Bearer <CUTWATER_API_TOKEN>` — the route `cutwater mkpj` uses. Cutwater checks
 * the job against its ProwJob schema and naming rules and answers 400 with the reason otherwise.
 */

export interface JobRefs {
  org: string;
  repo: string;
  base_ref?: string;
  base_sha?: string;
  pulls?: { number: number; author: string; sha: string; ref?: string }[];
  [field: string]: unknown;
}

/** The job to create: Prow's ProwJobSpec (`type` and `job` at least), and labels or annotations to add. */
export interface NewProwJob {
  spec: {
    type: 'presubmit' | 'postsubmit' | 'periodic' | 'batch';
    job: string;
    refs?: JobRefs;
    extra_refs?: JobRefs[];
    report?: boolean;
    context?: string;
    [field: string]: unknown;
  };
  /** The ProwJob's name; default a random UUID, as Prow names them. */
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CreatedProwJob {
  name: string;
  /** True when it was made now, false when a job of that name already existed with the same content. */
  created: boolean;
}

export interface JobApi {
  /** Cutwater's status address, e.g. http://127.0.0.1:8080 for `cutwater local`. */
  url: string;
  /** The API token (the api-token file in `cutwater local`'s data dir). */
  token: string;
}

export function jobApiFromEnv(env: NodeJS.ProcessEnv = process.env): JobApi | undefined {
  return env.CUTWATER_URL && env.CUTWATER_API_TOKEN ? { url: env.CUTWATER_URL, token: env.CUTWATER_API_TOKEN } : undefined;
}

const ApiError = z.object({ message: z.string() });

export function prowJobCreator(api: JobApi | undefined, fetcher: typeof fetch = fetch): (job: NewProwJob) => Promise<CreatedProwJob> {
  return async (job) => {
    if (!api) throw new Error('no job API: set CUTWATER_URL and CUTWATER_API_TOKEN');
    const name = job.name ?? randomUUID();
    const prowJob = {
      apiVersion: 'prow.k8s.io/v1',
      kind: 'ProwJob',
      metadata: { name, labels: job.labels ?? {}, annotations: job.annotations ?? {} },
      spec: job.spec,
      status: { state: 'triggered', startTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    };
    const response = await fetcher(`${api.url.replace(/\/+$/, '')}/api/prowjobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
      body: JSON.stringify(prowJob),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let reason = text.slice(0, 300);
      try {
        reason = ApiError.parse(JSON.parse(text)).message;
      } catch {
        // Not Cutwater's error shape: the text as it came is the best account.
      }
      throw new Error(`Cutwater refused the ProwJob (${response.status}): ${reason}`);
    }
    return { name, created: response.status === 201 };
  };
}
