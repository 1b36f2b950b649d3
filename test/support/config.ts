import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildConfig, type LoadResult } from '../../shared/config/load';
import type { Config } from '../../shared/config/model';
import { formatProblem } from '../../shared/config/problems';
import { PLUGIN_SETTINGS } from '../../shared/plugins/registry';

/** Configuration written inline in a test: config.yaml text, job files by path, plugins.yaml text. */
export interface ConfigFiles {
  readonly config?: string;
  readonly jobs?: Record<string, string>;
  readonly plugins?: string;
}

/** Run inline files through the same loader every component uses, with every plugin's section as checkconfig checks them. */
export function buildFromFiles(files: ConfigFiles, strict = false): LoadResult {
  return buildConfig(
    {
      prowConfig: { path: 'config.yaml', text: files.config ?? '' },
      jobConfigs: Object.entries(files.jobs ?? {}).map(([file, text]) => ({ path: file, text })),
      ...(files.plugins === undefined ? {} : { pluginConfig: { path: 'plugins.yaml', text: files.plugins } }),
    },
    { strict, pluginSettings: PLUGIN_SETTINGS },
  );
}

/** The loaded config, or an error listing every problem (so a failing test says why). */
export function expectLoaded(result: LoadResult): Config {
  if (!result.ok) throw new Error(`config does not load:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.config;
}

/** Strip the common indentation of a template literal, so YAML can be written indented in code. */
export function yaml(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length);
  const indent = Math.min(...indents);
  return lines.map((line) => line.slice(indent)).join('\n');
}

/** The 1-based line of the `occurrence`th line of `text` that contains `marker`. */
export function lineOf(text: string, marker: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]!.includes(marker) && ++seen === occurrence) return index + 1;
  }
  throw new Error(`test bug: "${marker}" (occurrence ${occurrence}) is not in:\n${text}`);
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The real kubernetes/test-infra Prow config beside the repo. Missing, it fails the caller:
 * the corpus checks must run in CI, never be skipped.
 */
export function corpusPaths(): { configPath: string; jobConfigPath: string; pluginConfigPath: string } {
  const root = path.resolve(REPO_ROOT, '../shared/prow-config/kubernetes');
  const paths = {
    configPath: path.join(root, 'config.yaml'),
    jobConfigPath: path.join(root, 'jobs'),
    pluginConfigPath: path.join(root, 'plugins.yaml'),
  };
  for (const file of Object.values(paths)) {
    if (!existsSync(file)) {
      throw new Error(
        `the Prow config corpus is missing: ${file} does not exist (expected ../shared/prow-config/kubernetes next to the repo)`,
      );
    }
  }
  return paths;
}
