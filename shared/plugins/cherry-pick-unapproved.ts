import { z } from 'zod';
import { checkGoRegexp, pluginSection } from '../config/plugin-section';
import { deleteBotComments } from '../github/membership';
import { compileGoRegexp } from '../go/regexp';
import { hasLabel } from './label';
import { definePlugin, type PluginContext } from './plugin';
import type { IssueHandle } from './handles';
import { formatNotice } from './respond';

/**
 * Prow's cherry-pick-unapproved plugin (pkg/plugins/cherrypickunapproved): a PR against a release
 * branch without the `cherry-pick-approved` label gets `do-not-merge/cherry-pick-not-approved` and
 * a comment explaining it, both withdrawn once the approval label arrives or the PR moves off the
 * release branches.
 */

export const CHERRY_PICK_APPROVED_LABEL = 'cherry-pick-approved';
export const CHERRY_PICK_UNAPPROVED_LABEL = 'do-not-merge/cherry-pick-not-approved';

/** Prow's defaults; the comment is Prow's word for word, so its notices on migrated PRs are recognised. */
export const DEFAULT_RELEASE_BRANCH_REGEXP = '^release-.*$';
export const DEFAULT_UNAPPROVED_COMMENT =
  'This PR is not for the master branch but does not have the `cherry-pick-approved`  label. Adding the `do-not-merge/cherry-pick-not-approved`  label.';

export const cherryPickUnapprovedSection = pluginSection(
  'cherry_pick_unapproved',
  z.object({ branchregexp: z.string().optional(), comment: z.string().optional() }),
  (section, report) => {
    if (section.branchregexp) checkGoRegexp(report, ['branchregexp'], section.branchregexp);
  },
);

export type UnapprovedAction = 'add' | 'remove-unapproved' | 'remove-both' | 'none';

/**
 * On a release-branch PR: approved → drop the marker (and our notice); neither label → mark it.
 * Moved off the release branches → drop both labels and the notice.
 */
export function unapprovedAction(onReleaseBranch: boolean, labels: readonly string[]): UnapprovedAction {
  const approved = hasLabel(labels, CHERRY_PICK_APPROVED_LABEL);
  const unapproved = hasLabel(labels, CHERRY_PICK_UNAPPROVED_LABEL);
  if (!onReleaseBranch) return 'remove-both';
  if (approved) return 'remove-unapproved';
  return unapproved ? 'none' : 'add';
}

async function reconcile(context: PluginContext, issue: IssueHandle, onReleaseBranch: boolean, comment: string): Promise<void> {
  const labels = await issue.listIssueLabels();
  const action = unapprovedAction(onReleaseBranch, labels);
  if (action === 'none') return;
  if (action === 'add') {
    context.log.info('release-branch PR without cherry-pick approval; marking it', { number: issue.number });
    await issue.addLabels([CHERRY_PICK_UNAPPROVED_LABEL]);
    await issue.createComment(formatNotice(comment));
    return;
  }
  if (action === 'remove-both' && hasLabel(labels, CHERRY_PICK_APPROVED_LABEL)) await issue.removeLabel(CHERRY_PICK_APPROVED_LABEL);
  if (hasLabel(labels, CHERRY_PICK_UNAPPROVED_LABEL)) await issue.removeLabel(CHERRY_PICK_UNAPPROVED_LABEL);
  await deleteBotComments(context.github, issue, (body) => body.includes(comment));
}

export const cherryPickUnapproved = definePlugin('cherry-pick-unapproved', {
  description:
    'Label PRs against a release branch which do not have the `cherry-pick-approved` label with the `do-not-merge/cherry-pick-not-approved` label.',
  config:
    '`cherry_pick_unapproved:` with `branchregexp` (the release branches, default `^release-.*$`) and `comment` ' +
    '(posted when the label is added, and recognised to delete it later).',
})
  .settings(cherryPickUnapprovedSection)
  .on(
    ['pull_request.opened', 'pull_request.reopened', 'pull_request.labeled', 'pull_request.unlabeled', 'pull_request.edited'],
    async (context) => {
      const { payload } = context.event;
      const settings = cherryPickUnapprovedSection.read(context.plugins);
      const releaseBranch = compileGoRegexp(settings?.branchregexp || DEFAULT_RELEASE_BRANCH_REGEXP);
      const comment = settings?.comment || DEFAULT_UNAPPROVED_COMMENT;
      const onReleaseBranch = releaseBranch.test(payload.pull_request.base.ref);

      if (payload.action === 'edited') {
        // Only a change of base branch matters: onto the release branches, or off them.
        const from = payload.changes.base?.ref.from;
        if (!from || onReleaseBranch === releaseBranch.test(from)) return;
        await reconcile(context, context.issue, onReleaseBranch, comment);
        return;
      }
      if (!onReleaseBranch) return;
      if (payload.action === 'labeled' || payload.action === 'unlabeled') {
        const changed = payload.label?.name;
        if (changed !== CHERRY_PICK_APPROVED_LABEL && changed !== CHERRY_PICK_UNAPPROVED_LABEL) return;
      }
      await reconcile(context, context.issue, true, comment);
    },
  );
