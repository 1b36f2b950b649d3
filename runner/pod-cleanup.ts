import type { Config } from '../shared/config/model';
import { formatGoDuration } from '../shared/go/duration';
import { isFinalState } from '../shared/prowjob/lifecycle';
import { sinkerPolicy } from '../shared/config/sinker';
import { jobIndexOf } from '../shared/store/rules';
import type { StoredJob } from '../shared/store/store';
import { PLANK_DEFAULTS } from './decide';
import type { ExecutionStatus } from './executor/executor';
import { durationMs } from './executor/pod';

/**
 * Prow's sinker, the pod half, as the runner's sweep applies it to its own cluster's executions
 * (the ProwJob half runs in the scheduler: shared/scheduler/sinker.ts). A pure function: the sweep
 * lists executions, reads their jobs, and does what this says.
 *
 * The runner already removes a job's pod as soon as the job's results are stored and its final
 * state written, so the rules below are mostly about what that misses: pods whose job was deleted
 * while they ran, and pods still running for a job that finished without them (its runner died,
 * or it was aborted and nobody stopped the pod). The pod of an active job is never touched: that
 * job's runner (or the next sweep's claim) owns it.
 */

export type PodCleanupReason =
  /** Ended, and its job is final: results are stored, the pod is a leftover. */
  | 'finished'
  /** Its ProwJob no longer exists. */
  | 'orphaned'
  /** Its job is final and the pod started more than max_pod_age ago. */
  | 'aged'
  /** Its job is final and finished more than terminated_pod_ttl ago. */
  | 'ttled';

export interface PodCleanupPolicy {
  maxPodAgeMs: number;
  terminatedPodTtlMs: number;
  /**
   * False in a cluster listed in `sinker.exclude_clusters`: then only the runner's own removal of
   * ended executions applies, and pods still running are left alone whatever their job.
   */
  sinkerRules: boolean;
  resyncPeriodMs: number;
  problems: readonly string[];
}

export function podCleanupPolicy(config: Config, cluster: string): PodCleanupPolicy {
  const policy = sinkerPolicy(config);
  return {
    maxPodAgeMs: policy.maxPodAgeMs,
    terminatedPodTtlMs: policy.terminatedPodTtlMs,
    sinkerRules: !policy.excludeClusters.includes(cluster),
    resyncPeriodMs: policy.resyncPeriodMs,
    problems: policy.problems,
  };
}

/**
 * An aborted job is the one final state written by someone other than its runner (a person, a
 * newer push), so its results are stored after it, by the runner that notices at its next
 * heartbeat and stops the pod within the job's grace period. Until then the pod is left alone.
 */
export const ABORTED_RESULTS_SETTLE_MS = 5 * 60_000;

export interface PodCandidate {
  execution: ExecutionStatus;
  /** The execution's job as the store has it; undefined when the store has no such job. */
  job: StoredJob | undefined;
}

export type PodVerdict =
  | { remove: false; why: 'active' | 'results-pending' | 'excluded' | 'young' }
  | {
      remove: true;
      reason: PodCleanupReason;
      /** The execution still runs: stop it gracefully (abort) rather than remove it outright. */
      stop: boolean;
      gracePeriodMs: number;
      /** For a person reading the log: why, with the ages involved. */
      detail: string;
    };

function isLive(execution: ExecutionStatus): boolean {
  return execution.phase === 'pending' || execution.phase === 'running';
}

/**
 * Whether the sweep should read this execution's job. Ended executions always are (they may be
 * leftovers); live ones only on a pass of the sinker's rules, paced by `resync_period`, because
 * almost all of them belong to active jobs and each read costs a store operation.
 */
export function needsJobLookup(execution: ExecutionStatus, sinkerPass: boolean): boolean {
  return !isLive(execution) || sinkerPass;
}

function age(ms: number): string {
  return formatGoDuration(Math.max(0, Math.floor(ms / 1000) * 1000));
}

function completedAtOf(stored: StoredJob): number {
  const completion = stored.job.status?.completionTime;
  const parsed = completion ? Date.parse(completion) : Number.NaN;
  // The store stamps completionTime with the final state; a job imported without one has its last write.
  return Number.isNaN(parsed) ? stored.updatedAt : parsed;
}

export function decidePodCleanup(candidate: PodCandidate, policy: PodCleanupPolicy, now: number): PodVerdict {
  const { execution, job: stored } = candidate;
  const live = isLive(execution);
  const gracePeriodMs = durationMs(stored?.job.spec.decoration_config?.grace_period) ?? PLANK_DEFAULTS.gracePeriodMs;
  const remove = (reason: PodCleanupReason, detail: string): PodVerdict => ({ remove: true, reason, stop: live, gracePeriodMs, detail });

  if (!stored) {
    if (live && !policy.sinkerRules) return { remove: false, why: 'excluded' };
    return remove('orphaned', 'its ProwJob no longer exists');
  }
  const state = stored.job.status?.state ?? 'triggered';
  if (!isFinalState(state)) return { remove: false, why: 'active' };
  const sinceCompletion = now - completedAtOf(stored);
  if (state === 'aborted' && sinceCompletion < ABORTED_RESULTS_SETTLE_MS + gracePeriodMs) return { remove: false, why: 'results-pending' };
  if (!live) return remove('finished', `its job ended ${state} ${age(sinceCompletion)} ago`);
  if (!policy.sinkerRules) return { remove: false, why: 'excluded' };

  const started = execution.startedAt?.getTime();
  if (started !== undefined && now - started > policy.maxPodAgeMs) {
    return remove('aged', `it started ${age(now - started)} ago, past max_pod_age ${age(policy.maxPodAgeMs)}, and its job is ${state}`);
  }
  if (sinceCompletion > policy.terminatedPodTtlMs) {
    return remove('ttled', `its job ended ${state} ${age(sinceCompletion)} ago, past terminated_pod_ttl ${age(policy.terminatedPodTtlMs)}`);
  }
  return { remove: false, why: 'young' };
}

/** The fields of the sweep's log line for a removal. */
export function podRemovalLogFields(candidate: PodCandidate, verdict: Extract<PodVerdict, { remove: true }>): Record<string, unknown> {
  const { execution, job: stored } = candidate;
  const index = stored ? jobIndexOf(stored.job) : undefined;
  return {
    jobId: execution.jobName,
    ...(index ? { job: index.job, state: index.state } : { state: 'deleted' }),
    ...(index?.repo ? { repo: index.repo } : {}),
    pod: execution.executionName,
    phase: execution.phase,
    reason: verdict.reason,
    detail: verdict.detail,
  };
}
