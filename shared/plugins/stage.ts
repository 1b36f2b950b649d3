import { definePlugin } from './plugin';
import { hasLabel } from './label';

/**
 * stage (Prow's pkg/plugins/stage): marks where a feature stands in its lifecycle, alpha, beta or
 * stable, with one `stage/*` label at a time.
 */

export const STAGE_LABELS = ['stage/alpha', 'stage/beta', 'stage/stable'] as const;

/** Prow's command: a whole line, one stage and nothing else after it. */
const STAGE_COMMAND = /^\/(remove-)?stage (alpha|beta|stable)\s*$/gim;

export interface StageRequest {
  remove: boolean;
  label: string;
}

/** Every stage command of a comment, in order. */
export function stageRequests(body: string): StageRequest[] {
  return [...body.matchAll(STAGE_COMMAND)].map((match) => ({
    remove: match[1] !== undefined,
    label: `stage/${(match[2] ?? '').toLowerCase()}`,
  }));
}

/**
 * The labels to remove and add for one request: removing drops the label if present; adding a
 * stage the issue lacks replaces whichever other stage it has.
 */
export function stageChanges(request: StageRequest, labels: readonly string[]): { remove: string[]; add: string[] } {
  const present = hasLabel(labels, request.label);
  if (request.remove) return { remove: present ? [request.label] : [], add: [] };
  if (present) return { remove: [], add: [] };
  const others = STAGE_LABELS.filter((label) => label !== request.label && hasLabel(labels, label));
  return { remove: others, add: [request.label] };
}

export const stage = definePlugin('stage', {
  description: 'Labels the stage of an issue or pull request as alpha, beta or stable.',
  commands: [
    {
      usage: '/[remove-]stage <alpha|beta|stable>',
      description: 'Labels the stage of an issue as alpha/beta/stable, replacing any other stage label; `/remove-stage` takes it off.',
      examples: ['/stage alpha', '/remove-stage alpha'],
      who: 'Anyone can trigger this command.',
    },
  ],
}).onComment(async ({ comment, issue, log }) => {
  if (comment.action !== 'created') return;
  for (const request of stageRequests(comment.body)) {
    // Read afresh for each command: the one before may have changed them.
    const { remove, add } = stageChanges(request, await issue.listIssueLabels());
    for (const label of remove) {
      log.info(`removing ${label}`, { number: issue.number, by: comment.author });
      await issue.removeLabel(label);
    }
    if (add.length > 0) {
      log.info(`adding ${add.join(', ')}`, { number: issue.number, by: comment.author });
      await issue.addLabels(add);
    }
  }
});
