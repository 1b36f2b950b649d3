import type { ConfigSource } from '../config/config-source';
import type { JobWatch } from '../store/store';
import { reportJob, type ReporterDependencies } from './report-job';

/**
 * The reporter's trigger where there are no Firestore triggers (local mode, tests): the store's
 * change feed. Each job with a report due is reported; one report per job at a time, and a change
 * that arrives meanwhile is reported once the running one ends. A failure leaves the job due for the
 * sweep (reportJob has logged it).
 */
export interface FollowingReporter {
  /** Resolves when the jobs already due at start have been queued. */
  ready: Promise<void>;
  /** Resolves once no report is running or queued (tests and clean shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface FollowOptions {
  /**
   * Runs each report: by default at once. Local mode passes its lane gate's `after`, so reports
   * yield the CPU to job creation during a burst (cli/local/lane-gate.ts).
   */
  schedule?: (report: () => Promise<void>) => Promise<void>;
}

export function followAndReport(
  deps: Omit<ReporterDependencies, 'config'>,
  config: ConfigSource,
  options: FollowOptions = {},
): FollowingReporter {
  const schedule = options.schedule ?? ((report: () => Promise<void>) => report());
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let stopped = false;

  const run = (name: string): void => {
    if (stopped) return;
    if (running.has(name)) {
      again.add(name);
      return;
    }
    const done = schedule(async () => void (await reportJob({ ...deps, config: await config.current() }, name)))
      .then(
        () => undefined,
        (error: unknown) => {
          // Channel failures (AggregateError) were logged by reportJob, with the job's fields.
          if (error instanceof AggregateError) return;
          deps.log.error('could not report a job; the sweep will retry it', { jobId: name, error: (error as Error).message });
        },
      )
      .finally(() => {
        running.delete(name);
        if (again.delete(name)) run(name);
      });
    running.set(name, done);
  };

  const watch: JobWatch = deps.store.jobs.watch(
    {},
    (change) => {
      if (change.kind !== 'removed' && change.job.reportDue) run(change.job.job.metadata.name ?? '');
    },
    (error) => deps.log.error('the reporter lost the job change feed', { error: error.message }),
  );

  const idle = async (): Promise<void> => {
    while (running.size > 0) await Promise.all([...running.values()]);
  };
  return {
    ready: watch.ready,
    idle,
    async stop() {
      stopped = true;
      watch.close();
      await idle();
    },
  };
}
