import type { Config } from '../config/model';
import type { BranchProtectionApi, BranchProtectionSettings } from '../github/client';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import {
  type BranchProtection,
  BranchPolicyError,
  branchEntryPolicyFor,
  branchProtectionOf,
  branchProtectionProblem,
  explicitlyManaged,
  orgPolicyFor,
  type OrgProtection,
  type Policy,
  policyOf,
  policyWithJobs,
  repoPolicyFor,
  type RepoProtection,
} from './policy';

/**
 * Prow's cmd/branchprotector as a plan and its application: walk the configured orgs (every repo
 * of an org that says `protect`, else the repos it lists), then, with `protect-tested-repos`, the
 * repos that have presubmits; for each branch GitHub has (minus `exclude`, within `include`) work
 * out the protection the config wants and compare it with GitHub's. The plan is what differs;
 * applying it PUTs or DELETEs only those branches, so a second run finds nothing to do.
 */

export interface BranchChange {
  org: string;
  repo: string;
  branch: string;
  /** GitHub's protection now; undefined when the branch is unprotected. */
  current: BranchProtectionSettings | undefined;
  /** What the config wants; undefined means protection off (`protect: false`). */
  wanted: BranchProtectionSettings | undefined;
}

export interface ProtectionPlan {
  changes: BranchChange[];
  /** Branches looked at whose protection already matches. */
  unchanged: number;
  /** Problems with one org, repo or branch; the rest of the plan stands. */
  errors: string[];
}

export interface PlanOptions {
  /** Prow's `--enable-apps-restrictions`: without it, a policy restricting pushes to apps is an error. */
  enableAppsRestrictions?: boolean;
  /**
   * Prow's `--verify-restrictions`: a branch whose push restrictions name a user, team or app that
   * cannot write to the repository is an error rather than a change (GitHub would refuse it, or
   * the restriction would lock out the people it means to let in).
   */
  verifyRestrictions?: boolean;
}

/** GitHub's private forks for security advisories (`<repo>-ghsa-xxxx-xxxx-xxxx`) cannot be protected. */
const SECURITY_FORK = /^[\w-]+-ghsa-[\w-]+$/;

function sortedUnique(items: readonly string[] | undefined): string[] {
  return [...new Set(items ?? [])].sort();
}

/** Prow's `makeRequest`: a merged policy as GitHub's PUT body; unset booleans are false. */
export function protectionRequest(policy: Policy, enableAppsRestrictions: boolean): BranchProtectionSettings {
  const checks = policy.required_status_checks;
  const reviews = policy.required_pull_request_reviews;
  const restrictions = policy.restrictions;
  return {
    required_status_checks: checks ? { strict: checks.strict === true, contexts: sortedUnique(checks.contexts) } : null,
    // GitHub's documented "null to unset" does not work here; Prow sends false, and so do we.
    enforce_admins: policy.enforce_admins === true,
    // GitHub needs the approval count; Prow leaves reviews off without one, and so do we.
    required_pull_request_reviews:
      reviews && reviews.required_approving_review_count !== undefined
        ? {
            dismiss_stale_reviews: reviews.dismiss_stale_reviews === true,
            require_code_owner_reviews: reviews.require_code_owner_reviews === true,
            required_approving_review_count: reviews.required_approving_review_count,
            ...(reviews.dismissal_restrictions
              ? { dismissal_restrictions: { users: sortedUnique(reviews.dismissal_restrictions.users), teams: sortedUnique(reviews.dismissal_restrictions.teams) } }
              : {}),
            ...(reviews.bypass_pull_request_allowances
              ? {
                  bypass_pull_request_allowances: {
                    users: sortedUnique(reviews.bypass_pull_request_allowances.users),
                    teams: sortedUnique(reviews.bypass_pull_request_allowances.teams),
                  },
                }
              : {}),
          }
        : null,
    restrictions: restrictions
      ? {
          users: sortedUnique(restrictions.users),
          teams: sortedUnique(restrictions.teams),
          apps: enableAppsRestrictions ? sortedUnique(restrictions.apps) : [],
        }
      : null,
    required_linear_history: policy.required_linear_history === true,
    allow_force_pushes: policy.allow_force_pushes === true,
    allow_deletions: policy.allow_deletions === true,
    // Only when the config says so: Prow leaves GitHub's setting alone otherwise.
    ...(policy.require_signed_commits !== undefined ? { required_signatures: policy.require_signed_commits } : {}),
  };
}

