import type { PluginConfig } from './plugin-config';

/*
 * Which plugins run where, apart from plugins.yaml's loader: the functions that dispatch events
 * and the help pages need only this, and the loader brings in the Kubernetes schema, which they
 * should load only when they (re)load the config.
 */

/** The plugins enabled for org/repo: the org entry's (unless it excludes the repo), then the repo entry's. */
export function enabledPluginsFor(config: PluginConfig, org: string, repo: string): string[] {
  const orgEntry = ownEntry(config.plugins, org);
  const repoEntry = ownEntry(config.plugins, `${org}/${repo}`);
  const fromOrg = orgEntry && !(orgEntry.excluded_repos ?? []).includes(repo) ? (orgEntry.plugins ?? []) : [];
  // Prow keys handlers by name, so a plugin listed at both levels still runs once.
  return [...new Set([...fromOrg, ...(repoEntry?.plugins ?? [])])];
}

/** A record's own entry: config keys such as `constructor` must not reach Object.prototype. */
export function ownEntry<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
