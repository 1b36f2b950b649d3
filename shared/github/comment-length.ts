/**
 * GitHub refuses an issue or pull request comment longer than this ("Body is too long (maximum is
 * 65536 characters)"). GitHub counts characters; a JavaScript string's length counts UTF-16 units,
 * never fewer, so a body within this length by JavaScript's count is within GitHub's.
 */
export const MAX_COMMENT_CHARS = 65_536;

/** `text` cut to at most `max` UTF-16 units, never between the two halves of one character. */
export function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  // A high surrogate kept without its low half would be half a character.
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

function omission(characters: number): string {
  return `… (${characters.toLocaleString('en-US')} characters not shown)`;
}

/** `text`, or as much of its start as fits in `max` with a note saying how much was left out. */
export function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= omission(text.length).length) return cutAt(text, max);
  // The note's length depends on the count it gives; the whole text's count is never shorter.
  const kept = cutAt(text, max - omission(text.length).length);
  return `${kept}${omission(text.length - kept.length)}`;
}

/**
 * A comment body GitHub takes. Replies are built to fit (shared/plugins/respond.ts); this is the
 * last guard where comments are written, so that nothing a plugin or report renders is refused,
 * and retried, for its length.
 */
export function fitComment(body: string): string {
  return shortened(body, MAX_COMMENT_CHARS);
}
