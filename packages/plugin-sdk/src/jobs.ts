import { randomUUID } from 'node:crypto';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { z } from 'zod';
import { pubSubClientConfig } from '../../../shared/bus/pubsub-client.js';
import { podSpecWithEnvs } from '../../../shared/prowjob/envs.js';
import { PROW_EVENT_TYPE_ATTRIBUTE, PROW_JOB_EVENT_TYPES } from '../../../shared/pubsub/event-types.js';

/**
 * Creating ProwJobs, through whichever job API the plugin is given:
 *
 * - In the cloud, Cutwater's job API is the Pub/Sub topic `prow-jobs` (PROW_JOBS_TOPIC), in
 *   Prow's format for it (pkg/pubsub/subscriber): the attribute `prow.k8s.io/pubsub.EventType` says
 *   the kind of job, the data names a job in Cutwater's config with its refs, envs, labels and
 *   annotations. Cutwater makes the ProwJob from its config; a message it cannot use is
 *   dead-lettered with the reason.
 * - With `cutwater local`, `POST <CUTWATER_URL>/api/prowjobs` with `Authorization: Bearer
 *   <CUTWATER_API_TOKEN>`, the route `cutwater mkpj` uses: the ProwJob is given whole, and Cutwater
 *   checks it against its ProwJob schema and naming rules and answers 400 with the reason otherwise.
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
  /** Environment variables for every container of the job's pod spec (Prow's `envs`). */
  envs?: Record<string, string>;
}

export type CreatedProwJob =
  | {
      via: 'api';
      name: string;
      /** True when it was made now, false when a job of that name already existed with the same content. */
      created: boolean;
    }
  | {
      /** Published to `prow-jobs`: Cutwater names and makes the ProwJob when it takes the message. */
      via: 'pubsub';
      messageId: string;
    };

export interface JobApi {
  /** Cutwater's status address, e.g. http://127.0.0.1:8080 for `cutwater local`. */
  url: string;
  /** The API token (the api-token file in `cutwater local`'s data dir). */
  token: string;
}

export interface JobTopic {
  /** The full name of Cutwater's `prow-jobs` topic: `projects/<project>/topics/prow-jobs`. */
  topic: string;
  /** host:port of a Pub/Sub emulator; otherwise Google, with the service's own credentials. */
  emulatorHost?: string;
}

export function jobApiFromEnv(env: NodeJS.ProcessEnv = process.env): JobApi | undefined {
  return env.CUTWATER_URL && env.CUTWATER_API_TOKEN ? { url: env.CUTWATER_URL, token: env.CUTWATER_API_TOKEN } : undefined;
}

export function jobTopicFromEnv(env: NodeJS.ProcessEnv = process.env): JobTopic | undefined {
  if (!env.PROW_JOBS_TOPIC) return undefined;
  return { topic: env.PROW_JOBS_TOPIC, ...(env.PUBSUB_EMULATOR_HOST ? { emulatorHost: env.PUBSUB_EMULATOR_HOST } : {}) };
}

/** Where `createProwJob` sends jobs: the topic when there is one, else the HTTP API. */
export interface JobTarget {
  api?: JobApi;
  topic?: JobTopic;
}

const ApiError = z.object({ message: z.string() });

export function prowJobCreator(target: JobTarget, fetcher: typeof fetch = fetch): (job: NewProwJob) => Promise<CreatedProwJob> {
  if (target.topic) return prowJobPublisher(target.topic);
  const api = target.api;
  return async (job) => {
    if (!api) throw new Error('no job API: set PROW_JOBS_TOPIC (Cutwater in the cloud), or CUTWATER_URL and CUTWATER_API_TOKEN (cutwater local)');
    const name = job.name ?? randomUUID();
    const podSpec = job.spec.pod_spec;
    if (job.envs && Object.keys(job.envs).length > 0 && !isRecord(podSpec)) {
      throw new Error('envs are set on the containers of spec.pod_spec, and the job has none');
    }
    const prowJob = {
      apiVersion: 'prow.k8s.io/v1',
      kind: 'ProwJob',
      metadata: { name, labels: job.labels ?? {}, annotations: job.annotations ?? {} },
      spec: isRecord(podSpec) && job.envs ? { ...job.spec, pod_spec: podSpecWithEnvs(podSpec, job.envs) } : job.spec,
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
    return { via: 'api', name, created: response.status === 201 };
  };
}

/** What a `prow-jobs` message carries of a job; the rest of the ProwJob comes from Cutwater's config. */
const PUBLISHED_SPEC_FIELDS = new Set(['type', 'job', 'refs']);

/**
 * The client is made on the first job and kept: a plugin server publishes for its whole life, and
 * the library batches and reuses its connection.
 */
function prowJobPublisher(target: JobTopic): (job: NewProwJob) => Promise<CreatedProwJob> {
  const match = /^projects\/([^/]+)\/topics\/([^/]+)$/.exec(target.topic);
  if (!match) throw new Error(`PROW_JOBS_TOPIC must be projects/<project>/topics/<topic>, not "${target.topic}"`);
  const project = match[1]!;
  let topic: Topic | undefined;
  return async (job) => {
    const { spec } = job;
    if (spec.type === 'batch') throw new Error('Prow\'s Pub/Sub job API has no batch jobs: ask for a presubmit, postsubmit or periodic');
    if (job.name !== undefined) throw new Error('over Pub/Sub Cutwater names the ProwJob itself: leave out `name`');
    const unsent = Object.keys(spec).filter((field) => !PUBLISHED_SPEC_FIELDS.has(field) && spec[field] !== undefined);
    if (unsent.length > 0) {
      throw new Error(`over Pub/Sub a job is the one named in Cutwater's config, so spec.${unsent.join(', spec.')} cannot be given: configure it on the job`);
    }
    const data = {
      name: spec.job,
      ...(spec.refs ? { refs: spec.refs } : {}),
      ...(job.envs ? { envs: job.envs } : {}),
      ...(job.labels ? { labels: job.labels } : {}),
      ...(job.annotations ? { annotations: job.annotations } : {}),
    };
    topic ??= new PubSub(pubSubClientConfig(project, target.emulatorHost)).topic(target.topic);
    const messageId = await topic.publishMessage({
      data: Buffer.from(JSON.stringify(data)),
      attributes: { [PROW_EVENT_TYPE_ATTRIBUTE]: PROW_JOB_EVENT_TYPES[spec.type] },
    });
    return { via: 'pubsub', messageId };
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
