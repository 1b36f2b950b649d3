import { jobNameForKey } from '../prowjob/names';
import type { Config, Periodic } from '../config/model';
import { decidePeriodic, periodicRunKey, type PreviousRun } from '../jobs/periodic-schedule';
import type { Logger } from '../log/logger';
import { newPeriodicJob } from '../jobs/factory';
import { isFinalState } from '../prowjob/lifecycle';
import type { Store } from '../store/store';

/**
 * Prow's horologium, once per scheduler call: start every periodic that is due. Safe to run twice
 * at once or to skip calls — each run is claimed by compare-and-set on the periodic's record
 * before its ProwJob is created, and the ProwJob's idempotency key is the run.
 */
export interface PeriodicsDependencies {
  store: Store;
  config: Config;
  log: Logger;
  /** Which periodics this scheduler starts (default all): local mode leaves out clusters it does not run. */
  runs?: (periodic: Periodic) => boolean;
  /**
   * The most periodics started in one call (default no limit): a big config's never-run periodics
   * are all due at once, and one machine starts them a few per tick instead. The rest stay due.
   */
  limit?: number;
}

export async function triggerDuePeriodics(dependencies: PeriodicsDependencies, now: Date): Promise<string[]> {
  const started: string[] = [];
  const { runs, limit } = dependencies;
  for (const periodic of dependencies.config.periodics) {
    if (limit !== undefined && started.length >= limit) break;
    if (runs && !runs(periodic)) continue;
    try {
      const name = await triggerIfDue(dependencies, periodic, now);
      if (name) started.push(name);
    } catch (error) {
      dependencies.log.error('could not trigger periodic', { job: periodic.name, error });
    }
  }
  return started;
}

async function previousRunOf(store: Store, jobName: string | undefined): Promise<PreviousRun | undefined> {
  if (!jobName) return undefined;
  const stored = await store.jobs.get(jobName);
  // Garbage-collected or never created (a crash between claiming the run and creating it): no run to wait for.
  if (!stored) return undefined;
  const status = stored.job.status;
  const startedAt = status?.startTime ? Date.parse(status.startTime) : stored.createdAt;
  if (status && isFinalState(status.state)) {
    return { startedAt, completedAt: status.completionTime ? Date.parse(status.completionTime) : stored.updatedAt };
  }
  return { startedAt };
}

async function triggerIfDue(dependencies: PeriodicsDependencies, periodic: Periodic, now: Date): Promise<string | undefined> {
  const { store, config, log } = dependencies;
  const record = await store.periodics.get(periodic.name);
  const previous = await previousRunOf(store, record?.lastJobName);
  const decision = decidePeriodic(periodic, record, previous, now.getTime());
  if (decision.kind === 'wait') return undefined;
  const jobName = jobNameForKey(periodicRunKey(decision.run));
  const run = decision.kind === 'start' ? { ...decision.run, lastJobName: jobName } : { ...decision.run, ...(record?.lastJobName ? { lastJobName: record.lastJobName } : {}) };
  if (!(await store.periodics.advance(run, record?.lastRunAt))) return undefined;
  if (decision.kind === 'start-counting') return undefined;
  if (decision.kind === 'skip-tick') {
    log.info('cron tick passed while the previous run was still going; skipped', { job: periodic.name });
    return undefined;
  }
  const created = await store.jobs.create(newPeriodicJob(periodic, { name: jobName, now, config }), { idempotencyKey: periodicRunKey(run) });
  log.info('periodic triggered', { job: periodic.name, jobId: jobName });
  return created.created ? jobName : undefined;
}
