import { z } from 'zod';
import { REACTION_CONTENTS } from '../github/client';

/**
 * The GitHub write outbox: every write Cutwater makes to GitHub (labels, comments, statuses,
 * assignees, review requests, titles, open/closed) is first stored here and sent later by one
 * paced writer per installation (shared/outbox/writer.ts). Storing is fast and durable, so event
 * handlers never wait for GitHub; the writer sends at the pace GitHub's secondary limits allow,
 * across every function instance, and a write GitHub refuses for now stays until GitHub allows it.
 *
 * The store keeps it because the store already is the durable, transactional place both
 * implementations share (Firestore in the cloud, the embedded journal in local mode), and the
 * rules for what a new write does to the pending ones (idempotency, coalescing) must run inside
 * the same transaction as the insert. Those rules are pure, in shared/store/outbox-rules.ts.
 */

/** Where a write lands: one issue or pull request, or (statuses) one commit. */
const IssueTarget = { owner: z.string().min(1), repo: z.string().min(1), number: z.number().int().positive() };
const RepositoryTarget = { owner: z.string().min(1), repo: z.string().min(1) };

/**
 * One write as GitHub's REST API takes it, split per label and per person so that a later write
 * can cancel exactly the part it undoes; the writer joins writes to one issue back into one
 * request when it sends them.
 */
export const GitHubWriteSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('addLabel'), ...IssueTarget, label: z.string().min(1) }),
  z.object({ kind: z.literal('removeLabel'), ...IssueTarget, label: z.string().min(1) }),
  z.object({ kind: z.literal('addAssignee'), ...IssueTarget, login: z.string().min(1) }),
  z.object({ kind: z.literal('removeAssignee'), ...IssueTarget, login: z.string().min(1) }),
  /** `login` may be "org/team" for a team review request. */
  z.object({ kind: z.literal('requestReviewer'), ...IssueTarget, login: z.string().min(1) }),
  z.object({ kind: z.literal('removeRequestedReviewer'), ...IssueTarget, login: z.string().min(1) }),
  z.object({ kind: z.literal('setTitle'), ...IssueTarget, title: z.string() }),
  z.object({
    kind: z.literal('setState'),
    ...IssueTarget,
    state: z.enum(['open', 'closed']),
    stateReason: z.enum(['completed', 'not_planned', 'reopened']).optional(),
  }),
  /** A milestone's number, or null to clear it. */
  z.object({ kind: z.literal('setMilestone'), ...IssueTarget, milestone: z.number().int().positive().nullable() }),
  /** The whole description (a PR's "Fixes" line edited, say). */
  z.object({ kind: z.literal('setBody'), ...IssueTarget, body: z.string() }),
  z.object({ kind: z.literal('createComment'), ...IssueTarget, body: z.string() }),
  /**
   * `commentId` is GitHub's ID, or the placeholder (a negative number) that readers saw for a
   * comment still in the outbox; the writer resolves a placeholder to the ID GitHub gave.
   */
  z.object({ kind: z.literal('editComment'), ...IssueTarget, commentId: z.number().int(), body: z.string() }),
  z.object({ kind: z.literal('deleteComment'), ...IssueTarget, commentId: z.number().int() }),
  /** On the issue itself, or on one of its comments when `commentId` is set. */
  z.object({
    kind: z.literal('createReaction'),
    ...IssueTarget,
    commentId: z.number().int().positive().optional(),
    content: z.enum(REACTION_CONTENTS),
  }),
  z.object({
    kind: z.literal('createStatus'),
    ...RepositoryTarget,
    sha: z.string().min(1),
    context: z.string().min(1),
    state: z.enum(['error', 'failure', 'pending', 'success']),
    description: z.string().nullable().optional(),
    targetUrl: z.string().nullable().optional(),
  }),
  /** A pull request review, with comments on lines of the diff (`position` as GitHub counts it). */
  z.object({
    kind: z.literal('createReview'),
    ...IssueTarget,
    body: z.string(),
    event: z.enum(['COMMENT', 'REQUEST_CHANGES', 'APPROVE']),
    commitId: z.string().min(1).optional(),
    comments: z.array(z.object({ path: z.string().min(1), body: z.string(), position: z.number().int().positive() })),
  }),
]);
export type GitHubWrite = z.infer<typeof GitHubWriteSchema>;
export type GitHubWriteKind = GitHubWrite['kind'];

