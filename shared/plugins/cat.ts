import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { CAT_CATEGORIES, CATS, GRUMPY_CAT } from './fun/cats';
import { artBlock, commentSeed, pickBySeed } from './fun/pick';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's cat plugin (pkg/plugins/cat): `/meow [category]` gets a cat picture in reply, and
 * `/meowvie [category]` a moving one. Prow asks thecatapi.com; Cutwater draws from its own cats
 * (shared/plugins/fun/cats.ts).
 */

/**
 * Prow's `cat:` section names the file holding a thecatapi.com key. Cutwater calls no cat API, so
 * it reads nothing from it, but a plugins.yaml written for Prow keeps loading.
 */
export const CatSettingsSchema = z.object({ key_path: z.string().optional() });
export const catSection = pluginSection('cat', CatSettingsSchema);

const CAT_COMMAND = /^\/meow(vie)?(?: (.+))?\s*$/im;
const GRUMPY_CATEGORY = /^(no|grumpy)\s*$/im;

export interface CatRequest {
  /** "" when no category was asked for. */
  category: string;
  /** `/meowvie`: Prow asks for a GIF. */
  movie: boolean;
}

/** The first `/meow` or `/meowvie` line of a comment, as Prow reads only the first. */
export function catRequest(body: string): CatRequest | undefined {
  const match = CAT_COMMAND.exec(body);
  if (!match) return undefined;
  return { category: (match[2] ?? '').trim(), movie: match[1] !== undefined };
}

/** Frames the art as a strip of film, the nearest a code block comes to a GIF. */
function filmStrip(art: string): string {
  const lines = art.replace(/^\n+|\s+$/g, '').split('\n');
  const width = Math.max(...lines.map((line) => line.length));
  const sprockets = `[]${' o '.repeat(Math.ceil(width / 3) + 1).slice(0, width + 2)}[]`;
  return [sprockets, ...lines.map((line) => `|| ${line.padEnd(width)} ||`), sprockets].join('\n');
}

/** The reply to a cat request: a cat of the category (any cat without one), or why there is none. */
export function catReply(request: CatRequest, seed: number): string {
  const category = request.category.toLowerCase();
  let art: string;
  if (GRUMPY_CATEGORY.test(request.category)) {
    art = GRUMPY_CAT;
  } else {
    const [first, ...rest] = category === '' ? CATS : CATS.filter((cat) => cat.categories.includes(category));
    if (!first) return `Bad category. Please pick one of: ${CAT_CATEGORIES.join(', ')}.`;
    art = pickBySeed([first, ...rest], seed).art;
  }
  return artBlock(request.movie ? filmStrip(art) : art);
}

export const cat = definePlugin('cat', {
  description: 'The cat plugin adds a cat image to an issue or PR in response to the `/meow` command.',
  config: 'The cat plugin draws its cats from a collection shipped with Cutwater; the `cat.key_path` Prow reads for thecatapi.com is accepted and not used.',
  commands: [
    {
      usage: '/meow(vie) [CATegory]',
      description: `Add a cat image to the issue or PR. Categories: ${CAT_CATEGORIES.join(', ')} (and \`grumpy\`).`,
      examples: ['/meow', '/meow caturday', '/meowvie clothes'],
      who: 'Anyone',
    },
  ],
})
  .settings(catSection)
  .onComment(async ({ comment, issue, log }) => {
    if (comment.action !== 'created') return;
    const request = catRequest(comment.body);
    if (!request) return;
    log.info('replying with a cat', { number: comment.number, by: comment.author, category: request.category });
    await issue.createComment(replyTo(comment, catReply(request, commentSeed(comment))));
  });
