import { commandLines } from './comment-event';
import { hasLabel } from './label';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's lifecycle plugin (pkg/plugins/lifecycle): `/lifecycle <state>` keeps one `lifecycle/*`
 * label on an issue or PR, and `/close` and `/reopen` change its state. Closing and reopening are
 * for the author and repository collaborators — except that anyone may close an issue or PR that
 * has gone stale or rotten, so that triage can clean up.
 */

export const LIFECYCLE_STATES = ['active', 'frozen', 'stale', 'rotten'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];
const LIFECYCLE_LABELS = LIFECYCLE_STATES.map((state) => `lifecycle/${state}`);
const FROZEN_LABEL = 'lifecycle/frozen';
const INACTIVE_LABELS = ['lifecycle/stale', 'lifecycle/rotten'];

const LIFECYCLE_COMMAND = /^\/(remove-)?lifecycle (active|frozen|stale|rotten)\s*$/i;
const CLOSE_COMMAND = /^\/close\s*$/i;
const CLOSE_NOT_PLANNED_COMMAND = /^\/close not-planned\s*$/i;
const REOPEN_COMMAND = /^\/reopen\s*$/i;

export interface LifecycleRequest {
  label: string;
  remove: boolean;
}

export function lifecycleRequests(body: string): LifecycleRequest[] {
  return commandLines(body).flatMap((line) => {
    const match = LIFECYCLE_COMMAND.exec(line);
    return match ? [{ label: `lifecycle/${(match[2] ?? '').toLowerCase()}`, remove: match[1] !== undefined }] : [];
  });
}

export type LifecycleStep =
  | { kind: 'refuse'; message: string }
  | { kind: 'change'; add: string[]; remove: string[] };

/**
 * What each request changes, in order, each seeing the labels the previous ones left. Setting a
 * state replaces any other lifecycle label; removing one that is absent changes nothing.
 */
export function lifecycleSteps(requests: readonly LifecycleRequest[], isPR: boolean, labels: readonly string[]): LifecycleStep[] {
  let current = [...labels];
  const steps: LifecycleStep[] = [];
  for (const request of requests) {
    if (isPR && !request.remove && request.label === FROZEN_LABEL) {
      steps.push({
        kind: 'refuse',
        message: `The \`${FROZEN_LABEL}\` label is for issues; it can't be applied to pull requests.`,
      });
      continue;
    }
    const present = hasLabel(current, request.label);
    if (request.remove && present) {
      steps.push({ kind: 'change', add: [], remove: [request.label] });
      current = current.filter((name) => name.toLowerCase() !== request.label);
    } else if (!request.remove && !present) {
      const replaced = LIFECYCLE_LABELS.filter((name) => name !== request.label && hasLabel(current, name));
      steps.push({ kind: 'change', add: [request.label], remove: replaced });
      current = [...current.filter((name) => !hasLabel(replaced, name)), request.label];
    }
  }
  return steps;
}

export interface StateChangeRequest {
  isPR: boolean;
  /** Did the commenter open the issue or PR? */
  isAuthor: boolean;
  isCollaborator: boolean;
  labels: readonly string[];
}

export function hasCloseCommand(body: string): boolean {
  return commandLines(body).some((line) => CLOSE_COMMAND.test(line) || CLOSE_NOT_PLANNED_COMMAND.test(line));
}

export function hasReopenCommand(body: string): boolean {
  return commandLines(body).some((line) => REOPEN_COMMAND.test(line));
}

export type CloseDecision =
  | { kind: 'refuse'; message: string }
  | { kind: 'close'; notPlanned: boolean; message: string };

/** `/close` or `/close not-planned` on an open issue or PR, or undefined when the comment has neither. */
export function closeDecision(body: string, request: StateChangeRequest): CloseDecision | undefined {
  if (!hasCloseCommand(body)) return undefined;
  const notPlanned = commandLines(body).some((line) => CLOSE_NOT_PLANNED_COMMAND.test(line));
  const inactive = INACTIVE_LABELS.some((name) => hasLabel(request.labels, name));
  if (!request.isAuthor && !request.isCollaborator && !inactive) {
    return {
      kind: 'refuse',
      message: 'Only its author or a collaborator on this repository can close an active issue or PR (one that is not `lifecycle/stale` or `lifecycle/rotten`).',
    };
  }
  if (request.isPR) {
    if (notPlanned) return { kind: 'refuse', message: 'Only issues can be closed as not planned; use `/close` for a pull request.' };
    return { kind: 'close', notPlanned: false, message: 'PR closed.' };
  }
  return notPlanned
    ? { kind: 'close', notPlanned: true, message: 'Issue closed as not planned.' }
    : { kind: 'close', notPlanned: false, message: 'Issue closed.' };
}

