import { describe, expect, it } from 'vitest';
import { InvalidOutboxWriteError, StaleLeaseError } from '../../../shared/store/errors';
import { OUTBOX_AGING_MS, OUTBOX_RETENTION_MS, type GitHubWrite, type OutboxEntry, type OutboxWriteRequest } from '../../../shared/store/outbox';
import {
  PACE_WINDOW_MS,
  applyWriterClaim,
  applyWriterRelease,
  applyWriterRenewal,
  checkRequests,
  coalesce,
  effectivePriority,
  emptyInstallation,
  isOutboxEntryExpired,
  newOutboxEntry,
  paceWindowAfterSends,
  placeholderIdFor,
  planEnqueue,
  planSettle,
  planTake,
  priorityOf,
  resourceOf,
  statsOf,
  type OutboxView,
} from '../../../shared/store/outbox-rules';

/** The outbox's rules without a store: what both implementations decide for the same inputs. */

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const PR = { owner: 'Kubernetes', repo: 'Test-Infra', number: 12 };
const SUBJECT = 'kubernetes/test-infra#12';

const w = {
  addLabel: (label: string): GitHubWrite => ({ kind: 'addLabel', ...PR, label }),
  removeLabel: (label: string): GitHubWrite => ({ kind: 'removeLabel', ...PR, label }),
  status: (context: string, state: 'pending' | 'success'): GitHubWrite => ({ kind: 'createStatus', owner: 'Kubernetes', repo: 'Test-Infra', sha: 'ABC', context, state }),
  comment: (body: string): GitHubWrite => ({ kind: 'createComment', ...PR, body }),
  edit: (commentId: number, body: string): GitHubWrite => ({ kind: 'editComment', ...PR, commentId, body }),
  delete: (commentId: number): GitHubWrite => ({ kind: 'deleteComment', ...PR, commentId }),
};

let seq = 0;
function entry(id: string, write: GitHubWrite, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return { ...newOutboxEntry({ id, installation: '1', write, cause: 'test' }, ++seq, NOW), ...extra };
}

function request(id: string, write: GitHubWrite, extra: Partial<OutboxWriteRequest> = {}): OutboxWriteRequest {
  return { id, installation: '1', write, cause: 'test', ...extra };
}

const LEASE = { installation: '1', holder: 'writer-a', token: 3, expiresAt: NOW + 30_000 };