/**
 * Sending order across subjects: commit statuses and labels (what merging is gated on) first,
 * then people and issue state, then comments, which only inform. Writes waiting longer than
 * OUTBOX_AGING_MS count as priority 0, so a steady stream of statuses cannot starve comments.
 */
export type OutboxPriority = 0 | 1 | 2;
export const OUTBOX_AGING_MS = 60_000;

/** What a caller asks to enqueue. */
export interface OutboxWriteRequest {
  /**
   * The idempotency key, unique within the installation: the same cause asking for the same
   * write again (a redelivered or re-run event, a repeated report) yields the same key, and a
   * second enqueue with a key already used is a no-op, whatever became of the first.
   */
  id: string;
  /** "token", or the GitHub App installation's ID as a decimal string. */
  installation: string;
  write: GitHubWrite;
  /**
   * Whether the write changes what GitHub shows, as far as the caller could see when deciding
   * (addLabel: the label was absent; removeLabel: present; likewise for people). A later write that
   * undoes a pending one marked so cancels it, and neither is sent. Unmarked, the later write
   * replaces the pending one instead (the state before is unknown, so only the last is sent).
   */
  changesState?: boolean;
  /**
   * For addAssignee and requestReviewer: a comment to post on the issue when GitHub refuses some of
   * the people, with `{{logins}}` replaced by them (as "a, b": named, not mentioned, so nobody is pinged). Writes of one request share it,
   * and one comment names everyone refused.
   */
  refusalNotice?: string;
  /**
   * A comment to post on the issue once GitHub took the write ("Reopened …" as an audit trail).
   * For writes other than people's, `refusalNotice` is posted instead when GitHub refuses the write
   * for good, with `{{error}}` replaced by GitHub's answer.
   */
  confirmation?: string;
  /** Where the write came from, for the logs and the health page ("delivery <id>", "report <job>"). */
  cause: string;
}

/** A request as `enqueue` checks it: callers build writes from webhook payloads, which are input. */
export const OutboxWriteRequestSchema = z.object({
  id: z.string().min(1),
  installation: z.string().min(1),
  write: GitHubWriteSchema,
  changesState: z.boolean().optional(),
  refusalNotice: z.string().optional(),
  confirmation: z.string().optional(),
  cause: z.string(),
}) satisfies z.ZodType<OutboxWriteRequest>;

export type OutboxEntryState =
  /** Waiting to be sent (from `notBefore`, when set). */
  | 'pending'
  /** Taken by a writer (`writerToken`); if that writer stops, the next one sends it again. */
  | 'sending'
  | 'sent'
  /** GitHub refused it for good (a 4xx other than rate limits); `error` says why. */
  | 'failed'
  /** Made unnecessary by a later write before it was sent (coalesced). */
  | 'cancelled';

export interface OutboxEntry extends OutboxWriteRequest {
  /** "owner/repo#number" for issue writes, "owner/repo@sha" for statuses: what readers overlay. */
  subject: string;
  /**
   * What the write sets, e.g. "owner/repo#12 label:lgtm", "owner/repo@abc status:ci/test",
   * "owner/repo#12 comment:<id>": at most one pending write per resource after coalescing.
   */
  resource: string;
  priority: OutboxPriority;
  /**
   * Store-assigned: the order writes were enqueued in. Strictly increasing among the writes to one
   * resource and among those one store instance enqueues; across instances it follows the time of
   * enqueueing (ties are ordered by key).
   */
  seq: number;
  state: OutboxEntryState;
  enqueuedAt: number;
  /** Not to be sent before this time (ms since the epoch): GitHub's Retry-After, or a backoff. */
  notBefore?: number;
  /** Send attempts so far. */
  attempts: number;
  /** The writer lease token under which it is `sending`. */
  writerToken?: number;
  /** createComment: the ID readers see until GitHub gives one (negative, derived from `id`). */
  placeholderId?: number;
  /** createComment once sent: GitHub's ID. */
  commentId?: number;
  /** When it reached sent, failed or cancelled. */
  settledAt?: number;
  /** failed: GitHub's answer. pending after a retry: the answer that made the writer wait. */
  error?: string;
  /**
   * cancelled: the ID of the write that made it unnecessary — the later write that superseded or
   * undid it, or, for a write cancelled as it arrived, the pending write it was folded into or
   * cancelled out with. A write cancelled as it arrived is still stored (settled), so that its key
   * stays used: a redelivered "remove" must not be sent after its "add" was cancelled.
   */
  cancelledBy?: string;
}

