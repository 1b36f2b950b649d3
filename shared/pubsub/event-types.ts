/**
 * Prow's Pub/Sub job API, the names a publisher needs: the attribute that says which kind of job
 * a `prow-jobs` message asks for, and its values. Kept apart from the parser so that the plugin
 * SDK can publish without bundling it.
 */
export const PROW_EVENT_TYPE_ATTRIBUTE = 'prow.k8s.io/pubsub.EventType';

export const PROW_JOB_EVENT_TYPES = {
  periodic: 'prow.k8s.io/pubsub.PeriodicProwJobEvent',
  presubmit: 'prow.k8s.io/pubsub.PresubmitProwJobEvent',
  postsubmit: 'prow.k8s.io/pubsub.PostsubmitProwJobEvent',
} as const;
export type ProwJobEventKind = keyof typeof PROW_JOB_EVENT_TYPES;
