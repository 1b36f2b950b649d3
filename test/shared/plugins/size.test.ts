import { describe, expect, it } from 'vitest';
import { size } from '../../../shared/plugins/size';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [size]
`;

type Files = { filename: string; additions?: number; deletions?: number }[];

describe('size plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(files: Files, options: { labels?: string[]; plugins?: string } = {}): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: options.plugins ?? PLUGINS, registry: [size] });
    harness.github.addPullRequest(REPO, { number: 2, author: 'contributor', files, labels: options.labels ?? [] });
    return harness;
  }

  it('labels a new PR by the lines it changes', async () => {
    const { github, deliver } = await start([
      { filename: 'main.go', additions: 8, deletions: 4 },
      { filename: 'README.md', additions: 3 },
    ]);
    const outcome = await deliver('pull_request', pullRequest('opened', { number: 2 }));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 2)).toEqual(['size/S']);
  });

  it('replaces the size label when a push changes the size', async () => {
    const { github, deliver } = await start([{ filename: 'main.go', additions: 600, deletions: 450 }], {
      labels: ['size/XS', 'lgtm'],
    });
    await deliver('pull_request', pullRequest('synchronize', { number: 2 }));
    expect(github.labels(REPO, 2).sort()).toEqual(['lgtm', 'size/XXL']);
  });

  it('leaves the right label alone', async () => {
    const { github, deliver } = await start([{ filename: 'main.go', additions: 2 }], { labels: ['size/XS'] });
    await deliver('pull_request', pullRequest('synchronize', { number: 2 }));
    expect(github.labels(REPO, 2)).toEqual(['size/XS']);
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('takes the thresholds from plugins.yaml', async () => {
    const { github, deliver } = await start([{ filename: 'main.go', additions: 3 }], {
      plugins: `${PLUGINS}size: {s: 2, m: 4, l: 6, xl: 8, xxl: 10}\n`,
    });
    await deliver('pull_request', pullRequest('opened', { number: 2 }));
    expect(github.labels(REPO, 2)).toEqual(['size/S']);
  });

  it('does not count generated files', async () => {
    const { github, deliver } = await start([
      { filename: 'main.go', additions: 5 },
      { filename: 'api/types.pb.go', additions: 4000 },
      { filename: 'pkg/zz_generated.deepcopy.go', additions: 900 },
      { filename: 'docs/reference.md', additions: 700 },
    ]);
    github.setFile(REPO, '.gitattributes', '*.pb.go linguist-generated=true\n');
    github.setFile(REPO, '.generated_files', 'file-prefix zz_generated.\npaths-from-repo hack/generated.txt\n');
    github.setFile(REPO, 'hack/generated.txt', 'docs/reference.md\n');
    await deliver('pull_request', pullRequest('opened', { number: 2 }));
    expect(github.labels(REPO, 2)).toEqual(['size/XS']);
  });

  it('counts everything when .generated_files cannot be read', async () => {
    const { github, deliver } = await start([{ filename: 'zz_generated.go', additions: 40 }]);
    github.setFile(REPO, '.generated_files', 'zz_generated.\n');
    const outcome = await deliver('pull_request', pullRequest('opened', { number: 2 }));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 2)).toEqual(['size/M']);
  });
});
