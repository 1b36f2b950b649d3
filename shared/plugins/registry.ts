import type { PluginSectionSpec } from '../config/plugin-section';
import type { Plugin } from './plugin';
import { approve } from './approve';
import { assign } from './assign';
import { blunderbuss } from './blunderbuss';
import { cat } from './cat';
import { cla } from './cla';
import { cherryPickApproved } from './cherry-pick-approved';
import { cherryPickUnapproved } from './cherry-pick-unapproved';
import { branchCleaner } from './branchcleaner';
import { createConfigUpdater, deployedSnapshotStore } from './config-updater';
import { dog } from './dog';
import { goose } from './goose';
import { heart } from './heart';
import { help } from './help';
import { invalidCommitMsg } from './invalidcommitmsg';
import { hold } from './hold';
import { label } from './label';
import { lgtm } from './lgtm';
import { lifecycle } from './lifecycle';
import { milestone } from './milestone';
import { milestoneapplier } from './milestoneapplier';
import { milestonestatus } from './milestonestatus';
import { needsRebase } from './needs-rebase';
import { override } from './override';
import { pony } from './pony';
import { releaseNote } from './release-note';
import { mergeMethodComment } from './merge-method-comment';
import { project } from './project';
import { requireMatchingLabel } from './require-matching-label';
import { retitle } from './retitle';
import { shrug } from './shrug';
import { size } from './size';
import { skip } from './skip';
import { stage } from './stage';
import { trigger } from './trigger';
import { verifyOwners } from './verify-owners';
import { welcome } from './welcome';
import { wip } from './wip';
import { yuks } from './yuks';
import { mergeCommitBlocker } from './mergecommitblocker';
import { blockade } from './blockade';
import { ownersLabel } from './owners-label';
import { sigMention } from './sigmention';
import { issueManagement } from './issue-management';
import { testfreeze } from './testfreeze';
import { slackevents } from './slackevents';
import { cherryPicker } from './cherrypicker';

/**
 * Every in-tree plugin, by the name plugins.yaml enables it under. Adding a plugin is one file in
 * this folder (its handlers, help and plugins.yaml section) plus one line here.
 */
export const PLUGINS: readonly Plugin[] = [
  approve,
  assign,
  blunderbuss,
  cat,
  cla,
  cherryPickApproved,
  cherryPickUnapproved,
  branchCleaner,
  // Built here rather than in its file: it validates snapshots with every plugin's section, this list's.
  createConfigUpdater({ snapshots: deployedSnapshotStore, pluginSettings: () => PLUGIN_SETTINGS }),
  dog,
  goose,
  heart,
  help,
  hold,
  invalidCommitMsg,
  label,
  lgtm,
  lifecycle,
  milestone,
  milestoneapplier,
  milestonestatus,
  needsRebase,
  override,
  pony,
  releaseNote,
  mergeMethodComment,
  project,
  requireMatchingLabel,
  retitle,
  shrug,
  size,
  skip,
  stage,
  trigger,
  verifyOwners,
  welcome,
  wip,
  yuks,
  mergeCommitBlocker,
  blockade,
  ownersLabel,
  sigMention,
  issueManagement,
  testfreeze,
  slackevents,
  cherryPicker,
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