/** What an enqueue did, for the callers' logs and the ledger. */
export interface EnqueueOutcome {
  /** New entries stored to be sent (pending). Requests cancelled as they arrived are not counted here. */
  stored: number;
  /** Requests whose key was used before (nothing stored). */
  duplicates: number;
  /** Writes that will not be sent because of coalescing: cancelled pending ones plus dropped new ones. */
  saved: number;
}

/** One writer's exclusive right to send an installation's writes, fenced as job leases are. */
export interface WriterLease {
  installation: string;
  holder: string;
  /** Grows with every claim; a write carrying an older token is refused (StaleLeaseError). */
  token: number;
  expiresAt: number;
}

/**
 * How one taken entry ended, as the writer reports it. `at` is when GitHub answered, which becomes
 * the entry's `settledAt` (default: when `settle` runs): the writer settles several requests' entries
 * in one call, after the fact.
 */
export type SendOutcome =
  | { id: string; result: 'sent'; commentId?: number; at?: number }
  | { id: string; result: 'failed'; error: string; at?: number }
  /** Back to pending, not before `notBefore` (GitHub's Retry-After, a 5xx backoff). */
  | { id: string; result: 'retry'; notBefore: number; error: string };

/** What a writer asks `take` for. */
export interface TakeRequest {
  /** At most this many entries. */
  limit: number;
  /**
   * The coalescing window: an entry never taken before is handed out only once it has waited this
   * long since it was enqueued, so that a later write can still cancel or supersede it. Default 0.
   */
  coalesceWindowMs?: number;
}

export interface TakeResult {
  /** The entries taken, now `sending` under the lease, best first. */
  entries: OutboxEntry[];
  /**
   * When `take` would hand out something more, as far as the store knows now: now, when more was
   * takeable than `limit`; else when the next entry ripens out of the coalescing window, comes due
   * (`notBefore`) or the installation's block ends. Undefined when nothing is waiting. A writer
   * sleeps until then rather than asking again (writes enqueued meanwhile nudge it).
   */
  nextAt?: number;
}

/**
 * The most write requests the writer may make for one entry: its request and the writer client's
 * one quick retry of a 5xx (shared/github/octokit.ts); for a review request, twice that, since
 * GitHub may refuse a joined request whole and the client then asks for each person on their own.
 * `take` reserves this many requests in the pace window for every entry it hands out, until the
 * entry is settled (see `claimWriter`).
 */
export function requestsAtMost(write: GitHubWrite): number {
  return write.kind === 'requestReviewer' ? 4 : 2;
}

/** An installation's pacing state, shared by whichever instance holds its writer lease. */
export interface InstallationPace {
  installation: string;
  /** When each request of the last hour went out (ms since the epoch), oldest first. */
  sentAt: number[];
  /** GitHub asked for no writes before this time (a secondary or primary limit answer). */
  blockedUntil?: number;
  blockedReason?: string;
}

/** The write side of the budget ledger, per installation. */
export interface OutboxStats {
  installation: string;
  /** Pending and sending entries. */
  depth: number;
  /** enqueuedAt of the oldest pending or sending entry. */
  oldestEnqueuedAt?: number;
  /** Total writes saved by coalescing since the installation's outbox was created. */
  saved: number;
  /** Requests sent in the last minute and the last hour. */
  sentLastMinute: number;
  sentLastHour: number;
  /** Total writes GitHub refused for good since the installation's outbox was created. */
  failed: number;
  blockedUntil?: number;
  blockedReason?: string;
  writer?: { holder: string; expiresAt: number };
}

