import type {
  ContextPolicy,
  ContextState,
  HeadContext,
  PoolAction,
  PoolKey,
  PoolMerge,
  PoolPull,
  PoolRun,
  PoolSettings,
  PoolState,
  RequiredJob,
  RunPull,
  RunRequest,
  RunState,
} from '../../../shared/tide/model';
import { Agenda } from './agenda';
import { HOUR_MS, MINUTE_MS, seededRandom, spread, type Random, type ReadyPull } from './stream';

/**
 * The merge-pool simulator's world: one repository branch on a simulated GitHub, with a simulated
 * CI and simulated authors, advanced in simulated time. A policy sees it only through the
 * `PoolState` a real sync would build, and changes it only through the actions it returns.
 *
 * - GitHub: PRs become ready (the stream), carry commit statuses on their head, merge only at the
 *   head the merge names and only when not conflicting, and each merge moves the branch to a new
 *   SHA and may make each waiting PR conflict (except those merged with it, or merged after it by
 *   a run under way: git already applied them on top of it without conflict).
 * - CI: a run request becomes one ProwJob per job, each taking the run length ± spread; a bad PR
 *   fails every job of every run it is in, otherwise each job flakes on its own. A new presubmit
 *   of a job on a PR aborts the older one still running (Prow's plank, `TerminateOlderJobs`).
 *   A presubmit's result is reported on the PR's head as a context; a batch's is not (crier).
 * - Authors: a conflicting PR is rebased after a while (new head, the trigger plugin runs its
 *   presubmits); a PR whose head shows a failing context is `/retest`ed after a while (kubernetes'
 *   retest commenter: the failing jobs, serially, at the current base); a bad PR is withdrawn once
 *   it fails alone (in a run of no other PR), since then its author knows it is at fault.
 */

export interface WorldParams {
  /** b: the fraction of PRs that break the build (`ReadyPull.bad` already carries it). */
  flakeRate: number;
  /** J: required jobs per PR; a run of good PRs flakes with probability `flakeRate` over all J. */
  jobs: number;
  /** D, in minutes. */
  runMinutes: number;
  /** A job takes D × (1 ± this), uniformly. */
  runSpread: number;
  /** c: the chance that one merge makes one waiting PR conflict. */
  conflictRate: number;
  /** R, in minutes: from a conflict to the author's rebase. */
  rebaseMinutes: number;
  /** T, in minutes: from a failing context to the retest commenter's `/retest`. */
  retestMinutes: number;
  /** Finished runs older than this are not in the pool state (Prow's sinker deletes them after 7 days). */
  runRetentionHours: number;
  /** The pool's own merges are in the pool state for this long (`PoolState.mergedOnto`). */
  mergeMemoryHours: number;
}

export const POOL_KEY: PoolKey = { org: 'sim', repo: 'repo', branch: 'main' };

/** Prow's tide policy for the branch as the sync resolves it with no `context_options`. */
const CONTEXT_POLICY: ContextPolicy = {
  requiredContexts: [],
  requiredIfPresentContexts: [],
  optionalContexts: [],
  skipUnknownContexts: false,
};

/**
 * The base the PRs' own presubmits ran at before they became ready: older than any the pool has
 * seen (a PR is tested when pushed and merged after review), so their green contexts never count
 * as a result at the current base.
 */
export const BASE_BEFORE_READY = 'base-before-ready';

/** Who started a run: the pool's policy, or an author (rebase, `/retest`), or before the PR was ready. */
export type RunOrigin = 'pool' | 'author' | 'before-ready';

/** One job of one run, as the world keeps it. */
export interface SimJob {
  /** The ProwJob, as the pool state shows it (the same object from sync to sync). */
  readonly run: SimRun;
  readonly origin: RunOrigin;
  /** When it would finish (its outcome is fixed when it starts). */
  readonly endsAt: number;
  readonly outcome: 'success' | 'failure';
  /** Job-runs it cost: 1 once started; the fraction of D it ran if aborted. */
  cost: number;
  /** Waiting PRs whose current head it names: while any does (or it runs), the pool state shows it. */
  refs: number;
}

