import { describe, expect, it } from 'vitest';
import { branchCleaner, isPreservedBranch } from '../../../shared/plugins/branchcleaner';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'my-org/repo';

async function start(preserved = ''): Promise<PluginHarness> {
  const harness = await startPluginHarness({
    plugins: `plugins:\n  my-org/repo:\n    plugins: [branchcleaner]\n${preserved ? `branch_cleaner:\n  preserved_branches:\n${preserved}` : ''}`,
    registry: [branchCleaner],
  });
  harness.github.addPullRequest(REPO, { number: 1, author: 'contributor' });
  return harness;
}

function closed(branch: string, options: { merged?: boolean; headRepo?: string; action?: 'closed' | 'opened' } = {}) {
  const payload = pullRequest('closed', { number: 1, repo: REPO, headRef: branch });
  payload['action'] = options.action ?? 'closed';
  const pr = payload['pull_request'] as Record<string, Record<string, Record<string, unknown>>>;
  (pr as unknown as Record<string, unknown>)['merged'] = options.merged ?? true;
  if (options.headRepo) pr['head']!['repo'] = { ...pr['head']!['repo'], full_name: options.headRepo };
  return payload;
}

describe('branchcleaner plugin', () => {
  it('deletes the head branch of a PR merged from the same repository', async () => {
    const { github, deliver } = await start();
    github.pushToBranch(REPO, 'my-chore1', { files: ['a.txt'] });
    const outcome = await deliver('pull_request', closed('my-chore1'));
    expect(outcome.failed).toEqual([]);
    expect(github.branchHead(REPO, 'my-chore1')).toBeUndefined();
  });

  it.each([
    ['an opened PR', closed('my-feature1', { action: 'opened', merged: false })],
    ['a PR closed unmerged', closed('my-feature1', { merged: false })],
    ['a PR from a fork', closed('my-feature1', { headRepo: 'different-org/repo' })],
  ])('leaves the branch of %s', async (_name, payload) => {
    const { github, deliver } = await start();
    github.pushToBranch(REPO, 'my-feature1', { files: ['a.txt'] });
    await deliver('pull_request', payload);
    expect(github.branchHead(REPO, 'my-feature1')).toBeDefined();
  });

  it('keeps preserved branches, by name or regexp, for the org or the repo', async () => {
    const { github, deliver } = await start('    my-org: [release, betatest-.*]\n    my-org/repo: [keep]\n');
    for (const branch of ['release', 'betatest-1', 'keep']) {
      github.pushToBranch(REPO, branch, { files: ['a.txt'] });
      await deliver('pull_request', closed(branch));
      expect(github.branchHead(REPO, branch)).toBeDefined();
    }
    github.pushToBranch(REPO, 'betatest1', { files: ['a.txt'] });
    await deliver('pull_request', closed('betatest1'));
    expect(github.branchHead(REPO, 'betatest1')).toBeUndefined();
  });

  it('is not troubled by a branch someone already deleted', async () => {
    const { deliver } = await start();
    const outcome = await deliver('pull_request', closed('gone-already'));
    expect(outcome.failed).toEqual([]);
  });

  it('reads preserved branches as Prow does', () => {
    const settings = { preserved_branches: { 'my-org/other-repo': ['release'], 'my-org': ['betatest-.*'] } };
    expect(isPreservedBranch(settings, 'my-org', 'repo', 'release')).toBe(false);
    expect(isPreservedBranch(settings, 'my-org', 'other-repo', 'release')).toBe(true);
    expect(isPreservedBranch(settings, 'my-org', 'repo', 'x-betatest-2')).toBe(true);
    expect(isPreservedBranch(undefined, 'my-org', 'repo', 'release')).toBe(false);
  });
});
