import { finishedJson, jobArtifactsDir, PROW_FILES, revisionOf, startedForJob, startedJson, type FinishedResult } from '../shared/artifacts/layout';
import type { ArtifactStore } from '../shared/artifacts/artifact-store';
import type { Logger } from '../shared/log/logger';
import { isFinalState } from '../shared/prowjob/lifecycle';
import type { ProwJob, ProwJobState } from '../shared/prowjob/schema';
import type { ConfigSource } from '../shared/config/config-source';
import { InvalidTransitionError, StaleLeaseError } from '../shared/store/errors';
import type { JobUpdate, JobWatch, Lease, Store, StoredJob } from '../shared/store/store';
import { decide, timeoutsFor } from './decide';
import type { ExecutionStatus, Executor } from './executor/executor';
import { decidePodCleanup, needsJobLookup, podCleanupPolicy, podRemovalLogFields } from './pod-cleanup';
import { newBuildId } from './build-id';
import { leaseNeedsRenewal, leaseTiming } from './lease-timing';
import { censoringPlan, type CensoringPlan } from './censor';
import { RunnerPresenceBeacon } from './presence';

/**
 * The runner agent (Prow's plank, per build cluster): it hears of triggered jobs for its cluster
 * from the store's change feed, leases them (so at most one runner works on a job), takes their
 * concurrency slots, starts them through its executor, and turns what the executor reports into
 * job state under the lease. Heartbeats keep leases alive; a heartbeat that finds its lease gone
 * learns that the job was aborted (abort ends the lease) or taken over.
 *
 * Crash safety comes from the store, not from this process: a runner that dies stops renewing,
 * its leases and slots expire, and another runner's sweep claims the jobs and adopts their pods,
 * which are found again by job name rather than created twice.
 */
export interface RunnerOptions {
  cluster: string;
  /** Stable identity of this runner, e.g. "<cluster>/<pod name>". */
  holder: string;
  store: Store;
  executor: Executor;
  config: ConfigSource;
  log: Logger;
  artifacts?: ArtifactStore;
  /**
   * The control plane's secrets (webhook secrets, GitHub token and key, session secret, API
   * token…): masked in every log and artifact this runner stores or shows, whatever the job's
   * config says (runner/censor.ts).
   */
  secrets?: readonly (string | Buffer)[];
  /** Defaults in lease-timing.ts; the heartbeat must be shorter than the TTL. */
  leaseTtlMs?: number;
  heartbeatMs?: number;
  /** How often to look for claimable jobs the feed cannot announce (expired leases, freed slots). */
  sweepMs?: number;
  /**
   * How often a running job's log so far is copied to build-log.txt, so the status pages can show
   * and stream it while the job runs (Prow's deck reads pod logs from the cluster instead; the
   * status function cannot reach build clusters). 0 turns it off.
   */
  liveLogMs?: number;
  /** This runner's release, shown on the health page. */
  version?: string;
  /** How often the runner records its presence for the health page (runner/presence.ts). */
  presenceMs?: number;
  now?: () => number;
}

interface HeldJob {
  lease: Lease;
  job: ProwJob;
  /** When this runner started (or adopted) the execution, for the scheduling timeout. */
  startedAt: number;
  slots: { key: string; capacity: number }[];
  finishing: boolean;
  /** The execution's last reported status, re-judged at each heartbeat (timeouts need no event). */
  lastExecution?: ExecutionStatus;
  /** Bytes of log last copied for the status pages, and the copy in flight (the final upload waits for it). */
  liveLogBytes?: number;
  liveLogUpload?: Promise<void>;
  /** How its log and artifacts are censored, worked out once (reading the job's secrets). */
  censoring?: Promise<CensoringPlan>;
}

/** A log bigger than this is not re-copied while running; it appears whole once the job ends. */
const MAX_LIVE_LOG_BYTES = 10 * 1024 * 1024;

