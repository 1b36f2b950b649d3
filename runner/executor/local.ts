import { type ChildProcess, spawn } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createLogger, type Logger } from '../../shared/log/logger';
import { jobEnvironment } from '../../shared/prowjob/environment';
import type { ProwJob, Refs } from '../../shared/prowjob/schema';
import type { ExecutionPhase, ExecutionStatus, Executor } from './executor';
import { CODE_MOUNT, cloneScript, repositoryPath } from './pod';

/**
 * Runs ProwJobs as local processes, for local mode: each job gets a workspace standing in for the
 * pod's volumes (`go/` for /home/prow/go, `logs/` for /logs), its refs cloned there by the same
 * script the pod's clonerefs container runs, and its first container's command run as a process
 * whose output is the build log.
 *
 * Every process is started in a process group of its own, so aborting (or the job's main process
 * ending) takes its children with it, as the end of a container does.
 *
 * Executions live in memory: a new executor knows none, and starting a job again begins with a
 * fresh workspace.
 */
export interface LocalExecutorOptions {
  /** Directory holding one workspace per job, named after the job. */
  workRoot: string;
  log?: Logger;
  /** The shell that runs the clone script; `sh` unless given. */
  shell?: string;
}

/** Where a job's workspace keeps what its pod would keep in volumes. */
export interface LocalWorkspace {
  root: string;
  /** Stands in for /home/prow/go: GOPATH, and where refs are cloned. */
  codeRoot: string;
  /** Stands in for /logs/artifacts: $ARTIFACTS. */
  artifacts: string;
  buildLog: string;
  cloneLog: string;
  /** HOME for the clone script, whose `git config --global` must not touch the user's own config. */
  cloneHome: string;
}

export function localWorkspace(workRoot: string, jobName: string): LocalWorkspace {
  const root = path.join(path.resolve(workRoot), checkJobName(jobName));
  const logs = path.join(root, 'logs');
  return {
    root,
    codeRoot: path.join(root, 'go'),
    artifacts: path.join(logs, 'artifacts'),
    buildLog: path.join(logs, 'build-log.txt'),
    cloneLog: path.join(logs, 'clone-log.txt'),
    cloneHome: path.join(root, 'clone-home'),
  };
}

/** The container fields a local run uses; the pod spec reaches the runner as untyped JSON. */
const LocalContainerSchema = z.object({
  name: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z
    .array(
      z.object({
        name: z.string(),
        value: z.string().optional(),
        valueFrom: z.unknown().optional(),
      }),
    )
    .optional(),
  envFrom: z.array(z.unknown()).optional(),
});
type LocalContainer = z.infer<typeof LocalContainerSchema>;

const PodSpecContainersSchema = z.object({ containers: z.array(z.unknown()).min(1) });

interface Execution {
  readonly workspace: LocalWorkspace;
  status: ExecutionStatus;
  /** The process running now (clone or job), whose group abort signals. */
  child: ChildProcess | undefined;
  aborted: boolean;
  killTimer: NodeJS.Timeout | undefined;
  readonly finished: Promise<void>;
  readonly markFinished: () => void;
}

interface Watcher {
  listener: (status: ExecutionStatus) => void;
}

type ProcessEnd = { kind: 'unstarted'; error: NodeJS.ErrnoException } | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null };

const FINAL_PHASES: ReadonlySet<ExecutionPhase> = new Set(['succeeded', 'failed', 'error']);
const ABORTED_DESCRIPTION = 'Job was aborted.';

/** Raised inside a run to end it as `error` with a description a person can act on. */
class CannotStart extends Error {}

export class LocalExecutor implements Executor {
  private readonly executions = new Map<string, Execution>();
  private readonly removals = new Map<string, Promise<void>>();
  private readonly watchers = new Set<Watcher>();
  private readonly workRoot: string;
  private readonly logger: Logger;
  private readonly shell: string;

  constructor(options: LocalExecutorOptions) {
    this.workRoot = path.resolve(options.workRoot);
    this.logger = options.log ?? createLogger({ sink: () => undefined });
    this.shell = options.shell ?? 'sh';
  }

