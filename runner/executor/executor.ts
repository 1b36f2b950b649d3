import type { ProwJob } from '../../shared/prowjob/schema';

/**
 * How the runner runs a ProwJob: as a pod in a build cluster (runner/executor/kubernetes.ts) or as
 * local processes in local mode (runner/executor/local.ts). The runner core (leases, state,
 * concurrency) drives either through this interface and never sees pods or processes.
 *
 * An execution is found again by its job's name, so a restarted runner adopts what is already
 * running instead of starting it twice.
 */
export type ExecutionPhase = 'pending' | 'running' | 'succeeded' | 'failed' | 'error';

export interface ExecutionStatus {
  jobName: string;
  phase: ExecutionPhase;
  /** What a person should read: "Job succeeded.", "Image "x" could not be pulled", "OOMKilled"… */
  description: string;
  /** Pod name, or a local process description. */
  executionName: string;
  startedAt?: Date;
  finishedAt?: Date;
  /** The test container's exit code, when it has one. */
  exitCode?: number;
}

export interface Executor {
  /**
   * Starts `job` (whose status.build_id is set) unless an execution for it already exists, in which
   * case that one is returned: starting is idempotent by job name.
   */
  start(job: ProwJob): Promise<ExecutionStatus>;
  /** The execution's current status; undefined when it no longer exists (deleted, node lost). */
  status(jobName: string): Promise<ExecutionStatus | undefined>;
  /** Every execution this executor manages (for adoption after a restart). */
  list(): Promise<ExecutionStatus[]>;
  /** Status changes as they happen, from one watch; returns a function that stops it. */
  watch(listener: (status: ExecutionStatus) => void, onVanished: (jobName: string) => void): () => void;
  /** The build log so far (the test container's output). */
  log(jobName: string): Promise<string>;
  /**
   * The files the job left in $ARTIFACTS, relative to it, read once the execution has ended.
   * An executor that cannot reach them returns none.
   */
  artifacts(jobName: string): Promise<{ path: string; content: Buffer }[]>;
  /** Stops an execution: graceful termination, then kill after `gracePeriodMs`. */
  abort(jobName: string, gracePeriodMs: number): Promise<void>;
  /** Removes a finished execution's resources. A no-op when already gone. */
  remove(jobName: string): Promise<void>;
  /**
   * The secret values `job`'s execution is given (a pod's Secret volumes and environment), which
   * the runner censors from its log and artifacts when the job's decoration_config sets
   * censor_secrets (runner/censor.ts). Absent when executions are given no secrets (local mode).
   * Throws when they cannot be read: results are not stored uncensored.
   */
  jobSecrets?(job: ProwJob): Promise<Buffer[]>;
  /**
   * Prow's `podinfo.json` for an ended execution: `{pod, events}`, the pod object and the
   * Kubernetes events about it, for the podinfo lens. Undefined when there is no pod to describe
   * (executors without pods, or the pod is gone).
   */
  podInfo?(jobName: string): Promise<{ pod: unknown; events: unknown[] } | undefined>;
}
