import { findCommands } from './comment-event';
import { definePlugin } from './plugin';
import { hasLabel } from './label';

/**
 * Prow's hold plugin (pkg/plugins/hold): anyone may put a PR on hold, which keeps it from merging
 * without withdrawing anyone's approval, and anyone may release it again.
 */

export const HOLD_LABEL = 'do-not-merge/hold';

/** What a comment asks for: a hold, a release, or nothing. */
export type HoldRequest = 'hold' | 'release';

/**
 * `/hold` with anything after it holds; `/hold cancel`, `/unhold` and `/remove-hold` release. A
 * release anywhere in the comment wins over a hold, as in Prow, so that a comment quoting the
 * usage ("/hold, then /hold cancel when ready") errs on the side of letting the PR merge.
 */
export function holdRequest(body: string): HoldRequest | undefined {
  const commands = findCommands(body, /^(hold|unhold|remove-hold)$/);
  const releases = commands.some(
    (command) => command.name !== 'hold' || /^cancel(\s|$)/i.test(command.args),
  );
  if (releases) return 'release';
  return commands.length > 0 ? 'hold' : undefined;
}

/** The label change that brings the PR to the requested state, if it is not there already. */
export function holdLabelChange(
  request: HoldRequest,
  currentLabels: readonly string[],
): { add: string } | { remove: string } | undefined {
  const held = hasLabel(currentLabels, HOLD_LABEL);
  if (request === 'hold' && !held) return { add: HOLD_LABEL };
  if (request === 'release' && held) return { remove: HOLD_LABEL };
  return undefined;
}

export const hold = definePlugin('hold', {
  description: `Lets anyone add or remove the \`${HOLD_LABEL}\` label on a pull request, to stop it from merging for a while without taking back an approval or LGTM.`,
  commands: [
    {
      usage: '/[remove-][un]hold [cancel]',
      description: `Adds the \`${HOLD_LABEL}\` label (\`/hold\`) or removes it (\`/hold cancel\`, \`/unhold\`, \`/remove-hold\`). While it is present the PR is not merged automatically.`,
      examples: ['/hold', '/hold cancel', '/unhold', '/remove-hold'],
      who: 'Anyone, on pull requests.',
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  if (!comment.isPR || comment.action !== 'created') return;
  const request = holdRequest(comment.body);
  if (!request) return;
  const change = holdLabelChange(request, await issue.listIssueLabels());
  if (!change) return;
  if ('add' in change) {
    log.info(`adding ${change.add}`, { number: comment.number, by: comment.author });
    await issue.addLabels([change.add]);
  } else {
    log.info(`removing ${change.remove}`, { number: comment.number, by: comment.author });
    await issue.removeLabel(change.remove);
  }
});
