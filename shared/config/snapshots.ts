import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { Logger } from '../log/logger';
import type { ConfigSource } from './config-source';
import type { ConfigTexts, TextFile } from './load';
import { countJobs, type Config, type JobCounts } from './model';
import type { PluginSectionSpec } from './plugin-section';
import { formatProblem, type ConfigProblem } from './problems';

/**
 * Published configuration: how config merged in a Git repository reaches every component without
 * a redeploy (Prow's config-updater writes ConfigMaps; Cutwater writes snapshots).
 *
 * A snapshot is the configuration's files as text — config.yaml, every job-config file under its
 * repository path, plugins.yaml — with where they came from. Its version is a hash of those files
 * alone, so the same content is always the same version. Under a prefix of an ArtifactStore (a
 * bucket in the cloud, a directory in local mode):
 *
 *   snapshots/<version>.json   one per version; written once, never replaced
 *   current.json               the pointer: which version every component should use
 *
 * Publishing validates with the loader every component uses (the same one `cutwater checkconfig`
 * runs), so a snapshot is accepted exactly when checkconfig passes, and the pointer moves only to a
 * snapshot that has been stored whole. Readers fetch the pointer at most once a refresh interval,
 * load a new version once, and keep the config they have when a new one cannot be used.
 */

export const SNAPSHOT_FORMAT = 1;

const TextFileSchema = z.object({ path: z.string().min(1), text: z.string() });
const VersionSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a snapshot version is 64 lower-case hex digits');

/** Where a snapshot's files came from. */
export const SnapshotSourceSchema = z.object({
  /** "org/repo". */
  repo: z.string(),
  /** The commit the files were read at (a PR's merge commit). */
  sha: z.string(),
  pullRequest: z.number().int().positive().optional(),
  /** The pull request's author. */
  author: z.string().optional(),
});
export type SnapshotSource = z.infer<typeof SnapshotSourceSchema>;

export const ConfigSnapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: VersionSchema,
  files: z.object({
    config: TextFileSchema,
    /** In Prow's load order (it decides the order presets apply in). */
    jobConfigs: z.array(TextFileSchema),
    plugins: TextFileSchema.optional(),
  }),
  source: SnapshotSourceSchema,
  /** When the configuration came to be: the merge time of its pull request. */
  createdAt: z.iso.datetime({ offset: true }),
});
export type ConfigSnapshot = z.infer<typeof ConfigSnapshotSchema>;

export const SnapshotPointerSchema = z.object({
  version: VersionSchema,
  /** The commit whose merge made this version current. */
  sha: z.string(),
  /** When that commit's configuration came to be; the pointer never moves back in time. */
  createdAt: z.iso.datetime({ offset: true }),
  repo: z.string().optional(),
  pullRequest: z.number().int().positive().optional(),
});
export type SnapshotPointer = z.infer<typeof SnapshotPointerSchema>;

/** Object paths under a prefix ("" or "some/dir", with or without a trailing "/"). */
export function snapshotPaths(prefix: string): { pointer: string; snapshot: (version: string) => string } {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  const base = trimmed === '' ? '' : `${trimmed}/`;
  return { pointer: `${base}current.json`, snapshot: (version) => `${base}snapshots/${version}.json` };
}

// ---- pure: content, version, shape ------------------------------------------------------------