export class Runner {
  private readonly held = new Map<string, HeldJob>();
  private readonly starting = new Set<string>();
  /**
   * Jobs this runner gave back for want of a slot. Giving a lease back changes the job, which the
   * change feed reports; without this the runner would claim it again at once, forever.
   */
  private readonly waitingForSlot = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopWatchingJobs: JobWatch | undefined;
  private stopWatchingAborts: JobWatch | undefined;
  private stopWatchingExecutions: (() => void) | undefined;
  private stopped = false;
  /**
   * Steps under way. stop() waits for them: a step still writing after the store is closed would
   * fail, and the Firestore client turns a call after terminate() into a process-ending rejection.
   */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** When the sweep last applied the sinker's pod rules to live executions (runner/pod-cleanup.ts). */
  private lastSinkerPassAt = Number.NEGATIVE_INFINITY;
  private readonly leaseTtlMs: number;
  private readonly heartbeatMs: number;
  private readonly now: () => number;
  /** For jobs this runner does not hold: the control plane's secrets only. */
  private readonly controlPlaneCensoring: CensoringPlan;
  private readonly presence: RunnerPresenceBeacon;

  constructor(private readonly options: RunnerOptions) {
    ({ leaseTtlMs: this.leaseTtlMs, heartbeatMs: this.heartbeatMs } = leaseTiming(options));
    this.now = options.now ?? Date.now;
    this.controlPlaneCensoring = censoringPlan(undefined, options.secrets ?? [], []);
    this.presence = new RunnerPresenceBeacon({
      runners: options.store.runners,
      cluster: options.cluster,
      holder: options.holder,
      ...(options.version ? { version: options.version } : {}),
      jobsHeld: () => this.held.size,
      log: options.log,
      now: this.now,
      ...(options.presenceMs ? { intervalMs: options.presenceMs } : {}),
    });
  }

  /**
   * A running job's log so far, censored as its stored log will be: what status pages may show
   * while it runs (local mode reads it from here rather than from a live copy).
   */
  async censoredLog(jobName: string): Promise<string> {
    const held = this.held.get(jobName);
    const plan = held ? await this.censoringFor(held) : this.controlPlaneCensoring;
    return plan.full.censorText(await this.options.executor.log(jobName), plan.bufferBytes);
  }

  /** Names of the jobs this runner currently holds (for tests and health). */
  heldJobs(): string[] {
    return [...this.held.keys()].sort();
  }

  async start(): Promise<void> {
    const { store, executor, cluster, log } = this.options;
    this.stopWatchingExecutions = executor.watch(
      (status) => void this.guard(status.jobName, () => this.onExecution(status)),
      (jobName) => void this.guard(jobName, () => this.onVanished(jobName)),
    );
    // Adopt what is already running for this cluster (a restart, or a crashed peer's work).
    for (const execution of await executor.list()) await this.guard(execution.jobName, () => this.tryClaim(execution.jobName));
    this.stopWatchingJobs = store.jobs.watch(
      { cluster, state: 'triggered' },
      (change) => {
        const name = change.job.job.metadata.name ?? '';
        if (change.kind !== 'removed' && !this.waitingForSlot.has(name)) void this.guard(name, () => this.tryClaim(name, change.job.job));
      },
      (error) => log.error('job change feed failed', { error }),
    );
    // Aborts (a newer push, the status page) reach the runner at once rather than at its next
    // lease renewal: one read per aborted job of the cluster, and at start the cluster's aborted
    // jobs the sinker has not yet removed.
    this.stopWatchingAborts = store.jobs.watch(
      { cluster, state: 'aborted' },
      (change) => {
        const name = change.job.job.metadata.name ?? '';
        const held = this.held.get(name);
        if (change.kind !== 'removed' && held && !held.finishing) void this.guard(name, () => this.onAborted(name, held, change.job.job));
      },
      (error) => log.error('abort change feed failed; aborts are noticed at lease renewal', { error }),
    );
    await Promise.all([this.stopWatchingJobs.ready, this.stopWatchingAborts.ready]);
    this.presence.start();
    this.timers.push(setInterval(() => void this.heartbeat(), this.heartbeatMs));
    this.timers.push(setInterval(() => void this.track(this.sweep()), this.options.sweepMs ?? this.leaseTtlMs));
    const liveLogMs = this.options.liveLogMs ?? 5_000;
    if (liveLogMs > 0 && this.options.artifacts) this.timers.push(setInterval(() => this.copyLiveLogs(), liveLogMs));
    log.info('runner started', { cluster, holder: this.options.holder, leaseTtlMs: this.leaseTtlMs, heartbeatMs: this.heartbeatMs });
  }