/** A PR in the world, from the moment it becomes ready. */
export interface SimPull {
  readonly number: number;
  readonly bad: boolean;
  readonly readyAt: number;
  status: 'waiting' | 'merged' | 'withdrawn';
  mergedAt?: number;
  withdrawnAt?: number;
  /** Bumped by each rebase: the head the pool sees is `headSha`. */
  version: number;
  headSha: string;
  conflicting: boolean;
  /** The latest presubmit of each job at the current head: what its contexts show. */
  readonly latestByJob: Map<string, SimJob>;
  /** Presubmits of each job on this PR still running (any head): a newer one aborts them. */
  readonly runningByJob: Map<string, SimJob>;
  /** Every run that names this PR (any head), oldest first. */
  readonly jobs: SimJob[];
  /** Where in `jobs` the current head's runs begin (runs before it name an older head). */
  headJobsFrom: number;
  /** The PR as the last pool state showed it, until something it shows changes. */
  view?: PoolPull;
  retestScheduled: boolean;
}

/** Things the world counts beyond the metrics, to tell what a policy did. */
export interface WorldCounts {
  /** Merges the world refused: head moved, conflicting, or not in the pool. */
  refusedMerges: number;
  /** Jobs a trigger named that are not required here (not started). */
  unknownJobs: number;
  /** Runs (job-runs) the policy cancelled, and those a newer presubmit aborted. */
  cancelledByPolicy: number;
  abortedAsDuplicates: number;
  conflicts: number;
  rebases: number;
  retests: number;
  withdrawals: number;
}

/**
 * A ProwJob with Prow's `created-by-tide` label as `createdByTide` (set on the pool's own runs: Prow
 * lets a PR whose pending run the pool started into a batch or retest, not one an author started).
 * The field joins PoolRun with Prow's policy; until then it is declared here.
 */
type SimRun = PoolRun & { createdByTide?: boolean };

type Happening =
  | { kind: 'job ends'; job: SimJob }
  | { kind: 'rebase'; pull: SimPull; version: number }
  | { kind: 'retest'; pull: SimPull; version: number };

const ACTIVE: ReadonlySet<RunState> = new Set(['triggered', 'pending']);

export class SimWorld {
  /** The J required jobs, the same for every PR (policies only read it). */
  readonly requiredJobs: RequiredJob[];
  /** Every PR that became ready so far, by number. */
  readonly pulls = new Map<number, SimPull>();
  /** Every job the pool or an author started (not the PRs' own before they were ready), oldest first. */
  readonly ledger: SimJob[] = [];
  /** PRs merged, in merge order. */
  readonly mergeLog: SimPull[] = [];
  readonly counts: WorldCounts = {
    refusedMerges: 0,
    unknownJobs: 0,
    cancelledByPolicy: 0,
    abortedAsDuplicates: 0,
    conflicts: 0,
    rebases: 0,
    retests: 0,
    withdrawals: 0,
  };
  /** Bumped by every change a policy could see: a sync that finds it unchanged sees what the last one saw. */
  version = 0;
  now = 0;
  baseSha = 'base-0';

  /** Ready, neither merged nor withdrawn; in PR-number order, which is also the order they became ready. */
  private readonly waiting = new Map<number, SimPull>();
  private readonly running = new Map<string, SimJob>();
  /** Runs the pool state shows: running, or naming a waiting PR at its current head. */
  private readonly visible = new Set<SimJob>();
  private readonly merges: PoolMerge[] = [];
  private readonly agenda = new Agenda<Happening>();
  private readonly jobNames: ReadonlySet<string>;
  private readonly jobFlake: number;
  private readonly runMs: number;
  private readonly ci: Random;
  private readonly conflicts: Random;
  private nextReady = 0;
  /** The first of `merges` still within `mergeMemoryHours`. */
  private mergesRemembered = 0;
  private bases = 0;
  private jobCount = 0;

  constructor(
    private readonly params: WorldParams,
    private readonly stream: readonly ReadyPull[],
    seed: number,
  ) {
    this.requiredJobs = Array.from({ length: params.jobs }, (_, index) => {
      const name = `pull-sim-job-${index + 1}`;
      return { job: name, context: name };
    });
    this.jobNames = new Set(this.requiredJobs.map((job) => job.job));
    // f is per run over J independent jobs: 1 − (1 − p)^J = f.
    this.jobFlake = 1 - (1 - params.flakeRate) ** (1 / params.jobs);
    this.runMs = params.runMinutes * MINUTE_MS;
    this.ci = seededRandom(seed, 'ci');
    this.conflicts = seededRandom(seed, 'conflicts');
  }

  /** PRs in the pool now (ready, neither merged nor withdrawn). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** The waiting PRs, oldest first. */
  waitingPulls(): IterableIterator<SimPull> {
    return this.waiting.values();
  }

