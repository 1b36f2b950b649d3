import { describe, expect, it } from 'vitest';
import type { PullRequestFile } from '../../../shared/github/client';
import { validatePluginConfig } from '../../../shared/config/plugin-config';
import { parseYamlSource } from '../../../shared/config/yaml-source';
import { memoryLogger } from '../../../shared/log/logger';
import {
  applicableBlockades,
  blockadeSection,
  BLOCKED_PATHS_LABEL,
  BLOCKED_PATHS_NOTICE,
  blockade,
  blockedFiles,
  blockedSummary,
  DEFAULT_EXPLANATION,
  type BlockadeSettings,
} from '../../../shared/plugins/blockade';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const HEAD = 'f'.repeat(40);

// Prow's sample blockades (blockade_test.go), explanations numbered as there.
const blockDocs: BlockadeSettings = { repos: ['org/repo'], blockregexps: ['docs/.*'], explanation: '1' };
const blockDocsExceptOwners: BlockadeSettings = { repos: ['org/repo'], blockregexps: ['docs/.*'], exceptionregexps: ['.*OWNERS'], explanation: '2' };
const blockShell: BlockadeSettings = { repos: ['org/repo'], blockregexps: ['.*\\.sh'], explanation: '3' };
const blockConformanceOnRelease: BlockadeSettings = {
  repos: ['org/repo'],
  branchregexp: '^release-*',
  blockregexps: ['test/conformance/testdata/.*'],
  explanation: '6',
};

const file = (filename: string): PullRequestFile => ({ filename, status: 'modified', additions: 1, deletions: 0, changes: 1 });
const docFile = file('docs/documentation.md');
const docOwners = file('docs/OWNERS');
const docOwners2 = file('docs/2/OWNERS');
const srcGo = file('src/code.go');
const srcSh = file('src/shell.sh');
const docSh = file('docs/shell.sh');
const conformance = file('test/conformance/testdata/conformance.yaml');

function blocked(entries: BlockadeSettings[], files: PullRequestFile[], branch = 'main'): Record<string, string[]> {
  const found = blockedFiles(files, applicableBlockades(entries, 'org', 'repo', branch, memoryLogger()));
  return Object.fromEntries([...found].map(([reason, list]) => [reason, list.map((change) => change.filename)]));
}

describe('which files a blockade blocks (Prow’s cases)', () => {
  it.each([
    ['1/1 blockade, extra file', [blockDocs], [docFile, docOwners, srcGo], 'main', { '1': ['docs/documentation.md', 'docs/OWNERS'] }],
    ['1/1 blockade, one file an exception', [blockDocsExceptOwners], [docFile, docOwners, srcGo], 'main', { '2': ['docs/documentation.md'] }],
    ['every file an exception', [blockDocsExceptOwners], [docOwners, docOwners2, srcGo], 'main', {}],
    ['no file matches', [blockDocsExceptOwners], [srcGo, srcSh], 'main', {}],
    ['2/2 blockades', [blockDocsExceptOwners, blockShell], [srcGo, srcSh, docFile], 'main', { '2': ['docs/documentation.md'], '3': ['src/shell.sh'] }],
    ['one file, two blockades', [blockDocsExceptOwners, blockShell], [docSh, docOwners], 'main', { '2': ['docs/shell.sh'], '3': ['docs/shell.sh'] }],
    ['1/2 blockades', [blockDocsExceptOwners, blockShell], [srcSh, docOwners, srcGo], 'main', { '3': ['src/shell.sh'] }],
    ['release branch', [blockConformanceOnRelease], [conformance], 'release-1.20', { '6': [conformance.filename] }],
    ['not on main', [blockConformanceOnRelease], [conformance], 'main', {}],
    ['release branch, two blockades', [blockConformanceOnRelease, blockDocsExceptOwners], [conformance, docFile, srcGo], 'release-1.20', {
      '6': [conformance.filename],
      '2': ['docs/documentation.md'],
    }],
  ])('%s', (_name, entries, files, branch, expected) => {
    expect(blocked(entries, files, branch)).toEqual(expected);
  });

  it('applies blockades naming the org or the repo, not another org, and skips one with nothing to block', () => {
    const entries: BlockadeSettings[] = [
      { repos: ['org'], blockregexps: ['.*'] },
      { repos: ['org2'], blockregexps: ['.*'], explanation: 'elsewhere' },
      { repos: ['org/repo'], explanation: 'empty' },
    ];
    expect(blocked(entries, [srcGo])).toEqual({ [DEFAULT_EXPLANATION]: ['src/code.go'] });
  });

  it('lists the blocked files under each reason, linked', () => {
    const summary = blockedSummary(
      new Map([
        ['reason A', [docFile]],
        ['reason B', [srcGo, srcSh]],
      ]),
      (path) => `<${path}>`,
    );
    expect(summary).toContain('**reason A**\n- [docs/documentation.md](<docs/documentation.md>)');
    expect(summary).toContain('**reason B**\n- [src/code.go](<src/code.go>)\n- [src/shell.sh](<src/shell.sh>)');
  });
});

