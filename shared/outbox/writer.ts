import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { GitHubError, ReviewRequestRefusedError, type GitHubClient, type IssueChanges } from '../github/client';
import { fitComment } from '../github/comment-length';
import { countingWriteRequests, type GitHubClients } from '../github/octokit';
import type { Logger } from '../log/logger';
import { StaleLeaseError } from '../store/errors';
import type { GitHubWrite, OutboxEntry, OutboxStore, OutboxWriteRequest, SendOutcome, TakeResult, WriterLease } from '../store/outbox';
import { distinctNames, joinIntoRequests, type OutboxRequest } from './join';
import { GITHUB_WRITE_LIMITS, nextSendAt, plannedSends, recentSends, type WriteLimits } from './pace';

/**
 * The outbox writer: sends an installation's GitHub writes from the outbox (shared/store/outbox.ts)
 * at the pace GitHub's secondary limits allow, one request at a time, as GitHub asks of
 * integrations ("make requests serially instead of concurrently"). One writer per installation
 * across every process: it sends only while it holds the installation's writer lease, and the pace
 * window lives in the store beside the lease, so the pace holds whichever instance writes.
 *
 * The store's round trips stay off the path between requests: the writer takes a batch of what
 * the pace lets go out soon, takes the next batch while sending the end of this one, and records
 * how requests ended in the background, several at a time, while it sends the next ones (see
 * Bookkeeping). Crash safety does not depend on that record: taken entries are `sending` under the
 * writer's lease and are sent again by the next writer if this one stops (comments are looked for
 * first), and `take` reserves their requests in the pace window, so requests made but not yet
 * recorded are never missing from it.
 *
 * Nothing GitHub refuses for now is dropped: a rate-limit answer blocks the installation until the
 * time GitHub named, however long, and a 5xx or a network failure is retried with backoff. Only a
 * refusal GitHub means for good (another 4xx) fails a write, and that is logged as an ERROR.
 */

/** Time as the writer sees it; tests pass a simulated one. */
export interface WriterClock {
  now(): number;
  /** Resolves after `ms`, or early once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `beat` every `ms` until the returned function is called: the lease's heartbeat while a
   * request is in flight. A simulated clock, whose time stands still during a request, may omit it.
   */
  every?(ms: number, beat: () => void): () => void;
}

