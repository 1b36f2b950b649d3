import { createHash } from 'node:crypto';
import { InvalidOutboxWriteError, StaleWriterLeaseError } from './errors';
import {
  OUTBOX_AGING_MS,
  OUTBOX_RETENTION_MS,
  OutboxWriteRequestSchema,
  requestsAtMost,
  subjectOf,
  type EnqueueOutcome,
  type GitHubWrite,
  type InstallationPace,
  type OutboxEntry,
  type OutboxPriority,
  type OutboxStats,
  type OutboxWriteRequest,
  type SendOutcome,
  type TakeRequest,
  type WriterLease,
} from './outbox';

/**
 * The outbox's rules as pure functions, in the manner of rules.ts: both stores read what a
 * request touches, ask these what to write, and persist the answer under their own concurrency
 * control (one synchronous step in the embedded store, one transaction on Firestore). Nothing here
 * does I/O or reads a clock; `now` is passed in.
 */

/** How far back the pace window reaches: GitHub's secondary limits are per minute and per hour. */
export const PACE_WINDOW_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * What a store keeps per installation for its writer, beside the entries: only the writer (and a
 * writer claiming the lease) changes it, never an enqueue.
 */
export interface OutboxInstallationRecord {
  installation: string;
  /** The pace window: when each request of the last hour went out, oldest first. */
  sentAt: number[];
  /**
   * Requests `take` reserved under the current lease for entries not settled yet (requestsAtMost
   * each): the requests its writer may have made without recording them yet.
   */
  reservedRequests: number;
  /** The writer lease; kept (expired) after release, so tokens keep growing. */
  writer?: { holder: string; token: number; expiresAt: number };
  blockedUntil?: number;
  blockedReason?: string;
}

export function emptyInstallation(installation: string): OutboxInstallationRecord {
  return { installation, sentAt: [], reservedRequests: 0 };
}

/** The ledger's counts for an installation, however a store keeps them. */
export interface OutboxCounts {
  /** Pending and sending entries. */
  depth: number;
  saved: number;
  failed: number;
}

/** Validates every request before any is applied, so a bad one stores nothing. */
export function checkRequests(requests: readonly OutboxWriteRequest[]): OutboxWriteRequest[] {
  return requests.map((request) => {
    const parsed = OutboxWriteRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new InvalidOutboxWriteError(`outbox write ${JSON.stringify(request.id)} is not a valid GitHub write: ${parsed.error.message}`);
    }
    return parsed.data;
  });
}

/** `take`'s limit. */
export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidOutboxWriteError(`take needs a positive whole limit, not ${limit}`);
}

/** Requests per installation, each group in the order given. */
export function groupByInstallation(requests: readonly OutboxWriteRequest[]): Map<string, OutboxWriteRequest[]> {
  const groups = new Map<string, OutboxWriteRequest[]>();
  for (const request of requests) {
    const group = groups.get(request.installation);
    if (group) group.push(request);
    else groups.set(request.installation, [request]);
  }
  return groups;
}

/** What a write sets: at most one pending write per resource after coalescing (see OutboxEntry). */
export function resourceOf(write: GitHubWrite, id: string): string {
  const subject = subjectOf(write);
  const aspect = ((): string => {
    switch (write.kind) {
      case 'addLabel':
      case 'removeLabel':
        return `label:${write.label}`;
      case 'addAssignee':
      case 'removeAssignee':
        return `assignee:${write.login}`;
      case 'requestReviewer':
      case 'removeRequestedReviewer':
        return `reviewer:${write.login}`;
      case 'setTitle':
        return 'title';
      case 'setBody':
        return 'body';
      case 'setState':
        return 'state';
      case 'setMilestone':
        return 'milestone';
      case 'createStatus':
        return `status:${write.context}`;
      case 'editComment':
      case 'deleteComment':
        return `comment:${write.commentId}`;
      case 'createComment':
        // Every new comment is a resource of its own: two comments never replace each other.
        return `new-comment:${id}`;
      case 'createReaction':
        return `reaction:${write.commentId ?? 'issue'}:${write.content}`;
      case 'createReview':
        // Like a new comment: every review is one of its own.
        return `new-review:${id}`;
    }
  })();
  return `${subject} ${aspect}`.toLowerCase();
}

