import { branchProtectionOf, branchRequirements, protectionPolicyFor } from '../branchprotection/policy';
import type { Config } from '../config/model';
import {
  contextOptionsFor,
  contextPolicyProblems,
  type GitHubMergeBlocksPolicy,
  type MergeMethod,
  type TideConfig,
  type TideMergeCommitTemplate,
  type TideQuery,
} from '../config/tide-schema';
import { formatGoDuration, parseGoDurationValue } from '../go/duration';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import { contextCheckerFor, unsuccessfulContexts } from './contexts';
import { notMergeable } from './status-text';
import type { ContextPolicy, HeadContext, PoolKey, PoolPolicyName, PoolPull, PoolSettings } from './model';

/**
 * Prow's `tide:` section resolved for one org, repo or branch: which queries apply, whether a PR
 * matches them and, if not, what it lacks (the `tide` status's "Not mergeable. Needs lgtm label."),
 * its merge method, the context policy, batch size, priority, periods and the pool's algorithm.
 * All pure: the sync, the status pages and the simulator read the config through these.
 *
 * The section's schema and load-time checks are in shared/config/tide-schema.ts.
 */

export type { MergeMethod, TideQuery };


const DEFAULT_SYNC_PERIOD_MS = 60_000;
const DEFAULT_MAX_GOROUTINES = 20;

export function tideConfig(config: Config): TideConfig {
  return config.prow.tide ?? {};
}

// ─── Queries ───────────────────────────────────────────────────────────────────────────────────

/** Prow's `TideQuery.ForRepo`: an org entry covers the repo unless excluded; else it is listed. */
export function queryCoversRepo(query: TideQuery, org: string, repo: string): boolean {
  const fullName = `${org}/${repo}`;
  if ((query.orgs ?? []).includes(org)) return !(query.excludedRepos ?? []).includes(fullName);
  return (query.repos ?? []).includes(fullName);
}

/** Prow's `QueryMap.ForRepo`: the queries whose scope includes the repo, in config order. */
export function queriesFor(config: Config, org: string, repo: string): TideQuery[] {
  return (tideConfig(config).queries ?? []).filter((query) => queryCoversRepo(query, org, repo));
}

/** What a PR lacks to match one query; empty lists and `false` where nothing is missing. */
export interface QueryMisses {
  /** The repo is outside the query's orgs and repos, or in its excludedRepos. */
  repoOutOfScope: boolean;
  /** The PR's base branch is in excludedBranches, or not in includedBranches. */
  branch?: 'excluded' | 'not-included';
  /** The author the query requires, when the PR is by someone else (lowercase, as GitHub compares). */
  author?: string;
  /** The milestone the query requires, when the PR is in another or none. */
  milestone?: string;
  /** Required labels the PR lacks, in the query's order; alternatives ("a,b") read "a or b". */
  labelsNeeded: string[];
  /** Forbidden labels the PR carries, in the query's order. */
  labelsForbidden: string[];
  /** The query wants an approving GitHub review (`reviewApprovedRequired`) and there is none. */
  reviewApprovalNeeded: boolean;
}

export interface QueryMatch {
  matches: boolean;
  misses: QueryMisses;
}

/** The fields of a PR a query looks at. */
export type QueryPull = Pick<PoolPull, 'author' | 'labels' | 'milestone' | 'reviewDecision'>;

/** GitHub logins compare case-insensitively and may be written with a leading "@". */
function normalizeLogin(login: string): string {
  return login.replace(/^@/, '').toLowerCase();
}

/**
 * Whether the PR is one the query's GitHub search would find (Prow's search string, and its
 * `requirementDiff` for what is missing): scope, base branch, author, milestone, labels, review.
 */