export const SYSTEM_CLOCK: WriterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
  every: (ms, beat) => {
    const timer = setInterval(beat, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface OutboxWriterOptions {
  outbox: OutboxStore;
  /** The client to send an installation's writes through: the writer's flavour (no pacing of its own). */
  github: (installation: string) => GitHubClient;
  log: Logger;
  /** Default: GitHub's documented secondary limits (writeLimitsFromEnv reads overrides). */
  limits?: WriteLimits;
  clock?: WriterClock;
  /** Unique per writer; default host, process and a random part. */
  holder?: string;
  /** Default 60 s; renewed every third of it while the writer works or waits. */
  leaseTtlMs?: number;
  /** At most this many entries are taken at a time, and so at most joined into one request. Default 20. */
  batchSize?: number;
  /** How long a write waits in the outbox for a later one to cancel or supersede it (default 2 s). */
  coalesceWindowMs?: number;
  /**
   * How far ahead of the pace the writer takes writes: each take hands out what the pace lets go
   * out within this long, or within two of the store's round trips when those take longer, so that
   * the next take is done before the last request of this one. A write taken is beyond the reach
   * of coalescing, so this is kept short. Default half the coalescing window.
   */
  takeAheadMs?: number;
}

export interface DrainOptions {
  /** Stop before waiting past this time (ms since the epoch, on the writer's clock). */
  deadline: number;
  /** Stops the drain early (local mode shutting down); what is taken and unsent goes back. */
  signal?: AbortSignal;
}

export type DrainEnd =
  /** Nothing more is due now. */
  | 'drained'
  /** Another writer holds the installation's lease (or this one is already draining it). */
  | 'busy'
  /** The pace or a rate-limit block would keep it waiting past the deadline. */
  | 'deadline'
  /** The lease was lost to another writer (this one paused too long). */
  | 'lease lost'
  | 'stopped';

export interface DrainReport {
  installation: string;
  end: DrainEnd;
  /** Entries GitHub took. */
  sent: number;
  /** Requests made (a joined request sent several entries). */
  requests: number;
  /** Entries that went out joined to another one's request. */
  joined: number;
  /** Entries put back to be sent later: rate limits, 5xx, pace beyond the deadline. */
  retried: number;
  /** Entries GitHub refused for good. */
  failed: number;
  /** Time spent waiting for the pace, a rate-limit block, or writes to come due. */
  waitedMs: number;
  /** GitHub's "not before", when a rate-limit answer ended or shaped the drain. */
  blockedUntil?: number;
}

const DEFAULT_LEASE_TTL_MS = 60_000;
const DEFAULT_BATCH_SIZE = 20;
const DEFAULT_COALESCE_WINDOW_MS = 2_000;
/**
 * A take asks for at least this many entries (when the pace lets one go), however few requests
 * the pace lets go soon: writes to one issue taken together still join into one request.
 */
const JOINING_BATCH_SIZE = 10;
/** Store round trips a take looks ahead at least: one for the take itself, one for a settle it may queue behind. */
const TAKE_AHEAD_ROUND_TRIPS = 2;
/** Weight of the newest measurement in the writer's running averages of round trips. */
const TIMING_WEIGHT = 0.2;
/** A pace wait longer than this first puts the taken entries back, so new writes can still coalesce with them. */
const LONG_WAIT_MS = 5_000;
/** 5xx and network failures: 2 s, doubling, at most 10 min. */
const FIRST_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 600_000;
/** A secondary limit without Retry-After: GitHub says to wait at least a minute, longer each time. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;
const MAX_SECONDARY_LIMIT_WAIT_MS = 3_600_000;
/** Retry an edit of a comment whose creation is still in the outbox this much later. */
const PLACEHOLDER_RETRY_MS = 2_000;
/**
 * A drain with nothing to send now waits for writes that come due (retries, writes ripening out
 * of the coalescing window) within this long; later ones are the sweep's to wake.
 */
const RETRY_WAIT_MS = 60_000;
/** GitHub's clock and ours may disagree a little; a comment found this much "before" its write still counts. */
const CLOCK_SLACK_MS = 5_000;
/** The oldest unsent write is worth a WARNING once it has waited this long, at most once per this long. */
export const STALE_WRITE_MS = 60_000;

/** A running drain, as a second call for the same installation finds it. */
interface Draining {
  /** Nudged since its pass began: it looks again before it ends. */
  nudged: boolean;
  /** Nudges so far. */
  nudges: number;
  /** Ends its wait for writes to come due, when it is waiting longer than new ones would. */
  wake?: () => void;
}

/** What one pass under a lease keeps between requests. */
interface Pass {
  lease: HeldLease;
  book: Bookkeeping;
  client: GitHubClient;
  /** The pace window: when the installation's requests of the last hour went out. */
  sentAt: number[];
  blockedUntil: number | undefined;
  /** Secondary-limit answers without Retry-After so far, for the doubling wait. */
  limitAnswers: number;
  /** The next batch, taken while the last one was being sent. */
  ahead: Promise<TakeResult> | undefined;
  /** Comments this pass created, by placeholder: GitHub's IDs, before they are recorded. */
  created: Map<number, number>;
  took: boolean;
}

/**
 * How one request turned out, for the entries it carried. `requests` is how many write requests
 * it took (0 when an earlier attempt was found to have gone through).
 */
interface RequestResult {
  outcomes: SendOutcome[];
  requests: number;
  /** GitHub's rate-limit answer: block the installation until then. */
  blockUntil?: { until: number; reason: string };
}

export class OutboxWriter {
  private readonly outbox: OutboxStore;
  private readonly github: (installation: string) => GitHubClient;
  private readonly log: Logger;
  private readonly limits: WriteLimits;
  private readonly clock: WriterClock;
  readonly holder: string;
  private readonly leaseTtlMs: number;
  private readonly batchSize: number;
  private readonly coalesceWindowMs: number;
  private readonly takeAheadMs: number;
  /** Running averages: a take's round trip, and a request from its start to GitHub's answer. */
  private readonly timing: { storeMs: number; requestMs: number | undefined } = { storeMs: 0, requestMs: undefined };
  /** Installations this writer is draining. */
  private readonly draining = new Map<string, Draining>();
  readonly warnings: StaleWriteWarnings;

  constructor(options: OutboxWriterOptions) {
    this.outbox = options.outbox;
    this.github = options.github;
    this.log = options.log;
    this.limits = options.limits ?? GITHUB_WRITE_LIMITS;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.coalesceWindowMs = options.coalesceWindowMs ?? DEFAULT_COALESCE_WINDOW_MS;
    this.takeAheadMs = options.takeAheadMs ?? this.coalesceWindowMs / 2;
    this.warnings = new StaleWriteWarnings(this.log, () => this.clock.now());
  }

  /**
   * Sends what is due for the installation, if no other writer is at it. Ends when nothing more
   * is due, when waiting for the pace or for GitHub would pass the deadline, or when the lease is
   * lost. Before returning it releases the lease and looks once more, under a new lease, for
   * writes enqueued while it was finishing: their nudges found the lease still held.
   */
  async drain(installation: string, options: DrainOptions): Promise<DrainReport> {
    const report: DrainReport = { installation, end: 'drained', sent: 0, requests: 0, joined: 0, retried: 0, failed: 0, waitedMs: 0 };
    const running = this.draining.get(installation);
    if (running) {
      // The running drain looks again before it ends, and sooner if it is waiting.
      running.nudged = true;
      running.nudges++;
      running.wake?.();
      return { ...report, end: 'busy' };
    }
    const state: Draining = { nudged: false, nudges: 0 };
    this.draining.set(installation, state);
    const log = this.log.child({ installation });
    try {
      for (let pass = 0; ; pass++) {
        state.nudged = false;
        const lease = await this.outbox.claimWriter(installation, this.holder, this.leaseTtlMs);
        if (!lease) {
          if (pass === 0) report.end = 'busy';
          break;
        }
        const { end, took } = await this.drainUnderLease(lease, report, options, state, log);
        report.end = end;
        if (end !== 'drained' || (!took && !state.nudged)) break;
      }
    } finally {
      this.draining.delete(installation);
    }
    this.logDrain(report, log);
    return report;
  }

  private logDrain(report: DrainReport, log: Logger): void {
    const { installation: _installation, ...fields } = report;
    const busy = report.sent + report.retried + report.failed > 0 || report.waitedMs > 0;
    const message =
      `outbox writer: ${report.sent} sent in ${report.requests} request(s), ${report.retried} put back, ${report.failed} failed` +
      (report.end === 'drained' ? '' : ` (${report.end})`);
    if (busy) log.info(message, fields);
    else log.debug(message, fields);
  }

  /**
   * One pass under one lease. Before it returns, what it took ahead goes back, what it sent is
   * recorded, and the lease is released.
   */
  private async drainUnderLease(
    claimed: WriterLease,
    report: DrainReport,
    options: DrainOptions,
    state: Draining,
    log: Logger,
  ): Promise<{ end: DrainEnd; took: boolean }> {
    const book = new Bookkeeping((outcomes, requestTimes) => this.outbox.settle(lease.current, outcomes, requestTimes));
    const lease: HeldLease = new HeldLease(claimed, this.outbox, this.leaseTtlMs, this.clock, book);
    const pass: Pass = {
      lease,
      book,
      client: this.github(claimed.installation),
      sentAt: [],
      blockedUntil: undefined,
      limitAnswers: 0,
      ahead: undefined,
      created: new Map(),
      took: false,
    };
    let end: DrainEnd = 'drained';
    let failure: unknown;
    try {
      end = await this.sendUnderLease(pass, report, options, state, log);
    } catch (error) {
      failure = error;
    }
    try {
      await this.giveBack(pass, [], this.clock.now(), 'the writer stopped', report);
    } catch (error) {
      failure ??= error;
    }
    try {
      await book.settled();
    } catch (error) {
      failure ??= error;
    }
    await lease.release().catch((error: unknown) => log.warn('outbox writer could not release its lease; it lapses by itself', { error: (error as Error).message }));
    if (failure instanceof StaleLeaseError) {
      log.warn('outbox writer lost its lease; another writer carries on', { error: failure.message });
      return { end: 'lease lost', took: pass.took };
    }
    if (failure !== undefined) throw failure;
    return { end, took: pass.took };
  }

  /** Takes and sends until nothing is due, the deadline would pass, or the drain is stopped. */
  private async sendUnderLease(pass: Pass, report: DrainReport, options: DrainOptions, state: Draining, log: Logger): Promise<DrainEnd> {
    const installation = pass.lease.current.installation;
    const pace = await this.outbox.pace(installation);
    pass.sentAt = pace.sentAt;
    pass.blockedUntil = pace.blockedUntil;
    for (;;) {
      if (options.signal?.aborted) return 'stopped';
      if (this.clock.now() >= options.deadline) return 'deadline';
      pass.book.check();
      if (!pass.ahead) {
        // Blocked, or the pace allows no request yet: wait before taking, so the writes stay
        // pending, and can still coalesce, meanwhile.
        const sendAt = nextSendAt(pass.sentAt, pass.blockedUntil, this.clock.now(), this.limits);
        if (sendAt > this.clock.now()) {
          if (pass.blockedUntil !== undefined && pass.blockedUntil > this.clock.now()) report.blockedUntil = pass.blockedUntil;
          if (sendAt > options.deadline) return 'deadline';
          if (!(await this.waitUntil(sendAt, pass.lease, report, options.signal))) return 'stopped';
          continue;
        }
      }
      const nudges = state.nudges;
      // The pace lets one go now, so this take asks for one at least.
      const taken: TakeResult = await (pass.ahead ?? this.take(pass, [], this.clock.now()) ?? { entries: [] });
      pass.ahead = undefined;
      if (taken.entries.length === 0) {
        const nextAt = taken.nextAt;
        // Writes enqueued meanwhile nudged this drain, which looks again before it ends.
        if (nextAt === undefined || nextAt > options.deadline || nextAt - this.clock.now() > RETRY_WAIT_MS) return 'drained';
        if (nextAt - this.clock.now() <= this.coalesceWindowMs) {
          // A write enqueued now could not be taken sooner than that: no need to be woken.
          if (!(await this.waitUntil(nextAt, pass.lease, report, options.signal))) return 'stopped';
          continue;
        }
        // A nudge during the take, or while waiting, may bring a write due sooner: look again.
        if (state.nudges !== nudges) continue;
        const wake = new AbortController();
        state.wake = () => wake.abort();
        try {
          await this.waitUntil(nextAt, pass.lease, report, options.signal ? AbortSignal.any([options.signal, wake.signal]) : wake.signal);
        } finally {
          state.wake = undefined;
        }
        continue;
      }
      pass.took = true;
      this.warnings.consider(installation, Math.min(...taken.entries.map((entry) => entry.enqueuedAt)));
      const end = await this.sendBatch(pass, joinIntoRequests(taken.entries), options, report, log);
      if (end) return end;
    }
  }

  /**
   * Takes what the pace lets go out within the look-ahead, starting at `from`, after the requests
   * `planned` for then (JOINING_BATCH_SIZE at least, the batch size at most): nothing when it lets
   * none go. The take runs in turn with the pass's other store operations.
   */
  private take(pass: Pass, planned: readonly number[], from: number): Promise<TakeResult> | undefined {
    const horizon = Math.max(this.takeAheadMs, TAKE_AHEAD_ROUND_TRIPS * this.timing.storeMs);
    const slots = plannedSends([...pass.sentAt, ...planned], pass.blockedUntil, from, this.limits, this.timing.requestMs ?? 0, this.batchSize);
    const soon = slots.filter((at) => at <= from + horizon).length;
    if (soon === 0) return undefined;
    const limit = Math.min(this.batchSize, Math.max(soon, JOINING_BATCH_SIZE));
    return pass.book.run(async () => {
      const started = this.clock.now();
      const taken = await this.outbox.take(pass.lease.current, { limit, coalesceWindowMs: this.coalesceWindowMs });
      this.timing.storeMs = average(this.timing.storeMs, this.clock.now() - started);
      return taken;
    });
  }

  /**
   * Starts taking the next batch once what is left of this one (`left` requests, the next one
   * included) would take about as long as taking (at the last request at the latest), so that it
   * is there when this one is sent. Nothing when the pace would let none of it go soon after.
   */
  private takeAheadIfDue(pass: Pass, left: number): void {
    if (pass.ahead || this.timing.requestMs === undefined) return;
    const requestMs = this.timing.requestMs;
    const now = this.clock.now();
    const planned = plannedSends(pass.sentAt, pass.blockedUntil, now, this.limits, requestMs, left);
    const batchEnds = (planned.at(-1) ?? now) + requestMs;
    if (batchEnds - now > TAKE_AHEAD_ROUND_TRIPS * this.timing.storeMs + requestMs) return;
    const ahead = this.take(pass, planned, batchEnds);
    if (!ahead) return;
    // Awaited by the loop, or given back when the pass ends first.
    ahead.catch(() => undefined);
    pass.ahead = ahead;
  }

  /**
   * Sends the requests of one take, one at a time at the pace's leave, recording each in the
   * background. Returns how the pass ends, or undefined to take more: after the last request,
   * after a rate-limit answer (what is left waits with it), or after putting the rest back for a
   * long pace wait.
   */
  private async sendBatch(
    pass: Pass,
    requests: readonly OutboxRequest[],
    options: DrainOptions,
    report: DrainReport,
    log: Logger,
  ): Promise<DrainEnd | undefined> {
    for (let index = 0; index < requests.length; index++) {
      const request = requests[index]!;
      const unsent = requests.slice(index).flatMap((each) => each.entries);
      const sendAt = nextSendAt(pass.sentAt, pass.blockedUntil, this.clock.now(), this.limits);
      if (sendAt > options.deadline || options.signal?.aborted || sendAt - this.clock.now() > LONG_WAIT_MS) {
        // Back to pending until the pace allows, so later writes can still coalesce with them; the
        // loop waits for the pace (or ends at the deadline) before taking again.
        const reason = options.signal?.aborted ? 'the writer stopped' : 'waiting for the pace of GitHub’s secondary limits';
        await this.giveBack(pass, unsent, sendAt, reason, report);
        return options.signal?.aborted ? 'stopped' : undefined;
      }
      this.takeAheadIfDue(pass, requests.length - index);
      if (!(await this.waitUntil(sendAt, pass.lease, report, options.signal))) {
        await this.giveBack(pass, unsent, this.clock.now(), 'the writer stopped', report);
        return 'stopped';
      }
      // A lease lost while recording earlier requests ends the pass before it sends another.
      pass.book.check();
      await pass.lease.renewIfDue();
      const started = this.clock.now();
      const result = await this.withHeartbeat(pass.lease, () => this.send(pass, request, log));
      const answeredAt = this.clock.now();
      if (result.requests > 0) this.timing.requestMs = average(this.timing.requestMs, answeredAt - started);
      const times = Array.from({ length: result.requests }, () => answeredAt);
      pass.sentAt = recentSends([...pass.sentAt, ...times], answeredAt, this.limits);
      const outcomes = result.outcomes.map((outcome): SendOutcome => (outcome.result === 'retry' ? outcome : { ...outcome, at: answeredAt }));
      for (const outcome of outcomes) {
        const entry = request.entries.find((each) => each.id === outcome.id);
        if (outcome.result === 'sent' && outcome.commentId !== undefined && entry?.placeholderId !== undefined) {
          pass.created.set(entry.placeholderId, outcome.commentId);
        }
      }
      const block = result.blockUntil;
      if (!block) {
        // Follow-ups are enqueued before the outcome is recorded: after a crash in between, the
        // write is sent again, and the follow-ups' keys dedupe.
        pass.book.record(this.recording(request.entries, outcomes, times));
        count(report, request, outcomes, result.requests);
        continue;
      }
      pass.limitAnswers++;
      pass.blockedUntil = block.until;
      report.blockedUntil = block.until;
      await pass.book.run(() => this.outbox.block(pass.lease.current, block.until, block.reason));
      const rest = requests.slice(index + 1).flatMap((each) => each.entries);
      const held = await this.takenAhead(pass);
      const waiting = [...rest, ...held];
      const all = [...outcomes, ...waiting.map((entry) => retry(entry, block.until, block.reason))];
      pass.book.record(this.recording([...request.entries, ...waiting], all, times));
      count(report, request, all, result.requests);
      log.warn(`GitHub asked for no writes until ${new Date(block.until).toISOString()}; ${unsent.length + held.length} write(s) wait`, {
        blockedUntil: block.until,
        reason: block.reason,
      });
      return undefined;
    }
    return undefined;
  }

  /** Outcomes to record, after enqueueing the follow-ups they ask for. */
  private recording(entries: readonly OutboxEntry[], outcomes: readonly SendOutcome[], requestTimes: readonly number[]): Recording {
    return { outcomes, requestTimes, followUps: () => this.enqueueFollowUps(entries, outcomes) };
  }

  /** The entries taken ahead, if any, no longer ahead; none when that take failed (the pass ends on it). */
  private async takenAhead(pass: Pass): Promise<OutboxEntry[]> {
    const ahead = pass.ahead;
    pass.ahead = undefined;
    if (!ahead) return [];
    try {
      return (await ahead).entries;
    } catch (error) {
      pass.book.fail(error);
      return [];
    }
  }

  /** Puts `entries`, and what was taken ahead, back to be sent from `notBefore`. */
  private async giveBack(pass: Pass, entries: readonly OutboxEntry[], notBefore: number, reason: string, report: DrainReport): Promise<void> {
    const all = [...entries, ...(await this.takenAhead(pass))];
    if (all.length === 0) return;
    const outcomes = all.map((entry) => retry(entry, notBefore, reason));
    if (pass.book.failed) return;
    pass.book.record(this.recording([], outcomes, []));
    report.retried += all.length;
  }

  /**
   * The comments a write asked for once it settled: its confirmation when GitHub took it, its
   * refusal notice when GitHub refused it for good (people's refusals are handled with the request,
   * since GitHub takes such a request in part).
   */
  private async enqueueFollowUps(entries: readonly OutboxEntry[], outcomes: readonly SendOutcome[]): Promise<void> {
    const followUps: OutboxWriteRequest[] = [];
    for (const outcome of outcomes) {
      const entry = entries.find((candidate) => candidate.id === outcome.id);
      if (!entry || entry.write.kind === 'createStatus') continue;
      const { owner, repo, number } = entry.write;
      const comment = (suffix: string, body: string): OutboxWriteRequest => ({
        id: `${entry.id}/${suffix}`,
        installation: entry.installation,
        write: { kind: 'createComment', owner, repo, number, body },
        cause: entry.cause,
      });
      if (outcome.result === 'sent' && entry.confirmation !== undefined) followUps.push(comment('confirmed', entry.confirmation));
      if (outcome.result === 'failed' && entry.refusalNotice !== undefined && !PEOPLE_KINDS.has(entry.write.kind)) {
        followUps.push(comment('refused', entry.refusalNotice.replaceAll('{{error}}', outcome.error)));
      }
    }
    if (followUps.length > 0) await this.outbox.enqueue(followUps);
  }

  /** Waits until `time`, renewing the lease; false when `signal` aborted first. */
  private async waitUntil(time: number, lease: HeldLease, report: DrainReport, signal: AbortSignal | undefined): Promise<boolean> {
    const slice = Math.max(1, Math.floor(this.leaseTtlMs / 3));
    for (;;) {
      const now = this.clock.now();
      if (now >= time) return true;
      if (signal?.aborted) return false;
      const step = Math.min(time - now, slice);
      await this.clock.sleep(step, signal);
      report.waitedMs += this.clock.now() - now;
      await lease.renewIfDue();
    }
  }

  /** Keeps the lease alive while a request is in flight: GitHub may take a while to answer. */
  private async withHeartbeat<T>(lease: HeldLease, work: () => Promise<T>): Promise<T> {
    const stop = this.clock.every?.(Math.max(1, Math.floor(this.leaseTtlMs / 3)), () => {
      lease.renewIfDue().catch(() => {
        // A lost lease shows when the request's outcome is recorded.
      });
    });
    try {
      return await work();
    } finally {
      stop?.();
    }
  }

  /** Sends one request and says how each of its entries ended. Never throws for GitHub's answers. */
  private async send(pass: Pass, request: OutboxRequest, log: Logger): Promise<RequestResult> {
    const tally = { requests: 0 };
    let wrote = false;
    const write = <T>(call: () => Promise<T>): Promise<T> => {
      wrote = true;
      return countingWriteRequests(tally, call);
    };
    const requests = () => (wrote ? Math.max(1, tally.requests) : tally.requests);
    try {
      const outcomes = await this.perform(pass, request, write, log);
      return { outcomes, requests: requests() };
    } catch (error) {
      return { ...this.classifyFailure(error, request, pass.limitAnswers, log), requests: requests() };
    }
  }

  /** The request itself, by kind; failures GitHub sends back are thrown to `classifyFailure`. */
  private async perform(
    pass: Pass,
    request: OutboxRequest,
    write: <T>(call: () => Promise<T>) => Promise<T>,
    log: Logger,
  ): Promise<SendOutcome[]> {
    const client = pass.client;
    const entries = request.entries;
    const first = entries[0]!;
    const sent = (entry: OutboxEntry): SendOutcome => ({ id: entry.id, result: 'sent' });
    if (first.write.kind === 'createStatus') {
      const status = first.write;
      await write(() =>
        client.createStatus(status.owner, status.repo, status.sha, {
          state: status.state,
          context: status.context,
          ...(status.description === undefined ? {} : { description: status.description }),
          ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
        }),
      );
      return entries.map(sent);
    }
    const target = issueOf(first);
    switch (request.kind) {
      case 'addLabels':
        await write(() => client.addLabels(target.owner, target.repo, target.number, distinctNames(entries.map(labelOf))));
        return entries.map(sent);
      case 'removeLabel':
        // The client takes a 404 (the label is not there) as done.
        await write(() => client.removeLabel(target.owner, target.repo, target.number, labelOf(first)));
        return entries.map(sent);
      case 'addAssignees': {
        const logins = distinctNames(entries.map(loginOf));
        const assigned = await write(() => client.addAssignees(target.owner, target.repo, target.number, logins));
        const present = new Set(assigned.map((login) => login.toLowerCase()));
        // GitHub answers 201 and leaves out whoever cannot be assigned.
        return this.withRefusals(request, (entry) => !present.has(loginOf(entry).toLowerCase()), 'GitHub did not assign', log);
      }
      case 'removeAssignees':
        await write(() => client.removeAssignees(target.owner, target.repo, target.number, distinctNames(entries.map(loginOf))));
        return entries.map(sent);
      case 'requestReviewers': {
        try {
          await write(() => client.requestReviewers(target.owner, target.repo, target.number, distinctNames(entries.map(loginOf))));
          return entries.map(sent);
        } catch (error) {
          if (!(error instanceof ReviewRequestRefusedError)) throw error;
          const refused = new Set(error.refused.map((login) => login.toLowerCase()));
          return this.withRefusals(request, (entry) => refused.has(loginOf(entry).toLowerCase()), 'GitHub refused the review request for', log);
        }
      }
      case 'removeRequestedReviewers':
        await write(() => client.removeRequestedReviewers(target.owner, target.repo, target.number, distinctNames(entries.map(loginOf))));
        return entries.map(sent);
      case 'updateIssue': {
        const changes: IssueChanges = {};
        // In take order, so the later of two writes to the same field wins.
        for (const entry of entries) {
          if (entry.write.kind === 'setTitle') changes.title = entry.write.title;
          if (entry.write.kind === 'setBody') changes.body = entry.write.body;
          if (entry.write.kind === 'setMilestone') changes.milestone = entry.write.milestone;
          if (entry.write.kind === 'setState') {
            changes.state = entry.write.state;
            if (entry.write.stateReason === undefined) delete changes.stateReason;
            else changes.stateReason = entry.write.stateReason;
          }
        }
        await write(() => client.updateIssue(target.owner, target.repo, target.number, changes));
        return entries.map(sent);
      }
      case 'createComment': {
        if (first.write.kind !== 'createComment') throw new Error(`outbox writer bug: ${first.id} is not a createComment`);
        const body = first.write.body;
        // Taken before: an earlier attempt may have posted it even though its answer never came back.
        if (first.attempts > 1) {
          const posted = await this.findPosted(client, first, body);
          if (posted !== undefined) {
            log.info('found the comment an earlier attempt posted; not posting it again', { ...describe(first), commentId: posted });
            return [{ id: first.id, result: 'sent', commentId: posted }];
          }
        }
        const comment = await write(() => client.createComment(target.owner, target.repo, target.number, body));
        return [{ id: first.id, result: 'sent', commentId: comment.id }];
      }
      case 'editComment':
      case 'deleteComment': {
        const commentWrite = first.write;
        if (commentWrite.kind !== 'editComment' && commentWrite.kind !== 'deleteComment') {
          throw new Error(`outbox writer bug: ${first.id} is not a comment edit`);
        }
        const resolved = await this.resolveComment(first, commentWrite.commentId, pass);
        if ('outcome' in resolved) return [resolved.outcome];
        if (commentWrite.kind === 'editComment') {
          const body = commentWrite.body;
          await write(() => client.editComment(target.owner, target.repo, resolved.commentId, body));
        } else {
          // The client takes a 404 (already gone) as done.
          await write(() => client.deleteComment(target.owner, target.repo, resolved.commentId));
        }
        return entries.map(sent);
      }
      case 'createReaction': {
        const reaction = first.write;
        if (reaction.kind !== 'createReaction') throw new Error(`outbox writer bug: ${first.id} is not a reaction`);
        if (reaction.commentId === undefined) {
          await write(() => client.createIssueReaction(target.owner, target.repo, target.number, reaction.content));
        } else {
          const commentId = reaction.commentId;
          await write(() => client.createCommentReaction(target.owner, target.repo, target.number, commentId, reaction.content));
        }
        return entries.map(sent);
      }
      case 'createStatus':
        throw new Error(`outbox writer bug: ${first.id} is a commit status, sent above`);
      case 'createReview': {
        const review = first.write;
        if (review.kind !== 'createReview') throw new Error(`outbox writer bug: ${first.id} is not a review`);
        await write(() =>
          client.createReview(target.owner, target.repo, target.number, {
            body: review.body,
            event: review.event,
            comments: review.comments,
            ...(review.commitId === undefined ? {} : { commitId: review.commitId }),
          }),
        );
        return entries.map(sent);
      }
    }
  }

  /**
   * Outcomes for a request GitHub took only in part: the refused entries fail (GitHub will not
   * change its mind), the rest are sent, and the issue gets one comment naming everyone refused,
   * when the writes asked for one.
   */
  private async withRefusals(
    request: OutboxRequest,
    isRefused: (entry: OutboxEntry) => boolean,
    saying: string,
    log: Logger,
  ): Promise<SendOutcome[]> {
    const refused = request.entries.filter(isRefused);
    const outcomes: SendOutcome[] = request.entries.map((entry) =>
      isRefused(entry) ? { id: entry.id, result: 'failed', error: `${saying} ${loginOf(entry)}` } : { id: entry.id, result: 'sent' },
    );
    if (refused.length === 0) return outcomes;
    const first = request.entries[0]!;
    const notice = request.entries.find((entry) => entry.refusalNotice !== undefined)?.refusalNotice;
    log.info(`${saying} ${refused.map(loginOf).join(', ')}`, { ...describe(first), refused: refused.map(loginOf), notice: notice !== undefined });
    if (notice !== undefined) {
      const target = issueOf(first);
      const logins = distinctNames(refused.map(loginOf)).join(', ');
      await this.outbox.enqueue([
        {
          id: `${first.id}/refused`,
          installation: first.installation,
          write: { kind: 'createComment', owner: target.owner, repo: target.repo, number: target.number, body: fitComment(notice.replaceAll('{{logins}}', logins)) },
          cause: first.cause,
        },
      ]);
    }
    return outcomes;
  }

  /**
   * The comment an earlier attempt of `entry` posted, if any: by the bot, with exactly this body,
   * created no earlier than the entry was enqueued (GitHub's times have whole seconds). Asked for
   * every createComment taken before, since `take` does not say whether the last taker stopped
   * mid-send or settled it to retry: a read too many, never a comment twice. (A comment of the
   * same words posted for another write since is taken for this one's: the same words once.)
   */
  private async findPosted(client: GitHubClient, entry: OutboxEntry, body: string): Promise<number | undefined> {
    const target = issueOf(entry);
    const [bot, comments] = await Promise.all([client.botLogin(), client.listComments(target.owner, target.repo, target.number)]);
    const since = Math.floor((entry.enqueuedAt - CLOCK_SLACK_MS) / 1000) * 1000;
    const found = comments.find(
      (comment) => comment.user.login.toLowerCase() === bot.toLowerCase() && comment.body === body && Date.parse(comment.created_at) >= since,
    );
    return found?.id;
  }

  /**
   * GitHub's ID for the comment an edit or delete names. A negative ID is the placeholder of a
   * comment created through the outbox: its ID once created; a retry while its creation is still
   * waiting; a failure when it never will be created.
   */
  private async resolveComment(entry: OutboxEntry, commentId: number, pass: Pass): Promise<{ commentId: number } | { outcome: SendOutcome }> {
    if (commentId >= 0) return { commentId };
    const lease = pass.lease.current;
    // Created in this pass, perhaps not recorded yet.
    const createdHere = pass.created.get(commentId);
    if (createdHere !== undefined) return { commentId: createdHere };
    const created = await this.outbox.commentIdFor(lease.installation, commentId);
    if (created !== undefined) return { commentId: created };
    const waiting = (await this.outbox.unsent(lease.installation, entry.subject)).find(
      (other) => other.write.kind === 'createComment' && other.placeholderId === commentId,
    );
    if (waiting) {
      const notBefore = Math.max(this.clock.now() + PLACEHOLDER_RETRY_MS, waiting.notBefore ?? 0);
      return { outcome: retry(entry, notBefore, 'the comment it changes is not created yet') };
    }
    return { outcome: { id: entry.id, result: 'failed', error: 'the comment it changes was never created (its creation failed or was cancelled)' } };
  }

  /** What a failed request means for its entries; logs what failed for good. */
  private classifyFailure(error: unknown, request: OutboxRequest, limitAnswers: number, log: Logger): Omit<RequestResult, 'requests'> {
    const now = this.clock.now();
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof GitHubError && error.rateLimit) {
      const { rateLimit } = error;
      const candidates = [
        rateLimit.retryAfterMs === undefined ? undefined : now + rateLimit.retryAfterMs,
        rateLimit.resetAt,
      ].filter((time): time is number => time !== undefined);
      const until =
        candidates.length > 0
          ? Math.max(...candidates)
          : now + Math.min(SECONDARY_LIMIT_WAIT_MS * 2 ** limitAnswers, MAX_SECONDARY_LIMIT_WAIT_MS);
      const reason = `${rateLimit.secondary ? 'secondary rate limit' : 'primary rate limit spent'}: ${message}`;
      return { outcomes: request.entries.map((entry) => retry(entry, until, reason)), blockUntil: { until, reason } };
    }
    if (!(error instanceof GitHubError) || error.status >= 500) {
      // GitHub down, a network failure, or something unforeseen: never dropped, tried again later.
      const outcomes = request.entries.map((entry) => retry(entry, now + backoffMs(entry.attempts), message));
      log.warn('GitHub write failed for now; it is tried again later', { ...describe(request.entries[0]!), entries: request.entries.length, error: message });
      return { outcomes };
    }
    for (const entry of request.entries) {
      log.error(`GitHub refused a write for good: ${message}`, { ...describe(entry), status: error.status, error: message });
    }
    return { outcomes: request.entries.map((entry) => ({ id: entry.id, result: 'failed', error: message })) };
  }
}

/** Writes whose refusal notice names the people GitHub refused (sent with the request itself). */
const PEOPLE_KINDS: ReadonlySet<GitHubWrite['kind']> = new Set(['addAssignee', 'requestReviewer']);

/** Tallies one settled request into the drain's report. */
function count(report: DrainReport, request: OutboxRequest, outcomes: readonly SendOutcome[], requests: number): void {
  report.requests += requests;
  const sent = outcomes.filter((outcome) => outcome.result === 'sent');
  report.sent += sent.length;
  const sentHere = sent.filter((outcome) => request.entries.some((entry) => entry.id === outcome.id)).length;
  report.joined += Math.max(0, sentHere - 1);
  report.retried += outcomes.filter((outcome) => outcome.result === 'retry').length;
  report.failed += outcomes.filter((outcome) => outcome.result === 'failed').length;
}

function retry(entry: OutboxEntry, notBefore: number, error: string): SendOutcome {
  return { id: entry.id, result: 'retry', notBefore, error };
}

/** Before the n-th attempt's retry: 2 s, 4 s, 8 s, … at most 10 min. */
export function backoffMs(attempts: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

function issueOf(entry: OutboxEntry): { owner: string; repo: string; number: number } {
  const write = entry.write;
  if (write.kind === 'createStatus') throw new Error(`outbox writer bug: ${entry.id} is a commit status, not an issue write`);
  return { owner: write.owner, repo: write.repo, number: write.number };
}

function labelOf(entry: OutboxEntry): string {
  const write = entry.write;
  if (write.kind !== 'addLabel' && write.kind !== 'removeLabel') throw new Error(`outbox writer bug: ${entry.id} is not a label write`);
  return write.label;
}

function loginOf(entry: OutboxEntry): string {
  const write = entry.write;
  if (!('login' in write)) throw new Error(`outbox writer bug: ${entry.id} names no one`);
  return write.login;
}

/** The log fields of one write: where it lands and why it was made. */
export function describe(entry: OutboxEntry): Record<string, unknown> {
  const write = entry.write;
  const fields: Record<string, unknown> = { write: entry.id, kind: write.kind, repo: `${write.owner}/${write.repo}`, cause: entry.cause };
  if (write.kind === 'createStatus') fields.sha = write.sha;
  else fields.issue = write.number;
  return fields;
}

/** The writer's lease, renewed in time: every third of its TTL, in turn with the pass's other store operations. */
class HeldLease {
  private renewing: Promise<void> | undefined;

  constructor(
    public current: WriterLease,
    private readonly outbox: OutboxStore,
    private readonly ttlMs: number,
    private readonly clock: WriterClock,
    private readonly book: Bookkeeping,
  ) {}

  renewIfDue(): Promise<void> {
    if (this.current.expiresAt - this.clock.now() > (this.ttlMs * 2) / 3) return Promise.resolve();
    this.renewing ??= this.book
      .run(() => this.outbox.renewWriter(this.current, this.ttlMs))
      .then((lease) => {
        this.current = lease;
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  release(): Promise<void> {
    return this.book.run(() => this.outbox.releaseWriter(this.current));
  }
}

/** The outcomes of one request, to record once `followUps` are enqueued. */
interface Recording {
  outcomes: readonly SendOutcome[];
  requestTimes: readonly number[];
  followUps: () => Promise<void>;
}

/**
 * A pass's store operations, run one at a time in the order asked: they all change the
 * installation's writer record, and would only lose races to each other. Recordings of what went
 * out run in the background, the outcomes of every request that came meanwhile in one `settle`;
 * takes, blocks and renewals are awaited by whoever asks. A failed recording (the lease lost, the
 * store unreachable) ends the pass before its next request (`check`); what it left unrecorded is
 * `sending` under the lease, and the next writer sends it again.
 */
class Bookkeeping {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly waiting: Recording[] = [];
  private failure: { error: unknown } | undefined;

  constructor(private readonly settle: (outcomes: SendOutcome[], requestTimes: number[]) => Promise<void>) {}

  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation);
    this.tail = result.catch(() => undefined);
    return result;
  }

  record(recording: Recording): void {
    this.waiting.push(recording);
    // A recording queued and not started yet takes this one along.
    if (this.waiting.length > 1) return;
    void this.run(async () => {
      const batch = this.waiting.splice(0);
      if (this.failure) return;
      try {
        for (const each of batch) await each.followUps();
        await this.settle(
          batch.flatMap((each) => each.outcomes),
          batch.flatMap((each) => each.requestTimes),
        );
      } catch (error) {
        this.fail(error);
      }
    });
  }

  fail(error: unknown): void {
    this.failure ??= { error };
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Throws what made a recording fail, if one did. */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Once everything asked so far is done; throws as `check`. */
  async settled(): Promise<void> {
    await this.run(async () => undefined);
    this.check();
  }
}

/** A running average, the newest measurement weighing TIMING_WEIGHT. */
function average(current: number | undefined, measured: number): number {
  return current === undefined ? measured : current + TIMING_WEIGHT * (measured - current);
}

/**
 * The WARNING that a write has waited more than a minute to go out, at most once a minute per
 * installation (per process): from what the writer takes, and from the sweep's look at the
 * outbox's stats, which also sees installations whose writer waits out a block.
 */
export class StaleWriteWarnings {
  private readonly lastWarned = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  consider(installation: string, oldestEnqueuedAt: number | undefined, details: { depth?: number; blockedUntil?: number } = {}): void {
    if (oldestEnqueuedAt === undefined) return;
    const now = this.now();
    const waitedMs = now - oldestEnqueuedAt;
    if (waitedMs <= STALE_WRITE_MS) return;
    const last = this.lastWarned.get(installation);
    if (last !== undefined && now - last < STALE_WRITE_MS) return;
    this.lastWarned.set(installation, now);
    const fields: Record<string, unknown> = { installation, oldestWaitMs: waitedMs };
    if (details.depth !== undefined) fields.depth = details.depth;
    if (details.blockedUntil !== undefined) fields.blockedUntil = new Date(details.blockedUntil).toISOString();
    this.log.warn(`GitHub writes of installation ${installation} have waited ${Math.round(waitedMs / 1000)} s to be sent`, fields);
  }
}

/**
 * The writer's clients for the outbox's installation names: "token", or an App installation's ID.
 * A name that is neither is refused, naming it.
 */
export function writerClientsOf(clients: GitHubClients): (installation: string) => GitHubClient {
  return (installation) => {
    if (installation === 'token') return clients.writerClientForInstallation();
    if (!/^[1-9]\d*$/.test(installation)) throw new Error(`outbox installation "${installation}" is neither "token" nor a GitHub App installation ID`);
    return clients.writerClientForInstallation(Number(installation));
  };
}
