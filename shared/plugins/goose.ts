import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { GEESE } from './fun/geese';
import { artBlock, commentSeed, pickBySeed } from './fun/pick';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's goose plugin (pkg/plugins/goose): `/honk` gets a goose picture in reply. Prow asks
 * unsplash.com; Cutwater draws from its own geese (shared/plugins/fun/geese.ts).
 */

/**
 * Prow's `goose:` section names the file holding an unsplash.com key. Cutwater calls no image API,
 * so it reads nothing from it, but a plugins.yaml written for Prow keeps loading.
 */
export const GooseSettingsSchema = z.object({ key_path: z.string().optional() });
export const gooseSection = pluginSection('goose', GooseSettingsSchema);

const HONK_COMMAND = /^\/(honk)\s*$/im;

export function wantsGoose(body: string): boolean {
  return HONK_COMMAND.test(body);
}

export function gooseFor(seed: number): string {
  return pickBySeed(GEESE, seed);
}

export const goose = definePlugin('goose', {
  description: 'The goose plugin adds a goose image to an issue or PR in response to the `/honk` command.',
  config: 'The goose plugin draws its geese from a collection shipped with Cutwater; the `goose.key_path` Prow reads for unsplash.com is accepted and not used.',
  commands: [
    {
      usage: '/honk',
      description: 'Add a goose image to the issue or PR',
      examples: ['/honk'],
      who: 'Anyone',
    },
  ],
})
  .settings(gooseSection)
  .onComment(async ({ comment, issue, log }) => {
    if (comment.action !== 'created' || !wantsGoose(comment.body)) return;
    log.info('honk', { number: comment.number, by: comment.author });
    await issue.createComment(replyTo(comment, artBlock(gooseFor(commentSeed(comment)))));
  });
