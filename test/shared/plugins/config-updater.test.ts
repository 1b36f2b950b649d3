import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { listJobConfigFiles } from '../../../shared/config/job-files';
import { countJobs } from '../../../shared/config/model';
import { loadPluginConfigFile } from '../../../shared/config/plugin-config';
import { readCurrentSnapshot, readPointer, snapshotConfigSource } from '../../../shared/config/snapshots';
import { memoryLogger } from '../../../shared/log/logger';
import {
  compileConfigGlob,
  configUpdaterSection,
  createConfigUpdater,
  rejectedComment,
  roleMapsFor,
  selectConfigFiles,
} from '../../../shared/plugins/config-updater';
import { PLUGIN_SETTINGS } from '../../../shared/plugins/registry';
import { corpusPaths, lineOf, yaml } from '../../support/config';
import { useTempTrees } from '../../support/files';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/config';
const PREFIX = 'config-snapshots';

const PLUGINS_YAML = yaml(`
  plugins:
    acme/config:
      plugins: [config-updater]
  config_updater:
    maps:
      config/prow/config.yaml:
        name: config
      config/prow/plugins.yaml:
        name: plugins
      config/jobs/**/*.{yaml,yml}:
        name: job-config
        gzip: true
      label_sync/labels.yaml:
        name: label-config
`);

function jobFile(...names: string[]): string {
  const jobs = names
    .map((name) => `  - name: ${name}\n    always_run: true\n    spec:\n      containers:\n      - image: registry.example/test:latest\n`)
    .join('');
  return `presubmits:\n  acme/widgets:\n${jobs}`;
}

const BROKEN_JOBS = yaml(`
  presubmits:
    acme/widgets:
    - name: unit
      always_run: true
      spec:
        containers:
        - image: registry.example/test:latest
    - name: docs
      run_if_changed: "^docs/(.*"
      spec:
        containers:
        - image: registry.example/test:latest
`);

interface MergeOptions {
  number: number;
  files: Record<string, string>;
  mergeSha: string;
  mergedAt?: string;
  merged?: boolean;
  baseRef?: string;
}