export interface OutboxStore {
  /**
   * Stores writes durably, applying the rules of shared/store/outbox-rules.ts atomically with
   * respect to other enqueues and to the writer: an already-used `id` is a duplicate; a write to a
   * resource with a pending (not yet `sending`) entry coalesces with it. Requests are applied in
   * the order given.
   */
  enqueue(requests: readonly OutboxWriteRequest[]): Promise<EnqueueOutcome>;
  /** Pending and sending entries about one subject, in `seq` order: what readers overlay. */
  unsent(installation: string, subject: string): Promise<OutboxEntry[]>;
  /** Any entry by its key, for tests and diagnostics. */
  get(installation: string, id: string): Promise<OutboxEntry | undefined>;
  /** GitHub's ID for a comment that was created through the outbox, by its placeholder. */
  commentIdFor(installation: string, placeholderId: number): Promise<number | undefined>;

  /**
   * The writer lease of an installation, if nobody else holds a live one. Requests reserved by an
   * earlier lease and never settled (its writer stopped between sending and settling) count in the
   * pace window as sent at the claim: a writer sends only under a live lease, so they went out
   * before, and the next writer cannot exceed GitHub's limits by not knowing of them.
   */
  claimWriter(installation: string, holder: string, ttlMs: number): Promise<WriterLease | undefined>;
  /** Extends a current lease. Throws StaleLeaseError when it is no longer current. */
  renewWriter(lease: WriterLease, ttlMs: number): Promise<WriterLease>;
  /** Gives the lease up early; a no-op when it is no longer current. */
  releaseWriter(lease: WriterLease): Promise<void>;

  /**
   * Marks up to `limit` entries `sending` under the lease and returns them, best first: entries
   * already `sending` under an older token (their writer stopped mid-send), then pending ones that
   * are due (no `notBefore`, or `notBefore` <= now) and ripe (taken before, or enqueued at least
   * `coalesceWindowMs` ago) by effective priority (see OUTBOX_AGING_MS), then `seq`. Nothing while
   * the installation is blocked (see `block`). Each taken entry's `attempts` grows by one, and
   * `requestsAtMost` of it is reserved in the pace window until it is settled. Throws
   * StaleLeaseError when the lease is not current.
   */
  take(lease: WriterLease, request: TakeRequest): Promise<TakeResult>;
  /**
   * Records how sent entries ended, releases what `take` reserved for them, and appends
   * `requestTimes` (one per request made; requests joined several entries) to the installation's
   * pace window, dropping times older than an hour. Outcomes of several requests may come in one
   * call. An outcome for an entry that is not `sending` under this lease is ignored.
   * Throws StaleLeaseError when the lease is not current.
   */
  settle(lease: WriterLease, outcomes: readonly SendOutcome[], requestTimes: readonly number[]): Promise<void>;
  /**
   * Records GitHub's "no writes before `until`" for the installation (cleared once passed): `take`
   * hands out nothing and no writer is woken until then. Throws StaleLeaseError as `take` does.
   */
  block(lease: WriterLease, until: number, reason: string): Promise<void>;
  pace(installation: string): Promise<InstallationPace>;

  /**
   * Installations with entries a writer could send now (pending and due, or `sending` under a
   * lease that has lapsed), no live writer lease, and no block: what the periodic sweep wakes
   * writers for.
   */
  installationsNeedingWriter(): Promise<string[]>;
  /** The ledger's write side, for every installation that has an outbox. */
  stats(): Promise<OutboxStats[]>;
}

/** How long settled entries are kept, for idempotency keys and the health page. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3600_000;

/** The subject of a write, as OutboxEntry.subject. */
export function subjectOf(write: GitHubWrite): string {
  return write.kind === 'createStatus'
    ? commitSubject(write.owner, write.repo, write.sha)
    : issueSubject(write.owner, write.repo, write.number);
}

/** The subject of an issue or pull request, for readers. GitHub's names ignore case, so do subjects. */
export function issueSubject(owner: string, repo: string, number: number): string {
  return `${owner}/${repo}#${number}`.toLowerCase();
}

/** The subject of a commit's statuses, for readers. */
export function commitSubject(owner: string, repo: string, sha: string): string {
  return `${owner}/${repo}@${sha}`.toLowerCase();
}
