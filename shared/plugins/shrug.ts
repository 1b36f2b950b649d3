import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's shrug plugin (pkg/plugins/shrug): `/shrug` puts the ¯\_(ツ)_/¯ label on an issue or PR
 * and `/unshrug` takes it off again, answering with a shrug.
 */

export const SHRUG_LABEL = '¯\\_(ツ)_/¯';

/** The shrug in Markdown with its backslash and underscores escaped, so GitHub shows it whole. */
const ESCAPED_SHRUG = '¯\\\\\\_(ツ)\\_/¯';

const SHRUG_COMMAND = /^\/shrug\s*$/im;
const UNSHRUG_COMMAND = /^\/unshrug\s*$/im;

/** `/shrug` wins over `/unshrug` in the same comment, as in Prow. */
export function shrugRequest(body: string): 'shrug' | 'unshrug' | undefined {
  if (SHRUG_COMMAND.test(body)) return 'shrug';
  if (UNSHRUG_COMMAND.test(body)) return 'unshrug';
  return undefined;
}

export const shrug = definePlugin('shrug', {
  description: SHRUG_LABEL,
  commands: [
    {
      usage: '/[un]shrug',
      description: `Adds the \`${SHRUG_LABEL}\` label (\`/shrug\`) or removes it (\`/unshrug\`).`,
      examples: ['/shrug', '/unshrug'],
      who: `Anyone, ${SHRUG_LABEL}`,
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  if (comment.action !== 'created') return;
  const request = shrugRequest(comment.body);
  if (!request) return;
  // The label is matched exactly, as Prow does: GitHub keeps its case, and it has no letters to fold.
  let shrugged = false;
  try {
    shrugged = (await issue.listIssueLabels()).includes(SHRUG_LABEL);
  } catch (error) {
    // Prow carries on as if the label were absent: a shrug is not worth failing over.
    log.warn('could not read the labels; taking the shrug label as absent', { number: comment.number, error: String(error) });
  }
  if (request === 'shrug' && !shrugged) {
    log.info('adding the shrug label', { number: comment.number, by: comment.author });
    await issue.addLabels([SHRUG_LABEL]);
  } else if (request === 'unshrug' && shrugged) {
    log.info('removing the shrug label', { number: comment.number, by: comment.author });
    await issue.createComment(replyTo(comment, ESCAPED_SHRUG));
    await issue.removeLabel(SHRUG_LABEL);
  }
});
