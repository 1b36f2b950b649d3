import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A durable, append-only record log with snapshot compaction: the disk format behind local mode's
 * embedded store and bus. Everything lives in memory in the owner; the journal only makes it survive
 * a restart, so it needs no native addon and no query engine.
 *
 * Files in `dir`: `<name>.snapshot.jsonl` (the state at the last compaction) and `<name>.log.jsonl`
 * (every record appended since). Replaying snapshot then log reproduces the state, provided records
 * are idempotent "put this whole value" / "delete this key" operations, which is what owners write.
 *
 * Appends are group-committed: records appended in the same tick share one write and one fsync, so
 * many concurrent writers cost one disk flush, and `append` resolves only once its record is durable.
 */
export interface JournalOptions<T> {
  dir: string;
  name: string;
  /** Validates one decoded line; throw to reject it. */
  parse: (value: unknown) => T;
  /** fsync after each group of appends (default true). Tests of crash behaviour keep it on. */
  fsync?: boolean;
}

export interface OpenedJournal<T> {
  journal: Journal<T>;
  /** Snapshot records then log records, in the order they were written. */
  records: T[];
  /** A final line cut short by a crash mid-write, dropped on open; undefined when the log was whole. */
  droppedPartialLine?: string;
}

export class JournalCorruptError extends Error {
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: unreadable journal record (${reason}); the data directory is damaged — restore it or move it aside`);
    this.name = 'JournalCorruptError';
  }
}

export class Journal<T> {
  private fd: number;
  private pending: { line: string; done: () => void; fail: (error: Error) => void }[] = [];
  private flushScheduled = false;
  private closed = false;
  /** Records written to the log since the last compaction: owners use it to decide when to compact. */
  appendedSinceCompaction: number;

  private constructor(
    private readonly logFile: string,
    private readonly snapshotFile: string,
    private readonly fsync: boolean,
    existingLogRecords: number,
  ) {
    this.fd = openSync(logFile, 'a');
    this.appendedSinceCompaction = existingLogRecords;
  }

  static open<T>(options: JournalOptions<T>): OpenedJournal<T> {
    mkdirSync(options.dir, { recursive: true });
    const snapshotFile = path.join(options.dir, `${options.name}.snapshot.jsonl`);
    const logFile = path.join(options.dir, `${options.name}.log.jsonl`);
    // A compaction that crashed before its rename leaves a temporary file: it was never the state.
    rmSync(`${snapshotFile}.tmp`, { force: true });
    const snapshot = readRecords(snapshotFile, options.parse, false);
    const log = readRecords(logFile, options.parse, true);
    const journal = new Journal<T>(logFile, snapshotFile, options.fsync ?? true, log.records.length);
    if (log.partialLine !== undefined) journal.rewriteLog(log.records);
    const opened: OpenedJournal<T> = { journal, records: [...snapshot.records, ...log.records] };
    if (log.partialLine !== undefined) opened.droppedPartialLine = log.partialLine;
    return opened;
  }

  /** Resolves once the record is on disk. */
  append(record: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.logFile} is closed`));
    return new Promise((done, fail) => {
      this.pending.push({ line: `${JSON.stringify(record)}\n`, done, fail });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Replaces snapshot and log with `records` (the owner's whole current state). Appends already
   * queued are flushed first, so nothing is lost; the rename makes the switch atomic.
   */
  compact(records: Iterable<T>): void {
    this.flush();
    const tmp = `${this.snapshotFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      let chunk = '';
      for (const record of records) {
        chunk += `${JSON.stringify(record)}\n`;
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      if (chunk) writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapshotFile);
    // Replaying the old log over the new snapshot would still give the same state, so a crash
    // between the rename and this truncation is harmless.
    this.rewriteLog([]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
    await Promise.resolve();
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    try {
      writeSync(this.fd, batch.map((entry) => entry.line).join(''));
      if (this.fsync) fsyncSync(this.fd);
    } catch (error) {
      for (const entry of batch) entry.fail(error as Error);
      return;
    }
    this.appendedSinceCompaction += batch.length;
    for (const entry of batch) entry.done();
  }

  private rewriteLog(records: T[]): void {
    closeSync(this.fd);
    const tmp = `${this.logFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      if (records.length > 0) writeSync(fd, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.logFile);
    this.fd = openSync(this.logFile, 'a');
    this.appendedSinceCompaction = records.length;
  }
}

function readRecords<T>(
  file: string,
  parse: (value: unknown) => T,
  tolerateTornTail: boolean,
): { records: T[]; partialLine?: string } {
  if (!existsSync(file)) return { records: [] };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // A file written only by whole-line appends ends with "\n", so the last element is empty unless
  // the process died mid-write.
  const tail = lines.pop() ?? '';
  const records: T[] = [];
  lines.forEach((line, index) => {
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new JournalCorruptError(file, index + 1, (error as Error).message);
    }
    try {
      records.push(parse(value));
    } catch (error) {
      throw new JournalCorruptError(file, index + 1, (error as Error).message);
    }
  });
  if (tail !== '') {
    if (!tolerateTornTail) throw new JournalCorruptError(file, lines.length + 1, 'snapshot ends mid-record');
    return { records, partialLine: tail };
  }
  return { records };
}

/**
 * Holds `<dir>/LOCK` for this process so two local-mode processes never write one data directory.
 * A lock left by a process that no longer exists is taken over.
 */
export function lockDirectory(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (holder === process.pid) throw new Error(`data directory ${dir} is already open in this process`);
      if (Number.isInteger(holder) && processExists(holder)) {
        throw new Error(`data directory ${dir} is in use by process ${holder}; stop it or choose another --data-dir`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock data directory ${dir}`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
