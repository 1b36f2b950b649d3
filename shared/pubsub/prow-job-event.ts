import { z } from 'zod';
import { TOPICS, type ReceivedMessage } from '../bus/bus';
import type { Config, JobDefinition, Postsubmit, Presubmit } from '../config/model';
import { runsAgainstBranch } from '../config/branches';
import { newPeriodicJob, newPostsubmitJob, newPresubmitJob, type NewJobOptions } from '../jobs/factory';
import { podSpecWithEnvs } from '../prowjob/envs';
import { PullSchema, RefsSchema, type ProwJob, type Refs } from '../prowjob/schema';
import { PROW_EVENT_TYPE_ATTRIBUTE, PROW_JOB_EVENT_TYPES, type ProwJobEventKind } from './event-types';

/**
 * Prow's "sub": a Pub/Sub message on `prow-jobs` names a configured job, and becomes a ProwJob for
 * it (sigs.k8s.io/prow/pkg/pubsub/subscriber and the gangway code it hands the request to). Pure:
 * the caller passes the clock, the new job's name and the config, and stores the result.
 *
 * Every way a message can be wrong comes back as a refusal that says what to fix, because the
 * publisher is usually a script in someone else's project and the refusal (carried on the
 * dead-lettered message) is all they will see.
 */

export { PROW_EVENT_TYPE_ATTRIBUTE, PROW_JOB_EVENT_TYPES, type ProwJobEventKind } from './event-types';

const EVENT_TYPE_VALUES = Object.values(PROW_JOB_EVENT_TYPES);
const KIND_BY_EVENT_TYPE = new Map<string, ProwJobEventKind>(
  Object.entries(PROW_JOB_EVENT_TYPES).map(([kind, type]) => [type, kind as ProwJobEventKind]),
);

export const ProwJobMessageAttributesSchema = z.looseObject({
  [PROW_EVENT_TYPE_ATTRIBUTE]: z.enum(EVENT_TYPE_VALUES),
});

/**
 * Go decodes absent fields to zero values, and Prow's own documented presubmit message gives a
 * pull with only a `sha`. So a pull's number, author and SHA may be left out here as there,
 * becoming 0 and "" in the ProwJob exactly as they would in Prow's.
 */
const EventPullSchema = PullSchema.extend({
  number: z.number().int().default(0),
  author: z.string().default(''),
  sha: z.string().default(''),
});

/** Prow's Refs as a message carries them; what presubmits and postsubmits require is checked later. */
const EventRefsSchema = RefsSchema.extend({
  org: z.string().default(''),
  repo: z.string().default(''),
  pulls: z.array(EventPullSchema).optional(),
});

const StringMap = z.record(z.string(), z.string());

/** The message data: Prow's `ProwJobEvent`. Unknown fields are ignored, as Go's decoder does. */
export const ProwJobEventSchema = z.object({
  name: z.string(),
  // Optional fields may be null: publishers written in other languages send that for "absent".
  refs: EventRefsSchema.nullish(),
  envs: StringMap.nullish(),
  labels: StringMap.nullish(),
  annotations: StringMap.nullish(),
});
export type ProwJobEvent = z.infer<typeof ProwJobEventSchema>;

/**
 * Where the message was received, to find the `pubsub_triggers` entries that apply to it. Prow
 * names each of its pull subscriptions there; Cutwater has one subscription on one topic, so an
 * entry applies when its `topics` name either, and (when the project is known) its `project` is
 * the one Cutwater runs in.
 */
export interface TriggerSource {
  /** The Google Cloud project; unknown in local mode, where entries match on topics alone. */
  project?: string;
  subscription: string;
  topic: string;
}

/** Cutwater's one subscription on `prow-jobs`, in the cloud and in local mode. */
export const PROW_JOBS_SUBSCRIPTION = 'pubsub';

export const DEFAULT_TRIGGER_SOURCE: TriggerSource = { subscription: PROW_JOBS_SUBSCRIPTION, topic: TOPICS.prowJobs };

export interface ProwJobEventOptions {
  /** The new ProwJob's name. */
  name: string;
  now: Date;
  source?: TriggerSource;
}

export type ProwJobEventResult =
  | { job: ProwJob; kind: ProwJobEventKind; event: ProwJobEvent }
  /** Why the message can never make a job; `jobName` once the data was readable. */
  | { error: string; jobName?: string };

