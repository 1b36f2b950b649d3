/**
 * Replies and notices in Prow's shape, as text: used by the plugins (shared/plugins/respond.ts)
 * and by workers that answer on a PR outside a plugin (the cherry-pick worker).
 */
import { cutAt, fitComment, MAX_COMMENT_CHARS, shortened } from '../github/comment-length';

/** Where Prow's replies point people for the commands; ends replies and notices. */
export const COMMAND_HELP_FOOTER =
  'The commands I understand, and who may use them, are listed on the `/command-help` page of this CI system.';

/** What a person typed, shown back in a reply: a label, a job, a context. Longer than this is cut. */
const MAX_ECHO_CHARS = 256;
/** However long the message, the quote keeps this much of the comment it answers (or all of it). */
const MIN_QUOTE_CHARS = 1_000;

/** A value a person typed, as a reply repeats it: cut to a readable length, saying so. */
export function echo(value: string): string {
  return shortened(value, MAX_ECHO_CHARS);
}

/** Every line quoted, whichever of CommonMark's line endings (\n, \r\n, \r) it ends with. */
function quote(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `> ${line}`)
    .join('\n');
}

/** The quote of `body` in at most `max` characters: all of it, or its start and a note. */
function quoteWithin(body: string, max: number): string {
  const whole = quote(body);
  if (whole.length <= max) return whole;
  const note = `\n> …\n\n(The comment is quoted in part: it is ${body.length.toLocaleString('en-US')} characters long.)`;
  return `${cutAt(whole, max - note.length)}${note}`;
}

function fold(quoted: string, htmlUrl: string): string {
  return ['', '', '<details>', '', `In response to [this](${htmlUrl}):`, '', quoted, '', COMMAND_HELP_FOOTER, '</details>'].join('\n');
}

/**
 * The shape of Prow's replies to a command: the person is mentioned first, then the answer, then —
 * folded — the comment being answered and where the commands are documented. Prow users know it
 * at a glance; keeping it means their habits (and their email filters) still work.
 *
 * Every reply fits in a GitHub comment, which a reply quoting a comment of GitHub's largest size
 * would not: the answer comes first, the quote gives way (keeping its start), and each says what it
 * left out.
 */
export function formatResponse(user: string, message: string, inReplyTo?: { body: string; htmlUrl: string }): string {
  const mention = `@${user}: `;
  if (!inReplyTo) return fitComment(`${mention}${message}`);
  const body = inReplyTo.body.trim();
  const room = MAX_COMMENT_CHARS - mention.length - fold('', inReplyTo.htmlUrl).length;
  const quoteFloor = Math.min(quote(body).length, MIN_QUOTE_CHARS);
  const answer = shortened(message, Math.max(0, room - quoteFloor));
  // The last guard only cuts when the user or URL alone is absurdly long.
  return fitComment(`${mention}${answer}${fold(quoteWithin(body, room - answer.length), inReplyTo.htmlUrl)}`);
}

/**
 * Prow's "simple response": a notice addressed to nobody in particular, with the pointer to the
 * command help folded away underneath, as in Prow's FormatSimpleResponse.
 */
export function formatNotice(message: string): string {
  const help = ['', '', '<details>', '', COMMAND_HELP_FOOTER, '</details>'].join('\n');
  return `${shortened(message, MAX_COMMENT_CHARS - help.length)}${help}`;
}
