import type { GitHubWrite, OutboxEntry } from '../store/outbox';

/**
 * Outbox entries are one label or one person each, so that coalescing can cancel exactly what a
 * later write undoes; GitHub takes several of them in one request. Joining them back saves
 * requests, and so room in GitHub's secondary limits, which count requests, not labels.
 *
 * What GitHub's REST API takes in one request, for one issue or pull request:
 * - labels to add: `POST .../issues/{n}/labels` (labels are removed one per request);
 * - assignees to add, or to remove: `POST` / `DELETE .../issues/{n}/assignees`;
 * - reviewers (people and teams) to request, or to withdraw: `POST` / `DELETE .../requested_reviewers`;
 * - title, state and milestone: one `PATCH .../issues/{n}`.
 * Comments and commit statuses are one request each.
 */

/** One request to GitHub: its entries, all of one kind of request and one issue or commit. */
export interface OutboxRequest {
  /** What the request does, by the first entry's write (a title and state PATCH is `updateIssue`). */
  kind: RequestKind;
  entries: OutboxEntry[];
}

export type RequestKind =
  | 'addLabels'
  | 'removeLabel'
  | 'addAssignees'
  | 'removeAssignees'
  | 'requestReviewers'
  | 'removeRequestedReviewers'
  | 'updateIssue'
  | 'createComment'
  | 'editComment'
  | 'deleteComment'
  | 'createReaction'
  | 'createStatus'
  | 'createReview';

const REQUEST_KIND: Record<GitHubWrite['kind'], RequestKind> = {
  addLabel: 'addLabels',
  removeLabel: 'removeLabel',
  addAssignee: 'addAssignees',
  removeAssignee: 'removeAssignees',
  requestReviewer: 'requestReviewers',
  removeRequestedReviewer: 'removeRequestedReviewers',
  setTitle: 'updateIssue',
  setBody: 'updateIssue',
  setState: 'updateIssue',
  setMilestone: 'updateIssue',
  createComment: 'createComment',
  editComment: 'editComment',
  deleteComment: 'deleteComment',
  createReaction: 'createReaction',
  createStatus: 'createStatus',
  createReview: 'createReview',
};

const JOINABLE: ReadonlySet<RequestKind> = new Set([
  'addLabels',
  'addAssignees',
  'removeAssignees',
  'requestReviewers',
  'removeRequestedReviewers',
  'updateIssue',
]);

export function requestKindOf(write: GitHubWrite): RequestKind {
  return REQUEST_KIND[write.kind];
}

/**
 * The requests that send `entries` (in the order `take` gave them: best first), each request at
 * the place of its first entry. An entry joins an earlier request of its kind and issue unless an
 * entry between the two writes the same resource: then moving it forward would reorder two writes
 * to one label or person (an add left by a stopped writer, and a later remove), so it waits for a
 * request of its own.
 */
export function joinIntoRequests(entries: readonly OutboxEntry[]): OutboxRequest[] {
  const requests: { request: OutboxRequest; key: string | undefined; from: number }[] = [];
  entries.forEach((entry, position) => {
    const kind = requestKindOf(entry.write);
    const key = JOINABLE.has(kind) ? `${kind} ${entry.subject}` : undefined;
    const joinable = key === undefined ? undefined : requests.findLast((candidate) => candidate.key === key);
    const crossed = joinable ? entries.slice(joinable.from + 1, position).some((between) => between.resource === entry.resource) : true;
    if (joinable && !crossed) {
      joinable.request.entries.push(entry);
      return;
    }
    requests.push({ request: { kind, entries: [entry] }, key, from: position });
  });
  return requests.map((candidate) => candidate.request);
}

/** Names as GitHub compares them (case-insensitively), each once, first spelling kept. */
export function distinctNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
