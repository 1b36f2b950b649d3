import { z } from 'zod';
import { kubernetesObject } from '../prowjob/kubernetes-object';
import {
  DecorationConfigSchema,
  ProwJobDefaultSchema,
  RefsSchema,
  ReporterConfigSchema,
  RerunAuthConfigSchema,
} from '../prowjob/schema';

/**
 * The job configuration as users write it (Prow's pkg/config/jobs.go field names). These
 * schemas describe the raw YAML; defaulting (presets, decoration, triggers) happens afterwards.
 */

const KubernetesObject = z.record(z.string(), z.unknown());
const StringMap = z.record(z.string(), z.string());

export const PodSpecValueSchema = kubernetesObject(
  'V1PodSpec',
  z.looseObject({
    containers: z.array(KubernetesObject).optional(),
    initContainers: z.array(KubernetesObject).optional(),
    volumes: z.array(KubernetesObject).optional(),
    tolerations: z.array(KubernetesObject).optional(),
  }),
);

const UtilityConfigShape = {
  decorate: z.boolean().optional(),
  path_alias: z.string().optional(),
  clone_uri: z.string().optional(),
  skip_submodules: z.boolean().optional(),
  clone_depth: z.number().int().optional(),
  skip_fetch_head: z.boolean().optional(),
  extra_refs: z.array(RefsSchema).optional(),
  decoration_config: DecorationConfigSchema.optional(),
};

const JobBaseShape = {
  name: z.string(),
  labels: StringMap.optional(),
  max_concurrency: z.number().int().optional(),
  agent: z.string().optional(),
  cluster: z.string().optional(),
  namespace: z.string().optional(),
  error_on_eviction: z.boolean().optional(),
  spec: PodSpecValueSchema.optional(),
  pipeline_run_spec: KubernetesObject.optional(),
  tekton_pipeline_run_spec: z.object({ v1beta1: KubernetesObject.optional() }).optional(),
  annotations: StringMap.optional(),
  reporter_config: ReporterConfigSchema.optional(),
  rerun_auth_config: RerunAuthConfigSchema.optional(),
  hidden: z.boolean().optional(),
  prowjob_defaults: ProwJobDefaultSchema.optional(),
  job_queue_name: z.string().optional(),
  ...UtilityConfigShape,
};

const BrancherShape = {
  branches: z.array(z.string()).optional(),
  skip_branches: z.array(z.string()).optional(),
};

const ChangeMatcherShape = {
  run_if_changed: z.string().optional(),
  skip_if_only_changed: z.string().optional(),
};

const ReporterShape = {
  context: z.string().optional(),
  skip_report: z.boolean().optional(),
};

const JenkinsSpec = z.object({ github_branch_source_job: z.boolean().optional() });

export const PresubmitConfigSchema = z.object({
  ...JobBaseShape,
  ...BrancherShape,
  ...ChangeMatcherShape,
  ...ReporterShape,
  always_run: z.boolean().optional(),
  optional: z.boolean().optional(),
  trigger: z.string().optional(),
  rerun_command: z.string().optional(),
  run_before_merge: z.boolean().optional(),
  jenkins_spec: JenkinsSpec.optional(),
});
export type PresubmitConfig = z.infer<typeof PresubmitConfigSchema>;

export const PostsubmitConfigSchema = z.object({
  ...JobBaseShape,
  ...BrancherShape,
  ...ChangeMatcherShape,
  ...ReporterShape,
  always_run: z.boolean().nullable().optional(),
  jenkins_spec: JenkinsSpec.optional(),
});
export type PostsubmitConfig = z.infer<typeof PostsubmitConfigSchema>;

export const PeriodicConfigSchema = z.object({
  ...JobBaseShape,
  interval: z.string().optional(),
  minimum_interval: z.string().optional(),
  cron: z.string().optional(),
  tags: z.array(z.string()).optional(),
  retry: z
    .object({
      run_all: z.boolean().optional(),
      attempts: z.number().int().optional(),
      interval: z.string().optional(),
    })
    .optional(),
});
export type PeriodicConfig = z.infer<typeof PeriodicConfigSchema>;

export const PresetSchema = z.object({
  labels: StringMap.optional(),
  env: z.array(kubernetesObject('V1EnvVar')).optional(),
  volumes: z.array(kubernetesObject('V1Volume')).optional(),
  volumeMounts: z.array(kubernetesObject('V1VolumeMount')).optional(),
  tolerations: z.array(kubernetesObject('V1Toleration')).optional(),
});
export type Preset = z.infer<typeof PresetSchema>;

/**
 * The keys of a job-config file. The four job sections are validated entry by entry (so one
 * broken job does not hide the problems of the others); here they are only named.
 */
export const JobConfigShape = {
  presets: z.unknown().optional(),
  presubmits: z.unknown().optional(),
  postsubmits: z.unknown().optional(),
  periodics: z.unknown().optional(),
  decorate_all_jobs: z.boolean().optional(),
  /** A well-known key Prow never reads, for tools that keep their own data in job files. */
  prow_ignored: z.unknown().optional(),
};

export const JobConfigFileSchema = z.object(JobConfigShape);