describe('resources, priorities and placeholders', () => {
  it('names what each write sets, in lower case, with every new comment a resource of its own', () => {
    const cases: [GitHubWrite, string][] = [
      [w.addLabel('LGTM'), `${SUBJECT} label:lgtm`],
      [w.removeLabel('lgtm'), `${SUBJECT} label:lgtm`],
      [{ kind: 'addAssignee', ...PR, login: 'Alice' }, `${SUBJECT} assignee:alice`],
      [{ kind: 'removeAssignee', ...PR, login: 'alice' }, `${SUBJECT} assignee:alice`],
      [{ kind: 'requestReviewer', ...PR, login: 'org/Team' }, `${SUBJECT} reviewer:org/team`],
      [{ kind: 'removeRequestedReviewer', ...PR, login: 'org/team' }, `${SUBJECT} reviewer:org/team`],
      [{ kind: 'setTitle', ...PR, title: 'x' }, `${SUBJECT} title`],
      [{ kind: 'setState', ...PR, state: 'closed' }, `${SUBJECT} state`],
      [{ kind: 'setBody', ...PR, body: 'Fixes #1' }, `${SUBJECT} body`],
      [w.status('ci/Unit', 'pending'), 'kubernetes/test-infra@abc status:ci/unit'],
      [w.edit(99, 'x'), `${SUBJECT} comment:99`],
      [w.delete(-5), `${SUBJECT} comment:-5`],
      [w.comment('x'), `${SUBJECT} new-comment:delivery-1/hello`],
    ];
    for (const [write, resource] of cases) expect(resourceOf(write, 'delivery-1/HELLO'), write.kind).toBe(resource);
  });

  it('sends what merging is gated on first and comments last', () => {
    expect(priorityOf(w.status('ci', 'pending'))).toBe(0);
    expect(priorityOf(w.addLabel('lgtm'))).toBe(0);
    expect(priorityOf(w.removeLabel('lgtm'))).toBe(0);
    expect(priorityOf({ kind: 'addAssignee', ...PR, login: 'a' })).toBe(1);
    expect(priorityOf({ kind: 'removeRequestedReviewer', ...PR, login: 'a' })).toBe(1);
    expect(priorityOf({ kind: 'setTitle', ...PR, title: 'x' })).toBe(1);
    expect(priorityOf({ kind: 'setState', ...PR, state: 'open' })).toBe(1);
    expect(priorityOf({ kind: 'setBody', ...PR, body: '' })).toBe(1);
    expect(priorityOf(w.comment('x'))).toBe(2);
    expect(priorityOf(w.edit(1, 'x'))).toBe(2);
    expect(priorityOf(w.delete(1))).toBe(2);
  });

  it('derives a stable, negative, safe placeholder from the key', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `delivery-${i}/comment`);
    const placeholders = ids.map(placeholderIdFor);
    expect(placeholders.every((p) => Number.isSafeInteger(p) && p < 0)).toBe(true);
    expect(new Set(placeholders).size).toBe(ids.length);
    expect(placeholderIdFor('delivery-7/comment')).toBe(placeholders[7]);
    expect(newOutboxEntry(request('c', w.comment('hi')), 1, NOW).placeholderId).toBe(placeholderIdFor('c'));
    expect(newOutboxEntry(request('l', w.addLabel('x')), 1, NOW).placeholderId).toBeUndefined();
  });

  it('refuses a write GitHub could not take, naming it', () => {
    expect(() => checkRequests([request('ok', w.addLabel('x')), request('bad/1', { kind: 'setTitle', ...PR, number: 0, title: 'x' })])).toThrow(
      InvalidOutboxWriteError,
    );
    expect(() => checkRequests([request('bad/1', { kind: 'setTitle', ...PR, number: 0, title: 'x' })])).toThrow(/"bad\/1"/);
  });
});

