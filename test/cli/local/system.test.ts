import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { phonyCommand } from '../../../cli/phony';
import type { ConfigPaths } from '../../../shared/config/load';
import { startLocalSystem, type LocalSystem, type LocalSystemOptions } from '../../../cli/local/system';
import { memoryLogger } from '../../../shared/log/logger';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { REPO_ROOT } from '../../support/config';
import { startFirestoreEmulator, startPubSubEmulator, type RunningEmulator } from '../../support/emulators';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github';
import { pullRequest } from '../../support/payloads';
import { waitFor } from '../../support/wait';

/**
 * `cutwater local` as a newcomer meets it: the demo config, the whole system in one process, the
 * demo periodic run and shown; a webhook sent with `cutwater phony` running the demo presubmit and
 * reporting to a (fake) GitHub — on the embedded backends and on the Google emulators.
 */

const DEMO: ConfigPaths = {
  configPath: path.join(REPO_ROOT, 'cli/demo/config.yaml'),
  jobConfigPath: path.join(REPO_ROOT, 'cli/demo/jobs'),
  pluginConfigPath: path.join(REPO_ROOT, 'cli/demo/plugins.yaml'),
};
const HEAD = 'd'.repeat(40);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-local-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(options: Partial<LocalSystemOptions> & { dataDir: string }): Promise<LocalSystem> {
  const system = await startLocalSystem({ configPaths: DEMO, port: 0, env: {}, log: memoryLogger(), ...options });
  cleanups.push(() => system.stop());
  return system;
}

