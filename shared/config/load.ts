import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import {
  type DefaultingContext,
  decorationDefaultEntries,
  defaultPeriodic,
  defaultPostsubmit,
  defaultPresubmit,
  type JobFieldProblem,
} from './defaults';
import { goDecode } from './go-decode';
import { listJobConfigFiles } from './job-files';
import {
  JobConfigFileSchema,
  PeriodicConfigSchema,
  PostsubmitConfigSchema,
  type Preset,
  PresetSchema,
  PresubmitConfigSchema,
} from './job-schema';
import type { Config, Periodic, Postsubmit, Presubmit } from './model';
import { validatePluginConfig } from './plugin-config';
import type { PluginSectionSpec } from './plugin-section';
import { ConfigInvalidError, type ConfigProblem, readFailure, sortProblems } from './problems';
import { type ProwConfigFile, ProwConfigSchema } from './prow-schema';
import { tideProblems } from './tide-schema';
import { spyglassProblems } from './spyglass';
import { rerunAuthProblem, validatePeriodics, validatePostsubmits, validatePresubmits } from './validate';
import { formatYamlPath, parseYamlSource, type YamlPath, type YamlSource } from './yaml-source';

/** Prow's flag names, as `checkconfig` and every component take them. */
export interface ConfigPaths {
  readonly configPath: string;
  readonly jobConfigPath?: string;
  readonly pluginConfigPath?: string;
}

export interface LoadOptions {
  /** Reject fields Prow does not know (Prow's `--strict`). */
  readonly strict?: boolean;
  /**
   * The plugins.yaml sections in-tree plugins own (`PLUGIN_SETTINGS`, shared/plugins/registry.ts).
   * Components that read plugin settings, and checkconfig, pass them; without them those sections
   * are carried unvalidated (see `PluginConfigOptions.sections`).
   */
  readonly pluginSettings?: readonly PluginSectionSpec[];
}

export interface TextFile {
  readonly path: string;
  readonly text: string;
}

/** The configuration as files: what the loader reads from disk, or a published snapshot holds. */
export interface ConfigTexts {
  readonly prowConfig: TextFile;
  readonly jobConfigs: readonly TextFile[];
  readonly pluginConfig?: TextFile;
}

export type LoadResult =
  | { ok: true; config: Config; problems: [] }
  | { ok: false; problems: ConfigProblem[] };

export async function readConfigTexts(paths: ConfigPaths): Promise<ConfigTexts | ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const read = async (file: string): Promise<TextFile | undefined> => {
    try {
      return { path: file, text: await readFile(file, 'utf8') };
    } catch (error) {
      problems.push({
        file,
        line: 0,
        message: `cannot read: ${readFailure(error)}`,
      });
      return undefined;
    }
  };
  const prowConfig = await read(paths.configPath);
  let jobConfigs: TextFile[] = [];
  if (paths.jobConfigPath) {
    try {
      const files = await listJobConfigFiles(paths.jobConfigPath);
      jobConfigs = (await Promise.all(files.map(read))).filter(
        (file): file is TextFile => file !== undefined,
      );
    } catch (error) {
      problems.push({
        file: paths.jobConfigPath,
        line: 0,
        message: `cannot read job config: ${readFailure(error)}`,
      });
    }
  }
  const pluginConfig = paths.pluginConfigPath ? await read(paths.pluginConfigPath) : undefined;
  if (!prowConfig || problems.length > 0) return problems;
  return { prowConfig, jobConfigs, ...(pluginConfig ? { pluginConfig } : {}) };
}

export async function loadConfig(paths: ConfigPaths, options: LoadOptions = {}): Promise<LoadResult> {
  const texts = await readConfigTexts(paths);
  if (Array.isArray(texts)) return { ok: false, problems: texts };
  return buildConfig(texts, options);
}

/** As `loadConfig`, for components that cannot start without a valid configuration. */
export async function loadConfigOrThrow(paths: ConfigPaths, options: LoadOptions = {}): Promise<Config> {
  const result = await loadConfig(paths, options);
  if (!result.ok) throw new ConfigInvalidError(result.problems);
  return result.config;
}

interface Located<T> {
  readonly value: T;
  readonly yaml: YamlSource;
  readonly path: YamlPath;
}

