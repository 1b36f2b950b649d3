import { createHash } from 'node:crypto';
import { namedForKey } from '../prowjob/names';
import type { Config, Presubmit } from '../config/model';
import type { TideQuery } from '../config/tide-schema';
import { GitHubError, MergeBaseModifiedError, MergeHeadModifiedError, MergeRefusedError, type GitHubClient, type SearchedIssue } from '../github/client';
import { parseGoDurationValue } from '../go/duration';
import { changedFilesOnce } from '../jobs/changes';
import { newBatchJob, newPresubmitJob } from '../jobs/factory';
import { contextRequired, presubmitShouldRun } from '../jobs/should-run';
import type { Logger } from '../log/logger';
import type { ProwJob, Refs } from '../prowjob/schema';
import type { Store } from '../store/store';
import { renderGoTemplate } from '../go/template';
import {
  blockerLabel,
  closestQueryMisses,
  contextPolicyFor,
  mergeBlocksPolicyFor,
  mergeCommitTemplateFor,
  maxGoroutines,
  mergeMethodFor,
  poolSettingsFor,
  targetUrlFor,
  tideConfig,
} from './config';
import { snapshotPull, type PullSnapshot } from './github-snapshot';
import {
  poolId,
  type BlockingIssue,
  type HistoryActionName,
  type HistoryRecord,
  type PoolAction,
  type PoolKey,
  type MergeRefusal,
  type PoolMerge,
  type PoolRecord,
  type PoolRun,
  type PoolState,
  type PullVerdict,
  type RequiredJob,
  type RunPull,
  type RunRequest,
  type RunState,
} from './model';
import { decidePool } from './policy';
import { fitDescription, notMergeable } from './status-text';
import { TIDE_CONTEXT } from './contexts';

/**
 * Prow's tide sync, run by the scheduler (every minute in the cloud; a timer in local mode): find
 * the open PRs in the queries' scope, divide them into pools per org/repo/branch, decide each pool
 * (shared/tide/policy.ts) and carry the decision out — merge through the API with each head pinned,
 * create presubmit and batch ProwJobs, abort runs a policy gave up on — then set every PR's `tide`
 * status and keep the pool's record and history for the pages.
 *
 * Safe to run twice at once or to stop at any point: merges are pinned to the head SHA GitHub must
 * still have, job creation is idempotent per (pool, base, pulls, job, attempt), history records are
 * idempotent by id, and the statuses go through the write outbox, which coalesces.
 */
export interface TideSyncDependencies {
  config: Config;
  store: Pick<Store, 'jobs' | 'tide'>;
  /** A client for reads and merges in a repository (merges are sent at once, paced per identity). */
  github: (org: string, repo: string) => Promise<GitHubClient>;
  /** A client for searches over a whole organisation. */
  githubForOrg: (org: string) => Promise<GitHubClient>;
  /** Where `tide` statuses are written (the outbox; `cause` keys them). Defaults to `github`. */
  statusWriter?: (org: string, repo: string, cause: string) => Promise<GitHubClient>;
  log: Logger;
  /** The status site's address, for the `tide` status link to each PR's verdict page. */
  statusSiteUrl?: string;
}

export interface TideSyncResult {
  pools: number;
  merged: number;
  triggered: number;
  cancelled: number;
  statusesWritten: number;
  errors: number;
}

/** Label Prow puts on the ProwJobs tide creates (its `created-by-tide`). */
export const CREATED_BY_TIDE_LABEL = 'created-by-tide';
/** The pool's own merges kept, newest last: enough for the deepest speculation to carry over. */
const MERGES_KEPT = 50;
/** Presubmits read per PR, and batches per pool, newest first. */
const PRESUBMITS_PER_PULL = 60;
const BATCHES_PER_POOL = 200;
const BASE_MODIFIED_RETRIES = 3;

