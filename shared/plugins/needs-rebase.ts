import type { PullRequest } from '../github/client';
import { deleteBotComments } from '../github/membership';
import { realSleep, type Sleep } from './plugin';
import { definePlugin, type Plugin, type PluginContext } from './plugin';
import type { IssueHandle } from './handles';
import { formatNotice } from './respond';

/**
 * needs-rebase (Prow's external plugin cmd/external-plugins/needs-rebase, here in-tree): keeps the
 * `needs-rebase` label in step with GitHub's own mergeability verdict, and tells the author once
 * when their pull request has conflicts. The comment goes away with the label, so a resolved PR
 * carries no stale advice.
 */

export const NEEDS_REBASE_LABEL = 'needs-rebase';

/**
 * The sentence the notice is recognised by when it is pruned, so it must stay stable: changing it
 * would leave every notice already posted in place forever.
 */
export const NEEDS_REBASE_NOTICE =
  'This pull request has merge conflicts with its base branch and needs to be rebased.';
/** Prow's wording (cmd/external-plugins/needs-rebase), matched so notices left by Prow are pruned too; never posted. */
const PROW_NEEDS_REBASE_NOTICE = 'PR needs rebase.';

export function isNeedsRebaseNotice(body: string): boolean {
  return body.includes(NEEDS_REBASE_NOTICE) || body.includes(PROW_NEEDS_REBASE_NOTICE);
}

/** Prow talks to Dependabot in the one word it understands instead of explaining the conflict. */
export const DEPENDABOT_LOGIN = 'dependabot[bot]';
const DEPENDABOT_NOTICE = 'rebase';

export type RebaseAction = 'add' | 'remove' | 'none';

/**
 * What to do about the label, given GitHub's verdict: label a conflicted PR that lacks it, clear
 * it from a mergeable one. `null` means GitHub has not finished computing; acting on it would
 * flap the label, so nothing changes until a verdict exists.
 */
export function rebaseAction(mergeable: boolean | null, hasLabel: boolean): RebaseAction {
  if (mergeable === null) return 'none';
  if (!mergeable && !hasLabel) return 'add';
  if (mergeable && hasLabel) return 'remove';
  return 'none';
}

export function needsRebaseNotice(author: string): string {
  return formatNotice(author === DEPENDABOT_LOGIN ? DEPENDABOT_NOTICE : NEEDS_REBASE_NOTICE);
}

/**
 * GitHub computes mergeability lazily after a push, answering `null` meanwhile. Prow's client asks
 * three times, waiting 3s and then 6s; the same patience here means a freshly pushed rebase gets
 * its label cleared on the push event rather than on some later one.
 */
export const MERGEABILITY_RETRY_DELAYS_MS: readonly number[] = [3_000, 6_000];

export interface NeedsRebaseOptions {
  /** How to wait between mergeability checks; tests pass one that returns at once. */
  sleep?: Sleep;
}

export function createNeedsRebasePlugin(options: NeedsRebaseOptions = {}): Plugin {
  const sleep = options.sleep ?? realSleep;

  async function settledPullRequest(
    context: PluginContext,
    pull: IssueHandle,
    expectedHeadSha: string | undefined,
  ): Promise<PullRequest | undefined> {
    const { number } = pull;
    let pr = await pull.getPullRequest();
    for (const delay of MERGEABILITY_RETRY_DELAYS_MS) {
      if (pr.mergeable !== null) break;
      await sleep(delay);
      pr = await pull.getPullRequest();
    }
    if (expectedHeadSha !== undefined && pr.head.sha !== expectedHeadSha) {
      // A newer push has its own event, which will judge the newer head.
      context.log.info('head moved while checking mergeability; leaving it to the newer event', {
        number,
        expected: expectedHeadSha,
        actual: pr.head.sha,
      });
      return undefined;
    }
    return pr;
  }

  async function check(context: PluginContext, pull: IssueHandle, expectedHeadSha?: string): Promise<void> {
    const { number } = pull;
    const pr = await settledPullRequest(context, pull, expectedHeadSha);
    if (!pr || pr.state !== 'open' || pr.merged) return;
    if (pr.mergeable === null) {
      context.log.info('GitHub has not computed mergeability yet; leaving the label as it is', { number });
      return;
    }
    const labels = await pull.listIssueLabels();
    const action = rebaseAction(pr.mergeable, labels.includes(NEEDS_REBASE_LABEL));
    if (action === 'add') {
      await pull.addLabels([NEEDS_REBASE_LABEL]);
      await pull.createComment(needsRebaseNotice(pr.user.login));
      context.log.info('pull request has conflicts; labelled it', { number });
    } else if (action === 'remove') {
      await pull.removeLabel(NEEDS_REBASE_LABEL);
      const deleted = await deleteBotComments(context.github, pull, isNeedsRebaseNotice);
      context.log.info('pull request is mergeable again; removed the label', { number, deletedNotices: deleted });
    }
  }

  return definePlugin('needs-rebase', {
    description:
      `Keeps the '${NEEDS_REBASE_LABEL}' label in step with GitHub's mergeability check: it is added, with a ` +
      'comment to the author, when a pull request conflicts with its base branch, and removed (comment ' +
      'included) once the pull request can be merged again. Pull requests are checked when opened, reopened ' +
      'or pushed to, and whenever someone comments on them.',
  })
    .on(['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize'], async (context) => {
      const pr = context.event.payload.pull_request;
      if (pr.state !== 'open') return;
      await check(context, context.issue, pr.head.sha);
    })
    .on('issue_comment.created', async (context) => {
      const { issue } = context.event.payload;
      if (issue.pull_request === undefined || issue.state !== 'open') return;
      await check(context, context.issue);
    });
}

export const needsRebase = createNeedsRebasePlugin();
