import type { ProwJob, ProwJobType, Refs } from './schema';

/**
 * The environment Prow's downward API gives every job container (pkg/pod-utils/downwardapi).
 * Job configs may not set these themselves: the runner owns them.
 */
const BASE_ENV = [
  'CI',
  'JOB_NAME',
  'JOB_SPEC',
  'JOB_TYPE',
  'PROW_JOB_ID',
  'BUILD_ID',
  'BUILD_NUMBER',
] as const;
const REFS_ENV = [
  'REPO_OWNER',
  'REPO_NAME',
  'SRC_BASE',
  'SRC_HOST',
  'PULL_BASE_REF',
  'PULL_BASE_SHA',
  'PULL_REFS',
] as const;
const PULL_ENV = ['PULL_NUMBER', 'PULL_PULL_SHA', 'PULL_HEAD_REF', 'PULL_TITLE'] as const;

export function reservedEnvForType(type: ProwJobType): readonly string[] {
  switch (type) {
    case 'periodic':
      return BASE_ENV;
    case 'postsubmit':
    case 'batch':
      return [...BASE_ENV, ...REFS_ENV];
    case 'presubmit':
      return [...BASE_ENV, ...REFS_ENV, ...PULL_ENV];
  }
}

/** Prow's JOB_SPEC document (downwardapi.JobSpec), in Go's field order. */
export interface JobSpec {
  type?: string;
  job?: string;
  buildid?: string;
  prowjobid?: string;
  refs?: Refs;
  extra_refs?: Refs[];
  decoration_config?: unknown;
}

export function jobSpecOf(job: ProwJob, buildId: string): JobSpec {
  const spec: JobSpec = {};
  // Go's omitempty: empty strings and missing values are left out.
  if (job.spec.type) spec.type = job.spec.type;
  if (job.spec.job) spec.job = job.spec.job;
  if (buildId) spec.buildid = buildId;
  if (job.metadata.name) spec.prowjobid = job.metadata.name;
  if (job.spec.refs) spec.refs = job.spec.refs;
  if (job.spec.extra_refs && job.spec.extra_refs.length > 0) spec.extra_refs = job.spec.extra_refs;
  if (job.spec.decoration_config) spec.decoration_config = job.spec.decoration_config;
  return spec;
}

/** Prow's PULL_REFS: `base_ref:base_sha,number:sha[:ref],…`. */
export function pullRefsString(refs: Refs): string {
  const parts = [refs.base_sha ? `${refs.base_ref ?? ''}:${refs.base_sha}` : (refs.base_ref ?? '')];
  for (const pull of refs.pulls ?? []) parts.push(pull.ref ? `${pull.number}:${pull.sha}:${pull.ref}` : `${pull.number}:${pull.sha}`);
  return parts.join(',');
}

/**
 * The environment every job container gets (Prow's downwardapi.EnvForSpec): identity and JOB_SPEC
 * for all jobs, the repository for jobs with refs, the pull request for presubmits.
 */
export function jobEnvironment(job: ProwJob, buildId: string): Record<string, string> {
  const spec = jobSpecOf(job, buildId);
  const env: Record<string, string> = {
    CI: 'true',
    JOB_NAME: job.spec.job,
    BUILD_ID: buildId,
    PROW_JOB_ID: job.metadata.name ?? '',
    JOB_TYPE: job.spec.type,
  };
  if ((job.spec.agent ?? 'kubernetes') === 'kubernetes') env.BUILD_NUMBER = buildId;
  env.JOB_SPEC = JSON.stringify(spec);
  const refs = job.spec.refs;
  if (job.spec.type === 'periodic' || !refs) return env;
  env.REPO_OWNER = refs.org;
  env.REPO_NAME = refs.repo;
  let srcHost = 'github.com';
  let srcBase = `${refs.org}/${refs.repo}`;
  const location = refs.path_alias || (refs.repo_link ? (refs.repo_link.split('://').at(-1) ?? '') : '');
  if (location) {
    const slash = location.indexOf('/');
    if (slash >= 0) {
      srcHost = location.slice(0, slash);
      srcBase = location.slice(slash + 1);
    } else {
      srcHost = location;
    }
  }
  env.SRC_HOST = srcHost;
  env.SRC_BASE = srcBase;
  env.PULL_BASE_REF = refs.base_ref ?? '';
  env.PULL_BASE_SHA = refs.base_sha ?? '';
  env.PULL_REFS = pullRefsString(refs);
  const pull = refs.pulls?.[0];
  if (job.spec.type === 'postsubmit' || job.spec.type === 'batch' || !pull) return env;
  env.PULL_NUMBER = String(pull.number);
  env.PULL_PULL_SHA = pull.sha;
  env.PULL_HEAD_REF = pull.head_ref ?? '';
  env.PULL_TITLE = pull.title ?? '';
  return env;
}
