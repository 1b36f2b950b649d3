/**
 * The fun plugins (yuks, pony, cat, dog, goose) answer from small collections shipped with
 * Cutwater instead of the web APIs Prow calls: a webhook handler that waits on a joke site can
 * time out or fail, and a bot should not post whatever a third party returns. Pictures are ASCII
 * art in a code block, which GitHub shows as-is with no image host to keep up.
 *
 * The choice is seeded by the comment, so it varies from comment to comment yet a redelivered
 * event (or a test) gets the same answer.
 */

/** The entry the seed picks (the comment's ID, or the issue number for a command in an issue body). */
export function pickBySeed<T>(items: readonly [T, ...T[]], seed: number): T {
  const index = Math.abs(Math.trunc(seed)) % items.length;
  return items[index] ?? items[0];
}

/** What seeds the choice for a comment: its ID when it has one, the number otherwise. */
export function commentSeed(comment: { commentId?: number | undefined; number: number }): number {
  return comment.commentId ?? comment.number;
}

/** Art as GitHub shows it unchanged: in a fenced code block, under an optional caption. */
export function artBlock(art: string, caption?: string): string {
  const block = ['```text', art.replace(/^\n+|\s+$/g, ''), '```'].join('\n');
  return caption ? `${caption}\n${block}` : `\n${block}`;
}