export function priorityOf(write: GitHubWrite): OutboxPriority {
  switch (write.kind) {
    case 'createStatus':
    case 'addLabel':
    case 'removeLabel':
      return 0;
    case 'addAssignee':
    case 'removeAssignee':
    case 'requestReviewer':
    case 'removeRequestedReviewer':
    case 'setTitle':
    case 'setBody':
    case 'setState':
    case 'setMilestone':
      return 1;
    case 'createComment':
    case 'editComment':
    case 'deleteComment':
    case 'createReaction':
    case 'createReview':
      return 2;
  }
}

/**
 * The ID readers see for a comment still in the outbox: negative, so it can never be one of
 * GitHub's, and derived from the entry's key, so every instance computes the same one without
 * asking the store. 48 bits of SHA-256 make a collision within one installation's retention
 * window vanishingly unlikely while staying a safe integer.
 */
export function placeholderIdFor(id: string): number {
  const digest = createHash('sha256').update(id).digest();
  return -(digest.readUIntBE(0, 6) + 1);
}

export function isUnsent(entry: OutboxEntry): boolean {
  return entry.state === 'pending' || entry.state === 'sending';
}

/** A settled entry past retention counts as absent (Firestore's TTL deletes only eventually). */
export function isOutboxEntryExpired(entry: OutboxEntry, now: number): boolean {
  return entry.settledAt !== undefined && entry.settledAt + OUTBOX_RETENTION_MS <= now;
}

/** When a store may forget the entry; undefined while it still has to be sent. */
export function outboxExpireAt(entry: OutboxEntry): number | undefined {
  return entry.settledAt === undefined ? undefined : entry.settledAt + OUTBOX_RETENTION_MS;
}

/** The entry as first stored, before coalescing. */
export function newOutboxEntry(request: OutboxWriteRequest, seq: number, now: number): OutboxEntry {
  const entry: OutboxEntry = {
    id: request.id,
    installation: request.installation,
    write: request.write,
    cause: request.cause,
    subject: subjectOf(request.write),
    resource: resourceOf(request.write, request.id),
    priority: priorityOf(request.write),
    seq,
    state: 'pending',
    enqueuedAt: now,
    attempts: 0,
  };
  if (request.changesState !== undefined) entry.changesState = request.changesState;
  if (request.refusalNotice !== undefined) entry.refusalNotice = request.refusalNotice;
  if (request.confirmation !== undefined) entry.confirmation = request.confirmation;
  if (request.write.kind === 'createComment') entry.placeholderId = placeholderIdFor(request.id);
  return entry;
}

/** What an incoming write does to the unsent writes it meets. */
export interface Coalescing {
  /** Earlier entries that changed: cancelled, or a pending create that took an edit's body. */
  changed: OutboxEntry[];
  /** The incoming entry: pending, to be sent, or cancelled as it arrived when nothing of it is left to send. */
  incoming: OutboxEntry;
  /** Writes that will not be sent: cancelled earlier ones plus the incoming one when cancelled. */
  saved: number;
}

const OPPOSITES: Partial<Record<GitHubWrite['kind'], GitHubWrite['kind']>> = {
  addLabel: 'removeLabel',
  removeLabel: 'addLabel',
  addAssignee: 'removeAssignee',
  removeAssignee: 'addAssignee',
  requestReviewer: 'removeRequestedReviewer',
  removeRequestedReviewer: 'requestReviewer',
};

/**
 * Applies the coalescing rules to an incoming entry. `related` are the unsent entries of its
 * resource, plus, for an edit or delete of a placeholder, the createComment with that placeholder.
 * Entries already `sending` may be on their way to GitHub, so nothing coalesces with them: the
 * incoming write is stored as it would be without them.
 */
