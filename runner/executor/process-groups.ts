import { readdirSync, readFileSync } from 'node:fs';
import { uptime } from 'node:os';

/**
 * What the local executor needs to know about process groups it may have started before a crash:
 * which processes are in a group still, whether the group is the one it started (not a later one
 * that reused the number), and how to end it. Linux answers from /proc; elsewhere only a signal
 * can tell whether a group has members, and start times are unknown.
 */

/** The machine's boot, so that a record written before a reboot is not mistaken for a live group. */
export interface BootIdentity {
  /** Linux's boot_id: exact. */
  id?: string;
  /** Seconds since the epoch, from the uptime: exact to a second or two, on every system. */
  time: number;
}

/** Two boot times this close are the same boot: the clock and the uptime are read at slightly different moments. */
const BOOT_TIME_TOLERANCE_S = 120;

export function currentBoot(): BootIdentity {
  const time = Math.round(Date.now() / 1000 - uptime());
  try {
    return { id: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), time };
  } catch {
    return { time };
  }
}

export function sameBoot(a: BootIdentity, b: BootIdentity): boolean {
  if (a.id !== undefined && b.id !== undefined) return a.id === b.id;
  return Math.abs(a.time - b.time) < BOOT_TIME_TOLERANCE_S;
}

interface ProcessStat {
  pid: number;
  state: string;
  processGroup: number;
  /** Clock ticks after boot: with the PID, names one process for the life of the machine. */
  startTicks: number;
}

/** /proc/<pid>/stat, parsed; undefined when there is no such process or no /proc. */
function processStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const processGroup = Number(fields[2]);
  const startTicks = Number(fields[19]);
  if (!Number.isInteger(processGroup) || !Number.isInteger(startTicks)) return undefined;
  return { pid, state: fields[0] ?? '', processGroup, startTicks };
}

/** A process's start time in clock ticks after boot (Linux), to tell it from a later one with its PID. */
export function processStartTicks(pid: number): number | undefined {
  return processStat(pid)?.startTicks;
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** Zombies and dead tasks run nothing: they only wait to be reaped. */
function isRunning(stat: ProcessStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * A group the executor recorded: its ID (the PID of its first process, which the executor started)
 * and, on Linux, that process's start time.
 */
export interface RecordedGroup {
  processGroup: number;
  startTicks?: number;
}

/**
 * Whether processes of the recorded group still run. A group ID cannot be reused while any
 * process is in the group, so members that started no earlier than the recorded leader are its
 * own; a leader alive with another start time means the number now belongs to someone else.
 */
export function groupIsAlive(group: RecordedGroup): boolean {
  if (!hasProc) return signalGroup(group.processGroup, 0);
  const members: ProcessStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat && stat.processGroup === group.processGroup && isRunning(stat)) members.push(stat);
  }
  if (group.startTicks === undefined) return members.length > 0;
  const leader = members.find((member) => member.pid === group.processGroup);
  if (leader && leader.startTicks !== group.startTicks) return false;
  return members.some((member) => member.startTicks >= (group.startTicks ?? 0));
}

/** The variable every process of a local execution carries, naming the execution. */
export const EXECUTION_MARKER_VARIABLE = 'CUTWATER_EXECUTION';

/**
 * The process groups of processes whose environment names the execution (Linux): found even when
 * the executor died before it could record the group, and even for processes that left it.
 * Processes of other users are invisible to a user other than root, which only ever runs its own.
 */
function markedGroups(marker: string): Set<number> {
  const groups = new Set<number>();
  if (!hasProc) return groups;
  const needle = Buffer.from(`${EXECUTION_MARKER_VARIABLE}=${marker}\0`);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environment: Buffer;
    try {
      environment = readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue;
    }
    if (!environment.includes(needle)) continue;
    const stat = processStat(Number(entry));
    if (stat && isRunning(stat)) groups.add(stat.processGroup);
  }
  return groups;
}

/** An execution as recorded: the group it was last known to run as, and its marker. */
export interface RecordedExecution {
  group?: RecordedGroup | undefined;
  marker: string;
}

/** The process groups still running for a recorded execution. */
export function liveGroupsOf(execution: RecordedExecution): Set<number> {
  const groups = markedGroups(execution.marker);
  if (execution.group && groupIsAlive(execution.group)) groups.add(execution.group.processGroup);
  return groups;
}

/** Signals every process in a group; false when the group has no members (`signal` 0 only asks). */
export function signalGroup(processGroup: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-processGroup, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // EPERM: members exist but belong to someone this process may not signal.
    if (code === 'EPERM') return true;
    if (code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Ends a recorded execution as a container's end would: SIGTERM to each of its groups, then
 * SIGKILL once `gracePeriodMs` has passed. Resolves true once none of its processes runs, false
 * if some still do a while after SIGKILL (a process stuck in the kernel).
 */
export async function endExecution(execution: RecordedExecution, gracePeriodMs: number, options: { killWaitMs?: number } = {}): Promise<boolean> {
  const initial = liveGroupsOf(execution);
  if (initial.size === 0) return true;
  for (const group of initial) signalGroup(group, 'SIGTERM');
  if (await waitUntilGone(execution, gracePeriodMs)) return true;
  // Found again rather than reused: between the wait and the kill a number could have passed to a new group.
  for (const group of liveGroupsOf(execution)) signalGroup(group, 'SIGKILL');
  return waitUntilGone(execution, options.killWaitMs ?? 5_000);
}

async function waitUntilGone(execution: RecordedExecution, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (liveGroupsOf(execution).size === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