describe('config-updater plugin', () => {
  const tree = useTempTrees('config-updater');

  async function start(plugins = PLUGINS_YAML) {
    const snapshots = new DiskArtifactStore(tree({}));
    const harness = await startPluginHarness({
      plugins,
      registry: [createConfigUpdater({
        snapshots: () => Promise.resolve({ store: snapshots, prefix: PREFIX }),
        pluginSettings: () => PLUGIN_SETTINGS,
      })],
    });
    harness.github.addRepo(REPO);
    harness.github.setFile(REPO, 'config/prow/config.yaml', 'pod_namespace: test-pods\n');
    harness.github.setFile(REPO, 'config/prow/plugins.yaml', PLUGINS_YAML);
    harness.github.setFile(REPO, 'config/jobs/acme/widgets/widgets.yaml', jobFile('unit'));
    harness.github.setFile(REPO, 'README.md', '# config\n');
    const source = () => snapshotConfigSource(snapshots, PREFIX, memoryLogger(), { pluginSettings: PLUGIN_SETTINGS });
    return { ...harness, snapshots, source };
  }

  /** A pull request changing `files`, merged (unless told otherwise) as `mergeSha`. */
  async function merge(harness: PluginHarness, options: MergeOptions) {
    const { github } = harness;
    github.addPullRequest(REPO, {
      number: options.number,
      author: 'alice',
      files: Object.keys(options.files).map((filename) => ({ filename })),
    });
    for (const [file, text] of Object.entries(options.files)) github.setFile(REPO, file, text, options.mergeSha);
    const payload = pullRequest('closed', { repo: REPO, number: options.number, author: 'alice', state: 'closed', ...(options.baseRef ? { baseRef: options.baseRef } : {}) });
    const pr = payload['pull_request'] as Record<string, unknown>;
    const merged = options.merged ?? true;
    pr['merged'] = merged;
    pr['merge_commit_sha'] = merged ? options.mergeSha : null;
    pr['merged_at'] = merged ? (options.mergedAt ?? '2025-06-01T10:00:00Z') : null;
    const outcome = await harness.deliver('pull_request', payload);
    // The merge is now the default branch, where the next merge starts from.
    if (merged && !options.baseRef) for (const [file, text] of Object.entries(options.files)) github.setFile(REPO, file, text);
    return { payload, outcome };
  }

  const writes = (harness: PluginHarness) => harness.github.requests.filter((request) => request.method !== 'GET');

  it('publishes the configuration at the merge commit when a job file changes, and says so on the PR', async () => {
    const harness = await start();
    const { outcome } = await merge(harness, {
      number: 5,
      files: { 'config/jobs/acme/widgets/widgets.yaml': jobFile('unit', 'lint') },
      mergeSha: '5'.repeat(40),
    });

    expect(outcome.failed).toEqual([]);
    const config = await harness.source().current();
    expect(config.presubmits.get('acme/widgets')?.map((job) => job.name)).toEqual(['unit', 'lint']);
    expect(config.podNamespace).toBe('test-pods');
    expect(config.plugins?.plugins?.[REPO]?.plugins).toEqual(['config-updater']);
    const pointer = await readPointer(harness.snapshots, PREFIX);
    expect(pointer).toMatchObject({ sha: '5'.repeat(40), pullRequest: 5, repo: REPO, createdAt: '2025-06-01T10:00:00.000Z' });

    const comments = harness.github.comments(REPO, 5);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.user).toBe('cutwater-bot');
    expect(comments[0]?.body).toContain(`Published config snapshot \`${pointer?.version.slice(0, 12)}\` from 555555555555`);
    expect(comments[0]?.body).toContain('2 presubmits, 0 postsubmits, 0 periodics (1 job-config file)');
  });

  it('comments the problems and leaves the previous snapshot current when a merged job config is invalid', async () => {
    const harness = await start();
    await merge(harness, { number: 5, files: { 'config/jobs/acme/widgets/widgets.yaml': jobFile('unit', 'lint') }, mergeSha: '5'.repeat(40) });
    const before = await readPointer(harness.snapshots, PREFIX);

    const { outcome } = await merge(harness, {
      number: 6,
      files: { 'config/jobs/acme/widgets/widgets.yaml': BROKEN_JOBS },
      mergeSha: '6'.repeat(40),
      mergedAt: '2025-06-01T11:00:00Z',
    });

    expect(outcome.failed).toEqual([]);
    expect(await readPointer(harness.snapshots, PREFIX)).toEqual(before);
    expect((await harness.source().current()).presubmits.get('acme/widgets')?.map((job) => job.name)).toEqual(['unit', 'lint']);
    const comments = harness.github.comments(REPO, 6);
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? '';
    expect(body).toContain('The configuration at 666666666666 was **not published**: it has 1 problem.');
    expect(body).toContain(`Config snapshot \`${before?.version.slice(0, 12)}\` (from 555555555555) stays in use.`);
    expect(body).toMatch(
      new RegExp(`\`\`\`\\nconfig/jobs/acme/widgets/widgets\\.yaml:${lineOf(BROKEN_JOBS, 'run_if_changed')}: presubmit docs: run_if_changed: [^\\n]+\\n\`\`\``),
    );
  });

  it('does nothing when a pull request is closed without merging', async () => {
    const harness = await start();
    const { outcome } = await merge(harness, {
      number: 7,
      files: { 'config/jobs/acme/widgets/widgets.yaml': jobFile('unit', 'lint') },
      mergeSha: '7'.repeat(40),
      merged: false,
    });

    expect(outcome.handled).toEqual(['config-updater']);
    expect(harness.github.requests).toEqual([]);
    expect(await readPointer(harness.snapshots, PREFIX)).toBeUndefined();
  });

  it('does nothing when the merge is into another branch', async () => {
    const harness = await start();
    await merge(harness, {
      number: 7,
      files: { 'config/jobs/acme/widgets/widgets.yaml': jobFile('unit', 'lint') },
      mergeSha: '7'.repeat(40),
      baseRef: 'release-1.0',
    });

    expect(harness.github.requests).toEqual([]);
    expect(await readPointer(harness.snapshots, PREFIX)).toBeUndefined();
  });

  it('does nothing when a merged pull request changes no configuration (only files other maps or no map name)', async () => {
    const harness = await start();
    await merge(harness, {
      number: 8,
      files: { 'README.md': '# the config repository\n', 'label_sync/labels.yaml': 'default:\n  labels: []\n' },
      mergeSha: '8'.repeat(40),
    });

    expect(writes(harness)).toEqual([]);
    expect(harness.github.comments(REPO, 8)).toEqual([]);
    expect(await readPointer(harness.snapshots, PREFIX)).toBeUndefined();
  });

  it('comments once when the same merge is delivered again', async () => {
    const harness = await start();
    const { payload } = await merge(harness, { number: 5, files: { 'config/jobs/acme/widgets/widgets.yaml': jobFile('unit', 'lint') }, mergeSha: '5'.repeat(40) });
    const pointer = await readPointer(harness.snapshots, PREFIX);

    const again = await harness.deliver('pull_request', payload);

    expect(again.failed).toEqual([]);
    expect(harness.github.comments(REPO, 5)).toHaveLength(1);
    expect(await readPointer(harness.snapshots, PREFIX)).toEqual(pointer);
  });

  it('reads from GitHub only the files that differ from the current snapshot', async () => {
    const harness = await start();
    await merge(harness, { number: 5, files: { 'config/jobs/acme/widgets/widgets.yaml': jobFile('unit', 'lint') }, mergeSha: '5'.repeat(40) });
    harness.github.requests.length = 0;

    await merge(harness, {
      number: 9,
      files: { 'config/jobs/acme/gadgets.yml': jobFile('gadgets-unit').replace('acme/widgets', 'acme/gadgets') },
      mergeSha: '9'.repeat(40),
      mergedAt: '2025-06-01T12:00:00Z',
    });

    const contentReads = harness.github.requests.filter((request) => request.path.includes('/contents/')).map((request) => decodeURIComponent(request.path));
    expect(contentReads).toEqual([`/repos/${REPO}/contents/config/jobs/acme/gadgets.yml`]);
    const config = await harness.source().current();
    expect(countJobs(config)).toEqual({ presubmits: 3, postsubmits: 0, periodics: 0 });
  });
});