export function matchQuery(query: TideQuery, pr: QueryPull, org: string, repo: string, branch: string): QueryMatch {
  const labels = new Set(pr.labels);
  const included = query.includedBranches ?? [];
  const misses: QueryMisses = {
    repoOutOfScope: !queryCoversRepo(query, org, repo),
    labelsNeeded: (query.labels ?? [])
      .filter((label) => !label.split(',').some((alternative) => labels.has(alternative)))
      .map((label) => label.split(',').join(' or ')),
    labelsForbidden: (query.missingLabels ?? []).filter((label) => labels.has(label)),
    reviewApprovalNeeded: Boolean(query.reviewApprovedRequired) && pr.reviewDecision !== 'APPROVED',
  };
  if ((query.excludedBranches ?? []).includes(branch)) misses.branch = 'excluded';
  else if (included.length > 0 && !included.includes(branch)) misses.branch = 'not-included';
  if (query.author && normalizeLogin(query.author) !== normalizeLogin(pr.author)) misses.author = normalizeLogin(query.author);
  if (query.milestone && pr.milestone !== query.milestone) misses.milestone = query.milestone;
  const matches =
    !misses.repoOutOfScope &&
    !misses.branch &&
    !misses.author &&
    !misses.milestone &&
    misses.labelsNeeded.length === 0 &&
    misses.labelsForbidden.length === 0 &&
    !misses.reviewApprovalNeeded;
  return { matches, misses };
}

/** One query tried against a PR, for the `tide` status and the PR's page. */
export interface QueryEvaluation {
  /** The query's position in `tide.queries`. */
  index: number;
  query: TideQuery;
  misses: QueryMisses;
  /** Contexts that are not passing and count (context policy given), sorted. */
  failingContexts: string[];
  /** GitHub blocks the merge and `github_merge_blocks_policy` is `block`. */
  blockedByGitHub: boolean;
  /**
   * Prow's distance from the query: a wrong branch weighs 2000, a wrong author 1000, a wrong
   * milestone or GitHub's block 100, a missing approval 50, each label or context 1. 0 is a match.
   */
  distance: number;
  /** Every miss in words, the most decisive first, nothing truncated: what the PR's page shows. */
  reasons: string[];
}

export interface ClosestQuery {
  /** Some query is fully met: as far as queries go the PR belongs in the pool. */
  matched: boolean;
  /**
   * When not matched, the `tide` status description as Prow writes it ("Not mergeable. Needs
   * approved, lgtm labels."), at most 140 characters.
   */
  description?: string;
  /** The query the description is about (the nearest one; absent when no query covers the repo). */
  closest?: QueryEvaluation;
  /** Every query covering the repo, in config order. */
  evaluations: QueryEvaluation[];
}

/** Prow keeps label and context lists in a status short: at least one, then up to 50 characters. */
const LIST_CHARACTER_BUDGET = 50;

function shortList(items: readonly string[]): string[] {
  let used = items[0]!.length;
  let count = 1;
  for (; count < items.length; count++) {
    if (used + items[count]!.length > LIST_CHARACTER_BUDGET) break;
    used += items[count]!.length + 2;
  }
  return items.slice(0, count);
}

/**
 * The misses in words, most decisive first (Prow's order: branch, author, milestone, labels
 * needed, labels forbidden, contexts, review, GitHub's block). `short` trims lists as the status does.
 */
function describeMisses(
  misses: QueryMisses,
  failingContexts: readonly string[],
  blockedByGitHub: boolean,
  branch: string,
  short: boolean,
): string[] {
  const list = (items: readonly string[]) => {
    const sorted = [...items].sort();
    return short ? shortList(sorted) : sorted;
  };
  const reasons: string[] = [];
  if (misses.repoOutOfScope) reasons.push('The repository is not in this query.');
  if (misses.branch) reasons.push(`Merging to branch ${branch} is forbidden.`);
  if (misses.author) reasons.push(`Must be by author ${misses.author}.`);
  if (misses.milestone) reasons.push(`Must be in milestone ${misses.milestone}.`);
  if (misses.labelsNeeded.length > 0) {
    const labels = list(misses.labelsNeeded);
    reasons.push(`Needs ${labels.join(', ')} label${labels.length === 1 ? '' : 's'}.`);
  }
  if (misses.labelsForbidden.length > 0) {
    const labels = list(misses.labelsForbidden);
    reasons.push(`Should not have ${labels.join(', ')} label${labels.length === 1 ? '' : 's'}.`);
  }
  if (failingContexts.length > 0) {
    const contexts = list(failingContexts);
    reasons.push(contexts.length === 1 ? `Job ${contexts[0]} has not succeeded.` : `Jobs ${contexts.join(', ')} have not succeeded.`);
  }
  if (misses.reviewApprovalNeeded) reasons.push('PullRequest is missing sufficient approving GitHub review(s)');
  if (blockedByGitHub) reasons.push('Blocked by GitHub (branch rulesets or protection)');
  return reasons;
}

