import { planBranchProtection, applyBranchProtection, describeChange } from '../shared/branchprotection/protector';
import type { BranchProtectionApi } from '../shared/github/client';
import { githubApiUrl } from '../shared/github/environment';
import { GitHubClients, githubAuthFromEnv } from '../shared/github/octokit';
import { configSourceFromEnv, snapshotLocationFromEnv } from '../shared/config/config-source';
import { loadConfigOrThrow } from '../shared/config/load';
import type { Config } from '../shared/config/model';
import { createLogger } from '../shared/log/logger';
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
    setRequiredSignatures: async (owner, repo, branch, required) => (await forOrg(owner)).setRequiredSignatures(owner, repo, branch, required),
    listAppsWithWriteAccess: async (org) => (await forOrg(org)).listAppsWithWriteAccess(org),
    listCollaboratorsWithWriteAccess: async (owner, repo) => (await forOrg(owner)).listCollaboratorsWithWriteAccess(owner, repo),
    listTeamsWithWriteAccess: async (owner, repo) => (await forOrg(owner)).listTeamsWithWriteAccess(owner, repo),
  };
}

/** `clients` is for tests, which speak to a fake GitHub without pacing writes. */
function clientsFromEnv(): GitHubClients {
  const auth = githubAuthFromEnv(process.env);
  if (!auth) throw new CommandFailure('set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY) so branchprotector can read GitHub');
  return new GitHubClients({ baseUrl: githubApiUrl(), auth });
}

/**
 * In the cloud the scheduled run (infra/terraform/branchprotector.tf) has no config files: it
 * reads the snapshot config-updater last published, as functions and runners do.
 */
async function publishedConfig(): Promise<Config> {
  if (!snapshotLocationFromEnv(process.env)) {
    throw new UsageError('--config-path is required (or $CONFIG_SNAPSHOTS, where config-updater publishes the config)');
  }
  return configSourceFromEnv(process.env, createLogger({ sink: (line) => process.stderr.write(`${line}\n`), minimum: 'WARNING' }, { component: 'branchprotector' })).current();
}

export async function branchprotectorCommand(argv: readonly string[], io: CommandIO, clients?: GitHubClients): Promise<number> {
  const { values } = parseFlags(argv, {
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    confirm: { type: 'boolean', default: false },
    'enable-apps-restrictions': { type: 'boolean', default: false },
    'verify-restrictions': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(BRANCHPROTECTOR_USAGE);
    return 0;
  }
  const config = values['config-path']
    ? await loadConfigOrThrow({
        configPath: values['config-path'],
        ...(values['job-config-path'] ? { jobConfigPath: values['job-config-path'] } : {}),
      })
    : await publishedConfig();
  const github = perOrgApi(clients ?? clientsFromEnv());

  const plan = await planBranchProtection(config, github, {
    enableAppsRestrictions: values['enable-apps-restrictions'],
    verifyRestrictions: values['verify-restrictions'],
  });
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
