import { commentSeed, pickBySeed } from './fun/pick';
import { JOKES } from './fun/jokes';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's yuks plugin (pkg/plugins/yuks): `/joke` on a line of its own gets a joke in reply. Prow
 * fetches one from a joke site; Cutwater tells one of its own (shared/plugins/fun/jokes.ts).
 */

const JOKE_COMMAND = /^\/joke\s*$/im;

export function wantsJoke(body: string): boolean {
  return JOKE_COMMAND.test(body);
}

/** The joke for a comment: the same one for the same comment, so a redelivery repeats it. */
export function jokeFor(seed: number): string {
  return pickBySeed(JOKES, seed);
}

export const yuks = definePlugin('yuks', {
  description: 'The yuks plugin comments with jokes in response to the `/joke` command.',
  commands: [
    {
      usage: '/joke',
      description: 'Tells a joke.',
      examples: ['/joke'],
      who: 'Anyone can use the `/joke` command.',
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  if (comment.action !== 'created' || !wantsJoke(comment.body)) return;
  const joke = jokeFor(commentSeed(comment));
  log.info('telling a joke', { number: comment.number, by: comment.author });
  await issue.createComment(replyTo(comment, joke));
});
