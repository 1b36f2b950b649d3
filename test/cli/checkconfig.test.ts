import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { snapshotConfigSource } from '../../shared/config/snapshots';
import { memoryLogger } from '../../shared/log/logger';
import { openSnapshotStore } from '../../shared/config/config-source';
import { corpusPaths, REPO_ROOT } from '../support/config';

/**
 * `cutwater checkconfig`, the contract in the brief: Prow's flag names (also Prow's single-dash
 * form), exit 0 with "N presubmits, N postsubmits, N periodics" (then a tide summary when the config
 * has Tide queries), or one `path:line: message`
 * line per problem and exit 1; usage mistakes exit 2.
 */

const CORPUS_SUMMARY = '2261 presubmits, 253 postsubmits, 1335 periodics';
const CORPUS_TIDE_SUMMARY =
  "tide: 9 queries over 4 orgs and 7 repos, 34 merge_method entries, 2 batch_size_limit entries, 3 priority levels, sync every 2m0s, Prow's algorithm everywhere";

function corpusFlags(): string[] {
  const { configPath, jobConfigPath, pluginConfigPath } = corpusPaths();
  return ['--config-path', configPath, '--job-config-path', jobConfigPath, '--plugin-config', pluginConfigPath];
}

interface Run {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

async function runMain(args: readonly string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  // A "line" may hold several (usage text): compare by real lines.
  return { code, stdout: stdout.flatMap((line) => line.split('\n')), stderr: stderr.flatMap((line) => line.split('\n')) };
}

interface Process {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Where this file's build goes: a directory of its own (scripts/build.mjs, CUTWATER_DIST), so that
 * other test files building at the same time never delete it under us, nor we theirs.
 */
const BUILD_DIR = 'dist-tests/checkconfig';

/** The bundled CLI, as bin/cutwater.js runs it from dist/. */
function runBinary(args: readonly string[]): Process {
  const result = spawnSync(process.execPath, [`${BUILD_DIR}/cli/cutwater.js`, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Exactly these problem lines, in order: `file:line: message` with the message matching. */
type ExpectedLine = [file: string, line: number, message: RegExp];

function expectProblemLines(lines: readonly string[], expected: readonly ExpectedLine[]): void {
  const problems = lines.filter((line) => line !== '');
  expect(problems, problems.join('\n')).toHaveLength(expected.length);
  problems.forEach((line, index) => {
    const [file, number, message] = expected[index]!;
    expect(line, problems.join('\n')).toMatch(new RegExp(`^${escape(file)}:${number}: .+`));
    expect(line.slice(`${file}:${number}: `.length)).toMatch(message);
  });
}

const POD = 'spec: {containers: [{image: alpine, command: [make]}]}';

/** A config directory with known problems in every file (and a typo that only --strict rejects). */
function brokenConfig(root: string) {
  const files = {
    config: path.join(root, 'config.yaml'),
    broken: path.join(root, 'jobs', 'broken.yaml'),
    typo: path.join(root, 'jobs', 'team', 'typo.yml'),
    plugins: path.join(root, 'plugins.yaml'),
  };
  mkdirSync(path.dirname(files.typo), { recursive: true });
  writeFileSync(files.config, 'pod_namespace: test-pods\n');
  writeFileSync(
    files.broken,
    [
      'presubmits:', // 1
      '  org/repo:', // 2
      '  - name: pull-bad-regex', // 3
      '    run_if_changed: "(("', // 4
      `    ${POD}`, // 5
      '  - name: pull-dup', // 6
      `    ${POD}`, // 7
      '  - name: pull-dup', // 8
      `    ${POD}`, // 9
      'periodics:', // 10
      '- name: ci-bad-cron', // 11
      '  cron: "61 * * * *"', // 12
      `  ${POD}`, // 13
      '',
    ].join('\n'),
  );
  writeFileSync(
    files.typo,
    ['postsubmits:', '  org/repo:', '  - name: post-typo', "    run_if_chnaged: '^src/'", `    ${POD}`, ''].join('\n'),
  );
  writeFileSync(files.plugins, ['plugins:', '  org/repo:', '    plugins:', '    - trigger', '    - lgmt', ''].join('\n'));
  return {
    files,
    flags: ['--config-path', files.config, '--job-config-path', path.join(root, 'jobs'), '--plugin-config', files.plugins],
    expected: [
      [files.broken, 4, /pull-bad-regex.*run_if_changed/],
      [files.broken, 8, /duplicate.*pull-dup/],
      [files.broken, 12, /ci-bad-cron.*cron/],
      [files.plugins, 5, /unknown plugin.*lgmt/],
    ] as [string, number, RegExp][],
    strictOnly: [files.typo, 4, /unknown field.*run_if_chnaged/] as [string, number, RegExp],
  };
}

const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-checkconfig-'));
  temporary.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('cutwater checkconfig, in process', () => {
  it('accepts the kubernetes/test-infra corpus and prints the job counts', async () => {
    const run = await runMain(['checkconfig', ...corpusFlags()]);
    expect(run.stderr).toEqual([]);
    expect(run.stdout).toEqual([CORPUS_SUMMARY, CORPUS_TIDE_SUMMARY]);
    expect(run.code).toBe(0);
  });

  it('accepts the corpus with --strict, given with Prow’s single-dash flags', async () => {
    const { configPath: config, jobConfigPath: jobs, pluginConfigPath: plugins } = corpusPaths();
    const flags = [`-config-path=${config}`, '-job-config-path', jobs, `-plugin-config=${plugins}`, '-strict'];
    const run = await runMain(['checkconfig', ...flags]);
    expect(run.stderr).toEqual([]);
    expect(run.stdout).toEqual([CORPUS_SUMMARY, CORPUS_TIDE_SUMMARY]);
    expect(run.code).toBe(0);
  });

  it('reports each problem as path:line: message and exits 1', async () => {
    const broken = brokenConfig(tempDir());
    const run = await runMain(['checkconfig', ...broken.flags]);
    expectProblemLines(run.stderr, broken.expected);
    expect(run.stdout).toEqual([]);
    expect(run.code).toBe(1);
  });

  it('also reports unknown fields under --strict', async () => {
    const broken = brokenConfig(tempDir());
    const run = await runMain(['checkconfig', ...broken.flags, '--strict']);
    const expected = [...broken.expected];
    expected.splice(3, 0, broken.strictOnly);
    expectProblemLines(run.stderr, expected);
    expect(run.code).toBe(1);
  });

  it('checks a plugin\'s own plugins.yaml section at path:line, and under --strict reports a section no plugin owns', async () => {
    const root = tempDir();
    const config = path.join(root, 'config.yaml');
    const plugins = path.join(root, 'plugins.yaml');
    writeFileSync(config, 'pod_namespace: test-pods\n');
    writeFileSync(plugins, ['plugins:', '  org/repo: [size]', 'size:', '  s: ten', 'sizes:', '  s: 10', ''].join('\n'));
    const flags = ['--config-path', config, '--plugin-config', plugins];

    const run = await runMain(['checkconfig', ...flags]);
    expectProblemLines(run.stderr, [[plugins, 4, /^size\.s: expected (integer|number), received string$/]]);
    expect(run.code).toBe(1);

    const strict = await runMain(['checkconfig', ...flags, '--strict']);
    expectProblemLines(strict.stderr, [
      [plugins, 4, /^size\.s: expected (integer|number), received string$/],
      [plugins, 5, /^unknown field "sizes"/],
    ]);
    expect(strict.code).toBe(1);

    // The size plugin's own check, beyond its schema.
    writeFileSync(plugins, ['plugins:', '  org/repo: [size]', 'size:', '  s: 100', '  m: 5', '  l: 500', '  xl: 600', '  xxl: 700', ''].join('\n'));
    const ordered = await runMain(['checkconfig', ...flags]);
    expectProblemLines(ordered.stderr, [[plugins, 5, /^size\.m: m \(5\) is smaller than s \(100\)/]]);
    expect(ordered.code).toBe(1);
  });

  it('runs Prow’s tide-context-policy check: a job’s context that context_options calls optional', async () => {
    const root = tempDir();
    const config = path.join(root, 'config.yaml');
    writeFileSync(
      config,
      [
        'tide:', // 1
        '  queries:', // 2
        '  - repos: [org/repo]', // 3
        '  context_options:', // 4
        '    orgs:', // 5
        '      org:', // 6
        '        repos:', // 7
        '          repo:', // 8
        '            optional-contexts: [pull-unit]', // 9
        'presubmits:', // 10
        '  org/repo:', // 11
        `  - {name: pull-unit, always_run: true, ${POD}}`, // 12
        '',
      ].join('\n'),
    );
    const run = await runMain(['checkconfig', '--config-path', config]);
    expectProblemLines(run.stderr, [
      [config, 8, /^tide\.context_options: the context policy of org\/repo branch master: contexts "pull-unit" are listed as required and optional/],
    ]);
    expect(run.code).toBe(1);

    writeFileSync(config, ['tide:', '  queries:', '  - repos: [org/repo]', '    labels: [lgtm]', ''].join('\n'));
    const valid = await runMain(['checkconfig', '--config-path', config]);
    expect(valid.stdout).toEqual([
      '0 presubmits, 0 postsubmits, 0 periodics',
      "tide: 1 query over 0 orgs and 1 repo, 0 merge_method entries, 0 batch_size_limit entries, 0 priority levels, sync every 1m0s, Prow's algorithm everywhere",
    ]);
  });

  it('works with --config-path alone', async () => {
    const root = tempDir();
    writeFileSync(
      path.join(root, 'config.yaml'),
      `periodics:\n- name: ci-alone\n  interval: 1h\n  ${POD}\npostsubmits:\n  org/repo:\n  - name: post-alone\n    ${POD}\n`,
    );
    const run = await runMain(['checkconfig', '--config-path', path.join(root, 'config.yaml')]);
    expect(run.stdout).toEqual(['0 presubmits, 1 postsubmits, 1 periodics']);
    expect(run.code).toBe(0);
  });

  it('warns of unknown fields without --strict (exit 0), and refuses them with it', async () => {
    const root = tempDir();
    const config = path.join(root, 'config.yaml');
    const jobs = path.join(root, 'jobs.yaml');
    writeFileSync(config, 'prowjob_namespace: default\n');
    writeFileSync(jobs, ['presubmits:', '  org/repo:', '  - name: pull-unit', '    always_ran: true', `    ${POD}`, ''].join('\n'));
    for (const extra of [[], ['--warnings=unknown-fields']]) {
      const lenient = await runMain(['checkconfig', '--config-path', config, '--job-config-path', jobs, ...extra]);
      expect(lenient.stderr).toEqual([expect.stringMatching(new RegExp(`^${escape(jobs)}:4: warning: .*unknown field "always_ran"`))]);
      expect(lenient.stdout).toEqual(['1 presubmits, 0 postsubmits, 0 periodics']);
      expect(lenient.code).toBe(0);
    }
    const strict = await runMain(['checkconfig', '--config-path', config, '--job-config-path', jobs, '--strict']);
    expect(strict.stderr).toEqual([expect.stringMatching(new RegExp(`^${escape(jobs)}:4: .*unknown field "always_ran"`))]);
    expect(strict.stderr[0]).not.toContain('warning');
    expect(strict.code).toBe(1);
  });

  it('says a tab used as indentation first and alone, at its line', async () => {
    const root = tempDir();
    const config = path.join(root, 'config.yaml');
    const plugins = path.join(root, 'plugins.yaml');
    writeFileSync(config, 'prowjob_namespace: default\n');
    writeFileSync(plugins, 'plugins:\n  org/repo:\n\t- size\n');
    const run = await runMain(['checkconfig', '--config-path', config, '--plugin-config', plugins]);
    expect(run.stderr).toEqual([`${plugins}:3: YAML: a tab is used as indentation; indent with spaces`]);
    expect(run.code).toBe(1);
  });

  it('reports a config path that does not exist, naming it, with exit 1', async () => {
    const missing = path.join(tempDir(), 'nope.yaml');
    const run = await runMain(['checkconfig', '--config-path', missing]);
    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toBe(`${missing}: cannot read: no such file`);
    expect(run.stdout).toEqual([]);
  });

  it('prints its usage for --help and -h and exits 0', async () => {
    for (const flag of ['--help', '-h', '-help']) {
      const run = await runMain(['checkconfig', flag]);
      expect(run.code, flag).toBe(0);
      expect(run.stdout.join('\n'), flag).toMatch(/Usage: cutwater checkconfig/);
      for (const name of ['--config-path', '--job-config-path', '--plugin-config', '--strict']) {
        expect(run.stdout.join('\n')).toContain(name);
      }
    }
  });

  it('exits 2 with the usage when --config-path is missing', async () => {
    const run = await runMain(['checkconfig', '--job-config-path', '/tmp']);
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/--config-path/);
    expect(run.stderr.join('\n')).toMatch(/Usage: cutwater checkconfig/);
    expect(run.stdout).toEqual([]);
  });

  it('exits 2 with the usage for an unknown flag or a flag without its value', async () => {
    for (const args of [['--config-path', 'x', '--no-such-flag'], ['--config-path']]) {
      const run = await runMain(['checkconfig', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.join('\n'), args.join(' ')).toMatch(/Usage: cutwater checkconfig/);
    }
  });

  it('exits 2 for no command or an unknown command, and 0 for cutwater --help', async () => {
    expect((await runMain([])).code).toBe(2);
    const unknown = await runMain(['chekconfig']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.join('\n')).toMatch(/chekconfig/);
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/checkconfig/);
  });
});

describe('cutwater checkconfig --publish-snapshot', () => {
  it('publishes a valid config as the current snapshot that components follow, and an invalid one not at all', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-publish-'));
    try {
      const good = path.join(dir, 'good.yaml');
      writeFileSync(good, 'periodics:\n- name: nightly\n  interval: 24h\n  spec: {containers: [{image: alpine}]}\n');
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, 'periodics:\n- name: broken\n  interval: sometimes\n  spec: {containers: [{image: alpine}]}\n');
      const location = path.join(dir, 'snapshots');
      const published = await runMain(['checkconfig', '--config-path', good, '--publish-snapshot', location]);
      expect(published.code).toBe(0);
      expect(published.stdout[1]).toMatch(/^published config snapshot [0-9a-f]+ to .* \(pointer moved\)$/);
      const refused = await runMain(['checkconfig', '--config-path', bad, '--publish-snapshot', location]);
      expect(refused.code).toBe(1);
      const { store, prefix } = openSnapshotStore(location);
      const config = await snapshotConfigSource(store, prefix, memoryLogger()).current();
      expect(config.periodics.map((periodic) => periodic.name)).toEqual(['nightly']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cutwater checkconfig, as a real process (bin/cutwater.js)', () => {
  beforeAll(() => {
    // Always bundle: the binary must run the code under test, not a stale dist/.
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      timeout: 170_000,
      env: { ...process.env, CUTWATER_DIST: BUILD_DIR },
    });
    expect(existsSync(path.join(REPO_ROOT, BUILD_DIR, 'cli/cutwater.js'))).toBe(true);
  });

  it('builds every Cloud Function into a bundle that loads and registers its function', () => {
    const functionsDir = path.join(REPO_ROOT, BUILD_DIR, 'functions');
    const names = readdirSync(functionsDir);
    expect(names).toEqual(expect.arrayContaining(['events', 'webhook']));
    for (const name of names) {
      // Loading a bundle registers its function with the Functions Framework: nothing may fail at import.
      const load = spawnSync(process.execPath, ['-e', `await import(${JSON.stringify(path.join(functionsDir, name, 'index.js'))}); console.log('loaded')`, '--input-type=module'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(load.stderr, name).toBe('');
      expect(load.stdout.trim(), name).toBe('loaded');
      // Deployable as a directory: an ESM package naming the exact versions its bundle imports.
      const manifest = JSON.parse(readFileSync(path.join(functionsDir, name, 'package.json'), 'utf8')) as {
        type: string;
        dependencies: Record<string, string>;
      };
      expect(manifest.type, name).toBe('module');
      expect(manifest.dependencies['@google-cloud/functions-framework'], name).toMatch(/^\d+\.\d+\.\d+$/);
    }
    const runnerHelp = runBinary(['runner', '--help']);
    expect(runnerHelp.code).toBe(0);
    expect(runnerHelp.stdout).toContain('Usage: cutwater runner --cluster NAME');
  });

  it('accepts the corpus: exit 0 and exactly the summary lines', () => {
    const run = runBinary(['checkconfig', ...corpusFlags()]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${CORPUS_SUMMARY}\n${CORPUS_TIDE_SUMMARY}\n`);
    expect(run.code).toBe(0);
  });

  it('accepts the corpus with -strict and single-dash flags', () => {
    const { configPath: config, jobConfigPath: jobs, pluginConfigPath: plugins } = corpusPaths();
    const flags = [`-config-path=${config}`, `-job-config-path=${jobs}`, '-plugin-config', plugins, '-strict'];
    const run = runBinary(['checkconfig', ...flags]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${CORPUS_SUMMARY}\n${CORPUS_TIDE_SUMMARY}\n`);
    expect(run.code).toBe(0);
  });

  it('prints one path:line: message line per problem on stderr and exits 1', () => {
    const broken = brokenConfig(tempDir());
    const run = runBinary(['checkconfig', ...broken.flags, '--strict']);
    const expected = [...broken.expected];
    expected.splice(3, 0, broken.strictOnly);
    expectProblemLines(run.stderr.split('\n'), expected);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });

  it('exits 0 for --help and 2 with the usage for a missing --config-path', () => {
    const help = runBinary(['checkconfig', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: cutwater checkconfig/);
    const missing = runBinary(['checkconfig']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--config-path is required|--config-path/);
    expect(missing.stderr).toMatch(/Usage: cutwater checkconfig/);
  });
});
