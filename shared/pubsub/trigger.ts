import { randomUUID } from 'node:crypto';
import { PermanentMessageError, type ReceivedMessage } from '../bus/bus';
import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import { prowJobNameProblems } from '../prowjob/names';
import type { JobStore } from '../store/store';
import { DEFAULT_TRIGGER_SOURCE, jobFromProwJobEvent, type TriggerSource } from './prow-job-event';

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
  const name = randomUUID();
  const result = jobFromProwJobEvent(config, message, {
    name,
    now: dependencies.now?.() ?? new Date(),
    source: dependencies.source ?? DEFAULT_TRIGGER_SOURCE,
  });
  if ('error' in result) {
    log.error('pubsub message refused; dead-lettering it', { job: result.jobName, reason: result.error });
    throw new PermanentMessageError(result.error);
  }

  const { job } = result;
  // The job comes from config, but its refs from the message.
  const problems = prowJobNameProblems(job);
  if (problems.length > 0) {
    const reason = `the message would make a ProwJob that cannot be stored: ${problems.join('; ')}`;
    log.error('pubsub message refused; dead-lettering it', { job: job.spec.job, reason });
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
