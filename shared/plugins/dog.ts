import { DOGS, FINE_DOG, NOT_FINE_DOG, UNBEARABLE_DOG } from './fun/dogs';
import { artBlock, commentSeed, pickBySeed } from './fun/pick';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's dog plugin (pkg/plugins/dog): `/woof` or `/bark` gets a dog picture in reply, and
 * `/this-is-fine`, `/this-is-not-fine` and `/this-is-unbearable` their famous dogs. Prow asks
 * random.dog; Cutwater draws from its own dogs (shared/plugins/fun/dogs.ts).
 */

const DOG_COMMAND = /^\/(woof|bark)\s*$/im;
/** Checked in this order, and only when there is no `/woof` or `/bark`, as in Prow. */
const FAMOUS_DOGS: readonly (readonly [RegExp, string])[] = [
  [/^\/this-is-fine\s*$/im, FINE_DOG],
  [/^\/this-is-not-fine\s*$/im, NOT_FINE_DOG],
  [/^\/this-is-unbearable\s*$/im, UNBEARABLE_DOG],
];

/** The dog a comment asks for, or undefined when it asks for none. */
export function dogFor(body: string, seed: number): string | undefined {
  if (DOG_COMMAND.test(body)) return pickBySeed(DOGS, seed);
  return FAMOUS_DOGS.find(([command]) => command.test(body))?.[1];
}

export const dog = definePlugin('dog', {
  description: 'The dog plugin adds a dog image to an issue or PR in response to the `/woof` command.',
  commands: [
    {
      usage: '/(woof|bark|this-is-{fine|not-fine|unbearable})',
      description: 'Add a dog image to the issue or PR',
      examples: ['/woof', '/bark', '/this-is-{fine|not-fine|unbearable}'],
      who: 'Anyone',
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  if (comment.action !== 'created') return;
  const art = dogFor(comment.body, commentSeed(comment));
  if (!art) return;
  log.info('replying with a dog', { number: comment.number, by: comment.author });
  await issue.createComment(replyTo(comment, artBlock(art)));
});
