import { z } from 'zod';
import { GoDurationError, parseGoDurationValue } from '../go/duration';
import { compileGoRegexp, GoRegexpSyntaxError } from '../go/regexp';
import { GoTemplateError, parseGoTemplate } from '../go/template';
import { GoDurationValue } from '../prowjob/schema';
import type { YamlPath } from './yaml-source';

/**
 * Prow's `tide:` section of config.yaml (pkg/config/tide.go `Tide`, `TideGitHubConfig`), field by
 * field, with the checks Prow makes while loading it (config.go `validateComponentConfig`,
 * `parseTideMergeType`, `TideQuery.Validate`) and `TideContextPolicy.Validate`, which Prow only
 * runs when a sync asks for a branch's policy and which we run on every level of
 * `context_options` up front. Resolving the section for one pool lives in shared/tide/config.ts;
 * this file stays below it so the loader can check the section without importing the merge pool.
 *
 * One field is Cutwater's own: `pool_policy`, which chooses the algorithm per org, repo or branch.
 */

const StringList = z.array(z.string());

/** Prow's `TideQuery`: one GitHub search; a PR it finds is ready to merge as far as labels go. */
export const TideQuerySchema = z.object({
  author: z.string().optional(),
  /** Each entry is required; "a,b" means a or b. */
  labels: StringList.optional(),
  missingLabels: StringList.optional(),
  excludedBranches: StringList.optional(),
  includedBranches: StringList.optional(),
  milestone: z.string().optional(),
  reviewApprovedRequired: z.boolean().optional(),
  orgs: StringList.optional(),
  repos: StringList.optional(),
  excludedRepos: StringList.optional(),
});
export type TideQuery = z.infer<typeof TideQuerySchema>;

/** Prow's `TideContextPolicy`: which status contexts decide whether a PR may merge. */
export const TideContextPolicySchema = z.object({
  'skip-unknown-contexts': z.boolean().optional(),
  'required-contexts': StringList.optional(),
  'required-if-present-contexts': StringList.optional(),
  'optional-contexts': StringList.optional(),
  /** Go regular expressions: a context matching one is optional. */
  'optional-regex-contexts': StringList.optional(),
  'from-branch-protection': z.boolean().optional(),
  'overwrite-pending-contexts': z.boolean().optional(),
});
export type TideContextPolicy = z.infer<typeof TideContextPolicySchema>;

const TideRepoContextPolicySchema = TideContextPolicySchema.extend({
  branches: z.record(z.string(), TideContextPolicySchema).optional(),
});
const TideOrgContextPolicySchema = TideContextPolicySchema.extend({
  repos: z.record(z.string(), TideRepoContextPolicySchema).optional(),
});
export const TideContextPolicyOptionsSchema = TideContextPolicySchema.extend({
  orgs: z.record(z.string(), TideOrgContextPolicySchema).optional(),
});
export type TideContextPolicyOptions = z.infer<typeof TideContextPolicyOptionsSchema>;

/**
 * `merge_method` values take Prow's three forms (`TideOrgMergeType`, `TideRepoMergeType`):
 * `org: squash`, `org: {repo: squash}`, `org: {repo: {branch-regex: squash}}`; a key may also be
 * the shorthand `org/repo` or `org/repo@branch` with a method. Methods are checked by
 * `tideProblems`, so that a bad one is reported with its line and what to write instead.
 */
const RepoMergeMethodSchema = z.union([z.string(), z.record(z.string(), z.string())]);
export const OrgMergeMethodSchema = z.union([z.string(), z.record(z.string(), RepoMergeMethodSchema)]);
export type OrgMergeMethod = z.infer<typeof OrgMergeMethodSchema>;

