import type { PlankConfig } from '../shared/config/prow-schema';
import { formatGoDuration } from '../shared/go/duration';
import type { ProwJob } from '../shared/prowjob/schema';
import type { JobUpdate } from '../shared/store/store';
import type { ExecutionStatus } from './executor/executor';
import { durationMs } from './executor/pod';

/**
 * What the runner does about a job it holds, given its execution's state: Prow's plank reconcile
 * rules as a pure function. The runner core performs the decision; tests call this directly.
 */
export interface RunnerTimeouts {
  podPendingMs: number;
  podUnscheduledMs: number;
  podRunningMs: number;
  /** decoration_config.timeout: the test's own deadline (Prow's entrypoint enforces it). */
  jobTimeoutMs?: number;
  /** How long a stopped job gets before it is killed. */
  gracePeriodMs: number;
  maxRevivals: number;
}

/** Prow's plank defaults. */
export const PLANK_DEFAULTS = {
  podPendingMs: 10 * 60_000,
  podUnscheduledMs: 5 * 60_000,
  podRunningMs: 48 * 3600_000,
  gracePeriodMs: 15_000,
  maxRevivals: 3,
} as const;

export function timeoutsFor(job: ProwJob, plank: PlankConfig | undefined): RunnerTimeouts {
  const decoration = job.spec.decoration_config;
  const pick = (fromJob: string | number | undefined, fromPlank: string | number | undefined, fallback: number) =>
    durationMs(fromJob) ?? durationMs(fromPlank) ?? fallback;
  const jobTimeoutMs = durationMs(decoration?.timeout);
  return {
    podPendingMs: pick(decoration?.pod_pending_timeout, plank?.pod_pending_timeout, PLANK_DEFAULTS.podPendingMs),
    podUnscheduledMs: pick(decoration?.pod_unscheduled_timeout, plank?.pod_unscheduled_timeout, PLANK_DEFAULTS.podUnscheduledMs),
    podRunningMs: pick(decoration?.pod_running_timeout, plank?.pod_running_timeout, PLANK_DEFAULTS.podRunningMs),
    ...(jobTimeoutMs === undefined ? {} : { jobTimeoutMs }),
    gracePeriodMs: durationMs(decoration?.grace_period) ?? PLANK_DEFAULTS.gracePeriodMs,
    maxRevivals: plank?.max_revivals ?? PLANK_DEFAULTS.maxRevivals,
  };
}

export type Decision =
  | { kind: 'wait' }
  /** Write `update`; stop the execution first when `stop` (then remove it once final). */
  | { kind: 'update'; update: JobUpdate; stop: boolean }
  /** The execution vanished and may be started again: record the revival, then start it. */
  | { kind: 'revive'; update: JobUpdate };

function finish(state: 'success' | 'failure' | 'error' | 'aborted', description: string, stop: boolean): Decision {
  return { kind: 'update', update: { state, status: { description } }, stop };
}

/**
 * @param execution the execution's status, or undefined when it vanished (deleted, node lost)
 * @param createdAt when the execution was created (for the scheduling timeout)
 */
export function decide(
  job: ProwJob,
  execution: ExecutionStatus | undefined,
  now: number,
  timeouts: RunnerTimeouts,
  createdAt: number,
): Decision {
  if (!execution) {
    const revivals = job.status?.pod_revival_count ?? 0;
    if (revivals < timeouts.maxRevivals) {
      return {
        kind: 'revive',
        update: {
          status: {
            pod_revival_count: revivals + 1,
            description: `Pod got deleted unexpectedly; starting it again (${revivals + 1} of ${timeouts.maxRevivals}).`,
          },
        },
      };
    }
    return finish('error', `Job pod reached max revivals (${revivals}) after being deleted unexpectedly.`, false);
  }
  switch (execution.phase) {
    case 'succeeded':
      return finish('success', 'Job succeeded.', false);
    case 'failed':
      return finish('failure', execution.description, false);
    case 'error':
      return finish('error', execution.description, true);
    case 'pending': {
      if (!execution.startedAt) {
        if (now - createdAt >= timeouts.podUnscheduledMs) return finish('error', 'Pod scheduling timeout.', true);
      } else if (now - execution.startedAt.getTime() >= timeouts.podPendingMs) {
        return finish('error', 'Pod pending timeout.', true);
      }
      // Only a new explanation is worth a write: each write is a Firestore operation and a report.
      if (execution.description !== job.status?.description && execution.description.startsWith('Waiting for a node')) {
        return { kind: 'update', update: { status: { description: execution.description } }, stop: false };
      }
      return { kind: 'wait' };
    }
    case 'running': {
      const started = execution.startedAt?.getTime();
      if (started === undefined) return { kind: 'wait' };
      if (timeouts.jobTimeoutMs !== undefined && now - started >= timeouts.jobTimeoutMs) {
        return finish('failure', `Job timed out after ${formatGoDuration(timeouts.jobTimeoutMs)}.`, true);
      }
      if (now - started >= timeouts.podRunningMs) return finish('aborted', 'Pod running timeout.', true);
      return { kind: 'wait' };
    }
  }
}