export async function syncTide(deps: TideSyncDependencies, now: Date): Promise<TideSyncResult> {
  const { config, log } = deps;
  const tide = tideConfig(config);
  const queries = tide.queries ?? [];
  const result: TideSyncResult = { pools: 0, merged: 0, triggered: 0, cancelled: 0, statusesWritten: 0, errors: 0 };
  if (queries.length === 0) return result;

  const { hits, complete } = await searchScope(deps, queries);
  const needReviews = queries.some((query) => query.reviewApprovedRequired);
  const snapshots = (
    // Prow's max_goroutines bounds how many PRs are read at once.
    await mapLimited([...hits.values()], maxGoroutines(config), async (hit) => {
      const [org = '', repo = ''] = hit.repo.split('/');
      try {
        return await snapshotPull(await deps.github(org, repo), hit, {
          reviews: needReviews,
          honourMergeBlocks: (o, r) => mergeBlocksPolicyFor(config, o, r) === 'block',
        });
      } catch (error) {
        result.errors += 1;
        log.warn('tide: could not read a pull request; it sits this sync out', { repo: hit.repo, pr: hit.number, error });
        return undefined;
      }
    })
  ).filter((snapshot): snapshot is PullSnapshot => snapshot !== undefined);

  const pools = new Map<string, { key: PoolKey; snapshots: PullSnapshot[] }>();
  for (const snapshot of snapshots) {
    const key = { org: snapshot.org, repo: snapshot.repo, branch: snapshot.branch };
    const id = poolId(key);
    const pool = pools.get(id) ?? { key, snapshots: [] };
    pool.snapshots.push(snapshot);
    pools.set(id, pool);
  }
  const blockerCache = new Map<string, Promise<BlockingIssue[] | undefined>>();
  for (const pool of pools.values()) {
    result.pools += 1;
    try {
      await syncPool(deps, pool.key, pool.snapshots, now, result, blockerCache);
    } catch (error) {
      result.errors += 1;
      log.error('tide: pool sync failed; the next sync tries again', { repo: `${pool.key.org}/${pool.key.repo}`, branch: pool.key.branch, error });
      const previous = await deps.store.tide.getPool(poolId(pool.key)).catch(() => undefined);
      if (previous) await deps.store.tide.putPool({ ...previous, error: (error as Error).message, syncedAt: now.getTime() }).catch(() => undefined);
    }
  }
  // A pool with no open PR left is forgotten, but only when every search answered in full.
  if (complete) {
    for (const record of await deps.store.tide.listPools()) {
      if (!pools.has(record.id)) await deps.store.tide.deletePool(record.id);
    }
  }
  log.info('tide sync done', { ...result });
  return result;
}

/** Every open PR in some query's scope (Prow's status controller searches the same). */
async function searchScope(deps: TideSyncDependencies, queries: readonly TideQuery[]): Promise<{ hits: Map<string, SearchedIssue>; complete: boolean }> {
  const searches = new Map<string, () => Promise<GitHubClient>>();
  for (const query of queries) {
    for (const org of query.orgs ?? []) {
      const excluded = (query.excludedRepos ?? []).filter((repo) => repo.startsWith(`${org}/`)).map((repo) => ` -repo:${repo}`).join('');
      searches.set(`is:pr state:open archived:false org:${org}${excluded}`, () => deps.githubForOrg(org));
    }
    for (const full of query.repos ?? []) {
      const [org = '', repo = ''] = full.split('/');
      searches.set(`is:pr state:open archived:false repo:${full}`, () => deps.github(org, repo));
    }
  }
  const hits = new Map<string, SearchedIssue>();
  let complete = true;
  for (const [search, client] of searches) {
    try {
      const found = await (await client()).searchPullRequests(search);
      if (found.incomplete) complete = false;
      for (const item of found.items) hits.set(`${item.repo}#${item.number}`, item);
    } catch (error) {
      complete = false;
      deps.log.error('tide: search failed; its PRs sit this sync out', { search, error });
    }
  }
  return { hits, complete };
}