export function coalesce(related: readonly OutboxEntry[], incoming: OutboxEntry, now: number): Coalescing {
  const waiting = related.filter((entry) => entry.state === 'pending' && entry.id !== incoming.id).sort(bySeq);
  const sameResource = waiting.filter((entry) => entry.resource === incoming.resource);
  const cancel = (entry: OutboxEntry): OutboxEntry => ({ ...entry, state: 'cancelled', cancelledBy: incoming.id, settledAt: now });
  const cancelIncoming = (into: OutboxEntry): OutboxEntry => ({ ...incoming, state: 'cancelled', cancelledBy: into.id, settledAt: now });
  const write = incoming.write;

  switch (write.kind) {
    case 'createStatus':
    case 'setTitle':
    case 'setBody':
    case 'setState':
    case 'setMilestone':
      // Only the last one matters: GitHub keeps the latest status per context, title, body, state, milestone.
      return { changed: sameResource.map(cancel), incoming, saved: sameResource.length };

    case 'addLabel':
    case 'removeLabel':
    case 'addAssignee':
    case 'removeAssignee':
    case 'requestReviewer':
    case 'removeRequestedReviewer': {
      const latest = sameResource.at(-1);
      if (!latest) return { changed: [], incoming, saved: 0 };
      if (latest.write.kind === write.kind) return { changed: [], incoming: cancelIncoming(latest), saved: 1 };
      if (latest.write.kind !== OPPOSITES[write.kind]) return { changed: [], incoming, saved: 0 };
      // The pending write changed GitHub's state and this one changes it back: neither is needed.
      if (latest.changesState) return { changed: [cancel(latest)], incoming: cancelIncoming(latest), saved: 2 };
      // What GitHub showed before is unknown: send only the last word.
      return { changed: [cancel(latest)], incoming, saved: 1 };
    }

    case 'editComment':
    case 'deleteComment': {
      const edits = sameResource.filter((entry) => entry.write.kind === 'editComment');
      const changed = edits.map(cancel);
      const create = write.commentId < 0 ? waiting.find((entry) => isCreateWithPlaceholder(entry, write.commentId)) : undefined;
      if (create && create.write.kind === 'createComment') {
        if (write.kind === 'editComment') {
          // The comment is not on GitHub yet: post it with the new body straight away.
          changed.push({ ...create, write: { ...create.write, body: write.body } });
          return { changed, incoming: cancelIncoming(create), saved: edits.length + 1 };
        }
        changed.push(cancel(create));
        return { changed, incoming: cancelIncoming(create), saved: edits.length + 2 };
      }
      const deletion = sameResource.find((entry) => entry.write.kind === 'deleteComment');
      // Editing or deleting a comment already on its way out does nothing.
      if (deletion) return { changed, incoming: cancelIncoming(deletion), saved: edits.length + 1 };
      return { changed, incoming, saved: edits.length };
    }

    case 'createComment':
    case 'createReview':
      return { changed: [], incoming, saved: 0 };

    case 'createReaction': {
      // GitHub keeps one reaction of each kind per person, so a second one pending adds nothing.
      const pending = sameResource.at(-1);
      return pending ? { changed: [], incoming: cancelIncoming(pending), saved: 1 } : { changed: [], incoming, saved: 0 };
    }
  }
}

function isCreateWithPlaceholder(entry: OutboxEntry, placeholderId: number): boolean {
  return entry.write.kind === 'createComment' && entry.placeholderId === placeholderId;
}

