import { sendJson } from '../http/node';
import { InvalidQueryError } from '../store/errors';
import type { HistoryRecord, PoolRecord } from '../store/tide';
import type { PullSummary } from '../tide/model';
import { sendCompressible } from './respond';
import type { StatusRequest } from './status-request';
import { prowTideQuery, tideQueriesOf, tideQueryString, visibleTideQueries, type TideQuery } from './tide-queries';
import { goTime, parseHistoryRequest, poolPulls, primaryAction, tideVisibility, type PoolActionName } from './tide-view';

/**
 * Deck's `/tide.js` and `/tide-history.js` in Prow's JSON (cmd/deck/tide.go, pkg/tide `PoolForDeck`,
 * `CodeReviewForDeck`, pkg/tide/blockers `Blocker`, pkg/tide/history `Record`, prowjobs/v1 `Pull`),
 * so scripts and dashboards written for Prow read ours. Where Go writes `null` for an empty list,
 * these write `[]`, which every reader of Prow's JSON already accepts as "none".
 */

/** pkg/tide `CodeReviewForDeck`. */
export interface CodeReviewForDeck {
  Title: string;
  Number: number;
  HeadRefOID: string;
  Mergeable: string;
}

/** pkg/tide/blockers `Blocker`. */
export interface BlockerForDeck {
  Number: number;
  Title: string;
  URL: string;
}

/** pkg/tide `PoolForDeck`. */
export interface PoolForDeck {
  Org: string;
  Repo: string;
  Branch: string;
  SuccessPRs: CodeReviewForDeck[];
  PendingPRs: CodeReviewForDeck[];
  MissingPRs: CodeReviewForDeck[];
  BatchPending: CodeReviewForDeck[];
  Action: PoolActionName;
  Target: CodeReviewForDeck[];
  Blockers: BlockerForDeck[];
  Error: string;
  TenantIDs: string[];
}

/** cmd/deck `tidePools`. */
export interface TidePools {
  Queries: string[];
  TideQueries: TideQuery[];
  Pools: PoolForDeck[];
}

/** prowjobs/v1 `Pull`, as a history record's target. */
export interface HistoryPull {
  number: number;
  author: string;
  sha: string;
  title?: string;
}

/** pkg/tide/history `Record`. */
export interface HistoryRecordForDeck {
  time: string;
  action: string;
  baseSHA?: string;
  target?: HistoryPull[];
  err?: string;
  tenantids: string[];
}

/** cmd/deck `tideHistory`. */
export interface TideHistory {
  History: Record<string, HistoryRecordForDeck[]>;
}

const MERGEABLE: Record<NonNullable<PullSummary['mergeable']>, string> = {
  mergeable: 'MERGEABLE',
  conflicting: 'CONFLICTING',
  unknown: 'UNKNOWN',
};

function forDeck(pull: PullSummary): CodeReviewForDeck {
  return { Title: pull.title, Number: pull.number, HeadRefOID: pull.headSha, Mergeable: MERGEABLE[pull.mergeable ?? 'unknown'] };
}

/**
 * Prow's pool: its passing, pending and missing PRs (a failing PR counts as missing there, and
 * one filtered out of the pool is not listed), the PRs of a batch under way at the current base,
 * and the action with its target.
 */
