import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../../shared/github/client';
import { GitHubClients } from '../../../shared/github/octokit';
import { memoryLogger, type Logger } from '../../../shared/log/logger';
import type { WriteLimits } from '../../../shared/outbox/pace';
import { OutboxWriter, writerClientsOf, type DrainReport, type WriterClock } from '../../../shared/outbox/writer';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { FirestoreStore } from '../../../shared/store/firestore';
import type { GitHubWrite, OutboxStore } from '../../../shared/store/outbox';
import type { Store } from '../../../shared/store/store';
import { startFirestoreEmulator, type RunningEmulator } from '../../support/emulators';
import { primaryRateLimit, secondaryRateLimit, startFakeGitHub, type FakeGitHub } from '../../support/fake-github';
import { waitFor } from '../../support/wait';

/**
 * The outbox writer against the embedded store and the fake GitHub over real HTTP, on simulated
 * time: the store, the fake and the writer share one clock that only moves when the writer waits,
 * so an hour-long Retry-After is waited out in no time at all. At the end, the same against
 * Firestore on its emulator.
 */

const REPO = 'acme/widgets';
const [OWNER, NAME] = ['acme', 'widgets'];
const INSTALLATION = 'token';
const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const HOUR = 3_600_000;

/** Time that passes only when someone waits: sleeping moves it forward at once. */
class SimulatedClock implements WriterClock {
  time = START;
  readonly now = (): number => this.time;
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (!signal?.aborted) this.time += Math.max(0, ms);
    await Promise.resolve();
  };
  advance(ms: number): void {
    this.time += ms;
  }
}

interface World {
  clock: SimulatedClock;
  store: Store;
  outbox: OutboxStore;
  github: FakeGitHub;
  clients: GitHubClients;
  log: Logger & { entries: Record<string, unknown>[] };
  writer(options?: { limits?: WriteLimits; holder?: string; coalesceWindowMs?: number }): OutboxWriter;
  enqueue(id: string, write: GitHubWrite, extra?: { refusalNotice?: string; changesState?: boolean }): Promise<void>;
  drain(writer?: OutboxWriter, deadlineMs?: number): Promise<DrainReport>;
  /** Write requests the fake received, as "METHOD path", in order. */
  writes(): string[];
  close(): Promise<void>;
}

async function world(openStore: (clock: SimulatedClock) => Store): Promise<World> {
  const clock = new SimulatedClock();
  const store = openStore(clock);
  const github = await startFakeGitHub({ now: () => new Date(clock.now()) });
  github.addRepo(REPO);
  github.addPullRequest(REPO, { number: 1, author: 'alice' });
  const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'writer-token' }, retryAfterBaseMs: 1, cacheBytes: 0 });
  const log = memoryLogger();
  let writers = 0;
  const made: World = {
    clock,
    store,
    outbox: store.outbox,
    github,
    clients,
    log,
    writer: (options = {}) =>
      new OutboxWriter({
        outbox: store.outbox,
        github: writerClientsOf(clients),
        log,
        clock,
        holder: options.holder ?? `test-writer-${++writers}`,
        ...(options.limits ? { limits: options.limits } : {}),
        coalesceWindowMs: options.coalesceWindowMs ?? 0,
      }),
    enqueue: async (id, write, extra = {}) => {
      await store.outbox.enqueue([{ id, installation: INSTALLATION, write, cause: `test ${id}`, ...extra }]);
    },
    drain: (writer = made.writer(), deadlineMs = 540_000) => writer.drain(INSTALLATION, { deadline: clock.now() + deadlineMs }),
    writes: () =>
      github.requests.filter((request) => request.method !== 'GET' && !request.path.startsWith('/app/')).map((request) => `${request.method} ${request.path}`),
    close: async () => {
      await github.close();
      await store.close();
    },
  };
  return made;
}

const issue = { owner: OWNER, repo: NAME, number: 1 };
const addLabel = (label: string): GitHubWrite => ({ kind: 'addLabel', ...issue, label });
const status = (context: string, state: 'pending' | 'success' = 'success'): GitHubWrite => ({
  kind: 'createStatus',
  owner: OWNER,
  repo: NAME,
  sha: 'a'.repeat(40),
  context,
  state,
  description: `${context} ${state}`,
});
const comment = (body: string): GitHubWrite => ({ kind: 'createComment', ...issue, body });