async function syncPool(
  deps: TideSyncDependencies,
  key: PoolKey,
  snapshots: readonly PullSnapshot[],
  now: Date,
  result: TideSyncResult,
  blockerCache: Map<string, Promise<BlockingIssue[] | undefined>>,
): Promise<void> {
  const { config, store, log } = deps;
  const id = poolId(key);
  const repoName = `${key.org}/${key.repo}`;
  const github = await deps.github(key.org, key.repo);
  const baseSha = await github.getBranchHeadSha(key.org, key.repo, key.branch);
  if (!baseSha) throw new Error(`branch ${key.branch} of ${repoName} does not exist`);
  const previous = await store.tide.getPool(id);
  const contextPolicy = contextPolicyFor(config, key.org, key.repo, key.branch);
  const presubmits = config.presubmits.get(repoName) ?? [];

  // Queries first: a PR no query matches is out of the pool, with the closest query's misses.
  const outside: PullVerdict[] = [];
  const candidates: PullSnapshot[] = [];
  for (const snapshot of snapshots) {
    const closest = closestQueryMisses(config, snapshot.pull, key.org, key.repo, key.branch, contextPolicy);
    if (closest.matched) candidates.push(snapshot);
    else
      outside.push({
        number: snapshot.pull.number,
        state: 'excluded',
        summary: closest.description ?? notMergeable(),
        statusState: 'pending',
        reasons: closest.closest?.reasons ?? ['No Tide query covers this branch.'],
        jobs: [],
      });
  }
  const requiredJobs: Record<number, RequiredJob[]> = {};
  const pulls = await Promise.all(
    candidates.map(async ({ pull }) => {
      const files = changedFilesOnce(async () => (await github.listPullRequestFiles(key.org, key.repo, pull.number)).map((file) => file.filename));
      const jobs: RequiredJob[] = [];
      for (const job of presubmits) {
        if (contextRequired(job) && (await presubmitShouldRun(job, key.branch, files, false, false))) jobs.push({ job: job.name, context: job.context });
      }
      requiredJobs[pull.number] = jobs;
      const method = mergeMethodFor(config, key.org, key.repo, key.branch, pull.labels);
      return 'problem' in method ? { ...pull, mergeMethodProblem: method.problem } : pull;
    }),
  );
  const { runs, stuck } = await poolRuns(store, key, pulls.map((pull) => pull.number), now.getTime());
  const blockers = await blockersFor(deps, key, blockerCache);
  const mergedOnto = (previous?.mergedOnto ?? []).slice(-MERGES_KEPT);
  // A merge GitHub refused (branch protection, a merge method the repo forbids...) is not tried
  // again and again: the PR sits out, saying why, until its head changes or an hour has passed,
  // and the rest of the pool goes on (Prow retries it every sync and merges nothing else).
  const refusals = (previous?.mergeRefusals ?? []).filter(
    (refusal) => now.getTime() - refusal.at < MERGE_REFUSAL_BACKOFF_MS && pulls.some((pull) => pull.number === refusal.number && pull.headSha === refusal.sha),
  );
  for (const refusal of refusals) {
    outside.push({
      number: refusal.number,
      state: 'excluded',
      summary: notMergeable('GitHub refused to merge it.'),
      statusState: 'error',
      reasons: [
        `GitHub refused to merge it at ${refusal.sha.slice(0, 7)}: ${refusal.error} Tide tries again after ${new Date(refusal.at + MERGE_REFUSAL_BACKOFF_MS).toISOString()}, or as soon as its head changes.`,
      ],
      jobs: [],
    });
  }
  // Runs no runner is finishing are aborted, so a pool never waits on them silently.
  for (const run of stuck) {
    await store.jobs
      .update(run.id, { state: 'aborted', status: { description: 'Aborted by tide: still not finished long after its timeout.' } }, 'latest')
      .catch((error: unknown) => log.debug('tide: stuck run finished meanwhile', { jobId: run.id, error }));
    run.state = 'aborted';
    log.warn('tide: aborted a run still unfinished long after its timeout', { jobId: run.id, repo: repoName, branch: key.branch });
  }
  const state: PoolState = {
    key,
    baseSha,
    pulls: pulls.filter((pull) => !refusals.some((refusal) => refusal.number === pull.number)),
    contextPolicy,
    requiredJobs,
    runs,
    mergedOnto,
    blockers: blockers ?? previous?.blockers ?? [],
    settings: poolSettingsFor(config, key),
    now: now.getTime(),
  };
  const decision = decidePool(state);
  const history: HistoryRecord[] = [];
  const record = (action: HistoryActionName, pullsOf: readonly RunPull[], reason: string, error?: string) =>
    history.push({
      id: historyId(now.getTime(), id, history.length),
      poolId: id,
      key,
      at: now.getTime(),
      action,
      baseSha,
      pulls: pullsOf.map((pull) => {
        const known = pulls.find((candidate) => candidate.number === pull.number);
        return { number: pull.number, sha: pull.sha, ...(known ? { title: known.title, author: known.author } : {}) };
      }),
      reason,
      ...(error ? { error } : {}),
    });

  for (const run of stuck) record('CANCEL', run.pulls, `${run.job} was still unfinished long after its timeout: aborted, so the pool does not wait on it`);
  for (const action of decision.actions) {
    if (action.kind === 'merge') {
      const merged = await mergePulls(deps, github, key, baseSha, action, pulls, mergedOnto, now);
      result.merged += merged.merged.length;
      if (merged.refused) refusals.push(merged.refused);
      record(action.batch ? 'MERGE_BATCH' : 'MERGE', action.pulls, action.reason, merged.error);
    } else if (action.kind === 'trigger') {
      for (const request of action.runs) {
        const created = await triggerRun(deps, github, key, request, pulls, presubmits, runs, now);
        result.triggered += created.jobs;
        if (created.jobs > 0 || created.error) {
          record(request.pulls.length > 1 ? 'TRIGGER_BATCH' : 'TRIGGER', created.pulls, action.reason, created.error);
        }
      }
    } else if (action.kind === 'cancel') {
      for (const runId of action.runIds) {
        await store.jobs
          .update(runId, { state: 'aborted', status: { description: `Aborted by tide: ${action.reason}`.slice(0, 200) } }, 'latest')
          .then(() => (result.cancelled += 1))
          .catch((error: unknown) => log.debug('tide: run finished before it could be cancelled', { jobId: runId, error }));
      }
      record('CANCEL', [], action.reason);
    } else if (action.kind === 'blocked') {
      const wasBlocked = previous?.actions.some((earlier) => earlier.kind === 'blocked' && earlier.blockers.join() === action.blockers.join());
      if (!wasBlocked) record('BLOCKED', [], action.reason);
    }
  }
  const verdicts = [...decision.verdicts, ...outside];
  result.statusesWritten += await writeStatuses(deps, key, snapshots, verdicts);
  const poolRecord: PoolRecord = {
    id,
    key,
    baseSha,
    policy: state.settings.policy,
    actions: decision.actions,
    pulls: snapshots.map(({ pull }) => ({ number: pull.number, title: pull.title, author: pull.author, headSha: pull.headSha, url: pull.url, labels: pull.labels })),
    verdicts,
    runsInFlight: runs.filter((run) => run.state === 'triggered' || run.state === 'pending'),
    blockers: state.blockers,
    mergedOnto,
    ...(refusals.length > 0 ? { mergeRefusals: refusals } : {}),
    syncedAt: now.getTime(),
  };
  if (history.length > 0) await store.tide.appendHistory(history);
  await store.tide.putPool(poolRecord);
}

