import type { Periodic } from '../config/model';
import type { PeriodicRun } from '../store/store';

/**
 * When a periodic is due, as Prow's horologium decides it, written for a scheduler that is called
 * once a minute by Cloud Scheduler and may be called twice, late, or not at all:
 *
 * - interval: due when the previous run has finished and more than `interval` has passed since it
 *   started (`minimum_interval`: since it finished); a periodic that never ran is due at once.
 * - cron: due when a tick has passed since the last tick considered, and the previous run has
 *   finished (a tick that finds it still running is spent, as in Prow). However many ticks were
 *   missed, the periodic runs once.
 *
 * The answer names the run (`runAt`): the scheduler records it with a compare-and-set on the
 * periodic's record and uses it in the ProwJob's idempotency key, so overlapping calls start the
 * run once.
 */
export interface PreviousRun {
  /** ms since the epoch. */
  startedAt: number;
  /** Undefined while the run is still going. */
  completedAt?: number;
}

export type PeriodicDecision =
  /** Start a run, recorded as `run` (compare-and-set against the record read). */
  | { kind: 'start'; run: PeriodicRun }
  /** A cron tick passed while the previous run was still going: spend it without a run. */
  | { kind: 'skip-tick'; run: PeriodicRun }
  /** A cron periodic seen for the first time: record now as the point ticks are counted from. */
  | { kind: 'start-counting'; run: PeriodicRun }
  | { kind: 'wait' };

export function decidePeriodic(
  periodic: Periodic,
  record: PeriodicRun | undefined,
  previous: PreviousRun | undefined,
  now: number,
): PeriodicDecision {
  const finished = previous === undefined || previous.completedAt !== undefined;
  if (periodic.schedule) {
    // The first time the scheduler sees a cron periodic it starts counting from now: Prow's cron
    // runner does not fire for ticks before it knew the job either.
    if (record === undefined) return { kind: 'start-counting', run: { job: periodic.name, lastRunAt: now } };
    const tick = latestTick(periodic, record.lastRunAt, now);
    if (tick === undefined) return { kind: 'wait' };
    const run: PeriodicRun = { job: periodic.name, lastRunAt: tick };
    return finished ? { kind: 'start', run } : { kind: 'skip-tick', run };
  }
  if (!finished) return { kind: 'wait' };
  const run: PeriodicRun = { job: periodic.name, lastRunAt: now };
  if (previous === undefined) return { kind: 'start', run };
  const reference = periodic.minimumIntervalMs !== undefined ? previous.completedAt : previous.startedAt;
  const interval = periodic.minimumIntervalMs ?? periodic.intervalMs;
  if (interval === undefined || reference === undefined) return { kind: 'wait' };
  return now - reference > interval ? { kind: 'start', run } : { kind: 'wait' };
}

/** The last cron tick in (since, now], or undefined when none fell in it. */
function latestTick(periodic: Periodic, since: number, now: number): number | undefined {
  let latest: number | undefined;
  let cursor = new Date(since);
  // Walking tick by tick finds the latest; a day of per-minute ticks is 1,440 steps at most per call.
  for (let steps = 0; steps < 100_000; steps++) {
    const next = periodic.schedule?.next(cursor);
    if (!next || next.getTime() > now) break;
    latest = next.getTime();
    cursor = next;
  }
  return latest;
}

/** A ProwJob's idempotency key for a periodic run: the same run never makes two jobs. */
export function periodicRunKey(run: PeriodicRun): string {
  return `periodic/${run.job}/${run.lastRunAt}`;
}
