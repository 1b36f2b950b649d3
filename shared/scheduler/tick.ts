import type { Config } from '../config/model';
import type { Logger } from '../log/logger';
import type { WriterNudge } from '../outbox/nudge';
import { wakeWriters } from '../outbox/sweep';
import type { StaleWriteWarnings } from '../outbox/writer';
import { sweepReports, type ReporterDependencies, type SweepResult } from '../reporter/report-job';
import { reconcileStatuses, type StatusReconcileChannels, type StatusReconcileResult } from '../statusreconciler/reconcile';
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
  return result;
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
