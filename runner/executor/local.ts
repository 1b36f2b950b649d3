import { type ChildProcess, spawn } from 'node:child_process';
import { appendFile, mkdir, open, readFile, rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createLogger, type Logger } from '../../shared/log/logger';
import { jobEnvironment } from '../../shared/prowjob/environment';
import type { ProwJob, Refs } from '../../shared/prowjob/schema';
import type { ExecutionPhase, ExecutionStatus, Executor } from './executor';
import { ExecutionRecords, ExecutionStillRunningError, type ExecutionRecord } from './local-records';
import {
  baseEnvironment,
  defaultJobUser,
  localWorkspace,
  prepareWorkRoot,
  prepareWorkspace,
  readArtifacts,
  type JobUser,
  type LocalWorkspace,
} from './local-workspace';
import { CODE_MOUNT, cloneScript, durationMs, repositoryPath } from './pod';
import { EXECUTION_MARKER_VARIABLE } from './process-groups';

export { localWorkspace, type LocalWorkspace } from './local-workspace';

/**
 * Runs ProwJobs as local processes, for local mode: each job gets a workspace standing in for the
 * pod's volumes (`go/` for /home/prow/go, `logs/` for /logs), its refs cloned there by the same
 * script the pod's clonerefs container runs, and its first container's command run as a process
 * whose output is the build log.
 *
 * Every process is started in a process group of its own, so aborting (or the job's main process
 * ending) takes its children with it, as the end of a container does. Jobs run as an unprivileged
 * user when Cutwater runs as root, in workspaces outside the data dir, with an environment built
 * from an allowlist (local-workspace.ts).
 *
 * Executions live in memory, and each is also recorded in the state dir (local-records.ts): before
 * a new executor starts or lists anything, it ends the process groups a crashed predecessor left
 * running, so that a job restarted after a crash never runs twice at once. Starting a job again
 * begins with a fresh workspace.
 */
export interface LocalExecutorOptions {
  /** Directory holding one workspace per job, named after the job; created if missing. */
  workRoot: string;
  /** Where the executor records what it runs (in `executions/`), to find it again after a crash: the data dir; the work root unless given. */
  stateDir?: string;
  /**
   * Who jobs run as: unless given, `nobody` when Cutwater runs as root, else Cutwater's own user
   * (local-workspace.ts). Given as undefined: Cutwater's own user.
   */
  jobUser?: JobUser | undefined;
  log?: Logger;
  /** The shell that runs the clone script; `sh` unless given. */
  shell?: string;
}