/** Enqueue order: by `seq`, ties (entries of different instances) by key. */
export function bySeq(a: OutboxEntry, b: OutboxEntry): number {
  return a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** What a store can tell the enqueue planner about one installation's outbox as it was before. */
export interface OutboxView {
  /** The entry stored under `id`, unless it expired. */
  entry(id: string): OutboxEntry | undefined;
  /** The pending and sending entries of a resource. */
  unsent(resource: string): readonly OutboxEntry[];
  /** The createComment entry with this placeholder, in whatever state. */
  createWithPlaceholder(placeholderId: number): OutboxEntry | undefined;
}

/** What the store reads before planning an enqueue into one installation. */
export interface EnqueueReads {
  ids: string[];
  resources: string[];
  placeholderIds: number[];
}

/** The keys, resources and placeholders an enqueue of `requests` may look at. */
export function enqueueReads(requests: readonly OutboxWriteRequest[]): EnqueueReads {
  const ids = new Set<string>();
  const resources = new Set<string>();
  const placeholderIds = new Set<number>();
  for (const request of requests) {
    ids.add(request.id);
    resources.add(resourceOf(request.write, request.id));
    const write = request.write;
    if ((write.kind === 'editComment' || write.kind === 'deleteComment') && write.commentId < 0) placeholderIds.add(write.commentId);
  }
  return { ids: [...ids], resources: [...resources], placeholderIds: [...placeholderIds] };
}

export interface EnqueuePlan {
  outcome: EnqueueOutcome;
  /** What each request did, in the order given (each counts 0 or 1 as stored or duplicate). */
  byRequest: EnqueueOutcome[];
  /** Every new or changed entry, each in its final version. */
  writes: OutboxEntry[];
  /** The resources of the requests stored (not duplicates): what the call serialises on. */
  resources: string[];
  /** How the number of pending and sending entries changed. */
  depthChange: number;
}

/**
 * Gives a new entry its `seq`, which must exceed `after`: the largest `seq` among the unsent
 * entries it meets (its resource's, and a comment's creation it edits).
 */
export type NextSeq = (after: number) => number;

/**
 * Applies `requests` (all of one installation) in order: a used key is a duplicate; otherwise the
 * request gets a `seq` from `nextSeq` and is coalesced with what it meets, including what earlier
 * requests of the same call left.
 */
export function planEnqueue(requests: readonly OutboxWriteRequest[], view: OutboxView, now: number, nextSeq: NextSeq): EnqueuePlan {
  /** Entries this call wrote, latest version; and how each looked before, for the depth. */
  const written = new Map<string, OutboxEntry>();
  const before = new Map<string, OutboxEntry | undefined>();
  const record = (entry: OutboxEntry, previous: OutboxEntry | undefined): void => {
    if (!before.has(entry.id)) before.set(entry.id, previous);
    written.set(entry.id, entry);
  };
  const latest = (entry: OutboxEntry): OutboxEntry => written.get(entry.id) ?? entry;
  const unsentOf = (resource: string): OutboxEntry[] => {
    const found = new Map(view.unsent(resource).map((entry) => [entry.id, latest(entry)]));
    for (const entry of written.values()) if (entry.resource === resource) found.set(entry.id, entry);
    return [...found.values()].filter(isUnsent);
  };
  const createWithPlaceholder = (placeholderId: number): OutboxEntry | undefined => {
    for (const entry of written.values()) if (isCreateWithPlaceholder(entry, placeholderId)) return entry;
    const stored = view.createWithPlaceholder(placeholderId);
    return stored && latest(stored);
  };

  const byRequest: EnqueueOutcome[] = [];
  const resources = new Set<string>();
  for (const request of requests) {
    if (written.has(request.id) || view.entry(request.id) !== undefined) {
      byRequest.push({ stored: 0, duplicates: 1, saved: 0 });
      continue;
    }
    const resource = resourceOf(request.write, request.id);
    resources.add(resource);
    const related = unsentOf(resource);
    const write = request.write;
    if ((write.kind === 'editComment' || write.kind === 'deleteComment') && write.commentId < 0) {
      const create = createWithPlaceholder(write.commentId);
      if (create && isUnsent(create)) related.push(create);
    }
    const incoming = newOutboxEntry(request, nextSeq(Math.max(0, ...related.map((entry) => entry.seq))), now);
    const result = coalesce(related, incoming, now);
    for (const entry of result.changed) record(entry, related.find((r) => r.id === entry.id));
    record(result.incoming, undefined);
    byRequest.push({ stored: result.incoming.state === 'pending' ? 1 : 0, duplicates: 0, saved: result.saved });
  }
  let depthChange = 0;
  for (const [id, entry] of written) {
    const previous = before.get(id);
    depthChange += (isUnsent(entry) ? 1 : 0) - (previous && isUnsent(previous) ? 1 : 0);
  }
  return { outcome: sumOutcomes(byRequest), byRequest, writes: [...written.values()], resources: [...resources], depthChange };
}

export function sumOutcomes(outcomes: readonly EnqueueOutcome[]): EnqueueOutcome {
  const sum: EnqueueOutcome = { stored: 0, duplicates: 0, saved: 0 };
  for (const outcome of outcomes) {
    sum.stored += outcome.stored;
    sum.duplicates += outcome.duplicates;
    sum.saved += outcome.saved;
  }
  return sum;
}

/** Writes waiting longer than OUTBOX_AGING_MS go first, whatever their kind. */
export function effectivePriority(entry: OutboxEntry, now: number): OutboxPriority {
  return now - entry.enqueuedAt > OUTBOX_AGING_MS ? 0 : entry.priority;
}

/**
 * From when the holder of lease `token` may take the entry: at once when its writer stopped
 * mid-send; a pending one once due (`notBefore`) and, if never taken before, once it has waited
 * the coalescing window. Undefined when it may not be taken (settled, or this writer's own).
 */
export function takeableFrom(entry: OutboxEntry, token: number, coalesceWindowMs: number): number | undefined {
  if (entry.state === 'sending') return (entry.writerToken ?? 0) < token ? -Infinity : undefined;
  if (entry.state !== 'pending') return undefined;
  const ripeFrom = entry.attempts > 0 ? -Infinity : entry.enqueuedAt + coalesceWindowMs;
  return Math.max(entry.notBefore ?? -Infinity, ripeFrom);
}

/** Whether the holder of lease `token` may take the entry now (see takeableFrom). */
export function isTakeable(entry: OutboxEntry, token: number, now: number, coalesceWindowMs = 0): boolean {
  const from = takeableFrom(entry, token, coalesceWindowMs);
  return from !== undefined && from <= now;
}

/** Take order: writes a stopped writer left mid-send, then by effective priority, then enqueue order. */
export function compareForTake(a: OutboxEntry, b: OutboxEntry, now: number): number {
  const resumed = (a.state === 'sending' ? 0 : 1) - (b.state === 'sending' ? 0 : 1);
  if (resumed !== 0) return resumed;
  if (a.state !== 'sending') {
    const priority = effectivePriority(a, now) - effectivePriority(b, now);
    if (priority !== 0) return priority;
  }
  return bySeq(a, b);
}

export interface TakePlan {
  /** The entries taken, marked `sending` under the lease, best first. */
  taken: OutboxEntry[];
  /** See TakeResult.nextAt: over the candidates not taken. */
  nextAt?: number;
  /** The installation with the requests reserved for what was taken. */
  installation: OutboxInstallationRecord;
}

/**
 * The best `request.limit` takeable entries among `candidates`, marked `sending` under the lease,
 * and when the next of the others becomes takeable. `candidates` must hold, besides the best
 * takeable ones, the earliest to become takeable of the rest (a store reading lanes in order has
 * them first). The lease must already have been checked, and the installation not be blocked.
 */
export function planTake(
  installation: OutboxInstallationRecord,
  candidates: readonly OutboxEntry[],
  lease: WriterLease,
  request: TakeRequest,
  now: number,
): TakePlan {
  const unique = new Map(candidates.map((entry) => [entry.id, entry]));
  const takeable: OutboxEntry[] = [];
  let nextAt: number | undefined;
  for (const entry of unique.values()) {
    const from = takeableFrom(entry, lease.token, request.coalesceWindowMs ?? 0);
    if (from === undefined) continue;
    if (from <= now) takeable.push(entry);
    else nextAt = Math.min(nextAt ?? Infinity, from);
  }
  takeable.sort((a, b) => compareForTake(a, b, now));
  if (takeable.length > request.limit) nextAt = now;
  const taken = takeable
    .slice(0, request.limit)
    .map((entry): OutboxEntry => ({ ...entry, state: 'sending', writerToken: lease.token, attempts: entry.attempts + 1 }));
  const reserved = taken.reduce((sum, entry) => sum + requestsAtMost(entry.write), 0);
  const plan: TakePlan = { taken, installation: { ...installation, reservedRequests: installation.reservedRequests + reserved } };
  if (nextAt !== undefined) plan.nextAt = nextAt;
  return plan;
}

/** The entry after the writer's report, or undefined when it is not `sending` under `token`. */
export function applySendOutcome(entry: OutboxEntry, outcome: SendOutcome, token: number, now: number): OutboxEntry | undefined {
  if (entry.state !== 'sending' || entry.writerToken !== token) return undefined;
  const { writerToken: _sent, ...rest } = entry;
  switch (outcome.result) {
    case 'sent': {
      const settledAt = Math.min(outcome.at ?? now, now);
      return { ...rest, state: 'sent', settledAt, ...(outcome.commentId === undefined ? {} : { commentId: outcome.commentId }) };
    }
    case 'failed':
      return { ...rest, state: 'failed', settledAt: Math.min(outcome.at ?? now, now), error: outcome.error };
    case 'retry':
      return { ...rest, state: 'pending', notBefore: outcome.notBefore, error: outcome.error };
  }
}

export interface SettlePlan {
  writes: OutboxEntry[];
  installation: OutboxInstallationRecord;
  /** How the number of pending and sending entries changed (down by those settled for good). */
  depthChange: number;
  /** Writes GitHub refused for good. */
  failed: number;
}

/** The entries and installation after `settle`; the lease must already have been checked. */
export function planSettle(
  installation: OutboxInstallationRecord,
  entry: (id: string) => OutboxEntry | undefined,
  outcomes: readonly SendOutcome[],
  requestTimes: readonly number[],
  lease: WriterLease,
  now: number,
): SettlePlan {
  const written = new Map<string, OutboxEntry>();
  let depthChange = 0;
  let failed = 0;
  let released = 0;
  for (const outcome of outcomes) {
    const current = written.get(outcome.id) ?? entry(outcome.id);
    const next = current && applySendOutcome(current, outcome, lease.token, now);
    if (!next) continue;
    written.set(next.id, next);
    released += requestsAtMost(next.write);
    if (!isUnsent(next)) depthChange -= 1;
    if (next.state === 'failed') failed += 1;
  }
  return {
    writes: [...written.values()],
    installation: {
      ...installation,
      sentAt: paceWindowAfterSends(installation.sentAt, requestTimes, now),
      reservedRequests: Math.max(0, installation.reservedRequests - released),
    },
    depthChange,
    failed,
  };
}

/** The pace window after requests went out at `requestTimes`: the last hour's, oldest first. */
export function paceWindowAfterSends(sentAt: readonly number[], requestTimes: readonly number[], now: number): number[] {
  return [...sentAt, ...requestTimes].filter((time) => time > now - PACE_WINDOW_MS).sort((a, b) => a - b);
}

export function hasLiveWriter(installation: OutboxInstallationRecord | undefined, now: number): boolean {
  return installation?.writer !== undefined && installation.writer.expiresAt > now;
}

export function isBlocked(installation: OutboxInstallationRecord | undefined, now: number): boolean {
  return installation?.blockedUntil !== undefined && installation.blockedUntil > now;
}

/**
 * A lease for `holder` and the installation holding it, or undefined while someone holds a live
 * one. What the last lease reserved and never settled counts as sent now (see claimWriter).
 */
export function applyWriterClaim(
  installation: OutboxInstallationRecord,
  holder: string,
  ttlMs: number,
  now: number,
): { installation: OutboxInstallationRecord; lease: WriterLease } | undefined {
  if (hasLiveWriter(installation, now)) return undefined;
  const writer = { holder, token: (installation.writer?.token ?? 0) + 1, expiresAt: now + ttlMs };
  const unrecorded = Array.from({ length: installation.reservedRequests }, () => now);
  return {
    installation: { ...installation, writer, sentAt: paceWindowAfterSends(installation.sentAt, unrecorded, now), reservedRequests: 0 },
    lease: { installation: installation.installation, ...writer },
  };
}

/** Throws StaleWriterLeaseError unless `lease` is the installation's current, unexpired lease. */
export function requireCurrentWriter(installation: OutboxInstallationRecord | undefined, lease: WriterLease, now: number): void {
  const held = installation?.writer;
  if (!held || held.token !== lease.token || held.holder !== lease.holder) {
    throw new StaleWriterLeaseError(lease.installation, held ? `superseded by token ${held.token} of ${held.holder}` : 'never granted');
  }
  if (held.expiresAt <= now) throw new StaleWriterLeaseError(lease.installation, 'expired');
}

export function applyWriterRenewal(
  installation: OutboxInstallationRecord | undefined,
  lease: WriterLease,
  ttlMs: number,
  now: number,
): { installation: OutboxInstallationRecord; lease: WriterLease } {
  requireCurrentWriter(installation, lease, now);
  const renewed = { ...lease, expiresAt: now + ttlMs };
  const current = installation ?? emptyInstallation(lease.installation);
  return { installation: { ...current, writer: { holder: renewed.holder, token: renewed.token, expiresAt: renewed.expiresAt } }, lease: renewed };
}

/** The installation with the lease ended, or undefined when it is not current (nothing to do). */
export function applyWriterRelease(
  installation: OutboxInstallationRecord | undefined,
  lease: WriterLease,
  now: number,
): OutboxInstallationRecord | undefined {
  if (!installation?.writer || installation.writer.token !== lease.token || installation.writer.holder !== lease.holder) return undefined;
  if (installation.writer.expiresAt <= now) return undefined;
  return { ...installation, writer: { ...installation.writer, expiresAt: 0 } };
}

export function applyBlock(
  installation: OutboxInstallationRecord | undefined,
  lease: WriterLease,
  until: number,
  reason: string,
  now: number,
): OutboxInstallationRecord {
  requireCurrentWriter(installation, lease, now);
  return { ...(installation ?? emptyInstallation(lease.installation)), blockedUntil: until, blockedReason: reason };
}

/** Whether a writer should be woken for the installation, given whether it has takeable work. */
export function wantsWriter(installation: OutboxInstallationRecord | undefined, hasTakeableWork: boolean, now: number): boolean {
  return hasTakeableWork && !hasLiveWriter(installation, now) && !isBlocked(installation, now);
}

export function paceOf(installation: OutboxInstallationRecord | undefined, name: string, now: number): InstallationPace {
  const pace: InstallationPace = { installation: name, sentAt: paceWindowAfterSends(installation?.sentAt ?? [], [], now) };
  if (installation && isBlocked(installation, now)) {
    pace.blockedUntil = installation.blockedUntil;
    if (installation.blockedReason !== undefined) pace.blockedReason = installation.blockedReason;
  }
  return pace;
}

export function statsOf(
  installation: OutboxInstallationRecord,
  counts: OutboxCounts,
  oldestEnqueuedAt: number | undefined,
  now: number,
): OutboxStats {
  const pace = paceOf(installation, installation.installation, now);
  const stats: OutboxStats = {
    installation: installation.installation,
    depth: counts.depth,
    saved: counts.saved,
    sentLastMinute: pace.sentAt.filter((time) => time > now - MINUTE_MS).length,
    sentLastHour: pace.sentAt.length,
    failed: counts.failed,
  };
  if (oldestEnqueuedAt !== undefined && counts.depth > 0) stats.oldestEnqueuedAt = oldestEnqueuedAt;
  if (pace.blockedUntil !== undefined) stats.blockedUntil = pace.blockedUntil;
  if (pace.blockedReason !== undefined) stats.blockedReason = pace.blockedReason;
  if (installation.writer && hasLiveWriter(installation, now)) {
    stats.writer = { holder: installation.writer.holder, expiresAt: installation.writer.expiresAt };
  }
  return stats;
}
