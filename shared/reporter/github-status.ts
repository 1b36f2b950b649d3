import type { CommitState, CommitStatus } from '../github/client';
import { GITHUB_REPORTER, type ProwJob, type ProwJobState, type ProwJobType } from '../prowjob/schema';

/**
 * Crier's GitHub reporter, status half: which commit status a ProwJob's state shows on GitHub.
 * Pure; shared/reporter/report-job.ts sends it.
 */

/** Prow's `github_reporter.job_types_to_report` default, and all the GitHub reporter handles. */
export const DEFAULT_GITHUB_JOB_TYPES: readonly ProwJobType[] = ['presubmit', 'postsubmit'];

/** GitHub refuses status descriptions longer than this. */
export const STATUS_DESCRIPTION_LIMIT = 140;
const BASE_SHA_DELIMITER = ' BaseSHA:';
/** U+2001: GitHub's page collapses ordinary spaces, and the padding must survive to align the SHA. */
const WIDE_SPACE = '\u2001';

const GITHUB_STATE: Record<ProwJobState, CommitState> = {
  triggered: 'pending',
  scheduling: 'pending',
  pending: 'pending',
  success: 'success',
  failure: 'failure',
  // An aborted run did not pass; GitHub has no "cancelled" status state.
  aborted: 'failure',
  error: 'error',
};

/** Said when the runner left no description of its own. */
const DEFAULT_DESCRIPTION: Record<ProwJobState, string> = {
  triggered: 'Job triggered.',
  scheduling: 'Job triggered.',
  pending: 'Job triggered.',
  success: 'Job succeeded.',
  failure: 'Job failed.',
  aborted: 'Job aborted.',
  error: 'Job could not run.',
};

export interface StatusTarget {
  owner: string;
  repo: string;
  sha: string;
  status: CommitStatus;
}

export interface StatusOptions {
  jobTypesToReport?: readonly ProwJobType[];
  /** The page a status links to (STATUS_URL's job page); the job's own `status.url` otherwise. */
  targetUrl?: string;
}

/**
 * As Prow's ContextDescriptionWithBaseSha: the base SHA a result was tested against rides at the
 * end of the description (padded so GitHub shows it at a stable place), truncating the text first.
 */
export function describeWithBaseSha(description: string, baseSha: string | undefined): string {
  let suffix = '';
  if (baseSha) {
    suffix = BASE_SHA_DELIMITER + baseSha;
    const room = STATUS_DESCRIPTION_LIMIT - description.length - suffix.length;
    if (room > 0) suffix = WIDE_SPACE.repeat(room) + suffix;
  }
  return truncate(description, STATUS_DESCRIPTION_LIMIT - suffix.length) + suffix;
}

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const ellipsis = ' ... ';
  if (limit <= ellipsis.length) return text.slice(0, Math.max(0, limit));
  const half = Math.floor((limit - ellipsis.length) / 2);
  return text.slice(0, half) + ellipsis + text.slice(text.length - (limit - ellipsis.length - half));
}

/** Whether crier's GitHub reporter handles this job at all (statuses and comments). */
export function reportsToGitHub(job: ProwJob, jobTypesToReport: readonly ProwJobType[] = DEFAULT_GITHUB_JOB_TYPES): boolean {
  const { spec } = job;
  if (spec.report === false || !spec.refs) return false;
  if (spec.type !== 'presubmit' && spec.type !== 'postsubmit') return false;
  return jobTypesToReport.includes(spec.type);
}

/**
 * Whether GitHub must not be told of the job's current state: crier skips a state recorded for its
 * GitHub reporter in `prev_report_states`, which is how a run replaced by a newer one is aborted
 * without its "failure" overwriting the newer run's status.
 */
export function toldGitHubBefore(job: ProwJob): boolean {
  const state = job.status?.state ?? 'triggered';
  return job.status?.prev_report_states?.[GITHUB_REPORTER] === state;
}

/** The status to set for the job's current state, or undefined when it is not reported. */
export function githubStatusFor(job: ProwJob, options: StatusOptions = {}): StatusTarget | undefined {
  if (!reportsToGitHub(job, options.jobTypesToReport)) return undefined;
  const refs = job.spec.refs;
  const pulls = refs?.pulls ?? [];
  // A batch of several PRs has no single commit to mark (Prow does not report those either).
  if (!refs || pulls.length > 1 || !job.spec.context) return undefined;
  const sha = pulls[0]?.sha ?? refs.base_sha;
  if (!sha) return undefined;
  const state = job.status?.state ?? 'triggered';
  const status: CommitStatus = {
    state: GITHUB_STATE[state],
    context: job.spec.context,
    description: describeWithBaseSha(job.status?.description || DEFAULT_DESCRIPTION[state], refs.base_sha),
  };
  const targetUrl = options.targetUrl ?? job.status?.url;
  if (targetUrl) status.target_url = targetUrl;
  return { owner: refs.org, repo: refs.repo, sha, status };
}