describe('blockade plugin', () => {
  const SETTINGS = [
    'blockades:',
    '- repos: [acme/widgets]',
    '  blockregexps: ["^docs/"]',
    '  exceptionregexps: ["OWNERS$"]',
    '  explanation: Documentation lives in acme/website now.',
    '- repos: [acme]',
    '  branchregexp: "^release-"',
    '  blockregexps: ["^vendor/"]',
    '',
  ].join('\n');

  async function start(options: { files: string[]; labels?: string[]; baseRef?: string; settings?: string }): Promise<PluginHarness> {
    const harness = await startPluginHarness({
      plugins: `plugins:\n  acme:\n    plugins: [blockade]\n${options.settings ?? SETTINGS}`,
      registry: [blockade],
    });
    harness.github.addPullRequest(REPO, {
      number: 3,
      author: 'contributor',
      headSha: HEAD,
      ...(options.baseRef ? { baseRef: options.baseRef } : {}),
      files: options.files.map((filename) => ({ filename })),
      labels: options.labels ?? [],
    });
    return harness;
  }

  const event = (action: 'opened' | 'reopened' | 'synchronize' | 'labeled' = 'opened', baseRef = 'main') =>
    pullRequest(action, { number: 3, headSha: HEAD, baseRef });
  const notices = (harness: PluginHarness) => harness.github.comments(REPO, 3).filter((comment) => comment.body.includes(BLOCKED_PATHS_NOTICE));

  it('labels a pull request changing protected files and tells its author which and why', async () => {
    const harness = await start({ files: ['docs/guide.md', 'docs/OWNERS', 'src/main.go'] });
    const outcome = await harness.deliver('pull_request', event());
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 3)).toEqual([BLOCKED_PATHS_LABEL]);
    const [notice, ...others] = notices(harness);
    expect(others).toEqual([]);
    expect(notice?.body).toMatch(/^@contributor: /);
    expect(notice?.body).toContain('Documentation lives in acme/website now.');
    expect(notice?.body).toContain(`[docs/guide.md](https://github.com/acme/widgets/blob/${HEAD}/docs/guide.md)`);
    expect(notice?.body).not.toContain('docs/OWNERS');
    expect(notice?.body).not.toContain('src/main.go');

    // Already labelled: no second comment.
    await harness.deliver('pull_request', event('synchronize'));
    expect(notices(harness)).toHaveLength(1);
  });

  it('leaves a pull request alone when its files are allowed, or the event cannot change them', async () => {
    const harness = await start({ files: ['src/main.go', 'docs/OWNERS', 'vendor/lib.go'] });
    await harness.deliver('pull_request', event());
    expect(harness.github.labels(REPO, 3)).toEqual([]);
    const blockedHarness = await start({ files: ['docs/guide.md'] });
    await blockedHarness.deliver('pull_request', event('labeled'));
    expect(blockedHarness.github.labels(REPO, 3)).toEqual([]);
    expect(blockedHarness.github.comments(REPO, 3)).toEqual([]);
  });

  it('applies a blockade with a branch expression only to pull requests into matching branches', async () => {
    const harness = await start({ files: ['vendor/lib.go'], baseRef: 'release-1.2' });
    await harness.deliver('pull_request', event('opened', 'release-1.2'));
    expect(harness.github.labels(REPO, 3)).toEqual([BLOCKED_PATHS_LABEL]);
    expect(notices(harness)[0]?.body).toContain(DEFAULT_EXPLANATION);
  });

  it('removes the label and its notice once the protected files are out of the pull request', async () => {
    const harness = await start({ files: ['docs/guide.md', 'src/main.go'] });
    await harness.deliver('pull_request', event());
    harness.github.addComment(REPO, 3, 'reviewer', 'Docs moved, see the notice.');
    harness.github.pushPullRequestHead(REPO, 3, { files: [{ filename: 'src/main.go' }], sha: HEAD.replace(/f$/, 'e') });
    await harness.deliver('pull_request', event('synchronize'));
    expect(harness.github.labels(REPO, 3)).toEqual([]);
    expect(harness.github.comments(REPO, 3).map((comment) => comment.user)).toEqual(['reviewer']);
  });

  it('removes a stale label when no blockade applies any more', async () => {
    const harness = await start({ files: ['docs/guide.md'], labels: [BLOCKED_PATHS_LABEL], settings: '' });
    // Prow's own notice from before the migration.
    harness.github.addComment(REPO, 3, 'cutwater-bot', `Adding label: \`${BLOCKED_PATHS_LABEL}\` because PR changes a protected file.`);
    await harness.deliver('pull_request', event('reopened'));
    expect(harness.github.labels(REPO, 3)).toEqual([]);
    expect(harness.github.comments(REPO, 3)).toEqual([]);
  });

  it('reads nothing of a pull request no blockade applies to', async () => {
    const harness = await start({ files: ['docs/guide.md'], settings: 'blockades:\n- repos: [other]\n  blockregexps: [".*"]\n' });
    await harness.deliver('pull_request', event());
    expect(harness.github.requests.filter((request) => request.path.endsWith('/files'))).toEqual([]);
    expect(harness.github.labels(REPO, 3)).toEqual([]);
  });
});

