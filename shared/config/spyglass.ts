import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { LensFileConfig, SpyglassConfig } from './prow-schema';

/**
 * `deck.spyglass.lenses` as Prow reads it (pkg/config `Spyglass`, cmd/deck `renderSpyglass`):
 * each entry names a lens and the files it is shown for — every `required_files` regexp must
 * match at least one file of the run, and the files matched by `required_files` and
 * `optional_files` are what the lens gets. The deprecated `viewers` map becomes entries too.
 */

/** One usable entry, its regexps compiled (Go's RE2 syntax, as Prow's config is written for). */
export interface LensEntry {
  name: string;
  required: GoRegexp[];
  optional: GoRegexp[];
  /** The entry's `lens.config`, for the lens to interpret. */
  config: unknown;
}

/** Prow's names for viewers before they were lenses (pkg/config `oldViewers`). */
const OLD_VIEWER_NAMES: Record<string, string> = {
  'build-log-viewer': 'buildlog',
  'metadata-viewer': 'metadata',
  'junit-viewer': 'junit',
};

/** The configured entries, `viewers` after `lenses` and sorted by name as Prow does; undefined when none is configured. */
export function configuredLensFiles(spyglass: SpyglassConfig | undefined): LensFileConfig[] | undefined {
  const fromViewers: LensFileConfig[] = [];
  for (const [pattern, viewers] of Object.entries(spyglass?.viewers ?? {})) {
    for (const viewer of viewers) fromViewers.push({ required_files: [pattern], lens: { name: OLD_VIEWER_NAMES[viewer] ?? viewer } });
  }
  fromViewers.sort((a, b) => (a.lens.name < b.lens.name ? -1 : a.lens.name > b.lens.name ? 1 : 0));
  const all = [...(spyglass?.lenses ?? []), ...fromViewers];
  return all.length > 0 ? all : undefined;
}

/** Compiles entries; a pattern that does not compile is reported by `spyglassProblems` and drops its entry here. */
export function compileLensEntries(entries: readonly LensFileConfig[]): LensEntry[] {
  const compiled: LensEntry[] = [];
  for (const entry of entries) {
    try {
      compiled.push({
        name: entry.lens.name,
        required: (entry.required_files ?? []).map(compileGoRegexp),
        optional: (entry.optional_files ?? []).map(compileGoRegexp),
        config: entry.lens.config,
      });
    } catch {
      continue;
    }
  }
  return compiled;
}

/** Prow refuses to load a config whose lens regexps do not compile; so do we, naming the entry. */
export function spyglassProblems(spyglass: SpyglassConfig | undefined): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (spyglass?.size_limit !== undefined && spyglass.size_limit < 0) {
    problems.push({ path: ['size_limit'], message: 'must be >= 0' });
  }
  for (const [index, entry] of (spyglass?.lenses ?? []).entries()) {
    for (const key of ['required_files', 'optional_files'] as const) {
      for (const [at, pattern] of (entry[key] ?? []).entries()) {
        try {
          compileGoRegexp(pattern);
        } catch (error) {
          problems.push({ path: ['lenses', index, key, at], message: (error as Error).message });
        }
      }
    }
  }
  for (const pattern of Object.keys(spyglass?.viewers ?? {})) {
    try {
      compileGoRegexp(pattern);
    } catch (error) {
      problems.push({ path: ['viewers', pattern], message: (error as Error).message });
    }
  }
  return problems;
}

/**
 * The files each entry is shown for, in entry order; entries whose required files are not all
 * there are left out (cmd/deck `renderSpyglass`). An entry with no required files always shows.
 */
export function matchLensEntries(entries: readonly LensEntry[], paths: readonly string[]): { entry: LensEntry; paths: string[] }[] {
  const shown: { entry: LensEntry; paths: string[] }[] = [];
  for (const entry of entries) {
    const matched = new Set<string>();
    const complete = entry.required.every((regexp) => {
      let found = false;
      for (const path of paths) {
        if (regexp.test(path)) {
          matched.add(path);
          found = true;
        }
      }
      return found;
    });
    if (!complete) continue;
    for (const regexp of entry.optional) for (const path of paths) if (regexp.test(path)) matched.add(path);
    shown.push({ entry, paths: [...matched].sort() });
  }
  return shown;
}