/** The settings as `field → value` lines, lists one entry per item, for comparing and for the diff. */
export function settingLines(settings: BranchProtectionSettings | undefined): Map<string, string> {
  const lines = new Map<string, string>();
  if (!settings) {
    lines.set('protected', 'false');
    return lines;
  }
  lines.set('protected', 'true');
  const list = (field: string, items: readonly string[]) => {
    for (const item of [...items].sort()) lines.set(`${field}[${item}]`, item);
  };
  const checks = settings.required_status_checks;
  lines.set('required_status_checks', checks ? 'on' : 'off');
  if (checks) {
    lines.set('required_status_checks.strict', String(checks.strict));
    list('required_status_checks.contexts', checks.contexts);
  }
  lines.set('enforce_admins', String(settings.enforce_admins));
  const reviews = settings.required_pull_request_reviews;
  lines.set('required_pull_request_reviews', reviews ? 'on' : 'off');
  if (reviews) {
    lines.set('required_pull_request_reviews.required_approving_review_count', String(reviews.required_approving_review_count));
    lines.set('required_pull_request_reviews.dismiss_stale_reviews', String(reviews.dismiss_stale_reviews));
    lines.set('required_pull_request_reviews.require_code_owner_reviews', String(reviews.require_code_owner_reviews));
    list('required_pull_request_reviews.dismissal_restrictions.users', reviews.dismissal_restrictions?.users ?? []);
    list('required_pull_request_reviews.dismissal_restrictions.teams', reviews.dismissal_restrictions?.teams ?? []);
    list('required_pull_request_reviews.bypass_pull_request_allowances.users', reviews.bypass_pull_request_allowances?.users ?? []);
    list('required_pull_request_reviews.bypass_pull_request_allowances.teams', reviews.bypass_pull_request_allowances?.teams ?? []);
  }
  lines.set('restrictions', settings.restrictions ? 'on' : 'off');
  if (settings.restrictions) {
    list('restrictions.users', settings.restrictions.users);
    list('restrictions.teams', settings.restrictions.teams);
    list('restrictions.apps', settings.restrictions.apps);
  }
  lines.set('required_linear_history', String(settings.required_linear_history));
  lines.set('allow_force_pushes', String(settings.allow_force_pushes));
  lines.set('allow_deletions', String(settings.allow_deletions));
  if (settings.required_signatures !== undefined) lines.set('required_signatures', String(settings.required_signatures));
  return lines;
}

/**
 * GitHub's protection as far as the wanted one speaks: signatures are compared (and shown in the
 * diff) only when the config sets them, since a silent config leaves them as they are.
 */
function comparable(
  current: BranchProtectionSettings | undefined,
  wanted: BranchProtectionSettings | undefined,
): BranchProtectionSettings | undefined {
  if (!current || wanted?.required_signatures !== undefined) return current;
  const { required_signatures: _unmanaged, ...rest } = current;
  return rest;
}

/**
 * One line per changed field: `-field: old` for what goes, `+field: new` for what comes; a list
 * item reads `+required_status_checks.contexts: pull-foo-unit`.
 */
export function describeChange(change: Pick<BranchChange, 'current' | 'wanted'>): string[] {
  const before = settingLines(comparable(change.current, change.wanted));
  const after = settingLines(change.wanted);
  const field = (key: string) => key.replace(/\[.*\]$/, '');
  const lines: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(key);
    const now = after.get(key);
    if (old === now) continue;
    if (old !== undefined) lines.push(`-${field(key)}: ${old}`);
    if (now !== undefined) lines.push(`+${field(key)}: ${now}`);
  }
  return lines;
}

function sameProtection(current: BranchProtectionSettings | undefined, wanted: BranchProtectionSettings | undefined): boolean {
  const left = settingLines(comparable(current, wanted));
  const right = settingLines(wanted);
  return left.size === right.size && [...left].every(([key, value]) => right.get(key) === value);
}

function joinedRegexp(patterns: readonly string[] | undefined): GoRegexp | undefined {
  return patterns && patterns.length > 0 ? compileGoRegexp(patterns.join('|')) : undefined;
}

function hasManagedBranches(repoEntry: RepoProtection | null | undefined): boolean {
  return Object.values(repoEntry?.branches ?? {}).some((branch) => branch !== null && branch !== undefined && explicitlyManaged(branch));
}

function hasManagedRepos(orgEntry: OrgProtection | null | undefined): boolean {
  return Object.values(orgEntry?.repos ?? {}).some((repo) => repo !== null && repo !== undefined && explicitlyManaged(policyOf(repo)));
}