/**
 * A run still triggered or pending this long after its job's timeout (plus a grace for pending
 * pods) has no runner finishing it. Prow's pool would wait for such a batch forever and merge
 * nothing meanwhile; ours aborts it, says so, and moves on.
 */
const STUCK_GRACE_MS = 30 * 60_000;
const DEFAULT_JOB_TIMEOUT_MS = 2 * 3_600_000;
/** A merge GitHub refused is not tried again for this long unless the PR's head changes. */
const MERGE_REFUSAL_BACKOFF_MS = 3_600_000;

function stuckAfterMs(job: ProwJob): number {
  const timeout = job.spec.decoration_config?.timeout;
  let ms = DEFAULT_JOB_TIMEOUT_MS;
  if (timeout !== undefined) {
    try {
      ms = parseGoDurationValue(timeout);
    } catch {
      // An unreadable timeout was reported when the config loaded; the default stands.
    }
  }
  return ms + STUCK_GRACE_MS;
}

/** The pool's presubmits (per PR) and batches, as runs; `stuck` are those no runner is finishing. */
async function poolRuns(
  store: TideSyncDependencies['store'],
  key: PoolKey,
  numbers: readonly number[],
  now: number,
): Promise<{ runs: PoolRun[]; stuck: PoolRun[] }> {
  const repo = `${key.org}/${key.repo}`;
  const lists = await Promise.all([
    ...numbers.map((pull) => store.jobs.list({ repo, pull, type: 'presubmit' }, { limit: PRESUBMITS_PER_PULL })),
    store.jobs.list({ repo, type: 'batch' }, { limit: BATCHES_PER_POOL }),
  ]);
  const runs: PoolRun[] = [];
  const stuck: PoolRun[] = [];
  for (const page of lists) {
    for (const stored of page.jobs) {
      const run = asPoolRun(stored.job, stored.createdAt);
      if (!run || stored.job.spec.refs?.base_ref !== key.branch) continue;
      runs.push(run);
      if ((run.state === 'triggered' || run.state === 'pending') && now - run.createdAt > stuckAfterMs(stored.job)) stuck.push(run);
    }
  }
  return { runs, stuck };
}

