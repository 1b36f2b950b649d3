import type { z } from 'zod';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { YamlPath } from './yaml-source';

/**
 * A top-level section of plugins.yaml that one plugin owns (`size:`, `triggers:`, …). The plugin
 * declares it in its own file (shared/plugins/<name>.ts) and the plugin registry hands the list to
 * the loader, so config/ validates every plugin's settings without importing plugins/, and adding a
 * plugin never means editing config/.
 */

/** Reports a problem at a path inside the section (`[]` for the section itself). */
export type SectionReport = (path: YamlPath, message: string) => void;

export interface SectionCheckOptions {
  /** Prow's checkconfig `--strict`: checkconfig's plugin warnings become problems too. */
  readonly strict: boolean;
}

/** Checks beyond the schema, which Prow runs while loading (or checkconfig, under --strict). */
export type SectionCheck<T> = (section: T, report: SectionReport, options: SectionCheckOptions) => void;

/** A loaded plugins.yaml as a section reads it: every section by its key. */
export type PluginSections = Readonly<Record<string, unknown>>;

/** What the loader needs: the section's key and schema, and its checks. */
export interface PluginSectionSpec {
  readonly key: string;
  readonly schema: z.ZodType;
  /** Runs the section's checks on a plugins.yaml that passed the schema; `report` takes paths from the file's root. */
  check(config: PluginSections, report: SectionReport, options: SectionCheckOptions): void;
}

/** What the owning plugin (and any other reader) uses: the section, typed. */
export interface PluginSection<T> extends PluginSectionSpec {
  /** The section in a loaded plugins.yaml; undefined when the file leaves it out. */
  read(config: PluginSections): T | undefined;
}

export function pluginSection<S extends z.ZodType>(
  key: string,
  schema: S,
  check?: SectionCheck<z.output<S>>,
): PluginSection<z.output<S>> {
  // The loader has already validated the section; parsing it again gives its type without a cast,
  // and the cache makes that once per loaded file rather than once per event.
  const parsed = new WeakMap<PluginSections, z.output<S>>();
  const read = (config: PluginSections): z.output<S> | undefined => {
    const value = config[key];
    if (value === undefined) return undefined;
    if (!parsed.has(config)) parsed.set(config, schema.parse(value));
    return parsed.get(config);
  };
  return {
    key,
    schema,
    read,
    check: (config, report, options) => {
      const section = read(config);
      if (section !== undefined && check) check(section, (path, message) => report([key, ...path], message), options);
    },
  };
}

// ---- helpers for section checks ----

/** Compiles a regular expression the way Prow does while loading, reporting it when it does not compile. */
export function checkGoRegexp(report: SectionReport, path: YamlPath, pattern: string): GoRegexp | undefined {
  try {
    return compileGoRegexp(pattern);
  } catch (error) {
    report(path, error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

/**
 * Prow picks a repository's entry in a list section (`approve:`, `welcome:`) by the first entry
 * naming it, so a repo or org listed in two entries silently ignores the second.
 */
export function checkReposListedOnce(
  section: string,
  entries: readonly { readonly repos?: readonly string[] | undefined }[],
  report: SectionReport,
): void {
  const firstSeen = new Map<string, number>();
  entries.forEach((entry, entryIndex) => {
    (entry.repos ?? []).forEach((orgOrRepo, repoIndex) => {
      const earlier = firstSeen.get(orgOrRepo);
      if (earlier === undefined) {
        firstSeen.set(orgOrRepo, entryIndex);
        return;
      }
      const kind = orgOrRepo.includes('/') ? 'repo' : 'org';
      report(
        [entryIndex, 'repos', repoIndex],
        `${kind} "${orgOrRepo}" is already configured in ${section}[${earlier}]; list it in one entry only`,
      );
    });
  });
}
