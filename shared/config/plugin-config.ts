import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { enabledPluginsFor, ownEntry } from './enabled-plugins';
import { goDecode } from './go-decode';
import { type ConfigProblem, readFailure } from './problems';
import type { PluginSectionSpec } from './plugin-section';
import { formatYamlPath, parseYamlSource, type YamlPath, type YamlSource } from './yaml-source';

export { enabledPluginsFor, formatYamlPath };
export type { PluginSectionSpec };

/**
 * Prow's `plugins.yaml` (pkg/plugins/config.go `Configuration`). This file models what no single
 * plugin owns: which plugins are enabled where (`plugins`, `external_plugins`), the OWNERS settings
 * several plugins read, and the sections of plugins Cutwater does not implement, accepted with their
 * outer shape only so that an existing file loads unchanged. A section an in-tree plugin owns (`size:`,
 * `triggers:`, …) is declared in that plugin's file (shared/config/plugin-section.ts) and reaches
 * the loader through `PluginConfigOptions.sections`.
 */

const StringList = z.array(z.string());
/** Entries are "org" or "org/repo". */
const RepoList = StringList;
const OpaqueSection = z.record(z.string(), z.unknown());

export const OrgPluginsSchema = z.object({
  excluded_repos: StringList.optional(),
  plugins: StringList.optional(),
});
export type OrgPlugins = z.infer<typeof OrgPluginsSchema>;

/** Prow still reads the older form, in which an entry is only the list of plugin names. */
const PluginsEntrySchema = z
  .union([StringList, OrgPluginsSchema])
  .transform((entry): OrgPlugins => (Array.isArray(entry) ? { plugins: entry } : entry));

export const ExternalPluginSchema = z.object({
  name: z.string().optional(),
  endpoint: z.string().optional(),
  events: StringList.optional(),
});
export type ExternalPlugin = z.infer<typeof ExternalPluginSchema>;

export const OwnersSchema = z.object({
  mdyamlrepos: RepoList.optional(),
  skip_collaborators: RepoList.optional(),
  labels_denylist: StringList.optional(),
  filenames: z
    .record(z.string(), z.object({ owners: z.string().optional(), owners_aliases: z.string().optional() }))
    .optional(),
});

/**
 * Loose, so that plugin sections pass through: validated when the loader is given their specs,
 * carried unvalidated by components that never read them.
 */
export const PluginConfigSchema = z.looseObject({
  /** "org" or "org/repo" → the in-tree plugins enabled there. */
  plugins: z.record(z.string(), PluginsEntrySchema).optional(),
  /** "org" or "org/repo" → external plugins that receive its events. */
  external_plugins: z.record(z.string(), z.array(ExternalPluginSchema)).optional(),
  /** Read by every plugin that reads OWNERS files (approve, blunderbuss, lgtm, verify-owners). */
  owners: OwnersSchema.optional(),

  // Accepted, not interpreted.
  bugzilla: OpaqueSection.optional(),
  dco: OpaqueSection.optional(),
  golint: OpaqueSection.optional(),
  jira: OpaqueSection.optional(),
  project_manager: OpaqueSection.optional(),
});
export type PluginConfig = z.infer<typeof PluginConfigSchema>;

/**
 * The in-tree plugins Prow's hook (and checkconfig) registers: the packages imported by
 * pkg/hook/plugin-imports, under the names they register. A name outside this list is rejected,
 * as Prow's checkconfig does.
 */
export const KNOWN_PLUGINS = [
  'approve',
  'assign',
  'blockade',
  'blunderbuss',
  'branchcleaner',
  'bugzilla',
  'buildifier',
  'cat',
  'cherry-pick-approved',
  'cherry-pick-unapproved',
  'cla',
  'config-updater',
  'dco',
  'dog',
  'golint',
  'goose',
  'heart',
  'help',
  'hold',
  'invalidcommitmsg',
  'issue-management',
  'jira',
  'label',
  'lgtm',
  'lifecycle',
  'merge-method-comment',
  'mergecommitblocker',
  'milestone',
  'milestoneapplier',
  'milestonestatus',
  'override',
  'owners-label',
  'pony',
  'project',
  'project-manager',
  'release-note',
  'require-matching-label',
  'retitle',
  'rifle',
  'shrug',
  'sigmention',
  'size',
  'skip',
  'slackevents',
  'stage',
  'testfreeze',
  'trick-or-treat',
  'trigger',
  'verify-owners',
  'welcome',
  'wip',
  'yuks',
] as const;
export type KnownPlugin = (typeof KNOWN_PLUGINS)[number];

const KNOWN_PLUGIN_SET: ReadonlySet<string> = new Set(KNOWN_PLUGINS);

