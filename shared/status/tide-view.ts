import { z } from 'zod';
import type { Config } from '../config/model';
import type { HistoryQuery, HistoryRecord, PoolRecord } from '../store/tide';
import type { PullPoolState, PullSummary, PullVerdict } from '../tide/model';
import { repoVisibility } from './visibility';

/**
 * What the Tide pages (`/tide`, `/tide-history`, the per-PR verdict) and their JSON read from a
 * pool record, with the status site's visibility rules applied: a pool or history record of a
 * hidden repository is never shown, and neither is a job configured `hidden: true` (its verdict
 * and its runs are dropped from the record before any page sees it).
 */

/** Prow's tide actions (pkg/tide `Action`), plus Cutwater's CANCEL. */
export type PoolActionName = 'WAIT' | 'TRIGGER' | 'TRIGGER_BATCH' | 'MERGE' | 'MERGE_BATCH' | 'BLOCKED' | 'CANCEL';

export interface PrimaryAction {
  name: PoolActionName;
  /** The pull requests it acts on, in order (Prow's `Target`). */
  pulls: number[];
  reason: string;
}

/**
 * The one action Prow would report for the pool (it takes one per sync): a merge over a trigger
 * over a block over a cancel over waiting. A policy that did several is shown whole on the pages;
 * this is what `tide.js`'s `Action` and `Target` say.
 */
export function primaryAction(record: PoolRecord): PrimaryAction {
  const of = <K extends PoolRecord['actions'][number]['kind']>(kind: K) =>
    record.actions.filter((action): action is Extract<PoolRecord['actions'][number], { kind: K }> => action.kind === kind);
  const [merge] = of('merge');
  if (merge) return { name: merge.batch ? 'MERGE_BATCH' : 'MERGE', pulls: merge.pulls.map((pull) => pull.number), reason: merge.reason };
  const [trigger] = of('trigger');
  if (trigger) {
    const pulls = [...new Set(trigger.runs.flatMap((run) => run.pulls.map((pull) => pull.number)))];
    return { name: trigger.runs.some((run) => run.type === 'batch') ? 'TRIGGER_BATCH' : 'TRIGGER', pulls, reason: trigger.reason };
  }
  const [blocked] = of('blocked');
  if (blocked) return { name: 'BLOCKED', pulls: [], reason: blocked.reason };
  const [cancel] = of('cancel');
  if (cancel) return { name: 'CANCEL', pulls: [], reason: cancel.reason };
  const [wait] = of('wait');
  return { name: 'WAIT', pulls: [], reason: wait?.reason ?? '' };
}

/** Each PR state in the order the pages list them: closest to merging first. */
export const PULL_STATE_ORDER: readonly PullPoolState[] = ['merging', 'success', 'pending', 'missing', 'failure', 'excluded'];

/** A pool's PRs with their verdicts, in the pages' order: by state, then rank, then number. */
export interface PoolPull {
  pull: PullSummary;
  verdict: PullVerdict;
}

export function poolPulls(record: PoolRecord): PoolPull[] {
  const summaries = new Map(record.pulls.map((pull) => [pull.number, pull]));
  const entries = record.verdicts.map((verdict) => ({
    verdict,
    // A verdict without its summary should not happen; the page still shows the number.
    pull: summaries.get(verdict.number) ?? { number: verdict.number, title: '', author: '', headSha: '', url: '', labels: [] },
  }));
  const position = (state: PullPoolState) => PULL_STATE_ORDER.indexOf(state);
  return entries.sort(
    (a, b) =>
      position(a.verdict.state) - position(b.verdict.state) ||
      (a.verdict.rank ?? Number.MAX_SAFE_INTEGER) - (b.verdict.rank ?? Number.MAX_SAFE_INTEGER) ||
      a.verdict.number - b.verdict.number,
  );
}

/** The hidden presubmits of a repository: their verdicts and runs are not shown. */
function hiddenJobsOf(config: Config, orgRepo: string): Set<string> {
  const hidden = new Set<string>();
  for (const [repo, jobs] of config.presubmits) {
    if (repo.toLowerCase() !== orgRepo.toLowerCase()) continue;
    for (const job of jobs) if (job.hidden) hidden.add(job.name);
  }
  return hidden;
}

/** Reads pool and history records for a page: whether each may be shown, and what of it. */
export interface TideVisibility {
  repoShown: (orgRepo: string) => boolean;
  /** The record as a page may show it, or undefined when its repository is hidden. */
  pool: (record: PoolRecord) => PoolRecord | undefined;
  history: (record: HistoryRecord) => boolean;
}

export function tideVisibility(config: Config): TideVisibility {
  const repoShown = repoVisibility(config);
  return {
    repoShown,
    pool: (record) => {
      const orgRepo = `${record.key.org}/${record.key.repo}`;
      if (!repoShown(orgRepo)) return undefined;
      const hidden = hiddenJobsOf(config, orgRepo);
      if (hidden.size === 0) return record;
      return {
        ...record,
        verdicts: record.verdicts.map((verdict) => ({ ...verdict, jobs: verdict.jobs.filter((job) => !hidden.has(job.job)) })),
        runsInFlight: record.runsInFlight.filter((run) => !hidden.has(run.job)),
      };
    },
    history: (record) => repoShown(`${record.key.org}/${record.key.repo}`),
  };
}

/**
 * The filters `/tide-history` and `tide-history.js` take: `repo` (org/repo) and `branch` for one
 * pool, `pr` for one pull request, `cursor` for the next page, and `limit`.
 */
const HistoryFiltersSchema = z.object({
  repo: z
    .string()
    .regex(/^[^/\s:]+\/[^/\s:]+$/, 'give the repository as org/repo')
    .optional(),
  branch: z.string().min(1).optional(),
  pr: z.coerce.number().int().positive().optional(),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type HistoryFilters = z.infer<typeof HistoryFiltersSchema>;

export interface HistoryRequest {
  filters: HistoryFilters;
  query: HistoryQuery;
}

/** Throws a message naming the bad parameter. */
export function parseHistoryRequest(search: URLSearchParams): HistoryRequest {
  const raw = Object.fromEntries([...search].filter(([, value]) => value !== ''));
  const parsed = HistoryFiltersSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; '));
  }
  const filters = parsed.data;
  if (filters.branch !== undefined && filters.repo === undefined) throw new Error('branch: give the repository (repo=org/repo) with the branch');
  const query: HistoryQuery = {};
  if (filters.repo !== undefined) {
    if (filters.branch !== undefined) query.poolId = `${filters.repo}:${filters.branch}`;
    else query.repo = filters.repo;
  }
  if (filters.pr !== undefined) query.prNumber = filters.pr;
  return { filters, query };
}

/**
 * A time as Go's encoding/json writes a time.Time (RFC 3339 with as many fractional digits as
 * needed, none for a whole second), which is what Prow's `tide-history.js` carries.
 */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d{3})Z$/, (_, fraction: string) => {
    const trimmed = fraction.replace(/0+$/, '');
    return trimmed ? `.${trimmed}Z` : 'Z';
  });
}