const BRANCH_DISTANCE = 2000;

function distanceOf(misses: QueryMisses, failingContexts: readonly string[], blockedByGitHub: boolean): number {
  return (
    (misses.branch ? BRANCH_DISTANCE : 0) +
    (misses.author ? 1000 : 0) +
    (misses.milestone ? 100 : 0) +
    misses.labelsNeeded.length +
    misses.labelsForbidden.length +
    failingContexts.length +
    (misses.reviewApprovalNeeded ? 50 : 0) +
    (blockedByGitHub ? 100 : 0)
  );
}


/**
 * Prow's status logic for a PR outside the pool (pkg/tide/status.go `expectedStatus` and
 * `requirementDiff`): try every query covering the repo; if none is met, describe the nearest
 * (fewest and least decisive misses; the first of equals) in one sentence, or with
 * `display_all_tide_queries_in_status` every query for the PR's branch joined by "OR".
 * Contexts count only when `contextPolicy` is given (Prow's context checker for the PR).
 */
export function closestQueryMisses(
  config: Config,
  pr: QueryPull & Pick<PoolPull, 'contexts' | 'mergeBlockedByGitHub'>,
  org: string,
  repo: string,
  branch: string,
  contextPolicy?: ContextPolicy,
): ClosestQuery {
  const tide = tideConfig(config);
  const blockedByGitHub = Boolean(pr.mergeBlockedByGitHub) && mergeBlocksPolicyFor(config, org, repo) === 'block';
  const failing = contextPolicy ? failingContexts(contextPolicy, pr.contexts) : [];
  const evaluations: QueryEvaluation[] = [];
  (tide.queries ?? []).forEach((query, index) => {
    if (!queryCoversRepo(query, org, repo)) return;
    const { misses } = matchQuery(query, pr, org, repo, branch);
    evaluations.push({
      index,
      query,
      misses,
      failingContexts: failing,
      blockedByGitHub,
      distance: distanceOf(misses, failing, blockedByGitHub),
      reasons: describeMisses(misses, failing, blockedByGitHub, branch, false),
    });
  });
  if (evaluations.some((evaluation) => evaluation.distance === 0)) return { matched: true, evaluations };

  const statusSentence = (evaluation: QueryEvaluation) =>
    describeMisses(evaluation.misses, evaluation.failingContexts, evaluation.blockedByGitHub, branch, true)[0] ?? '';
  let closest: QueryEvaluation | undefined;
  for (const evaluation of evaluations) if (!closest || evaluation.distance < closest.distance) closest = evaluation;
  let detail: string;
  if (tide.display_all_tide_queries_in_status) {
    const sentences = evaluations.filter((evaluation) => evaluation.distance < BRANCH_DISTANCE).map(statusSentence);
    detail =
      sentences.length > 0
        ? sentences.map((sentence, index) => (index < sentences.length - 1 ? `${sentence.replace(/\.$/, '')} OR` : sentence)).join(' ')
        : `No Tide query for branch ${branch} found.`;
  } else {
    detail = closest ? statusSentence(closest) : '';
  }
  return {
    matched: false,
    description: notMergeable(detail || undefined),
    ...(closest ? { closest } : {}),
    evaluations,
  };
}

/**
 * Prow's `TideQuery.Query()`: the GitHub search for the query's open, unarchived PRs. Scope
 * qualifiers come last, grouped by org (orgs in the order the query names them).
 */
export function searchQueryFor(query: TideQuery): string {
  const { scope, filters } = searchParts(query);
  return [filters, ...[...scope.values()].flat()].join(' ');
}