describe('coalescing', () => {
  it('cancels a superseded status and keeps the new one', () => {
    const earlier = entry('s1', w.status('ci', 'pending'));
    const incoming = entry('s2', w.status('ci', 'success'));
    expect(coalesce([earlier], incoming, NOW + 5)).toEqual({
      changed: [{ ...earlier, state: 'cancelled', cancelledBy: 's2', settledAt: NOW + 5 }],
      incoming,
      saved: 1,
    });
  });

  it('cancels an add and a remove of a label both when the add changed the state, else keeps the last', () => {
    const add = entry('add', w.addLabel('hold'), { changesState: true });
    const remove = entry('remove', w.removeLabel('hold'));
    const both = coalesce([add], remove, NOW);
    expect(both.saved).toBe(2);
    expect(both.changed).toMatchObject([{ id: 'add', state: 'cancelled', cancelledBy: 'remove' }]);
    expect(both.incoming).toMatchObject({ state: 'cancelled', cancelledBy: 'add', settledAt: NOW });

    const last = coalesce([{ ...add, changesState: false }], remove, NOW);
    expect(last.saved).toBe(1);
    expect(last.incoming).toBe(remove);
    expect(last.changed).toMatchObject([{ id: 'add', state: 'cancelled' }]);

    const again = coalesce([add], entry('add-2', w.addLabel('hold')), NOW);
    expect(again).toMatchObject({ changed: [], incoming: { state: 'cancelled', cancelledBy: 'add' }, saved: 1 });
  });

  it('answers the latest pending write when a retried one is pending beside it', () => {
    // `add` was being sent when `remove` came, then went back to pending for a retry.
    const add = entry('add', w.addLabel('hold'), { changesState: true });
    const remove = entry('remove', w.removeLabel('hold'), { changesState: true });
    const result = coalesce([remove, add], entry('add-again', w.addLabel('hold')), NOW);
    expect(result.saved).toBe(2);
    expect(result.changed.map((e) => e.id)).toEqual(['remove']);
    expect(result.incoming.state).toBe('cancelled');
  });

  it('leaves entries being sent alone', () => {
    const sending = entry('s1', w.status('ci', 'pending'), { state: 'sending', writerToken: 1 });
    const incoming = entry('s2', w.status('ci', 'success'));
    expect(coalesce([sending], incoming, NOW)).toEqual({ changed: [], incoming, saved: 0 });
    const create = entry('c', w.comment('draft'), { state: 'sending', writerToken: 1 });
    const edit = entry('e', w.edit(placeholderIdFor('c'), 'final'));
    expect(coalesce([create], edit, NOW)).toEqual({ changed: [], incoming: edit, saved: 0 });
  });

  it('folds an edit of a pending comment into its body, and cancels both a pending comment and its deletion', () => {
    const create = entry('c', w.comment('draft'));
    const placeholder = placeholderIdFor('c');
    // An edit stored while the comment was being sent, before the send was retried.
    const staleEdit = entry('e1', w.edit(placeholder, 'older'));
    const edited = coalesce([staleEdit, create], entry('e2', w.edit(placeholder, 'final')), NOW);
    expect(edited.saved).toBe(2);
    expect(edited.changed).toMatchObject([
      { id: 'e1', state: 'cancelled', cancelledBy: 'e2' },
      { id: 'c', state: 'pending', write: { kind: 'createComment', body: 'final' } },
    ]);
    expect(edited.incoming).toMatchObject({ state: 'cancelled', cancelledBy: 'c' });

    const deleted = coalesce([staleEdit, create], entry('d', w.delete(placeholder)), NOW);
    expect(deleted.saved).toBe(3);
    expect(deleted.changed.map((e) => [e.id, e.state])).toEqual([
      ['e1', 'cancelled'],
      ['c', 'cancelled'],
    ]);
    expect(deleted.incoming.state).toBe('cancelled');
  });

  it('cancels pending edits of a deleted comment and sends the deletion, once', () => {
    const edits = [entry('e1', w.edit(99, 'a')), entry('e2', w.edit(99, 'b'))];
    const deletion = entry('d', w.delete(99));
    const result = coalesce(edits, deletion, NOW);
    expect(result).toMatchObject({ incoming: deletion, saved: 2 });
    expect(result.changed.every((e) => e.state === 'cancelled' && e.cancelledBy === 'd')).toBe(true);
    expect(coalesce([deletion], entry('d2', w.delete(99)), NOW)).toMatchObject({ incoming: { state: 'cancelled' }, saved: 1 });
    expect(coalesce([deletion], entry('e3', w.edit(99, 'c')), NOW)).toMatchObject({ incoming: { state: 'cancelled' }, saved: 1 });
  });

  it('never coalesces two new comments', () => {
    const first = entry('c1', w.comment('same'));
    const second = entry('c2', w.comment('same'));
    expect(second.resource).not.toBe(first.resource);
    expect(coalesce([first], second, NOW)).toEqual({ changed: [], incoming: second, saved: 0 });
  });

  it('sends one of two identical pending reactions, and keeps different ones apart', () => {
    const heart = entry('r1', { kind: 'createReaction', ...PR, commentId: 99, content: 'heart' });
    const again = entry('r2', { kind: 'createReaction', ...PR, commentId: 99, content: 'heart' });
    const onIssue = entry('r3', { kind: 'createReaction', ...PR, content: 'heart' });
    expect(coalesce([heart], again, NOW)).toMatchObject({ changed: [], incoming: { state: 'cancelled' }, saved: 1 });
    expect(onIssue.resource).not.toBe(heart.resource);
    expect(priorityOf(heart.write)).toBe(2);
  });
});

function viewOf(entries: OutboxEntry[]): OutboxView {
  return {
    entry: (id) => entries.find((e) => e.id === id && !isOutboxEntryExpired(e, NOW)),
    unsent: (resource) => entries.filter((e) => e.resource === resource && (e.state === 'pending' || e.state === 'sending')),
    createWithPlaceholder: (placeholderId) => entries.find((e) => e.placeholderId === placeholderId),
  };
}

