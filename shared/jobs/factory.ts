import { randomUUID } from 'node:crypto';
import { defaultEntryMatches } from '../config/defaults';
import type { Config, Periodic, Postsubmit, Presubmit } from '../config/model';
import { kubernetesTime } from '../prowjob/time';
import type { ProwJob, ProwJobSpec, Refs, ReporterConfig } from '../prowjob/schema';
import { goPathBase } from '../go/path';

/**
 * Making ProwJobs from configured jobs, as Prow's pjutil does (NewProwJob, NewPresubmit and the
 * *Spec helpers): the same spec fields, labels and annotations, so tools that select ProwJobs by
 * Prow's labels (status pages, crier-style reporters, `kubectl get prowjobs -l …`) find ours.
 * Pure: the caller passes the clock and the configuration, and stores the result.
 */

/** Prow's label and annotation keys (pkg/kube/prowjob.go, pkg/github). */
export const PROW_LABELS = {
  createdByProw: 'created-by-prow',
  type: 'prow.k8s.io/type',
  job: 'prow.k8s.io/job',
  context: 'prow.k8s.io/context',
  org: 'prow.k8s.io/refs.org',
  repo: 'prow.k8s.io/refs.repo',
  baseRef: 'prow.k8s.io/refs.base_ref',
  pull: 'prow.k8s.io/refs.pull',
  isOptional: 'prow.k8s.io/is-optional',
  retest: 'prow.k8s.io/retest',
  buildId: 'prow.k8s.io/build-id',
  eventGuid: 'event-GUID',
} as const;

/** Prow's tenant when neither the job nor `prowjob_default_entries` names one. */
export const DEFAULT_TENANT_ID = 'GlobalDefaultID';

const LABEL_VALUE_MAX_BYTES = 63;
const LABEL_VALUE = /^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface NewJobOptions {
  /** The ProwJob's name; a random UUID (as Prow's) when omitted. */
  name?: string;
  now: Date;
  config: Config;
  /** The webhook delivery that caused the job: Prow's `event-GUID` label. */
  eventGuid?: string;
  /** More labels, e.g. `prow.k8s.io/retest` for a `/retest`. Applied over the job's own. */
  labels?: Record<string, string>;
}

/** What refs are built from: GitHub's pull request, from the API or from a webhook payload. */
export interface PullRequestForRefs {
  number: number;
  title: string;
  html_url: string;
  user: { login: string };
  head: { ref: string; sha: string };
  base: { ref: string; repo: { name: string; owner: { login: string } } };
}

/**
 * Prow's `createRefs` for a pull request. Links are derived from the pull request's own URL so
 * they point at the right host on GitHub Enterprise too.
 */