describe('outbox writer on the embedded store', () => {
  let w: World;
  beforeEach(async () => {
    w = await world((clock) => EmbeddedStore.open({ now: clock.now }));
  });
  afterEach(async () => {
    await w.close();
  });

  describe('joining', () => {
    it('sends the labels, people and title/state of one issue as one request each', async () => {
      w.github.addCollaborator(REPO, 'bob');
      w.github.addCollaborator(REPO, 'carol');
      await w.enqueue('l1', addLabel('kind/bug'));
      await w.enqueue('l2', addLabel('lgtm'));
      await w.enqueue('l3', addLabel('approved'));
      await w.enqueue('a1', { kind: 'addAssignee', ...issue, login: 'bob' });
      await w.enqueue('a2', { kind: 'addAssignee', ...issue, login: 'carol' });
      await w.enqueue('t', { kind: 'setTitle', ...issue, title: 'Fix the widget' });
      await w.enqueue('s', { kind: 'setState', ...issue, state: 'closed', stateReason: 'completed' });

      const report = await w.drain();

      expect(w.writes()).toEqual([
        'POST /repos/acme/widgets/issues/1/labels',
        'POST /repos/acme/widgets/issues/1/assignees',
        'PATCH /repos/acme/widgets/issues/1',
      ]);
      expect(w.github.labels(REPO, 1)).toEqual(['kind/bug', 'lgtm', 'approved']);
      expect(w.github.assignees(REPO, 1)).toEqual(['bob', 'carol']);
      expect(w.github.issue(REPO, 1)).toMatchObject({ title: 'Fix the widget', state: 'closed' });
      expect(report).toMatchObject({ end: 'drained', sent: 7, requests: 3, joined: 4, failed: 0, retried: 0 });
      for (const id of ['l1', 'l2', 'l3', 'a1', 'a2', 't', 's']) expect((await w.outbox.get(INSTALLATION, id))?.state).toBe('sent');
    });

    it('joins review requests for people and teams, and their withdrawals, into one request each', async () => {
      w.github.addCollaborator(REPO, 'bob');
      w.github.addTeamMember('acme', 'reviewers', 'dave');
      await w.enqueue('r1', { kind: 'requestReviewer', ...issue, login: 'bob' });
      await w.enqueue('r2', { kind: 'requestReviewer', ...issue, login: 'acme/reviewers' });
      await w.drain();
      expect(w.github.requestedReviewers(REPO, 1)).toEqual(['bob']);
      expect(w.github.requestedTeams(REPO, 1)).toEqual(['acme/reviewers']);

      await w.enqueue('u1', { kind: 'removeRequestedReviewer', ...issue, login: 'bob' });
      await w.enqueue('u2', { kind: 'removeRequestedReviewer', ...issue, login: 'acme/reviewers' });
      await w.drain();
      expect(w.github.requestedReviewers(REPO, 1)).toEqual([]);
      expect(w.github.requestedTeams(REPO, 1)).toEqual([]);
      expect(w.writes()).toEqual([
        'POST /repos/acme/widgets/pulls/1/requested_reviewers',
        'DELETE /repos/acme/widgets/pulls/1/requested_reviewers',
      ]);
    });

    it('removes labels and posts comments one request each', async () => {
      w.github.addPullRequest(REPO, { number: 2, author: 'alice', labels: ['needs-rebase', 'do-not-merge/hold'] });
      await w.enqueue('x1', { kind: 'removeLabel', owner: OWNER, repo: NAME, number: 2, label: 'needs-rebase' });
      await w.enqueue('x2', { kind: 'removeLabel', owner: OWNER, repo: NAME, number: 2, label: 'do-not-merge/hold' });
      // Not there: GitHub's 404 means it is gone, which is what was asked.
      await w.enqueue('x3', { kind: 'removeLabel', owner: OWNER, repo: NAME, number: 2, label: 'lgtm' });
      await w.enqueue('c1', { kind: 'createComment', owner: OWNER, repo: NAME, number: 2, body: 'one' });
      await w.enqueue('c2', { kind: 'createComment', owner: OWNER, repo: NAME, number: 2, body: 'two' });
      const report = await w.drain();
      expect(w.github.labels(REPO, 2)).toEqual([]);
      expect(w.github.comments(REPO, 2).map((each) => each.body)).toEqual(['one', 'two']);
      expect(report).toMatchObject({ sent: 5, requests: 5, failed: 0 });
    });
  });

  it('sends statuses and labels before people, and people before comments, each kind in the order enqueued', async () => {
    w.github.addCollaborator(REPO, 'bob');
    await w.enqueue('comment', comment('Thanks!'));
    await w.enqueue('assign', { kind: 'addAssignee', ...issue, login: 'bob' });
    await w.enqueue('label', addLabel('lgtm'));
    await w.enqueue('status', status('ci/unit'));
    await w.drain();
    expect(w.writes()).toEqual([
      'POST /repos/acme/widgets/issues/1/labels',
      `POST /repos/acme/widgets/statuses/${'a'.repeat(40)}`,
      'POST /repos/acme/widgets/issues/1/assignees',
      'POST /repos/acme/widgets/issues/1/comments',
    ]);
  });

  describe('comments created through the outbox', () => {
    it('edits and deletes a comment by the placeholder readers saw, once GitHub has given it an ID', async () => {
      await w.enqueue('hello', comment('Hello'));
      await w.drain();
      const created = await w.outbox.get(INSTALLATION, 'hello');
      const placeholder = created?.placeholderId;
      expect(placeholder).toBeLessThan(0);
      const [posted] = w.github.comments(REPO, 1);
      expect(created?.commentId).toBe(posted?.id);

      await w.enqueue('edit', { kind: 'editComment', ...issue, commentId: placeholder!, body: 'Hello again' });
      await w.drain();
      expect(w.github.comments(REPO, 1)).toEqual([{ id: posted!.id, body: 'Hello again', user: 'cutwater-bot' }]);

      await w.enqueue('delete', { kind: 'deleteComment', ...issue, commentId: placeholder! });
      await w.drain();
      expect(w.github.comments(REPO, 1)).toEqual([]);
    });

    it('holds back an edit of a comment whose creation failed for now, then edits the comment once created', async () => {
      w.github.setWriteDelay(50);
      w.github.failNext('POST', /\/comments$/, { status: 502, body: { message: 'Bad Gateway' } }, 2);
      await w.enqueue('hello', comment('Hello'));
      const placeholder = (await w.outbox.get(INSTALLATION, 'hello'))?.placeholderId;
      const draining = w.drain();
      await waitFor(() => w.github.requests.some((request) => request.method === 'POST'), 'the comment to be on its way');
      // The creation is on its way, so the edit cannot be folded into it and waits in the outbox.
      await w.enqueue('edit', { kind: 'editComment', ...issue, commentId: placeholder!, body: 'Hello, edited' });
      // The drain waits out the creation's backoff, creates the comment, then edits it.
      expect(await draining).toMatchObject({ end: 'drained', sent: 2, retried: 2, failed: 0 });
      const posted = w.github.comments(REPO, 1);
      expect(posted.map((each) => each.body)).toEqual(['Hello, edited']);
      expect(w.writes()).toEqual([
        'POST /repos/acme/widgets/issues/1/comments',
        'POST /repos/acme/widgets/issues/1/comments',
        'POST /repos/acme/widgets/issues/1/comments',
        `PATCH /repos/acme/widgets/issues/comments/${posted[0]!.id}`,
      ]);
    });

    it('fails an edit of a comment that GitHub refused to create, saying so', async () => {
      w.github.failNext('POST', /\/comments$/, { status: 422, body: { message: 'Validation Failed' } });
      await w.enqueue('hello', comment('Hello'));
      await w.drain();
      const placeholder = (await w.outbox.get(INSTALLATION, 'hello'))?.placeholderId;
      await w.enqueue('edit', { kind: 'editComment', ...issue, commentId: placeholder!, body: 'Hello again' });
      await w.drain();
      expect(await w.outbox.get(INSTALLATION, 'edit')).toMatchObject({ state: 'failed', error: expect.stringContaining('never created') });
      expect(w.github.comments(REPO, 1)).toEqual([]);
    });
  });

  describe('a writer that stopped mid-send', () => {
    /** A writer takes the entries and stops without settling them, its lease then lapsing. */
    async function crashAfterTaking(): Promise<void> {
      const lease = await w.outbox.claimWriter(INSTALLATION, 'crashed-writer', 60_000);
      expect((await w.outbox.take(lease!, { limit: 10 })).entries).not.toHaveLength(0);
      w.clock.advance(61_000);
    }

    it('does not post a comment twice when the stopped writer’s request went through', async () => {
      await w.enqueue('report', comment('Tests passed'));
      await crashAfterTaking();
      // The stopped writer's request reached GitHub; its answer never came back.
      const { id } = w.github.addComment(REPO, 1, 'cutwater-bot', 'Tests passed');
      const report = await w.drain();
      expect(w.github.comments(REPO, 1)).toEqual([{ id, body: 'Tests passed', user: 'cutwater-bot' }]);
      expect(w.writes()).toEqual([]);
      expect(await w.outbox.get(INSTALLATION, 'report')).toMatchObject({ state: 'sent', commentId: id });
      expect(report).toMatchObject({ sent: 1, requests: 0 });
    });

    it('posts the comment when the stopped writer never sent it, and does not take someone else’s same words for it', async () => {
      await w.enqueue('report', comment('LGTM'));
      w.github.addComment(REPO, 1, 'alice', 'LGTM');
      await crashAfterTaking();
      await w.drain();
      expect(w.github.comments(REPO, 1).map((each) => `${each.user}: ${each.body}`)).toEqual(['alice: LGTM', 'cutwater-bot: LGTM']);
    });

    it('sends its other writes again, which GitHub takes as the same change', async () => {
      await w.enqueue('label', addLabel('lgtm'));
      await w.enqueue('status', status('ci/unit'));
      await crashAfterTaking();
      await w.drain();
      expect(w.github.labels(REPO, 1)).toEqual(['lgtm']);
      expect(w.github.statuses(REPO, 'a'.repeat(40))).toHaveLength(1);
    });
  });

  describe('refusal notices', () => {
    it('comments once on the issue naming everyone GitHub silently left unassigned', async () => {
      w.github.addCollaborator(REPO, 'bob');
      const notice = 'GitHub did not let me assign {{logins}}.';
      await w.enqueue('a1', { kind: 'addAssignee', ...issue, login: 'bob' }, { refusalNotice: notice });
      await w.enqueue('a2', { kind: 'addAssignee', ...issue, login: 'stranger' }, { refusalNotice: notice });
      await w.enqueue('a3', { kind: 'addAssignee', ...issue, login: 'nobody' }, { refusalNotice: notice });
      await w.drain();
      expect(w.github.assignees(REPO, 1)).toEqual(['bob']);
      expect(w.github.comments(REPO, 1).map((each) => each.body)).toEqual(['GitHub did not let me assign stranger, nobody.']);
      expect(await w.outbox.get(INSTALLATION, 'a1')).toMatchObject({ state: 'sent' });
      expect(await w.outbox.get(INSTALLATION, 'a2')).toMatchObject({ state: 'failed' });
      expect(await w.outbox.get(INSTALLATION, 'a1/refused')).toMatchObject({ state: 'sent' });
    });

    it('requests the reviewers GitHub accepts and names those it refused', async () => {
      w.github.addCollaborator(REPO, 'bob');
      const notice = 'I could not request a review from {{logins}}.';
      await w.enqueue('r1', { kind: 'requestReviewer', ...issue, login: 'bob' }, { refusalNotice: notice });
      await w.enqueue('r2', { kind: 'requestReviewer', ...issue, login: 'mallory' }, { refusalNotice: notice });
      // The author cannot review their own pull request.
      await w.enqueue('r3', { kind: 'requestReviewer', ...issue, login: 'alice' }, { refusalNotice: notice });
      await w.drain();
      expect(w.github.requestedReviewers(REPO, 1)).toEqual(['bob']);
      expect(w.github.comments(REPO, 1).map((each) => each.body)).toEqual(['I could not request a review from mallory, alice.']);
    });

    it('keeps a notice within GitHub\'s comment length however many it names', async () => {
      const notice = `${'n'.repeat(65_530)} {{logins}}.`;
      await w.enqueue('a1', { kind: 'addAssignee', ...issue, login: 'stranger' }, { refusalNotice: notice });
      await w.drain();
      const [posted] = w.github.comments(REPO, 1);
      expect(posted?.body.length).toBeLessThanOrEqual(65_536);
      expect(posted?.body).toMatch(/characters not shown\)$/);
    });

    it('says nothing when the writes asked for no notice', async () => {
      await w.enqueue('a1', { kind: 'addAssignee', ...issue, login: 'stranger' });
      await w.drain();
      expect(w.github.comments(REPO, 1)).toEqual([]);
      expect(await w.outbox.get(INSTALLATION, 'a1')).toMatchObject({ state: 'failed' });
    });
  });

  describe('failures', () => {
    it('sends a write again after a 5xx, waiting out a doubling backoff, never dropping it', async () => {
      await w.enqueue('label', addLabel('lgtm'));
      // The writer's client retries once at once, so each attempt meets two of these.
      w.github.failNext('POST', /\/labels$/, { status: 502, body: { message: 'Bad Gateway' } }, 4);
      const report = await w.drain();
      expect(report).toMatchObject({ end: 'drained', sent: 1, retried: 2, failed: 0, waitedMs: 2_000 + 4_000 });
      expect(w.github.labels(REPO, 1)).toEqual(['lgtm']);
      expect(w.log.entries.filter((entry) => entry.severity === 'WARNING' && entry.write === 'label')).toHaveLength(2);
    });

    it('leaves a write whose backoff outlasts the drain to the sweep, which wakes a writer when it is due', async () => {
      await w.enqueue('label', addLabel('lgtm'));
      w.github.failNext('POST', /\/labels$/, { status: 503, body: { message: 'Unavailable' } }, 2);
      expect(await w.drain(undefined, 1_000)).toMatchObject({ end: 'drained', sent: 0, retried: 1 });
      expect(await w.outbox.get(INSTALLATION, 'label')).toMatchObject({ state: 'pending', error: expect.stringContaining('503') });
      expect(await w.outbox.installationsNeedingWriter()).toEqual([]);
      w.clock.advance(2_000);
      expect(await w.outbox.installationsNeedingWriter()).toEqual([INSTALLATION]);
      expect(await w.drain()).toMatchObject({ sent: 1 });
      expect(w.github.labels(REPO, 1)).toEqual(['lgtm']);
    });

    it('fails a write GitHub refuses for good, with GitHub’s message, and logs it as an ERROR with repo, issue and cause', async () => {
      w.github.failNext('POST', /\/statuses\//, { status: 422, body: { message: 'Validation Failed: context is too long' } });
      await w.enqueue('status', status('ci/unit'));
      await w.enqueue('label', addLabel('lgtm'));
      const report = await w.drain();
      expect(report).toMatchObject({ sent: 1, failed: 1 });
      expect(await w.outbox.get(INSTALLATION, 'status')).toMatchObject({ state: 'failed', error: expect.stringContaining('context is too long') });
      const errors = w.log.entries.filter((entry) => entry.severity === 'ERROR');
      expect(errors).toEqual([
        expect.objectContaining({
          installation: INSTALLATION,
          repo: REPO,
          sha: 'a'.repeat(40),
          cause: 'test status',
          message: expect.stringContaining('context is too long'),
        }),
      ]);
      expect(w.log.entries.filter((entry) => entry.severity === 'INFO' && String(entry.message).startsWith('outbox writer:'))).toEqual([
        expect.objectContaining({ installation: INSTALLATION, sent: 1, failed: 1, requests: 2 }),
      ]);
    });
  });

  describe('rate limits', () => {
    it('blocks the installation for a secondary limit’s Retry-After, then sends the held writes', async () => {
      await w.enqueue('l1', addLabel('lgtm'));
      await w.enqueue('s1', status('ci/unit'));
      w.github.failNext('POST', /\/labels$/, secondaryRateLimit(30));
      const report = await w.drain();
      expect(report).toMatchObject({ end: 'drained', sent: 2, failed: 0 });
      expect(report.waitedMs).toBeGreaterThanOrEqual(30_000);
      expect(w.github.labels(REPO, 1)).toEqual(['lgtm']);
      expect(w.github.requests.filter((request) => request.method === 'POST').map((request) => request.status)).toEqual([403, 200, 201]);
    });

    it('holds writes through an hour-long Retry-After and sends them afterwards, never failing them', async () => {
      await w.enqueue('l1', addLabel('lgtm'));
      await w.enqueue('c1', comment('Merged, thanks'));
      w.github.failNext('POST', /\/labels$/, secondaryRateLimit(3600));

      const blocked = await w.drain();
      expect(blocked).toMatchObject({ end: 'deadline', sent: 0, failed: 0, blockedUntil: START + HOUR });
      expect(await w.outbox.get(INSTALLATION, 'l1')).toMatchObject({ state: 'pending', notBefore: START + HOUR });
      expect(await w.outbox.get(INSTALLATION, 'c1')).toMatchObject({ state: 'pending' });
      expect(w.log.entries.some((entry) => entry.severity === 'WARNING' && String(entry.message).includes('no writes until'))).toBe(true);

      // Nobody is woken while the block lasts, and a writer woken anyway sends nothing.
      w.clock.advance(HOUR - 60_000);
      expect(await w.outbox.installationsNeedingWriter()).toEqual([]);
      expect(await w.drain(undefined, 30_000)).toMatchObject({ end: 'deadline', sent: 0 });

      w.clock.advance(60_000);
      expect(await w.outbox.installationsNeedingWriter()).toEqual([INSTALLATION]);
      expect(await w.drain()).toMatchObject({ end: 'drained', sent: 2, failed: 0 });
      expect(w.github.labels(REPO, 1)).toEqual(['lgtm']);
      expect(w.github.comments(REPO, 1).map((each) => each.body)).toEqual(['Merged, thanks']);
    });

    it('waits a spent primary quota out until its reset', async () => {
      const resetAt = new Date(START + 20 * 60_000);
      w.github.failNext('POST', /\/labels$/, primaryRateLimit(resetAt));
      await w.enqueue('l1', addLabel('lgtm'));
      expect(await w.drain(undefined, 60_000)).toMatchObject({ end: 'deadline', blockedUntil: resetAt.getTime() });
      w.clock.advance(20 * 60_000);
      expect(await w.drain()).toMatchObject({ sent: 1 });
      expect(w.github.labels(REPO, 1)).toEqual(['lgtm']);
    });

    it('keeps a burst within the configured windows, so GitHub never has to refuse a write', async () => {
      w.github.enforceSecondaryLimits({ perMinute: 5, perHour: 12 });
      const limits: WriteLimits = {
        windows: [
          { max: 5, ms: 60_000 },
          { max: 12, ms: HOUR },
        ],
      };
      for (let index = 0; index < 30; index++) await w.enqueue(`s${index}`, status(`ci/job-${index}`));
      const report = await w.drain(w.writer({ limits }), 10 * HOUR);
      expect(report).toMatchObject({ end: 'drained', sent: 30, requests: 30, failed: 0 });
      expect(w.github.counters()).toMatchObject({ writes: 30, secondaryLimited: 0 });
      expect(w.github.statuses(REPO, 'a'.repeat(40))).toHaveLength(30);
      // Twelve an hour: the 30th could not go before two hours had passed.
      expect(w.clock.now() - START).toBeGreaterThanOrEqual(2 * HOUR);
    });

    it('carries the pace over from one writer to the next', async () => {
      w.github.enforceSecondaryLimits({ perMinute: 3 });
      const limits: WriteLimits = { windows: [{ max: 3, ms: 60_000 }] };
      for (let index = 0; index < 3; index++) await w.enqueue(`a${index}`, status(`ci/a-${index}`));
      await w.drain(w.writer({ limits }));
      for (let index = 0; index < 3; index++) await w.enqueue(`b${index}`, status(`ci/b-${index}`));
      // Another process's writer, right after: it must wait for the first one's minute to pass.
      const report = await w.drain(w.writer({ limits }));
      expect(report).toMatchObject({ sent: 3 });
      expect(report.waitedMs).toBeGreaterThan(0);
      expect(w.github.counters().secondaryLimited).toBe(0);
    });
  });

  describe('recording what went out', () => {
    /** The outbox, with `settle` held until `open()` and each call's outcomes noted. */
    function heldSettles(outbox: OutboxStore): { outbox: OutboxStore; settled: string[][]; open: () => void } {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const settled: string[][] = [];
      const held = new Proxy(outbox, {
        get(target, property, receiver) {
          if (property === 'settle') {
            return async (...args: Parameters<OutboxStore['settle']>) => {
              await gate;
              settled.push(args[1].map((outcome) => `${outcome.id} ${outcome.result}`));
              return target.settle(...args);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { outbox: held, settled, open };
    }

    it('sends the next requests while the first is still being recorded, then records them together', async () => {
      for (let index = 0; index < 3; index++) await w.enqueue(`s${index}`, status(`ci/job-${index}`));
      const { outbox, settled, open } = heldSettles(w.outbox);
      // Counts answers as the writer's client gets them: the writer notes each before it goes on.
      let answered = 0;
      const github = (installation: string): GitHubClient => {
        const client = writerClientsOf(w.clients)(installation);
        return new Proxy(client, {
          get(target, property, receiver) {
            const value: unknown = Reflect.get(target, property, receiver);
            if (property !== 'createStatus' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
            return async (...args: unknown[]) => {
              const result: unknown = await (value as (...each: unknown[]) => Promise<unknown>).apply(target, args);
              answered++;
              return result;
            };
          },
        });
      };
      const writer = new OutboxWriter({ outbox, github, log: w.log, clock: w.clock, coalesceWindowMs: 0 });
      const draining = w.drain(writer);
      await waitFor(() => answered === 3, 'all three statuses to be sent before anything is recorded');
      expect(settled).toEqual([]);
      open();
      expect(await draining).toMatchObject({ end: 'drained', sent: 3, requests: 3 });
      expect(settled).toEqual([['s0 sent'], ['s1 sent', 's2 sent']]);
      for (const id of ['s0', 's1', 's2']) expect((await w.outbox.get(INSTALLATION, id))?.state).toBe('sent');
    });

    it('keeps the next writer within GitHub’s limits when a writer sent requests it could not record', async () => {
      w.github.enforceSecondaryLimits({ perMinute: 3 });
      const limits: WriteLimits = { windows: [{ max: 3, ms: 60_000 }] };
      for (let index = 0; index < 6; index++) await w.enqueue(`s${index}`, status(`ci/job-${index}`));
      const unreachable = new Proxy(w.outbox, {
        get(target, property, receiver) {
          if (property === 'settle') return () => Promise.reject(new Error('the store is unreachable'));
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const stranded = new OutboxWriter({ outbox: unreachable, github: writerClientsOf(w.clients), log: w.log, clock: w.clock, limits, coalesceWindowMs: 0 });
      await expect(w.drain(stranded)).rejects.toThrow('the store is unreachable');
      expect(w.github.counters().writes).toBeGreaterThan(0);
      expect((await w.outbox.pace(INSTALLATION)).sentAt).toEqual([]);

      // Nothing it sent was recorded, but what it had taken was reserved, so the next writer waits.
      const report = await w.drain(w.writer({ limits }), 10 * 60_000);
      expect(report).toMatchObject({ end: 'drained', sent: 6 });
      expect(report.waitedMs).toBeGreaterThanOrEqual(60_000);
      expect(w.github.counters().secondaryLimited).toBe(0);
      expect(w.github.statuses(REPO, 'a'.repeat(40)).map((each) => each.context).sort()).toEqual(
        Array.from({ length: 6 }, (_, index) => `ci/job-${index}`).sort(),
      );
    });
  });

  describe('one writer per installation', () => {
    it('lets only one of two writers send, never both at once, and each write goes out once', async () => {
      w.github.setWriteDelay(20);
      for (let index = 0; index < 12; index++) await w.enqueue(`s${index}`, status(`ci/job-${index}`));
      const [first, second] = await Promise.all([w.drain(w.writer()), w.drain(w.writer())]);
      expect([first.end, second.end].sort()).toEqual(['busy', 'drained']);
      expect(first.sent + second.sent).toBe(12);
      expect(w.github.counters()).toMatchObject({ writes: 12, peakConcurrentWrites: 1 });
    });

    it('has a writer nudged while draining look again before it stops, so nothing enqueued meanwhile waits', async () => {
      w.github.setWriteDelay(20);
      const writer = w.writer();
      await w.enqueue('first', status('ci/first'));
      const draining = w.drain(writer);
      // Enqueued while the drain runs; the nudge finds the drain busy.
      await w.enqueue('second', status('ci/second'));
      expect(await w.drain(writer)).toMatchObject({ end: 'busy' });
      expect(await draining).toMatchObject({ end: 'drained', sent: 2 });
    });
  });

  it('warns when the write it sends has waited over a minute, and not when it has not', async () => {
    await w.enqueue('l1', addLabel('lgtm'));
    w.clock.advance(30_000);
    await w.drain();
    await w.enqueue('l2', addLabel('approved'));
    w.clock.advance(90_000);
    await w.drain();
    const warnings = w.log.entries.filter((entry) => entry.severity === 'WARNING');
    expect(warnings).toEqual([expect.objectContaining({ installation: INSTALLATION, oldestWaitMs: 90_000 })]);
  });
});

describe('outbox writer on Firestore (emulator)', () => {
  let emulator: RunningEmulator | undefined;
  let projects = 0;
  let w: World;
  beforeAll(async () => {
    emulator = await startFirestoreEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    const host = emulator?.host;
    if (!host) throw new Error('the Firestore emulator did not start');
    w = await world((clock) => FirestoreStore.connect({ projectId: `writer-${++projects}`, emulatorHost: host, now: clock.now }));
  });
  afterEach(async () => {
    await w.close();
  });

  it('joins and orders writes, and waits out an hour-long Retry-After before sending the rest', async () => {
    w.github.addCollaborator(REPO, 'bob');
    await w.enqueue('comment', comment('Thanks!'));
    await w.enqueue('l1', addLabel('lgtm'));
    await w.enqueue('l2', addLabel('approved'));
    await w.enqueue('assign', { kind: 'addAssignee', ...issue, login: 'bob' });
    await w.enqueue('status', status('ci/unit'));
    expect(await w.drain()).toMatchObject({ end: 'drained', sent: 5, requests: 4, failed: 0 });
    expect(w.writes()).toEqual([
      'POST /repos/acme/widgets/issues/1/labels',
      `POST /repos/acme/widgets/statuses/${'a'.repeat(40)}`,
      'POST /repos/acme/widgets/issues/1/assignees',
      'POST /repos/acme/widgets/issues/1/comments',
    ]);
    expect((await w.outbox.get(INSTALLATION, 'comment'))?.commentId).toBe(w.github.comments(REPO, 1)[0]?.id);

    await w.enqueue('l3', addLabel('do-not-merge/hold'));
    await w.enqueue('later', comment('On hold'));
    w.github.failNext('POST', /\/labels$/, secondaryRateLimit(3600));
    expect(await w.drain()).toMatchObject({ end: 'deadline', sent: 0, failed: 0, blockedUntil: START + HOUR });
    expect(await w.outbox.installationsNeedingWriter()).toEqual([]);
    w.clock.advance(HOUR);
    expect(await w.outbox.installationsNeedingWriter()).toEqual([INSTALLATION]);
    expect(await w.drain()).toMatchObject({ end: 'drained', sent: 2, failed: 0 });
    expect(w.github.labels(REPO, 1)).toEqual(['lgtm', 'approved', 'do-not-merge/hold']);
    expect(w.github.comments(REPO, 1).map((each) => each.body)).toEqual(['Thanks!', 'On hold']);
  });

  it('does not post a comment twice after a writer stopped mid-send', async () => {
    await w.enqueue('report', comment('Tests passed'));
    const lease = await w.outbox.claimWriter(INSTALLATION, 'crashed-writer', 60_000);
    await w.outbox.take(lease!, { limit: 10 });
    w.clock.advance(61_000);
    const { id } = w.github.addComment(REPO, 1, 'cutwater-bot', 'Tests passed');
    await w.drain();
    expect(w.github.comments(REPO, 1)).toHaveLength(1);
    expect(await w.outbox.get(INSTALLATION, 'report')).toMatchObject({ state: 'sent', commentId: id });
  });
});