describe('plugins.yaml blockades', () => {
  function problems(yaml: string): string[] {
    const parsed = parseYamlSource('plugins.yaml', yaml);
    if (!parsed.ok) throw new Error('test YAML does not parse');
    return validatePluginConfig(parsed.source, { strict: true, sections: [blockadeSection] }).problems.map(
      (problem) => `${problem.line}: ${problem.message.split(':')[0]}`,
    );
  }

  it('reports each expression that does not compile at its line', () => {
    const yaml = [
      'blockades:',
      '- repos: [acme/widgets]',
      '  branchregexp: "release-(*"',
      '  blockregexps: ["^docs/", "a{2,1}"]',
      '  exceptionregexps:',
      '  - "OWNERS("',
      '  explanation: moved',
      '',
    ].join('\n');
    expect(problems(yaml)).toEqual(['3: blockades[0].branchregexp', '4: blockades[0].blockregexps[1]', '6: blockades[0].exceptionregexps[0]']);
  });

  it('accepts good expressions and reports unknown fields under strict', () => {
    expect(problems('blockades:\n- repos: [acme]\n  blockregexps: [".*"]\n')).toEqual([]);
    expect(problems('blockades:\n- repos: [acme]\n  blockregexp: [".*"]\n')).toEqual(['3: blockades[0]']);
  });
});