  /**
   * Stops working: no new claims, and every lease given back so a peer adopts the executions at
   * once instead of waiting for expiry. Executions keep running. With `releaseLeases: false` the
   * runner just goes silent, as a crashed one would (tests use it).
   */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.stopWatchingJobs?.close();
    this.stopWatchingAborts?.close();
    this.stopWatchingExecutions?.();
    // Steps started before the stop finish first (new ones return at once, as stopped).
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (options.releaseLeases ?? true) {
      await Promise.all([...this.held.values()].map((held) => this.options.store.jobs.release(held.lease).catch(() => undefined)));
    }
    this.held.clear();
    // A runner that goes silent (as a crashed one) says nothing: the page sees its beats stop.
    if (options.releaseLeases ?? true) await this.presence.stop();
    else this.presence.silence();
  }

  /** Runs a step for one job, logging instead of throwing: one job's trouble never stops the others. */
  private guard(jobName: string, step: () => Promise<void>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.track(this.runGuarded(jobName, step));
  }

  /** Counts work in flight until it settles, so stop() can wait for it. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  private async runGuarded(jobName: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof StaleLeaseError) {
        this.options.log.warn('lease lost; leaving the job to its new holder', { jobId: jobName, reason: error.message });
        this.held.delete(jobName);
        return;
      }
      this.options.log.error('runner step failed', { jobId: jobName, error });
    }
  }

  /**
   * Leases a job, takes its concurrency slots, and starts (or adopts) its execution. A triggered
   * job the feed announced (`announced`) that needs no slot is leased and made pending in one
   * write; one with a concurrency limit must hold its slot before it may start, so it is leased
   * first and started once the slot is taken.
   */
  private async tryClaim(name: string, announced?: ProwJob): Promise<void> {
    if (this.stopped || !name || this.held.has(name) || this.starting.has(name)) return;
    this.starting.add(name);
    try {
      const startNow = announced?.status?.state === 'triggered' && !(await this.needsSlots(announced));
      const start = startNow ? this.startUpdate(name) : undefined;
      const claim = await this.options.store.jobs.claim(
        name,
        { cluster: this.options.cluster, holder: this.options.holder, ttlMs: this.leaseTtlMs },
        start,
      );
      // Started by this claim only if the job was still triggered: otherwise it is a peer's to adopt.
      const startedNow = start !== undefined && claim?.job.job.status?.build_id === start.status?.build_id;
      if (claim) await this.begin(claim.job, claim.lease, startedNow);
    } finally {
      this.starting.delete(name);
    }
  }

  /** What starting a job writes: Prow's build ID, the pod's name and the first description. */
  private startUpdate(name: string): JobUpdate {
    return { state: 'pending', status: { build_id: newBuildId(this.now()), pod_name: name, description: 'Job triggered.' } };
  }

  private async needsSlots(job: ProwJob): Promise<boolean> {
    if (job.spec.max_concurrency && job.spec.max_concurrency > 0) return true;
    const queue = job.spec.job_queue_name;
    return queue !== undefined && (await this.options.config.current()).prow.plank?.job_queue_capacities?.[queue] !== undefined;
  }

  private async begin(stored: StoredJob, lease: Lease, startedByClaim = false): Promise<void> {
    const { store, executor, log } = this.options;
    const name = lease.jobName;
    const jobLog = log.child({ jobId: name, job: stored.job.spec.job });
    const slots = await this.takeSlots(stored.job);
    if (!slots) {
      // At capacity: give the job back untouched; a slot freed later (or the sweep) brings it round again.
      if (!this.waitingForSlot.has(name)) jobLog.info('job waits for a concurrency slot');
      this.waitingForSlot.add(name);
      await store.jobs.release(lease);
      return;
    }
    this.waitingForSlot.delete(name);
    if (this.stopped) {
      // Stopped while claiming: start nothing; the job goes back for a peer (or the next start).
      for (const { key } of slots) await store.slots.release(key, name);
      await store.jobs.release(lease);
      return;
    }
    let job = stored.job;
    if (job.status?.state === 'triggered') {
      job = (await store.jobs.update(name, this.startUpdate(name), { lease })).job;
    }
    if (startedByClaim || job !== stored.job) {
      // started.json only records the start; failing to store it must not hold the job back.
      await this.writeStarted(job).catch((error: unknown) => jobLog.error('could not store started.json', { error }));
    }
    this.held.set(name, { lease, job, startedAt: this.now(), slots, finishing: false });
    const execution = await executor.start(job);
    jobLog.info(stored.job.status?.state === 'pending' && !startedByClaim ? 'adopted a running job' : 'started job', { phase: execution.phase });
    await this.onExecution(execution);
  }

  /** Acquires the job's max_concurrency and queue slots; undefined (holding none) when one is full. */
  private async takeSlots(job: ProwJob): Promise<{ key: string; capacity: number }[] | undefined> {
    const config = await this.options.config.current();
    const wanted: { key: string; capacity: number }[] = [];
    if (job.spec.max_concurrency && job.spec.max_concurrency > 0) wanted.push({ key: `job:${job.spec.job}`, capacity: job.spec.max_concurrency });
    const queue = job.spec.job_queue_name;
    const queueCapacity = queue ? config.prow.plank?.job_queue_capacities?.[queue] : undefined;
    if (queue && queueCapacity !== undefined && queueCapacity >= 0) wanted.push({ key: `queue:${queue}`, capacity: queueCapacity });
    const taken: { key: string; capacity: number }[] = [];
    for (const slot of wanted) {
      if (!(await this.options.store.slots.acquire(slot.key, job.metadata.name ?? '', slot.capacity, this.leaseTtlMs))) {
        for (const { key } of taken) await this.options.store.slots.release(key, job.metadata.name ?? '');
        return undefined;
      }
      taken.push(slot);
    }
    return taken;
  }

  private async onExecution(execution: ExecutionStatus): Promise<void> {
    const held = this.held.get(execution.jobName);
    if (!held || held.finishing) return;
    held.lastExecution = execution;
    const config = await this.options.config.current();
    const timeouts = timeoutsFor(held.job, config.prow.plank);
    const decision = decide(held.job, execution, this.now(), timeouts, held.startedAt);
    if (decision.kind === 'wait') return;
    if (decision.kind === 'revive') return;
    if (decision.stop) await this.options.executor.abort(execution.jobName, timeouts.gracePeriodMs);
    await this.apply(execution.jobName, held, decision.update);
  }

  private async onVanished(jobName: string): Promise<void> {
    const held = this.held.get(jobName);
    if (!held || held.finishing) return;
    const config = await this.options.config.current();
    const decision = decide(held.job, undefined, this.now(), timeoutsFor(held.job, config.prow.plank), held.startedAt);
    if (decision.kind === 'wait') return;
    await this.apply(jobName, held, decision.update);
    if (decision.kind === 'revive') {
      this.options.log.warn('pod vanished; starting it again', { jobId: jobName });
      held.startedAt = this.now();
      await this.onExecution(await this.options.executor.start(held.job));
    }
  }

  /** Copies each running job's log so far where the status pages read it, when it has grown. */
  private copyLiveLogs(): void {
    const artifacts = this.options.artifacts;
    if (!artifacts || this.stopped) return;
    for (const [name, held] of this.held) {
      const buildId = held.job.status?.build_id;
      if (held.finishing || held.liveLogUpload || !buildId) continue;
      held.liveLogUpload = this.track((async () => {
        const log = await this.options.executor.log(name);
        const bytes = Buffer.byteLength(log, 'utf8');
        if (bytes === held.liveLogBytes || bytes > MAX_LIVE_LOG_BYTES) return;
        const plan = await this.censoringFor(held);
        // Checked again after the reads: the final upload may have begun meanwhile, and must win.
        if (held.finishing) return;
        await artifacts.write(`${jobArtifactsDir(held.job, buildId)}${PROW_FILES.buildLog}`, plan.full.censor(log, plan.bufferBytes), {
          contentType: 'text/plain; charset=utf-8',
        });
        held.liveLogBytes = bytes;
      })())
        .catch((error: unknown) => this.options.log.warn('could not copy the running log', { jobId: name, error }))
        .finally(() => (held.liveLogUpload = undefined));
    }
  }

  /** Writes an update under the lease; a final state ends the job here. */
  private async apply(jobName: string, held: HeldJob, update: JobUpdate): Promise<void> {
    if (update.state && isFinalState(update.state)) {
      held.finishing = true;
      // A live copy still in flight must land before the final log, never after it.
      await held.liveLogUpload;
      // Results are stored before the state says "finished", as Prow's sidecar uploads before the
      // pod ends: a failed upload leaves the job held and the next heartbeat tries again, instead
      // of removing the pod and losing its log.
      try {
        await this.writeResults(held, update.state);
      } catch (error) {
        held.finishing = false;
        throw error;
      }
    }
    try {
      const written = await this.options.store.jobs.update(jobName, update, { lease: held.lease });
      held.job = written.job;
    } catch (error) {
      if (!(error instanceof InvalidTransitionError)) throw error;
      // Finished meanwhile (aborted by someone): nothing left to write.
    }
    if (held.finishing) await this.finish(jobName, held, update.state ?? 'error');
  }

  private async finish(jobName: string, held: HeldJob, state: ProwJobState): Promise<void> {
    const { executor, store, log } = this.options;
    // prowjob.json is a copy of the final record, already safe in the store: a failure only costs the copy.
    await this.writeProwJob(held.job).catch((error: unknown) => log.error('could not store prowjob.json', { jobId: jobName, error }));
    await executor.remove(jobName);
    for (const { key } of held.slots) await store.slots.release(key, jobName);
    this.held.delete(jobName);
    log.info('job finished', { jobId: jobName, job: held.job.spec.job, state });
    // A freed slot may let a waiting run of the same job start now rather than at the next sweep.
    if (held.slots.length > 0) void this.track(this.sweep());
  }

  /** Renews every lease; a renewal refused means the job was aborted or someone else has it. */
  private async heartbeat(): Promise<void> {
    await Promise.all(
      [...this.held.entries()].map(([name, held]) =>
        this.guard(name, async () => {
          try {
            if (leaseNeedsRenewal(held.lease.expiresAt, this.now(), { leaseTtlMs: this.leaseTtlMs, heartbeatMs: this.heartbeatMs })) {
              held.lease = await this.options.store.jobs.renew(held.lease, this.leaseTtlMs);
              for (const slot of held.slots) await this.options.store.slots.acquire(slot.key, name, slot.capacity, this.leaseTtlMs);
            }
            if (held.lastExecution) await this.onExecution(held.lastExecution);
          } catch (error) {
            if (!(error instanceof StaleLeaseError)) throw error;
            await this.onLeaseLost(name, held);
          }
        }),
      ),
    );
  }

  private async onLeaseLost(name: string, held: HeldJob): Promise<void> {
    const current = await this.options.store.jobs.get(name);
    if (current?.job.status?.state === 'aborted') {
      await this.onAborted(name, held, current.job);
      return;
    }
    // Someone else holds it now (we paused past the lease): their job, their execution.
    this.held.delete(name);
  }

  /** Stops an aborted job's execution and stores what it produced; the abort ended the lease. */
  private async onAborted(name: string, held: HeldJob, aborted: ProwJob): Promise<void> {
    if (held.finishing) return;
    held.finishing = true;
    const config = await this.options.config.current();
    this.options.log.info('job aborted; stopping its execution', { jobId: name });
    await this.options.executor.abort(name, timeoutsFor(held.job, config.prow.plank).gracePeriodMs);
    held.job = aborted;
    await held.liveLogUpload;
    // The lease is gone, so there is no retrying later: store what can be stored now.
    await this.writeResults(held, 'aborted').catch((error: unknown) =>
      this.options.log.error('could not store the aborted job’s log and results', { jobId: name, error }),
    );
    await this.finish(name, held, 'aborted');
  }

  /**
   * Claims whatever the feed could not announce — expired leases of crashed peers, jobs waiting
   * for slots — and removes executions whose jobs have finished without them (a runner that died
   * between writing the result and removing the pod), or, by Prow's sinker rules, whose jobs are
   * gone or finished long ago.
   */
  private async sweep(): Promise<void> {
    if (this.stopped) return;
    for (const name of [...this.waitingForSlot]) await this.guard(name, () => this.tryClaim(name));
    for (let claimed = 0; claimed < 50 && !this.stopped; claimed++) {
      const claim = await this.options.store.jobs
        .claimNext({ cluster: this.options.cluster, holder: this.options.holder, ttlMs: this.leaseTtlMs })
        .catch((error: unknown) => {
          this.options.log.error('sweep could not claim jobs', { error });
          return undefined;
        });
      if (!claim) break;
      const name = claim.lease.jobName;
      if (this.held.has(name) || this.starting.has(name)) continue;
      this.starting.add(name);
      await this.guard(name, () => this.begin(claim.job, claim.lease)).finally(() => this.starting.delete(name));
      // The oldest claimable job still waits for a slot: claimNext would only offer it again.
      if (this.waitingForSlot.has(name)) break;
    }
    await this.removeOrphans();
  }

  private async removeOrphans(): Promise<void> {
    const { log, executor, store } = this.options;
    const executions = await executor.list().catch((error: unknown) => {
      log.error('sweep could not list executions', { error });
      return [];
    });
    const config = await this.options.config.current().catch((error: unknown) => {
      log.error('sweep could not read the config; pods are left for the next sweep', { error });
      return undefined;
    });
    if (!config) return;
    const policy = podCleanupPolicy(config, this.options.cluster);
    // Live executions mostly belong to active jobs, so judging them costs a store read each for
    // little: that pass runs once per sinker.resync_period, as Prow's sinker does.
    const sinkerPass = policy.sinkerRules && this.now() - this.lastSinkerPassAt >= policy.resyncPeriodMs;
    if (sinkerPass) {
      this.lastSinkerPassAt = this.now();
      for (const problem of policy.problems) log.warn('sinker setting not usable; using the default', { problem });
    }
    for (const execution of executions) {
      const name = execution.jobName;
      if (!needsJobLookup(execution, sinkerPass)) continue;
      if (this.stopped || this.held.has(name) || this.starting.has(name)) continue;
      await this.guard(name, async () => {
        const candidate = { execution, job: await store.jobs.get(name) };
        const verdict = decidePodCleanup(candidate, policy, this.now());
        if (!verdict.remove) return;
        log.info('removing a leftover pod', podRemovalLogFields(candidate, verdict));
        if (verdict.stop) await executor.abort(name, verdict.gracePeriodMs);
        else await executor.remove(name);
      });
    }
  }

  private async writeStarted(job: ProwJob): Promise<void> {
    const artifacts = this.options.artifacts;
    const buildId = job.status?.build_id;
    if (!artifacts || !buildId) return;
    const dir = jobArtifactsDir(job, buildId);
    await artifacts.write(`${dir}${PROW_FILES.started}`, startedJson(startedForJob(job, { timestamp: Math.floor(this.now() / 1000) })), {
      contentType: 'application/json',
    });
  }

  /** How a held job's log and artifacts are censored; worked out again after a failure to read its secrets. */
  private censoringFor(held: HeldJob): Promise<CensoringPlan> {
    held.censoring ??= (async () => {
      const decoration = held.job.spec.decoration_config;
      const readSecrets = decoration?.censor_secrets === true ? this.options.executor.jobSecrets?.bind(this.options.executor) : undefined;
      return censoringPlan(decoration, this.options.secrets ?? [], readSecrets ? await readSecrets(held.job) : []);
    })().catch((error: unknown) => {
      held.censoring = undefined;
      throw error;
    });
    return held.censoring;
  }

  /** The build log, $ARTIFACTS and finished.json, in Prow's layout, censored (runner/censor.ts). */
  private async writeResults(held: HeldJob, state: ProwJobState): Promise<void> {
    const job = held.job;
    const artifacts = this.options.artifacts;
    const buildId = job.status?.build_id;
    if (!artifacts || !buildId) return;
    const name = job.metadata.name ?? '';
    const dir = jobArtifactsDir(job, buildId);
    const result: FinishedResult = state === 'success' ? 'SUCCESS' : state === 'aborted' ? 'ABORTED' : state === 'failure' ? 'FAILURE' : 'ERROR';
    const revision = revisionOf(job);
    // Before anything is read: a job whose secrets cannot be read has nothing stored, rather than its secrets.
    const plan = await this.censoringFor(held);
    const log = plan.full.censor(await this.options.executor.log(name), plan.bufferBytes);
    await artifacts.write(`${dir}${PROW_FILES.buildLog}`, log, { contentType: 'text/plain; charset=utf-8' });
    await eachAtMost(plan.concurrency, await this.options.executor.artifacts(name), async (file) => {
      const censor = plan.includesArtifact(file.path) ? plan.full : plan.controlPlaneOnly;
      await artifacts.write(`${dir}${PROW_FILES.artifacts}${file.path}`, censor.censor(file.content, plan.bufferBytes));
    });
    const podInfo = await this.options.executor.podInfo?.(name);
    if (podInfo) {
      await artifacts.write(`${dir}${PROW_FILES.podInfo}`, plan.full.censor(Buffer.from(`${JSON.stringify(podInfo, null, 2)}\n`), plan.bufferBytes), {
        contentType: 'application/json',
      });
    }
    await artifacts.write(
      `${dir}${PROW_FILES.finished}`,
      finishedJson({ timestamp: Math.floor(this.now() / 1000), passed: state === 'success', result, ...(revision ? { revision } : {}) }),
      { contentType: 'application/json' },
    );
  }

  private async writeProwJob(job: ProwJob): Promise<void> {
    const artifacts = this.options.artifacts;
    const buildId = job.status?.build_id;
    if (!artifacts || !buildId) return;
    await artifacts.write(`${jobArtifactsDir(job, buildId)}${PROW_FILES.prowJob}`, `${JSON.stringify(job, null, 2)}\n`, {
      contentType: 'application/json',
    });
  }
}

/** Runs `work` on every item, at most `limit` at once; rejects with the first failure once all have settled. */
async function eachAtMost<T>(limit: number, items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item).catch((error: unknown) => void failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
