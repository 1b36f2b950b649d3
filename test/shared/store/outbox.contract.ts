import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidOutboxWriteError, StaleLeaseError } from '../../../shared/store/errors';
import {
  OUTBOX_AGING_MS,
  OUTBOX_RETENTION_MS,
  commitSubject,
  issueSubject,
  type GitHubWrite,
  type OutboxEntry,
  type OutboxStore,
  type OutboxWriteRequest,
  type WriterLease,
} from '../../../shared/store/outbox';
import { placeholderIdFor } from '../../../shared/store/outbox-rules';
import type { Store } from '../../../shared/store/store';
import { TestClock } from './store.contract';

/**
 * The behaviour every store's GitHub write outbox must have (shared/store/outbox.ts). Run against
 * each implementation by test/shared/store/store.test.ts, beside the rest of the store contract.
 */

export interface OpenedOutboxStore {
  store: Store;
  /**
   * Another instance's access to the same data, as a second function instance has: a client of
   * its own for Firestore; the same store for the embedded one, which one process owns.
   */
  connect: () => Store;
  /** Closes the store and opens the same data again, as a restarted process would; for durable stores. */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

export type OpenOutboxStore = (clock: TestClock) => Promise<OpenedOutboxStore>;

export interface OutboxContractOptions {
  /** The store keeps its data across a restart (on disk, in Firestore): `reopen` is given. */
  durable: boolean;
}

const INSTALLATION = '1234';
const LEASE_MS = 30_000;
const PR = { owner: 'Acme', repo: 'Widgets', number: 7 };
const SUBJECT = issueSubject('acme', 'widgets', 7);
const SHA = 'abc123';

const write = {
  addLabel: (label: string): GitHubWrite => ({ kind: 'addLabel', ...PR, label }),
  removeLabel: (label: string): GitHubWrite => ({ kind: 'removeLabel', ...PR, label }),
  addAssignee: (login: string): GitHubWrite => ({ kind: 'addAssignee', ...PR, login }),
  removeAssignee: (login: string): GitHubWrite => ({ kind: 'removeAssignee', ...PR, login }),
  requestReviewer: (login: string): GitHubWrite => ({ kind: 'requestReviewer', ...PR, login }),
  removeRequestedReviewer: (login: string): GitHubWrite => ({ kind: 'removeRequestedReviewer', ...PR, login }),
  setTitle: (title: string): GitHubWrite => ({ kind: 'setTitle', ...PR, title }),
  setState: (state: 'open' | 'closed'): GitHubWrite => ({ kind: 'setState', ...PR, state }),
  comment: (body: string, number = PR.number): GitHubWrite => ({ kind: 'createComment', ...PR, number, body }),
  edit: (commentId: number, body: string): GitHubWrite => ({ kind: 'editComment', ...PR, commentId, body }),
  delete: (commentId: number): GitHubWrite => ({ kind: 'deleteComment', ...PR, commentId }),
  status: (context: string, state: 'pending' | 'success' | 'failure', sha = SHA): GitHubWrite => ({
    kind: 'createStatus',
    owner: PR.owner,
    repo: PR.repo,
    sha,
    context,
    state,
    description: `${context} is ${state}`,
    targetUrl: null,
  }),
};

function request(id: string, githubWrite: GitHubWrite, extra: Partial<OutboxWriteRequest> = {}): OutboxWriteRequest {
  return { id, installation: INSTALLATION, write: githubWrite, cause: `test ${id}`, ...extra };
}

export function describeOutboxContract(implementation: string, open: OpenOutboxStore, options: OutboxContractOptions): void {
  describe(`outbox contract [${implementation}]`, () => {
    let clock: TestClock;
    let opened: OpenedOutboxStore;
    let outbox: OutboxStore;

    beforeEach(async () => {
      clock = new TestClock();
      opened = await open(clock);
      outbox = opened.store.outbox;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    /** Enqueues one request at a time, a millisecond apart, as separate events would. */
    async function enqueue(...requests: OutboxWriteRequest[]) {
      const totals = { stored: 0, duplicates: 0, saved: 0 };
      for (const each of requests) {
        const outcome = await outbox.enqueue([each]);
        totals.stored += outcome.stored;
        totals.duplicates += outcome.duplicates;
        totals.saved += outcome.saved;
        clock.advance(1);
      }
      return totals;
    }

    async function entry(id: string, installation = INSTALLATION): Promise<OutboxEntry> {
      const found = await outbox.get(installation, id);
      if (!found) throw new Error(`no outbox entry ${id}`);
      return found;
    }

    const unsentIds = async (subject = SUBJECT) => (await outbox.unsent(INSTALLATION, subject)).map((e) => e.id);

    async function claim(holder = 'writer-a', installation = INSTALLATION): Promise<WriterLease> {
      const lease = await outbox.claimWriter(installation, holder, LEASE_MS);
      if (!lease) throw new Error(`${holder} could not claim the writer lease of ${installation}`);
      return lease;
    }

    async function takeIds(lease: WriterLease, limit = 10): Promise<string[]> {
      return (await outbox.take(lease, { limit })).entries.map((e) => e.id);
    }

    describe('enqueue', () => {
      it('stores a write once per key, whatever became of the first', async () => {
        expect(await outbox.enqueue([request('hold/1', write.addLabel('do-not-merge/hold'), { changesState: true })])).toEqual({
          stored: 1,
          duplicates: 0,
          saved: 0,
        });
        const stored = await entry('hold/1');
        expect(stored).toMatchObject({
          id: 'hold/1',
          installation: INSTALLATION,
          subject: SUBJECT,
          resource: `${SUBJECT} label:do-not-merge/hold`,
          priority: 0,
          state: 'pending',
          enqueuedAt: clock.now(),
          attempts: 0,
          changesState: true,
          cause: 'test hold/1',
        });
        expect(await outbox.enqueue([request('hold/1', write.addLabel('do-not-merge/hold'))])).toEqual({ stored: 0, duplicates: 1, saved: 0 });
        // Twice in one call, too.
        expect(await outbox.enqueue([request('hi/1', write.comment('hi')), request('hi/1', write.comment('hi'))])).toEqual({
          stored: 1,
          duplicates: 1,
          saved: 0,
        });
        expect(await unsentIds()).toEqual(['hold/1', 'hi/1']);

        const lease = await claim();
        await outbox.take(lease, { limit: 10 });
        await outbox.settle(lease, [{ id: 'hold/1', result: 'sent' }], [clock.now()]);
        expect((await outbox.enqueue([request('hold/1', write.addLabel('do-not-merge/hold'))])).duplicates).toBe(1);
        expect((await entry('hold/1')).state).toBe('sent');
      });

      it('gives each write the next sequence number of its installation', async () => {
        await outbox.enqueue([
          request('a', write.addLabel('a')),
          request('b', write.addLabel('b')),
          { ...request('c', write.addLabel('c')), installation: 'token' },
        ]);
        await outbox.enqueue([request('d', write.addLabel('d'))]);
        const seqs = await Promise.all(['a', 'b', 'd'].map(async (id) => (await entry(id)).seq));
        expect(seqs[0]).toBeLessThan(seqs[1] ?? 0);
        expect(seqs[1]).toBeLessThan(seqs[2] ?? 0);
        expect((await entry('c', 'token')).installation).toBe('token');
        expect(await outbox.get(INSTALLATION, 'c')).toBeUndefined();
      });

      it('answers each of several concurrent callers for its own writes', async () => {
        const [add, remove, comment, again] = await Promise.all([
          outbox.enqueue([request('add', write.addLabel('lgtm'), { changesState: true })]),
          outbox.enqueue([request('remove', write.removeLabel('lgtm'), { changesState: true })]),
          outbox.enqueue([request('comment', write.comment('hi')), request('edit', write.edit(placeholderIdFor('comment'), 'hello'))]),
          outbox.enqueue([request('add', write.addLabel('lgtm'))]),
        ]);
        expect(add).toEqual({ stored: 1, duplicates: 0, saved: 0 });
        expect(remove).toEqual({ stored: 0, duplicates: 0, saved: 2 });
        expect(comment).toEqual({ stored: 1, duplicates: 0, saved: 1 });
        expect(again).toEqual({ stored: 0, duplicates: 1, saved: 0 });
        expect(await outbox.unsent(INSTALLATION, SUBJECT)).toMatchObject([{ id: 'comment', write: { body: 'hello' } }]);
      });

      it('refuses a write GitHub could not take, and stores nothing of that call', async () => {
        const broken = { kind: 'addLabel', ...PR, label: '' } as GitHubWrite;
        await expect(outbox.enqueue([request('ok', write.addLabel('fine')), request('bad', broken)])).rejects.toBeInstanceOf(
          InvalidOutboxWriteError,
        );
        expect(await outbox.get(INSTALLATION, 'ok')).toBeUndefined();
      });

      it('keeps the outcome of every write of a call applied in order, across calls', async () => {
        const outcome = await outbox.enqueue([
          request('s1', write.status('ci/unit', 'pending')),
          request('s2', write.status('ci/unit', 'success')),
          request('l1', write.addLabel('lgtm'), { changesState: true }),
          request('l2', write.removeLabel('lgtm'), { changesState: true }),
        ]);
        // Counted as if enqueued one at a time: three stored on arrival, three of them saved since.
        expect(outcome).toEqual({ stored: 3, duplicates: 0, saved: 3 });
        expect(await outbox.unsent(INSTALLATION, commitSubject('acme', 'widgets', SHA))).toMatchObject([{ id: 's2' }]);
        expect(await unsentIds()).toEqual([]);
      });
    });

    describe('coalescing', () => {
      it('never sends a commit status superseded by a newer one for the same commit and context', async () => {
        const commit = commitSubject('acme', 'widgets', SHA);
        const outcome = await enqueue(
          request('unit/pending', write.status('ci/unit', 'pending')),
          request('e2e/pending', write.status('ci/e2e', 'pending')),
          request('other-sha', write.status('ci/unit', 'pending', 'def456')),
          request('unit/success', write.status('ci/unit', 'success')),
        );
        expect(outcome).toEqual({ stored: 4, duplicates: 0, saved: 1 });
        expect((await outbox.unsent(INSTALLATION, commit)).map((e) => e.id)).toEqual(['e2e/pending', 'unit/success']);
        expect(await entry('unit/pending')).toMatchObject({ state: 'cancelled', cancelledBy: 'unit/success', settledAt: clock.now() - 1 });
        expect((await entry('other-sha')).state).toBe('pending');
        expect((await entry('unit/success')).resource).toBe(`${commit} status:ci/unit`);
      });

      const toggles: [string, (name: string) => GitHubWrite, (name: string) => GitHubWrite][] = [
        ['a label', write.addLabel, write.removeLabel],
        ['an assignee', write.addAssignee, write.removeAssignee],
        ['a requested reviewer', write.requestReviewer, write.removeRequestedReviewer],
      ];
      for (const [what, add, remove] of toggles) {
        it(`sends neither of an add and a remove of ${what} when the add changed GitHub's state`, async () => {
          expect(await enqueue(request('add', add('alice'), { changesState: true }), request('remove', remove('alice'), { changesState: true }))).toEqual({
            stored: 1,
            duplicates: 0,
            saved: 2,
          });
          expect(await unsentIds()).toEqual([]);
          expect(await entry('add')).toMatchObject({ state: 'cancelled', cancelledBy: 'remove' });
          expect(await entry('remove')).toMatchObject({ state: 'cancelled', cancelledBy: 'add' });
          // The cancelled write's key stays used: a redelivery does not send it after all.
          expect(await enqueue(request('remove', remove('alice'), { changesState: true }))).toEqual({ stored: 0, duplicates: 1, saved: 0 });
          expect(await unsentIds()).toEqual([]);
        });

        it(`sends only the last of an add and a remove of ${what} when GitHub's state before was unknown`, async () => {
          expect((await enqueue(request('remove', remove('bob')), request('add', add('bob')))).saved).toBe(1);
          expect(await unsentIds()).toEqual(['add']);
          expect(await entry('remove')).toMatchObject({ state: 'cancelled', cancelledBy: 'add' });
        });

        it(`sends the same change of ${what} once`, async () => {
          expect(await enqueue(request('first', add('carol'), { changesState: true }), request('again', add('carol')))).toEqual({
            stored: 1,
            duplicates: 0,
            saved: 1,
          });
          expect(await unsentIds()).toEqual(['first']);
          expect((await entry('again')).state).toBe('cancelled');
          // Other people and labels are other resources.
          expect((await enqueue(request('dave', remove('dave'), { changesState: true }))).saved).toBe(0);
        });
      }

      it('sends only the last title and the last open/closed state', async () => {
        const outcome = await enqueue(
          request('t1', write.setTitle('WIP: thing')),
          request('close', write.setState('closed')),
          request('t2', write.setTitle('thing')),
          request('reopen', write.setState('open')),
        );
        expect(outcome.saved).toBe(2);
        expect(await unsentIds()).toEqual(['t2', 'reopen']);
        expect((await entry('t1')).cancelledBy).toBe('t2');
      });

      it('collapses repeated edits of a comment into the last', async () => {
        expect((await enqueue(request('e1', write.edit(99, 'one')), request('e2', write.edit(99, 'two')), request('e3', write.edit(99, 'three')))).saved).toBe(2);
        expect(await unsentIds()).toEqual(['e3']);
        // A deletion makes pending edits unnecessary and is itself sent.
        expect(await enqueue(request('d', write.delete(99)))).toEqual({ stored: 1, duplicates: 0, saved: 1 });
        expect(await unsentIds()).toEqual(['d']);
        expect(await entry('e3')).toMatchObject({ state: 'cancelled', cancelledBy: 'd' });
      });

      it('posts a comment not yet sent with its latest body, and not at all when it is deleted first', async () => {
        await enqueue(request('c1', write.comment('first draft')));
        const placeholder = placeholderIdFor('c1');
        expect((await entry('c1')).placeholderId).toBe(placeholder);
        expect(placeholder).toBeLessThan(0);
        expect(await enqueue(request('c1-edit', write.edit(placeholder, 'final')))).toEqual({ stored: 0, duplicates: 0, saved: 1 });
        expect(await outbox.unsent(INSTALLATION, SUBJECT)).toMatchObject([{ id: 'c1', state: 'pending', write: { kind: 'createComment', body: 'final' } }]);
        expect(await entry('c1-edit')).toMatchObject({ state: 'cancelled', cancelledBy: 'c1' });

        await enqueue(request('c2', write.comment('oops')));
        expect(await enqueue(request('c2-delete', write.delete(placeholderIdFor('c2'))))).toEqual({ stored: 0, duplicates: 0, saved: 2 });
        expect(await unsentIds()).toEqual(['c1']);
        expect(await entry('c2')).toMatchObject({ state: 'cancelled', cancelledBy: 'c2-delete' });
      });

      it('coalesces nothing with a write already being sent', async () => {
        await enqueue(
          request('status/1', write.status('ci/unit', 'pending')),
          request('add', write.addLabel('lgtm'), { changesState: true }),
          request('c', write.comment('draft')),
        );
        const lease = await claim();
        expect((await takeIds(lease)).sort()).toEqual(['add', 'c', 'status/1']);
        expect(
          await enqueue(
            request('status/2', write.status('ci/unit', 'success')),
            request('remove', write.removeLabel('lgtm'), { changesState: true }),
            request('c-edit', write.edit(placeholderIdFor('c'), 'final')),
          ),
        ).toEqual({ stored: 3, duplicates: 0, saved: 0 });
        expect(await outbox.unsent(INSTALLATION, commitSubject('acme', 'widgets', SHA))).toMatchObject([
          { id: 'status/1', state: 'sending' },
          { id: 'status/2', state: 'pending' },
        ]);
        expect(await outbox.unsent(INSTALLATION, SUBJECT)).toMatchObject([
          { id: 'add', state: 'sending' },
          { id: 'c', state: 'sending' },
          { id: 'remove', state: 'pending' },
          { id: 'c-edit', state: 'pending', resource: `${SUBJECT} comment:${placeholderIdFor('c')}` },
        ]);
        // The pending remove still cancels out with a later add.
        expect(await enqueue(request('add-again', write.addLabel('lgtm'), { changesState: true }))).toMatchObject({ stored: 0, saved: 2 });
      });
    });

    describe('readers', () => {
      it('lists the unsent writes of one issue or commit in the order they were enqueued', async () => {
        await enqueue(
          request('label', write.addLabel('lgtm')),
          request('other-pr', write.comment('elsewhere', 8)),
          request('status', write.status('ci/unit', 'pending')),
          request('comment', write.comment('hello')),
          request('assign', write.addAssignee('alice')),
        );
        expect(await unsentIds()).toEqual(['label', 'comment', 'assign']);
        // Subjects ignore case, as GitHub's names do.
        expect(await unsentIds(issueSubject('ACME', 'Widgets', 7))).toEqual(['label', 'comment', 'assign']);
        expect(await unsentIds(commitSubject('acme', 'widgets', SHA))).toEqual(['status']);
        expect(await outbox.unsent('another-installation', SUBJECT)).toEqual([]);

        const lease = await claim();
        await outbox.take(lease, { limit: 1 });
        await outbox.settle(lease, [{ id: 'label', result: 'sent' }], [clock.now()]);
        expect(await unsentIds()).toEqual(['comment', 'assign']);
      });
    });

    describe('writer lease', () => {
      it('lets one writer hold an installation at a time, renewed while it works, taken over once it lapses', async () => {
        const first = await claim('writer-a');
        expect(first).toEqual({ installation: INSTALLATION, holder: 'writer-a', token: 1, expiresAt: clock.now() + LEASE_MS });
        expect(await outbox.claimWriter(INSTALLATION, 'writer-b', LEASE_MS)).toBeUndefined();
        // Other installations have writers of their own.
        expect(await outbox.claimWriter('token', 'writer-b', LEASE_MS)).toMatchObject({ installation: 'token', token: 1 });

        clock.advance(LEASE_MS - 1);
        const renewed = await outbox.renewWriter(first, LEASE_MS);
        expect(renewed).toEqual({ ...first, expiresAt: clock.now() + LEASE_MS });
        clock.advance(LEASE_MS - 1);
        expect(await outbox.claimWriter(INSTALLATION, 'writer-b', LEASE_MS)).toBeUndefined();

        clock.advance(2);
        await expect(outbox.renewWriter(renewed, LEASE_MS)).rejects.toBeInstanceOf(StaleLeaseError);
        const second = await claim('writer-b');
        expect(second.token).toBe(2);
        await expect(outbox.renewWriter(renewed, LEASE_MS)).rejects.toThrow(/superseded by token 2 of writer-b/);
        // Releasing a lease one no longer holds does nothing.
        await outbox.releaseWriter(renewed);
        expect(await outbox.claimWriter(INSTALLATION, 'writer-c', LEASE_MS)).toBeUndefined();

        await outbox.releaseWriter(second);
        expect(await claim('writer-c')).toMatchObject({ token: 3 });
      });

      it('counts the requests a stopped writer may have sent and never recorded as sent when the next writer claims', async () => {
        await enqueue(
          request('status', write.status('ci/unit', 'pending')),
          request('review', write.requestReviewer('alice')),
          request('label', write.addLabel('lgtm')),
        );
        const finished = await claim('writer-a');
        await outbox.take(finished, { limit: 1 });
        const sent = clock.now();
        // Settled, and so no longer reserved: the pace window holds what it recorded.
        await outbox.settle(finished, [{ id: 'status', result: 'sent' }], [sent]);
        await outbox.releaseWriter(finished);
        const stopped = await claim('writer-b');
        expect((await outbox.pace(INSTALLATION)).sentAt).toEqual([sent]);

        expect((await outbox.take(stopped, { limit: 10 })).entries.map((e) => e.id)).toEqual(['label', 'review']);
        clock.advance(LEASE_MS);
        const next = await claim('writer-c');
        // A label: its request and the client's quick retry; a review request: twice that.
        expect((await outbox.pace(INSTALLATION)).sentAt).toEqual([sent, ...Array.from({ length: 6 }, () => clock.now())]);
        await outbox.settle(next, (await outbox.take(next, { limit: 10 })).entries.map((e) => ({ id: e.id, result: 'sent' as const })), [clock.now()]);
        await outbox.releaseWriter(next);
        await claim('writer-d');
        expect((await outbox.pace(INSTALLATION)).sentAt).toHaveLength(8);
      });

      it('refuses a stale writer: it can neither take, nor settle, nor block', async () => {
        await enqueue(request('s1', write.status('ci/unit', 'pending')), request('s2', write.status('ci/e2e', 'pending')));
        const stale = await claim('writer-a');
        expect(await takeIds(stale, 1)).toEqual(['s1']);
        clock.advance(LEASE_MS);
        // Expired: refused even before anyone else claims.
        await expect(outbox.take(stale, { limit: 10 })).rejects.toBeInstanceOf(StaleLeaseError);
        const current = await claim('writer-b');
        await expect(outbox.take(stale, { limit: 10 })).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(outbox.settle(stale, [{ id: 's1', result: 'sent' }], [clock.now()])).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(outbox.block(stale, clock.now() + 60_000, 'secondary limit')).rejects.toBeInstanceOf(StaleLeaseError);
        expect((await entry('s1')).state).toBe('sending');
        // What the stale writer reserved for s1 counts as sent since the claim; its refused settle added nothing.
        expect((await outbox.pace(INSTALLATION)).sentAt).toHaveLength(2);
        expect(await takeIds(current)).toEqual(['s1', 's2']);
        await expect(outbox.take({ ...current, token: current.token + 1 }, { limit: 1 })).rejects.toBeInstanceOf(StaleLeaseError);
      });
    });

    describe('take', () => {
      it('hands out statuses and labels first, then people and issue state, then comments, each in enqueue order', async () => {
        await enqueue(
          request('comment', write.comment('hello')),
          request('assign', write.addAssignee('alice')),
          request('label', write.addLabel('lgtm')),
          request('title', write.setTitle('new')),
          request('status', write.status('ci/unit', 'pending')),
        );
        const lease = await claim();
        const taken = (await outbox.take(lease, { limit: 3 })).entries;
        expect(taken.map((e) => e.id)).toEqual(['label', 'status', 'assign']);
        expect(taken.every((e) => e.state === 'sending' && e.writerToken === lease.token && e.attempts === 1)).toBe(true);
        expect((await entry('label')).state).toBe('sending');
        expect(await takeIds(lease)).toEqual(['title', 'comment']);
        // What this writer is sending already is not handed out again.
        expect(await takeIds(lease)).toEqual([]);
      });

      it('lets a write that has waited over a minute go first, so statuses cannot starve comments', async () => {
        await enqueue(request('comment', write.comment('hello')));
        clock.advance(OUTBOX_AGING_MS);
        await enqueue(request('status', write.status('ci/unit', 'pending')));
        const lease = await claim();
        expect(await takeIds(lease)).toEqual(['comment', 'status']);
      });

      it('resumes what a stopped writer was sending before anything else', async () => {
        await enqueue(request('comment', write.comment('hello')), request('assign', write.addAssignee('alice')));
        const stopped = await claim('writer-a');
        expect(await takeIds(stopped, 1)).toEqual(['assign']);
        clock.advance(LEASE_MS);
        await enqueue(request('status', write.status('ci/unit', 'pending')));
        const next = await claim('writer-b');
        const taken = (await outbox.take(next, { limit: 10 })).entries;
        expect(taken.map((e) => e.id)).toEqual(['assign', 'status', 'comment']);
        expect(taken[0]).toMatchObject({ writerToken: next.token, attempts: 2 });
      });

      it('waits until `notBefore` before handing out a write to retry', async () => {
        await enqueue(request('status', write.status('ci/unit', 'pending')), request('label', write.addLabel('lgtm')));
        const lease = await claim();
        await outbox.take(lease, { limit: 1 });
        await outbox.settle(lease, [{ id: 'status', result: 'retry', notBefore: clock.now() + 5_000, error: '502 Bad Gateway' }], [clock.now()]);
        expect(await entry('status')).toMatchObject({ state: 'pending', notBefore: clock.now() + 5_000, error: '502 Bad Gateway', attempts: 1 });
        expect((await entry('status')).writerToken).toBeUndefined();
        expect(await takeIds(lease)).toEqual(['label']);
        clock.advance(5_000);
        expect(await takeIds(lease)).toEqual(['status']);
        expect((await entry('status')).attempts).toBe(2);
      });

      it('hands out nothing while GitHub asked for no writes', async () => {
        await enqueue(request('status', write.status('ci/unit', 'pending')));
        const lease = await claim();
        await outbox.block(lease, clock.now() + 50 * 60_000, 'secondary rate limit: Retry-After 3000');
        expect(await outbox.pace(INSTALLATION)).toMatchObject({
          blockedUntil: clock.now() + 50 * 60_000,
          blockedReason: 'secondary rate limit: Retry-After 3000',
        });
        expect(await outbox.take(lease, { limit: 10 })).toEqual({ entries: [], nextAt: clock.now() + 50 * 60_000 });
        clock.advance(50 * 60_000);
        const renewed = await claim('writer-b');
        expect(await takeIds(renewed)).toEqual(['status']);
        const pace = await outbox.pace(INSTALLATION);
        expect(pace.blockedUntil).toBeUndefined();
        expect(pace.blockedReason).toBeUndefined();
      });
    });

    describe('coalescing window', () => {
      it('holds a write back for the window unless it was taken before, and says when the next one can be taken', async () => {
        const start = clock.now();
        await enqueue(request('label', write.addLabel('lgtm')), request('status', write.status('ci/unit', 'pending')));
        const lease = await claim();
        const windowed = { limit: 1, coalesceWindowMs: 2_000 };
        expect(await outbox.take(lease, windowed)).toEqual({ entries: [], nextAt: start + 2_000 });

        clock.advance(start + 2_001 - clock.now());
        const first = await outbox.take(lease, windowed);
        expect(first.entries.map((e) => e.id)).toEqual(['label']);
        // More was takeable than the limit.
        expect(first.nextAt).toBe(clock.now());
        await outbox.settle(lease, [{ id: 'label', result: 'retry', notBefore: clock.now() + 500, error: '502' }], [clock.now()]);
        const second = await outbox.take(lease, windowed);
        expect(second.entries.map((e) => e.id)).toEqual(['status']);
        expect(second.nextAt).toBe(clock.now() + 500);

        // A write taken before has waited its window already.
        await enqueue(request('comment', write.comment('hi')));
        clock.advance(500);
        const third = await outbox.take(lease, { limit: 10, coalesceWindowMs: 2_000 });
        expect(third.entries.map((e) => e.id)).toEqual(['label']);
        expect(third.nextAt).toBe(clock.now() - 501 + 2_000);
      });
    });

    describe('settle', () => {
      it('dates a settled write by when GitHub answered it', async () => {
        await enqueue(request('label', write.addLabel('lgtm')), request('bad', write.addAssignee('ghost')));
        const lease = await claim();
        await outbox.take(lease, { limit: 10 });
        const answered = clock.now();
        clock.advance(300);
        await outbox.settle(
          lease,
          [
            { id: 'label', result: 'sent', at: answered - 100 },
            { id: 'bad', result: 'failed', error: '422', at: answered },
          ],
          [answered - 100, answered],
        );
        expect((await entry('label')).settledAt).toBe(answered - 100);
        expect((await entry('bad')).settledAt).toBe(answered);
      });

      it('records how each write ended, and finds a created comment’s ID by its placeholder', async () => {
        await enqueue(
          request('comment', write.comment('hello')),
          request('label', write.addLabel('lgtm')),
          request('bad', write.addAssignee('ghost')),
        );
        const lease = await claim();
        await outbox.take(lease, { limit: 10 });
        expect(await outbox.commentIdFor(INSTALLATION, placeholderIdFor('comment'))).toBeUndefined();
        clock.advance(200);
        await outbox.settle(
          lease,
          [
            { id: 'comment', result: 'sent', commentId: 555 },
            { id: 'label', result: 'sent' },
            { id: 'bad', result: 'failed', error: '422 ghost cannot be assigned' },
            // Not taken under this lease: ignored.
            { id: 'no-such-write', result: 'sent' },
          ],
          [clock.now(), clock.now()],
        );
        expect(await entry('comment')).toMatchObject({ state: 'sent', commentId: 555, settledAt: clock.now() });
        expect((await entry('comment')).writerToken).toBeUndefined();
        expect(await entry('label')).toMatchObject({ state: 'sent', settledAt: clock.now() });
        expect(await entry('bad')).toMatchObject({ state: 'failed', error: '422 ghost cannot be assigned', settledAt: clock.now() });
        expect(await outbox.commentIdFor(INSTALLATION, placeholderIdFor('comment'))).toBe(555);
        expect(await outbox.commentIdFor(INSTALLATION, placeholderIdFor('label'))).toBeUndefined();
        expect(await unsentIds()).toEqual([]);
        // Settling again changes nothing: the entries are no longer being sent.
        await outbox.settle(lease, [{ id: 'label', result: 'failed', error: 'late' }], []);
        expect((await entry('label')).state).toBe('sent');
      });

      it('keeps the last hour of requests as the pace window', async () => {
        const lease = await claim();
        const start = clock.now();
        await outbox.settle(lease, [], [start - 2 * 3_600_000, start - 1_000, start]);
        expect((await outbox.pace(INSTALLATION)).sentAt).toEqual([start - 1_000, start]);
        clock.advance(30 * 60_000);
        const next = await claim('writer-b');
        await outbox.settle(next, [], [clock.now()]);
        expect((await outbox.pace(INSTALLATION)).sentAt).toEqual([start - 1_000, start, clock.now()]);
        clock.advance(30 * 60_000);
        expect((await outbox.pace(INSTALLATION)).sentAt).toEqual([start + 30 * 60_000]);
        expect(await outbox.pace('never-written')).toEqual({ installation: 'never-written', sentAt: [] });
      });
    });

    describe('waking writers', () => {
      it('names the installations with work a writer could do now and no live writer', async () => {
        expect(await outbox.installationsNeedingWriter()).toEqual([]);
        await enqueue(request('status', write.status('ci/unit', 'pending')), { ...request('t', write.addLabel('x')), installation: 'token' });
        expect((await outbox.installationsNeedingWriter()).sort()).toEqual([INSTALLATION, 'token']);

        const lease = await claim();
        expect(await outbox.installationsNeedingWriter()).toEqual(['token']);
        expect(await takeIds(lease)).toEqual(['status']);
        // Its writer stopped mid-send: the write must be resumed.
        clock.advance(LEASE_MS);
        expect((await outbox.installationsNeedingWriter()).sort()).toEqual([INSTALLATION, 'token']);

        // Only a write to retry later: nothing to do until then.
        const next = await claim('writer-b');
        await outbox.take(next, { limit: 10 });
        await outbox.settle(next, [{ id: 'status', result: 'retry', notBefore: clock.now() + 60_000, error: '502' }], []);
        await outbox.releaseWriter(next);
        expect(await outbox.installationsNeedingWriter()).toEqual(['token']);
        clock.advance(60_000);
        expect((await outbox.installationsNeedingWriter()).sort()).toEqual([INSTALLATION, 'token']);

        // Blocked by GitHub: nothing to do either.
        const blocked = await claim('writer-c');
        await outbox.block(blocked, clock.now() + 120_000, 'Retry-After 120');
        await outbox.releaseWriter(blocked);
        expect(await outbox.installationsNeedingWriter()).toEqual(['token']);
        clock.advance(120_000);
        expect((await outbox.installationsNeedingWriter()).sort()).toEqual([INSTALLATION, 'token']);
      });
    });

    describe('stats', () => {
      it('counts depth, the oldest waiting write, writes saved, requests in the last minute and hour, and failures', async () => {
        expect(await outbox.stats()).toEqual([]);
        const firstEnqueued = clock.now();
        await enqueue(
          request('s1', write.status('ci/unit', 'pending')),
          request('s2', write.status('ci/unit', 'success')),
          request('add', write.addLabel('hold'), { changesState: true }),
          request('remove', write.removeLabel('hold'), { changesState: true }),
          request('comment', write.comment('hi')),
          request('bad', write.addAssignee('ghost')),
        );
        expect(await outbox.stats()).toEqual([{ installation: INSTALLATION, depth: 3, oldestEnqueuedAt: firstEnqueued + 1, saved: 3, sentLastMinute: 0, sentLastHour: 0, failed: 0 }]);

        const lease = await claim();
        await outbox.take(lease, { limit: 10 });
        await outbox.settle(lease, [{ id: 's2', result: 'sent' }, { id: 'bad', result: 'failed', error: '422' }], [clock.now() - 2 * 60_000, clock.now()]);
        const stats = await outbox.stats();
        expect(stats).toEqual([
          {
            installation: INSTALLATION,
            depth: 1,
            oldestEnqueuedAt: firstEnqueued + 4,
            saved: 3,
            sentLastMinute: 1,
            sentLastHour: 2,
            failed: 1,
            writer: { holder: 'writer-a', expiresAt: lease.expiresAt },
          },
        ]);
        await outbox.settle(lease, [{ id: 'comment', result: 'sent', commentId: 1 }], []);
        const after = (await outbox.stats())[0];
        expect(after?.depth).toBe(0);
        expect(after?.oldestEnqueuedAt).toBeUndefined();
      });
    });

    describe('retention', () => {
      it('forgets settled writes after a week, and never unsent ones', async () => {
        await enqueue(request('sent', write.addLabel('a')), request('waiting', write.comment('hi')));
        const lease = await claim();
        await outbox.take(lease, { limit: 1 });
        await outbox.settle(lease, [{ id: 'sent', result: 'sent' }], []);
        clock.advance(OUTBOX_RETENTION_MS);
        expect(await outbox.get(INSTALLATION, 'sent')).toBeUndefined();
        expect((await entry('waiting')).state).toBe('pending');
        // Its key may be used again.
        expect((await enqueue(request('sent', write.addLabel('a')))).stored).toBe(1);
      });
    });

    describe('concurrency', () => {
      it('keeps one unsent status per commit and context, and unique sequence numbers, when many instances enqueue at once', async () => {
        const instances = [outbox, ...Array.from({ length: 3 }, () => opened.connect().outbox)];
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            instances[i % instances.length]?.enqueue([request(`status-${i}`, write.status('ci/unit', i % 2 ? 'success' : 'failure'))]),
          ),
        );
        expect(outcomes.reduce((sum, o) => sum + (o?.stored ?? 0), 0)).toBe(20);
        expect(outcomes.reduce((sum, o) => sum + (o?.saved ?? 0), 0)).toBe(19);
        const unsent = await outbox.unsent(INSTALLATION, commitSubject('acme', 'widgets', SHA));
        expect(unsent).toHaveLength(1);
        const all = await Promise.all(Array.from({ length: 20 }, (_, i) => entry(`status-${i}`)));
        expect(new Set(all.map((e) => e.seq)).size).toBe(20);
        // The one left is the last enqueued.
        expect(unsent[0]?.seq).toBe(Math.max(...all.map((e) => e.seq)));
        expect(all.filter((e) => e.state === 'cancelled')).toHaveLength(19);
        expect((await outbox.stats())[0]).toMatchObject({ depth: 1, saved: 19 });
      });

      it('never cancels a write its writer has taken, while other instances enqueue at the same time', async () => {
        const lease = await claim();
        const writer = opened.connect().outbox;
        const instances = [outbox, opened.connect().outbox];
        const taken: string[] = [];
        const takes = (async () => {
          for (let round = 0; round < 6; round++) taken.push(...(await writer.take(lease, { limit: 2 })).entries.map((e) => e.id));
        })();
        await Promise.all([
          takes,
          ...Array.from({ length: 12 }, (_, i) =>
            instances[i % 2]?.enqueue([
              request(`status-${i}`, write.status('ci/unit', 'pending')),
              request(`label-${i}`, i % 2 ? write.removeLabel('lgtm') : write.addLabel('lgtm'), { changesState: true }),
            ]),
          ),
        ]);
        for (const id of taken) expect((await entry(id)).state, id).toBe('sending');
        expect(new Set(taken).size).toBe(taken.length);
        const unsent = await outbox.unsent(INSTALLATION, commitSubject('acme', 'widgets', SHA));
        expect(unsent.filter((e) => e.state === 'pending').length).toBeLessThanOrEqual(1);
        const stats = (await outbox.stats())[0];
        const states = await Promise.all(Array.from({ length: 12 }, (_, i) => [`status-${i}`, `label-${i}`]).flat().map((id) => entry(id)));
        expect(stats?.depth).toBe(states.filter((e) => e.state === 'pending' || e.state === 'sending').length);
      });

      it('gives the writer lease to exactly one of several claimants', async () => {
        const leases = await Promise.all(Array.from({ length: 5 }, (_, i) => outbox.claimWriter(INSTALLATION, `writer-${i}`, LEASE_MS)));
        expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
      });
    });

    if (options.durable) {
      it('finds every entry, lease and pace window again after a restart', async () => {
        if (!opened.reopen) throw new Error(`${implementation} is durable but cannot be reopened`);
        await enqueue(
          request('status', write.status('ci/unit', 'pending')),
          request('comment', write.comment('hi')),
          request('add', write.addLabel('hold'), { changesState: true }),
          request('remove', write.removeLabel('hold'), { changesState: true }),
          request('retry', write.addAssignee('alice')),
        );
        const lease = await claim();
        await outbox.take(lease, { limit: 10 });
        await outbox.settle(
          lease,
          [
            { id: 'comment', result: 'sent', commentId: 77 },
            { id: 'retry', result: 'retry', notBefore: clock.now() + 1_000, error: '502' },
          ],
          [clock.now()],
        );
        await outbox.block(lease, clock.now() + 500, 'Retry-After 1');
        const before = {
          entries: await Promise.all(['status', 'comment', 'add', 'remove', 'retry'].map((id) => entry(id))),
          stats: await outbox.stats(),
          pace: await outbox.pace(INSTALLATION),
        };

        outbox = (await opened.reopen()).outbox;
        expect(await Promise.all(['status', 'comment', 'add', 'remove', 'retry'].map((id) => entry(id)))).toEqual(before.entries);
        expect(await outbox.stats()).toEqual(before.stats);
        expect(await outbox.pace(INSTALLATION)).toEqual(before.pace);
        expect(await outbox.commentIdFor(INSTALLATION, placeholderIdFor('comment'))).toBe(77);
        expect(await unsentIds()).toEqual(['retry']);
        expect(await outbox.claimWriter(INSTALLATION, 'writer-b', LEASE_MS)).toBeUndefined();
        expect((await outbox.enqueue([request('remove', write.removeLabel('hold'))])).duplicates).toBe(1);
        clock.advance(1_000);
        expect(await takeIds(lease)).toEqual(['retry']);
        clock.advance(LEASE_MS);
        // Both were being sent when their writer stopped.
        expect(await takeIds(await claim('writer-b'))).toEqual(['status', 'retry']);
        expect((await outbox.enqueue([request('next', write.addLabel('next'))])).stored).toBe(1);
        expect((await entry('next')).seq).toBeGreaterThan(Math.max(...before.entries.map((e) => e.seq)));
      });
    }
  });
}