export const MERGE_METHODS = ['merge', 'squash', 'rebase'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

/** Go templates for the merge commit's title and body, executed against the PR. */
export const TideMergeCommitTemplateSchema = z.object({
  title: z.string().optional(),
  body: z.string().optional(),
});
export type TideMergeCommitTemplate = z.infer<typeof TideMergeCommitTemplateSchema>;

export const TidePrioritySchema = z.object({ labels: StringList.optional() });

export const GITHUB_MERGE_BLOCKS_POLICIES = ['ignore', 'permit', 'block'] as const;
export type GitHubMergeBlocksPolicy = (typeof GITHUB_MERGE_BLOCKS_POLICIES)[number];

/** Cutwater's extension: `tide` (Prow's algorithm, the default) or `queue` (Cutwater's pool). */
export const POOL_POLICIES = ['tide', 'queue'] as const;

export const TideConfigSchema = z.object({
  // Tide's Gerrit provider: accepted so a config that has it loads; Cutwater merges on GitHub only.
  gerrit: z
    .object({ queries: z.array(z.looseObject({})).optional(), ratelimit: z.number().int().optional() })
    .optional(),
  sync_period: GoDurationValue.optional(),
  status_update_period: GoDurationValue.optional(),
  max_goroutines: z.number().int().optional(),
  /** "org", "org/repo" or "*" → the largest batch; 0 means no limit, negative disables batches. */
  batch_size_limit: z.record(z.string(), z.number().int()).optional(),
  prioritize_existing_batches: z.record(z.string(), z.boolean()).optional(),
  github_merge_blocks_policy: z.record(z.string(), z.string()).optional(),
  queries: z.array(TideQuerySchema).optional(),
  merge_method: z.record(z.string(), OrgMergeMethodSchema).optional(),
  merge_commit_template: z.record(z.string(), TideMergeCommitTemplateSchema).optional(),
  target_url: z.string().optional(),
  target_urls: z.record(z.string(), z.string()).optional(),
  pr_status_base_url: z.string().optional(),
  pr_status_base_urls: z.record(z.string(), z.string()).optional(),
  blocker_label: z.string().optional(),
  squash_label: z.string().optional(),
  rebase_label: z.string().optional(),
  merge_label: z.string().optional(),
  context_options: TideContextPolicyOptionsSchema.optional(),
  priority: z.array(TidePrioritySchema).optional(),
  display_all_tide_queries_in_status: z.boolean().optional(),
  /** "org", "org/repo", "org/repo@branch" or "*" → `tide` or `queue`; the most specific key wins. */
  pool_policy: z.record(z.string(), z.string()).optional(),
});
export type TideConfig = z.infer<typeof TideConfigSchema>;

/**
 * Prow's `mergeTideContextPolicy`: a child's booleans override its parent's when set; its lists
 * add to the parent's (as sorted sets, as Prow keeps them).
 */
export function mergeContextPolicies(parent: TideContextPolicy, child: TideContextPolicy): TideContextPolicy {
  const merged: TideContextPolicy = {};
  for (const key of ['from-branch-protection', 'skip-unknown-contexts', 'overwrite-pending-contexts'] as const) {
    const value = child[key] ?? parent[key];
    if (value !== undefined) merged[key] = value;
  }
  for (const key of [
    'required-contexts',
    'required-if-present-contexts',
    'optional-contexts',
    'optional-regex-contexts',
  ] as const) {
    const union = [...new Set([...(parent[key] ?? []), ...(child[key] ?? [])])].sort();
    if (union.length > 0) merged[key] = union;
  }
  return merged;
}

/** The policy fields of an org, repo or branch entry, without the nested entries. */
function ownPolicy(entry: TideContextPolicy & { orgs?: unknown; repos?: unknown; branches?: unknown }): TideContextPolicy {
  const { orgs: _orgs, repos: _repos, branches: _branches, ...policy } = entry;
  return policy;
}

/**
 * Prow's `ParseTideContextPolicyOptions`: the global policy, merged with the org's, the repo's and
 * the branch's entries where they exist (a branch entry counts only under its repo's, and a repo's
 * only under its org's).
 */
export function contextOptionsFor(
  options: TideContextPolicyOptions | undefined,
  org: string,
  repo: string,
  branch: string,
): TideContextPolicy {
  let policy = ownPolicy(options ?? {});
  const orgEntry = options?.orgs?.[org];
  if (!orgEntry) return policy;
  policy = mergeContextPolicies(policy, ownPolicy(orgEntry));
  const repoEntry = orgEntry.repos?.[repo];
  if (!repoEntry) return policy;
  policy = mergeContextPolicies(policy, ownPolicy(repoEntry));
  const branchEntry = repoEntry.branches?.[branch];
  return branchEntry ? mergeContextPolicies(policy, branchEntry) : policy;
}

/** A contradiction in a context policy, and the lists it involves (for pointing at one). */
export interface ContextPolicyProblem {
  readonly fields: readonly (keyof TideContextPolicy)[];
  readonly message: string;
}

/**
 * Prow's `TideContextPolicy.Validate`: a context listed as two kinds at once, and an optional
 * regex that does not compile or that would make a required context optional.
 */
export function contextPolicyProblems(policy: TideContextPolicy): ContextPolicyProblem[] {
  const problems: ContextPolicyProblem[] = [];
  const required = policy['required-contexts'] ?? [];
  const requiredIfPresent = policy['required-if-present-contexts'] ?? [];
  const optional = policy['optional-contexts'] ?? [];
  const both = (a: readonly string[], b: readonly string[]) => [...new Set(a.filter((context) => b.includes(context)))].sort();
  for (const [a, b, fields, kinds] of [
    [required, optional, ['optional-contexts', 'required-contexts'], 'required and optional'],
    [required, requiredIfPresent, ['required-if-present-contexts', 'required-contexts'], 'required and required-if-present'],
    [optional, requiredIfPresent, ['optional-contexts', 'required-if-present-contexts'], 'optional and required-if-present'],
  ] as const) {
    const overlap = both(a, b);
    if (overlap.length > 0) problems.push({ fields, message: `contexts ${quoteList(overlap)} are listed as ${kinds}: keep each in one list` });
  }
  for (const pattern of policy['optional-regex-contexts'] ?? []) {
    let regexp;
    try {
      regexp = compileGoRegexp(pattern);
    } catch (error) {
      problems.push({ fields: ['optional-regex-contexts'], message: error instanceof GoRegexpSyntaxError ? error.message : String(error) });
      continue;
    }
    const shadowed = [...required, ...requiredIfPresent].filter((context) => regexp.test(context));
    if (shadowed.length > 0) {
      problems.push({
        fields: ['optional-regex-contexts', 'required-contexts', 'required-if-present-contexts'],
        message: `optional regex '${pattern}' matches required context${shadowed.length === 1 ? '' : 's'} ${quoteList(shadowed)}: narrow the regex`,
      });
    }
  }
  return problems;
}

/** A problem inside the `tide:` section; `path` is relative to the section. */
export interface TideProblem {
  readonly path: YamlPath;
  readonly message: string;
}

/** Every check Prow makes on the section while loading it, plus checks of Cutwater's own field. */
export function tideProblems(tide: TideConfig): TideProblem[] {
  const problems: TideProblem[] = [];
  const report = (path: YamlPath, message: string) => problems.push({ path, message });

  if (tide.max_goroutines !== undefined && tide.max_goroutines < 0) {
    report(['max_goroutines'], `${tide.max_goroutines} is not a positive number (leave it out for Prow's 20)`);
  }
  for (const key of ['sync_period', 'status_update_period'] as const) {
    const problem = durationProblem(tide[key]);
    if (problem) report([key], problem);
  }
  if (tide.target_url && Object.keys(tide.target_urls ?? {}).length > 0) {
    report(['target_url'], 'target_url and target_urls are mutually exclusive: put the URL in target_urls under "*"');
  }
  const statusBaseUrls = Object.keys(tide.pr_status_base_urls ?? {});
  if (tide.pr_status_base_url && statusBaseUrls.length > 0) {
    report(['pr_status_base_url'], 'pr_status_base_url and pr_status_base_urls are both set: put the URL in pr_status_base_urls under "*"');
  } else if (statusBaseUrls.length > 0 && !statusBaseUrls.includes('*')) {
    report(['pr_status_base_urls'], 'pr_status_base_urls needs a default entry "*"');
  }

  checkMergeMethods(tide.merge_method ?? {}, report);
  for (const [key, templates] of Object.entries(tide.merge_commit_template ?? {})) {
    for (const part of ['title', 'body'] as const) {
      const source = templates[part];
      if (!source) continue;
      try {
        parseGoTemplate(source);
      } catch (error) {
        const reason = error instanceof GoTemplateError ? error.message : String(error);
        report(['merge_commit_template', key, part], `cannot parse the commit ${part} template: ${reason}`);
      }
    }
  }
  (tide.queries ?? []).forEach((query, index) => {
    for (const problem of queryProblems(query)) report(['queries', index, ...problem.path], problem.message);
  });
  for (const [key, policy] of Object.entries(tide.github_merge_blocks_policy ?? {})) {
    if (!(GITHUB_MERGE_BLOCKS_POLICIES as readonly string[]).includes(policy)) {
      report(['github_merge_blocks_policy', key], `"${policy}" is not a policy: use ignore, permit or block`);
    }
  }
  checkContextOptions(tide.context_options, report);
  checkMergeLabels(tide, report);
  for (const [key, policy] of Object.entries(tide.pool_policy ?? {})) {
    if (!POOL_KEY.test(key)) {
      report(['pool_policy', key], `"${key}" is not a pool: use "org", "org/repo", "org/repo@branch" or "*"`);
    }
    if (!(POOL_POLICIES as readonly string[]).includes(policy)) {
      report(['pool_policy', key], `"${policy}" is not a pool policy: use tide (Prow's algorithm) or queue`);
    }
  }
  return problems;
}

const POOL_KEY = /^(\*|[^/@\s]+(\/[^/@\s]+(@\S+)?)?)$/;

function durationProblem(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseGoDurationValue(value);
  } catch (error) {
    return error instanceof GoDurationError ? error.message : String(error);
  }
  // Prow hands the period to a Go ticker, which refuses anything but a positive duration.
  return ms > 0 ? undefined : `${String(value)} must be a positive duration such as 1m`;
}

