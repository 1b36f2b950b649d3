import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { DiskArtifactStore } from '../artifacts/disk';
import { GcsArtifactStore } from '../artifacts/gcs';
import type { ConfigPaths, LoadOptions } from './load';
import type { Config } from './model';
import { snapshotConfigSource } from './snapshots';
import type { Logger } from '../log/logger';

/**
 * Where a component gets its configuration. Loading the full config takes about two seconds (see
 * docs/benchmarks.md), so it is loaded once and refreshed in the background. A refresh that fails
 * keeps the config already in use: a bad config never replaces a good one.
 */
export interface ConfigSource {
  current(): Promise<Config>;
  /**
   * For sources that read published snapshots: the version in use, undefined while none is loaded
   * (a fallback to the deployed files may serve meanwhile). Absent for file sources. The health
   * page shows where the running config came from with it.
   */
  version?(): string | undefined;
}

/**
 * What a component loads beyond the files: the plugin sections to validate, given by components
 * that read plugin settings (`PLUGIN_SETTINGS`, shared/plugins/registry.ts). Without them, those
 * sections are carried unvalidated, which suits components that never read them.
 */
export type ConfigSourceOptions = Pick<LoadOptions, 'pluginSettings'>;

/** From files (local mode, and functions deployed without CONFIG_SNAPSHOTS). */
export function fileConfigSource(
  paths: ConfigPaths,
  log: Logger,
  options: ConfigSourceOptions & { refreshMs?: number } = {},
): ConfigSource {
  const refreshMs = options.refreshMs ?? 60_000;
  const loadOptions: LoadOptions = options.pluginSettings ? { pluginSettings: options.pluginSettings } : {};
  let loaded: { config: Config; at: number } | undefined;
  let loading: Promise<Config> | undefined;
  const load = async (): Promise<Config> => {
    // The loader decodes with the Kubernetes schema (about half a second to import): a function
    // pays for it on its first config load, not before it can answer anything.
    const { loadConfigOrThrow } = await import('./load');
    const config = await loadConfigOrThrow(paths, loadOptions);
    loaded = { config, at: Date.now() };
    return config;
  };
  return {
    current: async () => {
      if (!loaded) return (loading ??= load().finally(() => (loading = undefined)));
      if (Date.now() - loaded.at > refreshMs && !loading) {
        loading = load()
          .catch((error: unknown) => {
            log.error('config reload failed; keeping the config in use', { error });
            return loaded?.config as Config;
          })
          .finally(() => (loading = undefined));
      }
      return loaded.config;
    },
  };
}

/** A fixed config (tests, and callers that already hold one). */
export function staticConfigSource(config: Config): ConfigSource {
  return { current: () => Promise.resolve(config) };
}

export function configPathsFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigPaths {
  if (!env.CONFIG_PATH) throw new Error('CONFIG_PATH is not set (the path of Prow config.yaml)');
  return {
    configPath: env.CONFIG_PATH,
    ...(env.JOB_CONFIG_PATH ? { jobConfigPath: env.JOB_CONFIG_PATH } : {}),
    ...(env.PLUGIN_CONFIG_PATH ? { pluginConfigPath: env.PLUGIN_CONFIG_PATH } : {}),
  };
}

/** Where published config snapshots live (shared/config/snapshots.ts): a store and a prefix in it. */
export interface SnapshotStore {
  readonly store: ArtifactStore;
  readonly prefix: string;
}

const openedSnapshotStores = new Map<string, SnapshotStore>();

/**
 * `gs://bucket[/prefix]` is a Cloud Storage bucket; anything else is a local directory (or a
 * `file://` URL), as local mode uses. One store per location per process.
 */
export function openSnapshotStore(location: string): SnapshotStore {
  let opened = openedSnapshotStores.get(location);
  if (!opened) {
    const bucketPath = /^gs:\/\/([^/]+)\/*(.*)$/.exec(location);
    if (bucketPath) {
      opened = { store: new GcsArtifactStore({ bucket: bucketPath[1] ?? '' }), prefix: bucketPath[2] ?? '' };
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://')) {
      throw new Error(`CONFIG_SNAPSHOTS=${location}: give gs://bucket/prefix or a local directory`);
    } else {
      const directory = location.startsWith('file://') ? fileURLToPath(location) : path.resolve(location);
      opened = { store: new DiskArtifactStore(directory), prefix: '' };
    }
    openedSnapshotStores.set(location, opened);
  }
  return opened;
}

/** CONFIG_SNAPSHOTS, when set: where config-updater publishes and every component reads. */
export function snapshotLocationFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const location = env.CONFIG_SNAPSHOTS?.trim();
  return location ? location : undefined;
}

/**
 * What every function uses: published snapshots when CONFIG_SNAPSHOTS is set, else the files named
 * by CONFIG_PATH / JOB_CONFIG_PATH / PLUGIN_CONFIG_PATH. With both, snapshots win as soon as one
 * has been published; until then the files serve, so a fresh deployment can run config-updater.
 */
export function configSourceFromEnv(env: NodeJS.ProcessEnv, log: Logger, options: ConfigSourceOptions = {}): ConfigSource {
  const location = snapshotLocationFromEnv(env);
  if (!location) return fileConfigSource(configPathsFromEnv(env), log, options);
  const fallback = env.CONFIG_PATH ? fileConfigSource(configPathsFromEnv(env), log, options) : undefined;
  const { store, prefix } = openSnapshotStore(location);
  return snapshotConfigSource(store, prefix, log, { ...options, ...(fallback ? { fallback } : {}) });
}
