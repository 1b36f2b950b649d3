import { createHash } from 'node:crypto';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { PROW_IGNORE_FILE } from '../config/job-files';
import type { ConfigTexts, TextFile } from '../config/load';
import { z } from 'zod';
import { pluginSection, type PluginSectionSpec, type SectionCheck, type SectionReport } from '../config/plugin-section';
import type { YamlPath } from '../config/yaml-source';
import { goPathBase } from '../go/path';
import { compileZglob } from '../go/zglob';
import { formatProblem, type ConfigProblem } from '../config/problems';
import {
  createSnapshot,
  publishSnapshot,
  readCurrentSnapshot,
  type ConfigSnapshot,
  type PublishResult,
  type SnapshotPointer,
} from '../config/snapshots';
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { IssueComment, PullRequestFile, RepositoryFile } from '../github/client';
import type { Logger } from '../log/logger';
import { openSnapshotStore, snapshotLocationFromEnv, type SnapshotStore } from '../config/config-source';
import { isBotAccount } from '../github/membership';
import type { RepositoryHandle } from './handles';
import { definePlugin, type Plugin } from './plugin';

/**
 * config-updater (Prow's pkg/plugins/updateconfig): when a pull request that changes the
 * configuration merges into the config repository's default branch, publish it.
 *
 * Prow copies the changed files into ConfigMaps. Cutwater reads the whole configuration at the
 * merge commit, validates it exactly as `cutwater checkconfig` does, and publishes it as one
 * immutable snapshot (shared/config/snapshots.ts) that every function and runner picks up within
 * a minute. A configuration that does not validate is not published — the last good one stays —
 * and the pull request is told what to fix.
 *
 * Settings are Prow's `config_updater.maps` (file path or glob → ConfigMap). Cutwater has no
 * ConfigMaps, so it reads the maps by the ConfigMap names Prow's deployments give them: the file
 * mapped to `config` is config.yaml, the globs mapped to `job-config` (or partitions named
 * `job-config-…`) are the job configs, the file mapped to `plugins` is plugins.yaml. Other maps
 * (label_sync's labels, anything else) are Prow's business and ignored here; so are `key`, `gzip`
 * and the target clusters. `allowed_repos` / `denied_repos` are honoured.
 */

// ---- plugins.yaml `config_updater:` ----

export const ConfigMapSpecSchema = z.object({
  name: z.string().optional(),
  partitioned_names: z.array(z.string()).optional(),
  key: z.string().optional(),
  gzip: z.boolean().optional(),
  /** Cluster name → namespaces. */
  clusters: z.record(z.string(), z.array(z.string())).optional(),
  cluster_groups: z.array(z.string()).optional(),
  use_full_path_as_key: z.boolean().optional(),
  /** "org" or "org/repo". */
  allowed_repos: z.array(z.string()).optional(),
  denied_repos: z.array(z.string()).optional(),
});
export type ConfigMapSpec = z.infer<typeof ConfigMapSpecSchema>;

export const ConfigUpdaterSchema = z.object({
  cluster_groups: z
    .record(z.string(), z.object({ clusters: z.array(z.string()).optional(), namespaces: z.array(z.string()).optional() }))
    .optional(),
  /** File path (or glob) in the config repository → the ConfigMap it updates. */
  maps: z.record(z.string(), ConfigMapSpecSchema).optional(),
  gzip: z.boolean().optional(),
});
export type ConfigUpdater = z.infer<typeof ConfigUpdaterSchema>;

