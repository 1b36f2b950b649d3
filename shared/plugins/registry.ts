import type { PluginSectionSpec } from '../config/plugin-section';
import type { Plugin } from './plugin';
import { approve } from './approve';
import { assign } from './assign';
import { blunderbuss } from './blunderbuss';
import { branchCleaner } from './branchcleaner';
import { createConfigUpdater, deployedSnapshotStore } from './config-updater';
import { help } from './help';
import { hold } from './hold';
import { label } from './label';
import { lgtm } from './lgtm';
import { lifecycle } from './lifecycle';
import { mergeMethodComment } from './merge-method-comment';
import { needsRebase } from './needs-rebase';
import { override } from './override';
import { project } from './project';
import { requireMatchingLabel } from './require-matching-label';
import { retitle } from './retitle';
import { size } from './size';
import { skip } from './skip';
import { stage } from './stage';
import { trigger } from './trigger';
import { verifyOwners } from './verify-owners';
import { welcome } from './welcome';
import { wip } from './wip';

/**
 * Every in-tree plugin, by the name plugins.yaml enables it under. Adding a plugin is one file in
 * this folder (its handlers, help and plugins.yaml section) plus one line here.
 */
export const PLUGINS: readonly Plugin[] = [
  approve,
  assign,
  blunderbuss,
  branchCleaner,
  // Built here rather than in its file: it validates snapshots with every plugin's section, this list's.
  createConfigUpdater({ snapshots: deployedSnapshotStore, pluginSettings: () => PLUGIN_SETTINGS }),
  help,
  hold,
  label,
  lgtm,
  lifecycle,
  mergeMethodComment,
  needsRebase,
  override,
  project,
  requireMatchingLabel,
  retitle,
  size,
  skip,
  stage,
  trigger,
  verifyOwners,
  welcome,
  wip,
];

/**
 * The plugins.yaml sections the plugins above own, for the config loader (config/ cannot import
 * plugins/, so callers that read or check plugin settings pass this: checkconfig, local mode, the
 * events and status functions, config-updater).
 */
export const PLUGIN_SETTINGS: readonly PluginSectionSpec[] = PLUGINS.flatMap((plugin) => plugin.sections);

export function pluginNamed(name: string): Plugin | undefined {
  return PLUGINS.find((plugin) => plugin.name === name);
}
