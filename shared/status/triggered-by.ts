import type { ProwJob } from '../prowjob/schema';

/**
 * Who or what started a job, in words, for the job page. Prow's ProwJob has no such field, so
 * Cutwater records it in annotations where it knows more than the spec says (a rerun from the
 * status page), and otherwise reads it from what Prow does record: the type, the refs, the labels.
 */
export const RERUN_OF_ANNOTATION = 'cutwater.dev/rerun-of';
export const RERUN_BY_ANNOTATION = 'cutwater.dev/rerun-by';

/** Prow's labels for how a presubmit came to run. */
const RETEST_LABEL = 'prow.k8s.io/retest';
const EVENT_GUID_LABEL = 'event-GUID';
/** Set by the Pub/Sub message that asked for the job (Prow's sub passes the sender's labels on). */
const PUBSUB_RUN_LABEL = 'prow.k8s.io/pubsub.runID';
const TIDE_LABEL = 'prow.k8s.io/created-by-tide';

export function triggeredBy(job: ProwJob): string {
  const annotations = job.metadata.annotations ?? {};
  const labels = job.metadata.labels ?? {};
  const rerunOf = annotations[RERUN_OF_ANNOTATION];
  if (rerunOf) {
    const by = annotations[RERUN_BY_ANNOTATION];
    return `Rerun of ${rerunOf}${by ? ` by ${by}` : ' from the status page'}`;
  }
  if (labels[PUBSUB_RUN_LABEL]) return `Pub/Sub request ${labels[PUBSUB_RUN_LABEL]}`;
  if (labels[TIDE_LABEL]) return 'Tide';
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const delivery = labels[EVENT_GUID_LABEL] ? ` (GitHub delivery ${labels[EVENT_GUID_LABEL]})` : '';
  switch (job.spec.type) {
    case 'periodic':
      return 'Schedule (periodic)';
    case 'postsubmit':
      return `${refs ? `Push to ${refs.org}/${refs.repo} ${refs.base_ref ?? ''}`.trimEnd() : 'Push'}${delivery}`;
    case 'batch':
      return `Batch of ${refs?.pulls?.length ?? 0} pull requests`;
    case 'presubmit':
      if (labels[RETEST_LABEL]) return `/retest on pull request #${pull?.number ?? '?'}${delivery}`;
      return `${pull ? `Pull request #${pull.number}${pull.author ? ` by ${pull.author}` : ''}` : 'Pull request'}${delivery}`;
  }
}