/** Prow's default grace period, for a job whose decoration_config gives none (runner/decide.ts uses the same). */
const DEFAULT_GRACE_PERIOD_MS = 15_000;

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
  /** Its record in the state dir, naming the process group running now. */
  record: ExecutionRecord;
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
  private readonly jobUser: JobUser | undefined;
  private readonly records: ExecutionRecords;
  private recovery: Promise<void> | undefined;
  /** Jobs whose earlier execution (another process's, or one that would not die) was still running at recovery. */
  private stillRunning = new Map<string, string>();

  constructor(options: LocalExecutorOptions) {
    this.workRoot = path.resolve(options.workRoot);
    this.logger = options.log ?? createLogger({ sink: () => undefined });
    this.shell = options.shell ?? 'sh';
    this.jobUser = 'jobUser' in options ? options.jobUser : defaultJobUser();
    // In the work root, the name cannot be a job's: job names begin with a letter or digit.
    const recordsDir = options.stateDir ? path.join(path.resolve(options.stateDir), 'executions') : path.join(this.workRoot, '.executions');
    this.records = new ExecutionRecords(recordsDir, this.logger);
  }

  /** Who jobs run as; undefined when they run as Cutwater's own user. */
  get user(): JobUser | undefined {
    return this.jobUser;
  }

  /**
   * Prepares the work root and ends what a previous executor left running, once, before this one
   * starts or lists anything. The runner lists executions first thing, so a restarted runner never
   * claims a job while its old execution still runs, whatever the state of the job's lease.
   */
  private recovered(): Promise<void> {
    this.recovery ??= (async () => {
      prepareWorkRoot(this.workRoot, this.jobUser);
      this.stillRunning = await this.records.reapOrphans();
    })();
    return this.recovery;
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
    await this.recovered();
    if (this.stillRunning.has(jobName)) {
      const reason = await this.records.reapJob(jobName);
      if (reason) throw new ExecutionStillRunningError(`ProwJob ${jobName} was not started again: ${reason}`);
      this.stillRunning.delete(jobName);
    }
    const removal = this.removals.get(jobName);
    if (removal) await removal;
    const existing = this.executions.get(jobName);
    if (existing) return { ...existing.status };
    const gracePeriodMs = durationMs(job.spec.decoration_config?.grace_period) ?? DEFAULT_GRACE_PERIOD_MS;

    // Registered before any await, so a concurrent start finds this execution instead of racing it.
    let markFinished = () => {};
    const finished = new Promise<void>((resolve) => (markFinished = resolve));
    const execution: Execution = {
      workspace,
      status: { jobName, phase: 'pending', description: 'Job triggered; preparing its workspace.', executionName: `local:${jobName}` },
      record: this.records.begin(jobName, buildId, gracePeriodMs),
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
    await this.recovered();
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

  async artifacts(jobName: string): Promise<{ path: string; content: Buffer }[]> {
    return readArtifacts(this.workspace(jobName).artifacts);
  }

  /** Kills a still running execution at once (as deleting its pod would) and deletes its workspace. */
  async remove(jobName: string): Promise<void> {
    const workspace = this.workspace(jobName);
    const pending = this.removals.get(jobName);
    if (pending) return pending;
    const removal = (async () => {
      await this.abort(jobName, 0);
      if (this.executions.delete(jobName)) this.records.remove(jobName);
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
   * Ctrl-C at the terminal does not reach them: local mode calls this on the way out. An aborted
   * job starts afresh when it runs again, so its workspace goes too.
   */
  async shutdown(gracePeriodMs: number): Promise<void> {
    const running = [...this.executions.entries()].filter(([, execution]) => !FINAL_PHASES.has(execution.status.phase));
    await Promise.all(
      running.map(async ([jobName, execution]) => {
        await this.abort(jobName, gracePeriodMs);
        await rm(execution.workspace.root, { recursive: true, force: true });
      }),
    );
  }

  private async run(execution: Execution, job: ProwJob, buildId: string): Promise<void> {
    const { workspace } = execution;
    try {
      await prepareWorkspace(workspace, this.jobUser);
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
        cwd: workspace.home,
        detached: true,
        stdio: ['ignore', log.fd, 'pipe'],
        env: { ...baseEnvironment(workspace, this.jobUser), GIT_TERMINAL_PROMPT: '0', [EXECUTION_MARKER_VARIABLE]: execution.record.marker },
        ...this.spawnUser(),
      });
      execution.child = child;
      this.recordSpawn(execution, 'clone', child);
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
    const env = { ...baseEnvironment(workspace, this.jobUser), ...declaredEnv, [EXECUTION_MARKER_VARIABLE]: execution.record.marker };
    const [command = '', ...commandArgs] = [...(container.command ?? []), ...(container.args ?? [])].map((word) => expandReferences(word, declaredEnv));
    const cwd = workingDirectory(workspace, container, allRefs);
    // A container runtime creates a missing working directory; spawn would report it as ENOENT.
    await this.makeWorkingDirectory(cwd);

    const log = await open(workspace.buildLog, 'w');
    let child: ChildProcess;
    let ended: Promise<ProcessEnd>;
    try {
      if (execution.aborted) return await this.finish(execution, { phase: 'failed', description: ABORTED_DESCRIPTION });
      // Both streams share one descriptor, so the log holds their lines in the order they were written.
      child = spawn(command, commandArgs, { cwd, env, detached: true, stdio: ['ignore', log.fd, log.fd], ...this.spawnUser() });
      execution.child = child;
      this.recordSpawn(execution, 'job', child);
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

  /** spawn's options for running as the job user. */
  private spawnUser(): { uid?: number; gid?: number } {
    return this.jobUser ? { uid: this.jobUser.uid, gid: this.jobUser.gid } : {};
  }

  /**
   * Records the process group just spawned, before anything else can happen. A group that cannot
   * be recorded is killed at once: after a crash nobody could find it.
   */
  private recordSpawn(execution: Execution, step: 'clone' | 'job', child: ChildProcess): void {
    if (child.pid === undefined) return;
    try {
      execution.record = this.records.spawned(execution.record, step, child.pid);
    } catch (error) {
      signalGroupOf(child.pid, 'SIGKILL');
      throw new CannotStart(`Job could not start: its process could not be recorded: ${errorMessage(error)}`);
    }
  }

  /**
   * Creates the job's working directory as the job's user: the clone ran as that user, and a
   * repository may hold links, which root creating directories along them would follow anywhere.
   */
  private async makeWorkingDirectory(dir: string): Promise<void> {
    if (!this.jobUser) {
      await mkdir(dir, { recursive: true });
      return;
    }
    const mkdirProcess = spawn('mkdir', ['-p', '--', dir], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, ...this.spawnUser() });
    const end = await processEnd(mkdirProcess);
    if (end.kind === 'unstarted' || end.code !== 0) {
      throw new CannotStart(`Job could not start: its working directory ${dir} could not be created as ${this.jobUser.name}`);
    }
  }

  private async finish(execution: Execution, change: Partial<ExecutionStatus> & { phase: ExecutionPhase }): Promise<void> {
    clearTimeout(execution.killTimer);
    // Its process group has been killed by now: nothing is left for a later executor to end.
    this.records.remove(execution.status.jobName);
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
  // Without a repository to work in, $HOME: the job's own, as a container's working directory would be.
  if (workingRefs) return inCodeRoot(workspace, repositoryPath(workingRefs)) ?? workspace.home;
  return workspace.home;
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