export interface PluginConfigResult {
  /** Present only when there are no problems, so that a broken file is never used. */
  readonly config?: PluginConfig;
  readonly problems: ConfigProblem[];
}

export interface PluginConfigOptions {
  /** Prow's checkconfig `--strict`: unknown fields and checkconfig's plugin warnings become problems. */
  readonly strict: boolean;
  /**
   * The sections in-tree plugins own (`PLUGIN_SETTINGS` in shared/plugins/registry.ts), validated
   * with their checks. Without them those sections are carried unvalidated, and under `strict` a
   * section no spec names is still accepted: give them wherever plugin settings are read or checked.
   */
  readonly sections?: readonly PluginSectionSpec[];
}

export async function loadPluginConfigFile(
  file: string,
  options: PluginConfigOptions,
): Promise<PluginConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { problems: [{ file, line: 0, message: `cannot read plugin config: ${readFailure(error)}` }] };
  }
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) return { problems: parsed.problems };
  return validatePluginConfig(parsed.source, options);
}

export function validatePluginConfig(source: YamlSource, options: PluginConfigOptions): PluginConfigResult {
  const problems: ConfigProblem[] = [];
  const report: Report = (path, message, shownPath = path) => {
    const prefix = formatYamlPath(shownPath);
    problems.push({
      file: source.file,
      line: source.lineOf(path),
      message: prefix ? `${prefix}: ${message}` : message,
    });
  };

  const sections = options.sections ?? [];
  const fileSchema = withSections(sections);
  const decoded = goDecode(fileSchema, source.value ?? {});
  const raw = decoded.value;
  if (options.strict) {
    for (const path of decoded.unknownFields) {
      report(path, describeUnknownField(fileSchema, path, raw), path.slice(0, -1));
    }
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const located of flattenIssue(issue, toYamlPath(issue.path))) {
        report(located.path, describeIssue(located.issue, valueAt(raw, located.path)));
      }
    }
    return { problems };
  }

  // Parsed again with the general schema only for its type: the sections pass through as parsed.
  const config = PluginConfigSchema.parse(parsed.data);
  const rawPlugins = isPlainObject(raw) && isPlainObject(raw.plugins) ? raw.plugins : {};
  const context: CheckContext = { config, rawPlugins, report };
  checkPluginsMapForm(context);
  checkPluginNames(context);
  checkPluginsDuplicatedForOrg(context);
  checkReviewerPluginsExclusive(context);
  checkExternalPluginsDuplicatedForOrg(context);
  for (const section of sections) section.check(config, report, { strict: options.strict });
  if (options.strict) checkOwnersFilesVerified(context);

  return problems.length === 0 ? { config, problems } : { problems };
}

/**
 * The schema of the whole file: the general sections plus each plugin's, strict at the top level
 * once the plugins' sections are known, so that a section nothing owns is an unknown field.
 */
function withSections(sections: readonly PluginSectionSpec[]): z.ZodObject {
  if (sections.length === 0) return PluginConfigSchema;
  const shape: Record<string, z.ZodType> = { ...PluginConfigSchema.shape };
  for (const section of sections) {
    if (Object.hasOwn(shape, section.key)) {
      throw new Error(`plugins.yaml section "${section.key}" is declared twice; one plugin owns each section`);
    }
    shape[section.key] = section.schema.optional();
  }
  return z.object(shape);
}

/** `shownPath` names the place in the message when it differs from the one whose line is reported. */
type Report = (path: YamlPath, message: string, shownPath?: YamlPath) => void;

interface CheckContext {
  readonly config: PluginConfig;
  /** The `plugins` map as written, to tell the list form from the object form. */
  readonly rawPlugins: Record<string, unknown>;
  readonly report: Report;
}

// ---- plugins and external_plugins ----

function pluginListPath(context: CheckContext, key: string, index: number): YamlPath {
  return Array.isArray(context.rawPlugins[key])
    ? ['plugins', key, index]
    : ['plugins', key, 'plugins', index];
}

/** Prow reads the map in the list form or in the object form, never a mixture. */
function checkPluginsMapForm(context: CheckContext): void {
  const entries = Object.entries(context.rawPlugins);
  const usesObjectForm = entries.some(([, entry]) => isPlainObject(entry));
  if (!usesObjectForm) return;
  for (const [key, entry] of entries) {
    if (!Array.isArray(entry)) continue;
    context.report(
      ['plugins', key],
      'this entry is a plain list but other entries use the object form; Prow reads the whole map in one form, so write it as "plugins: [...]"',
    );
  }
}

