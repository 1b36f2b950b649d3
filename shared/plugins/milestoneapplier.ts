import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { definePlugin } from './plugin';

/**
 * Prow's milestoneapplier plugin (pkg/plugins/milestoneapplier): sets a merged PR's milestone to
 * the one configured for its base branch; a PR against another branch than the default gets it as
 * soon as it is opened, too.
 */

/** plugins.yaml `milestone_applier:` — "org/repo" → base branch → milestone title. */
export const milestoneApplierSection = pluginSection(
  'milestone_applier',
  z.record(z.string(), z.record(z.string(), z.string())),
);

export interface AppliedPullRequest {
  action: string;
  merged: boolean;
  baseRef: string;
  defaultBranch: string;
  /** The milestone's title now, if any. */
  milestone: string | undefined;
}

/**
 * Whether the configured milestone should be set now: not when the PR already has it; on merge;
 * and, for PRs against a non-default branch, also when opened.
 */
export function shouldApplyMilestone(pull: AppliedPullRequest, configured: string): boolean {
  if (pull.milestone === configured) return false;
  const merged = pull.action === 'closed' && pull.merged;
  if (merged) return true;
  return pull.baseRef !== pull.defaultBranch && pull.action === 'opened';
}

export const milestoneapplier = definePlugin('milestoneapplier', {
  description:
    'Automatically applies the configured milestone for the base branch after a PR is merged. If a PR targets a non-default branch, it also adds the milestone when the PR is opened.',
  config:
    '`milestone_applier:` maps "org/repo" to base branches and the milestone each gets, e.g. ' +
    '`kubernetes/kubernetes: {release-1.19: v1.19, release-1.18: v1.18}`.',
})
  .settings(milestoneApplierSection)
  .on('pull_request', async ({ event, issue, github, plugins, org, repo, log }) => {
    const { payload } = event;
    const pull = payload.pull_request;
    const configured = milestoneApplierSection.read(plugins)?.[`${org}/${repo}`]?.[pull.base.ref];
    if (configured === undefined) return;
    const applies = shouldApplyMilestone(
      {
        action: payload.action,
        merged: pull.merged === true,
        baseRef: pull.base.ref,
        defaultBranch: pull.base.repo.default_branch,
        milestone: pull.milestone?.title,
      },
      configured,
    );
    if (!applies) return;

    const match = (await github.listMilestones(org, repo)).find((milestone) => milestone.title === configured);
    if (!match) {
      throw new Error(
        `milestone_applier: the milestone "${configured}" configured for ${org}/${repo} branch ${pull.base.ref} does not exist in the repository; create it or fix plugins.yaml`,
      );
    }
    log.info(`setting the milestone to ${configured}`, { number: issue.number, branch: pull.base.ref });
    await issue.updateIssue({ milestone: match.number });
  });