  /** Lets everything scheduled up to `time` happen, in time order. */
  advanceTo(time: number): void {
    for (;;) {
      const readyAt = this.stream[this.nextReady]?.readyAt ?? Infinity;
      const dueAt = this.agenda.nextAt ?? Infinity;
      const at = Math.min(readyAt, dueAt);
      if (at > time) break;
      this.now = at;
      if (readyAt <= dueAt) this.becomeReady(this.stream[this.nextReady++]!);
      else this.happen(this.agenda.takeDue(at)!.item);
    }
    this.now = time;
  }

  /** What a real sync would gather for this pool now. */
  poolState(settings: PoolSettings): PoolState {
    const pulls: PoolPull[] = [];
    const requiredJobs: Record<number, RequiredJob[]> = {};
    for (const pull of this.waiting.values()) {
      pull.view ??= this.asPoolPull(pull);
      pulls.push(pull.view);
      requiredJobs[pull.number] = this.requiredJobs;
    }
    // Finished runs that still say something (they name a PR in the pool at its current head), and
    // not so old that the sinker would have deleted them.
    const oldest = this.now - this.params.runRetentionHours * HOUR_MS;
    const runs: PoolRun[] = [];
    for (const job of this.visible) if (job.run.createdAt >= oldest || ACTIVE.has(job.run.state)) runs.push(job.run);
    const since = this.now - this.params.mergeMemoryHours * HOUR_MS;
    while (this.merges[this.mergesRemembered] && this.merges[this.mergesRemembered]!.at < since) this.mergesRemembered++;
    return {
      key: POOL_KEY,
      baseSha: this.baseSha,
      pulls,
      contextPolicy: CONTEXT_POLICY,
      requiredJobs,
      runs,
      mergedOnto: this.merges.slice(this.mergesRemembered),
      blockers: [],
      settings,
      now: this.now,
    };
  }