/** Prow's load-time checks of the maps, and (under --strict) checkconfig's warning about repo filters. */
const checkConfigUpdater: SectionCheck<ConfigUpdater> = (updater, report, { strict }) => {
  const groups = updater.cluster_groups ?? {};
  // ConfigMap (cluster, namespace, name) → data key → the file that writes it.
  const writers = new Map<string, Map<string, string>>();
  for (const [file, spec] of Object.entries(updater.maps ?? {})) {
    const at = (...rest: (string | number)[]): YamlPath => ['maps', file, ...rest];
    const partitions = spec.partitioned_names ?? [];
    if (spec.name && partitions.length > 0) {
      report(at('partitioned_names'), 'name and partitioned_names are mutually exclusive; keep one');
    }
    if (partitions.length > 256) {
      report(at('partitioned_names'), `at most 256 partitions are supported, found ${partitions.length}`);
    }
    const clusters = spec.clusters ?? {};
    const clusterGroups = spec.cluster_groups ?? [];
    if (Object.keys(clusters).length > 0 && clusterGroups.length > 0) {
      report(at('cluster_groups'), 'clusters and cluster_groups are mutually exclusive; keep one');
    } else if (Object.keys(clusters).length === 0) {
      clusterGroups.forEach((group, index) => {
        if (!Object.hasOwn(groups, group)) {
          report(at('cluster_groups', index), `cluster group "${group}" is not defined under config_updater.cluster_groups`);
        }
      });
    }

    // Prow defaults a map without targets to the default cluster's default namespace.
    const targets =
      Object.keys(clusters).length > 0 ? clusters : clusterGroups.length === 0 ? { default: [''] } : {};
    const name = spec.name || partitions.join(',');
    const key = spec.key || goPathBase(file);
    for (const [cluster, namespaces] of Object.entries(targets)) {
      for (const namespace of namespaces) {
        const configMap = JSON.stringify([cluster, namespace, name]);
        const keys = writers.get(configMap) ?? new Map<string, string>();
        writers.set(configMap, keys);
        const other = keys.get(key);
        if (other !== undefined && other !== file) {
          report(
            at(),
            `key "${key}" of configmap "${name}" (cluster "${cluster}", namespace "${namespace}") is also written by "${other}"; set a distinct key`,
          );
        } else {
          keys.set(key, file);
        }
      }
    }
  }
  if (strict) checkRepoFilters(updater, report);
};

function checkRepoFilters(updater: ConfigUpdater, report: SectionReport): void {
  for (const [file, spec] of Object.entries(updater.maps ?? {})) {
    for (const field of ['allowed_repos', 'denied_repos'] as const) {
      (spec[field] ?? []).forEach((entry, index) => {
        const problem =
          entry === ''
            ? 'must not be empty'
            : entry.split('/').length > 2
              ? 'has too many "/"'
              : entry.startsWith('/')
                ? 'names a repo without its org'
                : undefined;
        if (problem) report(['maps', file, field, index], `"${entry}" ${problem}; write "org" or "org/repo"`);
      });
    }
  }
}

export const configUpdaterSection = pluginSection('config_updater', ConfigUpdaterSchema, checkConfigUpdater);

/** Prow's maps when `config_updater.maps` is empty (pkg/plugins/config.go, ConfigUpdater.SetDefaults). */
export const DEFAULT_CONFIG_UPDATER_MAPS: Readonly<Record<string, ConfigMapSpec>> = {
  'config/prow/config.yaml': { name: 'config' },
  'config/prow/plugins.yaml': { name: 'plugins' },
};

/** Where a file goes in a snapshot. */
export type ConfigRole = 'config' | 'job-config' | 'plugins';

export interface RoleMap {
  /** The key of `config_updater.maps`. */
  readonly pattern: string;
  readonly role: ConfigRole;
  /** The directory above the pattern's first wildcard: what checkconfig's --job-config-path would name. */
  readonly root: string;
  readonly matches: (file: string) => boolean;
}

/** The role of a ConfigMap, from the name Prow's deployments mount it under. */
export function roleOfConfigMap(spec: ConfigMapSpec): ConfigRole | undefined {
  const names = spec.name ? [spec.name] : (spec.partitioned_names ?? []);
  if (names.length === 0) return undefined;
  if (names.every((name) => name === 'config')) return 'config';
  if (names.every((name) => name === 'plugins')) return 'plugins';
  if (names.every((name) => name === 'job-config' || name.startsWith('job-config-'))) return 'job-config';
  return undefined;
}

/** Prow's ConfigMapSpec.IsAllowed: denials first, then the allow list when there is one. */
export function configMapAllowsRepo(spec: ConfigMapSpec, fullName: string): boolean {
  const org = fullName.split('/')[0] ?? '';
  const listed = (entries: readonly string[] | undefined) => (entries ?? []).some((entry) => entry === fullName || entry === org);
  if (listed(spec.denied_repos)) return false;
  return (spec.allowed_repos ?? []).length === 0 || listed(spec.allowed_repos);
}

/** The maps this repository may publish through, with their roles. */
export function roleMapsFor(settings: ConfigUpdater | undefined, fullName: string): RoleMap[] {
  const maps = settings?.maps && Object.keys(settings.maps).length > 0 ? settings.maps : DEFAULT_CONFIG_UPDATER_MAPS;
  const roleMaps: RoleMap[] = [];
  for (const [pattern, spec] of Object.entries(maps)) {
    const role = roleOfConfigMap(spec);
    if (!role || !configMapAllowsRepo(spec, fullName)) continue;
    roleMaps.push({ pattern, role, root: globRoot(pattern), matches: compileConfigGlob(pattern) });
  }
  return roleMaps;
}