/**
 * Parse, default and validate a whole configuration, collecting every problem rather than
 * stopping at the first — a person fixing a config wants the full list in one run.
 */
export function buildConfig(texts: ConfigTexts, options: LoadOptions = {}): LoadResult {
  const problems: ConfigProblem[] = [];
  const strict = options.strict ?? false;

  const prowSource = parseFile(texts.prowConfig, problems);
  let prow: ProwConfigFile = {};
  if (prowSource) {
    const decoded = goDecode(ProwConfigSchema, prowSource.value ?? {});
    const parsed = ProwConfigSchema.safeParse(decoded.value);
    if (parsed.success) prow = parsed.data;
    else reportZodIssues(prowSource, [], parsed.error, problems);
    if (strict) reportUnknownFields(prowSource, decoded.unknownFields, problems);
  }

  const jobSources: YamlSource[] = prowSource ? [prowSource] : [];
  const basenames = new Map<string, string>();
  for (const file of texts.jobConfigs) {
    const base = path.basename(file.path);
    const clash = basenames.get(base);
    if (clash) {
      problems.push({
        file: file.path,
        line: 0,
        message: `duplicate file name ${base} (also ${clash}): Prow requires unique job-config basenames`,
      });
      continue;
    }
    basenames.set(base, file.path);
    const source = parseFile(file, problems);
    if (!source) continue;
    if (!isObjectOrEmpty(source.value)) {
      problems.push({
        file: file.path,
        line: 1,
        message: 'a job-config file must be a mapping with presubmits, postsubmits, periodics or presets',
      });
      continue;
    }
    const decoded = goDecode(JobConfigFileSchema, source.value ?? {});
    const parsed = JobConfigFileSchema.safeParse(decoded.value);
    if (!parsed.success) reportZodIssues(source, [], parsed.error, problems);
    if (strict) reportUnknownFields(source, decoded.unknownFields, problems);
    jobSources.push(source);
  }

  const presets: Located<Preset>[] = [];
  const rawPresubmits: Located<z.infer<typeof PresubmitConfigSchema>>[] = [];
  const rawPostsubmits: Located<z.infer<typeof PostsubmitConfigSchema>>[] = [];
  const rawPeriodics: Located<z.infer<typeof PeriodicConfigSchema>>[] = [];
  for (const source of jobSources) {
    const root = (source.value ?? {}) as Record<string, unknown>;
    collect(strict, source, root.presets, ['presets'], PresetSchema, presets, problems);
    collect(strict, source, root.periodics, ['periodics'], PeriodicConfigSchema, rawPeriodics, problems);
    for (const [section, schema, into] of [
      ['presubmits', PresubmitConfigSchema, rawPresubmits],
      ['postsubmits', PostsubmitConfigSchema, rawPostsubmits],
    ] as const) {
      const byRepo = root[section];
      if (byRepo === undefined || byRepo === null) continue;
      if (!isObjectOrEmpty(byRepo)) {
        problems.push({
          file: source.file,
          line: source.lineOf([section]),
          message: `${section} must map "org/repo" to a list of jobs`,
        });
        continue;
      }
      for (const [repo, jobs] of Object.entries(byRepo)) {
        collect(
          strict,
          source,
          jobs,
          [section, repo],
          schema as z.ZodType,
          into as Located<unknown>[],
          problems,
        );
      }
    }
  }

  checkPresetLabels(presets, problems);

  const podNamespace = prow.pod_namespace || 'default';
  const context: DefaultingContext = {
    prow,
    presets: presets.map((preset) => preset.value),
    podNamespace,
    decorationDefaults: decorationDefaultEntries(prow),
  };
  if (
    prow.plank?.default_decoration_config_entries?.length &&
    Object.keys(prow.plank.default_decoration_configs ?? {}).length
  ) {
    problems.push({
      file: texts.prowConfig.path,
      line: prowSource?.lineOf(['plank', 'default_decoration_configs']) ?? 0,
      message:
        'plank.default_decoration_configs and plank.default_decoration_config_entries are mutually exclusive: use the entries',
    });
  }

  // Prow's deck refuses both rerun-authorisation forms at once, and allow_anyone beside allowlists.
  if (Object.keys(prow.deck?.rerun_auth_configs ?? {}).length && prow.deck?.default_rerun_auth_configs?.length) {
    problems.push({
      file: texts.prowConfig.path,
      line: prowSource?.lineOf(['deck', 'rerun_auth_configs']) ?? 0,
      message: 'deck.rerun_auth_configs and deck.default_rerun_auth_configs are mutually exclusive: use one or the other',
    });
  }
  for (const [key, auth] of Object.entries(prow.deck?.rerun_auth_configs ?? {})) {
    const problem = rerunAuthProblem(auth);
    if (problem) problems.push({ file: texts.prowConfig.path, line: prowSource?.lineOf(['deck', 'rerun_auth_configs', key]) ?? 0, message: `deck.rerun_auth_configs[${key}]: ${problem}` });
  }
  for (const [index, entry] of (prow.deck?.default_rerun_auth_configs ?? []).entries()) {
    const problem = entry.rerun_auth_configs && rerunAuthProblem(entry.rerun_auth_configs);
    if (problem) problems.push({ file: texts.prowConfig.path, line: prowSource?.lineOf(['deck', 'default_rerun_auth_configs', index]) ?? 0, message: `deck.default_rerun_auth_configs[${index}]: ${problem}` });
  }

  for (const problem of spyglassProblems(prow.deck?.spyglass)) {
    const at = ['deck', 'spyglass', ...problem.path];
    problems.push({ file: texts.prowConfig.path, line: prowSource?.lineOf(at) ?? 0, message: `${formatYamlPath(at)}: ${problem.message}` });
  }
  for (const problem of tideProblems(prow.tide ?? {})) {
    const at = ['tide', ...problem.path];
    problems.push({ file: texts.prowConfig.path, line: prowSource?.lineOf(at) ?? 0, message: `${formatYamlPath(at)}: ${problem.message}` });
  }

  const jobLocations = new Map<Presubmit | Postsubmit | Periodic, Located<unknown>>();
  const locate = (job: Presubmit | Postsubmit | Periodic, jobProblems: readonly JobFieldProblem[]) => {
    const where = jobLocations.get(job)!;
    for (const problem of jobProblems) {
      problems.push({
        file: where.yaml.file,
        line: where.yaml.lineOf([...where.path, ...problem.path]),
        message: `${job.kind} ${job.name}: ${problem.message}`,
      });
    }
  };

  /** Default one raw job, remembering where it came from so later problems can name its lines. */
  const defaultJob = <Raw, Job extends Presubmit | Postsubmit | Periodic>(
    raw: Located<Raw>,
    build: (value: Raw, fieldProblems: JobFieldProblem[]) => Job,
  ): Job => {
    const fieldProblems: JobFieldProblem[] = [];
    const job = build(raw.value, fieldProblems);
    jobLocations.set(job, raw);
    locate(job, fieldProblems);
    return job;
  };
  const presubmits = new Map<string, Presubmit[]>();
  for (const raw of rawPresubmits) {
    const repo = String(raw.path[1]);
    getOrCreate(presubmits, repo).push(
      defaultJob(raw, (value, found) => defaultPresubmit(value, repo, sourceOf(raw), context, found)),
    );
  }
  const postsubmits = new Map<string, Postsubmit[]>();
  for (const raw of rawPostsubmits) {
    const repo = String(raw.path[1]);
    getOrCreate(postsubmits, repo).push(
      defaultJob(raw, (value, found) => defaultPostsubmit(value, repo, sourceOf(raw), context, found)),
    );
  }
  const periodics = rawPeriodics.map((raw) =>
    defaultJob(raw, (value, found) => defaultPeriodic(value, sourceOf(raw), context, found)),
  );

  const validationProblems = [
    ...[...presubmits.values()].flatMap((jobs) => validatePresubmits(jobs, prow, podNamespace)),
    ...[...postsubmits.values()].flatMap((jobs) => validatePostsubmits(jobs, prow, podNamespace)),
    ...validatePeriodics(periodics, prow, podNamespace),
  ];
  for (const { job, ...problem } of validationProblems) locate(job, [problem]);

  let plugins: Config['plugins'];
  if (texts.pluginConfig) {
    const pluginSource = parseFile(texts.pluginConfig, problems);
    if (pluginSource) {
      const result = validatePluginConfig(pluginSource, {
        strict,
        ...(options.pluginSettings ? { sections: options.pluginSettings } : {}),
      });
      problems.push(...result.problems);
      plugins = result.config;
    }
  }

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return {
    ok: true,
    problems: [],
    config: {
      prow,
      presets: context.presets,
      presubmits,
      postsubmits,
      periodics,
      ...(plugins ? { plugins } : {}),
      podNamespace,
      prowJobNamespace: prow.prowjob_namespace || 'default',
    },
  };
}