describe('planEnqueue', () => {
  it('applies a call’s requests in order, each seeing what the earlier ones left', () => {
    let next = 10;
    const plan = planEnqueue(
      [
        request('c', w.comment('draft')),
        request('e', w.edit(placeholderIdFor('c'), 'final')),
        request('c', w.comment('draft')),
        request('s', w.status('ci', 'pending')),
      ],
      viewOf([]),
      NOW,
      () => ++next,
    );
    expect(plan.outcome).toEqual({ stored: 2, duplicates: 1, saved: 1 });
    expect(plan.writes.map((e) => [e.id, e.seq, e.state])).toEqual([
      ['c', 11, 'pending'],
      ['e', 12, 'cancelled'],
      ['s', 13, 'pending'],
    ]);
    expect(plan.writes[0]?.write).toMatchObject({ body: 'final' });
    expect(plan.depthChange).toBe(2);
    expect(plan.resources).toEqual([`${SUBJECT} new-comment:c`, `${SUBJECT} comment:${placeholderIdFor('c')}`, 'kubernetes/test-infra@abc status:ci']);
  });

  it('counts depth down for stored entries it cancels, and treats an expired key as unused', () => {
    const stored = entry('s1', w.status('ci', 'pending'));
    const expired = entry('old', w.addLabel('x'), { state: 'sent', settledAt: NOW - OUTBOX_RETENTION_MS });
    const plan = planEnqueue(
      [request('s2', w.status('ci', 'success')), request('old', w.addLabel('x'))],
      viewOf([stored, expired]),
      NOW,
      (after) => after + 1,
    );
    expect(plan.outcome).toEqual({ stored: 2, duplicates: 0, saved: 1 });
    expect(plan.depthChange).toBe(1);
    // Each new write's seq is above the unsent ones it meets.
    expect(plan.writes.find((e) => e.id === 's2')?.seq).toBe(stored.seq + 1);
    expect(plan.writes.find((e) => e.id === 's1')?.state).toBe('cancelled');
  });
});

describe('take', () => {
  it('counts a write waiting longer than the aging time as most urgent', () => {
    const comment = entry('c', w.comment('x'));
    expect(effectivePriority(comment, NOW + OUTBOX_AGING_MS)).toBe(2);
    expect(effectivePriority(comment, NOW + OUTBOX_AGING_MS + 1)).toBe(0);
  });

  it('resumes a stopped writer’s sends, then goes by priority and enqueue order, skipping what is not due', () => {
    const entries = [
      entry('comment', w.comment('x')),
      entry('label', w.addLabel('x')),
      entry('mine', w.addLabel('y'), { state: 'sending', writerToken: LEASE.token }),
      entry('later', w.status('a', 'pending'), { notBefore: NOW + 1 }),
      entry('due', w.status('b', 'pending'), { notBefore: NOW, attempts: 1 }),
      entry('stopped', w.comment('y'), { state: 'sending', writerToken: LEASE.token - 1, attempts: 1 }),
      entry('done', w.addLabel('z'), { state: 'sent', settledAt: NOW }),
    ];
    const plan = planTake(emptyInstallation('1'), entries, LEASE, { limit: 3 }, NOW);
    expect(plan.taken.map((e) => e.id)).toEqual(['stopped', 'label', 'due']);
    expect(plan.taken.map((e) => [e.state, e.writerToken, e.attempts])).toEqual([
      ['sending', 3, 2],
      ['sending', 3, 1],
      ['sending', 3, 2],
    ]);
    // More was takeable than the limit.
    expect(plan.nextAt).toBe(NOW);
    expect(planTake(emptyInstallation('1'), entries, LEASE, { limit: 10 }, NOW + 1).taken.map((e) => e.id)).toEqual(['stopped', 'label', 'later', 'due', 'comment']);
  });

  it('holds never-taken writes for the coalescing window, and says when the first of the rest can be taken', () => {
    const young = entry('young', w.addLabel('x'), { enqueuedAt: NOW - 500 });
    const older = entry('older', w.comment('x'), { enqueuedAt: NOW - 2_500 });
    const retried = entry('retried', w.addLabel('y'), { enqueuedAt: NOW - 100, attempts: 1, notBefore: NOW });
    const deferred = entry('deferred', w.addLabel('z'), { enqueuedAt: NOW - 5_000, attempts: 1, notBefore: NOW + 700 });
    const plan = planTake(emptyInstallation('1'), [young, older, retried, deferred], LEASE, { limit: 10, coalesceWindowMs: 2_000 }, NOW);
    expect(plan.taken.map((e) => e.id)).toEqual(['retried', 'older']);
    expect(plan.nextAt).toBe(NOW + 700);
    expect(planTake(emptyInstallation('1'), [young], LEASE, { limit: 10, coalesceWindowMs: 2_000 }, NOW)).toMatchObject({ taken: [], nextAt: NOW + 1_500 });
    expect(planTake(emptyInstallation('1'), [], LEASE, { limit: 10 }, NOW).nextAt).toBeUndefined();
  });

  it('reserves in the pace window the most requests each taken write may make', () => {
    const plan = planTake(
      { ...emptyInstallation('1'), reservedRequests: 1 },
      [entry('label', w.addLabel('x')), entry('review', { kind: 'requestReviewer', ...PR, login: 'alice' })],
      LEASE,
      { limit: 10 },
      NOW,
    );
    expect(plan.installation.reservedRequests).toBe(1 + 2 + 4);
  });
});

