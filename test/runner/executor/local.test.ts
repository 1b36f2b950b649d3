import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionPhase, ExecutionStatus } from '../../../runner/executor/executor';
import { expandReferences, LocalExecutor } from '../../../runner/executor/local';
import type { ProwJob, Refs } from '../../../shared/prowjob/schema';
import { REPO_ROOT } from '../../support/config';
import { processIsDead } from '../../support/processes';
import { testProwJob } from '../../support/prowjobs';

/** Local mode's executor, with real processes: what a developer's laptop runs instead of pods. */

const BUILD_ID = '1790000000000000001';

interface ContainerOverrides {
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  workingDir?: string;
}

/** A job whose test container runs `script` with sh; no refs (nothing to clone) unless given. */
function shellJob(script: string, options: { pull?: number; refs?: Refs; extraRefs?: Refs[]; container?: ContainerOverrides } = {}): ProwJob {
  const job = testProwJob(options.pull === undefined ? { type: 'periodic', job: 'local-check' } : { pull: options.pull, job: 'local-check' });
  if (options.refs) job.spec.refs = options.refs;
  else if (options.pull === undefined) delete job.spec.refs;
  if (options.extraRefs) job.spec.extra_refs = options.extraRefs;
  // Decorated, as Prow's jobs that clone are: decoration is what adds the clone step.
  if (options.refs || options.extraRefs) job.spec.decoration_config = {};
  job.spec.pod_spec = { containers: [{ name: 'test', image: 'alpine:3', command: ['sh', '-c', script], ...options.container }] };
  job.status = { state: 'pending', build_id: BUILD_ID };
  return job;
}

function jobName(job: ProwJob): string {
  const name = job.metadata.name;
  if (!name) throw new Error('test jobs are named');
  return name;
}

/** Runs a job to its end. */
async function runToEnd(executor: LocalExecutor, job: ProwJob): Promise<ExecutionStatus> {
  await executor.start(job);
  const status = await executor.finished(jobName(job));
  if (!status) throw new Error('the execution disappeared');
  return status;
}