const WILDCARD = /[*?[{]/;

/** Prow matches map keys with go-zglob (shared/go/zglob.ts). */
export const compileConfigGlob = compileZglob;

function globRoot(pattern: string): string {
  const segments = pattern.split('/');
  const firstWild = segments.findIndex((segment) => WILDCARD.test(segment));
  const fixed = firstWild < 0 ? segments.slice(0, -1) : segments.slice(0, firstWild);
  return fixed.join('/');
}

/** The roles a pull request's changes touch (a rename counts for both its names). */
export function touchedRoles(changes: readonly PullRequestFile[], maps: readonly RoleMap[]): Set<ConfigRole> {
  const roles = new Set<ConfigRole>();
  for (const change of changes) {
    for (const name of [change.filename, change.previous_filename]) {
      if (name === undefined) continue;
      for (const map of maps) if (map.matches(name)) roles.add(map.role);
    }
  }
  return roles;
}

/**
 * Go's filepath.Walk order, which Prow's job-config loading follows (it decides the order presets
 * apply in): directory by directory, names in byte order.
 */
export function compareWalkOrder(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const x = left[index] ?? '';
    const y = right[index] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** `.prowignore` files that can hide job configs: at or below a job-config map's root. */
export function prowIgnorePaths(files: readonly string[], maps: readonly RoleMap[]): string[] {
  const roots = maps.filter((map) => map.role === 'job-config').map((map) => map.root);
  return files.filter(
    (file) =>
      path.posix.basename(file) === PROW_IGNORE_FILE &&
      roots.some((root) => root === '' || file.startsWith(`${root}/`)),
  );
}

export interface FileSelection {
  /** Undefined when no map gives the role a file (the current snapshot's is kept then). */
  readonly config?: string;
  readonly plugins?: string;
  readonly jobConfigs: string[];
  /** The roles this repository's maps give files for. */
  readonly mapped: ReadonlySet<ConfigRole>;
  readonly problems: ConfigProblem[];
}

/**
 * Which files at the merge commit make up the configuration: the one file for config.yaml and for
 * plugins.yaml, and every YAML file the job-config maps match that no `.prowignore` hides, in
 * Prow's load order.
 */
export function selectConfigFiles(
  files: readonly string[],
  maps: readonly RoleMap[],
  prowIgnores: readonly TextFile[] = [],
): FileSelection {
  const problems: ConfigProblem[] = [];
  const mapped = new Set(maps.map((map) => map.role));
  const single = (role: 'config' | 'plugins', describe: string): string | undefined => {
    const roleMaps = maps.filter((map) => map.role === role);
    if (roleMaps.length === 0) return undefined;
    const found = files.filter((file) => roleMaps.some((map) => map.matches(file))).sort(compareWalkOrder);
    const patterns = roleMaps.map((map) => map.pattern).join(', ');
    if (found.length === 0) {
      problems.push({ file: roleMaps[0]?.pattern ?? role, line: 0, message: `no file at the merge commit matches the config_updater map for the \`${role}\` ConfigMap (${describe})` });
    } else if (found.length > 1) {
      problems.push({
        file: found[0] ?? role,
        line: 0,
        message: `the config_updater map for the \`${role}\` ConfigMap (${patterns}) matches ${found.length} files (${found.join(', ')}); it must name one`,
      });
    }
    return found.length === 1 ? found[0] : undefined;
  };
  const config = single('config', 'config.yaml');
  const plugins = single('plugins', 'plugins.yaml');

  const jobMaps = maps.filter((map) => map.role === 'job-config');
  const scopes = prowIgnores.map((file) => ({ base: path.posix.dirname(file.path), rules: ignore().add(file.text) }));
  const jobConfigs = files
    .filter(
      (file) =>
        /\.ya?ml$/.test(file) &&
        !file.split('/').some((segment) => segment.startsWith('..')) &&
        file !== config &&
        file !== plugins &&
        jobMaps.some((map) => map.matches(file)) &&
        !isIgnored(scopes, file),
    )
    .sort(compareWalkOrder);
  return {
    ...(config === undefined ? {} : { config }),
    ...(plugins === undefined ? {} : { plugins }),
    jobConfigs,
    mapped,
    problems,
  };
}

/** As job-files.ts walks: a `.prowignore` hides matching files and directories below its own directory. */
function isIgnored(scopes: readonly { base: string; rules: Ignore }[], file: string): boolean {
  return scopes.some(({ base, rules }) => {
    if (base !== '.' && !file.startsWith(`${base}/`)) return false;
    const parts = (base === '.' ? file : file.slice(base.length + 1)).split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      if (rules.ignores(`${parts.slice(0, depth).join('/')}/`)) return true;
    }
    return rules.ignores(parts.join('/'));
  });
}

/** Git's blob SHA of a text, to tell whether a stored copy is still the file at the commit. */
export function gitBlobSha(text: string): string {
  const content = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * The configuration's files: what the maps select, read at the commit, and for any role the maps
 * give no file, the current snapshot's (say config.yaml is kept in another repository).
 */
export function assembleTexts(
  selection: FileSelection,
  read: ReadonlyMap<string, string>,
  current: ConfigSnapshot | undefined,
): ConfigTexts | ConfigProblem[] {
  const problems = [...selection.problems];
  const file = (filePath: string): TextFile | undefined => {
    const text = read.get(filePath);
    if (text === undefined) problems.push({ file: filePath, line: 0, message: 'cannot be read at the merge commit' });
    return text === undefined ? undefined : { path: filePath, text };
  };
  const prowConfig = selection.mapped.has('config')
    ? selection.config === undefined ? undefined : file(selection.config)
    : current?.files.config;
  if (!selection.mapped.has('config') && !prowConfig) {
    problems.push({ file: 'plugins.yaml', line: 0, message: 'config_updater.maps maps no file to the `config` ConfigMap and no snapshot holds a config.yaml to keep' });
  }
  const pluginConfig = selection.mapped.has('plugins')
    ? selection.plugins === undefined ? undefined : file(selection.plugins)
    : current?.files.plugins;
  if (!selection.mapped.has('plugins') && !current) {
    // A snapshot without plugins.yaml would switch every plugin off, config-updater included.
    problems.push({ file: 'plugins.yaml', line: 0, message: 'config_updater.maps maps no file to the `plugins` ConfigMap and no snapshot holds a plugins.yaml to keep' });
  }
  const jobConfigs = selection.mapped.has('job-config')
    ? selection.jobConfigs.map(file).filter((text): text is TextFile => text !== undefined)
    : [...(current?.files.jobConfigs ?? [])];
  if (problems.length > 0 || !prowConfig) return problems;
  return { prowConfig, jobConfigs, ...(pluginConfig ? { pluginConfig } : {}) };
}

// ---- comments ---------------------------------------------------------------------------------

const MARKER = /<!-- cutwater:config-updater sha=(\S+)(?: version=([0-9a-f]+))? -->/;

function marker(sha: string, version?: string): string {
  return `<!-- cutwater:config-updater sha=${sha}${version ? ` version=${version}` : ''} -->`;
}

/** Has the bot already reported this merge commit, or this configuration version, on the pull request? */
export function alreadyReported(
  comments: readonly IssueComment[],
  botLogin: string,
  sha: string,
  version?: string,
): boolean {
  return comments.some((comment) => {
    if (!isBotAccount(botLogin, comment.user.login)) return false;
    const found = MARKER.exec(comment.body);
    return found !== null && (found[1] === sha || (version !== undefined && found[2] === version));
  });
}

const short = (value: string) => value.slice(0, 12);
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export function publishedComment(sha: string, result: Extract<PublishResult, { ok: true }>): string {
  const { counts } = result;
  const summary = `${counts.presubmits} presubmits, ${counts.postsubmits} postsubmits, ${counts.periodics} periodics`;
  const lead =
    result.pointer === 'superseded'
      ? `Config snapshot \`${short(result.version)}\` from ${short(sha)} is valid and stored, but configuration merged later (${short(result.current.sha)}, snapshot \`${short(result.current.version)}\`) is already current, so it stays current.`
      : result.pointer === 'unchanged'
        ? `Config snapshot \`${short(result.version)}\` is current: ${short(sha)} leaves the configuration as it was.`
        : `Published config snapshot \`${short(result.version)}\` from ${short(sha)}; every Cutwater component picks it up within a minute.`;
  return `${lead}\n\n${summary} (${plural(result.jobConfigFiles, 'job-config file')}).\n\n${marker(sha, result.version)}`;
}

export function rejectedComment(
  sha: string,
  problems: readonly ConfigProblem[],
  current: SnapshotPointer | undefined,
  version?: string,
  maxProblems = 30,
): string {
  const lines = problems.slice(0, maxProblems).map(formatProblem);
  if (problems.length > maxProblems) lines.push(`… and ${problems.length - maxProblems} more`);
  const body = lines.join('\n');
  // A fence longer than any run of backticks in the problems, so none can close it early.
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  const kept = current
    ? `Config snapshot \`${short(current.version)}\` (from ${short(current.sha)}) stays in use.`
    : 'No configuration snapshot has been published yet, so the deployed configuration stays in use.';
  return [
    `The configuration at ${short(sha)} was **not published**: it has ${plural(problems.length, 'problem')}. ${kept}`,
    '',
    'Please fix them in a follow-up pull request (`cutwater checkconfig` reports the same):',
    '',
    fence,
    body,
    fence,
    '',
    marker(sha, version),
  ].join('\n');
}

// ---- the plugin -------------------------------------------------------------------------------

export interface MergedPullRequest {
  number: number;
  mergeSha: string;
  mergedAt: Date | undefined;
  author: string | undefined;
}

/** Prow's filter: only a pull request merged into its repository's default branch. */
export function mergedIntoDefaultBranch(
  payload: EmitterWebhookEvent<'pull_request.closed'>['payload'],
): MergedPullRequest | undefined {
  const pr = payload.pull_request;
  if (!pr.merged || !pr.merge_commit_sha || pr.base.ref !== pr.base.repo.default_branch) return undefined;
  const mergedAt = pr.merged_at ? new Date(pr.merged_at) : undefined;
  return {
    number: pr.number,
    mergeSha: pr.merge_commit_sha,
    mergedAt: mergedAt && !Number.isNaN(mergedAt.getTime()) ? mergedAt : undefined,
    author: pr.user?.login ?? undefined,
  };
}

export interface ConfigUpdaterDependencies {
  /** Where snapshots are published; undefined when this deployment does not publish any. */
  snapshots: () => Promise<SnapshotStore | undefined>;
  /**
   * Every in-tree plugin's plugins.yaml section (registry.ts `PLUGIN_SETTINGS`), so a snapshot is
   * validated as the components that read plugin settings will load it. A function, because the
   * list includes this plugin's own section.
   */
  pluginSettings: () => readonly PluginSectionSpec[];
}

const READ_CONCURRENCY = 8;

/** Reads files at the commit, reusing a current snapshot's copy whenever Git says it is unchanged. */
async function readAtCommit(
  repository: RepositoryHandle,
  sha: string,
  wanted: readonly string[],
  blobs: ReadonlyMap<string, string>,
  reusable: ReadonlyMap<string, string>,
): Promise<{ texts: Map<string, string>; fetched: number }> {
  const texts = new Map<string, string>();
  const toFetch: string[] = [];
  for (const file of wanted) {
    const kept = reusable.get(file);
    if (kept !== undefined && blobs.get(file) === gitBlobSha(kept)) texts.set(file, kept);
    else toFetch.push(file);
  }
  let next = 0;
  const worker = async () => {
    while (next < toFetch.length) {
      const file = toFetch[next++] ?? '';
      const text = await repository.getFileContent(file, sha);
      if (text !== undefined) texts.set(file, text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, toFetch.length) }, worker));
  return { texts, fetched: toFetch.length };
}

async function currentSnapshotOrNothing(
  target: SnapshotStore,
  log: Logger,
): Promise<{ pointer: SnapshotPointer; snapshot: ConfigSnapshot } | undefined> {
  try {
    return await readCurrentSnapshot(target.store, target.prefix);
  } catch (error) {
    // Publishing does not depend on it: it only saves reads, and stands in for unmapped files.
    log.warn('cannot read the current config snapshot; reading every file from GitHub', { error });
    return undefined;
  }
}

export function createConfigUpdater(dependencies: ConfigUpdaterDependencies): Plugin {
  return definePlugin('config-updater', {
    description:
      'Publishes the configuration when a pull request that changes it merges into the default branch: the ' +
      'config files at the merge commit are validated as `cutwater checkconfig` does and, when valid, published ' +
      'as an immutable snapshot that every Cutwater component uses within a minute. A configuration that does not ' +
      'validate is not published (the last good one stays in use) and the pull request gets a comment listing the problems.',
    config:
      'Prow\'s `config_updater.maps` (file path or glob in this repository → ConfigMap): the file mapped to the ' +
      '`config` ConfigMap is config.yaml, globs mapped to `job-config` (or partitions `job-config-…`) are the job ' +
      'configs (`.prowignore` below them is honoured), the file mapped to `plugins` is plugins.yaml. Without maps, ' +
      'Prow\'s defaults apply: config/prow/config.yaml and config/prow/plugins.yaml. `allowed_repos` and ' +
      '`denied_repos` choose which repositories may publish; other maps, `key`, `gzip` and clusters only matter to Prow.',
  }).settings(configUpdaterSection).on('pull_request.closed', async ({ event, github, repository, issue, org, repo, plugins, log, now }) => {
    const merged = mergedIntoDefaultBranch(event.payload);
    if (!merged) return;
    const fullName = `${org}/${repo}`;
    const maps = roleMapsFor(configUpdaterSection.read(plugins), fullName);
    if (maps.length === 0) return;
    const changes = await issue.listPullRequestFiles();
    if (touchedRoles(changes, maps).size === 0) {
      log.debug('merged pull request changes no configuration', { number: merged.number });
      return;
    }
    const target = await dependencies.snapshots();
    if (!target) {
      log.warn('configuration changed, but this deployment publishes no snapshots (CONFIG_SNAPSHOTS is not set)', { number: merged.number });
      return;
    }
    const prLog = log.child({ number: merged.number, sha: merged.mergeSha });
    const bot = await github.botLogin();
    const comments = await issue.listComments();
    if (alreadyReported(comments, bot, merged.mergeSha)) {
      prLog.info('configuration from this merge was already handled');
      return;
    }

    // Decide: which files make the configuration at the merge commit.
    const tree = await repository.listRepositoryFiles(merged.mergeSha);
    const treePaths = tree.map((file) => file.path);
    const ignoreTexts = await Promise.all(
      prowIgnorePaths(treePaths, maps).map(async (file) => ({ path: file, text: (await repository.getFileContent(file, merged.mergeSha)) ?? '' })),
    );
    const selection = selectConfigFiles(treePaths, maps, ignoreTexts);
    const current = await currentSnapshotOrNothing(target, prLog);
    const reusable = new Map<string, string>();
    if (current) {
      const { files } = current.snapshot;
      for (const file of [files.config, ...files.jobConfigs, ...(files.plugins ? [files.plugins] : [])]) reusable.set(file.path, file.text);
    }
    const wanted = [selection.config, selection.plugins, ...selection.jobConfigs].filter((file): file is string => file !== undefined);
    const blobs = new Map(tree.map((file: RepositoryFile) => [file.path, file.sha]));
    const { texts, fetched } = await readAtCommit(repository, merged.mergeSha, wanted, blobs, reusable);
    const assembled = assembleTexts(selection, texts, current?.snapshot);

    // Act: publish, then tell the pull request.
    if (Array.isArray(assembled)) {
      prLog.warn('configuration not published: files missing', { problems: assembled.length });
      await issue.createComment(rejectedComment(merged.mergeSha, assembled, current?.pointer));
      return;
    }
    const snapshot = createSnapshot(
      assembled,
      {
        repo: fullName,
        sha: merged.mergeSha,
        pullRequest: merged.number,
        ...(merged.author ? { author: merged.author } : {}),
      },
      merged.mergedAt ?? now(),
    );
    if (alreadyReported(comments, bot, merged.mergeSha, snapshot.version)) {
      prLog.info('this configuration version was already reported', { version: snapshot.version });
      return;
    }
    const result = await publishSnapshot(target.store, target.prefix, snapshot, {
      log: prLog,
      pluginSettings: dependencies.pluginSettings(),
    });
    if (!result.ok) {
      prLog.warn('configuration not published: it does not validate', { version: result.version, problems: result.problems.length });
      await issue.createComment(rejectedComment(merged.mergeSha, result.problems, current?.pointer, result.version));
      return;
    }
    prLog.info('configuration published', {
      version: result.version,
      pointer: result.pointer,
      stored: result.stored,
      filesRead: fetched,
      jobConfigFiles: result.jobConfigFiles,
    });
    await issue.createComment(publishedComment(merged.mergeSha, result));
  });
}

/** Where the deployed plugin publishes: where CONFIG_SNAPSHOTS says, the place every component reads. */
export function deployedSnapshotStore(): Promise<SnapshotStore | undefined> {
  const location = snapshotLocationFromEnv();
  return Promise.resolve(location ? openSnapshotStore(location) : undefined);
}
