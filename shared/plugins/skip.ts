import type { Presubmit } from '../config/model';
import type { CommitStatus } from '../github/client';
import { changedFilesOnce } from '../jobs/changes';
import { presubmitsForComment } from '../jobs/comment-commands';
import { contextRequired } from '../jobs/should-run';
import { findCommands } from './comment-event';
import { definePlugin } from './plugin';
import { replyTo } from './respond';
import { settingsFor } from './settings';
import { triggersSection } from './trigger-rules';

/**
 * skip (Prow's pkg/plugins/skip): `/skip` turns the stale failures of jobs that do not block
 * merging into green "Skipped" statuses, so the PR's status list shows what actually matters.
 */

export const SKIPPED_DESCRIPTION = 'Skipped';

/** Prow's `^/skip\s*$`: the command alone on its line, no arguments. */
export function asksToSkip(body: string): boolean {
  return findCommands(body, 'skip').some((command) => command.args === '');
}

/**
 * The contexts `/skip` marks as passed: jobs that have already reported and not succeeded, that
 * are not required for merging, and that this same comment is not about to run (so "/skip" with
 * "/test foo" tests foo rather than hiding it).
 */
export function contextsToSkip(
  jobs: readonly Presubmit[],
  statuses: readonly CommitStatus[],
  triggeredByThisComment: readonly Presubmit[],
): string[] {
  const skipped: string[] = [];
  for (const job of jobs) {
    const reported = statuses.filter((status) => status.context === job.context);
    if (reported.length === 0 || reported.some((status) => status.state === 'success')) continue;
    if (triggeredByThisComment.some((other) => other.name === job.name && other.context === job.context)) continue;
    if (contextRequired(job)) continue;
    skipped.push(job.context);
  }
  return skipped;
}

export const skip = definePlugin('skip', {
  description:
    'Cleans up the stale failed statuses of jobs that do not block merging (optional jobs and jobs that do ' +
    'not report), marking them as skipped.',
  commands: [
    {
      usage: '/skip',
      description:
        'Marks the failed statuses of non-blocking jobs on this pull request as skipped. Jobs the same ' +
        'comment asks to run (e.g. with /test) are left alone.',
      examples: ['/skip'],
      who: 'Anyone, on an open pull request.',
    },
  ],
}).onComment(async (context) => {
  const { comment, issue, repository, org, repo } = context;
  if (!comment.isPR || comment.issueState !== 'open' || comment.action !== 'created') return;
  if (!asksToSkip(comment.body)) return;

  const pr = await issue.getPullRequest();
  const sha = pr.head.sha;
  const combined = await repository.getCombinedStatus(sha);
  // Nothing failed, so there is nothing to clean up.
  if (combined.state === 'success') return;

  const jobs = context.config.presubmits.get(`${org}/${repo}`) ?? [];
  const trigger = settingsFor(triggersSection.read(context.plugins), org, repo);
  const triggered = await presubmitsForComment(jobs, {
    body: comment.body,
    baseRef: pr.base.ref,
    changedFiles: changedFilesOnce(async () =>
      (await issue.listPullRequestFiles()).map((file) => file.filename),
    ),
    contexts: () =>
      Promise.resolve({
        failed: new Set(
          combined.statuses
            .filter((status) => status.state === 'error' || status.state === 'failure')
            .map((status) => status.context),
        ),
        all: new Set(combined.statuses.map((status) => status.context)),
      }),
    honorOkToTest: !(trigger?.ignore_ok_to_test ?? false),
  });

  for (const statusContext of contextsToSkip(jobs, combined.statuses, triggered)) {
    try {
      await repository.createStatus(sha, {
        state: 'success',
        context: statusContext,
        description: SKIPPED_DESCRIPTION,
      });
    } catch (error) {
      context.log.error('could not mark a context as skipped', { context: statusContext, error });
      await issue.createComment(
        replyTo(comment, `I could not mark the status \`${statusContext}\` as skipped; please try again later.`),
      );
      return;
    }
  }
});