export function poolForDeck(record: PoolRecord): PoolForDeck {
  const pulls = poolPulls(record);
  const inStates = (...states: string[]) => pulls.filter((entry) => states.includes(entry.verdict.state)).map((entry) => forDeck(entry.pull));
  const byNumber = new Map(record.pulls.map((pull) => [pull.number, pull]));
  const summary = (number: number, sha = ''): PullSummary =>
    byNumber.get(number) ?? { number, title: '', author: '', headSha: sha, url: '', labels: [] };
  const batchPulls = new Map<number, string>();
  for (const run of record.runsInFlight) {
    if (run.type !== 'batch' || run.baseSha !== record.baseSha) continue;
    for (const pull of run.pulls) batchPulls.set(pull.number, pull.sha);
  }
  const action = primaryAction(record);
  return {
    Org: record.key.org,
    Repo: record.key.repo,
    Branch: record.key.branch,
    SuccessPRs: inStates('merging', 'success'),
    PendingPRs: inStates('pending'),
    MissingPRs: inStates('missing', 'failure'),
    BatchPending: [...batchPulls].map(([number, sha]) => forDeck(summary(number, sha))),
    Action: action.name,
    Target: action.pulls.map((number) => forDeck(summary(number))),
    Blockers: record.blockers.map((blocker) => ({ Number: blocker.number, Title: blocker.title, URL: blocker.url })),
    Error: record.error ?? '',
    TenantIDs: [],
  };
}

export function tidePools(pools: readonly PoolRecord[], queries: readonly TideQuery[]): TidePools {
  return {
    Queries: queries.map(tideQueryString),
    TideQueries: queries.map(prowTideQuery),
    Pools: pools.map(poolForDeck),
  };
}

export function historyRecordForDeck(record: HistoryRecord): HistoryRecordForDeck {
  const target = [...record.pulls]
    .sort((a, b) => a.number - b.number)
    .map((pull): HistoryPull => ({ number: pull.number, author: pull.author ?? '', sha: pull.sha, ...(pull.title ? { title: pull.title } : {}) }));
  return {
    time: goTime(record.at),
    action: record.action,
    ...(record.baseSha ? { baseSHA: record.baseSha } : {}),
    ...(target.length > 0 ? { target } : {}),
    ...(record.error ? { err: record.error } : {}),
    tenantids: [],
  };
}

/** Records (newest first) grouped by pool, each pool's newest first, as Prow's history serves them. */
export function tideHistory(records: readonly HistoryRecord[]): TideHistory {
  const History: Record<string, HistoryRecordForDeck[]> = {};
  for (const record of records) (History[record.poolId] ??= []).push(historyRecordForDeck(record));
  return { History };
}

function sendJs(request: StatusRequest, body: unknown): void {
  // Prow's deck serves these uncached: a pool changes every sync.
  sendCompressible(request.response, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, JSON.stringify(body));
}

/** `GET /tide.js`: every pool the viewer may see, and the queries from `tide.queries`. */
export async function serveTideJs(request: StatusRequest): Promise<void> {
  const visibility = tideVisibility(request.config);
  const pools = (await request.deps.store.tide.listPools()).flatMap((record) => visibility.pool(record) ?? []);
  sendJs(request, tidePools(pools, visibleTideQueries(tideQueriesOf(request.config), visibility.repoShown)));
}

/** Records per `tide-history.js` response unless `limit` says otherwise. */
const HISTORY_JS_LIMIT = 1000;

/**
 * `GET /tide-history.js`: the newest records (filters `repo`, `branch`, `pr`; `limit`), the next
 * page's cursor in the `X-Next-Cursor` header so the body stays Prow's.
 */
export async function serveTideHistoryJs(request: StatusRequest): Promise<void> {
  let parsed;
  try {
    parsed = parseHistoryRequest(request.url.searchParams);
  } catch (error) {
    return sendJson(request.response, 400, { message: (error as Error).message });
  }
  const visibility = tideVisibility(request.config);
  if (parsed.filters.repo !== undefined && !visibility.repoShown(parsed.filters.repo)) return sendJs(request, { History: {} });
  let page;
  try {
    page = await request.deps.store.tide.listHistory(parsed.query, {
      limit: parsed.filters.limit ?? HISTORY_JS_LIMIT,
      ...(parsed.filters.cursor ? { cursor: parsed.filters.cursor } : {}),
    });
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    return sendJson(request.response, 400, { message: error.message });
  }
  if (page.nextCursor) request.response.setHeader('x-next-cursor', page.nextCursor);
  sendJs(request, tideHistory(page.records.filter(visibility.history)));
}