  /** Does what a sync's actions ask, as GitHub and the CI would. */
  act(actions: readonly PoolAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case 'wait':
        case 'blocked':
          break;
        case 'merge':
          this.merge(action.pulls);
          break;
        case 'trigger':
          for (const request of action.runs) this.trigger(request);
          break;
        case 'cancel':
          for (const id of action.runIds) this.cancel(id);
          break;
      }
    }
  }

  /** Starts a run as the pool would (exposed for tests). */
  trigger(request: RunRequest, origin: RunOrigin = 'pool'): SimJob[] {
    const jobs = request.jobs.filter((job) => this.jobNames.has(job));
    this.counts.unknownJobs += request.jobs.length - jobs.length;
    return this.start(request.type, request.baseSha, request.pulls, jobs, origin);
  }

  private becomeReady(ready: ReadyPull): void {
    const pull: SimPull = {
      number: ready.number,
      bad: ready.bad,
      readyAt: ready.readyAt,
      status: 'waiting',
      version: 1,
      headSha: headSha(ready.number, 1),
      conflicting: false,
      latestByJob: new Map(),
      runningByJob: new Map(),
      jobs: [],
      headJobsFrom: 0,
      retestScheduled: false,
    };
    this.pulls.set(pull.number, pull);
    this.waiting.set(pull.number, pull);
    // Its presubmits passed before it was ready, at an older base: green contexts, no result here.
    for (const required of this.requiredJobs) {
      const job: SimJob = {
        run: {
          id: `sim-${++this.jobCount}`,
          job: required.job,
          context: required.context,
          type: 'presubmit',
          baseSha: BASE_BEFORE_READY,
          pulls: [{ number: pull.number, sha: pull.headSha }],
          state: 'success',
          createdAt: ready.readyAt - this.runMs,
          completedAt: ready.readyAt,
        },
        origin: 'before-ready',
        endsAt: ready.readyAt,
        outcome: 'success',
        cost: 0,
        refs: 1,
      };
      this.visible.add(job);
      pull.jobs.push(job);
      pull.latestByJob.set(required.job, job);
    }
    this.version++;
  }

  private happen(happening: Happening): void {
    switch (happening.kind) {
      case 'job ends':
        this.finish(happening.job);
        return;
      case 'rebase':
        this.rebase(happening.pull, happening.version);
        return;
      case 'retest':
        this.retest(happening.pull, happening.version);
        return;
    }
  }

  private start(type: RunRequest['type'], baseSha: string, pulls: readonly RunPull[], jobNames: readonly string[], origin: RunOrigin): SimJob[] {
    const members = pulls.map((each) => this.pulls.get(each.number));
    // A conflicting PR cannot be trial-merged: the clone fails, and so does every job.
    const fails = members.some((pull) => pull === undefined || pull.bad || pull.conflicting);
    const alone = type === 'presubmit' && pulls.length === 1 ? members[0] : undefined;
    const started: SimJob[] = [];
    for (const name of jobNames) {
      const outcome = fails || this.ci() < this.jobFlake ? 'failure' : 'success';
      const job: SimJob = {
        run: {
          id: `sim-${++this.jobCount}`,
          job: name,
          context: name,
          type,
          baseSha,
          pulls: pulls.map((each) => ({ number: each.number, sha: each.sha })),
          state: 'pending',
          createdAt: this.now,
          ...(origin === 'pool' ? { createdByTide: true } : {}),
        },
        origin,
        endsAt: this.now + spread(this.ci, this.runMs, this.params.runSpread),
        outcome,
        cost: 1,
        refs: 0,
      };
      started.push(job);
      this.ledger.push(job);
      this.running.set(job.run.id, job);
      this.visible.add(job);
      this.agenda.add(job.endsAt, { kind: 'job ends', job });
      for (const [index, pull] of members.entries()) {
        if (!pull) continue;
        pull.jobs.push(job);
        if (pull.status === 'waiting' && pulls[index]?.sha === pull.headSha) job.refs++;
      }
      if (alone) {
        const older = alone.runningByJob.get(name);
        if (older) {
          this.abort(older);
          this.counts.abortedAsDuplicates++;
        }
        alone.runningByJob.set(name, job);
        if (pulls[0]?.sha === alone.headSha) {
          alone.latestByJob.set(name, job);
          alone.view = undefined;
        }
      }
    }
    if (started.length > 0) this.version++;
    return started;
  }

  private finish(job: SimJob): void {
    if (!ACTIVE.has(job.run.state)) return; // aborted before it ended
    job.run.state = job.outcome;
    job.run.completedAt = this.now;
    this.stopped(job);
    const only = job.run.pulls.length === 1 ? this.pulls.get(job.run.pulls[0]!.number) : undefined;
    if (only && job.run.type === 'presubmit' && only.runningByJob.get(job.run.job) === job) only.runningByJob.delete(job.run.job);
    if (job.outcome !== 'failure' || !only || only.status !== 'waiting') return;
    if (only.bad) {
      this.withdraw(only);
      return;
    }
    if (only.latestByJob.get(job.run.job) === job) this.scheduleRetest(only);
  }

  /** Stops a running job; it costs the fraction of D it ran. */
  private abort(job: SimJob): void {
    if (!ACTIVE.has(job.run.state)) return;
    job.run.state = 'aborted';
    job.run.completedAt = this.now;
    job.cost = Math.min(1, (this.now - job.run.createdAt) / this.runMs);
    this.stopped(job);
  }

  private stopped(job: SimJob): void {
    this.running.delete(job.run.id);
    if (job.refs === 0) this.visible.delete(job);
    const only = job.run.pulls.length === 1 ? this.pulls.get(job.run.pulls[0]!.number) : undefined;
    if (only?.latestByJob.get(job.run.job) === job) only.view = undefined;
    this.version++;
  }

  /** The PR's current head stops counting (merged, withdrawn, rebased): so do the runs that named only it. */
  private leaveHead(pull: SimPull): void {
    for (let index = pull.headJobsFrom; index < pull.jobs.length; index++) {
      const job = pull.jobs[index]!;
      if (!job.run.pulls.some((each) => each.number === pull.number && each.sha === pull.headSha)) continue;
      job.refs--;
      if (job.refs === 0 && !ACTIVE.has(job.run.state)) this.visible.delete(job);
    }
    pull.view = undefined;
  }

  private cancel(id: string): void {
    const job = this.running.get(id);
    if (!job) return;
    this.abort(job);
    this.counts.cancelledByPolicy++;
    const only = job.run.pulls.length === 1 ? this.pulls.get(job.run.pulls[0]!.number) : undefined;
    if (!only || job.run.type !== 'presubmit') return;
    if (only.runningByJob.get(job.run.job) === job) only.runningByJob.delete(job.run.job);
    // Crier reports an aborted presubmit as a failure on the PR.
    if (only.status === 'waiting' && only.latestByJob.get(job.run.job) === job) this.scheduleRetest(only);
  }

  private merge(pulls: readonly RunPull[]): void {
    const fromSha = this.baseSha;
    const merged: number[] = [];
    const together = new Set(pulls.map((each) => each.number));
    for (const each of pulls) {
      const pull = this.waiting.get(each.number);
      if (!pull || pull.headSha !== each.sha || pull.conflicting) {
        this.counts.refusedMerges++;
        break;
      }
      pull.status = 'merged';
      pull.mergedAt = this.now;
      this.waiting.delete(pull.number);
      this.leaveHead(pull);
      this.mergeLog.push(pull);
      merged.push(pull.number);
      this.baseSha = `base-${++this.bases}`;
      // PRs merged together were tested together: the merge conflicts only with the others. So do
      // PRs a run under way has already merged on top of this one (a batch, or a car of a queue):
      // git applied them after it without conflict, and applies them the same way now.
      const onTop = this.mergedOnTopOf(pull.number);
      for (const other of this.waiting.values()) {
        if (other.conflicting || together.has(other.number) || onTop.has(other.number)) continue;
        if (this.conflicts() >= this.params.conflictRate) continue;
        other.conflicting = true;
        other.view = undefined;
        this.counts.conflicts++;
        this.agenda.add(this.now + this.params.rebaseMinutes * MINUTE_MS, { kind: 'rebase', pull: other, version: other.version });
      }
    }
    if (merged.length === 0) return;
    this.merges.push({ fromSha, toSha: this.baseSha, pulls: merged, at: this.now });
    this.version++;
  }

  /** PRs that some run under way merged after `number`, at their current heads. */
  private mergedOnTopOf(number: number): Set<number> {
    const after = new Set<number>();
    for (const job of this.running.values()) {
      const index = job.run.pulls.findIndex((each) => each.number === number);
      if (index < 0) continue;
      for (const later of job.run.pulls.slice(index + 1)) {
        if (this.waiting.get(later.number)?.headSha === later.sha) after.add(later.number);
      }
    }
    return after;
  }

  private rebase(pull: SimPull, version: number): void {
    if (pull.status !== 'waiting' || pull.version !== version) return;
    this.leaveHead(pull);
    pull.version++;
    pull.headSha = headSha(pull.number, pull.version);
    pull.conflicting = false;
    pull.latestByJob.clear();
    pull.headJobsFrom = pull.jobs.length;
    pull.retestScheduled = false;
    this.counts.rebases++;
    this.version++;
    // The trigger plugin runs the presubmits of the pushed head.
    this.start('presubmit', this.baseSha, [{ number: pull.number, sha: pull.headSha }], this.requiredJobs.map((job) => job.job), 'author');
  }

  private scheduleRetest(pull: SimPull): void {
    if (pull.retestScheduled) return;
    pull.retestScheduled = true;
    this.agenda.add(this.now + this.params.retestMinutes * MINUTE_MS, { kind: 'retest', pull, version: pull.version });
  }

  private retest(pull: SimPull, version: number): void {
    if (pull.version !== version) return; // rebased since: its new head has its own runs
    pull.retestScheduled = false;
    // The commenter leaves PRs that need a rebase alone; the rebase reruns everything.
    if (pull.status !== 'waiting' || pull.conflicting) return;
    const failing = [...pull.latestByJob.values()].filter((job) => !['success', 'pending'].includes(contextState(job.run.state)));
    if (failing.length === 0) return;
    this.counts.retests++;
    this.start('presubmit', this.baseSha, [{ number: pull.number, sha: pull.headSha }], failing.map((job) => job.run.job), 'author');
  }

  private withdraw(pull: SimPull): void {
    pull.status = 'withdrawn';
    pull.withdrawnAt = this.now;
    this.waiting.delete(pull.number);
    this.leaveHead(pull);
    this.counts.withdrawals++;
    this.version++;
  }

  private asPoolPull(pull: SimPull): PoolPull {
    const contexts: HeadContext[] = [];
    for (const job of pull.latestByJob.values()) contexts.push({ context: job.run.context, state: contextState(job.run.state) });
    return {
      number: pull.number,
      author: `author-${pull.number % 40}`,
      title: `Change ${pull.number}`,
      headSha: pull.headSha,
      headRef: `change-${pull.number}`,
      url: `https://github.com/${POOL_KEY.org}/${POOL_KEY.repo}/pull/${pull.number}`,
      labels: ['lgtm', 'approved'],
      mergeable: pull.conflicting ? 'conflicting' : 'mergeable',
      contexts,
    };
  }
}

function headSha(number: number, version: number): string {
  return `pr-${number}-v${version}`;
}

/** A ProwJob's state as crier reports it on the PR (Prow's report.go: aborted is a failure). */
function contextState(state: RunState): ContextState {
  switch (state) {
    case 'triggered':
    case 'pending':
      return 'pending';
    case 'success':
      return 'success';
    case 'error':
      return 'error';
    case 'failure':
    case 'aborted':
      return 'failure';
  }
}
