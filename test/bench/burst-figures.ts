import type { OutboxEntry } from '../../shared/store/outbox';
import type { WriteWindow } from '../../shared/outbox/pace';
import { requestKindOf } from '../../shared/outbox/join';
import type { RecordedRequest } from '../support/fake-github';

/**
 * The burst bench's arithmetic, apart from driving the system (burst.bench.ts): which outbox
 * entries went out in one request, the least time GitHub's limits allow for those requests, and
 * which of the requests GitHub received repeated an effect it already had.
 */

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** One request the writer made: the entries it carried, as the outbox recorded them. */
export interface SentRequest {
  entries: OutboxEntry[];
  /** The last of its entries' enqueue times: the request as sent could not exist before it. */
  releasedAt: number;
  settledAt: number;
}

/**
 * The requests behind the sent entries. The writer dates each outcome by GitHub's answer to its
 * request, which becomes the entry's `settledAt`, so the entries of one request share it; requests
 * are serial and each takes the write delay, so two requests never share one (checked against
 * GitHub's count of writes by the caller).
 */
export function sentRequests(entries: readonly OutboxEntry[]): SentRequest[] {
  const byRequest = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    if (entry.state !== 'sent' || entry.settledAt === undefined) continue;
    const key = `${entry.settledAt} ${requestKindOf(entry.write)} ${entry.subject}`;
    byRequest.set(key, [...(byRequest.get(key) ?? []), entry]);
  }
  return [...byRequest.values()]
    .map((carried) => ({
      entries: carried,
      releasedAt: Math.max(...carried.map((entry) => entry.enqueuedAt)),
      settledAt: carried[0]!.settledAt!,
    }))
    .sort((a, b) => a.settledAt - b.settledAt);
}

/**
 * When the last of these requests could have been answered at the earliest: each sent no earlier
 * than it was released, one at a time, each taking `writeMs`, and never more than `max` started
 * within any sliding `ms` (GitHub counts a request when it arrives). All requests take the same
 * time, so sending them in release order, each as early as allowed, finishes first: any schedule's
 * k-th request starts no earlier than this one's.
 */
export function earliestFinish(releases: readonly number[], writeMs: number, windows: readonly WriteWindow[]): number {
  const starts: number[] = [];
  let free = -Infinity;
  for (const release of [...releases].sort((a, b) => a - b)) {
    let start = Math.max(release, free);
    for (const window of windows) {
      const blocking = starts[starts.length - window.max];
      if (blocking !== undefined) start = Math.max(start, blocking + window.ms);
    }
    starts.push(start);
    free = start + writeMs;
  }
  return free;
}

/** Effects GitHub was asked for again while it already had them, by kind, with a few examples. */
export interface DuplicatedEffects {
  comments: number;
  labels: number;
  assignees: number;
  statuses: number;
  examples: string[];
}

const COMMENT = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/;
const LABELS = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/labels$/;
const LABEL = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/labels\/([^/]+)$/;
const ASSIGNEES = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/assignees$/;
const STATUS = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/;

/**
 * From the writes GitHub took (2xx), in the order it took them (the writer is serial): a comment
 * body posted twice on one issue; a label added while the issue had it (added before, not removed
 * since); a person assigned while assigned; a commit status identical in state, description and
 * link to one already set for its commit and context. A status differing only in its link points
 * at a newer run of the job, and is not counted.
 */
export function duplicatedEffects(requests: readonly RecordedRequest[]): DuplicatedEffects {
  const found: DuplicatedEffects = { comments: 0, labels: 0, assignees: 0, statuses: 0, examples: [] };
  const note = (kind: Exclude<keyof DuplicatedEffects, 'examples'>, example: string) => {
    found[kind]++;
    if (found.examples.length < 5) found.examples.push(example);
  };
  const comments = new Set<string>();
  const labels = new Map<string, Set<string>>();
  const assignees = new Map<string, Set<string>>();
  const statuses = new Set<string>();
  const setOf = (sets: Map<string, Set<string>>, issue: string) => {
    let set = sets.get(issue);
    if (!set) sets.set(issue, (set = new Set()));
    return set;
  };
  for (const request of requests) {
    if (request.status < 200 || request.status >= 300) continue;
    const body = (request.body ?? {}) as Record<string, unknown>;
    let match: RegExpExecArray | null;
    if (request.method === 'POST' && (match = COMMENT.exec(request.path))) {
      const key = `${match[1]}#${match[2]} ${String(body['body'])}`;
      if (comments.has(key)) note('comments', `comment on ${match[1]}#${match[2]}: ${String(body['body']).slice(0, 60)}`);
      comments.add(key);
    } else if (request.method === 'POST' && (match = LABELS.exec(request.path))) {
      const issue = `${match[1]}#${match[2]}`;
      const present = setOf(labels, issue);
      for (const label of (body['labels'] as string[] | undefined) ?? []) {
        if (present.has(label.toLowerCase())) note('labels', `label ${label} on ${issue}`);
        present.add(label.toLowerCase());
      }
    } else if (request.method === 'DELETE' && (match = LABEL.exec(request.path))) {
      setOf(labels, `${match[1]}#${match[2]}`).delete(decodeURIComponent(match[3]!).toLowerCase());
    } else if ((match = ASSIGNEES.exec(request.path))) {
      const issue = `${match[1]}#${match[2]}`;
      const present = setOf(assignees, issue);
      for (const login of (body['assignees'] as string[] | undefined) ?? []) {
        if (request.method === 'DELETE') present.delete(login.toLowerCase());
        else if (request.method === 'POST') {
          if (present.has(login.toLowerCase())) note('assignees', `assignee ${login} on ${issue}`);
          present.add(login.toLowerCase());
        }
      }
    } else if (request.method === 'POST' && (match = STATUS.exec(request.path))) {
      const key = JSON.stringify([match[1], match[2], body['context'], body['state'], body['description'] ?? null, body['target_url'] ?? null]);
      if (statuses.has(key)) note('statuses', `status ${String(body['context'])}=${String(body['state'])} on ${match[1]}@${(match[2] ?? "").slice(0, 7)}`);
      statuses.add(key);
    }
  }
  return found;
}
