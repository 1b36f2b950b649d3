import { createHash } from 'node:crypto';
import type { ProwJob } from './schema';

/**
 * The names a ProwJob carries that end up in paths and URLs: its own name (`/view/<name>`, the
 * store's document ID), its job's name and its build ID (`logs/<job>/<build>/` in the artifact
 * layout, `/log?job=&id=`), and its repositories (`pr-logs/pull/<org>_<repo>/…`). One rule for
 * each, checked wherever a ProwJob or a job name enters: the config, the local job API, Pub/Sub
 * triggers. A name that slipped through would be a path segment such as `..`, which no artifact
 * store accepts, so the job could neither run to the end nor be shown.
 */

/** Prow's rule for job names in config (pkg/config's `jobNameRegex`). */
const JOB_NAME = /^[A-Za-z0-9-._]+$/;
/** Jenkins jobs may live in folders: `folder/job`. */
const JENKINS_JOB_NAME = /^[A-Za-z0-9-._]([A-Za-z0-9-._/]*[A-Za-z0-9-_])?$/;
/** A Kubernetes object name (RFC 1123 subdomain), as a ProwJob's name is in Prow. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_OBJECT_NAME = 253;
/** Prow's build IDs are numbers (snowflake IDs, or a Jenkins build's); a letter, `_` or `-` does no harm. */
const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A `/`-separated value some of whose segments would leave or stay in their directory. */
function hasDotSegment(value: string): boolean {
  return value.split('/').some((segment) => segment === '.' || segment === '..');
}

/**
 * What is wrong with a job's name, or undefined. Prow's pattern, and, beyond Prow, not `.` or `..`
 * (nor a folder of that name for Jenkins): Prow's pattern admits them, but a job's name is a
 * directory of its results.
 */
export function jobNameProblem(name: string, agent?: string): string | undefined {
  const pattern = agent === 'jenkins' ? JENKINS_JOB_NAME : JOB_NAME;
  if (!pattern.test(name)) return `job name ${JSON.stringify(name)} must match ${pattern.source}`;
  if (hasDotSegment(name)) return `job name ${JSON.stringify(name)} cannot be "." or "..": it names a directory of the job's results`;
  return undefined;
}

/** What is wrong with a build ID, or undefined. */
export function buildIdProblem(buildId: string): string | undefined {
  return BUILD_ID.test(buildId)
    ? undefined
    : `build ID ${JSON.stringify(buildId)} must be a letter or digit followed by at most 127 letters, digits, ".", "_" or "-"`;
}

/** What is wrong with a ProwJob's own name, or undefined. */
export function prowJobNameProblem(name: string): string | undefined {
  return name.length <= MAX_OBJECT_NAME && OBJECT_NAME.test(name)
    ? undefined
    : `ProwJob name ${JSON.stringify(name)} must be a Kubernetes object name: at most ${MAX_OBJECT_NAME} lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
}

/**
 * Everything wrong with the names of a ProwJob that arrives from outside, each problem naming its
 * field; empty when it may be stored.
 */
export function prowJobNameProblems(job: ProwJob): string[] {
  const problems: string[] = [];
  const name = job.metadata.name;
  if (name === undefined) problems.push('metadata.name is missing');
  else {
    const problem = prowJobNameProblem(name);
    if (problem) problems.push(`metadata.name: ${problem}`);
  }
  const jobProblem = jobNameProblem(job.spec.job, job.spec.agent);
  if (jobProblem) problems.push(`spec.job: ${jobProblem}`);
  const buildId = job.status?.build_id;
  if (buildId !== undefined) {
    const problem = buildIdProblem(buildId);
    if (problem) problems.push(`status.build_id: ${problem}`);
  }
  const refs = [...(job.spec.refs ? [['spec.refs', job.spec.refs] as const] : []), ...(job.spec.extra_refs ?? []).map((extra, index) => [`spec.extra_refs[${index}]`, extra] as const)];
  for (const [field, { org, repo }] of refs) {
    if (hasDotSegment(org)) problems.push(`${field}.org ${JSON.stringify(org)} cannot have "." or ".." as a path segment`);
    if (hasDotSegment(repo)) problems.push(`${field}.repo ${JSON.stringify(repo)} cannot have "." or ".." as a path segment`);
  }
  return problems;
}

/**
 * The ProwJob name for a creation's idempotency key: a UUID, as Prow's names are, computed from the
 * key. A redelivered cause names the same job, so the store's one `create` of that name is the
 * whole duplicate check (no separate key record, one Firestore write instead of two).
 */
export function jobNameForKey(idempotencyKey: string): string {
  const hex = createHash('sha256').update(`prowjob-key\u0000${idempotencyKey}`).digest('hex');
  // RFC 9562 layout: version 8 (custom, hash-based) and the RFC variant bits.
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `job` renamed for its idempotency key (see jobNameForKey). */
export function namedForKey(job: ProwJob, idempotencyKey: string): ProwJob {
  return { ...job, metadata: { ...job.metadata, name: jobNameForKey(idempotencyKey) } };
}
