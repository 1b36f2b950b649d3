import { z } from 'zod';
import { runsAgainstBranch } from '../config/branches';
import type { Config, Presubmit } from '../config/model';
import { contextRequired, needsExplicitTrigger, triggersConditionally } from '../jobs/should-run';

/**
 * Prow's `branch-protection:` section (pkg/config/branch_protection.go): its schema, the merge of
 * a child's policy into its parent's (global → org → repo → branch) and the policy of one branch
 * once the required contexts of its presubmits are added. Tide reads it for its context policy
 * (`from-branch-protection`), `cutwater branchprotector` to write it to GitHub; both through here.
 */

const LoginsSchema = z.array(z.string());
const PeopleSchema = z.looseObject({ users: LoginsSchema.optional(), teams: LoginsSchema.optional() });
const RestrictionsSchema = z.looseObject({ apps: LoginsSchema.optional(), users: LoginsSchema.optional(), teams: LoginsSchema.optional() });
const ReviewPolicySchema = z.looseObject({
  dismissal_restrictions: PeopleSchema.optional(),
  dismiss_stale_reviews: z.boolean().optional(),
  require_code_owner_reviews: z.boolean().optional(),
  required_approving_review_count: z.number().int().min(0).optional(),
  bypass_pull_request_allowances: PeopleSchema.optional(),
});
const ContextPolicySchema = z.looseObject({ contexts: z.array(z.string()).optional(), strict: z.boolean().optional() });

const PolicyShape = {
  unmanaged: z.boolean().optional(),
  protect: z.boolean().optional(),
  required_status_checks: ContextPolicySchema.optional(),
  enforce_admins: z.boolean().optional(),
  restrictions: RestrictionsSchema.optional(),
  require_manually_triggered_jobs: z.boolean().optional(),
  required_pull_request_reviews: ReviewPolicySchema.optional(),
  required_linear_history: z.boolean().optional(),
  allow_force_pushes: z.boolean().optional(),
  allow_deletions: z.boolean().optional(),
  require_signed_commits: z.boolean().optional(),
  exclude: z.array(z.string()).optional(),
  include: z.array(z.string()).optional(),
};
const PolicySchema = z.looseObject(PolicyShape);
const RepoSchema = z.looseObject({ ...PolicyShape, branches: z.record(z.string(), PolicySchema.nullish()).optional() });
const OrgSchema = z.looseObject({ ...PolicyShape, repos: z.record(z.string(), RepoSchema.nullish()).optional() });
export const BranchProtectionSchema = z.looseObject({
  ...PolicyShape,
  orgs: z.record(z.string(), OrgSchema.nullish()).optional(),
  'protect-tested-repos': z.boolean().optional(),
  allow_disabled_policies: z.boolean().optional(),
  allow_disabled_job_policies: z.boolean().optional(),
  protect_repos_with_optional_jobs: z.boolean().optional(),
});

export type Policy = z.infer<typeof PolicySchema>;
export type BranchProtection = z.infer<typeof BranchProtectionSchema>;
export type OrgProtection = z.infer<typeof OrgSchema>;
export type RepoProtection = z.infer<typeof RepoSchema>;

/** Prow's `unionStrings`: unset lists inherit, set lists add up (sorted, each once). */
function union(parent: readonly string[] | undefined, child: readonly string[] | undefined): string[] | undefined {
  if (child === undefined) return parent === undefined ? undefined : [...parent];
  if (parent === undefined) return [...child];
  return [...new Set([...parent, ...child])].sort();
}

/** A nested object: the child's fields over the parent's, with `lists` added up. */
function mergeNested<T extends Record<string, unknown>>(parent: T | undefined, child: T | undefined, lists: readonly (keyof T)[]): T | undefined {
  if (child === undefined) return parent;
  if (parent === undefined) return child;
  const merged: Record<string, unknown> = { ...parent };
  for (const [key, value] of Object.entries(child)) if (value !== undefined && !lists.includes(key)) merged[key] = value;
  for (const key of lists) {
    const value = union(parent[key] as string[] | undefined, child[key] as string[] | undefined);
    if (value === undefined) delete merged[key as string];
    else merged[key as string] = value;
  }
  return merged as T;
}

const OVERRIDING_KEYS = [
  'unmanaged',
  'protect',
  'enforce_admins',
  'require_manually_triggered_jobs',
  'required_linear_history',
  'allow_force_pushes',
  'allow_deletions',
  'require_signed_commits',
] as const;

