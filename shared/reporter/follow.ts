import type { ConfigSource } from '../config/config-source';
import type { Config } from '../config/model';
import { isFinalState } from '../prowjob/lifecycle';
import type { ProwJob } from '../prowjob/schema';
import type { JobWatch, StoredJob } from '../store/store';
import { changeNeedsReport, reportJob, type ReporterDependencies } from './report-job';

/**
 * The reporter's trigger where there are no Firestore triggers (local mode, tests): the store's
 * change feed, judged as the cloud's Firestore trigger judges its events (changeNeedsReport). One
 * report per job at a time, and a change that arrives meanwhile is reported once the running one
 * ends. A failed final report stays due for the sweep (reportJob has logged it).
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

/** Whether a change needs a report, judged under the config current when its turn comes. */
type WorthReporting = (config: Config) => boolean;

export function followAndReport(
  deps: Omit<ReporterDependencies, 'config'>,
  config: ConfigSource,
  options: FollowOptions = {},
): FollowingReporter {
  const schedule = options.schedule ?? ((report: () => Promise<void>) => report());
  const running = new Map<string, Promise<void>>();
  /** Changes heard while a job's report ran, to judge once it ends; `always` when one needs no judging. */
  const again = new Map<string, WorthReporting | 'always'>();
  /** Each unfinished job's version last heard of, to tell what a change changed. */
  const lastSeen = new Map<string, ProwJob>();
  let stopped = false;

  const consider = (stored: StoredJob): void => {
    const name = stored.job.metadata.name ?? '';
    const before = lastSeen.get(name);
    if (isFinalState(stored.job.status?.state ?? 'triggered')) lastSeen.delete(name);
    else lastSeen.set(name, stored.job);
    if (stored.reportDue) run(name);
    else if (!isFinalState(stored.job.status?.state ?? 'triggered') && before?.status?.state !== stored.job.status?.state) {
      run(name, (loaded) => changeNeedsReport({ ...deps, config: loaded }, before, stored, deps.log));
    }
  };

  const run = (name: string, worthIt?: WorthReporting): void => {
    if (stopped) return;
    if (running.has(name)) {
      again.set(name, !worthIt || again.get(name) === 'always' ? 'always' : worthIt);
      return;
    }
    const done = schedule(async () => {
      const loaded = await config.current();
      if (worthIt && !worthIt(loaded)) return;
      await reportJob({ ...deps, config: loaded }, name);
    })
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
        const queued = again.get(name);
        if (queued === undefined) return;
        again.delete(name);
        run(name, queued === 'always' ? undefined : queued);
      });
    running.set(name, done);
  };

  const watch: JobWatch = deps.store.jobs.watch(
    {},
    (change) => {
      if (change.kind === 'removed') lastSeen.delete(change.job.job.metadata.name ?? '');
      else consider(change.job);
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
