import type { Plugin } from './plugin';
import { trigger } from './trigger';

/**
 * Every in-tree plugin, by the name plugins.yaml enables it under. Adding a plugin is one file in
 * this folder plus one line here.
 */
export const PLUGINS: readonly Plugin[] = [trigger];

export function pluginNamed(name: string): Plugin | undefined {
  return PLUGINS.find((plugin) => plugin.name === name);
}