export function jobFromProwJobEvent(
  config: Config,
  message: Pick<ReceivedMessage, 'data' | 'attributes'>,
  options: ProwJobEventOptions,
): ProwJobEventResult {
  const kind = eventKindOf(message.attributes);
  if (typeof kind !== 'string') return kind;
  const event = parseEventData(message.data);
  if ('error' in event) return event;
  // Prow trims the name before looking it up.
  const jobName = event.name.trim();
  const refuse = (error: string) => ({ error, jobName });
  if (jobName === '') return { error: 'the message data has an empty "name": name the job to trigger' };
  if (Object.keys(event.envs ?? {}).some((name) => name === '')) {
    return refuse('envs has a variable with an empty name, which no container can have');
  }

  const found = findJob(config, kind, jobName, event.refs ?? undefined);
  if ('error' in found) return refuse(found.error);

  const clusterRefusal = clusterNotAllowed(config, found.job, options.source ?? DEFAULT_TRIGGER_SOURCE);
  if (clusterRefusal) return refuse(clusterRefusal);

  // Prow's merge order: the job's configured labels, then the message's over them.
  const made = found.make({ name: options.name, now: options.now, config, labels: { ...event.labels } });
  const job = withEnvs(withAnnotations(made, event.annotations ?? {}), event.envs ?? {});
  return { job, kind, event };
}

function eventKindOf(attributes: Record<string, string>): ProwJobEventKind | { error: string } {
  const parsed = ProwJobMessageAttributesSchema.safeParse(attributes);
  if (parsed.success) return KIND_BY_EVENT_TYPE.get(parsed.data[PROW_EVENT_TYPE_ATTRIBUTE])!;
  const expected = `${EVENT_TYPE_VALUES.slice(0, -1).join(', ')} or ${EVENT_TYPE_VALUES.at(-1)!}`;
  const given = attributes[PROW_EVENT_TYPE_ATTRIBUTE];
  if (given === undefined) {
    return { error: `the message has no ${PROW_EVENT_TYPE_ATTRIBUTE} attribute: set it to ${expected}` };
  }
  return { error: `unsupported event type "${given}" in attribute ${PROW_EVENT_TYPE_ATTRIBUTE}: expected ${expected}` };
}

function parseEventData(data: Buffer): ProwJobEvent | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (error) {
    return { error: `the message data is not JSON (expected Prow's ProwJobEvent): ${(error as Error).message}` };
  }
  const parsed = ProwJobEventSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  return { error: `the message data is not a valid ProwJobEvent: ${problems.join('; ')}` };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(the data)';
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    '',
  );
}

/** The configured job a message names, and how to make its ProwJob. */
interface FoundJob {
  job: JobDefinition;
  make: (options: NewJobOptions) => ProwJob;
}

function findJob(
  config: Config,
  kind: ProwJobEventKind,
  jobName: string,
  refs: Refs | undefined,
): FoundJob | { error: string } {
  if (kind === 'periodic') {
    // Prow ignores refs on a periodic event: a periodic clones what its config says.
    const job = config.periodics.find((periodic) => periodic.name === jobName);
    if (job) return { job, make: (options) => newPeriodicJob(job, options) };
    return { error: `no periodic named "${jobName}" in the config${otherKindHint(config, kind, jobName)}` };
  }

  if (!refs) return { error: `${kind} event for "${jobName}" has no refs: give ${REQUIRED_REFS[kind]}` };
  const missing = missingRefs(kind, refs);
  if (missing.length > 0) {
    return { error: `${kind} event for "${jobName}" lacks refs.${missing.join(', refs.')}: give ${REQUIRED_REFS[kind]}` };
  }
  const orgRepo = `${refs.org}/${refs.repo}`;
  const branch = refs.base_ref ?? '';
  const configured: readonly (Presubmit | Postsubmit)[] =
    (kind === 'presubmit' ? config.presubmits : config.postsubmits).get(orgRepo) ?? [];
  const named = configured.filter((job) => job.name === jobName);
  const matching = named.filter((job) => runsAgainstBranch(job, branch));
  if (matching.length > 1) {
    return {
      error: `${kind} "${jobName}" matches ${matching.length} jobs of ${orgRepo} for branch "${branch}"; Prow requires one, so make their branches exclusive`,
    };
  }
  const job = matching[0];
  if (!job) {
    const why =
      named.length > 0
        ? ` (${orgRepo} has one, but its branches/skip_branches exclude "${branch}")`
        : otherKindHint(config, kind, jobName);
    return { error: `no ${kind} named "${jobName}" for ${orgRepo} branch "${branch}"${why}` };
  }
  return {
    job,
    make: (options) => (job.kind === 'presubmit' ? newPresubmitJob(job, refs, options) : newPostsubmitJob(job, refs, options)),
  };
}

/** What Prow's `validateRefs` requires. */
const REQUIRED_REFS = {
  presubmit: 'org, repo, base_ref, base_sha and at least one pull',
  postsubmit: 'org, repo, base_ref and base_sha',
} as const;

/** The required refs fields a message left out or empty, all at once rather than Prow's first. */
function missingRefs(kind: 'presubmit' | 'postsubmit', refs: Refs): string[] {
  const missing: string[] = (['org', 'repo', 'base_ref', 'base_sha'] as const).filter((field) => !refs[field]);
  if (kind === 'presubmit' && !refs.pulls?.length) missing.push('pulls');
  return missing;
}