export type ReopenDecision = { kind: 'refuse'; message: string } | { kind: 'reopen'; message: string };

/** `/reopen` on a closed issue or PR, or undefined when the comment has none. */
export function reopenDecision(body: string, request: Omit<StateChangeRequest, 'labels'>): ReopenDecision | undefined {
  if (!hasReopenCommand(body)) return undefined;
  if (!request.isAuthor && !request.isCollaborator) {
    return {
      kind: 'refuse',
      message: 'Only its author or a collaborator on this repository can reopen an issue or PR.',
    };
  }
  return { kind: 'reopen', message: request.isPR ? 'PR reopened.' : 'Issue reopened.' };
}

export const lifecycle = definePlugin('lifecycle', {
  description:
    'Marks issues and PRs as active, frozen, stale or rotten with a `lifecycle/*` label (one at a time), and closes or reopens them on request.',
  commands: [
    {
      usage: '/close [not-planned]',
      description:
        'Closes the issue or PR. `/close not-planned` is for issues that will not be worked on.',
      examples: ['/close', '/close not-planned'],
      who: 'The author and collaborators on the repository; anyone, once the issue or PR is `lifecycle/stale` or `lifecycle/rotten`.',
    },
    {
      usage: '/reopen',
      description: 'Reopens a closed issue or PR.',
      examples: ['/reopen'],
      who: 'The author and collaborators on the repository.',
    },
    {
      usage: '/[remove-]lifecycle <active|frozen|stale|rotten>',
      description:
        'Sets the `lifecycle/<state>` label, replacing any other lifecycle label, or removes it. Pull requests cannot be frozen.',
      examples: ['/lifecycle frozen', '/lifecycle stale', '/remove-lifecycle stale'],
      who: 'Anyone.',
    },
  ],
}).onComment(async ({ comment, issue, repository, log }) => {
  if (comment.action !== 'created') return;
  const { number } = comment;
  const reply = (message: string) => issue.createComment(replyTo(comment, message));
  const isAuthor = comment.issueAuthor.toLowerCase() === comment.author.toLowerCase();
  const isCollaborator = async () => {
    try {
      return await repository.isCollaborator(comment.author);
    } catch (error) {
      log.error(`could not tell whether ${comment.author} is a collaborator; treating them as not one`, { error });
      return false;
    }
  };

  if (comment.issueState === 'closed' && hasReopenCommand(comment.body)) {
    const decision = reopenDecision(comment.body, { isPR: comment.isPR, isAuthor, isCollaborator: await isCollaborator() });
    if (decision?.kind === 'refuse') {
      await reply(decision.message);
    } else if (decision) {
      // The reply goes out once GitHub took the change: a confirmation, or why GitHub would not
      // (for example a PR whose branch is gone).
      await issue.updateIssue(
        { state: 'open' },
        {
          confirmation: replyTo(comment, decision.message),
          refusalNotice: replyTo(comment, `GitHub would not reopen this ${comment.isPR ? 'PR' : 'issue'}: {{error}}`),
        },
      );
      log.info(`reopening for ${comment.author}`, { number });
    }
  }

  if (comment.issueState === 'open' && hasCloseCommand(comment.body)) {
    let labels: string[] = [];
    try {
      labels = await issue.listIssueLabels();
    } catch (error) {
      // Without the labels the issue counts as active: only the author and collaborators may close it.
      log.warn('could not read the labels; treating the issue as active', { error });
    }
    const decision = closeDecision(comment.body, {
      isPR: comment.isPR,
      isAuthor,
      isCollaborator: await isCollaborator(),
      labels,
    });
    if (decision?.kind === 'refuse') {
      await reply(decision.message);
    } else if (decision) {
      // As Prow does, an issue is closed with its reason said outright; a PR has no reason to give.
      await issue.updateIssue(
        comment.isPR ? { state: 'closed' } : { state: 'closed', stateReason: decision.notPlanned ? 'not_planned' : 'completed' },
      );
      log.info(`closed by ${comment.author}`, { number, notPlanned: decision.notPlanned });
      await reply(decision.message);
    }
  }

  const requests = lifecycleRequests(comment.body);
  if (requests.length === 0) return;
  const steps = lifecycleSteps(requests, comment.isPR, await issue.listIssueLabels());
  for (const step of steps) {
    if (step.kind === 'refuse') {
      await reply(step.message);
      continue;
    }
    for (const name of step.remove) await issue.removeLabel(name);
    if (step.add.length > 0) await issue.addLabels(step.add);
  }
});

