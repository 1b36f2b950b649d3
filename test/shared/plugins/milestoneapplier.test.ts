import { describe, expect, it } from 'vitest';
import { milestoneapplier, shouldApplyMilestone } from '../../../shared/plugins/milestoneapplier';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [milestoneapplier]
milestone_applier:
  acme/widgets:
    main: v1.1
    release-1.0: v1.0
    release-2.0: v2.0
`;

type Action = 'opened' | 'synchronize' | 'closed';

describe('milestoneapplier plugin', () => {
  async function start(milestone?: string): Promise<PluginHarness> {
    const harness = await startPluginHarness({ plugins: PLUGINS, registry: [milestoneapplier] });
    harness.github.addMilestone(REPO, 'v1.0');
    harness.github.addMilestone(REPO, 'v1.1');
    harness.github.addPullRequest(REPO, { number: 7, author: 'contributor', ...(milestone ? { milestone } : {}) });
    return harness;
  }

  async function send(harness: PluginHarness, action: Action, baseRef: string, options: { merged?: boolean; milestone?: string } = {}) {
    const payload = pullRequest(action, { number: 7, baseRef });
    const pull = payload['pull_request'] as Record<string, unknown>;
    pull['merged'] = options.merged ?? false;
    if (action === 'closed') pull['state'] = 'closed';
    pull['milestone'] = options.milestone ? { number: 1, title: options.milestone, state: 'open' } : null;
    return harness.deliver('pull_request', payload);
  }

  it.each<[string, Action, string, boolean, string | undefined, string | null]>([
    ['opened on the default branch: nothing', 'opened', 'main', false, undefined, null],
    ['closed unmerged on the default branch: nothing', 'closed', 'main', false, undefined, null],
    ['merged on the default branch: the configured milestone', 'closed', 'main', true, undefined, 'v1.1'],
    ['merged on the default branch with another milestone: replaced', 'closed', 'main', true, 'v1.0', 'v1.1'],
    ['opened on a release branch: the configured milestone', 'opened', 'release-1.0', false, undefined, 'v1.0'],
    ['synced on a release branch: nothing', 'synchronize', 'release-1.0', false, undefined, null],
    ['closed unmerged on a release branch: nothing', 'closed', 'release-1.0', false, undefined, null],
    ['merged on a release branch with another milestone: replaced', 'closed', 'release-1.0', true, 'v1.1', 'v1.0'],
    ['opened on an unconfigured branch: nothing', 'opened', 'feature-x', false, undefined, null],
  ])('%s', async (_name, action, baseRef, merged, current, expected) => {
    const harness = await start(current);
    const outcome = await send(harness, action, baseRef, { merged, ...(current ? { milestone: current } : {}) });
    expect(outcome.failed).toEqual([]);
    expect(harness.github.milestone(REPO, 7)).toBe(expected ?? current ?? null);
  });

  it('does not touch a PR that already has the configured milestone', async () => {
    const harness = await start('v1.1');
    await send(harness, 'closed', 'main', { merged: true, milestone: 'v1.1' });
    expect(harness.github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('fails, naming the milestone, when the configured one does not exist', async () => {
    const harness = await start();
    const outcome = await send(harness, 'opened', 'release-2.0');
    expect(JSON.stringify(outcome.failed)).toContain('v2.0');
    expect(harness.github.milestone(REPO, 7)).toBeNull();
  });
});

describe('shouldApplyMilestone', () => {
  const pull = { action: 'closed', merged: true, baseRef: 'main', defaultBranch: 'main', milestone: undefined };
  it('applies on merge, or on open off the default branch, unless already set', () => {
    expect(shouldApplyMilestone(pull, 'v1')).toBe(true);
    expect(shouldApplyMilestone({ ...pull, milestone: 'v1' }, 'v1')).toBe(false);
    expect(shouldApplyMilestone({ ...pull, action: 'opened', merged: false }, 'v1')).toBe(false);
    expect(shouldApplyMilestone({ ...pull, action: 'opened', merged: false, baseRef: 'release-1' }, 'v1')).toBe(true);
  });
});
