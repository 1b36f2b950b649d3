import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Plugin } from './plugin.js';

/**
 * A plugin's settings are the section named like the plugin in a plugins.yaml-shaped file of its
 * own (PLUGIN_CONFIG, or `configFile`), read once when the server starts. Cutwater's own
 * plugins.yaml refuses sections no built-in plugin owns, hence a file for the plugin.
 */

const ConfigFile = z.record(z.string(), z.unknown());

export interface ConfigSource {
  /** The file; default $PLUGIN_CONFIG. Without either the plugin has no config. */
  configFile?: string;
  /** The section itself, instead of a file (tests, or config built in code). */
  config?: unknown;
}

export function loadPluginConfig<C>(plugin: Plugin<C>, source: ConfigSource, env: NodeJS.ProcessEnv = process.env): C | undefined {
  let section: unknown = source.config;
  const file = source.configFile ?? env.PLUGIN_CONFIG;
  if (section === undefined && file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the plugin config ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const parsed = ConfigFile.safeParse(parse(text) ?? {});
    if (!parsed.success) throw new Error(`${file} must be a YAML mapping of sections`);
    section = parsed.data[plugin.name];
  }
  if (!plugin.configSchema) return section as C | undefined;
  if (section === undefined) return undefined;
  const checked = plugin.configSchema.safeParse(section);
  if (!checked.success) {
    throw new Error(`the "${plugin.name}" config section is invalid: ${z.prettifyError(checked.error)}`);
  }
  return checked.data;
}