describe('settle', () => {
  it('ends each write it was sending, counts failures and keeps the last hour of requests', () => {
    const { taken } = planTake(emptyInstallation('1'), [entry('a', w.comment('x')), entry('b', w.addLabel('x')), entry('c', w.addLabel('y'))], LEASE, { limit: 3 }, NOW);
    const byId = new Map(taken.map((e) => [e.id, e]));
    const plan = planSettle(
      { ...emptyInstallation('1'), reservedRequests: 7, sentAt: [NOW - PACE_WINDOW_MS, NOW - 10] },
      (id) => byId.get(id),
      [
        { id: 'a', result: 'sent', commentId: 77 },
        { id: 'b', result: 'failed', error: '422' },
        { id: 'c', result: 'retry', notBefore: NOW + 60_000, error: '403 secondary rate limit' },
        { id: 'a', result: 'failed', error: 'reported twice' },
        { id: 'unknown', result: 'sent' },
      ],
      [NOW + 1, NOW],
      LEASE,
      NOW + 1,
    );
    expect(plan.writes.map((e) => [e.id, e.state])).toEqual([
      ['a', 'sent'],
      ['b', 'failed'],
      ['c', 'pending'],
    ]);
    expect(plan.writes[0]).toMatchObject({ commentId: 77, settledAt: NOW + 1 });
    expect(plan.writes[0]?.writerToken).toBeUndefined();
    expect(plan.writes[2]).toMatchObject({ notBefore: NOW + 60_000, error: '403 secondary rate limit' });
    expect(plan).toMatchObject({ depthChange: -2, failed: 1 });
    expect(plan.installation).toMatchObject({ reservedRequests: 1, sentAt: [NOW - 10, NOW, NOW + 1] });
  });

  it('ignores outcomes for writes sent under another lease', () => {
    const other = planTake(emptyInstallation('1'), [entry('a', w.comment('x'))], { ...LEASE, token: 4 }, { limit: 1 }, NOW);
    const plan = planSettle(emptyInstallation('1'), () => other.taken[0], [{ id: 'a', result: 'sent' }], [], LEASE, NOW);
    expect(plan.writes).toEqual([]);
  });

  it('keeps the pace window to the last hour, oldest first', () => {
    expect(paceWindowAfterSends([NOW - PACE_WINDOW_MS, NOW - 5], [NOW, NOW - 7], NOW)).toEqual([NOW - 7, NOW - 5, NOW]);
  });
});

