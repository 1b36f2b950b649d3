import { artBlock, commentSeed, pickBySeed } from './fun/pick';
import { PONIES, type Pony } from './fun/ponies';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's pony plugin (pkg/plugins/pony): `/pony` gets a pony picture in reply, and `/pony <name>`
 * that pony. Prow asks a pony API; Cutwater draws from its own herd (shared/plugins/fun/ponies.ts).
 */

/** Prow answers at most this many `/pony` lines of one comment. */
export const MAX_PONIES = 5;

const PONY_COMMAND = /^\/pony(?: +(.+?))?\s*$/gim;

/** The name asked for on each `/pony` line, "" for any pony; at most MAX_PONIES of them. */
export function ponyRequests(body: string): string[] {
  return [...body.matchAll(PONY_COMMAND)].slice(0, MAX_PONIES).map((match) => match[1] ?? '');
}

/** The pony a request names (by name, whatever its case), or one picked by the seed when it names none. */
export function findPony(name: string, seed: number): Pony | undefined {
  const wanted = name.trim().toLowerCase();
  if (wanted === '') return pickBySeed(PONIES, seed);
  return PONIES.find((pony) => pony.name.toLowerCase() === wanted);
}

/** The reply to a comment's `/pony` lines, or undefined when it has none. */
export function ponyReply(body: string, seed: number): string | undefined {
  const requests = ponyRequests(body);
  if (requests.length === 0) return undefined;
  // Each line of a comment gets its own pony, so two plain `/pony` lines do not repeat one.
  const found = requests.flatMap((name, index) => {
    const pony = findPony(name, seed + index);
    return pony ? [artBlock(pony.art, `${pony.name}:`)] : [];
  });
  if (found.length > 0) return found.join('\n');
  return `Couldn't find a pony matching given tag(s). The ponies here are ${PONIES.map((pony) => pony.name).join(', ')}.`;
}

export const pony = definePlugin('pony', {
  description: 'The pony plugin adds a pony image to an issue or PR in response to the `/pony` command.',
  commands: [
    {
      usage: '/(pony) [pony]',
      description: `Add a little pony picture to the issue or PR. A particular pony can optionally be named for a picture of that specific pony: ${PONIES.map((pony) => pony.name).join(', ')}.`,
      examples: ['/pony', `/pony ${PONIES[0].name}`],
      who: 'Anyone',
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  if (comment.action !== 'created') return;
  const reply = ponyReply(comment.body, commentSeed(comment));
  if (!reply) return;
  log.info('replying with ponies', { number: comment.number, by: comment.author });
  await issue.createComment(replyTo(comment, reply));
});
