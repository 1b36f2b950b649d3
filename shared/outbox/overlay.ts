import type { CombinedStatus, CommitState, GitHubUser, Issue, IssueComment, PullRequest } from '../github/client';
import type { GitHubWrite, OutboxEntry } from '../store/outbox';

/**
 * Read your own writes: what GitHub says about an issue or pull request, with the writes still
 * waiting in the outbox for it applied on top, in the order they were enqueued. A plugin deciding
 * from this sees the state its earlier writes will leave, so `/hold` then `/hold cancel` (or a label
 * added by one event and removed by the next) works however long the writes wait. Pure functions:
 * the GitHub answer and the unsent entries are read by the caller (shared/outbox/github.ts).
 */

type WriteOf<Kind extends GitHubWrite['kind']> = Extract<GitHubWrite, { kind: Kind }>;

function writesOf<Kind extends GitHubWrite['kind']>(entries: readonly OutboxEntry[], kinds: readonly Kind[]): WriteOf<Kind>[] {
  return entries.map((entry) => entry.write).filter((write): write is WriteOf<Kind> => (kinds as readonly string[]).includes(write.kind));
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Label names after the pending label writes; GitHub's label names ignore case. */
export function overlayLabels(labels: readonly string[], entries: readonly OutboxEntry[]): string[] {
  let result = [...labels];
  for (const write of writesOf(entries, ['addLabel', 'removeLabel'])) {
    const present = result.some((name) => sameName(name, write.label));
    if (write.kind === 'addLabel' && !present) result.push(write.label);
    if (write.kind === 'removeLabel') result = result.filter((name) => !sameName(name, write.label));
  }
  return result;
}

/** People after pending add/remove writes of one kind (assignees, or requested reviewers). */
function overlayPeople(
  people: readonly GitHubUser[],
  entries: readonly OutboxEntry[],
  add: 'addAssignee' | 'requestReviewer',
  remove: 'removeAssignee' | 'removeRequestedReviewer',
): GitHubUser[] {
  let result = [...people];
  for (const write of writesOf(entries, [add, remove])) {
    const present = result.some((user) => sameName(user.login, write.login));
    if (write.kind === add && !present) result.push({ login: write.login });
    if (write.kind === remove) result = result.filter((user) => !sameName(user.login, write.login));
  }
  return result;
}

/** The last pending title, state and description, if any. */
function overlayIssueFields<T extends { title: string; state: 'open' | 'closed'; body: string | null }>(target: T, entries: readonly OutboxEntry[]): T {
  const result = { ...target };
  for (const write of writesOf(entries, ['setTitle', 'setState', 'setBody'])) {
    if (write.kind === 'setTitle') result.title = write.title;
    else if (write.kind === 'setBody') result.body = write.body;
    else result.state = write.state;
  }
  return result;
}

export function overlayIssue(issue: Issue, entries: readonly OutboxEntry[]): Issue {
  return {
    ...overlayIssueFields(issue, entries),
    labels: overlayLabels(
      issue.labels.map((label) => label.name),
      entries,
    ).map((name) => ({ name })),
    assignees: overlayPeople(issue.assignees, entries, 'addAssignee', 'removeAssignee'),
  };
}

export function overlayPullRequest(pull: PullRequest, entries: readonly OutboxEntry[]): PullRequest {
  return {
    ...overlayIssueFields(pull, entries),
    labels: overlayLabels(
      pull.labels.map((label) => label.name),
      entries,
    ).map((name) => ({ name })),
    assignees: overlayPeople(pull.assignees ?? [], entries, 'addAssignee', 'removeAssignee'),
    requested_reviewers: overlayPeople(pull.requested_reviewers ?? [], entries, 'requestReviewer', 'removeRequestedReviewer'),
  };
}

/**
 * Comments after the pending comment writes: a comment still to be created appears, as the bot's,
 * under its placeholder ID (negative: never one of GitHub's), so a later edit or delete of it can
 * be coalesced with the creation; pending edits show their text; pending deletes hide.
 */
export function overlayComments(comments: readonly IssueComment[], entries: readonly OutboxEntry[], botLogin: string): IssueComment[] {
  let result = [...comments];
  for (const entry of entries) {
    const write = entry.write;
    if (write.kind === 'createComment' && entry.placeholderId !== undefined) {
      // Already created (and so in GitHub's list) when the writer stopped before settling it.
      if (entry.commentId !== undefined && result.some((comment) => comment.id === entry.commentId)) continue;
      const at = new Date(entry.enqueuedAt).toISOString();
      result.push({ id: entry.placeholderId, body: write.body, user: { login: botLogin, type: 'Bot' }, created_at: at, updated_at: at });
    } else if (write.kind === 'editComment') {
      result = result.map((comment) =>
        comment.id === write.commentId ? { ...comment, body: write.body, updated_at: new Date(entry.enqueuedAt).toISOString() } : comment,
      );
    } else if (write.kind === 'deleteComment') {
      result = result.filter((comment) => comment.id !== write.commentId);
    }
  }
  return result;
}

/** A commit's combined status with the pending statuses in place of the ones they supersede. */
export function overlayCombinedStatus(combined: CombinedStatus, entries: readonly OutboxEntry[]): CombinedStatus {
  const pending = writesOf(entries, ['createStatus']);
  if (pending.length === 0) return combined;
  const statuses = [...combined.statuses];
  for (const write of pending) {
    const status = {
      state: write.state,
      context: write.context,
      ...(write.description !== undefined ? { description: write.description } : {}),
      ...(write.targetUrl !== undefined ? { target_url: write.targetUrl } : {}),
    };
    const index = statuses.findIndex((existing) => existing.context === write.context);
    if (index >= 0) statuses[index] = status;
    else statuses.push(status);
  }
  return { ...combined, statuses, state: combinedState(statuses.map((status) => status.state)) };
}

/** GitHub's rule: failure if any context failed or errored, else pending if any is (or none is there), else success. */
function combinedState(states: readonly CommitState[]): CommitState {
  if (states.some((state) => state === 'failure' || state === 'error')) return 'failure';
  if (states.length === 0 || states.includes('pending')) return 'pending';
  return 'success';
}
