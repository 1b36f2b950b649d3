import { afterEach, expect, it } from 'vitest';
import { applyBranchProtection, describeChange, planBranchProtection } from '../../../shared/branchprotection/protector';
import { GitHubClients } from '../../../shared/github/octokit';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';
import type { BranchProtectionApi } from '../../../shared/github/client';

/** Which branches the branchprotector touches: exclude, include, unmanaged, protect: false. */

const cleanups: (() => Promise<void>)[] = [];

function protectionClient(github: FakeGitHub): Promise<BranchProtectionApi> {
  return new GitHubClients({ baseUrl: github.url, auth: { token: 't' }, pacing: false }).branchProtectionClientForOrg('acme');
}
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('plans only the branches the config manages, and a second plan after applying is empty', async () => {
  const github = await startFakeGitHub();
  cleanups.push(() => github.close());
  for (const repo of ['acme/app', 'acme/lib', 'acme/legacy']) github.addRepo(repo, { defaultBranch: 'main' });
  for (const branch of ['revert-1', 'release-1.0', 'feature']) github.pushToBranch('acme/app', branch, { files: [] });
  github.pushToBranch('acme/lib', 'release-2.0', { files: [] });
  github.pushToBranch('acme/lib', 'scratch', { files: [] });
  github.setBranchProtection('acme/legacy', 'main', {
    required_status_checks: null,
    enforce_admins: true,
    required_pull_request_reviews: null,
    restrictions: null,
    required_linear_history: false,
    allow_force_pushes: false,
    allow_deletions: false,
  });
  const config = expectLoaded(
    buildFromFiles({
      config: yaml(`
        branch-protection:
          orgs:
            acme:
              protect: true
              exclude: ["^revert-"]
              repos:
                app:
                  branches:
                    feature:
                      unmanaged: true
                lib:
                  include: ["^main$", "^release-"]
                legacy:
                  protect: false
      `),
    }),
  );
  const client = await protectionClient(github);
  const plan = await planBranchProtection(config, client);
  expect(plan.errors).toEqual([]);
  expect(plan.changes.map((change) => `${change.org}/${change.repo}=${change.branch}:${change.wanted ? 'protect' : 'remove'}`)).toEqual([
    'acme/app=main:protect',
    'acme/app=release-1.0:protect',
    'acme/legacy=main:remove',
    'acme/lib=main:protect',
    'acme/lib=release-2.0:protect',
  ]);
  expect(await applyBranchProtection(plan, client)).toEqual([]);
  expect(github.branchProtection('acme/legacy', 'main')).toBeUndefined();
  expect(github.branchProtection('acme/app', 'main')).toMatchObject({ enforce_admins: false, required_status_checks: null });
  const again = await planBranchProtection(config, client);
  expect(again.changes).toEqual([]);
});


it('requires signed commits through their own endpoint, and leaves them alone where the config is silent', async () => {
  const github = await startFakeGitHub();
  cleanups.push(() => github.close());
  for (const repo of ['acme/signed', 'acme/unsigned', 'acme/silent']) github.addRepo(repo, { defaultBranch: 'main' });
  const unprotectedButSigned = {
    required_status_checks: null,
    enforce_admins: false,
    required_pull_request_reviews: null,
    restrictions: null,
    required_linear_history: false,
    allow_force_pushes: false,
    allow_deletions: false,
    required_signatures: true,
  };
  github.setBranchProtection('acme/unsigned', 'main', unprotectedButSigned);
  github.setBranchProtection('acme/silent', 'main', unprotectedButSigned);
  const config = expectLoaded(
    buildFromFiles({
      config: yaml(`
        branch-protection:
          orgs:
            acme:
              repos:
                signed:
                  protect: true
                  require_signed_commits: true
                unsigned:
                  protect: true
                  require_signed_commits: false
                silent:
                  protect: true
      `),
    }),
  );
  const client = await protectionClient(github);
  const plan = await planBranchProtection(config, client);
  expect(plan.errors).toEqual([]);
  // The silent repo's protection already matches: its signatures are not the config's business.
  expect(plan.changes.map((change) => `${change.repo}: ${describeChange(change).filter((line) => line.includes('signatures')).join(' ')}`)).toEqual([
    'signed: +required_signatures: true',
    'unsigned: -required_signatures: true +required_signatures: false',
  ]);
  expect(await applyBranchProtection(plan, client)).toEqual([]);
  expect(github.branchProtection('acme/signed', 'main')?.required_signatures).toBe(true);
  expect(github.branchProtection('acme/unsigned', 'main')?.required_signatures).toBe(false);
  expect(github.branchProtection('acme/silent', 'main')?.required_signatures).toBe(true);
  expect((await planBranchProtection(config, client)).changes).toEqual([]);
});

it('with verifyRestrictions, refuses push restrictions that name people, teams or apps who cannot write', async () => {
  const github = await startFakeGitHub();
  cleanups.push(() => github.close());
  for (const repo of ['acme/good', 'acme/bad']) github.addRepo(repo, { defaultBranch: 'main' });
  for (const repo of ['acme/good', 'acme/bad']) {
    github.addCollaborator(repo, 'Releaser');
    github.addRepoTeam(repo, 'release-managers', 'maintain');
    github.addRepoTeam(repo, 'readers', 'pull');
  }
  github.addAppInstallation('acme', 'merge-bot', 'write');
  github.addAppInstallation('acme', 'lint-bot', 'read');
  const config = expectLoaded(
    buildFromFiles({
      config: yaml(`
        branch-protection:
          orgs:
            acme:
              protect: true
              repos:
                good:
                  restrictions:
                    users: [releaser]
                    teams: [release-managers]
                    apps: [merge-bot]
                bad:
                  restrictions:
                    users: [releaser, stranger]
                    teams: [readers]
                    apps: [lint-bot]
      `),
    }),
  );
  const client = await protectionClient(github);
  const unverified = await planBranchProtection(config, client, { enableAppsRestrictions: true });
  expect(unverified.errors).toEqual([]);
  expect(unverified.changes.map((change) => change.repo)).toEqual(['bad', 'good']);

  const verified = await planBranchProtection(config, client, { enableAppsRestrictions: true, verifyRestrictions: true });
  expect(verified.changes.map((change) => change.repo)).toEqual(['good']);
  expect(verified.errors).toHaveLength(1);
  expect(verified.errors[0]).toContain('acme/bad=main');
  expect(verified.errors[0]).toContain('apps cannot write to acme/bad: lint-bot');
  expect(verified.errors[0]).toContain('users cannot write to acme/bad: stranger');
  expect(verified.errors[0]).toContain('teams cannot write to acme/bad: readers');
});