export function asPoolRun(job: ProwJob, createdAt: number): PoolRun | undefined {
  const refs = job.spec.refs;
  const type = job.spec.type;
  if (!refs?.base_sha || (type !== 'presubmit' && type !== 'batch')) return undefined;
  const state = job.status?.state;
  const runState: RunState = state === undefined || state === 'scheduling' ? 'triggered' : state;
  const completed = job.status?.completionTime ? Date.parse(job.status.completionTime) : undefined;
  return {
    id: job.metadata.name ?? '',
    job: job.spec.job,
    context: job.spec.context ?? job.spec.job,
    type,
    baseSha: refs.base_sha,
    pulls: (refs.pulls ?? []).map((pull) => ({ number: pull.number, sha: pull.sha })),
    state: runState,
    createdAt,
    ...(completed !== undefined && !Number.isNaN(completed) ? { completedAt: completed } : {}),
    ...(job.status?.url ? { url: job.status.url } : {}),
    ...(job.metadata.labels?.[CREATED_BY_TIDE_LABEL] === 'true' ? { createdByTide: true } : {}),
  };
}

/**
 * Open issues with the blocker label (Prow's blockers): one naming `branch:<name>` in its title
 * blocks only that branch. Undefined when the search failed (the last known blockers stand).
 */
async function blockersFor(
  deps: TideSyncDependencies,
  key: PoolKey,
  cache: Map<string, Promise<BlockingIssue[] | undefined>>,
): Promise<BlockingIssue[] | undefined> {
  const label = blockerLabel(deps.config);
  if (!label) return [];
  const repo = `${key.org}/${key.repo}`;
  let issues = cache.get(repo);
  if (!issues) {
    issues = (async () => {
      try {
        const github = await deps.github(key.org, key.repo);
        const found = await github.searchIssues(`is:issue state:open repo:${repo} label:"${label.replace(/"/g, '')}"`);
        return found.items.filter((item) => !item.pullRequest).map((item) => ({ number: item.number, title: item.title, url: item.html_url }));
      } catch (error) {
        deps.log.warn('tide: blocker search failed; keeping the last known blockers', { repo, error });
        return undefined;
      }
    })();
    cache.set(repo, issues);
  }
  const all = await issues;
  if (!all) return undefined;
  return all.filter((issue) => {
    const branches = [...issue.title.matchAll(/\bbranch:([^\s,]+)/g)].map((match) => match[1]);
    return branches.length === 0 || branches.includes(key.branch);
  });
}

/**
 * Merges the PRs in order, each pinned to the head that was tested; stops at the first GitHub
 * refuses, since what follows it was tested with it. "Base branch was modified" is GitHub still
 * settling the previous merge: tried again, as Prow does.
 */
