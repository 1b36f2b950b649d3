import { PermanentMessageError, type ReceivedMessage } from '../bus/bus';
import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import { jobNameForKey, prowJobNameProblems } from '../prowjob/names';
import type { JobStore } from '../store/store';
import { PUBSUB_REPORT_KEYS, type PubSubReportMessage } from '../reporter/pubsub-report';
import { DEFAULT_TRIGGER_SOURCE, PROW_EVENT_TYPE_ATTRIBUTE, PROW_JOB_EVENT_TYPES, jobFromProwJobEvent, type TriggerSource } from './prow-job-event';

/**
 * Prow's sub, the I/O half: a `prow-jobs` message becomes a stored ProwJob. A message that can
 * never make a job is dead-lettered at once with the reason; a store failure is thrown as it is,
 * so the message is redelivered. Pub/Sub delivers at least once, so the job is created under the
 * message's ID: a redelivery finds the job made the first time instead of making another.
 */

export { PROW_JOBS_SUBSCRIPTION } from './prow-job-event';

export interface ProwJobTriggerDependencies {
  /** Only job creation is needed; any Store will do. */
  store: { jobs: Pick<JobStore, 'create'> };
  config: Config;
  log: Logger;
  now?: () => Date;
  /** Where messages arrive, for `pubsub_triggers`; Cutwater's subscription on `prow-jobs` by default. */
  source?: TriggerSource;
  /**
   * Publishes a report message to `topic` in `project`: a refused message whose annotations name a
   * report topic is answered there with status `error`, as Prow's sub does.
   */
  publishReport?: (project: string, topic: string, message: PubSubReportMessage) => Promise<void>;
}

export interface ProwJobTriggerOutcome {
  /** The ProwJob's name: the new one, or the one an earlier delivery of the message created. */
  name: string;
  /** False when a redelivery found the job already there. */
  created: boolean;
}

export function idempotencyKeyOf(message: Pick<ReceivedMessage, 'id'>): string {
  return `pubsub/${message.id}`;
}

export async function handleProwJobMessage(
  dependencies: ProwJobTriggerDependencies,
  message: ReceivedMessage,
): Promise<ProwJobTriggerOutcome> {
  const { store, config } = dependencies;
  const log = dependencies.log.child({ messageId: message.id, deliveryAttempt: message.deliveryAttempt });
  const name = jobNameForKey(idempotencyKeyOf(message));
  const result = jobFromProwJobEvent(config, message, {
    name,
    now: dependencies.now?.() ?? new Date(),
    source: dependencies.source ?? DEFAULT_TRIGGER_SOURCE,
  });
  if ('error' in result) {
    log.error('pubsub message refused; dead-lettering it', { job: result.jobName, reason: result.error });
    await reportRefusal(dependencies, message, result.jobName, log);
    throw new PermanentMessageError(result.error);
  }

  const { job } = result;
  // The job comes from config, but its refs from the message.
  const problems = prowJobNameProblems(job);
  if (problems.length > 0) {
    const reason = `the message would make a ProwJob that cannot be stored: ${problems.join('; ')}`;
    log.error('pubsub message refused; dead-lettering it', { job: job.spec.job, reason });
    await reportRefusal(dependencies, message, job.spec.job, log);
    throw new PermanentMessageError(reason);
  }
  const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
  const fields = {
    job: job.spec.job,
    type: job.spec.type,
    ...(refs ? { repo: `${refs.org}/${refs.repo}` } : {}),
    ...(refs?.pulls?.[0] ? { pull: refs.pulls[0].number } : {}),
  };
  const created = await store.jobs.create(job, { idempotencyKey: idempotencyKeyOf(message) });
  if (created.created) {
    log.info('prowjob created from pubsub message', { ...fields, jobId: name });
    return { name, created: true };
  }
  // The job may since have been garbage-collected; either way this message has had its job.
  const what = created.job ? 'its prowjob already exists' : 'its prowjob was created and has since been deleted';
  log.info(`pubsub message redelivered; ${what}`, { ...fields, jobId: created.name });
  return { name: created.name, created: false };
}

/**
 * Prow's sub tells the sender a job could not be made by reporting it in `error` state on the
 * Pub/Sub topic the message's annotations name (crier's message format), once the data could be
 * read. The reason itself goes only to the log and the dead letter, as Prow's report carries none.
 * A failure to publish is logged: the refusal stands either way.
 */
async function reportRefusal(
  dependencies: ProwJobTriggerDependencies,
  message: ReceivedMessage,
  jobName: string | undefined,
  log: Logger,
): Promise<void> {
  const publish = dependencies.publishReport;
  if (!publish) return;
  const annotations = annotationsOf(message.data);
  const project = annotations[PUBSUB_REPORT_KEYS.project] ?? '';
  const topic = annotations[PUBSUB_REPORT_KEYS.topic] ?? '';
  if (!project || !topic) return;
  const kind = (Object.keys(PROW_JOB_EVENT_TYPES) as (keyof typeof PROW_JOB_EVENT_TYPES)[]).find(
    (each) => PROW_JOB_EVENT_TYPES[each] === message.attributes[PROW_EVENT_TYPE_ATTRIBUTE],
  );
  const report: PubSubReportMessage = {
    project,
    topic,
    runid: annotations[PUBSUB_REPORT_KEYS.runId] ?? '',
    status: 'error',
    url: '',
    gcs_path: '',
    job_type: kind ?? 'periodic',
    job_name: jobName ?? '',
  };
  try {
    await publish(project, topic, report);
    log.info('reported the refusal to the sender', { project, topic, runId: report.runid });
  } catch (error) {
    log.warn('could not report the refusal to the sender', { project, topic, error: (error as Error).message });
  }
}

/** The message's `annotations`, read leniently: a refused message may be malformed elsewhere. */
function annotationsOf(data: Buffer): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    const annotations = typeof parsed === 'object' && parsed !== null ? (parsed as { annotations?: unknown }).annotations : undefined;
    if (typeof annotations !== 'object' || annotations === null) return {};
    return Object.fromEntries(Object.entries(annotations).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}
