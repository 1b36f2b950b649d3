import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import type { WriterNudge } from '../outbox/nudge';
import { wakeWriters } from '../outbox/sweep';
import type { StaleWriteWarnings } from '../outbox/writer';
import { sweepReports, type ReporterDependencies, type SweepResult } from '../reporter/report-job';
import { reconcileStatuses, type StatusReconcileChannels, type StatusReconcileResult } from '../statusreconciler/reconcile';
import type { LastTick } from '../store/scheduler-tick';
import type { Store } from '../store/store';
import { TIDE_HISTORY_RETENTION_MS } from '../store/tide';
import { syncTide, type TideSyncDependencies, type TideSyncResult } from '../tide/sync';
import { triggerDuePeriodics, type PeriodicsDependencies } from './periodics';
import { cleanUpProwJobs, type CleanUpResult } from './sinker';

/**
 * One scheduler call (Cloud Scheduler, every minute; a timer in local mode): Prow's horologium,
 * sinker, crier's resync and status-reconciler, and waking the GitHub writers of installations whose writes have come
 * due, each on its own — one failing does not stop the others, and each is safe to run twice at
 * once or to miss a call.
 */
export interface TickDependencies {
  store: Store;
  config: Config;
  log: Logger;
  /** The reporter's wiring, for the reconcile sweep; without it reports are not swept. */
  reporter?: Omit<ReporterDependencies, 'store' | 'config' | 'log'>;
  /**
   * Wakes an installation's outbox writer (in the cloud, a `github-writes` message); without it
   * writers are not woken here (local mode wakes its own, every few seconds).
   */
  nudge?: WriterNudge;
  /** Where the WARNING about writes waiting over a minute is kept from repeating. */
  writeWarnings?: StaleWriteWarnings;
  /** Tide's GitHub wiring; without it (no credentials) the merge pool does not sync. */
  tide?: Omit<TideSyncDependencies, 'config' | 'store' | 'log'>;
  /** The status reconciler's GitHub wiring; without it (no credentials) config changes are not reconciled. */
  statusReconcile?: StatusReconcileChannels;
  /** Which periodics to start and how many per tick (local mode; see PeriodicsDependencies). */
  periodics?: Pick<PeriodicsDependencies, 'runs' | 'limit'>;
}

export interface TickResult {
  periodicsStarted: string[] | { error: string };
  cleanup: CleanUpResult | { error: string };
  reports: SweepResult | { error: string } | 'off';
  /** Installations whose writer was nudged. */
  writers: string[] | { error: string } | 'off';
  /** The merge pool's sync; 'off' without GitHub credentials or Tide queries. */
  tide: TideSyncResult | { error: string } | 'off';
  /** Open PRs brought in line with a change of presubmits; 'off' without GitHub credentials. */
  statusReconcile: StatusReconcileResult | { error: string } | 'off';
}

export function tickFailed(result: TickResult): boolean {
  return [result.periodicsStarted, result.cleanup, result.reports, result.writers, result.tide, result.statusReconcile].some(
    (part) => typeof part === 'object' && 'error' in part,
  );
}

export async function runSchedulerTick(deps: TickDependencies, now: Date): Promise<TickResult> {
  const { store, config, log } = deps;
  const guarded = async <T>(task: string, run: () => Promise<T>): Promise<T | { error: string }> => {
    try {
      return await run();
    } catch (error) {
      log.error(`scheduler: ${task} failed; the next tick tries again`, { task, error: (error as Error).message });
      return { error: (error as Error).message };
    }
  };
  const { reporter, nudge } = deps;
  const began = Date.now();
  const tideQueries = config.prow.tide?.queries ?? [];
  const tideChannels = deps.tide;
  const statusChannels = deps.statusReconcile;
  const [periodicsStarted, cleanup, reports, writers, tide, statusReconcile] = await Promise.all([
    guarded('periodics', () => triggerDuePeriodics({ store, config, log, ...deps.periodics }, now)),
    guarded('cleanup', () => cleanUpProwJobs({ store, config, log }, now)),
    reporter ? guarded('report sweep', () => sweepReports({ ...reporter, store, config, log })) : Promise.resolve('off' as const),
    nudge ? guarded('waking GitHub writers', () => wakeWriters(store.outbox, nudge, deps.writeWarnings)) : Promise.resolve('off' as const),
    tideChannels && tideQueries.length > 0
      ? guarded('tide', async () => {
          const synced = await syncTide({ ...tideChannels, store, config, log }, now);
          // Tide's history is kept for its retention; older records go a batch per tick.
          await store.tide.pruneHistory(now.getTime() - TIDE_HISTORY_RETENTION_MS);
          return synced;
        })
      : Promise.resolve('off' as const),
    statusChannels
      ? guarded('status reconcile', () => reconcileStatuses({ ...statusChannels, store, config, log }, now))
      : Promise.resolve('off' as const),
  ]);
  const result: TickResult = { periodicsStarted, cleanup, reports, writers, tide, statusReconcile };
  log.info('scheduler tick done', { ...summaryOf(result) });
  // The health page's "last tick": one write per tick. A failed write only leaves the page showing an older tick.
  await guarded('recording the tick', () => store.schedulerTicks.record(lastTickOf(result, now.getTime(), now.getTime() + (Date.now() - began))));
  return result;
}

/** Failure texts kept in the record are shortened: the whole text is in the log. */
const RECORDED_ERROR_CHARS = 300;

/** Part names as the log and the health page say them. */
const PART_NAMES: Record<keyof TickResult, string> = {
  periodicsStarted: 'periodics',
  cleanup: 'cleanup',
  reports: 'report sweep',
  writers: 'waking GitHub writers',
  tide: 'tide',
  statusReconcile: 'status reconcile',
};

/** What the health page shows of a tick: one figure per part, and the parts that failed with their errors. */
export function lastTickOf(result: TickResult, startedAt: number, finishedAt: number): LastTick {
  const failed: LastTick['failed'] = [];
  const figure = <T>(key: keyof TickResult, part: T | { error: string } | 'off', pick: (done: T) => number | string): number | string => {
    if (part === 'off') return 'off';
    if (typeof part === 'object' && part !== null && 'error' in part) {
      failed.push({ part: PART_NAMES[key], error: part.error.slice(0, RECORDED_ERROR_CHARS) });
      return 'failed';
    }
    return pick(part);
  };
  const summary = {
    'periodics started': figure('periodicsStarted', result.periodicsStarted, (started) => started.length),
    'old jobs deleted': figure('cleanup', result.cleanup, (cleanup) => cleanup.deleted),
    'reports sent': figure('reports', result.reports, (sweep) => sweep.reported),
    'writers woken': figure('writers', result.writers, (writers) => writers.length),
    'pull requests merged': figure('tide', result.tide, (tide) => tide.merged),
    'status reconcile': figure('statusReconcile', result.statusReconcile, (reconcile) => reconcile.outcome),
  };
  return { startedAt, finishedAt, summary, failed };
}

function summaryOf(result: TickResult): Record<string, unknown> {
  return {
    periodics_started: Array.isArray(result.periodicsStarted) ? result.periodicsStarted.length : result.periodicsStarted,
    cleanup: result.cleanup,
    reports: result.reports,
    writers_nudged: Array.isArray(result.writers) ? result.writers.length : result.writers,
    tide: result.tide,
    status_reconcile: result.statusReconcile,
  };
}
