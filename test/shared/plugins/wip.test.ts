import { describe, expect, it } from 'vitest';
import {
  wip,
  isWorkInProgressTitle,
  WORK_IN_PROGRESS_LABEL,
  wipLabelChange,
} from '../../../shared/plugins/wip';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const WIP = 'do-not-merge/work-in-progress';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [wip]
`;

/** GitHub's examples have no `edited` pull_request delivery; an opened one differs only in its action. */
function edited(options: Parameters<typeof pullRequest>[1]) {
  return { ...pullRequest('opened', options), action: 'edited', changes: { title: { from: 'WIP: Faster widgets' } } };
}

describe('wip plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(pr: { title: string; draft?: boolean; labels?: string[] }): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: PLUGINS, registry: [wip] });
    harness.github.addPullRequest(REPO, { number: 3, author: 'contributor', ...pr });
    return harness;
  }

  it('labels a PR opened with a WIP title', async () => {
    const { github, deliver } = await start({ title: '[WIP] Faster widgets' });
    const outcome = await deliver('pull_request', pullRequest('opened', { number: 3, title: '[WIP] Faster widgets' }));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 3)).toEqual([WIP]);
  });

  it('labels a PR whose title starts with an emoji then WIP, as Prow counts the emoji as one character', async () => {
    const { github, deliver } = await start({ title: '🚧WIP: Faster widgets' });
    await deliver('pull_request', pullRequest('opened', { number: 3, title: '🚧WIP: Faster widgets' }));
    expect(github.labels(REPO, 3)).toEqual([WIP]);
  });

  it('labels a PR converted to a draft', async () => {
    const { github, deliver } = await start({ title: 'Faster widgets', draft: true });
    await deliver('pull_request', pullRequest('converted_to_draft', { number: 3, title: 'Faster widgets', draft: true }));
    expect(github.labels(REPO, 3)).toEqual([WIP]);
  });

  it('unlabels a draft that is marked ready for review', async () => {
    const { github, deliver } = await start({ title: 'Faster widgets', labels: [WIP, 'kind/feature'] });
    await deliver('pull_request', pullRequest('ready_for_review', { number: 3, title: 'Faster widgets', draft: false }));
    expect(github.labels(REPO, 3)).toEqual(['kind/feature']);
  });

  it('unlabels a PR whose title loses the WIP prefix, and keeps it for a draft', async () => {
    const { github, deliver } = await start({ title: 'Faster widgets', labels: [WIP] });
    await deliver('pull_request', edited({ number: 3, title: 'Faster widgets', draft: true }));
    expect(github.labels(REPO, 3)).toEqual([WIP]);
    await deliver('pull_request', edited({ number: 3, title: 'Faster widgets', draft: false }));
    expect(github.labels(REPO, 3)).toEqual([]);
  });

  it('ignores pushes, which cannot change the title', async () => {
    const { github, deliver } = await start({ title: 'WIP: faster' });
    await deliver('pull_request', pullRequest('synchronize', { number: 3, title: 'WIP: faster' }));
    expect(github.labels(REPO, 3)).toEqual([]);
  });
});

describe('work-in-progress titles', () => {
  it.each(['WIP: faster widgets', '[WIP] faster widgets', 'wip faster widgets', '(wip) faster widgets', 'WIP-faster'])(
    'treats %j as in progress',
    (title) => expect(isWorkInProgressTitle(title)).toBe(true),
  );

  it.each(['Wipe the cache', 'Faster widgets (WIP)', 'WIP', '[[WIP]] two marks', '🚧 WIP: an emoji and a space are two marks'])(
    'does not treat %j as in progress',
    (title) => expect(isWorkInProgressTitle(title)).toBe(false),
  );
});

describe('wip label change', () => {
  it('labels drafts and WIP titles that lack the label', () => {
    expect(wipLabelChange({ title: 'Faster', draft: true, labels: [] })).toBe('add');
    expect(wipLabelChange({ title: 'WIP: faster', draft: false, labels: ['lgtm'] })).toBe('add');
  });

  it('unlabels PRs that are neither', () => {
    expect(wipLabelChange({ title: 'Faster', draft: false, labels: [WORK_IN_PROGRESS_LABEL] })).toBe('remove');
  });

  it('leaves PRs alone when the label already matches', () => {
    expect(wipLabelChange({ title: 'WIP: faster', draft: true, labels: [WORK_IN_PROGRESS_LABEL] })).toBeUndefined();
    expect(wipLabelChange({ title: 'Faster', draft: false, labels: [] })).toBeUndefined();
  });
});