async function mergePulls(
  deps: TideSyncDependencies,
  github: GitHubClient,
  key: PoolKey,
  baseSha: string,
  action: Extract<PoolAction, { kind: 'merge' }>,
  pulls: readonly PoolState['pulls'][number][],
  mergedOnto: PoolMerge[],
  now: Date,
): Promise<{ merged: number[]; error?: string; refused?: MergeRefusal }> {
  const merged: number[] = [];
  let from = baseSha;
  const template = mergeCommitTemplateFor(deps.config, key.org, key.repo);
  for (const target of action.pulls) {
    const pull = pulls.find((candidate) => candidate.number === target.number);
    const method = mergeMethodFor(deps.config, key.org, key.repo, key.branch, pull?.labels ?? []);
    if ('problem' in method) return { merged, error: `#${target.number}: ${method.problem}` };
    const data = { Number: target.number, Title: pull?.title ?? '', Body: '', HeadRefName: pull?.headRef ?? '', Author: { Login: pull?.author ?? '' } };
    const commitTitle = template.title ? safeRender(template.title, data) : undefined;
    const commitMessage = template.body ? safeRender(template.body, data) : undefined;
    let attempt = 0;
    for (;;) {
      try {
        const sha = await github.mergePullRequest(key.org, key.repo, target.number, {
          sha: target.sha,
          mergeMethod: method.method,
          ...(commitTitle !== undefined ? { commitTitle } : {}),
          ...(commitMessage !== undefined ? { commitMessage } : {}),
        });
        merged.push(target.number);
        mergedOnto.push({ fromSha: from, toSha: sha, pulls: [target.number], at: now.getTime() });
        from = sha;
        deps.log.info('tide merged a pull request', { repo: `${key.org}/${key.repo}`, pr: target.number, sha, method: method.method });
        break;
      } catch (error) {
        if (error instanceof MergeBaseModifiedError && attempt++ < BASE_MODIFIED_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
          continue;
        }
        const message = error instanceof MergeRefusedError || error instanceof GitHubError ? error.message : String(error);
        deps.log.warn('tide could not merge a pull request', { repo: `${key.org}/${key.repo}`, pr: target.number, error: message });
        // A head that moved will be tested again anyway; other refusals would repeat each sync.
        const refused =
          error instanceof MergeRefusedError && !(error instanceof MergeHeadModifiedError) && !(error instanceof MergeBaseModifiedError)
            ? { number: target.number, sha: target.sha, error: error.githubMessage ?? message, at: now.getTime() }
            : undefined;
        return { merged, error: `#${target.number}: ${message}`, ...(refused ? { refused } : {}) };
      }
    }
  }
  return { merged };
}

function safeRender(template: string, data: unknown): string | undefined {
  try {
    return renderGoTemplate(template, data);
  } catch {
    return undefined;
  }
}

/**
 * Creates the ProwJobs of one run. A batch is trial-merged first (Prow does it with git; we ask
 * GitHub, on a scratch branch) when two of its PRs touch the same file or GitHub has not yet said
 * whether one merges: a PR that does not apply is left out, as Prow's pickBatch leaves it out.
 */
