import { afterEach, expect, it } from 'vitest';
import { applyBranchProtection, planBranchProtection } from '../../../shared/branchprotection/protector';
import { GitHubClients } from '../../../shared/github/octokit';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { startFakeGitHub } from '../../support/fake-github';

/** Which branches the branchprotector touches: exclude, include, unmanaged, protect: false. */

const cleanups: (() => Promise<void>)[] = [];
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
  const client = await new GitHubClients({ baseUrl: github.url, auth: { token: 't' }, pacing: false }).branchProtectionClientForOrg('acme');
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

