import type { Config } from '../config/model';
import type { GitHubClient, SearchedIssue } from '../github/client';
import type { ProwJob, ProwJobState } from '../prowjob/schema';
import type { Store } from '../store/store';
import { closestQueryMisses, contextPolicyFor, mergeBlocksPolicyFor, tideConfig } from '../tide/config';
import { snapshotPull, type PullSnapshot } from '../tide/github-snapshot';
import type { HeadContext, PullPoolState } from '../tide/model';
import { poolId } from '../tide/model';
import { mapLimited } from '../tide/sync';
import { repoVisibility } from './visibility';

/**
 * The data behind the PR dashboard (Prow's prstatus, deck's `/pr` and `/pr-data.js`): one
 * person's open pull requests in the repositories this deployment covers, each with its labels,
 * its head's status contexts, its ProwJobs' latest state per job at that head, and the verdict the
 * `tide` status gives it — computed by the same query matching Tide's sync uses
 * (shared/tide/config.ts `closestQueryMisses`), and for a PR that meets the queries, the verdict of
 * the pool Tide last synced.
 */

/** Prow pages through every match; a page must stay bounded, so only the most recently updated are read. */
export const MAX_DASHBOARD_PULLS = 100;
/** GitHub refuses longer search texts. */
const MAX_SEARCH_LENGTH = 256;
/** Reads at once per page view: a serverless instance serves one person, and GitHub limits concurrency. */
const READ_CONCURRENCY = 8;
/** Runs read per PR: enough for every job at the head and a few reruns. */
const RUNS_PER_PULL = 200;

export interface DashboardJob {
  job: string;
  state: ProwJobState;
  /** The ProwJob's name: its page is /view/<id>. */
  id: string;
  url?: string;
}

export interface DashboardVerdict {
  /**
   * `in-pool`: Tide took it in (its pool verdict says how it fares); `not-mergeable`: a query
   * requirement is missing; `waiting`: it meets the queries and Tide has not synced it since;
   * `no-query`: no Tide query covers the repository.
   */
  kind: 'in-pool' | 'not-mergeable' | 'waiting' | 'no-query';
  /** One line, as the `tide` status words it. */
  summary: string;
  /** Every miss in full, most decisive first. */
  reasons: string[];
  /** The pool state, when in the pool. */
  poolState?: PullPoolState;
}

export interface DashboardPull {
  org: string;
  repo: string;
  number: number;
  title: string;
  author: string;
  url: string;
  branch: string;
  headSha: string;
  labels: string[];
  milestone?: string;
  mergeable: PullSnapshot['pull']['mergeable'];
  /** Every context on the head, `tide` included. */
  contexts: HeadContext[];
  jobs: DashboardJob[];
  tide: DashboardVerdict;
}

export interface Dashboard {
  login: string;
  pulls: DashboardPull[];
  /** More PRs matched than the dashboard reads (MAX_DASHBOARD_PULLS), or GitHub's search was incomplete. */
  truncated: boolean;
}

/**
 * The repositories the dashboard searches, as `org:` and `repo:` qualifiers: Tide's query orgs and
 * repos and every repository with jobs (Prow's `AllRepos`), hidden ones left out, a repository
 * dropped when its org is searched whole.
 */
export function dashboardScope(config: Config): string[] {
  const shown = repoVisibility(config);
  const orgs = new Set<string>();
  const repos = new Set<string>();
  for (const query of tideConfig(config).queries ?? []) {
    for (const org of query.orgs ?? []) orgs.add(org);
    for (const repo of query.repos ?? []) repos.add(repo);
  }
  for (const repo of [...config.presubmits.keys(), ...config.postsubmits.keys()]) repos.add(repo);
  const qualifiers: string[] = [];
  for (const org of [...orgs].sort()) if (shown(`${org}/`)) qualifiers.push(`org:"${org}"`);
  for (const repo of [...repos].sort()) {
    if (!/^[^/\s"]+\/[^/\s"]+$/.test(repo) || !shown(repo) || orgs.has(repo.split('/')[0]!)) continue;
    qualifiers.push(`repo:"${repo}"`);
  }
  return qualifiers;
}

/**
 * Prow's `is:pr state:open author:<login>` over the scope, cut into searches GitHub accepts (it
 * refuses texts over 256 characters); scope qualifiers OR together within each.
 */
export function dashboardSearches(login: string, scope: readonly string[]): string[] {
  const head = `is:pr state:open archived:false author:"${login}"`;
  const searches: string[] = [];
  let current: string[] = [];
  for (const qualifier of scope) {
    if (current.length > 0 && [head, ...current, qualifier].join(' ').length > MAX_SEARCH_LENGTH) {
      searches.push([head, ...current].join(' '));
      current = [];
    }
    current.push(qualifier);
  }
  if (current.length > 0) searches.push([head, ...current].join(' '));
  return searches;
}