/**
 * Prow's `TideQuery.OrgQueries()`: the same search split into one per org, which a GitHub App
 * needs (each org is searched with its own installation).
 */
export function orgSearchQueriesFor(query: TideQuery): Record<string, string> {
  const { scope, filters } = searchParts(query);
  return Object.fromEntries([...scope].map(([org, qualifiers]) => [org, `${filters} ${qualifiers.join(' ')}`]));
}

function searchParts(query: TideQuery): { scope: Map<string, string[]>; filters: string } {
  const scope = new Map<string, string[]>();
  const qualifiersOf = (org: string) => {
    let qualifiers = scope.get(org);
    if (!qualifiers) scope.set(org, (qualifiers = []));
    return qualifiers;
  };
  for (const org of query.orgs ?? []) if (!scope.has(org)) qualifiersOf(org).push(`org:"${org}"`);
  // GitHub ignores a malformed repo qualifier, and so does Prow: it is left out.
  const orgOf = (fullName: string) => {
    const parts = fullName.split('/');
    return parts.length === 2 ? parts[0]! : undefined;
  };
  for (const repo of query.repos ?? []) {
    const org = orgOf(repo);
    if (org !== undefined) qualifiersOf(org).push(`repo:"${repo}"`);
  }
  for (const repo of query.excludedRepos ?? []) {
    const org = orgOf(repo);
    if (org !== undefined) qualifiersOf(org).push(`-repo:"${repo}"`);
  }
  const filters = ['is:pr', 'state:open', 'archived:false'];
  if (query.author) filters.push(`author:"${query.author}"`);
  for (const branch of query.excludedBranches ?? []) filters.push(`-base:"${branch}"`);
  for (const branch of query.includedBranches ?? []) filters.push(`base:"${branch}"`);
  for (const label of query.labels ?? []) {
    filters.push(`label:${label.split(',').map((alternative) => `"${alternative}"`).join(',')}`);
  }
  for (const label of query.missingLabels ?? []) filters.push(`-label:"${label}"`);
  if (query.milestone) filters.push(`milestone:"${query.milestone}"`);
  if (query.reviewApprovedRequired) filters.push('review:approved');
  return { scope, filters: filters.join(' ') };
}

// ─── Merge method ──────────────────────────────────────────────────────────────────────────────

const branchRegexps = new Map<string, GoRegexp>();
function branchRegexp(pattern: string): GoRegexp {
  let regexp = branchRegexps.get(pattern);
  if (!regexp) branchRegexps.set(pattern, (regexp = compileGoRegexp(pattern)));
  return regexp;
}

/**
 * Prow's `OrgRepoBranchMergeMethod`, most specific first: `org/repo@branch`, then the first branch
 * regex (in key order, matched anywhere in the name) under `org: {repo: …}` (or the org's `*`
 * repo), then `org/repo`, then `org: {repo: method}`, then `org: method`, else merge.
 */
export function configuredMergeMethod(config: Config, org: string, repo: string, branch: string): MergeMethod {
  const methods = tideConfig(config).merge_method ?? {};
  const asMethod = (value: unknown) => (typeof value === 'string' && value !== '' ? (value as MergeMethod) : undefined);
  const orgEntry = methods[org];
  const repos = typeof orgEntry === 'object' ? orgEntry : undefined;
  const repoEntry = repos?.[repo] ?? repos?.['*'];

  const shorthandWithBranch = branch ? asMethod(methods[`${org}/${repo}@${branch}`]) : undefined;
  if (shorthandWithBranch) return shorthandWithBranch;
  if (typeof repoEntry === 'object') {
    for (const pattern of Object.keys(repoEntry).sort()) {
      if (branchRegexp(pattern).test(branch)) return repoEntry[pattern] as MergeMethod;
    }
  }
  return asMethod(methods[`${org}/${repo}`]) ?? asMethod(repoEntry) ?? asMethod(orgEntry) ?? 'merge';
}

export type MergeMethodResolution = { method: MergeMethod } | { problem: string };

