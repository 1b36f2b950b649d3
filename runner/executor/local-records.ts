import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../shared/log/logger';
import { currentBoot, endExecution, liveGroupsOf, processStartTicks, sameBoot, type BootIdentity, type RecordedExecution } from './process-groups';

/**
 * The local executor's record of each execution it has started, one file per job, kept in the
 * data dir so that it outlives the executor's process. Processes run detached, in process groups
 * of their own, so a `kill -9` of `cutwater local` leaves them running; the next executor reads
 * these records and ends those groups before it starts anything, so that a job never has two
 * live executions (a pod, in a build cluster, is found again by its name instead).
 *
 * A record is written before anything is spawned, with a marker every process of the execution
 * carries in its environment (EXECUTION_MARKER_VARIABLE), so that on Linux even processes the
 * executor had no time to record, or that left their group, are found. Each process group is
 * recorded as it is spawned, in the same tick, for systems without /proc. The record is removed
 * when the execution has ended and its group has been killed.
 */

const BootSchema = z.object({ id: z.string().optional(), time: z.number() });

const ExecutionRecordSchema = z.object({
  jobName: z.string(),
  buildId: z.string(),
  /** Which executor wrote it: a live executor's records are its own, not a crashed one's. */
  owner: z.object({ pid: z.number().int(), startTicks: z.number().int().optional(), instance: z.string() }),
  boot: BootSchema,
  startedAt: z.string(),
  /** In the environment of every process of the execution: how they are found again. */
  marker: z.string().min(1),
  /** How long the job gets between SIGTERM and SIGKILL, as an abort would give it. */
  gracePeriodMs: z.number().nonnegative(),
  /** The process group running now (the clone or the job); absent before the first spawn. */
  group: z.object({ step: z.enum(['clone', 'job']), processGroup: z.number().int().positive(), startTicks: z.number().int().optional() }).optional(),
});
export type ExecutionRecord = z.infer<typeof ExecutionRecordSchema>;

/** Raised when a job's earlier execution still runs and cannot be ended: starting it again would run it twice. */
export class ExecutionStillRunningError extends Error {
  override name = 'ExecutionStillRunningError';
}

export class ExecutionRecords {
  private readonly instance = randomUUID();
  private readonly owner: ExecutionRecord['owner'];
  private readonly boot: BootIdentity = currentBoot();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    const startTicks = processStartTicks(process.pid);
    this.owner = { pid: process.pid, ...(startTicks === undefined ? {} : { startTicks }), instance: this.instance };
  }

  /** The record of an execution about to be prepared: nothing runs yet. */
  begin(jobName: string, buildId: string, gracePeriodMs: number): ExecutionRecord {
    const record: ExecutionRecord = {
      jobName,
      buildId,
      owner: this.owner,
      boot: this.boot,
      startedAt: new Date().toISOString(),
      marker: randomUUID(),
      gracePeriodMs,
    };
    this.write(record);
    return record;
  }

  /**
   * Records the process group just spawned. Synchronous, so no await can come between the spawn
   * and the record: a crash leaves either no process or a recorded one.
   */
  spawned(record: ExecutionRecord, step: 'clone' | 'job', processGroup: number): ExecutionRecord {
    const startTicks = processStartTicks(processGroup);
    const updated: ExecutionRecord = { ...record, group: { step, processGroup, ...(startTicks === undefined ? {} : { startTicks }) } };
    this.write(updated);
    return updated;
  }

  /** Forgets this executor's record of a job; another executor's record of it is not this one's to drop. */
  remove(jobName: string): void {
    const record = this.read(this.file(jobName));
    if (record?.owner.instance === this.instance) rmSync(this.file(jobName), { force: true });
  }

  /**
   * Ends the process groups of executions a previous executor left behind (crashed, or dropped
   * without shutting down) and forgets them. Returns the jobs whose executions are still running
   * afterwards: another live process's, or ones that would not die.
   */
  async reapOrphans(): Promise<Map<string, string>> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stillRunning = new Map<string, string>();
    for (const entry of readdirSync(this.dir)) {
      // A write cut short by the crash: the record it would have replaced is still there.
      if (entry.endsWith('.tmp')) rmSync(path.join(this.dir, entry), { force: true });
      if (!entry.endsWith('.json')) continue;
      const file = path.join(this.dir, entry);
      const record = this.read(file);
      if (!record) {
        this.log.warn('removing an unreadable execution record', { file });
        rmSync(file, { force: true });
        continue;
      }
      const reason = await this.reap(record);
      if (reason) stillRunning.set(record.jobName, reason);
    }
    return stillRunning;
  }

  /**
   * Ends one job's earlier execution if a previous executor left one; undefined when nothing of it
   * runs any more, else why it still does.
   */
  async reapJob(jobName: string): Promise<string | undefined> {
    const record = this.read(this.file(jobName));
    return record ? this.reap(record) : undefined;
  }

  private async reap(record: ExecutionRecord): Promise<string | undefined> {
    if (record.owner.instance === this.instance) return undefined;
    // Nothing started before the last boot runs now.
    const execution: RecordedExecution | undefined = sameBoot(record.boot, this.boot) ? { group: record.group, marker: record.marker } : undefined;
    if (execution && liveGroupsOf(execution).size > 0) {
      if (this.ownerIsAnotherLiveProcess(record.owner)) {
        const reason = `its execution belongs to another running process (PID ${record.owner.pid}) using the same data directory`;
        this.log.warn('leaving an execution of another running process alone', { jobId: record.jobName, pid: record.owner.pid });
        return reason;
      }
      this.log.warn('ending an execution left running by a previous runner', {
        jobId: record.jobName,
        buildId: record.buildId,
        processGroups: [...liveGroupsOf(execution)],
        step: record.group?.step,
        startedAt: record.startedAt,
      });
      if (!(await endExecution(execution, record.gracePeriodMs))) {
        const groups = [...liveGroupsOf(execution)];
        this.log.error('an execution left by a previous runner does not end', { jobId: record.jobName, processGroups: groups });
        return `process group(s) ${groups.join(', ')} of its earlier execution still run after SIGKILL`;
      }
    }
    rmSync(this.file(record.jobName), { force: true });
    return undefined;
  }

  /** Only Linux can tell a live owner from a later process with its PID; elsewhere owners count as gone. */
  private ownerIsAnotherLiveProcess(owner: ExecutionRecord['owner']): boolean {
    if (owner.pid === process.pid || owner.startTicks === undefined) return false;
    return processStartTicks(owner.pid) === owner.startTicks;
  }

  private read(file: string): ExecutionRecord | undefined {
    try {
      const parsed = ExecutionRecordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      // Missing (ended meanwhile), or torn by a crash mid-write before the rename made it whole.
      return undefined;
    }
  }

  private write(record: ExecutionRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(record.jobName);
    const temporary = `${file}.${this.instance}.tmp`;
    // Renamed into place, so a reader never sees half a record.
    writeFileSync(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(temporary, file);
  }

  private file(jobName: string): string {
    return path.join(this.dir, `${jobName}.json`);
  }
}