/**
 * Prow's `Policy.Apply`: a child's setting overrides its parent's; contexts, restrictions,
 * dismissal and bypass lists, `exclude` and `include` add up; review settings merge field by field.
 */
export function applyPolicy(parent: Policy, child: Policy): Policy {
  const merged: Policy = {};
  for (const key of OVERRIDING_KEYS) {
    const value = child[key] ?? parent[key];
    if (value !== undefined) merged[key] = value;
  }
  const checks = mergeNested(parent.required_status_checks, child.required_status_checks, ['contexts']);
  if (checks) merged.required_status_checks = checks;
  const restrictions = mergeNested(parent.restrictions, child.restrictions, ['apps', 'users', 'teams']);
  if (restrictions) merged.restrictions = restrictions;
  const parentReviews = parent.required_pull_request_reviews;
  const childReviews = child.required_pull_request_reviews;
  const reviews = mergeNested(parentReviews, childReviews, []);
  if (reviews) {
    const dismissal = mergeNested(parentReviews?.dismissal_restrictions, childReviews?.dismissal_restrictions, ['users', 'teams']);
    const bypass = mergeNested(parentReviews?.bypass_pull_request_allowances, childReviews?.bypass_pull_request_allowances, ['users', 'teams']);
    merged.required_pull_request_reviews = {
      ...reviews,
      ...(dismissal ? { dismissal_restrictions: dismissal } : {}),
      ...(bypass ? { bypass_pull_request_allowances: bypass } : {}),
    };
  }
  const exclude = union(parent.exclude, child.exclude);
  if (exclude) merged.exclude = exclude;
  const include = union(parent.include, child.include);
  if (include) merged.include = include;
  return merged;
}

/** The policy fields alone, without the org's repos or the repo's branches. */
export function policyOf(entry: Policy & { repos?: unknown; branches?: unknown; orgs?: unknown }): Policy {
  const { repos: _repos, branches: _branches, orgs: _orgs, ...policy } = entry;
  for (const key of ['protect-tested-repos', 'allow_disabled_policies', 'allow_disabled_job_policies', 'protect_repos_with_optional_jobs']) {
    delete (policy as Record<string, unknown>)[key];
  }
  return policy;
}

/** Prow's `Policy.defined`: the policy says anything about protection (`exclude`/`include` do not count). */
export function policyDefined(policy: Policy): boolean {
  return (
    policy.protect !== undefined ||
    policy.required_status_checks !== undefined ||
    policy.enforce_admins !== undefined ||
    policy.restrictions !== undefined ||
    policy.require_manually_triggered_jobs !== undefined ||
    policy.required_pull_request_reviews !== undefined ||
    policy.required_linear_history !== undefined ||
    policy.allow_force_pushes !== undefined ||
    policy.allow_deletions !== undefined ||
    policy.require_signed_commits !== undefined
  );
}

/** Prow's `Policy.Managed`: `unmanaged: false` said explicitly, which lets a child opt back in. */
export function explicitlyManaged(policy: Policy): boolean {
  return policy.unmanaged === false;
}

const parsedProtection = new WeakMap<object, BranchProtection | null>();

/**
 * The config's `branch-protection:` section, parsed; undefined when absent or malformed (Tide logs
 * and goes on without it; the branchprotector reports `branchProtectionProblem`).
 */
export function branchProtectionOf(config: Config): BranchProtection | undefined {
  const raw = config.prow['branch-protection'];
  if (!raw || typeof raw !== 'object') return undefined;
  if (!parsedProtection.has(raw)) {
    const parsed = BranchProtectionSchema.safeParse(raw);
    parsedProtection.set(raw, parsed.success ? parsed.data : null);
  }
  return parsedProtection.get(raw) ?? undefined;
}

/** Why the section does not parse, in one line per problem; undefined when it does (or is absent). */
export function branchProtectionProblem(config: Config): string | undefined {
  const raw = config.prow['branch-protection'];
  if (raw === undefined || raw === null) return undefined;
  const parsed = BranchProtectionSchema.safeParse(raw);
  if (parsed.success) return undefined;
  return parsed.error.issues.map((issue) => `branch-protection.${issue.path.join('.')}: ${issue.message}`).join('; ');
}

/** Prow's `BranchProtection.GetOrg`: the org's policy over the global one (the global alone when unlisted). */
export function orgPolicyFor(protection: BranchProtection, org: string): Policy {
  const orgEntry = protection.orgs?.[org];
  return orgEntry ? applyPolicy(policyOf(protection), policyOf(orgEntry)) : policyOf(protection);
}

