import type { z } from 'zod';
import { defaultEntryMatches } from '../../config/defaults';
import type { PluginConfig } from '../../config/plugin-config';
import type { DeckConfigSchema } from '../../config/prow-schema';
import { GitHubError, type GitHubClient } from '../../github/client';
import { membershipChecks } from '../../github/membership';
import { pullRequestTrusted, triggerSettings, trustedUser } from '../../plugins/trigger-rules';
import type { ProwJob, ProwJobSpec, RerunAuthConfig } from '../../prowjob/schema';

/**
 * Who may rerun or abort a job from the status pages: Prow's deck rules (cmd/deck/rerun.go
 * `isAllowedToRerun` and `canTriggerJob`, `RerunAuthConfig.IsAuthorized`, `Deck.GetRerunAuthConfig`)
 * as a pure decision over a narrow membership lookup, so the router can ask it before acting and
 * the tests can ask it without GitHub.
 */

export type DeckConfig = z.infer<typeof DeckConfigSchema>;

/** The GitHub questions a decision may ask; a GitHubClient answers the first two as it is. */
export interface MembershipLookup {
  isOrgMember(org: string, login: string): Promise<boolean>;
  isTeamMember(org: string, teamSlug: string, login: string): Promise<boolean>;
  /** Membership of a team named by its numeric ID (`github_team_ids`). */
  isTeamMemberById(teamId: number, login: string): Promise<boolean>;
  /**
   * Prow's `/test` trust for a presubmit's pull request (trigger's `TrustedPullRequest`): the user
   * is trusted under the repository's trigger settings, or the PR carries `ok-to-test`. Without it,
   * only the rerun auth configs decide.
   */
  isTrustedForPullRequest?(org: string, repo: string, pull: number, login: string): Promise<boolean>;
}

export type RerunDecision =
  | { allowed: true; login?: string }
  | { allowed: false; status: 401 | 403 | 500; reason: string };

export interface RerunRequest {
  /** The signed-in GitHub login; undefined when signed out. */
  login?: string;
  job: ProwJob;
  deck?: DeckConfig;
  /** Without one, only `allow_anyone` and `github_users` can grant, as in Prow without a GitHub token. */
  lookup?: MembershipLookup;
}

export const SIGN_IN_REQUIRED = 'sign in with GitHub to rerun or abort jobs';

/**
 * The deck-level config for a job, as Prow picks it: the entry list (`default_rerun_auth_configs`,
 * or the older `rerun_auth_configs` map turned into one) filtered by the job's org/repo and
 * cluster, the last matching entry winning. Prow refuses a config that sets both; were both set,
 * the map is used, as Prow's conversion would overwrite the list.
 */
export function rerunAuthConfigFor(deck: DeckConfig | undefined, spec: ProwJobSpec): RerunAuthConfig | undefined {
  if (!deck) return undefined;
  const refs = spec.refs ?? spec.extra_refs?.[0];
  // Prow's Refs.OrgRepoString: a periodic without extra_refs matches only "", "*" and cluster filters.
  const orgRepo = refs ? (refs.repo ? `${refs.org}/${refs.repo}` : refs.org) : '';
  const cluster = spec.cluster ?? '';
  let chosen: RerunAuthConfig | undefined;
  for (const entry of rerunAuthEntries(deck)) {
    if (defaultEntryMatches({ repo: entry.repo, cluster: entry.cluster }, orgRepo, cluster)) chosen = entry.config;
  }
  return chosen;
}

interface RerunAuthEntry {
  repo: string;
  cluster: string;
  config: RerunAuthConfig | undefined;
}

/**
 * Prow's `defaultRerunAuthMapToSlice`: "" and "*" first, then orgs, then org/repo keys, so that
 * with last-match-wins the most specific key decides.
 */