/**
 * Prow's `prMergeMethod`: the configured method, unless the PR carries `squash_label`,
 * `rebase_label` or `merge_label`; carrying two of them is a problem (Prow keeps such a PR out of
 * the pool, with this status).
 */
export function mergeMethodFor(
  config: Config,
  org: string,
  repo: string,
  branch: string,
  labels: readonly string[],
): MergeMethodResolution {
  const tide = tideConfig(config);
  let method = configuredMergeMethod(config, org, repo, branch);
  const byLabel: [string | undefined, MergeMethod][] = [
    [tide.squash_label, 'squash'],
    [tide.rebase_label, 'rebase'],
    [tide.merge_label, 'merge'],
  ];
  let overrides = 0;
  for (const label of labels) {
    if (label === '') continue;
    const override = byLabel.find(([name]) => name === label);
    if (!override) continue;
    method = override[1];
    if (++overrides > 1) return { problem: 'PR has conflicting merge method override labels' };
  }
  return { method };
}

/** Prow's `MergeCommitTemplate`: the `org/repo` entry, else the org's (Go templates, unrendered). */
export function mergeCommitTemplateFor(config: Config, org: string, repo: string): TideMergeCommitTemplate {
  const templates = tideConfig(config).merge_commit_template ?? {};
  return templates[`${org}/${repo}`] ?? templates[org] ?? {};
}

// ─── Context policy ────────────────────────────────────────────────────────────────────────────

/**
 * Prow's `GetTideContextPolicy`: `context_options` merged for the branch (global, org, repo,
 * branch), the required contexts of `branch-protection` when `from-branch-protection` is set, and
 * the contexts of the branch's presubmits (required, required if present, or optional).
 * `requiredJobContexts` are contexts the caller knows this PR needs (Prow's status controller adds
 * the PR's required jobs the same way).
 */
export function contextPolicyFor(
  config: Config,
  org: string,
  repo: string,
  branch: string,
  requiredJobContexts: readonly string[] = [],
): ContextPolicy {
  const options = contextOptionsFor(tideConfig(config).context_options, org, repo, branch);
  const required = new Set(options['required-contexts'] ?? []);
  const requiredIfPresent = new Set(options['required-if-present-contexts'] ?? []);
  const optional = new Set(options['optional-contexts'] ?? []);
  const presubmits = config.presubmits.get(`${org}/${repo}`) ?? [];
  let requireManuallyTriggeredJobs = false;
  if (options['from-branch-protection']) {
    const protection = protectionPolicyFor(config, org, repo, branch, presubmits);
    requireManuallyTriggeredJobs = protection?.require_manually_triggered_jobs === true;
    if (protection?.protect === true) for (const context of protection.required_status_checks?.contexts ?? []) required.add(context);
  }
  const jobs = branchRequirements(branch, presubmits, requireManuallyTriggeredJobs);
  for (const context of [...jobs.required, ...requiredJobContexts]) required.add(context);
  for (const context of jobs.requiredIfPresent) requiredIfPresent.add(context);
  for (const context of jobs.optional) optional.add(context);
  const patterns = options['optional-regex-contexts'] ?? [];
  return {
    requiredContexts: [...required].sort(),
    requiredIfPresentContexts: [...requiredIfPresent].sort(),
    optionalContexts: [...optional].sort(),
    skipUnknownContexts: options['skip-unknown-contexts'] ?? false,
    ...(patterns.length > 0 ? { optionalContextPatterns: [...patterns] } : {}),
  };
}

/** Prow's `overwrite-pending-contexts` for the branch: mark pending contexts passed when a batch containing the PR passed. */
export function overwritePendingContextsFor(config: Config, org: string, repo: string, branch: string): boolean {
  return contextOptionsFor(tideConfig(config).context_options, org, repo, branch)['overwrite-pending-contexts'] ?? false;
}

/** Prow's `IsOptional` for a policy (shared/tide/contexts.ts, which the pool's filter uses too). */
export function isContextOptional(policy: ContextPolicy, context: string): boolean {
  return contextCheckerFor(policy).isOptional(context);
}