async function prowJobs(system: LocalSystem, query = ''): Promise<ProwJob[]> {
  const response = await fetch(`${system.url}/prowjobs.js${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: ProwJob[] }).items;
}

async function demoPeriodicSucceeds(system: LocalSystem): Promise<ProwJob> {
  let done: ProwJob | undefined;
  await waitFor(async () => {
    done = (await prowJobs(system, '?job=demo-periodic')).find((job) => job.status?.state === 'success');
    return done !== undefined;
  }, 'the demo periodic to succeed', 60_000);
  return done as ProwJob;
}

async function expectShownWithLog(system: LocalSystem, job: ProwJob): Promise<void> {
  const list = await (await fetch(`${system.url}/`)).text();
  expect(list).toContain(`href="/view/${job.metadata.name}"`);
  expect(list).toContain('✔ success');
  const page = await (await fetch(`${system.url}/view/${job.metadata.name}`)).text();
  expect(page).toContain(`demo-periodic build ${job.status?.build_id}: checking the time`);
  const log = await (await fetch(`${system.url}/log?job=demo-periodic&id=${job.status?.build_id}`)).text();
  expect(log).toMatch(/checking the time\n.*\nPASS\n$/);
}

/** The fake GitHub as the demo repo's host, with a member's PR; env for local mode to reach it. */
async function demoGitHub(): Promise<{ github: FakeGitHub; env: NodeJS.ProcessEnv }> {
  const github = await startFakeGitHub();
  cleanups.push(() => github.close());
  github.addRepo('demo-org/demo-repo');
  github.addOrgMember('demo-org', 'alice');
  github.addPullRequest('demo-org/demo-repo', { number: 1, author: 'alice', headSha: HEAD, baseRef: 'main', files: [{ filename: 'README.md' }] });
  return { github, env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: github.url, WEBHOOK_SECRET: 'local-secret' } };
}

/** `cutwater phony` sends the PR opened event; the demo presubmit runs; GitHub hears pending, then success. */
async function phonyRunsDemoPresubmit(system: LocalSystem, github: FakeGitHub, dir: string): Promise<void> {
  const payloadFile = path.join(dir, 'opened.json');
  writeFileSync(payloadFile, JSON.stringify(pullRequest('opened', { repo: 'demo-org/demo-repo', number: 1, author: 'alice', headSha: HEAD })));
  const secretFile = path.join(dir, 'secret');
  writeFileSync(secretFile, 'local-secret\n');
  const out: string[] = [];
  const code = await phonyCommand(
    ['--address', `${system.url}/hook`, '--hmac-secret-file', secretFile, '--event', 'pull_request', '--payload', payloadFile],
    { stdout: (line) => out.push(line), stderr: (line) => out.push(line) },
  );
  expect(out.join('\n')).toMatch(/^20\d /);
  expect(code).toBe(0);
  const statuses = () =>
    github.requests
      .filter((request) => request.route === 'POST /repos/{owner}/{repo}/statuses/{sha}')
      .map((request) => request.body as { context: string; state: string; target_url?: string })
      .filter((body) => body.context === 'demo-unit');
  await waitFor(() => statuses().at(-1)?.state === 'success', 'the demo presubmit’s success status', 60_000);
  // The pending status goes out unless the job finished within the outbox's coalescing window;
  // then success superseded it and only success was sent. Never anything after success.
  expect([['success'], ['pending', 'success']]).toContainEqual(statuses().map((status) => status.state));
  expect(statuses().at(-1)?.target_url).toMatch(new RegExp(`^${system.url}/view/`));
  const [presubmit] = await prowJobs(system, '?job=demo-unit');
  expect(presubmit?.status?.state).toBe('success');
  const log = await (await fetch(`${system.url}/log?job=demo-unit&id=${presubmit?.status?.build_id}`)).text();
  expect(log).toContain(`Testing demo-org/demo-repo PR #1 at ${HEAD}`);
}

describe('cutwater local on the embedded backends', () => {
  it('runs the demo periodic at start-up and shows it with its log; it is still there after a restart', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    const job = await demoPeriodicSucceeds(first);
    await expectShownWithLog(first, job);
    // No credentials: the built-in sandbox GitHub, which the writers write to.
    expect(first.summary.join('\n')).toContain(`GitHub           sandbox (no credentials) — open ${first.url}/sandbox`);
    expect(first.sandbox).toBeDefined();
    await first.stop();

    const second = await start({ dataDir });
    const after = await prowJobs(second, '?job=demo-periodic');
    // Kept on disk, and not run again: its 10m interval has not passed.
    expect(after.map((kept) => kept.metadata.name)).toEqual([job.metadata.name]);
    await expectShownWithLog(second, job);
  }, 120_000);

  it('runs the demo presubmit for a member’s PR sent by cutwater phony, reporting its success (and pending, unless superseded first)', async () => {
    const dir = tempDir();
    const { github, env } = await demoGitHub();
    const system = await start({ dataDir: path.join(dir, 'data'), env });
    expect(system.summary.join('\n')).toContain('GitHub writes    paced per installation: at most 80 per 1 min, 500 per 60 min');
    expect(system.writers.kick).toBeTypeOf('function');
    await phonyRunsDemoPresubmit(system, github, dir);
  }, 120_000);

  it('keeps its secrets from jobs: a job cannot read the data dir, and what it prints of them is masked on /log and the job page', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    // Secrets as an older run (or a careless hand) left them: known values, readable by all.
    const secrets = { 'hmac-secret': 'local-hmac-secret-0123', 'api-token': 'local-api-token-4567', 'session-secret': 'local-session-secret-89abcdef0123456789' };
    for (const [file, value] of Object.entries(secrets)) writeFileSync(path.join(dataDir, file), `${value}\n`, { mode: 0o644 });
    const configDir = path.join(dir, 'config');
    mkdirSync(path.join(configDir, 'jobs'), { recursive: true });
    writeFileSync(path.join(configDir, 'config.yaml'), 'prowjob_namespace: default\npod_namespace: test-pods\n');
    // The job puts each secret together at run time (half of one written a moment after the
    // other half, one in base64), and tries to read the data dir's files.
    const script = [
      "h1='local-hmac-'; h2='secret-0123'",
      'printf "%s" "$h1"; sleep 0.3; printf "%s\\n" "$h2"',
      `a1='local-api-'; a2='token-4567'; echo "api $a1$a2"`,
      `s1='local-session-'; s2='secret-89abcdef0123456789'; printf "%s" "$s1$s2" | base64`,
      `for file in hmac-secret api-token session-secret; do cat "${dataDir}/$file" || echo "cannot read $file"; done`,
      'echo PASS',
    ].join('\n');
    writeFileSync(
      path.join(configDir, 'jobs', 'leaky.yaml'),
      `periodics:\n- name: leaky-periodic\n  interval: 10m\n  decorate: false\n  spec:\n    containers:\n    - image: alpine\n      command: [sh, -c, ${JSON.stringify(script)}]\n`,
    );
    const system = await start({ dataDir, configPaths: { configPath: path.join(configDir, 'config.yaml'), jobConfigPath: path.join(configDir, 'jobs') } });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const file of Object.keys(secrets)) expect(statSync(path.join(dataDir, file)).mode & 0o777, file).toBe(0o600);

    let job: ProwJob | undefined;
    await waitFor(async () => {
      job = (await prowJobs(system, '?job=leaky-periodic')).find((candidate) => candidate.status?.state === 'success');
      return job !== undefined;
    }, 'the leaky periodic to succeed', 60_000);
    const log = await (await fetch(`${system.url}/log?job=leaky-periodic&id=${job?.status?.build_id}`)).text();
    const page = await (await fetch(`${system.url}/view/${job?.metadata.name}`)).text();
    for (const shown of [log, page]) {
      for (const value of Object.values(secrets)) {
        expect(shown).not.toContain(value);
        expect(shown).not.toContain(Buffer.from(value).toString('base64').replace(/=+$/, ''));
      }
    }
    expect(log).toContain('*****\napi *****\n*****\n');
    if (process.getuid?.() === 0) {
      // Run as root (as CI runs the tests), local mode runs jobs as nobody, who cannot enter the data dir.
      expect(log).toContain('cannot read hmac-secret\n');
      expect(log).toContain('cannot read api-token\n');
      expect(log).toContain('cannot read session-secret\n');
    }
    expect(log).toMatch(/PASS\n$/);
  }, 120_000);

  it('creates jobs over its API only with the local token, and serves Prow’s prowjobs.js filters', async () => {
    const system = await start({ dataDir: tempDir() });
    await demoPeriodicSucceeds(system);
    expect((await fetch(`${system.url}/prowjobs.js?state=bogus`)).status).toBe(400);
    expect(await prowJobs(system, '?type=presubmit')).toEqual([]);
    const [slim] = await prowJobs(system, '?omit=pod_spec,annotations');
    expect(slim?.spec.pod_spec).toBeUndefined();
    expect(slim?.metadata.annotations).toBeUndefined();
    // Job creation needs the token from the data dir, even from this machine (a tunnel is local too).
    expect((await fetch(`${system.url}/api/prowjobs`, { method: 'POST', body: '{}' })).status).toBe(401);
    const token = readFileSync(system.apiTokenFile, 'utf8').trim();
    const authorized = { authorization: `Bearer ${token}` };
    expect((await fetch(`${system.url}/api/prowjobs`, { method: 'POST', body: '{}', headers: authorized })).status).toBe(400);
    // A job whose name would be a '..' directory is refused at creation, so no page fails on it later.
    const dots = { ...slim!, metadata: { name: 'dots' }, spec: { ...slim!.spec, job: '..' } };
    const refused = await fetch(`${system.url}/api/prowjobs`, { method: 'POST', body: JSON.stringify(dots), headers: authorized });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/spec\.job: job name "\.\." cannot be/);
    // Bad URLs are the asker's mistake, said as such; every JSON answer says nosniff.
    expect((await fetch(`${system.url}/view/%E0%A4%A`)).status).toBe(400);
    for (const path of ['/healthz', '/prowjobs.js', '/nothing-here']) {
      expect((await fetch(`${system.url}${path}`)).headers.get('x-content-type-options')).toBe('nosniff');
    }
  }, 120_000);
});

