import type { CommentEvent } from './comment-event';

/** Where Prow's replies point people for the commands; ends replies and notices. */
export const COMMAND_HELP_FOOTER =
  'The commands I understand, and who may use them, are listed on the `/command-help` page of this CI system.';

/**
 * The shape of Prow's replies to a command: the person is mentioned first, then the answer, then —
 * folded — the comment being answered and where the commands are documented. Prow users know it
 * at a glance; keeping it means their habits (and their email filters) still work.
 */
export function formatResponse(user: string, message: string, inReplyTo?: { body: string; htmlUrl: string }): string {
  const lines = [`@${user}: ${message}`];
  if (inReplyTo) {
    const quoted = inReplyTo.body
      .trim()
      .split(/\r?\n/)
      .map((line) => `> ${line}`)
      .join('\n');
    lines.push(
      '',
      '<details>',
      '',
      `In response to [this](${inReplyTo.htmlUrl}):`,
      '',
      quoted,
      '',
      COMMAND_HELP_FOOTER,
      '</details>',
    );
  }
  return lines.join('\n');
}

/**
 * Prow's "simple response": a notice addressed to nobody in particular, with the pointer to the
 * command help folded away underneath, as in Prow's FormatSimpleResponse.
 */
export function formatNotice(message: string): string {
  return [message, '', '<details>', '', COMMAND_HELP_FOOTER, '</details>'].join('\n');
}

/** A reply to a generic comment event, quoting it. */
export function replyTo(comment: CommentEvent, message: string): string {
  return formatResponse(comment.author, message, { body: comment.body, htmlUrl: comment.htmlUrl });
}