function checkPluginNames(context: CheckContext): void {
  const externalNames = new Set(
    Object.values(context.config.external_plugins ?? {}).flatMap((list) => list.map((plugin) => plugin.name)),
  );
  for (const [key, entry] of Object.entries(context.config.plugins ?? {})) {
    (entry.plugins ?? []).forEach((name, index) => {
      if (KNOWN_PLUGIN_SET.has(name)) return;
      const suggestion = closestName(name, KNOWN_PLUGINS);
      const hint = externalNames.has(name)
        ? `; "${name}" is an external plugin, so list it under external_plugins`
        : suggestion
          ? ` (did you mean "${suggestion}"?)`
          : '; external plugins belong under external_plugins';
      context.report(pluginListPath(context, key, index), `unknown plugin "${name}"${hint}`);
    });
  }
}

function checkPluginsDuplicatedForOrg(context: CheckContext): void {
  for (const [key, entry] of Object.entries(context.config.plugins ?? {})) {
    if (!key.includes('/')) continue;
    const [org = '', repo = ''] = key.split('/');
    const orgEntry = ownEntry(context.config.plugins, org);
    if (!orgEntry || (orgEntry.excluded_repos ?? []).includes(repo)) continue;
    const enabledForOrg = new Set(orgEntry.plugins ?? []);
    (entry.plugins ?? []).forEach((name, index) => {
      if (!enabledForOrg.has(name)) return;
      context.report(
        pluginListPath(context, key, index),
        `plugin "${name}" is already enabled for org "${org}"; remove it here, or list "${repo}" in the org's excluded_repos`,
      );
    });
  }
}

function checkReviewerPluginsExclusive(context: CheckContext): void {
  const plugins = context.config.plugins ?? {};
  const requestsReviewers = (entry: OrgPlugins | undefined, name: 'blunderbuss' | 'rifle') =>
    (entry?.plugins ?? []).includes(name);
  for (const [key, entry] of Object.entries(plugins)) {
    if (requestsReviewers(entry, 'blunderbuss') && requestsReviewers(entry, 'rifle')) {
      context.report(
        ['plugins', key],
        'blunderbuss and rifle both request reviewers; enable only one of them',
      );
      continue;
    }
    if (!key.includes('/')) continue;
    const [org = '', repo = ''] = key.split('/');
    const orgEntry = ownEntry(plugins, org);
    if (!orgEntry || (orgEntry.excluded_repos ?? []).includes(repo)) continue;
    for (const [here, there] of [
      ['blunderbuss', 'rifle'],
      ['rifle', 'blunderbuss'],
    ] as const) {
      if (requestsReviewers(entry, here) && requestsReviewers(orgEntry, there)) {
        context.report(
          ['plugins', key],
          `${here} is enabled here while org "${org}" enables ${there}; they both request reviewers, so enable only one of them`,
        );
      }
    }
  }
}

function checkExternalPluginsDuplicatedForOrg(context: CheckContext): void {
  const external = context.config.external_plugins ?? {};
  for (const [key, list] of Object.entries(external)) {
    if (!key.includes('/')) continue;
    const org = key.slice(0, key.indexOf('/'));
    const enabledForOrg = new Set((ownEntry(external, org) ?? []).map((plugin) => plugin.name));
    list.forEach((plugin, index) => {
      if (!enabledForOrg.has(plugin.name)) return;
      context.report(
        ['external_plugins', key, index, 'name'],
        `external plugin "${plugin.name ?? ''}" is already enabled for org "${org}"; remove it here`,
      );
    });
  }
}

// ---- checkconfig's warning about the plugins map, which fails only under --strict ----

const OWNERS_READERS = ['approve', 'blunderbuss', 'rifle', 'owners-label'] as const;

/**
 * Wherever a plugin reads OWNERS files, verify-owners must run too. Repos an org entry does not
 * name all get that entry's plugins, so one stand-in repo per org plus every named repo covers
 * every distinct combination exactly.
 */
function checkOwnersFilesVerified(context: CheckContext): void {
  const plugins = context.config.plugins ?? {};
  const namedRepos = new Map<string, Set<string>>();
  for (const [key, entry] of Object.entries(plugins)) {
    const [org = '', repo] = key.split('/');
    const repos = namedRepos.get(org) ?? new Set<string>();
    namedRepos.set(org, repos);
    if (repo !== undefined) repos.add(repo);
    if (!key.includes('/')) for (const excluded of entry.excluded_repos ?? []) repos.add(excluded);
  }
  const unverifiedReaders = (org: string, repo: string) => {
    const enabled = enabledPluginsFor(context.config, org, repo);
    return enabled.includes('verify-owners') ? [] : OWNERS_READERS.filter((name) => enabled.includes(name));
  };
  const describe = (readers: readonly string[]) =>
    `enables ${readers.join(', ')}, which read${readers.length === 1 ? 's' : ''} OWNERS files, but not verify-owners, which keeps them valid; enable verify-owners too`;

  for (const [org, repos] of namedRepos) {
    // GitHub repository names cannot contain a space, so this stands for every repo not named.
    const orgReaders = unverifiedReaders(org, ' unnamed repo');
    if (orgReaders.length > 0) context.report(['plugins', org], `org "${org}" ${describe(orgReaders)}`);
    const excluded = ownEntry(plugins, org)?.excluded_repos ?? [];
    for (const repo of repos) {
      const readers = unverifiedReaders(org, repo);
      if (readers.length === 0 || (orgReaders.length > 0 && !excluded.includes(repo))) continue;
      const fullName = `${org}/${repo}`;
      context.report(
        ['plugins', Object.hasOwn(plugins, fullName) ? fullName : org],
        `repo "${fullName}" ${describe(readers)}`,
      );
    }
  }
}