  /** The workspace paths of a job, whether or not it has run here. */
  workspace(jobName: string): LocalWorkspace {
    return localWorkspace(this.workRoot, jobName);
  }

  async start(job: ProwJob): Promise<ExecutionStatus> {
    const jobName = job.metadata.name;
    if (!jobName) throw new Error('a ProwJob without metadata.name cannot be started');
    const workspace = this.workspace(jobName);
    const buildId = job.status?.build_id;
    if (!buildId) throw new Error(`ProwJob ${jobName} has no status.build_id; the runner sets it before starting`);
    const removal = this.removals.get(jobName);
    if (removal) await removal;
    const existing = this.executions.get(jobName);
    if (existing) return { ...existing.status };

    // Registered before any await, so a concurrent start finds this execution instead of racing it.
    let markFinished = () => {};
    const finished = new Promise<void>((resolve) => (markFinished = resolve));
    const execution: Execution = {
      workspace,
      status: { jobName, phase: 'pending', description: 'Job triggered; preparing its workspace.', executionName: `local:${jobName}` },
      child: undefined,
      aborted: false,
      killTimer: undefined,
      finished,
      markFinished,
    };
    this.executions.set(jobName, execution);
    this.emit(execution.status);
    void this.run(execution, job, buildId);
    return { ...execution.status };
  }

  async status(jobName: string): Promise<ExecutionStatus | undefined> {
    const execution = this.executions.get(jobName);
    return execution ? { ...execution.status } : undefined;
  }

  async list(): Promise<ExecutionStatus[]> {
    return [...this.executions.values()].map((execution) => ({ ...execution.status }));
  }