function orgHasManagedBranches(orgEntry: OrgProtection | null | undefined): boolean {
  return Object.values(orgEntry?.repos ?? {}).some(hasManagedBranches);
}

/** Who may write to one repository, read once per repository and only when a restriction needs it. */
interface Writers {
  apps: Set<string>;
  users: Set<string>;
  teams: Set<string>;
}

/** Prow's validateRestrictions: each name the restrictions give that cannot write, by kind. */
export function unauthorizedRestrictions(fullName: string, restrictions: NonNullable<BranchProtectionSettings['restrictions']>, writers: Writers): string[] {
  const problems: string[] = [];
  const check = (kind: string, names: readonly string[], allowed: Set<string>, fold: (name: string) => string) => {
    const outsiders = [...new Set(names)].filter((name) => !allowed.has(fold(name))).sort();
    if (outsiders.length > 0) problems.push(`these ${kind} cannot write to ${fullName}: ${outsiders.join(', ')}`);
  };
  check('apps', restrictions.apps, writers.apps, (name) => name);
  // GitHub logins are case-insensitive.
  check('users', restrictions.users, writers.users, (name) => name.toLowerCase());
  check('teams', restrictions.teams, writers.teams, (name) => name);
  return problems;
}

class Planner {
  readonly plan: ProtectionPlan = { changes: [], unchanged: 0, errors: [] };
  private readonly done = new Set<string>();
  private readonly writers = new Map<string, Promise<Writers>>();
  private readonly orgApps = new Map<string, Promise<Set<string>>>();

  constructor(
    private readonly config: Config,
    private readonly protection: BranchProtection,
    private readonly github: BranchProtectionApi,
    private readonly options: PlanOptions,
  ) {}

  async run(): Promise<void> {
    const orgs = this.protection.orgs ?? {};
    const globallyUnmanaged = this.protection.unmanaged === true;
    const anyManaged = Object.values(orgs).some(
      (orgEntry) => (orgEntry && explicitlyManaged(policyOf(orgEntry))) || hasManagedRepos(orgEntry) || orgHasManagedBranches(orgEntry),
    );
    if (globallyUnmanaged && !anyManaged) return;
    for (const org of Object.keys(orgs).sort()) {
      try {
        await this.org(org);
      } catch (error) {
        this.fail(`update ${org}`, error);
      }
    }
    if (this.protection['protect-tested-repos'] !== true) return;
    for (const fullName of [...this.config.presubmits.keys()].sort()) {
      if (this.done.has(fullName)) continue;
      const parts = fullName.split('/');
      if (parts.length !== 2) {
        this.plan.errors.push(`bad presubmit repo: ${fullName}`);
        continue;
      }
      const [org, repo] = parts as [string, string];
      try {
        await this.repo(org, repo);
      } catch (error) {
        this.fail(`update ${fullName}`, error);
      }
    }
  }

