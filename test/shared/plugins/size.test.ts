import { describe, expect, it } from 'vitest';
import {
  size,
  addListedPaths,
  countChangedLines,
  DEFAULT_SIZE_THRESHOLDS,
  GeneratedFilesSyntaxError,
  GitattributesSyntaxError,
  globMatches,
  isLinguistGenerated,
  isListedAsGenerated,
  parseGeneratedFiles,
  parseLinguistGenerated,
  sizeLabelChanges,
  sizeLabelFor,
  sizeThresholds,
} from '../../../shared/plugins/size';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import type { PullRequestFile } from '../../../shared/github/client';

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

function file(filename: string, additions: number, deletions = 0): PullRequestFile {
  return { filename, status: 'modified', additions, deletions, changes: additions + deletions };
}

describe('size buckets', () => {
  it.each([
    [0, 'size/XS'],
    [9, 'size/XS'],
    [10, 'size/S'],
    [29, 'size/S'],
    [30, 'size/M'],
    [100, 'size/L'],
    [500, 'size/XL'],
    [999, 'size/XL'],
    [1000, 'size/XXL'],
  ])('puts %i changed lines in %s by default', (lines, label) => {
    expect(sizeLabelFor(lines, DEFAULT_SIZE_THRESHOLDS)).toBe(label);
  });

  it('takes thresholds from plugins.yaml, defaulting the ones left out or zero', () => {
    expect(sizeThresholds({ s: 5, m: 0 })).toEqual({ ...DEFAULT_SIZE_THRESHOLDS, s: 5 });
    expect(sizeThresholds(undefined)).toEqual(DEFAULT_SIZE_THRESHOLDS);
  });
});

describe('size label changes', () => {
  it('replaces other size labels', () => {
    expect(sizeLabelChanges(['size/XS', 'lgtm', 'size/L'], 'size/M')).toEqual({ add: 'size/M', remove: ['size/XS', 'size/L'] });
  });

  it('keeps the right label', () => {
    expect(sizeLabelChanges(['size/M'], 'size/M')).toEqual({ remove: [] });
  });
});

describe('.generated_files', () => {
  const generated = parseGeneratedFiles(`
# generated code
path-prefix vendor/
file-prefix zz_generated.
file-name generated.pb.go
path api/openapi.json
paths-from-repo hack/generated.txt
`);

  it('matches by path prefix, file-name prefix, file name and exact path', () => {
    expect(isListedAsGenerated(generated, 'vendor/lib/a.go')).toBe(true);
    expect(isListedAsGenerated(generated, 'pkg/zz_generated.deepcopy.go')).toBe(true);
    expect(isListedAsGenerated(generated, 'pkg/api/generated.pb.go')).toBe(true);
    expect(isListedAsGenerated(generated, 'api/openapi.json')).toBe(true);
    expect(isListedAsGenerated(generated, 'pkg/api/types.go')).toBe(false);
  });

  it('names the files listing more paths, and takes their paths', () => {
    expect(generated.pathListFiles).toEqual(['hack/generated.txt']);
    addListedPaths(generated, 'docs/reference.md\n# comment\n');
    expect(isListedAsGenerated(generated, 'docs/reference.md')).toBe(true);
  });

  it('refuses lines it cannot read', () => {
    expect(() => parseGeneratedFiles('vendor/')).toThrow(GeneratedFilesSyntaxError);
    expect(() => parseGeneratedFiles('glob *.go')).toThrow(GeneratedFilesSyntaxError);
  });
});

describe('.gitattributes', () => {
  const patterns = parseLinguistGenerated(`
# generated code is collapsed in diffs
*.pb.go linguist-generated=true
/docs/api/** linguist-generated=true
mocks linguist-generated=true
testdata/**/golden.txt linguist-generated=true -diff
*.png binary
*.lock linguist-generated
`);

  it('matches a name pattern against any path element', () => {
    expect(isLinguistGenerated(patterns, 'api/v1/types.pb.go')).toBe(true);
    expect(isLinguistGenerated(patterns, 'pkg/mocks/client.go')).toBe(true);
  });

  it('anchors patterns with a slash, with ** spanning directories', () => {
    expect(isLinguistGenerated(patterns, 'docs/api/v1/index.md')).toBe(true);
    expect(isLinguistGenerated(patterns, 'site/docs/api/index.md')).toBe(false);
    expect(isLinguistGenerated(patterns, 'testdata/a/b/golden.txt')).toBe(true);
    expect(isLinguistGenerated(patterns, 'testdata/golden.txt')).toBe(true);
  });

  it('only counts linguist-generated=true', () => {
    expect(isLinguistGenerated(patterns, 'image.png')).toBe(false);
    expect(isLinguistGenerated(patterns, 'package.lock')).toBe(false);
  });

  it('refuses negative and directory patterns, as Prow does', () => {
    expect(() => parseLinguistGenerated('!keep.pb.go linguist-generated=true')).toThrow(GitattributesSyntaxError);
    expect(() => parseLinguistGenerated('vendor/ linguist-generated=true')).toThrow(GitattributesSyntaxError);
  });
});

describe('glob matching like Go', () => {
  it.each([
    ['*.go', 'main.go', true],
    ['*.go', 'main.gox', false],
    ['ma?n.go', 'main.go', true],
    ['[a-c]at', 'bat', true],
    ['[^a-c]at', 'bat', false],
    ['[^a-c]at', 'rat', true],
    ['\\*.go', '*.go', true],
    ['\\*.go', 'x.go', false],
    ['a.b(c)', 'a.b(c)', true],
    ['[z-a]x', 'mx', false],
    ['[', '[', false],
    ['[]a]', ']', false],
  ])('%j against %j is %j', (pattern, name, expected) => {
    expect(globMatches(pattern, name)).toBe(expected);
  });
});

describe('changed lines', () => {
  it('adds additions and deletions of files that are not generated', () => {
    const files = [file('a.go', 10, 5), file('b.pb.go', 400, 400), file('c.go', 1, 1)];
    expect(countChangedLines(files, (path) => path.endsWith('.pb.go'))).toBe(17);
  });
});
