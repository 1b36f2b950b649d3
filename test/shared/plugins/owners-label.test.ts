import { describe, expect, it } from 'vitest';
import { ownersLabel } from '../../../shared/plugins/owners-label';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';

const ALL_LABELS = ['area/docs', 'kind/documentation', 'area/api', 'dnm/bash', 'lgtm'];

describe('owners-label plugin', () => {
  async function start(options: { files: string[]; repoLabels?: string[]; labels?: string[]; baseRef?: string }): Promise<PluginHarness> {
    const harness = await startPluginHarness({
      plugins: 'plugins:\n  acme:\n    plugins: [owners-label]\n',
      registry: [ownersLabel],
    });
    const { github } = harness;
    github.setFile(REPO, 'OWNERS', 'approvers: [root-lead]\n');
    github.setFile(REPO, 'docs/OWNERS', 'approvers: [docs-lead]\nlabels: [area/docs, kind/documentation]\n');
    github.setFile(REPO, 'docs/api/OWNERS', 'labels: [area/api]\n');
    github.setFile(REPO, 'scripts/OWNERS', 'filters:\n  ".*\\\\.sh$":\n    labels: [dnm/bash]\n  ".*":\n    approvers: [scripts-lead]\n');
    github.addRepoLabels(REPO, options.repoLabels ?? ALL_LABELS);
    github.addPullRequest(REPO, {
      number: 4,
      author: 'contributor',
      files: options.files.map((filename) => ({ filename })),
      labels: options.labels ?? [],
      ...(options.baseRef ? { baseRef: options.baseRef } : {}),
    });
    return harness;
  }

  async function labelsAfter(options: Parameters<typeof start>[0], action: 'opened' | 'reopened' | 'synchronize' | 'labeled' = 'opened'): Promise<string[]> {
    const harness = await start(options);
    const outcome = await harness.deliver('pull_request', pullRequest(action, { number: 4, ...(options.baseRef ? { baseRef: options.baseRef } : {}) }));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.comments(REPO, 4)).toEqual([]);
    return harness.github.labels(REPO, 4).sort();
  }

  it('adds nothing when the changed files have no labelled OWNERS', async () => {
    expect(await labelsAfter({ files: ['main.go', 'pkg/widget.go'] })).toEqual([]);
  });

  it("adds the labels of a changed file's OWNERS and of those above it", async () => {
    expect(await labelsAfter({ files: ['docs/api/index.md'] })).toEqual(['area/api', 'area/docs', 'kind/documentation']);
  });

  it('adds the labels of every changed file, each once', async () => {
    expect(await labelsAfter({ files: ['docs/intro.md', 'docs/faq.md', 'scripts/build.sh'] })).toEqual(['area/docs', 'dnm/bash', 'kind/documentation']);
  });

  it("follows an OWNERS file's filters", async () => {
    expect(await labelsAfter({ files: ['scripts/build.py'] })).toEqual([]);
    expect(await labelsAfter({ files: ['scripts/build.sh', 'scripts/deploy.sh'] }, 'synchronize')).toEqual(['dnm/bash']);
  });

  it('keeps the labels already there and adds only the missing ones', async () => {
    expect(await labelsAfter({ files: ['docs/intro.md', 'scripts/build.sh'], labels: ['dnm/bash', 'lgtm'] }, 'reopened')).toEqual([
      'area/docs',
      'dnm/bash',
      'kind/documentation',
      'lgtm',
    ]);
  });

  it('skips labels the repository does not have', async () => {
    expect(await labelsAfter({ files: ['docs/api/index.md'], repoLabels: ['area/api', 'lgtm'] })).toEqual(['area/api']);
  });

  it('reads OWNERS files at the base branch', async () => {
    const harness = await start({ files: ['tools/run.go'], baseRef: 'release-1.0' });
    harness.github.setFile(REPO, 'tools/OWNERS', 'labels: [area/api]\n', 'release-1.0');
    await harness.deliver('pull_request', pullRequest('opened', { number: 4, baseRef: 'release-1.0' }));
    expect(harness.github.labels(REPO, 4)).toEqual(['area/api']);
  });

  it('ignores events that cannot change the files', async () => {
    expect(await labelsAfter({ files: ['docs/intro.md'] }, 'labeled')).toEqual([]);
  });

  it('asks nothing about labels or collaborators when no OWNERS file lists labels', async () => {
    const harness = await start({ files: ['main.go'] });
    await harness.deliver('pull_request', pullRequest('opened', { number: 4 }));
    const paths = harness.github.requests.map((request) => request.path);
    expect(paths.filter((path) => path.includes('/labels') || path.includes('/collaborators'))).toEqual([]);
  });
});
