import type { Config } from '../config/model';
import { sinkerPolicy } from '../config/sinker';
import { formatGoDuration } from '../go/duration';
import type { Logger } from '../log/logger';
import { FINAL_STATES, isFinalState } from '../prowjob/lifecycle';
import { jobIndexOf } from '../store/rules';
import type { Store, StoredJob } from '../store/store';

/**
 * Prow's sinker, the ProwJob half: once per scheduler call, delete finished ProwJobs older than
 * `sinker.max_prowjob_age`. Pods are the other half and live in the runner (runner/pod-cleanup.ts),
 * the only part of Cutwater that can reach a build cluster.
 *
 * Work is bounded per call and needs no memory between calls: every call walks the old finished
 * jobs from the newest down, and what is left over is simply still there for the next one.
 */

export type ProwJobVerdict =
  | { action: 'delete'; reason: 'aged' | 'aged-periodic'; ageMs: number }
  | { action: 'keep'; reason: 'active' | 'young' | 'latest-periodic' | 'periodic-runs-unknown' };

export interface ProwJobCleanupContext {
  now: number;
  maxProwJobAgeMs: number;
  /** Names of the periodics in config. */
  configuredPeriodics: ReadonlySet<string>;
  /**
   * For each configured periodic met, the ProwJob names to keep whatever their age: its newest
   * run, and the run its schedule record points at (which horologium reads for minimum_interval
   * and for a cron run still going). A periodic missing here could not be looked up, so all of its
   * runs are kept this time rather than guessed at.
   */
  periodicRunsToKeep: ReadonlyMap<string, ReadonlySet<string>>;
}

/** What becomes of one stored job: Prow's sinker rules for ProwJobs. */
export function judgeProwJob(stored: StoredJob, context: ProwJobCleanupContext): ProwJobVerdict {
  const state = stored.job.status?.state ?? 'triggered';
  if (!isFinalState(state)) return { action: 'keep', reason: 'active' };
  const ageMs = context.now - stored.createdAt;
  if (ageMs <= context.maxProwJobAgeMs) return { action: 'keep', reason: 'young' };
  const spec = stored.job.spec;
  if (spec.type !== 'periodic') return { action: 'delete', reason: 'aged', ageMs };
  // A periodic gone from config has no schedule left to protect: its runs age out like any job.
  if (context.configuredPeriodics.has(spec.job)) {
    const keep = context.periodicRunsToKeep.get(spec.job);
    if (!keep) return { action: 'keep', reason: 'periodic-runs-unknown' };
    if (keep.has(stored.job.metadata.name ?? '')) return { action: 'keep', reason: 'latest-periodic' };
  }
  return { action: 'delete', reason: 'aged-periodic', ageMs };
}

/** The configured periodics whose runs appear in `page` and must be looked up before judging it. */
export function periodicsToLookUp(page: readonly StoredJob[], configuredPeriodics: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const { job } of page) {
    if (job.spec.type === 'periodic' && configuredPeriodics.has(job.spec.job)) names.add(job.spec.job);
  }
  return [...names];
}

export interface SinkerDependencies {
  store: Store;
  config: Config;
  log: Logger;
}

export interface CleanUpOptions {
  /** Deletes per call (default 500); the rest waits for the next call. */
  maxDeletes?: number;
  /** Jobs read per call across all pages (default 5000), so a call's time stays bounded too. */
  maxListed?: number;
  /** Page size of each list (default 200). */
  pageSize?: number;
}

export interface CleanUpResult {
  deleted: number;
  /** Finished jobs past the age limit kept on purpose (a configured periodic's latest run). */
  kept: number;
  /** Deletes that failed; those jobs are tried again at the next call. */
  failed: number;
  /** True when a budget ran out with work left: the next call continues. */
  more: boolean;
}

const DEFAULT_MAX_DELETES = 500;
const DEFAULT_MAX_LISTED = 5_000;
const DEFAULT_PAGE_SIZE = 200;
/** Deletes in flight at once: enough to hide Firestore latency, few enough to stay polite. */
const DELETE_CONCURRENCY = 10;

/**
 * Deletes finished ProwJobs older than `max_prowjob_age`, newest first within each final state,
 * reading only old finished jobs through the (state, createdAt) index. Active jobs are never read,
 * so never deleted.
 */