  /** Local processes do not vanish behind the runner's back, so `onVanished` is never called. */
  watch(listener: (status: ExecutionStatus) => void, _onVanished: (jobName: string) => void): () => void {
    const watcher: Watcher = { listener };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  async log(jobName: string): Promise<string> {
    try {
      return await readFile(this.workspace(jobName).buildLog, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
  }

  async abort(jobName: string, gracePeriodMs: number): Promise<void> {
    const execution = this.executions.get(jobName);
    if (!execution || FINAL_PHASES.has(execution.status.phase)) return;
    if (!execution.aborted) {
      execution.aborted = true;
      signalGroup(execution.child, 'SIGTERM');
      execution.killTimer = setTimeout(() => signalGroup(execution.child, 'SIGKILL'), Math.max(0, gracePeriodMs));
    }
    await execution.finished;
  }

  /** Kills a still running execution at once (as deleting its pod would) and deletes its workspace. */
  async artifacts(jobName: string): Promise<{ path: string; content: Buffer }[]> {
    const root = this.workspace(jobName).artifacts;
    const found: { path: string; content: Buffer }[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
        // Symbolic links could point anywhere on this machine: only real files are collected.
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative);
        else if (entry.isFile()) found.push({ path: relative, content: await readFile(path.join(dir, entry.name)) });
      }
    };
    await walk(root, '');
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async remove(jobName: string): Promise<void> {
    const workspace = this.workspace(jobName);
    const pending = this.removals.get(jobName);
    if (pending) return pending;
    const removal = (async () => {
      await this.abort(jobName, 0);
      this.executions.delete(jobName);
      await rm(workspace.root, { recursive: true, force: true });
    })();
    this.removals.set(jobName, removal);
    try {
      await removal;
    } finally {
      this.removals.delete(jobName);
    }
  }

  /** When the execution ends; undefined when there is no execution. */
  async finished(jobName: string): Promise<ExecutionStatus | undefined> {
    const execution = this.executions.get(jobName);
    if (!execution) return undefined;
    await execution.finished;
    return { ...execution.status };
  }

  /**
   * Aborts every running execution. Their process groups are detached from the runner's, so a
   * Ctrl-C at the terminal does not reach them: local mode calls this on the way out.
   */
  async shutdown(gracePeriodMs: number): Promise<void> {
    await Promise.all([...this.executions.keys()].map((jobName) => this.abort(jobName, gracePeriodMs)));
  }

  private async run(execution: Execution, job: ProwJob, buildId: string): Promise<void> {
    const { workspace } = execution;
    try {
      await rm(workspace.root, { recursive: true, force: true });
      await mkdir(workspace.codeRoot, { recursive: true });
      await mkdir(workspace.artifacts, { recursive: true });
      await mkdir(workspace.cloneHome, { recursive: true });
      // Checked before cloning, which would be wasted on a job that cannot run.
      const container = firstContainer(job);

      const allRefs = [...(job.spec.refs ? [job.spec.refs] : []), ...(job.spec.extra_refs ?? [])];
      for (const refs of allRefs) checkInsideCodeRoot(workspace, refs);
      // As in a pod: only decoration adds the clonerefs container; an undecorated job clones nothing.
      const decorated = job.spec.decoration_config !== undefined && job.spec.decoration_config !== null;
      if (decorated && !job.spec.decoration_config?.skip_cloning) {
        for (const refs of allRefs) {
          if (execution.aborted) break;
          await this.clone(execution, refs);
        }
      }
      if (execution.aborted) return await this.finish(execution, { phase: 'failed', description: ABORTED_DESCRIPTION });

      const command = container.command?.[0];
      if (command === undefined) {
        throw new CannotStart(
          `Job could not start: container ${containerName(container)} has no command, and local mode cannot run an image's entrypoint; give the container a command`,
        );
      }
      await this.runJob(execution, job, buildId, container, allRefs);
    } catch (error) {
      const description = error instanceof CannotStart ? error.message : `Job could not start: ${errorMessage(error)}`;
      if (!(error instanceof CannotStart)) this.logger.error('local job could not start', { jobId: execution.status.jobName, error });
      // Prow's entrypoint writes why a job could not start into its log; the log is what gets uploaded.
      await appendFile(workspace.buildLog, `${description}\n`).catch(() => undefined);
      await this.finish(execution, { phase: 'error', description });
    }
  }

  private async clone(execution: Execution, refs: Refs): Promise<void> {
    const { workspace } = execution;
    const repository = `${refs.org}/${refs.repo}`;
    this.update(execution, { description: `Cloning ${repository}.` });
    // Every occurrence of the mount in the script is inside single quotes, so the path is escaped for them.
    const script = cloneScript([refs]).replaceAll(CODE_MOUNT, workspace.codeRoot.replace(/'/g, `'"'"'`));
    const log = await open(workspace.cloneLog, 'a');
    let stderrTail = '';
    // Writes in flight are chained: two concurrent writes to one descriptor may land in either order.
    let logWrites: Promise<unknown> = Promise.resolve();
    let end: ProcessEnd;
    try {
      if (execution.aborted) return;
      const child = spawn(this.shell, ['-c', script], {
        cwd: workspace.root,
        detached: true,
        stdio: ['ignore', log.fd, 'pipe'],
        env: { ...pick(process.env, ['PATH']), HOME: workspace.cloneHome, GIT_TERMINAL_PROMPT: '0' },
      });
      execution.child = child;
      const stderrClosed = new Promise((resolve) => child.stderr?.once('close', resolve));
      child.stderr?.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
        logWrites = logWrites.then(() => log.write(chunk)).catch(() => undefined);
      });
      end = await processEnd(child);
      execution.child = undefined;
      if (end.kind === 'exited') {
        // A straggler holding the pipe open would otherwise keep the clone from ever ending.
        signalGroupOf(child.pid, 'SIGKILL');
        await stderrClosed;
      }
    } finally {
      execution.child = undefined;
      await logWrites;
      await log.close();
    }
    if (execution.aborted) return;
    if (end.kind === 'unstarted') {
      throw new CannotStart(`Job could not start: cloning ${repository} failed: the shell ${this.shell} could not be run (${end.error.code ?? end.error.message})`);
    }
    if (end.code !== 0) {
      throw new CannotStart(`Job could not start: cloning ${repository} failed: ${cloneFailure(stderrTail) ?? `exit code ${end.code ?? end.signal}`}`);
    }
  }

  private async runJob(execution: Execution, job: ProwJob, buildId: string, container: LocalContainer, allRefs: Refs[]): Promise<void> {
    const { workspace } = execution;
    const jobName = execution.status.jobName;
    if ((container.env ?? []).some((entry) => entry.valueFrom !== undefined) || (container.envFrom ?? []).length > 0) {
      this.logger.warn('local mode leaves out environment taken from secrets, config maps or fields', { jobId: jobName, container: containerName(container) });
    }
    const specEnv = containerEnvironment(container);
    const runnerEnv: Record<string, string> = { ...jobEnvironment(job, buildId), ARTIFACTS: workspace.artifacts, GOPATH: workspace.codeRoot };
    // The container's env first and the runner's after it, as in the pod: a job cannot spoof JOB_SPEC.
    const declaredEnv = { ...specEnv, ...runnerEnv };
    const env = { ...pick(process.env, ['PATH', 'HOME']), ...declaredEnv };
    const [command = '', ...commandArgs] = [...(container.command ?? []), ...(container.args ?? [])].map((word) => expandReferences(word, declaredEnv));
    const cwd = workingDirectory(workspace, container, allRefs);
    // A container runtime creates a missing working directory; spawn would report it as ENOENT.
    await mkdir(cwd, { recursive: true });

    const log = await open(workspace.buildLog, 'w');
    let child: ChildProcess;
    let ended: Promise<ProcessEnd>;
    try {
      if (execution.aborted) return await this.finish(execution, { phase: 'failed', description: ABORTED_DESCRIPTION });
      // Both streams share one descriptor, so the log holds their lines in the order they were written.
      child = spawn(command, commandArgs, { cwd, env, detached: true, stdio: ['ignore', log.fd, log.fd] });
      execution.child = child;
      // Listening before the next await: spawn reports its outcome on the next tick.
      ended = processEnd(child, () => {
        this.update(execution, {
          phase: 'running',
          description: 'Job running.',
          executionName: `local:${jobName} (pid ${child.pid})`,
          startedAt: new Date(),
        });
      });
    } finally {
      await log.close();
    }
    const end = await ended;
    execution.child = undefined;

    if (end.kind === 'unstarted') {
      const description =
        end.error.code === 'ENOENT' ? `Job could not start: ${command} was not found` : `Job could not start: ${command} could not be run (${end.error.code ?? end.error.message})`;
      throw new CannotStart(description);
    }
    // The main process ended, so its group ends too: what a container's stragglers get.
    signalGroupOf(child.pid, 'SIGKILL');
    const exitCode = end.code ?? 128 + signalNumber(end.signal);
    const outcome = { exitCode, finishedAt: new Date() };
    if (execution.aborted) return this.finish(execution, { phase: 'failed', description: ABORTED_DESCRIPTION, ...outcome });
    if (end.code === 0) return this.finish(execution, { phase: 'succeeded', description: 'Job succeeded.', ...outcome });
    const description = end.code === null ? `Job failed: killed by signal ${end.signal}.` : `Job failed: exit code ${end.code}.`;
    return this.finish(execution, { phase: 'failed', description, ...outcome });
  }

  private async finish(execution: Execution, change: Partial<ExecutionStatus> & { phase: ExecutionPhase }): Promise<void> {
    clearTimeout(execution.killTimer);
    this.update(execution, { finishedAt: new Date(), ...change });
    this.logger.info('local job ended', { jobId: execution.status.jobName, phase: change.phase, description: execution.status.description });
    execution.markFinished();
  }

  private update(execution: Execution, change: Partial<ExecutionStatus>): void {
    const previous = execution.status.phase;
    execution.status = { ...execution.status, ...change };
    if (execution.status.phase !== previous) this.emit(execution.status);
  }

  private emit(status: ExecutionStatus): void {
    for (const watcher of [...this.watchers]) {
      try {
        watcher.listener({ ...status });
      } catch (error) {
        this.logger.error('execution watcher failed', { jobId: status.jobName, error });
      }
    }
  }
}

/** Job names become directory names: nothing that could climb out of the work root. */
function checkJobName(jobName: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/.test(jobName)) {
    throw new Error(`invalid job name ${JSON.stringify(jobName)} for a local workspace`);
  }
  return jobName;
}

function firstContainer(job: ProwJob): LocalContainer {
  const podSpec = PodSpecContainersSchema.safeParse(job.spec.pod_spec);
  if (!podSpec.success) throw new CannotStart('Job could not start: the job has no pod_spec with containers');
  const container = LocalContainerSchema.safeParse(podSpec.data.containers[0]);
  if (!container.success) {
    throw new CannotStart(`Job could not start: its first container is not valid: ${z.prettifyError(container.error).replace(/\n/g, ' ')}`);
  }
  return container.data;
}

function containerName(container: LocalContainer): string {
  return container.name || 'test';
}

/**
 * The container's literal env, each value's $(VAR) references resolved against the entries
 * before it, as the kubelet does.
 */
function containerEnvironment(container: LocalContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.valueFrom !== undefined) continue;
    env[entry.name] = expandReferences(entry.value ?? '', env);
  }
  return env;
}