function rerunAuthEntries(deck: DeckConfig): RerunAuthEntry[] {
  const map = deck.rerun_auth_configs ?? {};
  const keys = Object.keys(map);
  if (keys.length === 0) {
    return (deck.default_rerun_auth_configs ?? []).map((entry) => ({
      repo: entry.repo ?? '',
      cluster: entry.cluster ?? '',
      config: entry.rerun_auth_configs,
    }));
  }
  const rank = (key: string) => (key === '' ? 0 : key === '*' ? 1 : key.includes('/') ? 3 : 2);
  return keys
    .map((key, index) => ({ key, index }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.index - b.index)
    .map(({ key }) => ({ repo: key, cluster: '', config: map[key] }));
}

/** Prow's `NormLogin`: GitHub logins are case-insensitive and people write them with an "@". */
function normLogin(login: string): string {
  return login.replace(/^@/, '').toLowerCase();
}

/** A lookup failure, carrying only what is safe to show: what was asked and GitHub's status. */
class LookupFailure extends Error {
  constructor(question: string, cause: unknown) {
    const status = cause instanceof GitHubError ? ` (GitHub answered ${cause.status})` : '';
    super(`GitHub could not say ${question}${status}`);
  }
}

async function ask(question: string, call: () => Promise<boolean>): Promise<boolean> {
  try {
    return await call();
  } catch (error) {
    throw new LookupFailure(question, error);
  }
}

/** Prow's `RerunAuthConfig.IsAuthorized`, in its order: allow_anyone, users, orgs, team IDs, team slugs. */
async function isAuthorized(
  config: RerunAuthConfig | undefined,
  login: string,
  lookup: MembershipLookup | undefined,
): Promise<boolean> {
  if (!config) return false;
  if (config.allow_anyone) return true;
  const user = normLogin(login);
  if ((config.github_users ?? []).some((allowed) => normLogin(allowed) === user)) return true;
  if (!lookup) return false;
  for (const org of config.github_orgs ?? []) {
    if (await ask(`whether ${login} is a member of ${org}`, () => lookup.isOrgMember(org, login))) return true;
  }
  for (const teamId of config.github_team_ids ?? []) {
    if (await ask(`whether ${login} is in team ${teamId}`, () => lookup.isTeamMemberById(teamId, login))) return true;
  }
  for (const team of config.github_team_slugs ?? []) {
    const question = `whether ${login} is in team ${team.org}/${team.slug}`;
    if (await ask(question, () => lookup.isTeamMember(team.org, team.slug, login))) return true;
  }
  return false;
}

/**
 * Prow's `isAllowedToRerun`: `allow_anyone` (deck-level or the job's own) needs no sign-in;
 * otherwise the deck-level config, then the job's `rerun_auth_config`, then — for a presubmit of
 * a pull request — whether the user could `/test` it.
 */
export async function decideRerun(request: RerunRequest): Promise<RerunDecision> {
  const { job, lookup } = request;
  const config = rerunAuthConfigFor(request.deck, job.spec);
  const jobConfig = job.spec.rerun_auth_config;
  const login = request.login?.trim() || undefined;
  if (config?.allow_anyone || jobConfig?.allow_anyone) return login ? { allowed: true, login } : { allowed: true };
  if (!login) return { allowed: false, status: 401, reason: SIGN_IN_REQUIRED };
  try {
    if (await isAuthorized(config, login, lookup)) return { allowed: true, login };
    if (await isAuthorized(jobConfig, login, lookup)) return { allowed: true, login };
    const refs = job.spec.refs;
    const pull = refs?.pulls?.[0];
    if (job.spec.type === 'presubmit' && refs && pull && lookup?.isTrustedForPullRequest) {
      const question = `whether ${login} may /test ${refs.org}/${refs.repo}#${pull.number}`;
      if (await ask(question, () => lookup.isTrustedForPullRequest!(refs.org, refs.repo, pull.number, login))) {
        return { allowed: true, login };
      }
    }
  } catch (error) {
    const what = error instanceof LookupFailure ? error.message : 'the membership lookup failed';
    return { allowed: false, status: 500, reason: `could not check whether ${login} may rerun ${job.spec.job}: ${what}; try again later` };
  }
  return { allowed: false, status: 403, reason: refusal(login, job, config, jobConfig, lookup) };
}

/** Says who may, so a refused user knows whom to ask; the config is the deployment's, not secret. */
function refusal(
  login: string,
  job: ProwJob,
  config: RerunAuthConfig | undefined,
  jobConfig: RerunAuthConfig | undefined,
  lookup: MembershipLookup | undefined,
): string {
  const who: string[] = [];
  for (const each of [config, jobConfig]) {
    if (!each) continue;
    if (each.github_users?.length) who.push(`users ${each.github_users.join(', ')}`);
    if (each.github_orgs?.length) who.push(`members of ${each.github_orgs.join(', ')}`);
    if (each.github_team_slugs?.length) {
      who.push(`teams ${each.github_team_slugs.map((team) => `${team.org}/${team.slug}`).join(', ')}`);
    }
    if (each.github_team_ids?.length) who.push(`teams with IDs ${each.github_team_ids.join(', ')}`);
  }
  if (job.spec.type === 'presubmit' && job.spec.refs?.pulls?.length && lookup?.isTrustedForPullRequest) {
    who.push('anyone who may /test the pull request');
  }
  const parts = [`${login} may not rerun or abort ${job.spec.job}`];
  parts.push(who.length > 0 ? `allowed: ${who.join('; ')}` : 'no rerun_auth_config allows anyone to');
  const needsGitHub = [config, jobConfig].some(
    (each) => each?.github_orgs?.length || each?.github_team_slugs?.length || each?.github_team_ids?.length,
  );
  if (!lookup && needsGitHub) parts.push('org and team membership cannot be checked without GitHub credentials');
  return parts.join('; ');
}

/**
 * A MembershipLookup over Cutwater's GitHub client, with Prow's `/test` trust when the plugin
 * config is known (the trigger plugin's settings for the repository decide `trusted_org` and
 * `only_org_members`).
 */
export function membershipLookupFor(github: GitHubClient, plugins?: PluginConfig): MembershipLookup {
  const lookup: MembershipLookup = {
    isOrgMember: (org, login) => github.isOrgMember(org, login),
    isTeamMember: (org, slug, login) => github.isTeamMember(org, slug, login),
    isTeamMemberById: (teamId, login) => github.isTeamMemberById(teamId, login),
  };
  if (!plugins) return lookup;
  lookup.isTrustedForPullRequest = async (org, repo, pull, login) => {
    const trust = await trustedUser(membershipChecks(github), triggerSettings(plugins, org, repo), login, org, repo);
    return trust.trusted || pullRequestTrusted(false, await github.listIssueLabels(org, repo, pull));
  };
  return lookup;
}