export async function cleanUpProwJobs(
  dependencies: SinkerDependencies,
  now: Date,
  options: CleanUpOptions = {},
): Promise<CleanUpResult> {
  const { store, config, log } = dependencies;
  const policy = sinkerPolicy(config);
  for (const problem of policy.problems) log.warn('sinker setting not usable; using the default', { problem });
  const maxDeletes = options.maxDeletes ?? DEFAULT_MAX_DELETES;
  const maxListed = options.maxListed ?? DEFAULT_MAX_LISTED;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const nowMs = now.getTime();
  const configuredPeriodics = new Set(config.periodics.map((periodic) => periodic.name));
  const periodicRunsToKeep = new Map<string, ReadonlySet<string>>();
  const lookedUp = new Set<string>();
  const context: ProwJobCleanupContext = { now: nowMs, maxProwJobAgeMs: policy.maxProwJobAgeMs, configuredPeriodics, periodicRunsToKeep };
  const result: CleanUpResult = { deleted: 0, kept: 0, failed: 0, more: false };
  let listed = 0;

  scan: for (const state of FINAL_STATES) {
    let cursor: string | undefined;
    do {
      if (listed >= maxListed) {
        result.more = true;
        break scan;
      }
      const page = await store.jobs.list(
        { state },
        { createdBefore: nowMs - policy.maxProwJobAgeMs, limit: Math.min(pageSize, maxListed - listed), ...(cursor ? { cursor } : {}) },
      );
      listed += page.jobs.length;
      for (const periodic of periodicsToLookUp(page.jobs, configuredPeriodics)) {
        if (lookedUp.has(periodic)) continue;
        lookedUp.add(periodic);
        const keep = await runsToKeep(store, periodic).catch((error: unknown) => {
          log.warn('could not look up a periodic’s latest run; keeping all its runs for now', { job: periodic, error });
          return undefined;
        });
        if (keep) periodicRunsToKeep.set(periodic, keep);
      }
      const doomed: { stored: StoredJob; verdict: Extract<ProwJobVerdict, { action: 'delete' }> }[] = [];
      for (const stored of page.jobs) {
        const verdict = judgeProwJob(stored, context);
        if (verdict.action === 'keep') {
          if (verdict.reason !== 'active' && verdict.reason !== 'young') result.kept++;
          continue;
        }
        if (result.deleted + result.failed + doomed.length >= maxDeletes) {
          result.more = true;
          break;
        }
        doomed.push({ stored, verdict });
      }
      await inBatches(doomed, DELETE_CONCURRENCY, async ({ stored, verdict }) => {
        const fields = jobLogFields(stored, verdict.ageMs, verdict.reason);
        try {
          await store.jobs.delete(stored.job.metadata.name ?? '');
          result.deleted++;
          log.info('deleted old ProwJob', fields);
        } catch (error) {
          result.failed++;
          log.error('could not delete old ProwJob', { ...fields, error });
        }
      });
      if (result.more) break scan;
      cursor = page.nextCursor;
    } while (cursor);
  }
  if (result.deleted > 0 || result.failed > 0 || result.more) log.info('sinker: old ProwJobs cleaned up', { ...result });
  return result;
}

async function runsToKeep(store: Store, periodic: string): Promise<ReadonlySet<string>> {
  const [record, newest] = await Promise.all([store.periodics.get(periodic), store.jobs.list({ job: periodic }, { limit: 1 })]);
  const keep = new Set<string>();
  if (record?.lastJobName) keep.add(record.lastJobName);
  const latest = newest.jobs[0];
  // Another job type sharing the name would not be horologium's run; the record covers that case.
  if (latest?.job.spec.type === 'periodic' && latest.job.metadata.name) keep.add(latest.job.metadata.name);
  return keep;
}

function jobLogFields(stored: StoredJob, ageMs: number, reason: string): Record<string, unknown> {
  const index = jobIndexOf(stored.job);
  return {
    job: index.job,
    jobId: stored.job.metadata.name,
    ...(index.repo ? { repo: index.repo } : {}),
    type: index.type,
    state: index.state,
    // Whole seconds: "240h0m0s" reads better than milliseconds nobody asked for.
    age: formatGoDuration(Math.floor(ageMs / 1000) * 1000),
    reason,
  };
}

async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += concurrency) {
    await Promise.all(items.slice(start, start + concurrency).map(work));
  }
}