/**
 * Kubernetes' $(VAR) expansion in command, args and env values: `$$` is a literal `$`, and a
 * reference to an undefined variable stays as written.
 */
export function expandReferences(text: string, env: Readonly<Record<string, string>>): string {
  let result = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar < 0 || dollar === text.length - 1) {
      result += text.slice(index);
      break;
    }
    result += text.slice(index, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      result += '$';
      index = dollar + 2;
    } else if (next === '(') {
      const close = text.indexOf(')', dollar + 2);
      if (close < 0) {
        result += '$(';
        index = dollar + 2;
      } else {
        const name = text.slice(dollar + 2, close);
        result += Object.hasOwn(env, name) ? env[name] : `$(${name})`;
        index = close + 1;
      }
    } else {
      result += `$${next ?? ''}`;
      index = dollar + 2;
    }
  }
  return result;
}

/** Maps a path under /home/prow/go into the workspace; undefined for paths elsewhere. */
function inCodeRoot(workspace: LocalWorkspace, podPath: string): string | undefined {
  const normalized = path.posix.normalize(podPath);
  if (normalized !== CODE_MOUNT && !normalized.startsWith(`${CODE_MOUNT}/`)) return undefined;
  return path.join(workspace.codeRoot, normalized.slice(CODE_MOUNT.length));
}