// ---- helpers ----

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: YamlPath): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isPlainObject(node) && Object.hasOwn(node, String(segment))) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

function toYamlPath(path: readonly PropertyKey[]): YamlPath {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

interface LocatedIssue {
  readonly path: YamlPath;
  readonly issue: z.core.$ZodIssue;
}

/**
 * A union reports one list of issues per alternative. When the value has the outer shape of
 * exactly one alternative, that alternative's issues are the useful ones.
 */
function flattenIssue(issue: z.core.$ZodIssue, path: YamlPath): LocatedIssue[] {
  if (issue.code !== 'invalid_union') return [{ path, issue }];
  const matchingShape = issue.errors.filter((branch) => branch.every((inner) => inner.path.length > 0));
  if (matchingShape.length !== 1) return [{ path, issue }];
  return matchingShape[0]!.flatMap((inner) => flattenIssue(inner, [...path, ...toYamlPath(inner.path)]));
}

function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'int' ? 'integer' : issue.expected;
    const received =
      issue.expected === 'int' && typeof actual === 'number' ? String(actual) : typeNameOf(actual);
    return `expected ${expected}, received ${received}`;
  }
  if (issue.code === 'invalid_union') {
    const expected = issue.errors
      .map((branch) => branch.find((inner) => inner.code === 'invalid_type' && inner.path.length === 0))
      .map((inner) => (inner?.code === 'invalid_type' ? inner.expected : undefined))
      .filter((name): name is NonNullable<typeof name> => name !== undefined);
    if (expected.length > 0) return `expected ${expected.join(' or ')}, received ${typeNameOf(actual)}`;
  }
  return issue.message;
}

function typeNameOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describeUnknownField(fileSchema: z.core.$ZodType, path: YamlPath, root: unknown): string {
  const name = String(path[path.length - 1]);
  const parent = valueAt(root, path.slice(0, -1));
  const siblings = isPlainObject(parent) ? Object.keys(parent) : [];
  const known = knownFieldsAt(fileSchema, path.slice(0, -1)).filter((field) => !siblings.includes(field));
  const suggestion = closestName(name, known);
  return `unknown field "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
}

/** The field names the schema declares for the object at `path`, for "did you mean" hints. */
function knownFieldsAt(fileSchema: z.core.$ZodType, path: YamlPath): string[] {
  let schema: z.core.$ZodType | undefined = fileSchema;
  for (const segment of path) {
    schema = schema && childSchema(schema, segment);
  }
  const shape = schema && objectShape(schema);
  return shape ? Object.keys(shape) : [];
}

function childSchema(schema: z.core.$ZodType, segment: string | number): z.core.$ZodType | undefined {
  const def = unwrap(schema)._zod.def;
  switch (def.type) {
    case 'object':
      return typeof segment === 'string' ? (def as z.core.$ZodObjectDef).shape[segment] : undefined;
    case 'record':
      return (def as z.core.$ZodRecordDef).valueType;
    case 'array':
      return (def as z.core.$ZodArrayDef).element;
    case 'union': {
      // The plugins entries: only the object alternative has named fields.
      const options = (def as z.core.$ZodUnionDef).options;
      return options.map((option) => childSchema(option, segment)).find((child) => child !== undefined);
    }
    default:
      return undefined;
  }
}

function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const inner = unwrap(schema);
  if (inner._zod.def.type === 'object') return (inner._zod.def as z.core.$ZodObjectDef).shape;
  if (inner._zod.def.type === 'union') {
    for (const option of (inner._zod.def as z.core.$ZodUnionDef).options) {
      const shape = objectShape(option);
      if (shape) return shape;
    }
  }
  return undefined;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def;
  if (def.type === 'optional') return unwrap((def as z.core.$ZodOptionalDef).innerType);
  if (def.type === 'pipe') return unwrap((def as z.core.$ZodPipeDef).in);
  return schema;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.floor(name.length / 2) + 1);
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