export interface DashboardSources {
  config: Config;
  store: Store;
  /** GitHub as the viewer (their token), or as the deployment in local mode. */
  github: GitHubClient;
}

export async function loadDashboard(sources: DashboardSources, login: string): Promise<Dashboard> {
  const { config, github } = sources;
  const shown = repoVisibility(config);
  const hits = new Map<string, SearchedIssue>();
  let truncated = false;
  for (const search of dashboardSearches(login, dashboardScope(config))) {
    const found = await github.searchPullRequests(search);
    truncated ||= found.incomplete;
    for (const item of found.items) if (shown(item.repo)) hits.set(`${item.repo.toLowerCase()}#${item.number}`, item);
  }
  const newestFirst = [...hits.values()].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
  if (newestFirst.length > MAX_DASHBOARD_PULLS) truncated = true;
  const needReviews = (tideConfig(config).queries ?? []).some((query) => query.reviewApprovedRequired);
  const pulls = await mapLimited(newestFirst.slice(0, MAX_DASHBOARD_PULLS), READ_CONCURRENCY, async (hit) => {
    const snapshot = await snapshotPull(github, hit, {
      reviews: needReviews,
      honourMergeBlocks: (org, repo) => mergeBlocksPolicyFor(config, org, repo) === 'block',
    });
    return snapshot ? dashboardPull(sources, snapshot) : undefined;
  });
  return { login, pulls: pulls.filter((pull): pull is DashboardPull => pull !== undefined), truncated };
}

async function dashboardPull(sources: DashboardSources, snapshot: PullSnapshot): Promise<DashboardPull> {
  const { org, repo, branch, pull } = snapshot;
  const [jobs, tide] = await Promise.all([jobsAtHead(sources, snapshot), tideVerdict(sources, snapshot)]);
  return {
    org,
    repo,
    number: pull.number,
    title: pull.title,
    author: pull.author,
    url: pull.url,
    branch,
    headSha: pull.headSha,
    labels: pull.labels,
    ...(pull.milestone ? { milestone: pull.milestone } : {}),
    mergeable: pull.mergeable,
    contexts: [...pull.contexts, ...(snapshot.tideContext ? [snapshot.tideContext] : [])].sort((a, b) => a.context.localeCompare(b.context)),
    jobs,
    tide,
  };
}

/** Each job's newest run at the PR's current head (deck matches runs to the head the same way). */
async function jobsAtHead(sources: DashboardSources, { org, repo, pull }: PullSnapshot): Promise<DashboardJob[]> {
  const found = await sources.store.jobs.list({ repo: `${org}/${repo}`, pull: pull.number }, { limit: RUNS_PER_PULL });
  const latest = new Map<string, ProwJob>();
  for (const { job } of found.jobs) {
    if (job.spec.hidden || latest.has(job.spec.job)) continue;
    const atHead = (job.spec.refs?.pulls ?? []).some((ref) => ref.number === pull.number && ref.sha === pull.headSha);
    if (atHead) latest.set(job.spec.job, job);
  }
  return [...latest.values()]
    .map((job) => ({
      job: job.spec.job,
      state: job.status?.state ?? 'triggered',
      id: job.metadata.name ?? '',
      ...(job.status?.url ? { url: job.status.url } : {}),
    }))
    .sort((a, b) => a.job.localeCompare(b.job));
}

async function tideVerdict({ config, store }: DashboardSources, { org, repo, branch, pull }: PullSnapshot): Promise<DashboardVerdict> {
  const closest = closestQueryMisses(config, pull, org, repo, branch, contextPolicyFor(config, org, repo, branch));
  if (closest.evaluations.length === 0) {
    return { kind: 'no-query', summary: 'Tide does not merge it: no Tide query covers this repository.', reasons: [] };
  }
  if (!closest.matched) {
    return { kind: 'not-mergeable', summary: closest.description ?? '', reasons: closest.closest?.reasons ?? [] };
  }
  // It meets the queries: how it fares in the pool is what the last sync decided, for this head.
  const record = await store.tide.getPool(poolId({ org, repo, branch }));
  const synced = record?.pulls.find((summary) => summary.number === pull.number);
  const verdict = record?.verdicts.find((candidate) => candidate.number === pull.number);
  if (!verdict || synced?.headSha !== pull.headSha) {
    return { kind: 'waiting', summary: 'Meets every Tide query; Tide has not taken this head into its pool yet.', reasons: [] };
  }
  return {
    kind: verdict.state === 'excluded' ? 'not-mergeable' : 'in-pool',
    summary: verdict.summary,
    reasons: verdict.reasons,
    poolState: verdict.state,
  };
}
