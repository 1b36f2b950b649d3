import type { CommentEvent } from './comment-event';
import { formatResponse } from '../github/reply';

export { COMMAND_HELP_FOOTER, echo, formatNotice, formatResponse } from '../github/reply';

/** A reply to a generic comment event, quoting it. */
export function replyTo(comment: CommentEvent, message: string): string {
  return formatResponse(comment.author, message, { body: comment.body, htmlUrl: comment.htmlUrl });
}
