import { describe, expect, it } from 'vitest';
import { freezeState, latestReleaseBranch, testfreeze, TESTFREEZE_MARKER } from '../../../shared/plugins/testfreeze';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS_YAML = 'plugins:\n  acme/widgets:\n    plugins: [testfreeze]\n';
const codeFreezeConfig = (branch: string) =>
  ['tide:', '  queries:', '  - repos: [acme/widgets]', '    labels: [lgtm]', `    excludedBranches: [${branch}]`, ''].join('\n');

async function start(options: { branches: string[]; tags: string[]; config?: string }): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS_YAML, registry: [testfreeze], ...(options.config ? { config: options.config } : {}) });
  harness.github.addRepo(REPO);
  for (const branch of options.branches) harness.github.pushToBranch(REPO, branch, { files: ['README.md'] });
  for (const tag of options.tags) harness.github.addTag(REPO, tag);
  harness.github.addPullRequest(REPO, { number: 7, author: 'contributor' });
  return harness;
}

async function open(harness: PluginHarness, options: { baseRef?: string; labels?: string[]; action?: 'opened' | 'reopened' | 'synchronize' } = {}) {
  const outcome = await harness.deliver(
    'pull_request',
    pullRequest(options.action ?? 'opened', { number: 7, baseRef: options.baseRef ?? 'main', labels: options.labels ?? [] }),
  );
  expect(outcome.failed).toEqual([]);
}

const notices = (harness: PluginHarness) => harness.github.comments(REPO, 7).map((comment) => comment.body);

describe('the freeze check (Prow\'s checker)', () => {
  const config = expectLoaded(buildFromFiles({ config: '', jobs: {}, plugins: '' }));

  it('picks the newest release branch by version, not by name', () => {
    expect(latestReleaseBranch(['main', 'release-1.9', 'release-1.10', 'release-1.x', 'release-01.2'])?.branch).toBe('release-1.10');
    expect(latestReleaseBranch(['main', 'feature'])).toBeUndefined();
  });

  it('is in Test Freeze while the newest branch has no X.Y.0 tag', () => {
    expect(freezeState(config, 'acme', 'widgets', ['release-1.30', 'release-1.31'], ['v1.30.0', 'v1.31.0-rc.1'])).toEqual({
      inTestFreeze: true,
      inCodeFreeze: false,
      branch: 'release-1.31',
      tag: 'v1.31.0',
    });
    expect(freezeState(config, 'acme', 'widgets', ['release-1.31'], ['v1.31.0'])?.inTestFreeze).toBe(false);
    expect(freezeState(config, 'acme', 'widgets', ['release-1.31'], ['1.31.0'])?.inTestFreeze).toBe(false);
  });

  it('is in Code Freeze when Tide leaves out the release branch or the next one', () => {
    const frozen = expectLoaded(buildFromFiles({ config: codeFreezeConfig('release-1.32'), jobs: {}, plugins: '' }));
    expect(freezeState(frozen, 'acme', 'widgets', ['release-1.31'], ['v1.31.0'])).toEqual({
      inTestFreeze: false,
      inCodeFreeze: true,
      branch: 'release-1.32',
      tag: 'v1.32.0',
    });
    expect(freezeState(frozen, 'acme', 'other', ['release-1.31'], ['v1.31.0'])?.inCodeFreeze).toBe(false);
  });
});

describe('testfreeze plugin', () => {
  it('tells a pull request opened against the default branch during Test Freeze, once', async () => {
    const harness = await start({ branches: ['release-1.30', 'release-1.31'], tags: ['v1.30.0'] });
    await open(harness);
    await open(harness, { action: 'reopened' });
    const [notice, ...more] = notices(harness);
    expect(more).toEqual([]);
    expect(notice).toContain('**Test Freeze**');
    expect(notice).toContain('`release-1.31`');
    expect(notice).toContain('v1.31.0');
    expect(notice).toContain(TESTFREEZE_MARKER);
  });

  it('says nothing outside a freeze, on other branches, or on other actions', async () => {
    const released = await start({ branches: ['release-1.31'], tags: ['v1.31.0'] });
    await open(released);
    expect(notices(released)).toEqual([]);
    await released.close();

    const frozen = await start({ branches: ['release-1.31'], tags: [] });
    await open(frozen, { baseRef: 'release-1.31' });
    await open(frozen, { action: 'synchronize' });
    expect(notices(frozen)).toEqual([]);
  });

  it('speaks of Code Freeze too, and of bug fixes', async () => {
    const harness = await start({ branches: ['release-1.31'], tags: [], config: codeFreezeConfig('release-1.31') });
    await open(harness, { labels: ['kind/bug'] });
    const [notice] = notices(harness);
    expect(notice).toContain('**Code Freeze**');
    expect(notice).toContain('`kind/bug`');
    expect(notice).toContain('also in **Test Freeze**');
  });

  it('skips quietly when the repository has no release branch', async () => {
    const harness = await start({ branches: [], tags: [] });
    await open(harness);
    expect(notices(harness)).toEqual([]);
  });
});