function isMergeMethod(value: string): value is MergeMethod {
  return (MERGE_METHODS as readonly string[]).includes(value);
}

/** Prow's `parseTideMergeType`: every method one of three, every branch key a valid regex. */
function checkMergeMethods(methods: Record<string, OrgMergeMethod>, report: (path: YamlPath, message: string) => void): void {
  const checkMethod = (path: YamlPath, method: string) => {
    if (!isMergeMethod(method)) report(path, `"${method}" is not a merge method: use merge, squash or rebase`);
  };
  for (const [org, orgEntry] of Object.entries(methods)) {
    if (typeof orgEntry === 'string') {
      checkMethod(['merge_method', org], orgEntry);
      continue;
    }
    for (const [repo, repoEntry] of Object.entries(orgEntry)) {
      if (typeof repoEntry === 'string') {
        checkMethod(['merge_method', org, repo], repoEntry);
        continue;
      }
      for (const [branch, method] of Object.entries(repoEntry)) {
        const path = ['merge_method', org, repo, branch];
        try {
          compileGoRegexp(branch);
        } catch (error) {
          report(path, `branch ${error instanceof GoRegexpSyntaxError ? error.message : String(error)}`);
        }
        checkMethod(path, method);
      }
    }
  }
}

/** Prow's `TideQuery.Validate`, reporting every problem of a query rather than its first. */
function queryProblems(query: TideQuery): TideProblem[] {
  const problems: TideProblem[] = [];
  const report = (path: YamlPath, message: string) => problems.push({ path, message });
  const reportDuplicates = (field: keyof TideQuery, list: readonly string[] | undefined) => {
    const seen = new Set<string>();
    (list ?? []).forEach((entry, index) => {
      if (seen.has(entry)) report([field, index], `${field} lists "${entry}" more than once`);
      seen.add(entry);
    });
  };

  const orgs = query.orgs ?? [];
  orgs.forEach((org, index) => {
    if (org === '') report(['orgs', index], 'an org cannot be empty');
    else if (org.includes('/')) report(['orgs', index], `"${org}" is not an org name: list org/repo entries under repos`);
  });
  reportDuplicates('orgs', query.orgs);

  const isOrgRepo = (entry: string) => {
    const parts = entry.split('/');
    return parts.length === 2 && parts[0] !== '' && parts[1] !== '';
  };
  (query.repos ?? []).forEach((repo, index) => {
    if (!isOrgRepo(repo)) report(['repos', index], `"${repo}" is not of the form org/repo`);
    else if (orgs.includes(repo.split('/')[0]!)) {
      report(['repos', index], `"${repo}" is already included through org "${repo.split('/')[0]}"`);
    }
  });
  reportDuplicates('repos', query.repos);
  if (orgs.length === 0 && (query.repos ?? []).length === 0) report([], 'a query needs orgs or repos to search in');

  (query.excludedRepos ?? []).forEach((repo, index) => {
    if (!isOrgRepo(repo)) report(['excludedRepos', index], `"${repo}" is not of the form org/repo`);
    else if (!orgs.includes(repo.split('/')[0]!)) {
      report(['excludedRepos', index], `"${repo}" has no effect: org "${repo.split('/')[0]}" is not in this query's orgs`);
    }
  });
  reportDuplicates('excludedRepos', query.excludedRepos);

  const forbidden = new Set(query.missingLabels ?? []);
  const contradictory = [...new Set((query.labels ?? []).filter((label) => forbidden.has(label)))].sort();
  if (contradictory.length > 0) {
    report(['labels'], `labels ${quoteList(contradictory)} are both required (labels) and forbidden (missingLabels)`);
  }
  reportDuplicates('labels', query.labels);
  reportDuplicates('missingLabels', query.missingLabels);

  if ((query.excludedBranches ?? []).length > 0 && (query.includedBranches ?? []).length > 0) {
    report(['excludedBranches'], 'includedBranches and excludedBranches are both set, so excludedBranches has no effect: keep one');
  }
  reportDuplicates('includedBranches', query.includedBranches);
  reportDuplicates('excludedBranches', query.excludedBranches);
  return problems;
}