function parseFile(file: TextFile, problems: ConfigProblem[]): YamlSource | undefined {
  const result = parseYamlSource(file.path, file.text);
  if (!result.ok) {
    problems.push(...result.problems);
    return undefined;
  }
  return result.source;
}

/** Parse each list entry on its own, so one broken job does not hide the problems of the others. */
function collect<T>(
  strict: boolean,
  source: YamlSource,
  list: unknown,
  at: YamlPath,
  schema: z.ZodType<T>,
  into: Located<T>[],
  problems: ConfigProblem[],
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    problems.push({
      file: source.file,
      line: source.lineOf(at),
      message: `${formatYamlPath(at)} must be a list`,
    });
    return;
  }
  list.forEach((item, index) => {
    const itemPath = [...at, index];
    const decoded = goDecode(schema, item, itemPath);
    if (strict) reportUnknownFields(source, decoded.unknownFields, problems, describeItem(item, at[0]));
    const parsed = schema.safeParse(decoded.value);
    if (parsed.success) into.push({ value: parsed.data, yaml: source, path: itemPath });
    else reportZodIssues(source, itemPath, parsed.error, problems, describeItem(item, at[0]));
  });
}

const ITEM_KINDS: Record<string, string> = {
  presubmits: 'presubmit',
  postsubmits: 'postsubmit',
  periodics: 'periodic',
  presets: 'preset',
};

