import { branchesIntersect } from './branches';
import { jobNameProblem } from '../prowjob/names';
import type { DecorationConfig, ProwJobType, RerunAuthConfig } from '../prowjob/schema';
import type { JobFieldProblem } from './defaults';
import type { Periodic, Postsubmit, Presubmit } from './model';
import { validatePodSpec } from './pod-spec';
import type { ProwConfigFile } from './prow-schema';

/**
 * Prow's job validation (pkg/config/config.go `ValidateJobConfig` and friends), over jobs that
 * have been defaulted. Each rule names the field at fault so the loader can point at its line.
 */

export interface LocatedJobProblem extends JobFieldProblem {
  readonly job: Presubmit | Postsubmit | Periodic;
}

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Labels the runner puts on every job pod; a job may not claim them. */
const RESERVED_LABELS = new Set(['prow.k8s.io/type', 'created-by-prow', 'prow.k8s.io/id']);
const KNOWN_AGENTS = new Set(['kubernetes', 'jenkins', 'tekton-pipeline']);

export function validateJobBase(
  job: Presubmit | Postsubmit | Periodic,
  type: ProwJobType,
  prow: ProwConfigFile,
  podNamespace: string,
): JobFieldProblem[] {
  const problems: JobFieldProblem[] = [];
  const nameProblem = jobNameProblem(job.name, job.agent);
  if (nameProblem) problems.push({ path: ['name'], message: nameProblem });
  if ((job.max_concurrency ?? 0) < 0) {
    problems.push({
      path: ['max_concurrency'],
      message: `max_concurrency must be 0 or more, not ${job.max_concurrency}`,
    });
  }
  if (KNOWN_AGENTS.has(job.agent)) {
    if (job.spec && job.agent !== 'kubernetes') {
      problems.push({
        path: ['agent'],
        message: `a job with a pod spec needs agent: kubernetes (found "${job.agent}")`,
      });
    } else if (job.agent === 'kubernetes' && !job.spec) {
      problems.push({
        path: ['name'],
        message: `job ${job.name} has no spec: kubernetes jobs need a pod spec`,
      });
    } else if (job.namespace !== podNamespace && job.agent !== 'tekton-pipeline') {
      problems.push({
        path: ['namespace'],
        message: `namespace "${job.namespace}" differs from pod_namespace "${podNamespace}"; only tekton-pipeline jobs may choose their namespace`,
      });
    }
  }
  if (job.spec) {
    const decoration = job.decorate ? job.decoration_config : undefined;
    for (const problem of validatePodSpec(job.spec, type, decoration)) {
      problems.push({ path: ['spec', ...problem.path], message: `spec: ${problem.message}` });
    }
  }
  if (job.decorate && job.decoration_config) problems.push(...decorationProblems(job.decoration_config));
  for (const [key, value] of Object.entries(job.labels ?? {})) {
    if (RESERVED_LABELS.has(key))
      problems.push({ path: ['labels', key], message: `label ${key} is reserved for Prow` });
    else if (!QUALIFIED_NAME.test(key))
      problems.push({
        path: ['labels', key],
        message: `label key "${key}" is not a valid Kubernetes label name`,
      });
    else if (value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push({
        path: ['labels', key],
        message: `label ${key} has invalid value "${value}" (at most 63 letters, digits, '-', '_' or '.')`,
      });
    }
  }
  for (const key of Object.keys(job.annotations ?? {})) {
    if (!QUALIFIED_NAME.test(key))
      problems.push({
        path: ['annotations', key],
        message: `annotation key "${key}" is not a valid Kubernetes name`,
      });
  }
  const rerunAuth = job.rerun_auth_config && rerunAuthProblem(job.rerun_auth_config);
  if (rerunAuth) problems.push({ path: ['rerun_auth_config'], message: `rerun_auth_config: ${rerunAuth}` });
  if (job.job_queue_name && !(job.job_queue_name in (prow.plank?.job_queue_capacities ?? {}))) {
    problems.push({
      path: ['job_queue_name'],
      message: `job_queue_name "${job.job_queue_name}" is not declared in plank.job_queue_capacities`,
    });
  }
  return problems;
}

/** Prow's `RerunAuthConfig.Validate`: allowing anyone while naming who is allowed is a mistake. */
export function rerunAuthProblem(auth: RerunAuthConfig): string | undefined {
  const lists = [auth.github_users, auth.github_orgs, auth.github_team_slugs, auth.github_team_ids].some((list) => (list?.length ?? 0) > 0);
  return auth.allow_anyone && lists ? 'allow_anyone is true and users, orgs or teams are also listed: drop one or the other' : undefined;
}

/**
 * Per repo, for presubmits and postsubmits alike: a name may appear twice only on branches that
 * cannot overlap, and two jobs that could run on one branch may not report to one context.
 */