/** Prow's `Org.GetRepo`. */
export function repoPolicyFor(protection: BranchProtection, org: string, repo: string): Policy {
  const orgPolicy = orgPolicyFor(protection, org);
  const repoEntry = protection.orgs?.[org]?.repos?.[repo];
  return repoEntry ? applyPolicy(orgPolicy, policyOf(repoEntry)) : orgPolicy;
}

export class BranchPolicyError extends Error {
  override name = 'BranchPolicyError';
}

/**
 * Prow's `Repo.GetBranch`: the branch's own entry over the repo's policy. A branch entry must say
 * `protect` or `unmanaged: true` (after inheritance), or it is an error.
 */
export function branchEntryPolicyFor(protection: BranchProtection, org: string, repo: string, branch: string): Policy {
  const repoPolicy = repoPolicyFor(protection, org, repo);
  const branchEntry = protection.orgs?.[org]?.repos?.[repo]?.branches?.[branch];
  if (!branchEntry) return repoPolicy;
  const policy = applyPolicy(repoPolicy, policyOf(branchEntry));
  if (policy.protect === undefined && policy.unmanaged !== true) {
    throw new BranchPolicyError(`${org}/${repo}=${branch}: defined branch policies must set protect or unmanaged=true`);
  }
  return policy;
}

/** Prow's `BranchRequirements`: each context of the branch's presubmits, by how it is required. */
export function branchRequirements(
  branch: string,
  presubmits: readonly Presubmit[],
  requireManuallyTriggeredJobs = false,
): { required: string[]; requiredIfPresent: string[]; optional: string[] } {
  const required: string[] = [];
  const requiredIfPresent: string[] = [];
  const optional: string[] = [];
  for (const job of presubmits) {
    if (!runsAgainstBranch(job, branch)) continue;
    if (!contextRequired(job)) optional.push(job.context);
    else if (requireManuallyTriggeredJobs && needsExplicitTrigger(job)) required.push(job.context);
    // A job that runs only sometimes cannot be required: its context may never appear.
    else if (triggersConditionally(job)) requiredIfPresent.push(job.context);
    else required.push(job.context);
  }
  return { required, requiredIfPresent, optional };
}

/**
 * Prow's `GetPolicy`: the branch's policy with the required contexts of its presubmits added
 * (and `protect: true` with `protect-tested-repos`). Undefined when there is nothing to manage.
 * Throws a BranchPolicyError where Prow refuses: `protect: false` on a branch with required jobs
 * (unless `allow_disabled_job_policies`), or `protect: false` next to other settings (unless
 * `allow_disabled_policies`).
 */
export function policyWithJobs(
  protection: BranchProtection,
  where: { org: string; repo: string; branch: string },
  branchPolicy: Policy,
  presubmits: readonly Presubmit[],
): Policy | undefined {
  let policy = branchPolicy;
  const jobs = branchRequirements(where.branch, presubmits, policy.require_manually_triggered_jobs === true);
  const managesJobContexts =
    jobs.required.length > 0 ||
    (protection.protect_repos_with_optional_jobs === true && jobs.requiredIfPresent.length + jobs.optional.length > 0);
  const name = `${where.org}/${where.repo}=${where.branch}`;
  if (managesJobContexts) {
    if (policy.protect === false) {
      if (protection.allow_disabled_job_policies === true) return undefined;
      throw new BranchPolicyError(`${name}: required prow jobs require branch protection`);
    }
    policy = applyPolicy(policy, {
      required_status_checks: { contexts: jobs.required },
      ...(protection['protect-tested-repos'] === true ? { protect: true } : {}),
    });
  }
  if (policy.protect === false) {
    const { protect: _protect, ...rest } = policy;
    if (policyDefined(rest) && protection.allow_disabled_policies !== true) {
      throw new BranchPolicyError(`${name} defines a policy, which requires protect: true`);
    }
  }
  return policyDefined(policy) ? policy : undefined;
}

/**
 * Prow's `GetBranchProtection` as Tide uses it: the branch's merged policy, or nothing when the
 * org is not configured or the policy is unusable (Prow logs and goes on without it, and so do we).
 */
export function protectionPolicyFor(config: Config, org: string, repo: string, branch: string, presubmits: readonly Presubmit[]): Policy | undefined {
  const protection = branchProtectionOf(config);
  if (!protection?.orgs?.[org]) return undefined;
  try {
    return policyWithJobs(protection, { org, repo, branch }, branchEntryPolicyFor(protection, org, repo, branch), presubmits);
  } catch (error) {
    if (error instanceof BranchPolicyError) return undefined;
    throw error;
  }
}
