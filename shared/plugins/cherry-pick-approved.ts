import { z } from 'zod';
import { checkGoRegexp, pluginSection } from '../config/plugin-section';
import { compileGoRegexp } from '../go/regexp';
import { CHERRY_PICK_APPROVED_LABEL, CHERRY_PICK_UNAPPROVED_LABEL, DEFAULT_RELEASE_BRANCH_REGEXP } from './cherry-pick-unapproved';
import { hasLabel } from './label';
import { definePlugin } from './plugin';

/**
 * Prow's cherry-pick-approved plugin (pkg/plugins/cherrypickapproved): an approving GitHub review
 * by one of the configured cherry-pick approvers, on a release-branch PR that is otherwise ready
 * (lgtm, approved, no failing status, no blocking label), adds `cherry-pick-approved` and drops
 * `do-not-merge/cherry-pick-not-approved`.
 */

export const CherryPickApprovedSchema = z.object({
  org: z.string().optional(),
  repo: z.string().optional(),
  branchregexp: z.string().optional(),
  approvers: z.array(z.string()).optional(),
  allow_missing_approved_label: z.boolean().optional(),
  allow_missing_lgtm_label: z.boolean().optional(),
});
export type CherryPickApproved = z.infer<typeof CherryPickApprovedSchema>;

export const cherryPickApprovedSection = pluginSection('cherry_pick_approved', z.array(CherryPickApprovedSchema), (entries, report) => {
  entries.forEach((entry, index) => {
    if (entry.branchregexp) checkGoRegexp(report, [index, 'branchregexp'], entry.branchregexp);
  });
});

/** Labels that keep a PR from merging anyway, so approving its cherry-pick would be premature. */
export const BLOCKING_LABELS = [
  'do-not-merge/blocked-paths',
  'cncf-cla: no',
  'do-not-merge/hold',
  'do-not-merge/invalid-owners-file',
  'bugzilla/invalid-bug',
  'do-not-merge/contains-merge-commits',
  'needs-ok-to-test',
  'needs-rebase',
  'do-not-merge/release-note-label-needed',
  'do-not-merge/work-in-progress',
] as const;

/** The entry for org/repo: the last one naming exactly both, as Prow's loop leaves it. */
export function cherryPickEntryFor(entries: readonly CherryPickApproved[] | undefined, org: string, repo: string): CherryPickApproved | undefined {
  return (entries ?? []).findLast((entry) => (entry.org ?? '') === org && (entry.repo ?? '') === repo);
}

/** Whether a ready PR's labels let an approver's review approve the cherry-pick. */
export function readyForCherryPickApproval(entry: CherryPickApproved, labels: readonly string[]): boolean {
  const lgtm = hasLabel(labels, 'lgtm') || entry.allow_missing_lgtm_label === true;
  const approved = hasLabel(labels, 'approved') || entry.allow_missing_approved_label === true;
  return lgtm && approved && !BLOCKING_LABELS.some((label) => hasLabel(labels, label));
}

export const cherryPickApproved = definePlugin('cherry-pick-approved', {
  description: 'The cherry-pick-approved plugin helps a defined set of maintainers to approve cherry-picks by using GitHub reviews',
  config:
    'The cherry-pick-approved plugin treats PRs against branch names satisfying the `branchregexp` (default ' +
    '`^release-.*$`) as cherry-pick PRs. There needs to be a defined `approvers` list for the plugin to be able to ' +
    'distinguish cherry-pick approvers from regular maintainers. Entries under `cherry_pick_approved:` name `org` ' +
    'and `repo`, and may set `allow_missing_lgtm_label` and `allow_missing_approved_label`.',
})
  .settings(cherryPickApprovedSection)
  .on('pull_request_review.submitted', async ({ event, issue, repository, plugins, org, repo, log }) => {
    const { review, pull_request: pull } = event.payload;
    const entry = cherryPickEntryFor(cherryPickApprovedSection.read(plugins), org, repo);
    if (!entry?.approvers?.length) return;
    if (!compileGoRegexp(entry.branchregexp || DEFAULT_RELEASE_BRANCH_REGEXP).test(pull.base.ref)) return;
    // Webhooks give the state in lower case, the API in upper case.
    if (review.state.toUpperCase() !== 'APPROVED') return;

    const combined = await repository.getCombinedStatus(pull.head.sha);
    if (combined.statuses.some((status) => status.state === 'error' || status.state === 'failure')) {
      log.info('not approving the cherry-pick: a status has failed', { number: issue.number });
      return;
    }
    const labels = await issue.listIssueLabels();
    // Exact login, as in Prow's configured list.
    const reviewer = review.user?.login ?? '';
    if (!entry.approvers.includes(reviewer)) return;
    if (!readyForCherryPickApproval(entry, labels)) return;

    if (!hasLabel(labels, CHERRY_PICK_APPROVED_LABEL)) {
      log.info('cherry-pick approved', { number: issue.number, by: reviewer });
      await issue.addLabels([CHERRY_PICK_APPROVED_LABEL]);
    }
    if (hasLabel(labels, CHERRY_PICK_UNAPPROVED_LABEL)) await issue.removeLabel(CHERRY_PICK_UNAPPROVED_LABEL);
  });
