import type { DecorationConfig } from '../prowjob/schema';
import { parseProwCron } from '../go/cron';
import { mergeDecorationDefaults } from './decoration-defaults';
import { parseGoDuration } from '../go/duration';
import { compileGoAlternation, compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { PeriodicConfig, PostsubmitConfig, Preset, PresubmitConfig } from './job-schema';
import type { BranchMatchers, ChangeMatcher, JobSource, Periodic, Postsubmit, Presubmit } from './model';
import type { ProwConfigFile } from './prow-schema';
import type { YamlPath } from './yaml-source';

/** A problem inside one job, located by the path of the offending field relative to the job. */
export interface JobFieldProblem {
  readonly path: YamlPath;
  readonly message: string;
}

export const DEFAULT_CLUSTER = 'default';
export const DEFAULT_AGENT = 'kubernetes';

/** Prow's `DefaultTriggerFor`: `/test <name>` anywhere on a line, possibly among other job names. */
export function defaultTriggerFor(name: string): string {
  return `(?m)^/test( | .* )${name},?($|\\s.*)`;
}

export function defaultRerunCommandFor(name: string): string {
  return `/test ${name}`;
}

/** The settings of config.yaml that shape how jobs are defaulted. */
export interface DefaultingContext {
  readonly prow: ProwConfigFile;
  readonly presets: readonly Preset[];
  readonly podNamespace: string;
  readonly decorationDefaults: readonly DecorationDefaultEntry[];
}

export interface DecorationDefaultEntry {
  readonly repo: string;
  readonly cluster: string;
  readonly config: DecorationConfig | undefined;
}

/**
 * `plank.default_decoration_config_entries`, or the older `default_decoration_configs` map
 * converted as Prow does: "*" first, then orgs, then repos (later entries win).
 */
export function decorationDefaultEntries(prow: ProwConfigFile): DecorationDefaultEntry[] {
  const entries = prow.plank?.default_decoration_config_entries;
  if (entries?.length) {
    return entries.map((entry) => ({
      repo: entry.repo ?? '',
      cluster: entry.cluster ?? '',
      config: entry.config,
    }));
  }
  const legacy = prow.plank?.default_decoration_configs ?? {};
  const keys = Object.keys(legacy).sort();
  const ordered = [
    ...keys.filter((key) => key === '*'),
    ...keys.filter((key) => key !== '*' && !key.includes('/')),
    ...keys.filter((key) => key.includes('/')),
  ];
  return ordered.map((key) => ({ repo: key, cluster: '', config: legacy[key] }));
}

/** Prow's entry filter: cluster "", "*" or equal; repo "", "*", the repo itself or its org. */
export function defaultEntryMatches(
  entry: { repo: string; cluster: string },
  repo: string,
  cluster: string,
): boolean {
  if (entry.cluster !== '' && entry.cluster !== '*' && entry.cluster !== cluster) return false;
  if (entry.repo === '' || entry.repo === '*' || entry.repo === repo) return true;
  const bare = repo.replace(/^https?:\/\//, '');
  return entry.repo === bare || entry.repo === bare.split('/')[0];
}

interface CommonDefaults {
  agent: string;
  cluster: string;
  namespace: string;
  decorate: boolean;
  decoration_config?: DecorationConfig;
  spec?: PresubmitConfig['spec'];
}

function defaultCommon(
  job: PresubmitConfig | PostsubmitConfig | PeriodicConfig,
  repo: string,
  context: DefaultingContext,
  problems: JobFieldProblem[],
): CommonDefaults {
  const cluster = job.cluster || DEFAULT_CLUSTER;
  const decorate = job.decorate ?? context.prow.decorate_all_jobs ?? false;
  const common: CommonDefaults = {
    agent: job.agent || DEFAULT_AGENT,
    cluster,
    namespace: job.namespace || context.podNamespace,
    decorate,
  };
  if (decorate) {
    const matching = context.decorationDefaults.filter((entry) => defaultEntryMatches(entry, repo, cluster));
    common.decoration_config = mergeDecorationDefaults(
      matching.map((entry) => entry.config),
      job.decoration_config,
    );
  } else if (job.decoration_config) {
    common.decoration_config = job.decoration_config;
  }
  if (job.spec) common.spec = applyPresets(job, context.presets, problems);
  return common;
}

/**
 * Prow's presets: every preset whose labels all appear on the job (a preset without labels
 * applies to all jobs) adds its env and volume mounts to every container and its volumes and
 * tolerations to the pod. A name the pod already has is an error, not an override.
 */
function applyPresets(
  job: PresubmitConfig | PostsubmitConfig | PeriodicConfig,
  presets: readonly Preset[],
  problems: JobFieldProblem[],
): PresubmitConfig['spec'] {
  const labels = job.labels ?? {};
  const applicable = presets.filter((preset) =>
    Object.entries(preset.labels ?? {}).every(([key, value]) => labels[key] === value),
  );
  if (applicable.length === 0) return job.spec;
  const spec = structuredClone(job.spec)!;
  for (const preset of applicable) {
    const containers = (spec.containers ?? []) as Record<string, unknown>[];
    for (const env of preset.env ?? []) {
      for (const container of containers) {
        const existing = (container.env ?? []) as { name?: unknown }[];
        if (existing.some((item) => item.name === env.name)) {
          problems.push({
            path: ['spec'],
            message: `preset env var "${String(env.name)}" is already set in the pod spec`,
          });
          return spec;
        }
        container.env = [...existing, env];
      }
    }
    for (const volume of preset.volumes ?? []) {
      const existing = (spec.volumes ?? []) as { name?: unknown }[];
      if (existing.some((item) => item.name === volume.name)) {
        problems.push({
          path: ['spec'],
          message: `preset volume "${String(volume.name)}" is already defined in the pod spec`,
        });
        return spec;
      }
      spec.volumes = [...existing, volume] as typeof spec.volumes;
    }
    for (const mount of preset.volumeMounts ?? []) {
      for (const container of containers) {
        const existing = (container.volumeMounts ?? []) as { name?: unknown }[];
        if (existing.some((item) => item.name === mount.name)) {
          problems.push({
            path: ['spec'],
            message: `preset volume mount "${String(mount.name)}" is already defined in the pod spec`,
          });
          return spec;
        }
        container.volumeMounts = [...existing, mount];
      }
    }
    for (const toleration of preset.tolerations ?? []) {
      const existing = spec.tolerations ?? [];
      if (existing.some((item) => JSON.stringify(item) === JSON.stringify(toleration))) {
        problems.push({
          path: ['spec'],
          message: `preset toleration ${JSON.stringify(toleration)} is already in the pod spec`,
        });
        return spec;
      }
      spec.tolerations = [...existing, toleration];
    }
  }
  return spec;
}

function compileBranches(
  job: { branches?: string[]; skip_branches?: string[] },
  problems: JobFieldProblem[],
): BranchMatchers {
  const matchers: { branches?: GoRegexp; skipBranches?: GoRegexp } = {};
  if (job.branches?.length) {
    const compiled = tryCompile(() => compileGoAlternation(job.branches!), ['branches'], problems);
    if (compiled) matchers.branches = compiled;
  }
  if (job.skip_branches?.length) {
    const compiled = tryCompile(() => compileGoAlternation(job.skip_branches!), ['skip_branches'], problems);
    if (compiled) matchers.skipBranches = compiled;
  }
  return matchers;
}

function compileChanges(
  job: { run_if_changed?: string; skip_if_only_changed?: string },
  problems: JobFieldProblem[],
): ChangeMatcher | undefined {
  const kind = job.run_if_changed
    ? 'run_if_changed'
    : job.skip_if_only_changed
      ? 'skip_if_only_changed'
      : undefined;
  if (!kind) return undefined;
  const regexp = tryCompile(() => compileGoRegexp(job[kind]!), [kind], problems);
  return regexp ? { kind, regexp } : undefined;
}

function tryCompile(
  compile: () => GoRegexp,
  path: YamlPath,
  problems: JobFieldProblem[],
): GoRegexp | undefined {
  try {
    return compile();
  } catch (error) {
    problems.push({ path, message: `${path.join('.')}: ${(error as Error).message}` });
    return undefined;
  }
}

export function defaultPresubmit(
  raw: PresubmitConfig,
  repo: string,
  source: JobSource,
  context: DefaultingContext,
  problems: JobFieldProblem[],
): Presubmit {
  const common = defaultCommon(raw, repo, context, problems);
  // Prow fills in trigger and rerun_command only when both are missing; one without the other is an error.
  const bothMissing = !raw.trigger && !raw.rerun_command;
  const trigger = bothMissing ? defaultTriggerFor(raw.name) : (raw.trigger ?? '');
  const rerunCommand = bothMissing ? defaultRerunCommandFor(raw.name) : (raw.rerun_command ?? '');
  let triggerRegexp: GoRegexp | undefined;
  if (trigger) {
    triggerRegexp = tryCompile(() => compileGoRegexp(trigger), ['trigger'], problems);
  }
  return {
    ...raw,
    ...common,
    kind: 'presubmit',
    repo,
    source,
    context: raw.context || raw.name,
    trigger,
    rerun_command: rerunCommand,
    matchers: {
      ...compileBranches(raw, problems),
      ...(triggerRegexp ? { trigger: triggerRegexp } : {}),
      ...optional('changes', compileChanges(raw, problems)),
    },
  };
}

export function defaultPostsubmit(
  raw: PostsubmitConfig,
  repo: string,
  source: JobSource,
  context: DefaultingContext,
  problems: JobFieldProblem[],
): Postsubmit {
  const common = defaultCommon(raw, repo, context, problems);
  return {
    ...raw,
    ...common,
    kind: 'postsubmit',
    repo,
    source,
    context: raw.context || raw.name,
    matchers: { ...compileBranches(raw, problems), ...optional('changes', compileChanges(raw, problems)) },
  };
}

export function defaultPeriodic(
  raw: PeriodicConfig,
  source: JobSource,
  context: DefaultingContext,
  problems: JobFieldProblem[],
): Periodic {
  const firstRef = raw.extra_refs?.[0];
  const repo = firstRef ? `${firstRef.org}/${firstRef.repo}` : '';
  const common = defaultCommon(raw, repo, context, problems);
  const periodic: Periodic = { ...raw, ...common, kind: 'periodic', source };
  const triggers = (['cron', 'interval', 'minimum_interval'] as const).filter((key) => raw[key]);
  if (triggers.length > 1) {
    problems.push({
      path: [triggers[1]!],
      message: `${triggers.join(', ')} are mutually exclusive: set only one`,
    });
    return periodic;
  }
  if (triggers.length === 0) {
    problems.push({ path: ['name'], message: 'a periodic needs one of cron, interval or minimum_interval' });
    return periodic;
  }
  try {
    if (raw.cron) return { ...periodic, schedule: parseProwCron(raw.cron) };
    if (raw.interval) return { ...periodic, intervalMs: positiveDuration(raw.interval) };
    if (raw.minimum_interval)
      return { ...periodic, minimumIntervalMs: positiveDuration(raw.minimum_interval) };
  } catch (error) {
    problems.push({ path: [triggers[0]!], message: `${triggers[0]}: ${(error as Error).message}` });
  }
  return periodic;
}

function positiveDuration(text: string): number {
  const ms = parseGoDuration(text);
  if (ms <= 0) throw new Error(`duration '${text}' must be positive`);
  return ms;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: V });
}
