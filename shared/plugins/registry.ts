import type { Plugin } from './plugin';
import { needsRebase } from './needs-rebase';
import { requireMatchingLabel } from './require-matching-label';
import { retitle } from './retitle';
import { skip } from './skip';
import { trigger } from './trigger';
import { welcome } from './welcome';

/**
 * Every in-tree plugin, by the name plugins.yaml enables it under. Adding a plugin is one file in
 * this folder plus one line here.
 */
export const PLUGINS: readonly Plugin[] = [needsRebase, requireMatchingLabel, retitle, skip, trigger, welcome];

export function pluginNamed(name: string): Plugin | undefined {
  return PLUGINS.find((plugin) => plugin.name === name);
}
