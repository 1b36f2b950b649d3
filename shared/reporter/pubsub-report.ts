import type { ProwJob, ProwJobState, ProwJobType, Refs } from '../prowjob/schema';

/**
 * Crier's Pub/Sub reporter: a job that carries Prow's pubsub annotations (or, as Prow still
 * accepts, labels) gets Prow's report message on that project's topic at every state change.
 */

export const PUBSUB_REPORT_KEYS = {
  project: 'prow.k8s.io/pubsub.project',
  topic: 'prow.k8s.io/pubsub.topic',
  runId: 'prow.k8s.io/pubsub.runID',
} as const;

/** Prow's ReportMessage, field for field. */
export interface PubSubReportMessage {
  project: string;
  topic: string;
  runid: string;
  status: ProwJobState;
  url: string;
  gcs_path: string;
  refs?: Refs[];
  job_type: ProwJobType;
  job_name: string;
}

export interface PubSubReport {
  project: string;
  topic: string;
  message: PubSubReportMessage;
}

function setting(job: ProwJob, key: string): string {
  return job.metadata.annotations?.[key] || job.metadata.labels?.[key] || '';
}

/** `gcsPath`: where the job's artifacts are (gs://bucket/path), when known. */
export function pubsubReportFor(job: ProwJob, options: { url?: string; gcsPath?: string } = {}): PubSubReport | undefined {
  const project = setting(job, PUBSUB_REPORT_KEYS.project);
  const topic = setting(job, PUBSUB_REPORT_KEYS.topic);
  if (!project || !topic) return undefined;
  const refs = [...(job.spec.refs ? [job.spec.refs] : []), ...(job.spec.extra_refs ?? [])];
  const message: PubSubReportMessage = {
    project,
    topic,
    runid: setting(job, PUBSUB_REPORT_KEYS.runId),
    status: job.status?.state ?? 'triggered',
    url: job.status?.url ?? options.url ?? '',
    gcs_path: options.gcsPath ?? '',
    job_type: job.spec.type,
    job_name: job.spec.job,
  };
  if (refs.length > 0) message.refs = refs;
  return { project, topic, message };
}
