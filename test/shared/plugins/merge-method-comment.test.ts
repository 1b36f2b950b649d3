import { describe, expect, it } from 'vitest';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { mergeMethodComment, mergeMethodNotice } from '../../../shared/plugins/merge-method-comment';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `plugins:\n  acme/widgets:\n    plugins: [merge-method-comment]\n`;

function tideConfig(lines: string[]): string {
  return ['tide:', ...lines.map((line) => `  ${line}`)].join('\n') + '\n';
}

async function start(config: string): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, config, registry: [mergeMethodComment] });
  harness.github.addPullRequest(REPO, { number: 101, author: 'contributor' });
  return harness;
}

function opened(commits: number, action: 'opened' | 'reopened' | 'synchronize' | 'edited' | 'closed' = 'opened') {
  // Every action's payload has the same shape; only the action differs.
  const payload = pullRequest('opened', { number: 101 });
  payload['action'] = action;
  (payload['pull_request'] as Record<string, unknown>)['commits'] = commits;
  return payload;
}

describe('merge-method-comment plugin', () => {
  it('says nothing on a single-commit PR', async () => {
    const { github, deliver } = await start(tideConfig(['squash_label: squash-label', 'merge_method:', '  acme/widgets: squash']));
    await deliver('pull_request', opened(1));
    expect(github.comments(REPO, 101)).toEqual([]);
  });

  it.each([
    ['merge', 'squash_label: squash-label', 'You can request commits to be squashed using the label: squash-label'],
    ['merge', undefined, 'Commits will be merged, as no squash labels are defined'],
    ['squash', 'merge_label: merge-label', 'You can request commits to be merged using the label: merge-label'],
    ['squash', undefined, 'Commits will be squashed, as no merge labels are defined'],
  ])('explains the default method %s (label %s)', async (method, label, advice) => {
    const lines = [...(label ? [label] : []), 'merge_method:', `  acme/widgets: ${method}`];
    const { github, deliver } = await start(tideConfig(lines));
    const outcome = await deliver('pull_request', opened(2));
    expect(outcome.failed).toEqual([]);
    const bodies = github.comments(REPO, 101).map((comment) => comment.body);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain(`This PR has multiple commits, and the default merge method is: ${method}.\n${advice}`);
  });

  it.each(['reopened', 'synchronize', 'edited'] as const)('comments after the PR is %s too, but not when it is closed', async (action) => {
    const { github, deliver } = await start('');
    await deliver('pull_request', opened(3, 'closed'));
    expect(github.comments(REPO, 101)).toEqual([]);
    await deliver('pull_request', opened(3, action));
    expect(github.comments(REPO, 101).map((comment) => comment.body)[0]).toContain('Commits will be merged, as no squash labels are defined');
  });

  it('comments once, recognising its earlier notice (Prow left the same words)', async () => {
    const { github, deliver } = await start('');
    github.addComment(REPO, 101, 'cutwater-bot', 'This PR has multiple commits, and the default merge method is: merge.\nCommits will be merged, as no squash labels are defined\n\n<details>Prow footer</details>');
    await deliver('pull_request', opened(2));
    await deliver('pull_request', opened(3, 'synchronize'));
    expect(github.comments(REPO, 101)).toHaveLength(1);
  });

  it('does not count the same words from someone else as its notice', async () => {
    const { github, deliver } = await start('');
    github.addComment(REPO, 101, 'someone', 'This PR has multiple commits, and the default merge method is: merge.\nCommits will be merged, as no squash labels are defined');
    await deliver('pull_request', opened(2));
    expect(github.comments(REPO, 101)).toHaveLength(2);
  });

  it('reads the method the way Tide does, most specific entry first', () => {
    const config = expectLoaded(
      buildFromFiles({ config: tideConfig(['merge_method:', '  acme: squash', '  acme/widgets@release: rebase']), plugins: '' }),
    );
    expect(mergeMethodNotice(config, 'acme', 'gadgets', 'main', 2)).toContain('default merge method is: squash.');
    expect(mergeMethodNotice(config, 'acme', 'widgets', 'release', 2)).toBe(
      'This PR has multiple commits, and the default merge method is: rebase.\n',
    );
  });
});