/** The version of a set of files: SHA-256 over the files (paths and texts, in order) and nothing else. */
export function snapshotVersion(texts: ConfigTexts): string {
  const canonical = JSON.stringify([
    [texts.prowConfig.path, texts.prowConfig.text],
    texts.jobConfigs.map((file) => [file.path, file.text]),
    texts.pluginConfig ? [texts.pluginConfig.path, texts.pluginConfig.text] : null,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function createSnapshot(texts: ConfigTexts, source: SnapshotSource, createdAt: Date): ConfigSnapshot {
  const copy = (file: TextFile) => ({ path: file.path, text: file.text });
  return {
    format: SNAPSHOT_FORMAT,
    version: snapshotVersion(texts),
    files: {
      config: copy(texts.prowConfig),
      jobConfigs: texts.jobConfigs.map(copy),
      ...(texts.pluginConfig ? { plugins: copy(texts.pluginConfig) } : {}),
    },
    source,
    createdAt: createdAt.toISOString(),
  };
}

export function snapshotTexts(snapshot: ConfigSnapshot): ConfigTexts {
  return {
    prowConfig: snapshot.files.config,
    jobConfigs: snapshot.files.jobConfigs,
    ...(snapshot.files.plugins ? { pluginConfig: snapshot.files.plugins } : {}),
  };
}

/** A stored snapshot that can never be used as it is: unparseable, misshapen, or not what its name says. */
export class SnapshotUnusableError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'SnapshotUnusableError';
  }
}

/** Parses stored bytes as the snapshot of `expectedVersion`, checking the content hashes to its name. */
export function parseSnapshot(bytes: Buffer, path: string, expectedVersion?: string): ConfigSnapshot {
  const snapshot = parseJson(bytes, path, ConfigSnapshotSchema);
  const actual = snapshotVersion(snapshotTexts(snapshot));
  if (actual !== snapshot.version) {
    throw new SnapshotUnusableError(path, `content hashes to ${actual}, not to its version ${snapshot.version}`);
  }
  if (expectedVersion !== undefined && snapshot.version !== expectedVersion) {
    throw new SnapshotUnusableError(path, `holds version ${snapshot.version}, not ${expectedVersion}`);
  }
  return snapshot;
}

function parseJson<T>(bytes: Buffer, path: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new SnapshotUnusableError(path, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SnapshotUnusableError(path, `not in the expected shape: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

// ---- storage ----------------------------------------------------------------------------------

/** The pointer, or undefined when nothing has been published under the prefix. */
export async function readPointer(store: ArtifactStore, prefix: string): Promise<SnapshotPointer | undefined> {
  const path = snapshotPaths(prefix).pointer;
  const bytes = await store.read(path);
  return bytes === undefined ? undefined : parseJson(bytes, path, SnapshotPointerSchema);
}

/** A stored snapshot by version, or undefined when there is none. Throws SnapshotUnusableError for a broken one. */
export async function readSnapshot(store: ArtifactStore, prefix: string, version: string): Promise<ConfigSnapshot | undefined> {
  const path = snapshotPaths(prefix).snapshot(version);
  const bytes = await store.read(path);
  return bytes === undefined ? undefined : parseSnapshot(bytes, path, version);
}

/** The snapshot the pointer names, with the pointer; undefined when nothing has been published. */
export async function readCurrentSnapshot(
  store: ArtifactStore,
  prefix: string,
): Promise<{ pointer: SnapshotPointer; snapshot: ConfigSnapshot } | undefined> {
  const pointer = await readPointer(store, prefix);
  if (!pointer) return undefined;
  const snapshot = await readSnapshot(store, prefix, pointer.version);
  if (!snapshot) {
    throw new SnapshotUnusableError(snapshotPaths(prefix).snapshot(pointer.version), 'named by current.json but missing');
  }
  return { pointer, snapshot };
}

export interface PublishOptions {
  /** Validate as `checkconfig --strict` does. Default false: what components accept when they load. */
  strict?: boolean;
  /** The plugin sections to validate, as every component that reads plugin settings loads them. */
  pluginSettings?: readonly PluginSectionSpec[];
  log?: Logger;
}

export type PublishResult =
  | {
      ok: true;
      version: string;
      counts: JobCounts;
      jobConfigFiles: number;
      /** "written" the first time, "existing" when the same content was stored before. */
      stored: 'written' | 'existing' | 'repaired';
      /**
       * "moved" when the pointer now names this version, "unchanged" when it already did, and
       * "superseded" when configuration merged later is already current (a late or replayed event).
       */
      pointer: 'moved' | 'unchanged' | 'superseded';
      /** The pointer as it stands after publishing. */
      current: SnapshotPointer;
    }
  | { ok: false; version: string; problems: ConfigProblem[] };

/**
 * Validates a snapshot, stores it, then points `current.json` at it. An invalid snapshot is not
 * stored and the pointer stays where it was; the problems come back as checkconfig would print
 * them. Storing before pointing means a reader never finds a pointer to a missing snapshot.
 *
 * The store has no compare-and-set, so two publishes racing can interleave; merges to one config
 * repository arrive one after another, and the pointer refuses to move back in time.
 */
export async function publishSnapshot(
  store: ArtifactStore,
  prefix: string,
  snapshot: ConfigSnapshot,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const texts = snapshotTexts(snapshot);
  const version = snapshotVersion(texts);
  if (version !== snapshot.version) {
    throw new Error(`snapshot version ${snapshot.version} does not match its content (${version}); make snapshots with createSnapshot`);
  }
  const { buildConfig } = await import('./load');
  const loaded = buildConfig(texts, {
    strict: options.strict ?? false,
    ...(options.pluginSettings ? { pluginSettings: options.pluginSettings } : {}),
  });
  if (!loaded.ok) return { ok: false, version, problems: loaded.problems };

  const paths = snapshotPaths(prefix);
  const stored = await storeOnce(store, paths.snapshot(version), snapshot, options.log);

  let before: SnapshotPointer | undefined;
  try {
    before = await readPointer(store, prefix);
  } catch (error) {
    // A pointer that cannot be read is replaced: it holds nothing worth keeping.
    options.log?.warn('config snapshot pointer is unreadable; replacing it', { path: paths.pointer, error });
  }
  const pointer: SnapshotPointer = {
    version,
    sha: snapshot.source.sha,
    createdAt: snapshot.createdAt,
    repo: snapshot.source.repo,
    ...(snapshot.source.pullRequest === undefined ? {} : { pullRequest: snapshot.source.pullRequest }),
  };
  const result = { ok: true as const, version, counts: countJobs(loaded.config), jobConfigFiles: texts.jobConfigs.length, stored };
  if (before?.version === version) return { ...result, pointer: 'unchanged', current: before };
  if (before && Date.parse(before.createdAt) > Date.parse(pointer.createdAt)) {
    return { ...result, pointer: 'superseded', current: before };
  }
  await store.write(paths.pointer, JSON.stringify(pointer), { contentType: 'application/json' });
  options.log?.info('config snapshot published', { version, sha: pointer.sha, previous: before?.version });
  return { ...result, pointer: 'moved', current: pointer };
}

/**
 * Writes a snapshot unless its version is already stored. A stored object that is not a valid
 * snapshot of that version (a torn or tampered write) is written again: the name fixes the content,
 * so this restores the object rather than changing it.
 */
async function storeOnce(
  store: ArtifactStore,
  path: string,
  snapshot: ConfigSnapshot,
  log: Logger | undefined,
): Promise<'written' | 'existing' | 'repaired'> {
  const existing = await store.read(path);
  if (existing !== undefined) {
    try {
      parseSnapshot(existing, path, snapshot.version);
      return 'existing';
    } catch (error) {
      log?.warn('stored config snapshot is broken; writing it again', { path, error });
    }
  }
  await store.write(path, JSON.stringify(snapshot), { contentType: 'application/json' });
  return existing === undefined ? 'written' : 'repaired';
}

// ---- reading: the config source ---------------------------------------------------------------

export interface SnapshotSourceOptions {
  /** How often to look at the pointer. Default one minute. */
  refreshMs?: number;
  now?: () => Date;
  /**
   * Serves while no snapshot has been published (or none could be loaded yet), so that a new
   * deployment runs on its deployed files until the first config change merges.
   */
  fallback?: ConfigSource;
  /** Given by components that read plugin settings (see `LoadOptions.pluginSettings`). */
  pluginSettings?: readonly PluginSectionSpec[];
}

export interface SnapshotConfigSource extends ConfigSource {
  /** The version in use; undefined before the first load. */
  version(): string | undefined;
  /** Resolves when a pointer check started by `current()` has finished. */
  settled(): Promise<void>;
}

/**
 * The configuration from published snapshots. The pointer is read at most once per `refreshMs`;
 * a version is loaded (and validated again with the same loader) once. A new version that cannot
 * be used is logged and skipped, and the config in use stays. Before anything has loaded, `current()`
 * fails with the reason (or serves the fallback); later refreshes happen in the background, so no
 * caller waits for them.
 */
export function snapshotConfigSource(
  store: ArtifactStore,
  prefix: string,
  log: Logger,
  options: SnapshotSourceOptions = {},
): SnapshotConfigSource {
  const refreshMs = options.refreshMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  const paths = snapshotPaths(prefix);
  let loaded: { version: string; config: Config } | undefined;
  /** Versions that can never load (broken or invalid), with why: each is tried once. */
  const unusable = new Map<string, string>();
  let checkedAt: number | undefined;
  let lastFailure: Error | undefined;
  let checking: Promise<void> | undefined;

  const check = async (): Promise<void> => {
    checkedAt = now().getTime();
    const pointer = await readPointer(store, prefix);
    if (!pointer) {
      if (loaded) {
        log.error('config snapshot pointer has disappeared; keeping the config in use', { path: store.urlFor(paths.pointer), version: loaded.version });
        return;
      }
      throw new Error(
        `no configuration snapshot has been published at ${store.urlFor(paths.pointer)}: merge a change to the config repository with the config-updater plugin enabled, or point CONFIG_SNAPSHOTS elsewhere`,
      );
    }
    if (pointer.version === loaded?.version) return;
    const known = unusable.get(pointer.version);
    if (known === undefined) {
      try {
        const config = await loadVersion(pointer.version);
        log.info('config snapshot loaded', { version: pointer.version, sha: pointer.sha, previous: loaded?.version });
        loaded = { version: pointer.version, config };
        return;
      } catch (error) {
        if (!(error instanceof SnapshotUnusableError)) throw error;
        unusable.set(pointer.version, error.message);
        if (loaded) {
          log.error('config snapshot cannot be used; keeping the config in use', {
            version: pointer.version,
            reason: error.message,
            inUse: loaded.version,
          });
          return;
        }
        throw new Error(`the current configuration snapshot cannot be used: ${error.message}`);
      }
    }
    if (!loaded) throw new Error(`the current configuration snapshot cannot be used: ${known}`);
  };

  const loadVersion = async (version: string): Promise<Config> => {
    const path = paths.snapshot(version);
    const snapshot = await readSnapshot(store, prefix, version);
    if (!snapshot) throw new SnapshotUnusableError(path, 'named by current.json but missing');
    // Imported when a version is first loaded (see fileConfigSource): the Kubernetes schema is heavy.
    const { buildConfig } = await import('./load');
    const result = buildConfig(snapshotTexts(snapshot), options.pluginSettings ? { pluginSettings: options.pluginSettings } : {});
    if (!result.ok) {
      const shown = result.problems.slice(0, 5).map(formatProblem).join('; ');
      throw new SnapshotUnusableError(path, `does not validate (${result.problems.length} problem(s)): ${shown}`);
    }
    return result.config;
  };

  const startCheck = (): Promise<void> =>
    (checking ??= check()
      .then(
        () => void (lastFailure = undefined),
        (error: unknown) => {
          lastFailure = error instanceof Error ? error : new Error(String(error));
          if (loaded) log.warn('config snapshot refresh failed; keeping the config in use', { error: lastFailure.message });
          else if (options.fallback) log.warn('no usable config snapshot yet; serving the deployed config files', { reason: lastFailure.message });
        },
      )
      .finally(() => (checking = undefined)));

  const due = () => checkedAt === undefined || now().getTime() - checkedAt >= refreshMs;

  return {
    current: async () => {
      if (loaded) {
        if (due()) void startCheck();
        return loaded.config;
      }
      // Nothing loaded yet: wait for a check, but still no more often than the refresh interval.
      if (due() || checking) await startCheck();
      // Read again: the check may have loaded one (the compiler cannot see that through the await).
      const loadedNow = loaded as { config: Config } | undefined;
      if (loadedNow) return loadedNow.config;
      if (options.fallback) return options.fallback.current();
      throw lastFailure ?? new Error('no configuration snapshot has been loaded');
    },
    version: () => loaded?.version,
    settled: async () => {
      await checking;
    },
  };
}