  private fail(what: string, error: unknown): void {
    this.plan.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async org(org: string): Promise<void> {
    const orgEntry = this.protection.orgs?.[org];
    const policy = orgPolicyFor(this.protection, org);
    if (policy.unmanaged === true && !hasManagedRepos(orgEntry) && !orgHasManagedBranches(orgEntry)) return;
    let repos: string[];
    if (policy.protect !== undefined) {
      // An org that says `protect` speaks for every repo it has.
      repos = (await this.github.listOrgRepos(org))
        .filter((repo) => !repo.archived && !(repo.private && SECURITY_FORK.test(repo.name)))
        .map((repo) => repo.name);
    } else {
      repos = Object.keys(orgEntry?.repos ?? {});
    }
    for (const repo of repos.sort()) {
      try {
        await this.repo(org, repo);
      } catch (error) {
        this.fail(`update ${org}/${repo}`, error);
      }
    }
  }

  private async repo(org: string, repo: string): Promise<void> {
    this.done.add(`${org}/${repo}`);
    const repoEntry = this.protection.orgs?.[org]?.repos?.[repo];
    const policy = repoPolicyFor(this.protection, org, repo);
    if (policy.unmanaged === true && !hasManagedBranches(repoEntry)) return;
    const found = await this.github.getRepository(org, repo);
    // GitHub refuses to change archived repositories.
    if (found.archived) return;
    const include = joinedRegexp(policy.include);
    const exclude = joinedRegexp(policy.exclude);
    const configured = new Set(Object.keys(repoEntry?.branches ?? {}));
    const branches = (await this.github.listBranches(org, repo)).filter((branch) => {
      // A branch the config names is managed whatever `include` and `exclude` say.
      if (configured.has(branch.name)) return true;
      if (include) return include.test(branch.name);
      return !exclude?.test(branch.name);
    });
    for (const branch of branches.sort((a, b) => a.name.localeCompare(b.name))) {
      try {
        await this.branch(org, repo, branch.name, branch.protected);
      } catch (error) {
        this.fail(`update ${org}/${repo}=${branch.name} from protected=${branch.protected}`, error);
      }
    }
  }

  private async branch(org: string, repo: string, branch: string, protectedOnGitHub: boolean): Promise<void> {
    const entryPolicy = branchEntryPolicyFor(this.protection, org, repo, branch);
    if (entryPolicy.unmanaged === true) return;
    const presubmits = this.config.presubmits.get(`${org}/${repo}`) ?? [];
    const policy = policyWithJobs(this.protection, { org, repo, branch }, entryPolicy, presubmits);
    if (!policy || policy.protect === undefined) return;
    if (!protectedOnGitHub && !policy.protect) return;
    if (!this.options.enableAppsRestrictions && policy.restrictions?.apps !== undefined) {
      throw new BranchPolicyError('the policy restricts pushes to apps; pass --enable-apps-restrictions to manage that');
    }
    const wanted = policy.protect ? protectionRequest(policy, this.options.enableAppsRestrictions === true) : undefined;
    if (this.options.verifyRestrictions && wanted?.restrictions) {
      const problems = unauthorizedRestrictions(`${org}/${repo}`, wanted.restrictions, await this.writersOf(org, repo));
      if (problems.length > 0) throw new BranchPolicyError(`invalid push restrictions: ${problems.join('; ')}`);
    }
    const current = await this.github.getBranchProtection(org, repo, branch);
    if (sameProtection(current, wanted)) {
      this.plan.unchanged++;
      return;
    }
    this.plan.changes.push({ org, repo, branch, current, wanted });
  }

  private writersOf(org: string, repo: string): Promise<Writers> {
    const key = `${org}/${repo}`;
    let writers = this.writers.get(key);
    if (!writers) {
      let apps = this.orgApps.get(org);
      if (!apps) {
        apps = this.github.listAppsWithWriteAccess(org).then((slugs) => new Set(slugs));
        this.orgApps.set(org, apps);
      }
      const appsOfOrg = apps;
      writers = (async () => {
        const [appSlugs, users, teams] = await Promise.all([
          appsOfOrg,
          this.github.listCollaboratorsWithWriteAccess(org, repo),
          this.github.listTeamsWithWriteAccess(org, repo),
        ]);
        return { apps: appSlugs, users: new Set(users), teams: new Set(teams) };
      })();
      this.writers.set(key, writers);
    }
    return writers;
  }
}

/** What GitHub would have to change for the config's `branch-protection` to hold. Reads only. */
export async function planBranchProtection(config: Config, github: BranchProtectionApi, options: PlanOptions = {}): Promise<ProtectionPlan> {
  const problem = branchProtectionProblem(config);
  if (problem) return { changes: [], unchanged: 0, errors: [problem] };
  const protection = branchProtectionOf(config);
  if (!protection) return { changes: [], unchanged: 0, errors: [] };
  const planner = new Planner(config, protection, github, options);
  await planner.run();
  return planner.plan;
}

/** Carries the plan out, one branch at a time (the client paces the writes); answers the failures. */
export async function applyBranchProtection(plan: ProtectionPlan, github: BranchProtectionApi): Promise<string[]> {
  const failures: string[] = [];
  for (const change of plan.changes) {
    const name = `${change.org}/${change.repo}=${change.branch}`;
    try {
      const { wanted, current } = change;
      if (!wanted) {
        await github.removeBranchProtection(change.org, change.repo, change.branch);
        continue;
      }
      await github.updateBranchProtection(change.org, change.repo, change.branch, wanted);
      // A PUT leaves signatures as they were; they change through their own endpoint, and only then.
      const signed = wanted.required_signatures;
      if (signed !== undefined && signed !== (current?.required_signatures ?? false)) {
        await github.setRequiredSignatures(change.org, change.repo, change.branch, signed);
      }
    } catch (error) {
      failures.push(`${change.wanted ? 'update' : 'remove'} ${name} protection failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}