async function triggerRun(
  deps: TideSyncDependencies,
  github: GitHubClient,
  key: PoolKey,
  request: RunRequest,
  pulls: readonly PoolState['pulls'][number][],
  presubmits: readonly Presubmit[],
  runs: readonly PoolRun[],
  now: Date,
): Promise<{ jobs: number; pulls: RunPull[]; error?: string }> {
  let chosen = request.pulls;
  if (chosen.length > 1 && (await needsTrialMerge(github, key, chosen, pulls))) {
    const trial = await github.trialMerge(key.org, key.repo, request.baseSha, chosen);
    if (trial.conflicting.length > 0) {
      chosen = chosen.filter((pull) => !trial.conflicting.includes(pull.number));
      deps.log.info('tide: left PRs that do not apply out of a batch', { repo: `${key.org}/${key.repo}`, conflicting: trial.conflicting });
      if (chosen.length < 2) return { jobs: 0, pulls: request.pulls, error: `PRs ${trial.conflicting.map((n) => `#${n}`).join(', ')} do not merge together with the rest` };
    }
  }
  const refs: Refs = {
    org: key.org,
    repo: key.repo,
    base_ref: key.branch,
    base_sha: request.baseSha,
    pulls: chosen.map((target) => {
      const pull = pulls.find((candidate) => candidate.number === target.number);
      return {
        number: target.number,
        sha: target.sha,
        author: pull?.author ?? '',
        ...(pull?.title ? { title: pull.title } : {}),
        ...(pull?.headRef ? { head_ref: pull.headRef } : {}),
        ...(pull?.url ? { link: pull.url } : {}),
      };
    }),
  };
  const pullsKey = chosen.map((pull) => `${pull.number}@${pull.sha}`).join(',');
  let jobs = 0;
  for (const name of request.jobs) {
    const presubmit = presubmits.find((job) => job.name === name);
    if (!presubmit) continue;
    const attempt =
      runs.filter(
        (run) => run.job === name && run.baseSha === request.baseSha && run.pulls.map((pull) => `${pull.number}@${pull.sha}`).join(',') === pullsKey,
      ).length + 1;
    const options = { now, config: deps.config, labels: { [CREATED_BY_TIDE_LABEL]: 'true' } };
    const job = chosen.length === 1 ? newPresubmitJob(presubmit, refs, options) : newBatchJob(presubmit, refs, options);
    const idempotencyKey = `tide:${createHash('sha256').update(`${poolId(key)}|${request.baseSha}|${pullsKey}|${name}|${attempt}`).digest('hex').slice(0, 40)}`;
    const created = await deps.store.jobs.create(namedForKey(job, idempotencyKey), { idempotencyKey });
    if (created.created) jobs += 1;
  }
  return { jobs, pulls: chosen };
}

async function needsTrialMerge(github: GitHubClient, key: PoolKey, chosen: readonly RunPull[], pulls: readonly PoolState['pulls'][number][]): Promise<boolean> {
  if (chosen.some((target) => pulls.find((pull) => pull.number === target.number)?.mergeable !== 'mergeable')) return true;
  const seen = new Set<string>();
  for (const target of chosen) {
    for (const file of await github.listPullRequestFiles(key.org, key.repo, target.number)) {
      if (seen.has(file.filename)) return true;
      seen.add(file.filename);
    }
  }
  return false;
}

/** Sets each PR's `tide` status where it differs from what the head shows (Prow's status controller). */
async function writeStatuses(deps: TideSyncDependencies, key: PoolKey, snapshots: readonly PullSnapshot[], verdicts: readonly PullVerdict[]): Promise<number> {
  const writer = deps.statusWriter ?? ((org: string, repo: string) => deps.github(org, repo));
  const configured = targetUrlFor(deps.config, key.org, key.repo);
  let written = 0;
  for (const snapshot of snapshots) {
    const verdict = verdicts.find((candidate) => candidate.number === snapshot.pull.number);
    if (!verdict) continue;
    const state = verdict.statusState ?? (verdict.state === 'excluded' || verdict.state === 'failure' ? 'pending' : 'success');
    const description = fitDescription(verdict.summary);
    if (snapshot.tideContext?.state === state && snapshot.tideContext.description === description) continue;
    const link =
      configured ?? (deps.statusSiteUrl ? `${deps.statusSiteUrl.replace(/\/$/, '')}/tide/pr/${key.org}/${key.repo}/${snapshot.pull.number}` : undefined);
    try {
      const client = await writer(key.org, key.repo, `tide ${key.org}/${key.repo}#${snapshot.pull.number}@${snapshot.pull.headSha}`);
      await client.createStatus(key.org, key.repo, snapshot.pull.headSha, { state, context: TIDE_CONTEXT, description, ...(link ? { target_url: link } : {}) });
      written += 1;
    } catch (error) {
      deps.log.warn('tide: could not set the tide status', { repo: `${key.org}/${key.repo}`, pr: snapshot.pull.number, error });
    }
  }
  return written;
}

function historyId(at: number, pool: string, index: number): string {
  const poolHash = createHash('sha256').update(pool).digest('hex').slice(0, 12);
  return `${String(at).padStart(15, '0')}-${poolHash}-${index}`;
}

/** Runs `run` over the items, at most `limit` at once; the results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await run(items[index] as T);
      }
    }),
  );
  return results;
}