export function refsForPullRequest(pr: PullRequestForRefs, baseSha: string): Refs {
  const repoLink = pr.html_url.replace(/\/pull\/\d+\/?$/, '');
  const host = originOf(pr.html_url);
  return {
    org: pr.base.repo.owner.login,
    repo: pr.base.repo.name,
    repo_link: repoLink,
    base_ref: pr.base.ref,
    base_sha: baseSha,
    base_link: `${repoLink}/commit/${baseSha}`,
    pulls: [
      {
        number: pr.number,
        author: pr.user.login,
        sha: pr.head.sha,
        head_ref: pr.head.ref,
        title: pr.title,
        link: pr.html_url,
        commit_link: `${repoLink}/pull/${pr.number}/commits/${pr.head.sha}`,
        ...(host ? { author_link: `${host}/${pr.user.login}` } : {}),
      },
    ],
  };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Prow's `NewPresubmit`: the job's labels, the extra ones, the delivery, and whether it is optional. */
export function newPresubmitJob(job: Presubmit, refs: Refs, options: NewJobOptions): ProwJob {
  const labels: Record<string, string> = { ...job.labels, ...options.labels };
  if (options.eventGuid !== undefined) labels[PROW_LABELS.eventGuid] = options.eventGuid;
  labels[PROW_LABELS.isOptional] = String(job.optional ?? false);
  return newProwJob(presubmitSpec(job, refs, options.config), labels, { ...job.annotations }, options);
}

/** As Prow's trigger makes postsubmits on a push. */
export function newPostsubmitJob(job: Postsubmit, refs: Refs, options: NewJobOptions): ProwJob {
  const labels: Record<string, string> = { ...job.labels, ...options.labels };
  if (options.eventGuid !== undefined) labels[PROW_LABELS.eventGuid] = options.eventGuid;
  return newProwJob(postsubmitSpec(job, refs, options.config), labels, { ...job.annotations }, options);
}

/** As Prow's horologium makes periodics. */
export function newPeriodicJob(job: Periodic, options: NewJobOptions): ProwJob {
  return newProwJob(periodicSpec(job, options.config), { ...job.labels, ...options.labels }, { ...job.annotations }, options);
}

/** As Prow's tide makes batches: one presubmit over several pull requests in `refs.pulls`. */
export function newBatchJob(job: Presubmit, refs: Refs, options: NewJobOptions): ProwJob {
  return newProwJob(batchSpec(job, refs, options.config), { ...job.labels, ...options.labels }, { ...job.annotations }, options);
}

/** Prow's `NewProwJob`: labels and annotations derived from the spec, state triggered, started now. */
export function newProwJob(
  spec: ProwJobSpec,
  extraLabels: Record<string, string>,
  extraAnnotations: Record<string, string>,
  options: Pick<NewJobOptions, 'name' | 'now' | 'config'>,
): ProwJob {
  const { labels, annotations } = labelsAndAnnotationsForSpec(spec, extraLabels, extraAnnotations);
  return {
    apiVersion: 'prow.k8s.io/v1',
    kind: 'ProwJob',
    metadata: {
      name: options.name ?? randomUUID(),
      namespace: options.config.prowJobNamespace,
      labels,
      annotations,
    },
    spec: withReportDefault(spec),
    status: { state: 'triggered', startTime: kubernetesTime(options.now.getTime()) },
  };
}

/**
 * Prow's `LabelsAndAnnotationsForSpec`. Job name and context go in both labels (cut to a valid
 * label value) and annotations (whole). Any label value Kubernetes would reject is replaced by its
 * last path element when that is valid, or dropped — a job with a bad label still runs.
 */
export function labelsAndAnnotationsForSpec(
  spec: ProwJobSpec,
  extraLabels: Record<string, string>,
  extraAnnotations: Record<string, string>,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {
    [PROW_LABELS.createdByProw]: 'true',
    [PROW_LABELS.type]: spec.type,
  };
  const annotations: Record<string, string> = {};
  for (const [key, value] of [
    [PROW_LABELS.job, spec.job],
    [PROW_LABELS.context, spec.context ?? ''],
  ] as const) {
    labels[key] = truncateLabelValue(value);
    annotations[key] = value;
  }
  const refs = spec.refs ?? spec.extra_refs?.[0];
  if (refs) {
    labels[PROW_LABELS.org] = refs.org;
    labels[PROW_LABELS.repo] = refs.repo;
    labels[PROW_LABELS.baseRef] = refs.base_ref ?? '';
    const pull = refs.pulls?.[0];
    if (pull) labels[PROW_LABELS.pull] = String(pull.number);
  }
  Object.assign(labels, extraLabels);
  for (const [key, value] of Object.entries(labels)) {
    if (isValidLabelValue(value)) continue;
    const base = goPathBase(value);
    if (isValidLabelValue(base)) labels[key] = base;
    else delete labels[key];
  }
  Object.assign(annotations, extraAnnotations);
  return { labels, annotations };
}

/** Kubernetes' label value rule: at most 63 bytes, alphanumerics with `-_.` inside. */
export function isValidLabelValue(value: string): boolean {
  return Buffer.byteLength(value) <= LABEL_VALUE_MAX_BYTES && LABEL_VALUE.test(value);
}

/** Prow keeps the first 63 bytes and trims separators left dangling at the end. */
export function truncateLabelValue(value: string): string {
  const bytes = Buffer.from(value);
  if (bytes.length <= LABEL_VALUE_MAX_BYTES) return value;
  return bytes.subarray(0, LABEL_VALUE_MAX_BYTES).toString().replace(/[._-]+$/, '');
}


/** Prow's `PresubmitSpec`. */
export function presubmitSpec(job: Presubmit, refs: Refs, config: Config): ProwJobSpec {
  const spec = specFromJobBase(job, job.repo, config);
  spec.type = 'presubmit';
  spec.context = job.context;
  setIfTrue(spec, 'report', !job.skip_report);
  if (job.rerun_command) spec.rerun_command = job.rerun_command;
  if (job.jenkins_spec) spec.jenkins_spec = jenkinsSpec(job.jenkins_spec);
  spec.refs = completePrimaryRefs(refs, job);
  return orderedSpec(spec);
}

/** Prow's `PostsubmitSpec`. */
export function postsubmitSpec(job: Postsubmit, refs: Refs, config: Config): ProwJobSpec {
  const spec = specFromJobBase(job, job.repo, config);
  spec.type = 'postsubmit';
  spec.context = job.context;
  setIfTrue(spec, 'report', !job.skip_report);
  spec.refs = completePrimaryRefs(refs, job);
  if (job.jenkins_spec) spec.jenkins_spec = jenkinsSpec(job.jenkins_spec);
  return orderedSpec(spec);
}

/** Prow's `PeriodicSpec`: periodics always report (Prow has no switch for it). */
export function periodicSpec(job: Periodic, config: Config): ProwJobSpec {
  const firstRef = job.extra_refs?.[0];
  const spec = specFromJobBase(job, firstRef ? `${firstRef.org}/${firstRef.repo}` : '', config);
  spec.type = 'periodic';
  spec.report = true;
  return orderedSpec(spec);
}

/** Prow's `BatchSpec`: no report flag and no rerun command, as Prow's. */
export function batchSpec(job: Presubmit, refs: Refs, config: Config): ProwJobSpec {
  const spec = specFromJobBase(job, job.repo, config);
  spec.type = 'batch';
  spec.context = job.context;
  spec.refs = completePrimaryRefs(refs, job);
  return orderedSpec(spec);
}

type ConfiguredJob = Presubmit | Postsubmit | Periodic;

function jenkinsSpec(configured: { github_branch_source_job?: boolean | undefined }): ProwJobSpec['jenkins_spec'] {
  return configured.github_branch_source_job ? { github_branch_source_job: true } : {};
}

/**
 * Prow's `specFromJobBase`. Go omits zero values when it writes a ProwJob, so unset, false, zero
 * and empty fields are left out here too: the JSON matches Prow's field for field.
 */
function specFromJobBase(job: ConfiguredJob, repo: string, config: Config): ProwJobSpec {
  const spec: ProwJobSpec = { type: job.kind, job: job.name };
  if (job.agent) spec.agent = job.agent;
  if (job.cluster) spec.cluster = job.cluster;
  if (job.namespace) spec.namespace = job.namespace;
  if (job.max_concurrency) spec.max_concurrency = job.max_concurrency;
  setIfTrue(spec, 'error_on_eviction', job.error_on_eviction);
  const extraRefs = decorateExtraRefs(job.extra_refs, job);
  if (extraRefs?.length) spec.extra_refs = extraRefs;
  if (job.decoration_config) spec.decoration_config = structuredClone(job.decoration_config);
  if (job.spec) spec.pod_spec = structuredClone(job.spec);
  if (job.pipeline_run_spec) spec.pipeline_run_spec = structuredClone(job.pipeline_run_spec);
  if (job.tekton_pipeline_run_spec) spec.tekton_pipeline_run_spec = structuredClone(job.tekton_pipeline_run_spec);
  if (job.reporter_config) spec.reporter_config = structuredClone(job.reporter_config);
  if (job.rerun_auth_config) spec.rerun_auth_config = structuredClone(job.rerun_auth_config);
  setIfTrue(spec, 'hidden', job.hidden);
  spec.prowjob_defaults = resolveProwJobDefaults(job, repo, config);
  if (job.job_queue_name) spec.job_queue_name = job.job_queue_name;
  return spec;
}

function setIfTrue<K extends 'report' | 'hidden' | 'error_on_eviction'>(
  spec: ProwJobSpec,
  key: K,
  value: boolean | undefined,
): void {
  if (value) spec[key] = true;
}

/**
 * Prow resolves `prowjob_defaults` when it loads the config: every matching
 * `prowjob_default_entries` entry in order (later wins), then the job's own, and the global tenant
 * when none names one. Cutwater's loader leaves that to job creation, so it happens here.
 */
export function resolveProwJobDefaults(
  job: Pick<ConfiguredJob, 'prowjob_defaults' | 'cluster'>,
  repo: string,
  config: Config,
): NonNullable<ProwJobSpec['prowjob_defaults']> {
  let merged: NonNullable<ProwJobSpec['prowjob_defaults']> | undefined;
  for (const entry of config.prow.prowjob_default_entries ?? []) {
    if (!defaultEntryMatches({ repo: entry.repo ?? '', cluster: entry.cluster ?? '' }, repo, job.cluster)) continue;
    merged = applyProwJobDefault(entry.config, merged);
  }
  merged = applyProwJobDefault(job.prowjob_defaults, merged) ?? {};
  if (!merged.tenant_id) merged.tenant_id = DEFAULT_TENANT_ID;
  return merged;
}

/** Prow's `ProwJobDefault.ApplyDefault`: `own`'s set fields win over `fallback`'s. */
function applyProwJobDefault(
  own: ProwJobSpec['prowjob_defaults'],
  fallback: ProwJobSpec['prowjob_defaults'],
): ProwJobSpec['prowjob_defaults'] {
  if (!own && !fallback) return undefined;
  const merged = structuredClone((own ?? fallback)!);
  if (!own || !fallback) return merged;
  merged.resultstore_config ??= structuredClone(fallback.resultstore_config);
  if (merged.resultstore_config === undefined) delete merged.resultstore_config;
  if (!merged.tenant_id && fallback.tenant_id) merged.tenant_id = fallback.tenant_id;
  return merged;
}

/** Prow's `CompletePrimaryRefs`: the job's clone settings, then decoration's fetch settings. */
function completePrimaryRefs(refs: Refs, job: Presubmit | Postsubmit): Refs {
  const completed: Refs = structuredClone(refs);
  if (job.path_alias) completed.path_alias = job.path_alias;
  if (job.clone_uri) completed.clone_uri = job.clone_uri;
  if (job.skip_submodules) completed.skip_submodules = true;
  if (job.clone_depth && job.clone_depth > 0) completed.clone_depth = job.clone_depth;
  if (job.skip_fetch_head) completed.skip_fetch_head = true;
  const decorated = decorateRefs(completed, job);
  const sparse = job.decoration_config?.sparse_checkout_files;
  if (sparse?.length) decorated.sparse_checkout_files = [...sparse];
  return decorated;
}

/** Prow's `DecorateRefs`: a decorated job's blobless fetch applies to refs that do not say. */
function decorateRefs(refs: Refs, job: ConfiguredJob): Refs {
  const blobless = job.decoration_config?.blobless_fetch;
  if (!job.decoration_config || refs.blobless_fetch !== undefined || blobless === undefined) return refs;
  return { ...refs, blobless_fetch: blobless };
}

function decorateExtraRefs(refs: readonly Refs[] | undefined, job: ConfiguredJob): Refs[] | undefined {
  return refs?.map((ref) => decorateRefs(structuredClone(ref), job));
}

/**
 * Prow's `setReportDefault`: a Slack reporter config that does not say whether to report
 * reports unless its list of states to report is explicitly empty.
 */
function withReportDefault(spec: ProwJobSpec): ProwJobSpec {
  const slack = spec.reporter_config?.slack;
  if (!slack || slack.report !== undefined) return spec;
  const report = !(slack.job_states_to_report !== undefined && slack.job_states_to_report.length === 0);
  const reporterConfig: ReporterConfig = { ...spec.reporter_config, slack: { ...slack, report } };
  return { ...spec, reporter_config: reporterConfig };
}

const SPEC_FIELD_ORDER: readonly (keyof ProwJobSpec)[] = [
  'type',
  'agent',
  'cluster',
  'namespace',
  'job',
  'refs',
  'extra_refs',
  'report',
  'context',
  'rerun_command',
  'max_concurrency',
  'error_on_eviction',
  'pod_spec',
  'jenkins_spec',
  'pipeline_run_spec',
  'tekton_pipeline_run_spec',
  'decoration_config',
  'reporter_config',
  'rerun_auth_config',
  'hidden',
  'prowjob_defaults',
  'job_queue_name',
];

/** The fields in Prow's order, so a ProwJob dumped as YAML reads like Prow's. */
function orderedSpec(spec: ProwJobSpec): ProwJobSpec {
  const ordered: Record<string, unknown> = {};
  for (const key of SPEC_FIELD_ORDER) if (spec[key] !== undefined) ordered[key] = spec[key];
  return ordered as ProwJobSpec;
}
