import { z } from 'zod';
import { kubernetesObject } from './kubernetes-object';

/**
 * The ProwJob, in Prow's JSON shape (sigs.k8s.io/prow/pkg/apis/prowjobs/v1). Parsing never adds
 * defaults, so a ProwJob read from Prow, Firestore or Pub/Sub serialises back to the same JSON.
 */

export const PROW_JOB_TYPES = ['presubmit', 'postsubmit', 'periodic', 'batch'] as const;
export const ProwJobTypeSchema = z.enum(PROW_JOB_TYPES);
export type ProwJobType = z.infer<typeof ProwJobTypeSchema>;

/** `scheduling` exists in Prow for its scheduler; Cutwater never enters it but accepts it on input. */
export const PROW_JOB_STATES = [
  'scheduling',
  'triggered',
  'pending',
  'success',
  'failure',
  'aborted',
  'error',
] as const;
export const ProwJobStateSchema = z.enum(PROW_JOB_STATES);
export type ProwJobState = z.infer<typeof ProwJobStateSchema>;

export const PROW_JOB_AGENTS = ['kubernetes', 'jenkins', 'tekton-pipeline'] as const;

export const PullSchema = z.object({
  number: z.number().int(),
  author: z.string(),
  sha: z.string(),
  title: z.string().optional(),
  ref: z.string().optional(),
  head_ref: z.string().optional(),
  link: z.string().optional(),
  commit_link: z.string().optional(),
  author_link: z.string().optional(),
});
export type Pull = z.infer<typeof PullSchema>;

export const RefsSchema = z.object({
  org: z.string(),
  repo: z.string(),
  repo_link: z.string().optional(),
  base_ref: z.string().optional(),
  base_sha: z.string().optional(),
  base_link: z.string().optional(),
  pulls: z.array(PullSchema).optional(),
  path_alias: z.string().optional(),
  workdir: z.boolean().optional(),
  auxiliary: z.boolean().optional(),
  clone_uri: z.string().optional(),
  skip_submodules: z.boolean().optional(),
  clone_depth: z.number().int().optional(),
  skip_fetch_head: z.boolean().optional(),
  blobless_fetch: z.boolean().optional(),
  sparse_checkout_files: z.array(z.string()).optional(),
});
export type Refs = z.infer<typeof RefsSchema>;

/** Go `time.Duration` as Prow writes it in YAML/JSON: "2h", "15m0s" (or nanoseconds as a number). */
export const GoDurationValue = z.union([z.string(), z.number()]);

const SecretKeyRef = z.object({ name: z.string().optional(), key: z.string().optional() });

export const GCSConfigurationSchema = z.object({
  bucket: z.string().optional(),
  path_prefix: z.string().optional(),
  path_strategy: z.enum(['explicit', 'legacy', 'single']).optional(),
  default_org: z.string().optional(),
  default_repo: z.string().optional(),
  mediaTypes: z.record(z.string(), z.string()).optional(),
  job_url_prefix: z.string().optional(),
  local_output_dir: z.string().optional(),
  compress_file_types: z.array(z.string()).optional(),
});

export const UtilityImagesSchema = z.object({
  clonerefs: z.string().optional(),
  initupload: z.string().optional(),
  entrypoint: z.string().optional(),
  sidecar: z.string().optional(),
});

export const DecorationConfigSchema = z.object({
  timeout: GoDurationValue.optional(),
  grace_period: GoDurationValue.optional(),
  utility_images: UtilityImagesSchema.optional(),
  resources: z
    .object({
      clonerefs: kubernetesObject('V1ResourceRequirements').optional(),
      initupload: kubernetesObject('V1ResourceRequirements').optional(),
      place_entrypoint: kubernetesObject('V1ResourceRequirements').optional(),
      sidecar: kubernetesObject('V1ResourceRequirements').optional(),
    })
    .optional(),
  gcs_configuration: GCSConfigurationSchema.optional(),
  gcs_credentials_secret: z.string().optional(),
  s3_credentials_secret: z.string().optional(),
  default_service_account_name: z.string().optional(),
  ssh_key_secrets: z.array(z.string()).optional(),
  ssh_host_fingerprints: z.array(z.string()).optional(),
  blobless_fetch: z.boolean().optional(),
  sparse_checkout_files: z.array(z.string()).optional(),
  skip_cloning: z.boolean().optional(),
  cookiefile_secret: z.string().optional(),
  oauth_token_secret: SecretKeyRef.optional(),
  github_api_endpoints: z.array(z.string()).optional(),
  github_app_id: z.string().optional(),
  github_app_private_key_secret: SecretKeyRef.optional(),
  censor_secrets: z.boolean().optional(),
  censoring_options: z
    .object({
      censoring_concurrency: z.number().int().optional(),
      censoring_buffer_size: z.number().int().optional(),
      include_directories: z.array(z.string()).optional(),
      exclude_directories: z.array(z.string()).optional(),
      minimum_secret_length: z.number().int().optional(),
    })
    .optional(),
  upload_ignores_interrupts: z.boolean().optional(),
  set_limit_equals_memory_request: z.boolean().optional(),
  default_memory_request: z.union([z.string(), z.number()]).optional(),
  scheduling_options: z
    .object({
      affinity: kubernetesObject('V1Affinity').optional(),
      tolerations: z.array(kubernetesObject('V1Toleration')).optional(),
    })
    .optional(),
  pod_pending_timeout: GoDurationValue.optional(),
  pod_running_timeout: GoDurationValue.optional(),
  pod_unscheduled_timeout: GoDurationValue.optional(),
  run_as_user: z.number().int().optional(),
  run_as_group: z.number().int().optional(),
  fs_group: z.number().int().optional(),
});
export type DecorationConfig = z.infer<typeof DecorationConfigSchema>;