/** A path_alias with `..` would clone outside the workspace, which no pod could do to this machine. */
function checkInsideCodeRoot(workspace: LocalWorkspace, refs: Refs): void {
  const mapped = inCodeRoot(workspace, repositoryPath(refs));
  if (mapped === undefined || path.relative(workspace.codeRoot, mapped).startsWith('..')) {
    throw new CannotStart(`Job could not start: the checkout path of ${refs.org}/${refs.repo} leaves ${CODE_MOUNT}`);
  }
}

/** The pod's working directory, mapped: the container's own, else the refs marked workdir or the first. */
function workingDirectory(workspace: LocalWorkspace, container: LocalContainer, allRefs: Refs[]): string {
  const own = container.workingDir ? inCodeRoot(workspace, container.workingDir) : undefined;
  if (own) return own;
  const workingRefs = allRefs.find((refs) => refs.workdir) ?? allRefs[0];
  if (workingRefs) return inCodeRoot(workspace, repositoryPath(workingRefs)) ?? workspace.root;
  return workspace.root;
}

/**
 * The line of git's output that says what went wrong. Git ends many failures with advice ("Please
 * make sure you have the correct access rights / and the repository exists."), so its first
 * `fatal:` or `error:` line says more than its last line; without one, the last line is all there is.
 */
function cloneFailure(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1);
}

function processEnd(child: ChildProcess, onSpawn?: () => void): Promise<ProcessEnd> {
  return new Promise((resolve) => {
    let spawned = false;
    child.once('spawn', () => {
      spawned = true;
      onSpawn?.();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (!spawned) resolve({ kind: 'unstarted', error });
    });
    child.once('exit', (code, signal) => resolve({ kind: 'exited', code, signal }));
  });
}

function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child && child.exitCode === null && child.signalCode === null) signalGroupOf(child.pid, signal);
}

/** Detached children lead their own group, whose ID is their PID: a negative PID signals it all. */
function signalGroupOf(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // The group is already gone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (osConstants.signals[signal] ?? 0) : 0;
}

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