/** When the name is configured as another kind of job, say which event type would find it. */
function otherKindHint(config: Config, asked: ProwJobEventKind, jobName: string): string {
  const elsewhere: { kind: ProwJobEventKind; what: string }[] = [];
  if (asked !== 'periodic' && config.periodics.some((job) => job.name === jobName)) {
    elsewhere.push({ kind: 'periodic', what: 'a periodic' });
  }
  for (const kind of ['presubmit', 'postsubmit'] as const) {
    if (kind === asked) continue;
    const repos = [...(kind === 'presubmit' ? config.presubmits : config.postsubmits)]
      .filter(([, jobs]) => jobs.some((job) => job.name === jobName))
      .map(([repo]) => repo);
    if (repos.length > 0) elsewhere.push({ kind, what: `a ${kind} of ${repos.join(', ')}` });
  }
  const first = elsewhere[0];
  if (!first) return '';
  return ` ("${jobName}" is ${elsewhere.map((other) => other.what).join(' and ')}: send ${PROW_JOB_EVENT_TYPES[first.kind]})`;
}

const PubSubTriggerSchema = z.object({
  project: z.string().default(''),
  topics: z.array(z.string()).nullish(),
  allowed_clusters: z.array(z.string()).nullish(),
  max_outstanding_messages: z.number().int().optional(),
});

/**
 * Prow's `pubsub_triggers`: each entry lists subscriptions of a project and the build clusters
 * jobs triggered through them may run in ("*" for any); a job for another cluster is refused.
 * `pubsub_subscriptions`, the older form, allows every cluster, as Prow's defaulting makes it.
 *
 * Prow only listens to subscriptions the config lists. Cutwater always listens to `prow-jobs`,
 * so: with neither setting, every cluster is allowed (what a Prow user who never restricted
 * clusters expects); once either is set, a message is only accepted through an entry that names
 * Cutwater's subscription or topic — failing closed, because these entries exist to restrict
 * which clusters outsiders can start jobs in.
 */
function clusterNotAllowed(config: Config, job: JobDefinition, source: TriggerSource): string | undefined {
  const triggers = config.prow.pubsub_triggers ?? [];
  const subscriptions = config.prow.pubsub_subscriptions ?? {};
  if (triggers.length === 0 && Object.keys(subscriptions).length === 0) return undefined;

  const names = new Set([source.subscription, source.topic]);
  const projectMatches = (project: string) => source.project === undefined || project === source.project;
  const allowed = new Set<string>();
  let entries = 0;
  for (const [index, raw] of triggers.entries()) {
    const parsed = PubSubTriggerSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
      return `pubsub_triggers[${index}] in the Prow config is malformed (${problems.join('; ')}), so no cluster is allowed`;
    }
    const trigger = parsed.data;
    if (!projectMatches(trigger.project) || !(trigger.topics ?? []).some((topic) => names.has(topic))) continue;
    entries += 1;
    for (const cluster of trigger.allowed_clusters ?? []) allowed.add(cluster);
  }
  for (const [project, listed] of Object.entries(subscriptions)) {
    if (!projectMatches(project) || !listed.some((topic) => names.has(topic))) continue;
    entries += 1;
    allowed.add('*');
  }

  const where = `subscription "${source.subscription}" (topic "${source.topic}")${source.project ? ` in project "${source.project}"` : ''}`;
  if (entries === 0) {
    return `pubsub_triggers has no entry for ${where}, so no cluster is allowed for Pub/Sub-triggered jobs: add one whose topics name "${source.subscription}" and whose allowed_clusters include "${job.cluster}"`;
  }
  if (allowed.has('*') || allowed.has(job.cluster)) return undefined;
  const list = allowed.size > 0 ? [...allowed].map((cluster) => `"${cluster}"`).join(', ') : 'none';
  return `${job.kind} "${job.name}" runs in cluster "${job.cluster}", which pubsub_triggers does not allow for ${where} (allowed: ${list}): add it under pubsub_triggers -> allowed_clusters`;
}

/**
 * Prow's merge: the job's configured annotations (already on the job), then the message's over
 * them. Prow's `prow.k8s.io/pubsub.{project,topic,runID}` keys, which ask for the job's states to be
 * published back to the sender, need nothing special: they stay wherever the sender put them
 * (label or annotation), and the Pub/Sub reporter reads either, as Prow's does.
 */
function withAnnotations(job: ProwJob, annotations: Record<string, string>): ProwJob {
  if (Object.keys(annotations).length === 0) return job;
  return { ...job, metadata: { ...job.metadata, annotations: { ...job.metadata.annotations, ...annotations } } };
}

/** The message's envs on every container of the job's pod spec (shared/prowjob/envs.ts). */
function withEnvs(job: ProwJob, envs: Record<string, string>): ProwJob {
  const podSpec = job.spec.pod_spec;
  if (!podSpec) return job;
  const updated = podSpecWithEnvs(podSpec, envs);
  return updated === podSpec ? job : { ...job, spec: { ...job.spec, pod_spec: updated } };
}