export const SlackReporterConfigSchema = z.object({
  host: z.string().optional(),
  channel: z.string().optional(),
  job_states_to_report: z.array(ProwJobStateSchema).optional(),
  report_template: z.string().optional(),
  report: z.boolean().optional(),
});

export const ReporterConfigSchema = z.object({ slack: SlackReporterConfigSchema.optional() });
export type ReporterConfig = z.infer<typeof ReporterConfigSchema>;

export const RerunAuthConfigSchema = z.object({
  allow_anyone: z.boolean().optional(),
  github_team_ids: z.array(z.number().int()).optional(),
  github_team_slugs: z.array(z.object({ slug: z.string(), org: z.string() })).optional(),
  github_users: z.array(z.string()).optional(),
  github_orgs: z.array(z.string()).optional(),
});
export type RerunAuthConfig = z.infer<typeof RerunAuthConfigSchema>;

export const ProwJobDefaultSchema = z.object({
  resultstore_config: z.object({ project_id: z.string().optional() }).optional(),
  tenant_id: z.string().optional(),
});

export const ProwJobSpecSchema = z.object({
  type: ProwJobTypeSchema,
  agent: z.string().optional(),
  cluster: z.string().optional(),
  namespace: z.string().optional(),
  job: z.string(),
  refs: RefsSchema.optional(),
  extra_refs: z.array(RefsSchema).optional(),
  report: z.boolean().optional(),
  context: z.string().optional(),
  rerun_command: z.string().optional(),
  max_concurrency: z.number().int().nonnegative().optional(),
  error_on_eviction: z.boolean().optional(),
  pod_spec: kubernetesObject('V1PodSpec').optional(),
  jenkins_spec: z.object({ github_branch_source_job: z.boolean().optional() }).optional(),
  pipeline_run_spec: z.record(z.string(), z.unknown()).optional(),
  tekton_pipeline_run_spec: z.object({ v1beta1: z.record(z.string(), z.unknown()).optional() }).optional(),
  decoration_config: DecorationConfigSchema.optional(),
  reporter_config: ReporterConfigSchema.optional(),
  rerun_auth_config: RerunAuthConfigSchema.optional(),
  hidden: z.boolean().optional(),
  prowjob_defaults: ProwJobDefaultSchema.optional(),
  job_queue_name: z.string().optional(),
});
export type ProwJobSpec = z.infer<typeof ProwJobSpecSchema>;

/**
 * Crier's GitHub reporter's key in `status.prev_report_states`. As in Prow, a state recorded there
 * for it is not reported to GitHub: the trigger records `aborted` there when a newer run of the
 * same job replaces a run, so that the newer run keeps the commit's status for the job's context
 * (Prow's TerminateOlderJobs does the same).
 */
export const GITHUB_REPORTER = 'github-reporter';

export const ProwJobStatusSchema = z
  .object({
  startTime: z.string().optional(),
  pendingTime: z.string().optional(),
  completionTime: z.string().optional(),
  state: ProwJobStateSchema,
  description: z.string().optional(),
  url: z.string().optional(),
  pod_revival_count: z.number().int().optional(),
  pod_name: z.string().optional(),
  build_id: z.string().optional(),
  jenkins_build_id: z.string().optional(),
  prev_report_states: z.record(z.string(), ProwJobStateSchema).optional(),
})
  // As Prow's CRD: a job that succeeded, failed or errored records when it finished.
  .refine((status) => !['success', 'failure', 'error'].includes(status.state) || status.completionTime !== undefined, {
    message: 'completionTime is required once the job has succeeded, failed or errored',
    path: ['completionTime'],
  });
export type ProwJobStatus = z.infer<typeof ProwJobStatusSchema>;

/** Kubernetes ObjectMeta: the fields Prow relies on, and any others kept as they are. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
});

export const ProwJobSchema = z.object({
  apiVersion: z.literal('prow.k8s.io/v1').optional(),
  kind: z.literal('ProwJob').optional(),
  metadata: ObjectMetaSchema,
  spec: ProwJobSpecSchema,
  status: ProwJobStatusSchema.optional(),
});
export type ProwJob = z.infer<typeof ProwJobSchema>;

export const ProwJobListSchema = z.object({ items: z.array(ProwJobSchema) });