describe('config-updater with the kubernetes/test-infra configuration', () => {
  const corpus = corpusPaths();
  const tree = useTempTrees('config-updater-corpus');

  it('reads Prow\'s config_updater maps from the real plugins.yaml by role', async () => {
    const loaded = await loadPluginConfigFile(corpus.pluginConfigPath, { strict: false, sections: PLUGIN_SETTINGS });
    const maps = roleMapsFor(configUpdaterSection.read(loaded.config ?? {}), 'kubernetes/test-infra');

    expect(maps.map((map) => [map.pattern, map.role, map.root])).toEqual([
      ['config/prow/config.yaml', 'config', 'config/prow'],
      ['config/prow/plugins.yaml', 'plugins', 'config/prow'],
      ['config/jobs/**/*.{yaml,yml}', 'job-config', 'config/jobs'],
    ]);
    const jobs = compileConfigGlob('config/jobs/**/*.{yaml,yml}');
    expect(['config/jobs/a.yaml', 'config/jobs/kubernetes/sig-node/node.yml', 'config/jobs/x/OWNERS', 'config/jobs/a.yaml.txt', 'other/config/jobs/a.yaml'].map(jobs)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    const selection = selectConfigFiles(
      ['config/prow/config.yaml', 'config/prow/plugins.yaml', 'config/jobs/b/x.yaml', 'config/jobs/b-c.yaml', 'config/jobs/a.yaml', 'config/jobs/b/skip/y.yaml'],
      maps,
      [{ path: 'config/jobs/b/.prowignore', text: 'skip/\n' }],
    );
    // Go's walk order: the directory "b" before the file "b-c.yaml".
    expect(selection).toMatchObject({
      config: 'config/prow/config.yaml',
      plugins: 'config/prow/plugins.yaml',
      jobConfigs: ['config/jobs/a.yaml', 'config/jobs/b/x.yaml', 'config/jobs/b-c.yaml'],
      problems: [],
    });
  });

  it('publishes the whole corpus from a merge, as checkconfig counts it', async () => {
    const store = new DiskArtifactStore(tree({}));
    const pluginsText = readFileSync(corpus.pluginConfigPath, 'utf8');
    // The repository holds the real plugins.yaml; the harness runs it without its external plugins,
    // which would be called over the network.
    const runWith = parse(pluginsText) as Record<string, unknown>;
    delete runWith['external_plugins'];
    const harness = await startPluginHarness({
      plugins: stringify(runWith),
      registry: [createConfigUpdater({ snapshots: () => Promise.resolve({ store, prefix: '' }), pluginSettings: () => PLUGIN_SETTINGS })],
    });
    const repo = 'kubernetes/test-infra';
    harness.github.addRepo(repo, { defaultBranch: 'master' });
    harness.github.setFile(repo, 'config/prow/config.yaml', readFileSync(corpus.configPath, 'utf8'));
    harness.github.setFile(repo, 'config/prow/plugins.yaml', pluginsText);
    for (const file of readdirSync(corpus.jobConfigPath, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const full = path.join(file.parentPath, file.name);
      harness.github.setFile(repo, `config/jobs/${path.relative(corpus.jobConfigPath, full).split(path.sep).join('/')}`, readFileSync(full, 'utf8'));
    }
    harness.github.addPullRequest(repo, { number: 1234, author: 'alice', baseRef: 'master', files: [{ filename: 'config/jobs/kubernetes/sig-cloud-provider/gcp/registry/default.yaml' }] });
    const payload = pullRequest('closed', { repo, number: 1234, author: 'alice', baseRef: 'master' });
    const pr = payload['pull_request'] as { merged: boolean; merge_commit_sha: string; merged_at: string; base: { repo: { default_branch: string } } };
    Object.assign(pr, { merged: true, merge_commit_sha: 'c'.repeat(40), merged_at: '2025-06-01T10:00:00Z' });
    pr.base.repo.default_branch = 'master';

    const outcome = await harness.deliver('pull_request', payload);

    expect(outcome).toEqual({ handled: expect.arrayContaining(['config-updater']) as unknown, failed: [] });
    // The README's checkconfig figures for this corpus.
    const published = await snapshotConfigSource(store, '', memoryLogger(), { pluginSettings: PLUGIN_SETTINGS }).current();
    expect(countJobs(published)).toEqual({ presubmits: 2261, postsubmits: 253, periodics: 1335 });
    expect(harness.github.comments(repo, 1234)[0]?.body).toContain('2261 presubmits, 253 postsubmits, 1335 periodics');
    // The same files checkconfig reads: .prowignore honoured, OWNERS files left out.
    const current = await readCurrentSnapshot(store, '');
    const jobPaths = current?.snapshot.files.jobConfigs.map((file) => file.path) ?? [];
    expect(jobPaths).toHaveLength((await listJobConfigFiles(corpus.jobConfigPath)).length);
    expect(jobPaths).not.toContain('config/jobs/kubernetes/sig-cloud-provider/gcp/registry/default.yaml');
  });
});

describe('rejectedComment', () => {
  it('caps the list and fences it so that backticks in a problem cannot end the block', () => {
    const problems = Array.from({ length: 35 }, (_, index) => ({ file: 'config/jobs/a.yaml', line: index + 1, message: 'bad ```value```' }));
    const body = rejectedComment('a'.repeat(40), problems, undefined);
    expect(body).toContain('````\nconfig/jobs/a.yaml:1: bad ```value```');
    expect(body).toContain('config/jobs/a.yaml:30: bad');
    expect(body).not.toContain('config/jobs/a.yaml:31:');
    expect(body).toContain('… and 5 more\n````');
    expect(body).toContain('No configuration snapshot has been published yet');
  });
});