function describeItem(item: unknown, section: string | number | undefined): string {
  const name = typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined;
  const kind = ITEM_KINDS[String(section)] ?? 'entry';
  return typeof name === 'string' ? `${kind} ${name}: ` : '';
}

function reportZodIssues(
  source: YamlSource,
  base: YamlPath,
  error: z.ZodError,
  problems: ConfigProblem[],
  prefix = '',
): void {
  for (const issue of error.issues) {
    const issuePath = [...base, ...(issue.path as (string | number)[])];
    problems.push({
      file: source.file,
      line: source.lineOf(issuePath),
      message: `${prefix}${formatYamlPath(issuePath)}: ${issue.message}`,
    });
  }
}

function reportUnknownFields(
  source: YamlSource,
  unknownFields: readonly YamlPath[],
  problems: ConfigProblem[],
  prefix = '',
): void {
  for (const unknownPath of unknownFields) {
    const field = unknownPath[unknownPath.length - 1];
    problems.push({
      file: source.file,
      line: source.lineOf(unknownPath),
      message: `${prefix}unknown field "${String(field)}" in ${formatYamlPath(unknownPath.slice(0, -1)) || 'the top level'} (--strict)`,
    });
  }
}

/** Prow refuses two presets that select on the same label and value. */
function checkPresetLabels(presets: readonly Located<Preset>[], problems: ConfigProblem[]): void {
  const seen = new Map<string, Located<Preset>>();
  for (const preset of presets) {
    for (const [key, value] of Object.entries(preset.value.labels ?? {})) {
      const pair = `${key}:${value}`;
      const earlier = seen.get(pair);
      if (earlier) {
        problems.push({
          file: preset.yaml.file,
          line: preset.yaml.lineOf([...preset.path, 'labels', key]),
          message: `duplicate preset label ${pair} (also at ${earlier.yaml.file}:${earlier.yaml.lineOf([...earlier.path, 'labels', key])})`,
        });
      } else {
        seen.set(pair, preset);
      }
    }
  }
}

/** Kept for callers that know the loader's name for it. */
export { formatYamlPath as formatPath };

function sourceOf(located: Located<unknown>) {
  return { file: located.yaml.file, line: located.yaml.lineOf(located.path) };
}

function isObjectOrEmpty(value: unknown): value is Record<string, unknown> | null | undefined {
  return value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value));
}

function getOrCreate<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  return list;
}