/** Polls until `check` holds; the test's own timeout bounds the wait. */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('local executor', () => {
  let workRoot: string;
  let executor: LocalExecutor;

  beforeEach(() => {
    workRoot = mkdtempSync(path.join(tmpdir(), 'cutwater-local-'));
    executor = new LocalExecutor({ workRoot });
  });

  afterEach(async () => {
    await executor.shutdown(0);
    rmSync(workRoot, { recursive: true, force: true });
  });

  it('reports success and failure with the exit code', async () => {
    expect(await runToEnd(executor, shellJob('exit 0'))).toMatchObject({ phase: 'succeeded', description: 'Job succeeded.', exitCode: 0 });
    const failed = await runToEnd(executor, shellJob('exit 3'));
    expect(failed).toMatchObject({ phase: 'failed', description: 'Job failed: exit code 3.', exitCode: 3 });
    expect(failed.startedAt).toBeInstanceOf(Date);
    expect(failed.finishedAt).toBeInstanceOf(Date);
  });

  it('clones nothing for an undecorated job, as a pod without decoration has no clone step', async () => {
    // testProwJob gives the PR's refs, on github.com, which this machine cannot reach.
    const status = await runToEnd(executor, shellJob('echo "ran PR $PULL_NUMBER"', { pull: 3 }));
    expect(status).toMatchObject({ phase: 'succeeded', description: 'Job succeeded.' });
    expect(await executor.log(status.jobName)).toBe('ran PR 3\n');
  });

  it('gives the job Prow’s environment and an $ARTIFACTS directory it can write to', async () => {
    const job = shellJob('env > "$ARTIFACTS/env.txt"; echo "$1" > "$ARTIFACTS/args.txt"', {
      pull: 7,
      container: {
        args: ['ignored-as-$0', 'artifacts at $(ARTIFACTS), $$(ARTIFACTS) escaped, $(UNDEFINED) kept'],
        env: [
          { name: 'GOFLAGS', value: '-mod=vendor' },
          { name: 'DERIVED', value: 'flags: $(GOFLAGS)' },
          { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          { name: 'JOB_NAME', value: 'spoofed' },
        ],
      },
    });
    // Cloning is Prow's decoration; a job that skips it still gets the pull request's environment.
    job.spec.decoration_config = { skip_cloning: true };
    expect(await runToEnd(executor, job)).toMatchObject({ phase: 'succeeded' });

    const artifacts = executor.workspace(jobName(job)).artifacts;
    const env = Object.fromEntries(
      readFileSync(path.join(artifacts, 'env.txt'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      JOB_NAME: 'local-check',
      BUILD_ID,
      PROW_JOB_ID: jobName(job),
      JOB_TYPE: 'presubmit',
      PULL_NUMBER: '7',
      REPO_OWNER: 'acme',
      ARTIFACTS: artifacts,
      GOPATH: executor.workspace(jobName(job)).codeRoot,
      GOFLAGS: '-mod=vendor',
      DERIVED: 'flags: -mod=vendor',
    });
    expect(env.FROM_SECRET).toBeUndefined();
    expect(JSON.parse(env.JOB_SPEC ?? '{}')).toMatchObject({ type: 'presubmit', job: 'local-check', buildid: BUILD_ID, prowjobid: jobName(job) });
    expect(readFileSync(path.join(artifacts, 'args.txt'), 'utf8')).toBe(`artifacts at ${artifacts}, $(ARTIFACTS) escaped, $(UNDEFINED) kept\n`);
  });

  it('keeps Cutwater’s secrets from the job: none in its environment, and run as root, no reading the data dir', async () => {
    // A data dir as local mode keeps it: 0700, its secret files 0600.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-data-'));
    const secretFile = path.join(dataDir, 'hmac-secret');
    writeFileSync(secretFile, 'the-webhook-secret\n', { mode: 0o600 });
    const saved = { GITHUB_TOKEN: process.env.GITHUB_TOKEN, WEBHOOK_SECRET: process.env.WEBHOOK_SECRET, GITHUB_APP_PRIVATE_KEY: process.env.GITHUB_APP_PRIVATE_KEY };
    Object.assign(process.env, { GITHUB_TOKEN: 'ghp_in-cutwaters-environment', WEBHOOK_SECRET: 'whsec-in-env', GITHUB_APP_PRIVATE_KEY: 'pem-in-env' });
    try {
      const job = shellJob(`env > "$ARTIFACTS/env.txt"; id -u > "$ARTIFACTS/uid.txt"; cat '${secretFile}' > "$ARTIFACTS/read.txt" 2>&1; echo "exit $?" >> "$ARTIFACTS/read.txt"`);
      expect(await runToEnd(executor, job)).toMatchObject({ phase: 'succeeded' });
      const artifacts = executor.workspace(jobName(job)).artifacts;
      const env = readFileSync(path.join(artifacts, 'env.txt'), 'utf8');
      for (const name of ['GITHUB_TOKEN', 'WEBHOOK_SECRET', 'GITHUB_APP_PRIVATE_KEY']) expect(env).not.toMatch(new RegExp(`^${name}=`, 'm'));
      expect(env).toMatch(new RegExp(`^HOME=${executor.workspace(jobName(job)).home}$`, 'm'));
      const read = readFileSync(path.join(artifacts, 'read.txt'), 'utf8');
      if (process.getuid?.() === 0) {
        // As CI runs the tests: the job runs as nobody and cannot read root's 0600 files.
        expect(readFileSync(path.join(artifacts, 'uid.txt'), 'utf8').trim()).toBe(String(executor.user?.uid));
        expect(executor.user?.name).toBe('nobody');
        expect(read).not.toContain('the-webhook-secret');
        expect(read).toMatch(/Permission denied\nexit 1\n$/);
      } else {
        // Not root: jobs run as this user, and only the workspace's place keeps them from the data dir.
        expect(executor.user).toBeUndefined();
        expect(readFileSync(path.join(artifacts, 'uid.txt'), 'utf8').trim()).toBe(String(process.getuid?.()));
      }
      expect(path.relative(dataDir, artifacts).startsWith('..')).toBe(true);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('collects only the files inside $ARTIFACTS, whatever links the job leaves there', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'cutwater-outside-'));
    chmodSync(outside, 0o755);
    writeFileSync(path.join(outside, 'secret.txt'), 'outside\n', { mode: 0o644 });
    try {
      const job = shellJob(`echo kept > "$ARTIFACTS/real.txt"; ln -s '${outside}/secret.txt' "$ARTIFACTS/file-link"; ln -s '${outside}' "$ARTIFACTS/dir-link"`);
      expect(await runToEnd(executor, job)).toMatchObject({ phase: 'succeeded' });
      expect(await executor.artifacts(jobName(job))).toEqual([{ path: 'real.txt', content: Buffer.from('kept\n') }]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('writes stdout and stderr to the build log in the order they were written', async () => {
    const job = shellJob('echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2; echo out-3');
    await runToEnd(executor, job);
    expect(await executor.log(jobName(job))).toBe('out-1\nerr-1\nout-2\nerr-2\nout-3\n');
    expect(readFileSync(executor.workspace(jobName(job)).buildLog, 'utf8')).toBe('out-1\nerr-1\nout-2\nerr-2\nout-3\n');
  });

  describe('with refs', () => {
    let origins: string;
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: origins, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      }).trim();

    /** An origin with a base commit on main and a pull request under refs/pull/<number>/head. */
    function createOrigin(name: string, pull: number): { origin: string; baseSha: string; pullSha: string } {
      const origin = path.join(origins, name);
      execFileSync('git', ['init', '--quiet', '--initial-branch=main', origin]);
      writeFileSync(path.join(origin, 'base.txt'), `${name} base\n`);
      git(origin, 'add', '.');
      git(origin, 'commit', '--quiet', '-m', 'base');
      const baseSha = git(origin, 'rev-parse', 'HEAD');
      git(origin, 'checkout', '--quiet', '-b', 'feature');
      writeFileSync(path.join(origin, 'pull.txt'), `${name} pull ${pull}\n`);
      git(origin, 'add', '.');
      git(origin, 'commit', '--quiet', '-m', 'feature');
      const pullSha = git(origin, 'rev-parse', 'HEAD');
      git(origin, 'update-ref', `refs/pull/${pull}/head`, pullSha);
      git(origin, 'checkout', '--quiet', 'main');
      return { origin, baseSha, pullSha };
    }

    beforeEach(() => {
      origins = mkdtempSync(path.join(tmpdir(), 'cutwater-origins-'));
      // Readable by anyone, as a remote repository is: jobs (and their clones) run as nobody under root.
      chmodSync(origins, 0o755);
    });

    afterEach(() => {
      rmSync(origins, { recursive: true, force: true });
    });

    it('clones the refs with the pull request merged and runs the job in the repository', async () => {
      const widgets = createOrigin('widgets', 5);
      const tools = createOrigin('tools', 9);
      const refs: Refs = {
        org: 'acme',
        repo: 'widgets',
        base_ref: 'main',
        base_sha: widgets.baseSha,
        clone_uri: widgets.origin,
        pulls: [{ number: 5, author: 'octocat', sha: widgets.pullSha }],
      };
      // extra_refs from a file:// URL, at a path alias: both as Prow's clonerefs would place them.
      const extraRefs: Refs = { org: 'acme', repo: 'tools', base_ref: 'main', clone_uri: pathToFileURL(tools.origin).href, path_alias: 'example.com/tools' };
      const job = shellJob('pwd; cat pull.txt base.txt; cat "$GOPATH/src/example.com/tools/base.txt"; git log --format=%s -n 1', { pull: 5, refs, extraRefs: [extraRefs] });
      const status = await runToEnd(executor, job);
      expect(status).toMatchObject({ phase: 'succeeded' });

      const repository = path.join(executor.workspace(jobName(job)).codeRoot, 'src/github.com/acme/widgets');
      expect((await executor.log(jobName(job))).split('\n')).toEqual([repository, 'widgets pull 5', 'widgets base', 'tools base', `Merge ${widgets.pullSha}`, '']);
    });

    it('runs in the container’s working directory when it is under /home/prow/go', async () => {
      const widgets = createOrigin('widgets', 5);
      const refs: Refs = { org: 'acme', repo: 'widgets', base_ref: 'main', clone_uri: widgets.origin };
      const job = shellJob('pwd', { refs, container: { workingDir: '/home/prow/go/src/github.com/acme/widgets/sub' } });
      expect(await runToEnd(executor, job)).toMatchObject({ phase: 'succeeded' });
      expect((await executor.log(jobName(job))).trim()).toBe(path.join(executor.workspace(jobName(job)).codeRoot, 'src/github.com/acme/widgets/sub'));
    });

    it('ends as an error naming the repository when cloning fails, without running the job', async () => {
      const refs: Refs = { org: 'acme', repo: 'widgets', base_ref: 'main', clone_uri: path.join(origins, 'missing') };
      const job = shellJob('touch "$ARTIFACTS/ran"', { refs });
      const status = await runToEnd(executor, job);
      expect(status.phase).toBe('error');
      expect(status.description).toMatch(/^Job could not start: cloning acme\/widgets failed: .*missing/);
      expect(existsSync(path.join(executor.workspace(jobName(job)).artifacts, 'ran'))).toBe(false);
      expect(await executor.log(jobName(job))).toContain('cloning acme/widgets failed');
    });
  });

  it('ends as an error when the command does not exist or is not given', async () => {
    const missing = shellJob('', { container: { command: ['cutwater-no-such-command'], args: ['--flag'] } });
    expect(await runToEnd(executor, missing)).toMatchObject({ phase: 'error', description: 'Job could not start: cutwater-no-such-command was not found' });

    const entrypointOnly = shellJob('');
    entrypointOnly.spec.pod_spec = { containers: [{ name: 'test', image: 'golang:1.23', args: ['make', 'test'] }] };
    const status = await runToEnd(executor, entrypointOnly);
    expect(status.phase).toBe('error');
    expect(status.description).toMatch(/^Job could not start: container test has no command/);
  });

  it('aborts a job and its children with SIGTERM, reported as failed for the runner to judge', async () => {
    const job = shellJob('sleep 60 & echo $! > "$ARTIFACTS/child.pid"; wait');
    await executor.start(job);
    const pidFile = path.join(executor.workspace(jobName(job)).artifacts, 'child.pid');
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    const childPid = Number(readFileSync(pidFile, 'utf8'));

    await executor.abort(jobName(job), 30_000);
    expect(await executor.status(jobName(job))).toMatchObject({ phase: 'failed', description: 'Job was aborted.' });
    await eventually(() => processIsDead(childPid));
  });

  it('kills a job that ignores SIGTERM once the grace period is over', async () => {
    const job = shellJob('trap "" TERM; sleep 60 & echo $! > "$ARTIFACTS/child.pid"; wait');
    await executor.start(job);
    const pidFile = path.join(executor.workspace(jobName(job)).artifacts, 'child.pid');
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    const childPid = Number(readFileSync(pidFile, 'utf8'));

    await executor.abort(jobName(job), 200);
    expect(await executor.status(jobName(job))).toMatchObject({ phase: 'failed', description: 'Job was aborted.', exitCode: 137 });
    await eventually(() => processIsDead(childPid));
  });

  it('stays pending while cloning, and an abort then stops the clone and never runs the job', async () => {
    // A stand-in for the shell that hangs instead of cloning, so the clone is caught in progress.
    const slowShell = path.join(workRoot, 'slow-shell');
    writeFileSync(slowShell, '#!/bin/sh\necho $$ > "$HOME/shell.pid"\nexec sleep 60\n', { mode: 0o755 });
    const slow = new LocalExecutor({ workRoot, shell: slowShell });
    const refs: Refs = { org: 'acme', repo: 'widgets', base_ref: 'main', clone_uri: '/nowhere' };
    const job = shellJob('touch "$ARTIFACTS/ran"', { refs });
    await slow.start(job);
    const pidFile = path.join(slow.workspace(jobName(job)).home, 'shell.pid');
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    expect(await slow.status(jobName(job))).toMatchObject({ phase: 'pending', description: 'Cloning acme/widgets.' });

    await slow.abort(jobName(job), 30_000);
    expect(await slow.status(jobName(job))).toMatchObject({ phase: 'failed', description: 'Job was aborted.' });
    expect(existsSync(path.join(slow.workspace(jobName(job)).artifacts, 'ran'))).toBe(false);
    await eventually(() => processIsDead(Number(readFileSync(pidFile, 'utf8'))));
  });

  it('ends as an error when the clone shell cannot be run', async () => {
    const broken = new LocalExecutor({ workRoot, shell: 'cutwater-no-such-shell' });
    const job = shellJob('exit 0', { refs: { org: 'acme', repo: 'widgets', base_ref: 'main' } });
    expect(await runToEnd(broken, job)).toMatchObject({
      phase: 'error',
      description: 'Job could not start: cloning acme/widgets failed: the shell cutwater-no-such-shell could not be run (ENOENT)',
    });
  });

  it('starts a job once however often it is started', async () => {
    const job = shellJob('echo run >> "$ARTIFACTS/runs.txt"');
    const [first, second] = await Promise.all([executor.start(job), executor.start(job)]);
    const third = await executor.start(job);
    await executor.finished(jobName(job));
    const fourth = await executor.start(job);

    expect(first?.jobName).toBe(jobName(job));
    expect(second?.jobName).toBe(jobName(job));
    expect(third.jobName).toBe(jobName(job));
    expect(fourth).toMatchObject({ phase: 'succeeded' });
    expect(readFileSync(path.join(executor.workspace(jobName(job)).artifacts, 'runs.txt'), 'utf8')).toBe('run\n');
    expect(await executor.list()).toHaveLength(1);
  });

  it('tells a watcher of each phase, in order', async () => {
    const seen: [string, ExecutionPhase][] = [];
    const stop = executor.watch(
      (status) => seen.push([status.jobName, status.phase]),
      () => undefined,
    );
    const job = shellJob('echo hello');
    await runToEnd(executor, job);
    stop();
    await runToEnd(executor, shellJob('exit 0'));
    expect(seen).toEqual([
      [jobName(job), 'pending'],
      [jobName(job), 'running'],
      [jobName(job), 'succeeded'],
    ]);
  });

  it('removes a workspace, stopping a job still running', async () => {
    const finishedJob = shellJob('exit 0');
    await runToEnd(executor, finishedJob);
    const running = shellJob('sleep 60');
    await executor.start(running);
    await eventually(() => existsSync(executor.workspace(jobName(running)).buildLog));

    await executor.remove(jobName(finishedJob));
    await executor.remove(jobName(running));
    await executor.remove(jobName(running));
    for (const job of [finishedJob, running]) {
      expect(existsSync(executor.workspace(jobName(job)).root)).toBe(false);
      expect(await executor.status(jobName(job))).toBeUndefined();
    }
    expect(await executor.list()).toEqual([]);
  });

  it('refuses job names that would leave the work root', async () => {
    const job = shellJob('exit 0');
    job.metadata.name = '../escape';
    await expect(executor.start(job)).rejects.toThrow(/invalid job name/);
  });
});

describe('local executor after a crash', () => {
  const dirs: string[] = [];
  const executors: LocalExecutor[] = [];
  afterEach(async () => {
    for (const executor of executors.splice(0)) await executor.shutdown(0);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  }

  it('ends the processes a killed executor left running before it starts the job again, so it never runs twice at once', async () => {
    const workRoot = tempDir('cutwater-local-crash-');
    // Outside the workspace, which a new run starts afresh; writable by the job's user.
    const shared = tempDir('cutwater-local-runs-');
    chmodSync(shared, 0o777);
    const runsFile = path.join(shared, 'runs');
    const runs = () => (existsSync(runsFile) ? readFileSync(runsFile, 'utf8').trim().split('\n').filter(Boolean) : []).map((line) => line.split(' ').map(Number));
    // Each run notes its shell and its child ($$$$: Kubernetes would read $$ as an escaped $); the first
    // runs on and on, a later one ends at once.
    const job = shellJob(`sleep 600 & echo "$$$$ $!" >> '${runsFile}'; if [ "$(wc -l < '${runsFile}')" -gt 1 ]; then kill $!; fi; wait`);

    const crashing = spawn(process.execPath, ['--import', 'tsx', 'test/support/local-executor-process.ts', workRoot, JSON.stringify(job)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => crashing.once('exit', resolve));
    await eventually(() => runs().length === 1);
    crashing.kill('SIGKILL');
    await exited;
    const first = runs()[0] ?? [];
    expect(first.some((pid) => !processIsDead(pid))).toBe(true);

    const restarted = new LocalExecutor({ workRoot });
    executors.push(restarted);
    await restarted.start(job);
    // Dead before the job could start again, children included: one live execution at a time.
    expect(first.filter((pid) => !processIsDead(pid))).toEqual([]);
    expect(await restarted.finished(jobName(job))).toMatchObject({ phase: 'succeeded' });
    expect(runs()).toHaveLength(2);
  });

  it('leaves no record behind of executions that ended, so a restart ends nothing', async () => {
    const workRoot = tempDir('cutwater-local-crash-');
    const first = new LocalExecutor({ workRoot });
    executors.push(first);
    const job = shellJob('exit 0');
    await runToEnd(first, job);
    const second = new LocalExecutor({ workRoot });
    executors.push(second);
    expect(await second.list()).toEqual([]);
    expect(readdirSync(path.join(workRoot, '.executions'))).toEqual([]);
  });
});

describe('$(VAR) expansion', () => {
  it('follows Kubernetes: defined references replaced, $$ escaped, the rest kept', () => {
    const env = { A: 'x', B: '' };
    expect(expandReferences('$(A)-$(B)-$(C)', env)).toBe('x--$(C)');
    expect(expandReferences('$$(A) $$ $x $( $', env)).toBe('$(A) $ $x $( $');
  });
});
