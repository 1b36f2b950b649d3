import type { Plugin } from './plugin';
import { assign } from './assign';
import { help } from './help';
import { hold } from './hold';
import { label } from './label';
import { lifecycle } from './lifecycle';
import { needsRebase } from './needs-rebase';
import { requireMatchingLabel } from './require-matching-label';
import { retitle } from './retitle';
import { size } from './size';
import { skip } from './skip';
import { trigger } from './trigger';
import { welcome } from './welcome';
import { wip } from './wip';

/**
 * Every in-tree plugin, by the name plugins.yaml enables it under. Adding a plugin is one file in
 * this folder plus one line here.
 */
export const PLUGINS: readonly Plugin[] = [
  assign,
  help,
  hold,
  label,
  lifecycle,
  needsRebase,
  requireMatchingLabel,
  retitle,
  size,
  skip,
  trigger,
  welcome,
  wip,
];

export function pluginNamed(name: string): Plugin | undefined {
  return PLUGINS.find((plugin) => plugin.name === name);
}
