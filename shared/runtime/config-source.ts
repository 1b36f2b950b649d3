import { loadConfigOrThrow, type ConfigPaths } from '../config/load';
import type { Config } from '../config/model';
import type { Logger } from '../log/logger';

/**
 * Where a component gets its configuration. Loading the full config takes about two seconds (see
 * docs/benchmarks.md), so it is loaded once and refreshed in the background. A refresh that fails
 * keeps the config already in use: a bad config never replaces a good one.
 */
export interface ConfigSource {
  current(): Promise<Config>;
}

/** From files (local mode, and functions deployed with their config until snapshots arrive). */
export function fileConfigSource(paths: ConfigPaths, log: Logger, refreshMs = 60_000): ConfigSource {
  let loaded: { config: Config; at: number } | undefined;
  let loading: Promise<Config> | undefined;
  const load = async (): Promise<Config> => {
    const config = await loadConfigOrThrow(paths);
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