/**
 * Prow's `unsuccessfulContexts` as names: the head's contexts that count and are not passing
 * (pending included), and the required contexts the head does not have at all; sorted, each once.
 */
export function failingContexts(policy: ContextPolicy, contexts: readonly HeadContext[]): string[] {
  return [...new Set(unsuccessfulContexts(contexts, contextCheckerFor(policy)).map((context) => context.context))].sort();
}

/**
 * Prow's checkconfig `tide-context-policy` check: the policy of every branch the config names for
 * a repo (in its presubmits, branch-protection or context_options; `master` when it names none)
 * must not list a context as two kinds at once.
 */
export function contextPolicyProblemsFor(config: Config): { org: string; repo: string; branch: string; message: string }[] {
  const branchesByRepo = new Map<string, Set<string>>();
  const add = (fullName: string, branches: Iterable<string>) => {
    let known = branchesByRepo.get(fullName);
    if (!known) branchesByRepo.set(fullName, (known = new Set()));
    for (const branch of branches) known.add(branch);
  };
  for (const [fullName, jobs] of config.presubmits) add(fullName, jobs.flatMap((job) => job.branches ?? []));
  for (const [org, orgEntry] of Object.entries(branchProtectionOf(config)?.orgs ?? {})) {
    for (const [repo, repoEntry] of Object.entries(orgEntry?.repos ?? {})) add(`${org}/${repo}`, Object.keys(repoEntry?.branches ?? {}));
  }
  for (const [org, orgEntry] of Object.entries(tideConfig(config).context_options?.orgs ?? {})) {
    for (const [repo, repoEntry] of Object.entries(orgEntry.repos ?? {})) add(`${org}/${repo}`, Object.keys(repoEntry.branches ?? {}));
  }
  const problems: { org: string; repo: string; branch: string; message: string }[] = [];
  for (const [fullName, branches] of [...branchesByRepo].sort(([a], [b]) => a.localeCompare(b))) {
    const parts = fullName.split('/');
    if (parts.length !== 2) continue;
    const [org, repo] = parts as [string, string];
    for (const branch of branches.size > 0 ? [...branches].sort() : ['master']) {
      const policy = contextPolicyFor(config, org, repo, branch);
      const found = contextPolicyProblems({
        'required-contexts': policy.requiredContexts,
        'required-if-present-contexts': policy.requiredIfPresentContexts,
        'optional-contexts': policy.optionalContexts,
        'optional-regex-contexts': policy.optionalContextPatterns ?? [],
      });
      for (const { message } of found) problems.push({ org, repo, branch, message });
    }
  }
  return problems;
}

// ─── Pool settings ─────────────────────────────────────────────────────────────────────────────

/** Prow's lookup for its per-repo maps: the `org/repo` entry, else the org's, else `*`. */
function byRepo<T>(map: Record<string, T> | undefined, org: string, repo: string): T | undefined {
  return map?.[`${org}/${repo}`] ?? map?.[org] ?? map?.['*'];
}

/** Prow's `BatchSizeLimit`: 0 (the default) means no limit; a negative number disables batches. */
export function batchSizeLimitFor(config: Config, org: string, repo: string): number {
  return byRepo(tideConfig(config).batch_size_limit, org, repo) ?? 0;
}

/** Prow's `PrioritizeExistingBatches` (default true): keep testing a batch rather than start a bigger one. */
export function prioritizeExistingBatchesFor(config: Config, org: string, repo: string): boolean {
  return byRepo(tideConfig(config).prioritize_existing_batches, org, repo) ?? true;
}

/** Prow's `GitHubMergeBlocksPolicy` (default `permit`): what to do with a PR GitHub reports BLOCKED. */
export function mergeBlocksPolicyFor(config: Config, org: string, repo: string): GitHubMergeBlocksPolicy {
  return (byRepo(tideConfig(config).github_merge_blocks_policy, org, repo) as GitHubMergeBlocksPolicy | undefined) ?? 'permit';
}

/** Prow's `priority`: label sets, best first; a PR has the priority of the first set it has all of. */
export function priorityFor(config: Config): { labels: string[] }[] {
  return (tideConfig(config).priority ?? []).map((entry) => ({ labels: [...(entry.labels ?? [])] }));
}

