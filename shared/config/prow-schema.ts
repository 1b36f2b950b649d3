import { z } from 'zod';
import {
  DecorationConfigSchema,
  GoDurationValue,
  ProwJobDefaultSchema,
  ProwJobTypeSchema,
  RerunAuthConfigSchema,
  SlackReporterConfigSchema,
} from '../prowjob/schema';
import { JobConfigShape } from './job-schema';
import { TideConfigSchema } from './tide-schema';

/**
 * Prow's `config.yaml` (pkg/config/config.go `ProwConfig` plus the job configuration it may
 * also hold). The components Cutwater replaces are modelled field by field (tide's in
 * shared/config/tide-schema.ts); sections for Prow components Cutwater does not have (gerrit,
 * jenkins…) are accepted as they are so that an existing config loads unchanged.
 */

const Opaque = z.looseObject({});

const DefaultDecorationConfigEntrySchema = z.object({
  repo: z.string().optional(),
  cluster: z.string().optional(),
  config: DecorationConfigSchema.optional(),
});

export const PlankConfigSchema = z.object({
  job_url_template: z.string().optional(),
  report_template: z.string().optional(),
  report_templates: z.record(z.string(), z.string()).optional(),
  max_concurrency: z.number().int().optional(),
  max_goroutines: z.number().int().optional(),
  pod_pending_timeout: GoDurationValue.optional(),
  pod_running_timeout: GoDurationValue.optional(),
  pod_unscheduled_timeout: GoDurationValue.optional(),
  max_revivals: z.number().int().optional(),
  default_decoration_configs: z.record(z.string(), DecorationConfigSchema).optional(),
  default_decoration_config_entries: z.array(DefaultDecorationConfigEntrySchema).optional(),
  job_url_prefix_config: z.record(z.string(), z.string()).optional(),
  jobURLPrefixDisableAppendStorageProvider: z.boolean().optional(),
  build_cluster_status_file: z.string().optional(),
  job_queue_capacities: z.record(z.string(), z.number().int()).optional(),
});
export type PlankConfig = z.infer<typeof PlankConfigSchema>;

export const SinkerConfigSchema = z.object({
  resync_period: GoDurationValue.optional(),
  max_prowjob_age: GoDurationValue.optional(),
  max_pod_age: GoDurationValue.optional(),
  terminated_pod_ttl: GoDurationValue.optional(),
  exclude_clusters: z.array(z.string()).optional(),
});

/** pkg/config `LensFileConfig`: which files a lens is shown for; the regexps match paths relative to the run's directory. */
export const LensFileConfigSchema = z.object({
  required_files: z.array(z.string()).nullable().optional(),
  optional_files: z.array(z.string()).nullable().optional(),
  lens: z.object({ name: z.string().min(1), config: z.unknown().optional() }),
  // Remote lenses are Prow-hosted services; accepted so a config loads, not used.
  remote_config: Opaque.nullable().optional(),
});
export type LensFileConfig = z.infer<typeof LensFileConfigSchema>;

/** pkg/config `Spyglass`: the lenses are used; the GCS-browser and TestGrid settings are accepted as they are. */
export const SpyglassConfigSchema = z.looseObject({
  lenses: z.array(LensFileConfigSchema).nullable().optional(),
  /** The deprecated form: a regexp to the viewer names shown for it. */
  viewers: z.record(z.string(), z.array(z.string())).nullable().optional(),
  size_limit: z.number().int().optional(),
});
export type SpyglassConfig = z.infer<typeof SpyglassConfigSchema>;

export const DeckConfigSchema = z.object({
  spyglass: SpyglassConfigSchema.optional(),
  tide_update_period: GoDurationValue.optional(),
  hidden_repos: z.array(z.string()).optional(),
  external_agent_logs: z.array(Opaque).optional(),
  branding: Opaque.optional(),
  google_analytics: z.string().optional(),
  rerun_auth_configs: z.record(z.string(), RerunAuthConfigSchema).optional(),
  // Unlike the decoration and ProwJob default entries, Prow names this entry's config field
  // `rerun_auth_configs` (pkg/config/config.go DefaultRerunAuthConfigEntry).
  default_rerun_auth_configs: z
    .array(
      z.object({
        repo: z.string().optional(),
        cluster: z.string().optional(),
        rerun_auth_configs: RerunAuthConfigSchema.optional(),
      }),
    )
    .optional(),
  skip_storage_path_validation: z.boolean().optional(),
  additional_allowed_buckets: z.array(z.string()).optional(),
});

export const ProwConfigSchema = z.object({
  ...JobConfigShape,
  config_version_sha: z.string().optional(),
  tide: TideConfigSchema.optional(),
  plank: PlankConfigSchema.optional(),
  pipeline: Opaque.optional(),
  sinker: SinkerConfigSchema.optional(),
  deck: DeckConfigSchema.optional(),
  'branch-protection': Opaque.optional(),
  gerrit: Opaque.optional(),
  github_reporter: z
    .object({
      job_types_to_report: z.array(ProwJobTypeSchema).optional(),
      no_comment_repos: z.array(z.string()).optional(),
      summary_comment_repos: z.array(z.string()).optional(),
    })
    .optional(),
  horologium: z.object({ tick_interval: GoDurationValue.optional() }).optional(),
  slack_reporter_configs: z
    .record(
      z.string(),
      SlackReporterConfigSchema.extend({ job_types_to_report: z.array(ProwJobTypeSchema).optional() }),
    )
    .optional(),
  in_repo_config: Opaque.optional(),
  gangway: Opaque.optional(),
  moonraker: Opaque.optional(),
  scheduler: Opaque.optional(),
  jenkins_operators: z.array(Opaque).optional(),
  prowjob_namespace: z.string().optional(),
  pod_namespace: z.string().optional(),
  log_level: z.string().optional(),
  push_gateway: Opaque.optional(),
  owners_dir_denylist: Opaque.optional(),
  pubsub_subscriptions: z.record(z.string(), z.array(z.string())).optional(),
  pubsub_triggers: z.array(Opaque).optional(),
  github: Opaque.optional(),
  status_error_link: z.string().optional(),
  default_job_timeout: GoDurationValue.optional(),
  managed_webhooks: Opaque.optional(),
  prowjob_default_entries: z
    .array(
      z.object({
        repo: z.string().optional(),
        cluster: z.string().optional(),
        config: ProwJobDefaultSchema.optional(),
      }),
    )
    .optional(),
  disabled_clusters: z.array(z.string()).optional(),
});
export type ProwConfigFile = z.infer<typeof ProwConfigSchema>;