/**
 * Each level of `context_options` as Prow would merge it for a pool there, so that a contradiction
 * is reported where it is written, once, rather than at the first sync that reaches it.
 */
function checkContextOptions(options: TideContextPolicyOptions | undefined, report: (path: YamlPath, message: string) => void): void {
  if (!options) return;
  /** Reports what this level adds to its parent's problems, at the list this level sets, if any. */
  const checkLevel = (path: YamlPath, own: TideContextPolicy, policy: TideContextPolicy, parentProblems: readonly string[]): string[] => {
    const found = contextPolicyProblems(policy);
    for (const problem of found) {
      if (parentProblems.includes(problem.message)) continue;
      const field = problem.fields.find((candidate) => own[candidate] !== undefined);
      report(field ? [...path, field] : path, problem.message);
    }
    return found.map((problem) => problem.message);
  };
  const global = ownPolicy(options);
  const globalProblems = checkLevel(['context_options'], global, global, []);
  for (const [org, orgEntry] of Object.entries(options.orgs ?? {})) {
    const orgPolicy = mergeContextPolicies(global, ownPolicy(orgEntry));
    const orgPath = ['context_options', 'orgs', org];
    const orgProblems = checkLevel(orgPath, orgEntry, orgPolicy, globalProblems);
    for (const [repo, repoEntry] of Object.entries(orgEntry.repos ?? {})) {
      const repoPolicy = mergeContextPolicies(orgPolicy, ownPolicy(repoEntry));
      const repoPath = [...orgPath, 'repos', repo];
      const repoProblems = checkLevel(repoPath, repoEntry, repoPolicy, orgProblems);
      for (const [branch, branchEntry] of Object.entries(repoEntry.branches ?? {})) {
        checkLevel([...repoPath, 'branches', branch], branchEntry, mergeContextPolicies(repoPolicy, branchEntry), repoProblems);
      }
    }
  }
}

/**
 * Two of squash_label, rebase_label and merge_label with one name: Prow takes the first that
 * matches, so the other setting silently never applies.
 */
function checkMergeLabels(tide: TideConfig, report: (path: YamlPath, message: string) => void): void {
  const seen = new Map<string, string>();
  for (const key of ['squash_label', 'rebase_label', 'merge_label'] as const) {
    const label = tide[key];
    if (!label) continue;
    const earlier = seen.get(label);
    if (earlier) report([key], `${earlier} and ${key} are both "${label}": a PR with that label could not say which merge method it wants`);
    else seen.set(label, key);
  }
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}