/** The label of issues that block merging, or undefined when the feature is off. */
export function blockerLabel(config: Config): string | undefined {
  return tideConfig(config).blocker_label || undefined;
}

/** How often the pool syncs (Prow's `sync_period`, default 1m). */
export function syncPeriodMs(config: Config): number {
  // The loader has refused unparsable and non-positive periods.
  const period = tideConfig(config).sync_period;
  return period === undefined ? DEFAULT_SYNC_PERIOD_MS : parseGoDurationValue(period);
}

/** How often `tide` statuses are refreshed (Prow's `status_update_period`, default the sync period). */
export function statusUpdatePeriodMs(config: Config): number {
  const period = tideConfig(config).status_update_period;
  return period === undefined ? syncPeriodMs(config) : parseGoDurationValue(period);
}

/** Prow's `max_goroutines` (default 20): how many pools one sync works on at once. */
export function maxGoroutines(config: Config): number {
  return tideConfig(config).max_goroutines || DEFAULT_MAX_GOROUTINES;
}

/**
 * Cutwater's `pool_policy`: the most specific of `org/repo@branch`, `org/repo`, `org` and `*`;
 * Prow's algorithm (`tide`) when none is set, so a migrated config behaves as it did.
 */
export function poolPolicyFor(config: Config, org: string, repo: string, branch: string): PoolPolicyName {
  const policies = tideConfig(config).pool_policy ?? {};
  const chosen = policies[`${org}/${repo}@${branch}`] ?? byRepo(policies, org, repo);
  return chosen === 'queue' ? 'queue' : 'tide';
}

/** What one pool's decision needs from config (model.ts `PoolSettings`). */
export function poolSettingsFor(config: Config, key: PoolKey): PoolSettings {
  return {
    batchSizeLimit: batchSizeLimitFor(config, key.org, key.repo),
    priority: priorityFor(config),
    policy: poolPolicyFor(config, key.org, key.repo, key.branch),
  };
}

/** Prow's `GetTargetURL`: the link of the `tide` status, by repo, org or `*` (`target_url` is `*`). */
export function targetUrlFor(config: Config, org: string, repo: string): string | undefined {
  const tide = tideConfig(config);
  return byRepo({ ...(tide.target_url ? { '*': tide.target_url } : {}), ...tide.target_urls }, org, repo) || undefined;
}

/** Prow's `GetPRStatusBaseURL`: the PR dashboard the status links to when no target URL is set. */
export function prStatusBaseUrlFor(config: Config, org: string, repo: string): string | undefined {
  const tide = tideConfig(config);
  return byRepo({ ...(tide.pr_status_base_url ? { '*': tide.pr_status_base_url } : {}), ...tide.pr_status_base_urls }, org, repo) || undefined;
}

/** One line for `cutwater checkconfig`: what Tide will do with this config. */
export function tideSummary(config: Config): string | undefined {
  const tide = tideConfig(config);
  const queries = tide.queries ?? [];
  if (queries.length === 0) return undefined;
  const orgs = new Set(queries.flatMap((query) => query.orgs ?? []));
  const repos = new Set(queries.flatMap((query) => query.repos ?? []));
  const queuePools = Object.values(tide.pool_policy ?? {}).filter((policy) => policy === 'queue').length;
  const parts = [
    `tide: ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'} over ${orgs.size} org${orgs.size === 1 ? '' : 's'} and ${repos.size} repo${repos.size === 1 ? '' : 's'}`,
    `${Object.keys(tide.merge_method ?? {}).length} merge_method entries`,
    `${Object.keys(tide.batch_size_limit ?? {}).length} batch_size_limit entries`,
    `${(tide.priority ?? []).length} priority levels`,
    `sync every ${formatGoDuration(syncPeriodMs(config))}`,
    queuePools > 0 ? `queue policy on ${queuePools} pool setting${queuePools === 1 ? '' : 's'}` : "Prow's algorithm everywhere",
  ];
  return parts.join(', ');
}
