import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { commandLines } from './comment-event';
import { hasLabel } from './label';
import { deleteBotComments } from '../github/membership';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's help plugin (pkg/plugins/help): anyone may mark an open issue as wanting help
 * (`help wanted`) or as a good first issue (`good first issue`, which implies `help wanted`).
 * Marking it posts the guidelines such issues should meet; unmarking it deletes that comment.
 */

export const HELP_WANTED_LABEL = 'help wanted';
export const GOOD_FIRST_ISSUE_LABEL = 'good first issue';
export const DEFAULT_HELP_GUIDELINES_URL = 'https://git.k8s.io/community/contributors/guide/help-wanted.md';

/** The first sentence of each guidelines comment; it finds the comment again when the label goes. */
export const HELP_WANTED_MARKER = 'This issue has been marked as looking for a contributor.';
export const GOOD_FIRST_ISSUE_MARKER = 'This issue has been marked as a good first issue for new contributors.';
/** Prow's first sentences (pkg/plugins/help), matched so its comments are pruned too when the label goes; never posted. */
const PROW_HELP_WANTED_MARKER = 'This request has been marked as needing help from a contributor.';
const PROW_GOOD_FIRST_ISSUE_MARKER = 'This request has been marked as suitable for new contributors.';

/** Is this the guidelines comment posted for `kind` (ours or Prow's)? */
export function isGuidelinesComment(kind: Guidelines, body: string): boolean {
  const markers = kind === 'help' ? [HELP_WANTED_MARKER, PROW_HELP_WANTED_MARKER] : [GOOD_FIRST_ISSUE_MARKER, PROW_GOOD_FIRST_ISSUE_MARKER];
  return markers.some((marker) => body.includes(marker));
}

const HELP_COMMAND = /^\/help\s*$/i;
const REMOVE_HELP_COMMAND = /^\/remove-help\s*$/i;
const GOOD_FIRST_ISSUE_COMMAND = /^\/good-first-issue\s*$/i;
const REMOVE_GOOD_FIRST_ISSUE_COMMAND = /^\/remove-good-first-issue\s*$/i;

export type Guidelines = 'help' | 'good-first-issue';

export interface HelpAction {
  add: string[];
  remove: string[];
  /** The guidelines comment to post. */
  post?: Guidelines;
  /** The guidelines comments to delete. */
  prune: Guidelines[];
}

/**
 * What the comment does to an issue with these labels. As in Prow, one command takes effect, in
 * this order: removing help (which also removes good-first-issue), adding good-first-issue (which
 * also adds help), adding help, removing good-first-issue.
 */
export function helpAction(body: string, labels: readonly string[]): HelpAction | undefined {
  const lines = commandLines(body);
  const says = (command: RegExp) => lines.some((line) => command.test(line));
  const wantsHelp = hasLabel(labels, HELP_WANTED_LABEL);
  const goodFirst = hasLabel(labels, GOOD_FIRST_ISSUE_LABEL);
  if (wantsHelp && says(REMOVE_HELP_COMMAND)) {
    return goodFirst
      ? { add: [], remove: [HELP_WANTED_LABEL, GOOD_FIRST_ISSUE_LABEL], prune: ['help', 'good-first-issue'] }
      : { add: [], remove: [HELP_WANTED_LABEL], prune: ['help'] };
  }
  if (!goodFirst && says(GOOD_FIRST_ISSUE_COMMAND)) {
    return {
      add: wantsHelp ? [GOOD_FIRST_ISSUE_LABEL] : [GOOD_FIRST_ISSUE_LABEL, HELP_WANTED_LABEL],
      remove: [],
      post: 'good-first-issue',
      prune: [],
    };
  }
  if (!wantsHelp && says(HELP_COMMAND)) return { add: [HELP_WANTED_LABEL], remove: [], post: 'help', prune: [] };
  if (goodFirst && says(REMOVE_GOOD_FIRST_ISSUE_COMMAND)) {
    return { add: [], remove: [GOOD_FIRST_ISSUE_LABEL], prune: ['good-first-issue'] };
  }
  return undefined;
}

/** plugins.yaml `help:`. */
export const HelpSettingsSchema = z.object({
  help_guidelines_url: z.string().optional(),
  help_guidelines_summary: z.string().optional(),
});
export type HelpSettings = z.infer<typeof HelpSettingsSchema>;

export const helpSection = pluginSection('help', HelpSettingsSchema);

/** The guidelines comment's text, with the summary from plugins.yaml when there is one. */
export function guidelinesMessage(kind: Guidelines, settings: HelpSettings | undefined): string {
  const url = settings?.help_guidelines_url || DEFAULT_HELP_GUIDELINES_URL;
  const summary = settings?.help_guidelines_summary;
  const [marker, link, removal] =
    kind === 'help'
      ? [HELP_WANTED_MARKER, url, '/remove-help']
      : [GOOD_FIRST_ISSUE_MARKER, `${url}#good-first-issue`, '/remove-good-first-issue'];
  const body = summary
    ? ['### Guidelines', summary, '', `The full requirements are described [here](${link}); please make sure this issue meets them.`]
    : [`Please make sure this issue meets [the requirements](${link}) for such issues.`];
  return [marker, '', ...body, '', `If it no longer meets them, the label can be taken off by commenting \`${removal}\`.`].join('\n');
}

export const help = definePlugin('help', {
  description: `Adds and removes the \`${HELP_WANTED_LABEL}\` and \`${GOOD_FIRST_ISSUE_LABEL}\` labels on open issues. Adding one posts the guidelines such issues should meet; removing it deletes that comment again.`,
  config:
    'Reads `help.help_guidelines_url` (the page of guidelines linked from the comment; by default the Kubernetes contributor guide\'s help-wanted page) and `help.help_guidelines_summary` (a summary shown in the comment itself).',
  commands: [
    {
      usage: '/[remove-](help|good-first-issue)',
      description: `\`/help\` adds \`${HELP_WANTED_LABEL}\`; \`/good-first-issue\` adds \`${GOOD_FIRST_ISSUE_LABEL}\` and \`${HELP_WANTED_LABEL}\`. \`/remove-help\` removes both; \`/remove-good-first-issue\` removes only \`${GOOD_FIRST_ISSUE_LABEL}\`.`,
      examples: ['/help', '/remove-help', '/good-first-issue', '/remove-good-first-issue'],
      who: 'Anyone, on open issues.',
    },
  ],
}).settings(helpSection).onComment(async ({ comment, issue, github, plugins, log }) => {
  if (comment.isPR || comment.issueState !== 'open' || comment.action !== 'created') return;
  const { number } = comment;
  const action = helpAction(comment.body, await issue.listIssueLabels());
  if (!action) return;

  if (action.post) {
    await issue.createComment(replyTo(comment, guidelinesMessage(action.post, helpSection.read(plugins))));
  }
  if (action.add.length > 0) {
    log.info('adding labels', { number, labels: action.add, by: comment.author });
    await issue.addLabels(action.add);
  }
  for (const name of action.remove) {
    log.info(`removing ${name}`, { number, by: comment.author });
    await issue.removeLabel(name);
  }
  if (action.prune.length > 0) {
    await deleteBotComments(github, issue, (body) => action.prune.some((kind) => isGuidelinesComment(kind, body)));
  }
});
