import type { DecorationConfig } from '../prowjob/schema';
import type { CronSchedule } from '../go/cron';
import type { GoRegexp } from '../go/regexp';
import type { PeriodicConfig, PostsubmitConfig, Preset, PresubmitConfig } from './job-schema';
import type { PluginConfig } from './plugin-config';
import type { ProwConfigFile } from './prow-schema';

/** Where a job was declared, for error messages and for the status pages' "configured jobs". */
export interface JobSource {
  readonly file: string;
  readonly line: number;
}

/** Fields Prow fills in for every job (`defaultJobBase` and decoration defaulting). */
interface DefaultedJobBase {
  readonly source: JobSource;
  agent: string;
  cluster: string;
  namespace: string;
  /** Resolved from the job's `decorate` and the config's `decorate_all_jobs`. */
  decorate: boolean;
  /** Present when `decorate` is true: the job's own config merged over the matching defaults. */
  decoration_config?: DecorationConfig;
}

export interface BranchMatchers {
  readonly branches?: GoRegexp;
  readonly skipBranches?: GoRegexp;
}

/** Compiled from `run_if_changed` xor `skip_if_only_changed`. */
export interface ChangeMatcher {
  readonly kind: 'run_if_changed' | 'skip_if_only_changed';
  readonly regexp: GoRegexp;
}

export interface Presubmit extends Omit<PresubmitConfig, keyof DefaultedJobBase>, DefaultedJobBase {
  readonly kind: 'presubmit';
  /** "org/repo" the job belongs to. */
  readonly repo: string;
  context: string;
  trigger: string;
  rerun_command: string;
  readonly matchers: BranchMatchers & {
    readonly trigger?: GoRegexp;
    readonly changes?: ChangeMatcher;
  };
}

export interface Postsubmit extends Omit<PostsubmitConfig, keyof DefaultedJobBase>, DefaultedJobBase {
  readonly kind: 'postsubmit';
  readonly repo: string;
  context: string;
  readonly matchers: BranchMatchers & { readonly changes?: ChangeMatcher };
}

export interface Periodic extends Omit<PeriodicConfig, keyof DefaultedJobBase>, DefaultedJobBase {
  readonly kind: 'periodic';
  /** Compiled `cron`, when set and valid. */
  readonly schedule?: CronSchedule;
  /** `interval` / `minimum_interval` in milliseconds, when set and valid. */
  readonly intervalMs?: number;
  readonly minimumIntervalMs?: number;
}

export type JobDefinition = Presubmit | Postsubmit | Periodic;

/** The whole configuration, loaded, defaulted and validated: what every component reads. */
export interface Config {
  readonly prow: ProwConfigFile;
  readonly presets: readonly Preset[];
  /** Presubmits by "org/repo", in declaration order. */
  readonly presubmits: ReadonlyMap<string, readonly Presubmit[]>;
  readonly postsubmits: ReadonlyMap<string, readonly Postsubmit[]>;
  readonly periodics: readonly Periodic[];
  readonly plugins?: PluginConfig;
  /** Namespace job pods run in (`pod_namespace`, default "default"). */
  readonly podNamespace: string;
  readonly prowJobNamespace: string;
}

export interface JobCounts {
  readonly presubmits: number;
  readonly postsubmits: number;
  readonly periodics: number;
}

export function countJobs(config: Config): JobCounts {
  let presubmits = 0;
  let postsubmits = 0;
  for (const jobs of config.presubmits.values()) presubmits += jobs.length;
  for (const jobs of config.postsubmits.values()) postsubmits += jobs.length;
  return { presubmits, postsubmits, periodics: config.periodics.length };
}