describe('writer lease', () => {
  it('grants one live lease at a time, with a growing token, and fences the stale ones', () => {
    const first = applyWriterClaim(emptyInstallation('1'), 'a', 1_000, NOW);
    expect(first?.lease).toEqual({ installation: '1', holder: 'a', token: 1, expiresAt: NOW + 1_000 });
    if (!first) throw new Error('claim refused');
    expect(applyWriterClaim(first.installation, 'b', 1_000, NOW + 999)).toBeUndefined();
    const renewed = applyWriterRenewal(first.installation, first.lease, 1_000, NOW + 500);
    expect(renewed.lease.expiresAt).toBe(NOW + 1_500);
    expect(() => applyWriterRenewal(renewed.installation, renewed.lease, 1_000, NOW + 1_500)).toThrow(StaleLeaseError);
    const second = applyWriterClaim(renewed.installation, 'b', 1_000, NOW + 1_500);
    expect(second?.lease.token).toBe(2);
    if (!second) throw new Error('claim refused');
    expect(() => applyWriterRenewal(second.installation, renewed.lease, 1_000, NOW + 1_500)).toThrow(/superseded by token 2 of b/);
    expect(applyWriterRelease(second.installation, renewed.lease, NOW + 1_500)).toBeUndefined();
    const released = applyWriterRelease(second.installation, second.lease, NOW + 1_600);
    expect(released?.writer).toEqual({ holder: 'b', token: 2, expiresAt: 0 });
    expect(applyWriterClaim(released ?? emptyInstallation('1'), 'c', 1_000, NOW + 1_600)?.lease.token).toBe(3);
  });

  it('counts what the last lease reserved and never settled as sent at the claim', () => {
    const stopped = { ...emptyInstallation('1'), sentAt: [NOW - 10], reservedRequests: 3, writer: { holder: 'a', token: 1, expiresAt: NOW } };
    expect(applyWriterClaim(stopped, 'b', 1_000, NOW + 5)?.installation).toMatchObject({ sentAt: [NOW - 10, NOW + 5, NOW + 5, NOW + 5], reservedRequests: 0 });
  });
});

describe('stats', () => {
  it('reports the last minute and hour of requests, a block only while it lasts, and a live writer only', () => {
    const counts = { depth: 2, saved: 5, failed: 1 };
    const installation = {
      ...emptyInstallation('1'),
      sentAt: [NOW - 2 * 60_000, NOW - 30_000, NOW],
      blockedUntil: NOW + 10,
      blockedReason: 'Retry-After 1',
      writer: { holder: 'w', token: 1, expiresAt: NOW + 5 },
    };
    expect(statsOf(installation, counts, NOW - 100, NOW)).toEqual({
      installation: '1',
      depth: 2,
      oldestEnqueuedAt: NOW - 100,
      saved: 5,
      sentLastMinute: 2,
      sentLastHour: 3,
      failed: 1,
      blockedUntil: NOW + 10,
      blockedReason: 'Retry-After 1',
      writer: { holder: 'w', expiresAt: NOW + 5 },
    });
    const later = statsOf(installation, counts, NOW - 100, NOW + 10);
    expect(later.blockedUntil).toBeUndefined();
    expect(later.writer).toBeUndefined();
  });
});

describe('reviews in the outbox', () => {
  const review = (body: string): GitHubWrite => ({
    kind: 'createReview',
    ...PR,
    body,
    event: 'COMMENT',
    commitId: 'abc',
    comments: [{ path: 'OWNERS', body: 'not valid', position: 1 }],
  });

  it('sends every review, like a new comment: none replaces another, after labels and people', () => {
    const first = entry('r1', review('one'));
    const second = entry('r2', review('two'));
    expect(first.resource).not.toBe(second.resource);
    expect(coalesce([first], second, NOW)).toEqual({ changed: [], incoming: second, saved: 0 });
    expect(priorityOf(review('x'))).toBe(priorityOf(w.comment('x')));
    expect(resourceOf(review('x'), 'r3')).toBe(`${SUBJECT} new-review:r3`);
  });
});