function validateRepoJobs<Job extends Presubmit | Postsubmit>(
  jobs: readonly Job[],
  prow: ProwConfigFile,
  podNamespace: string,
  jobRules: (job: Job) => JobFieldProblem[],
): LocatedJobProblem[] {
  const problems: LocatedJobProblem[] = [];
  jobs.forEach((job, index) => {
    const earlier = jobs.slice(0, index);
    const sameName = earlier.find((other) => other.name === job.name && branchesIntersect(other, job));
    if (sameName) {
      problems.push({
        job,
        path: ['name'],
        message: `duplicate ${job.kind} "${job.name}" for ${job.repo} (also at ${sameName.source.file}:${sameName.source.line})`,
      });
    }
    const sameContext = earlier.find(
      (other) => other.name !== job.name && other.context === job.context && branchesIntersect(other, job),
    );
    if (sameContext) {
      problems.push({
        job,
        path: job.context === job.name ? ['name'] : ['context'],
        message: `jobs ${sameContext.name} and ${job.name} report to the same GitHub context "${job.context}"`,
      });
    }
    for (const problem of validateJobBase(job, job.kind, prow, podNamespace)) problems.push({ job, ...problem });
    for (const problem of jobRules(job)) problems.push({ job, ...problem });
  });
  return problems;
}

export function validatePresubmits(jobs: readonly Presubmit[], prow: ProwConfigFile, podNamespace: string): LocatedJobProblem[] {
  return validateRepoJobs(jobs, prow, podNamespace, triggeringProblems);
}

export function validatePostsubmits(jobs: readonly Postsubmit[], prow: ProwConfigFile, podNamespace: string): LocatedJobProblem[] {
  return validateRepoJobs(jobs, prow, podNamespace, (job) => changeFilterProblems(job, job.always_run === true));
}

export function validatePeriodics(
  jobs: readonly Periodic[],
  prow: ProwConfigFile,
  podNamespace: string,
): LocatedJobProblem[] {
  const problems: LocatedJobProblem[] = [];
  const seen = new Map<string, Periodic>();
  for (const job of jobs) {
    const earlier = seen.get(job.name);
    if (earlier) {
      problems.push({
        job,
        path: ['name'],
        message: `duplicate periodic "${job.name}" (also at ${earlier.source.file}:${earlier.source.line})`,
      });
    } else {
      seen.set(job.name, job);
    }
    for (const problem of validateJobBase(job, 'periodic', prow, podNamespace))
      problems.push({ job, ...problem });
  }
  return problems;
}

/**
 * Prow's `DecorationConfig.Validate`, less its demand for Prow's utility images and a GCS
 * section: Cutwater's runner clones and uploads itself, and artifacts default to the
 * deployment's store. What Prow checks about the settings that remain meaningful, we check too.
 */
function decorationProblems(decoration: DecorationConfig): JobFieldProblem[] {
  const problems: JobFieldProblem[] = [];
  const gcs = decoration.gcs_configuration;
  if (gcs?.path_strategy && gcs.path_strategy !== 'explicit' && (!gcs.default_org || !gcs.default_repo)) {
    problems.push({
      path: ['decoration_config', 'gcs_configuration'],
      message: `decoration_config: path_strategy "${gcs.path_strategy}" needs default_org and default_repo`,
    });
  }
  if (decoration.oauth_token_secret && decoration.ssh_key_secrets?.length) {
    problems.push({
      path: ['decoration_config'],
      message: 'decoration_config: oauth_token_secret and ssh_key_secrets are mutually exclusive: clone with one or the other',
    });
  }
  return problems;
}

function changeFilterProblems(job: Presubmit | Postsubmit, alwaysRun: boolean): JobFieldProblem[] {
  if (alwaysRun && job.run_if_changed) {
    return [
      { path: ['run_if_changed'], message: 'always_run and run_if_changed are mutually exclusive: drop one' },
    ];
  }
  if (alwaysRun && job.skip_if_only_changed) {
    return [
      {
        path: ['skip_if_only_changed'],
        message: 'always_run and skip_if_only_changed are mutually exclusive: drop one',
      },
    ];
  }
  if (job.run_if_changed && job.skip_if_only_changed) {
    return [
      {
        path: ['skip_if_only_changed'],
        message: 'run_if_changed and skip_if_only_changed are mutually exclusive: drop one',
      },
    ];
  }
  return [];
}

function triggeringProblems(job: Presubmit): JobFieldProblem[] {
  const problems = changeFilterProblems(job, job.always_run === true);
  if (Boolean(job.trigger) !== Boolean(job.rerun_command)) {
    problems.push({
      path: [job.trigger ? 'trigger' : 'rerun_command'],
      message: 'trigger and rerun_command go together: set both, or neither to get the default /test command',
    });
  } else if (job.matchers.trigger && !job.matchers.trigger.test(job.rerun_command)) {
    problems.push({
      path: ['rerun_command'],
      message: `rerun_command "${job.rerun_command}" does not match trigger "${job.trigger}"`,
    });
  }
  return problems;
}
