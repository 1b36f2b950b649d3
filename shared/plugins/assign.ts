import type { Logger } from '../log/logger';
import { commandLines, type CommentEvent } from './comment-event';
import type { IssueHandle } from './handles';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's assign plugin (pkg/plugins/assign): `/assign` and `/unassign` manage an issue's or PR's
 * assignees, `/cc` and `/uncc` a PR's requested reviewers. Without names they act on the
 * commenter. Anyone may use them; GitHub itself refuses people who cannot be assigned or asked
 * for a review, and the commenter is told who was refused.
 */

/** Prow's grammar: single spaces between logins, an optional @ before each. */
const ASSIGN_COMMAND = /^\/(un)?assign((?: @?[-\w]+)*)\s*$/i;
/** `/cc` also takes teams ("org/team") and tolerates several spaces between names. */
const REVIEW_COMMAND = /^\/(un)?cc((?: +@?[-/\w]+)*)\s*$/i;

export interface PeopleChanges {
  add: string[];
  remove: string[];
}

/**
 * The people a comment's commands add and remove. When one person is named by several commands,
 * the last one wins (`/assign @a` then `/unassign @a` leaves @a unassigned).
 */
export function peopleChanges(commands: RegExp, body: string, commenter: string): PeopleChanges | undefined {
  const wanted = new Map<string, { login: string; add: boolean }>();
  let matched = false;
  for (const line of commandLines(body)) {
    const match = commands.exec(line);
    if (!match) continue;
    matched = true;
    const add = match[1] === undefined;
    const named = (match[2] ?? '')
      .split(' ')
      .map((word) => word.replace(/^[@ ]+|[@ ]+$/g, ''))
      .filter((login) => login !== '');
    for (const login of named.length > 0 ? named : [commenter]) {
      const key = login.toLowerCase();
      wanted.delete(key);
      wanted.set(key, { login, add });
    }
  }
  if (!matched) return undefined;
  const people = [...wanted.values()];
  return {
    add: people.filter((person) => person.add).map((person) => person.login),
    remove: people.filter((person) => !person.add).map((person) => person.login),
  };
}

export function assignmentChanges(body: string, commenter: string): PeopleChanges | undefined {
  return peopleChanges(ASSIGN_COMMAND, body, commenter);
}

export function reviewRequestChanges(body: string, commenter: string): PeopleChanges | undefined {
  return peopleChanges(REVIEW_COMMAND, body, commenter);
}

/** Those of `requested` that are not in `present`, compared as GitHub compares logins. */
export function missingLogins(requested: readonly string[], present: readonly string[]): string[] {
  const there = new Set(present.map((login) => login.toLowerCase()));
  return requested.filter((login) => !there.has(login.toLowerCase()));
}

export function assignRefusal(org: string, refused: readonly string[]): string {
  return [
    `GitHub did not let me assign: ${refused.join(', ')}.`,
    '',
    `Only [${org} organization members](https://github.com/orgs/${org}/people) with read access, collaborators on this repository and people who have commented here can be assigned, and there can be at most 10 assignees at a time.`,
  ].join('\n');
}

export function reviewRefusal(org: string, refused: readonly string[]): string {
  return [
    `GitHub did not let me request a review from: ${refused.join(', ')}.`,
    '',
    `Reviews can only be requested from [${org} organization members](https://github.com/orgs/${org}/people) and collaborators on this repository, and never from the PR's own author.`,
  ].join('\n');
}

interface Target {
  issue: IssueHandle;
  org: string;
  comment: CommentEvent;
  log: Logger;
}

/** How a refusal notice names the people GitHub refused; the writer fills it in (PeopleWriteOptions). */
const REFUSED = '{{logins}}';

async function applyAssignments({ issue, org, comment, log }: Target, changes: PeopleChanges): Promise<void> {
  if (changes.remove.length > 0) {
    log.info('unassigning', { number: comment.number, logins: changes.remove, by: comment.author });
    await issue.removeAssignees(changes.remove);
  }
  if (changes.add.length === 0) return;
  log.info('assigning', { number: comment.number, logins: changes.add, by: comment.author });
  await issue.addAssignees(changes.add, { refusalNotice: replyTo(comment, assignRefusal(org, [REFUSED])) });
}

async function applyReviewRequests(target: Target, changes: PeopleChanges): Promise<void> {
  const { issue, org, comment, log } = target;
  if (changes.remove.length > 0) {
    log.info('withdrawing review requests', { number: comment.number, logins: changes.remove, by: comment.author });
    await issue.removeRequestedReviewers(changes.remove);
  }
  if (changes.add.length === 0) return;
  log.info('requesting reviews', { number: comment.number, logins: changes.add, by: comment.author });
  await issue.requestReviewers(changes.add, { refusalNotice: replyTo(comment, reviewRefusal(org, [REFUSED])) });
}

export const assign = definePlugin('assign', {
  description:
    'Assigns people to issues and PRs (`/assign`) and requests reviews from people or teams on PRs (`/cc`). Without names, the commands act on the person commenting. Prefixing a command with "un" (`/unassign`, `/uncc`) undoes it. When GitHub refuses someone, the commenter is told who and why.',
  commands: [
    {
      usage: '/[un]assign [[@]<username>…]',
      description: 'Assigns (or unassigns) the named people, or the commenter when nobody is named.',
      examples: ['/assign', '/unassign', '/assign @octocat', '/assign octocat hubot', '/unassign @octocat'],
      who: 'Anyone, on issues and PRs. The people assigned must be org members, collaborators on the repository, or have commented on the issue or PR.',
      featured: true,
    },
    {
      usage: '/[un]cc [[@]<username>…|[@]<org>/<team>…]',
      description: 'Requests (or withdraws the request for) a review from the named people or teams, or from the commenter when nobody is named.',
      examples: ['/cc', '/uncc', '/cc @octocat', '/cc octocat hubot', '/cc @acme/reviewers'],
      who: "Anyone, on PRs. The reviewers must be org members or collaborators on the repository, and not the PR's author.",
      featured: true,
    },
  ],
}).onComment(async ({ comment, issue, org, log }) => {
  if (comment.action !== 'created') return;
  const target: Target = { issue, org, comment, log };
  const assignments = assignmentChanges(comment.body, comment.author);
  const reviews = comment.isPR ? reviewRequestChanges(comment.body, comment.author) : undefined;
  // Assigning and requesting reviews are independent: one failing must not stop the other.
  const outcomes = await Promise.allSettled([
    assignments ? applyAssignments(target, assignments) : Promise.resolve(),
    reviews ? applyReviewRequests(target, reviews) : Promise.resolve(),
  ]);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
});
