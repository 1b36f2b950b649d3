import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../cli/main';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import { memoryLogger } from '../../shared/log/logger';
import type { ProwJob } from '../../shared/prowjob/schema';
import { startFakeGitHub } from '../support/fake-github';

/** `cutwater mkpj`: Prow's flags, the demo config by default, a running local system as target. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function mkpj(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(['mkpj', ...args], { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-mkpj-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('cutwater mkpj --dry-run', () => {
  it('prints a periodic from the demo config as a ProwJob in YAML', async () => {
    const run = await mkpj('--job', 'demo-periodic', '--dry-run');
    expect(run.code).toBe(0);
    const job = parse(run.stdout) as ProwJob;
    expect(job.spec).toMatchObject({ type: 'periodic', job: 'demo-periodic' });
    expect(job.metadata.labels).toMatchObject({ 'prow.k8s.io/job': 'demo-periodic', 'prow.k8s.io/type': 'periodic' });
  });

  it('builds a presubmit from the flags, or reads what is missing from GitHub', async () => {
    const explicit = await mkpj('--job', 'demo-unit', '--pull-number', '7', '--base-ref', 'main', '--base-sha', 'a'.repeat(40), '--pull-sha', 'b'.repeat(40), '--pull-author', 'alice', '--dry-run');
    expect(explicit.code).toBe(0);
    expect((parse(explicit.stdout) as ProwJob).spec.refs).toMatchObject({
      org: 'demo-org',
      repo: 'demo-repo',
      base_sha: 'a'.repeat(40),
      pulls: [{ number: 7, author: 'alice', sha: 'b'.repeat(40) }],
    });

    const github = await startFakeGitHub();
    cleanups.push(() => github.close());
    github.addRepo('demo-org/demo-repo');
    github.addPullRequest('demo-org/demo-repo', { number: 9, author: 'bob', headSha: 'c'.repeat(40), baseRef: 'main', files: [] });
    const saved = { token: process.env.GITHUB_TOKEN, url: process.env.GITHUB_API_URL };
    Object.assign(process.env, { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: github.url });
    cleanups.push(() => {
      for (const [key, value] of [['GITHUB_TOKEN', saved.token], ['GITHUB_API_URL', saved.url]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    const looked = await mkpj('--job', 'demo-unit', '--pull-number', '9', '--dry-run');
    expect(looked.code).toBe(0);
    expect((parse(looked.stdout) as ProwJob).spec.refs?.pulls?.[0]).toMatchObject({ number: 9, author: 'bob', sha: 'c'.repeat(40) });
  });

  it('prints no stack trace for a config it cannot read, only what to fix', async () => {
    const missing = path.join(tempDir(), 'nope.yaml');
    const run = await mkpj('--job', 'demo-unit', '--config-path', missing, '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toEqual(['cutwater mkpj: configuration has 1 problem:', `${missing}: cannot read: no such file`]);
  });

  it('says what is wrong: an unknown job (with close names), a presubmit without its pull request', async () => {
    const unknown = await mkpj('--job', 'demo-periodc', '--dry-run');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no job named demo-periodc in the config; did you mean demo-periodic');
    const noPull = await mkpj('--job', 'demo-unit', '--dry-run');
    expect(noPull.code).toBe(2);
    expect(noPull.stderr).toContain('presubmits need --pull-number');
  });
});

describe('cutwater mkpj against cutwater local', () => {
  async function localSystem(jobs: string): Promise<{ system: LocalSystem; configDir: string; dataDir: string }> {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'config.yaml'), 'prowjob_namespace: default\n');
    writeFileSync(path.join(dir, 'jobs.yaml'), jobs);
    const dataDir = path.join(dir, 'data');
    const system = await startLocalSystem({
      configPaths: { configPath: path.join(dir, 'config.yaml'), jobConfigPath: path.join(dir, 'jobs.yaml') },
      dataDir,
      port: 0,
      env: {},
      log: memoryLogger(),
      tickMs: 3_600_000,
    });
    cleanups.push(() => system.stop());
    return { system, configDir: dir, dataDir };
  }

  const periodic = (name: string, script: string) =>
    `periodics:\n- name: ${name}\n  cron: '0 0 1 1 *'\n  decorate: false\n  spec: {containers: [{image: node, command: [node, -e, ${JSON.stringify(script)}]}]}\n`;

  it('--wait follows a job to success and prints its log; a failing job exits 1', async () => {
    const { system, configDir, dataDir } = await localSystem(
      periodic('says-hello', "console.log('hello from mkpj')") + periodic('fails', 'process.exit(3)').replace('periodics:\n', ''),
    );
    const flags = ['--config-path', path.join(configDir, 'config.yaml'), '--job-config-path', path.join(configDir, 'jobs.yaml'), '--address', system.url, '--data-dir', dataDir, '--wait'];
    const passed = await mkpj('--job', 'says-hello', ...flags);
    expect(passed.stdout).toContain('hello from mkpj');
    expect(passed.stdout).toMatch(/says-hello success/);
    expect(passed.code).toBe(0);
    const [created] = (await system.store.jobs.list({ job: 'says-hello' })).jobs;
    expect(created?.job.status?.state).toBe('success');
    expect(passed.stdout).toContain(`${system.url}/view/${created?.job.metadata.name}`);

    const failed = await mkpj('--job', 'fails', ...flags);
    expect(failed.stdout).toMatch(/fails failure/);
    expect(failed.code).toBe(1);
  }, 60_000);

  it('cannot create jobs without the local API token', async () => {
    const { system, configDir } = await localSystem(periodic('says-hello', "console.log('hi')"));
    const run = await mkpj('--job', 'says-hello', '--config-path', path.join(configDir, 'config.yaml'), '--job-config-path', path.join(configDir, 'jobs.yaml'), '--address', system.url, '--data-dir', tempDir());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no API token');
  });

  it('--wait does not wait for a job of a cluster no runner serves, and says which flag runs it', async () => {
    const { system, configDir, dataDir } = await localSystem(
      periodic('elsewhere', "console.log('hi')").replace('  decorate: false\n', '  decorate: false\n  cluster: build-a\n'),
    );
    const flags = ['--config-path', path.join(configDir, 'config.yaml'), '--job-config-path', path.join(configDir, 'jobs.yaml'), '--address', system.url, '--data-dir', dataDir];
    const waited = await mkpj('--job', 'elsewhere', ...flags, '--wait');
    expect(waited.code).toBe(1);
    expect(waited.stdout).toMatch(/^created ProwJob /);
    expect(waited.stderr).toBe('no runner serves cluster build-a; start local mode with --clusters build-a or all; not waiting for it');
    const created = await mkpj('--job', 'elsewhere', ...flags);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('no runner serves cluster build-a; start local mode with --clusters build-a or all');
  });

  it('a token from another --data-dir, or nothing listening, is one line naming the flag', async () => {
    const { system, configDir } = await localSystem(periodic('says-hello', "console.log('hi')"));
    const otherDataDir = tempDir();
    writeFileSync(path.join(otherDataDir, 'api-token'), 'not-this-instances-token\n');
    const config = ['--config-path', path.join(configDir, 'config.yaml'), '--job-config-path', path.join(configDir, 'jobs.yaml')];
    const wrong = await mkpj('--job', 'says-hello', ...config, '--address', system.url, '--data-dir', otherDataDir);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/refused the API token from .*api-token \(401\): give the --data-dir that cutwater local uses/);

    const unreachable = await mkpj('--job', 'says-hello', ...config, '--address', 'http://127.0.0.1:9', '--data-dir', otherDataDir);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(`cutwater mkpj: cannot reach cutwater local at http://127.0.0.1:9 — is it running (npm start)? (--address, --data-dir ${otherDataDir})`);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('cutwater mkpj with one job name on several branches', () => {
  it('picks the job --base-ref runs on, or lists each candidate with file:line and branches', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'config.yaml'), 'prowjob_namespace: default\n');
    const unit = (branch: string) =>
      `  - name: pull-unit\n    branches: [${branch}]\n    decorate: false\n    spec: {containers: [{image: node, command: [node]}]}\n`;
    writeFileSync(path.join(dir, 'jobs.yaml'), `presubmits:\n  acme/widgets:\n${unit('master')}${unit('release-1.30')}${unit('release-1.31')}`);
    const flags = ['--config-path', path.join(dir, 'config.yaml'), '--job-config-path', path.join(dir, 'jobs.yaml'), '--pull-number', '3', '--base-sha', 'a'.repeat(40), '--pull-sha', 'b'.repeat(40), '--pull-author', 'alice', '--dry-run'];
    const chosen = await mkpj('--job', 'pull-unit', '--base-ref', 'release-1.31', ...flags);
    expect(chosen.code).toBe(0);
    expect((parse(chosen.stdout) as ProwJob).spec.refs?.base_ref).toBe('release-1.31');

    const file = path.join(dir, 'jobs.yaml');
    const ambiguous = await mkpj('--job', 'pull-unit', ...flags);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr.split('\n')).toEqual([
      'cutwater mkpj: --job pull-unit names 3 jobs:',
      `  ${file}:3: presubmit of acme/widgets, branches master`,
      `  ${file}:7: presubmit of acme/widgets, branches release-1.30`,
      `  ${file}:11: presubmit of acme/widgets, branches release-1.31`,
      'choose one with --base-ref BRANCH',
    ]);
    const none = await mkpj('--job', 'pull-unit', '--base-ref', 'main', ...flags);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('names 3 jobs, none of which runs on --base-ref main:');
  });
});
