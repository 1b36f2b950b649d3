import { definePlugin } from './plugin';

/**
 * Prow's wip plugin (pkg/plugins/wip): a PR that is a draft, or whose title says it is a work in
 * progress, carries a label that keeps it from merging; the label goes once neither is true.
 */

export const WORK_IN_PROGRESS_LABEL = 'do-not-merge/work-in-progress';

/**
 * Prow's title test `(?i)^\W?WIP\W`: "WIP" at the start, optionally after one non-word character
 * ("[WIP] …"), and followed by one ("WIP: …"). Go counts characters as code points, so "🚧WIP: …"
 * has one before "WIP"; the `u` flag makes `\W` take a whole emoji here too, not half of one.
 */
const WORK_IN_PROGRESS_TITLE = /^\W?WIP\W/iu;

export function isWorkInProgressTitle(title: string): boolean {
  return WORK_IN_PROGRESS_TITLE.test(title);
}

/**
 * Whether to add or remove the label. Prow compares the label name exactly here, so a
 * differently-cased look-alike label is left alone.
 */
export function wipLabelChange(pr: { title: string; draft: boolean; labels: readonly string[] }): 'add' | 'remove' | undefined {
  const inProgress = pr.draft || isWorkInProgressTitle(pr.title);
  const labelled = pr.labels.includes(WORK_IN_PROGRESS_LABEL);
  if (inProgress && !labelled) return 'add';
  if (!inProgress && labelled) return 'remove';
  return undefined;
}

export const wip = definePlugin('wip', {
  description: `Adds the \`${WORK_IN_PROGRESS_LABEL}\` label to pull requests that are drafts or whose title starts with "WIP" (such as "WIP: …" or "[WIP] …"), and removes it when the PR is marked ready for review and the title no longer starts that way. The label keeps the PR from merging.`,
}).on(
  [
    'pull_request.opened',
    'pull_request.reopened',
    'pull_request.edited',
    'pull_request.ready_for_review',
    'pull_request.converted_to_draft',
  ],
  async ({ event, issue, log }) => {
    const { number, title, draft } = event.payload.pull_request;
    const labels = await issue.listIssueLabels();
    const change = wipLabelChange({ title, draft: draft ?? false, labels });
    if (change === 'add') {
      log.info(`adding ${WORK_IN_PROGRESS_LABEL}`, { number });
      await issue.addLabels([WORK_IN_PROGRESS_LABEL]);
    } else if (change === 'remove') {
      log.info(`removing ${WORK_IN_PROGRESS_LABEL}`, { number });
      await issue.removeLabel(WORK_IN_PROGRESS_LABEL);
    }
  },
);
