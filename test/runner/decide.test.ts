import { describe, expect, it } from 'vitest';
import type { ExecutionStatus } from '../../runner/executor/executor';
import { decide, PLANK_DEFAULTS, timeoutsFor } from '../../runner/decide';
import { testProwJob } from '../support/prowjobs';

/** Prow's plank rules: what the runner does about a held job, given its pod. */
const T0 = Date.UTC(2026, 10, 24, 12);
const MINUTE = 60_000;

function execution(phase: ExecutionStatus['phase'], extra: Partial<ExecutionStatus> = {}): ExecutionStatus {
  return { jobName: 'job-1', executionName: 'job-1', phase, description: `pod ${phase}`, ...extra };
}

describe('runner decisions', () => {
  const job = testProwJob();
  const timeouts = timeoutsFor(job, undefined);

  it('uses Prow’s plank defaults, overridden by plank config and then by the job’s decoration config', () => {
    expect(timeouts).toMatchObject({ podPendingMs: 10 * MINUTE, podUnscheduledMs: 5 * MINUTE, podRunningMs: 48 * 60 * MINUTE, maxRevivals: 3 });
    const decorated = testProwJob();
    decorated.spec.decoration_config = { timeout: '2h', grace_period: '30s', pod_pending_timeout: '20m' };
    expect(timeoutsFor(decorated, { pod_pending_timeout: '15m', pod_unscheduled_timeout: '1m', max_revivals: 1 })).toMatchObject({
      podPendingMs: 20 * MINUTE,
      podUnscheduledMs: 1 * MINUTE,
      jobTimeoutMs: 120 * MINUTE,
      gracePeriodMs: 30_000,
      maxRevivals: 1,
    });
  });

  it('finishes the job from the pod’s result', () => {
    expect(decide(job, execution('succeeded'), T0, timeouts, T0)).toEqual({
      kind: 'update',
      update: { state: 'success', status: { description: 'Job succeeded.' } },
      stop: false,
    });
    expect(decide(job, execution('failed', { description: 'Job failed: exit code 2.' }), T0, timeouts, T0)).toMatchObject({
      update: { state: 'failure', status: { description: 'Job failed: exit code 2.' } },
    });
    expect(decide(job, execution('error', { description: 'Image "x" could not be pulled' }), T0, timeouts, T0)).toMatchObject({
      update: { state: 'error' },
      stop: true,
    });
  });

  it('errors a pod that never gets a node, or never starts, after Prow’s timeouts', () => {
    expect(decide(job, execution('pending'), T0 + 4 * MINUTE, timeouts, T0)).toEqual({ kind: 'wait' });
    expect(decide(job, execution('pending'), T0 + 5 * MINUTE, timeouts, T0)).toMatchObject({
      update: { state: 'error', status: { description: 'Pod scheduling timeout.' } },
      stop: true,
    });
    const started = execution('pending', { startedAt: new Date(T0) });
    expect(decide(job, started, T0 + 10 * MINUTE, timeouts, T0)).toMatchObject({
      update: { state: 'error', status: { description: 'Pod pending timeout.' } },
    });
  });

  it('fails a job past its decoration timeout, and aborts a pod past the running timeout', () => {
    const decorated = testProwJob();
    decorated.spec.decoration_config = { timeout: '1h' };
    const running = execution('running', { startedAt: new Date(T0) });
    expect(decide(decorated, running, T0 + 59 * MINUTE, timeoutsFor(decorated, undefined), T0)).toEqual({ kind: 'wait' });
    expect(decide(decorated, running, T0 + 60 * MINUTE, timeoutsFor(decorated, undefined), T0)).toMatchObject({
      update: { state: 'failure', status: { description: 'Job timed out after 1h0m0s.' } },
      stop: true,
    });
    expect(decide(job, running, T0 + 48 * 60 * MINUTE, timeouts, T0)).toMatchObject({
      update: { state: 'aborted', status: { description: 'Pod running timeout.' } },
    });
  });

  it('revives a vanished pod a bounded number of times, then errors', () => {
    expect(decide(job, undefined, T0, timeouts, T0)).toMatchObject({ kind: 'revive', update: { status: { pod_revival_count: 1 } } });
    const revived = testProwJob();
    revived.status = { state: 'pending', pod_revival_count: PLANK_DEFAULTS.maxRevivals };
    expect(decide(revived, undefined, T0, timeouts, T0)).toMatchObject({
      kind: 'update',
      update: { state: 'error', status: { description: 'Job pod reached max revivals (3) after being deleted unexpectedly.' } },
    });
  });

  it('writes a pending job only when there is something new to say', () => {
    const waiting = execution('pending', { description: 'Waiting for a node: the pod cannot be scheduled yet: 0/3 nodes' });
    expect(decide(job, waiting, T0, timeouts, T0)).toMatchObject({ kind: 'update', update: { status: { description: waiting.description } } });
    const told = testProwJob();
    told.status = { state: 'pending', description: waiting.description };
    expect(decide(told, waiting, T0, timeouts, T0)).toEqual({ kind: 'wait' });
  });
});