describe('cutwater local on the Firestore and Pub/Sub emulators', () => {
  it('runs the same flow: the demo periodic, and a phony-sent PR reported to GitHub', async () => {
    const [firestore, pubsub] = (await Promise.all([startFirestoreEmulator('local-mode'), startPubSubEmulator('local-mode')])) as [
      RunningEmulator,
      RunningEmulator,
    ];
    cleanups.push(() => firestore.stop(), () => pubsub.stop());
    const dir = tempDir();
    const { github, env } = await demoGitHub();
    const system = await start({
      dataDir: path.join(dir, 'data'),
      env,
      emulators: { projectId: 'local-mode', firestoreHost: firestore.host, pubsubHost: pubsub.host },
    });
    expect(system.summary.join('\n')).toContain(`Firestore emulator ${firestore.host}`);
    const job = await demoPeriodicSucceeds(system);
    await expectShownWithLog(system, job);
    await phonyRunsDemoPresubmit(system, github, dir);
  }, 180_000);
});

describe('npm start (cutwater local as a process)', () => {
  it('prints what runs, runs the demo periodic, and stops cleanly on Ctrl-C', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/cutwater.ts', 'local', '--port', '0', '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    await waitFor(() => /status page\s+(http:\S+)/.test(stdout), 'the start-up banner', 60_000);
    const url = (/status page\s+(http:\/\/[^/\s]+)/.exec(stdout) ?? [])[1] as string;
    await waitFor(async () => {
      const items = ((await (await fetch(`${url}/prowjobs.js`)).json()) as { items: ProwJob[] }).items;
      return items.some((job) => job.spec.job === 'demo-periodic' && job.status?.state === 'success');
    }, 'the demo periodic to succeed', 60_000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped cleanly.');
  }, 120_000);
});

describe('a port already in use', () => {
  /** A server holding a port, as another program would. */
  async function occupiedPort(): Promise<number> {
    const holder = createHttpServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    return (holder.address() as AddressInfo).port;
  }

  it('fails start-up with one line naming the port and how to choose another', async () => {
    const port = await occupiedPort();
    const failed = await startLocalSystem({ configPaths: DEMO, port, env: {}, log: memoryLogger(), dataDir: tempDir() }).then(
      (system) => {
        cleanups.push(() => system.stop());
        return undefined;
      },
      (error: unknown) => error as Error,
    );
    expect(failed?.message).toBe(`port ${port} on 127.0.0.1 is already in use; choose another with --port N (or PORT=N)`);
  }, 60_000);

  it('makes `cutwater local` exit non-zero with that line, not a stack trace, and not hang', async () => {
    const port = await occupiedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/cutwater.ts', 'local', '--port', String(port), '--data-dir', tempDir()], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`cutwater local: port ${port} on 127.0.0.1 is already in use; choose another with --port N (or PORT=N)`);
  }, 60_000);
});
