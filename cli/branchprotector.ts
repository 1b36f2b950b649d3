import { planBranchProtection, applyBranchProtection, describeChange } from '../shared/branchprotection/protector';
import type { BranchProtectionApi } from '../shared/github/client';
import { githubApiUrl } from '../shared/github/environment';
import { GitHubClients, githubAuthFromEnv } from '../shared/github/octokit';
import { loadConfigOrThrow } from '../shared/config/load';
import { CommandFailure, parseFlags, UsageError } from './args';
import { BRANCHPROTECTOR_USAGE } from './branchprotector-usage';
import type { CommandIO } from './checkconfig';

/** Prow's branchprotector: the config's branch protection, diffed against GitHub and (with --confirm) applied. */

/** One API over several orgs: with a GitHub App each org is reached through its own installation. */
function perOrgApi(clients: GitHubClients): BranchProtectionApi {
  const forOrg = (org: string) => clients.branchProtectionClientForOrg(org);
  return {
    getRepository: async (owner, repo) => (await forOrg(owner)).getRepository(owner, repo),
    listOrgRepos: async (org) => (await forOrg(org)).listOrgRepos(org),
    listBranches: async (owner, repo) => (await forOrg(owner)).listBranches(owner, repo),
    getBranchProtection: async (owner, repo, branch) => (await forOrg(owner)).getBranchProtection(owner, repo, branch),
    updateBranchProtection: async (owner, repo, branch, settings) => (await forOrg(owner)).updateBranchProtection(owner, repo, branch, settings),
    removeBranchProtection: async (owner, repo, branch) => (await forOrg(owner)).removeBranchProtection(owner, repo, branch),
  };
}

/** `clients` is for tests, which speak to a fake GitHub without pacing writes. */
function clientsFromEnv(): GitHubClients {
  const auth = githubAuthFromEnv(process.env);
  if (!auth) throw new CommandFailure('set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY) so branchprotector can read GitHub');
  return new GitHubClients({ baseUrl: githubApiUrl(), auth });
}

export async function branchprotectorCommand(argv: readonly string[], io: CommandIO, clients?: GitHubClients): Promise<number> {
  const { values } = parseFlags(argv, {
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    confirm: { type: 'boolean', default: false },
    'enable-apps-restrictions': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(BRANCHPROTECTOR_USAGE);
    return 0;
  }
  if (!values['config-path']) throw new UsageError('--config-path is required');
  const config = await loadConfigOrThrow({
    configPath: values['config-path'],
    ...(values['job-config-path'] ? { jobConfigPath: values['job-config-path'] } : {}),
  });
  const github = perOrgApi(clients ?? clientsFromEnv());

  const plan = await planBranchProtection(config, github, { enableAppsRestrictions: values['enable-apps-restrictions'] });
  for (const change of plan.changes) {
    const verb = change.wanted ? (change.current ? 'update' : 'protect') : 'unprotect';
    io.stdout(`${change.org}/${change.repo}=${change.branch}: ${verb}`);
    for (const line of describeChange(change)) io.stdout(`  ${line}`);
  }
  for (const error of plan.errors) io.stderr(`error: ${error}`);
  const failures = values.confirm ? await applyBranchProtection(plan, github) : [];
  for (const failure of failures) io.stderr(`error: ${failure}`);
  const changed = plan.changes.length;
  const summary = values.confirm
    ? `${changed - failures.length} branch${changed === 1 ? '' : 'es'} changed, ${failures.length} failed, ${plan.unchanged} already as configured, ${plan.errors.length} error${plan.errors.length === 1 ? '' : 's'}`
    : `${changed} branch${changed === 1 ? '' : 'es'} to change, ${plan.unchanged} already as configured, ${plan.errors.length} error${plan.errors.length === 1 ? '' : 's'} (dry run: --confirm applies)`;
  io.stdout(summary);
  return plan.errors.length + failures.length > 0 ? 1 : 0;
}
