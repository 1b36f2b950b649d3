import {
  close,
  closeSync,
  constants as fsConstants,
  existsSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
  writev,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A durable, append-only record log with snapshot compaction: the disk format behind local mode's
 * embedded store and bus. Everything lives in memory in the owner; the journal only makes it survive
 * a restart, so it needs no native addon and no query engine.
 *
 * Files in `dir`: `<name>.snapshot.jsonl` (the state at the last compaction) and `<name>.log.jsonl`
 * (every record appended since); while a compaction is under way, also `<name>.log.previous.jsonl`
 * (the log it replaces). Replaying snapshot, previous log, then log reproduces the state, provided
 * records are idempotent "put this whole value" / "delete this key" operations, which is what
 * owners write: replaying records a snapshot already holds changes nothing.
 *
 * A record is one line of JSON. A record with an attachment (bytes its owner keeps as they are,
 * such as a message body) is the line `@<byte count> <JSON>`, then the bytes, then a newline; so
 * the files are JSON lines only as long as no owner uses attachments, whatever their names say.
 * Files from before attachments existed hold JSON lines only and are read as they always were.
 *
 * Appends are group-committed: everything appended while one write-and-fsync is under way goes
 * into the next, so many concurrent writers cost one disk flush; `append` resolves only once its
 * record is durable. Writes and flushes run off the event loop (libuv's thread pool): a synchronous
 * fsync stalls every request in the process for its duration, which under load was a third of the
 * webhook server's time.
 */
export interface JournalOptions<T> {
  dir: string;
  name: string;
  /** Validates one decoded record and its attachment, if it has one; throw to reject it. */
  parse: (value: unknown, attachment: Buffer | undefined) => T;
  /** Make each group of appends durable before resolving it (default true). Tests of crash behaviour keep it on. */
  fsync?: boolean;
  /** Splits a record into its JSON and an attachment (default: all of it JSON, no attachment). */
  encode?: (record: T) => EncodedRecord;
}

/**
 * A record as written: JSON text, and optionally bytes written beside it as they are. Bytes inside
 * JSON would have to be base64 (a third larger on disk, and a long string to build, escape and
 * collect on every append); as an attachment they go to the disk straight from the owner's Buffer,
 * which must therefore not change once appended.
 */
export interface EncodedRecord {
  json: string;
  attachment?: Buffer;
}

export interface OpenedJournal<T> {
  journal: Journal<T>;
  /** Snapshot records, then the logs' records in the order they were written. */
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

/** How long a record from `appendEventually` may wait for another append's disk flush before it gets its own. */
export const EVENTUAL_SYNC_MS = 100;

/**
 * The records appended since the last write began: they go to disk together, in one writev, and
 * are durable (or fail) together, so every append into a batch gets the batch's one promise. A
 * promise and its resolving functions per record, waiting out a disk flush (or, for an eventual
 * record, up to EVENTUAL_SYNC_MS), lived long enough to be copied by the young-generation garbage
 * collector and then promoted; under load that was most of what the webhook server promoted.
 */
interface Batch {
  /**
   * Each record's line (for a record with an attachment, its header line, the attachment and a
   * newline), already Buffers: a string this long-lived would be copied by every young-generation
   * collection; a Buffer's bytes live off-heap.
   */
  buffers: Buffer[];
  records: number;
  /** Something came from `append`: the write starts as soon as it can, not on the eventual timer. */
  urgent: boolean;
  durable: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newBatch(): Batch {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const durable = new Promise<void>((onDurable, onFailed) => {
    resolve = onDurable;
    reject = onFailed;
  });
  // Handled here, so a batch whose appenders all chose not to wait (eventual records nobody
  // awaits) fails quietly; whoever awaits `durable` still sees the failure.
  durable.catch(() => undefined);
  return { buffers: [], records: 0, urgent: false, durable, resolve, reject };
}

interface JournalFiles {
  snapshot: string;
  log: string;
  previousLog: string;
}

export class Journal<T> {
  private fd: number;
  /** Appended, not yet being written. */
  private pending: Batch | undefined;
  private writeScheduled = false;
  /** Starts a write for `appendEventually` records that no other append's write took along in time. */
  private eventualTimer: NodeJS.Timeout | undefined;
  private eventualDue = false;
  /** A write and its fsync are under way; what is appended meanwhile waits and shares the next. */
  private writing = false;
  /** Disk operations under way, per descriptor. */
  private readonly fdUsers = new Map<number, number>();
  /** Descriptors of rotated logs, closed once nothing uses them (closing earlier could let the number be reused, and a write land in some other file). */
  private readonly retiredFds = new Set<number>();
  private compacting: Promise<void> | undefined;
  /** A previous log is on disk: a compaction failed after rotating, so the next one must not rotate again. */
  private previousLogExists = false;
  private onIdle: (() => void) | undefined;
  private closed = false;
  /** Records appended since the last compaction began: owners use it to decide when to compact. */
  appendedSinceCompaction: number;

  private constructor(
    private readonly dir: string,
    private readonly files: JournalFiles,
    private readonly fsync: boolean,
    private readonly encode: (record: T) => EncodedRecord,
    existingLogRecords: number,
  ) {
    this.fd = this.openLog();
    this.appendedSinceCompaction = existingLogRecords;
  }

  static open<T>(options: JournalOptions<T>): OpenedJournal<T> {
    mkdirSync(options.dir, { recursive: true });
    const files: JournalFiles = {
      snapshot: path.join(options.dir, `${options.name}.snapshot.jsonl`),
      log: path.join(options.dir, `${options.name}.log.jsonl`),
      previousLog: path.join(options.dir, `${options.name}.log.previous.jsonl`),
    };
    // A compaction that crashed before its rename leaves a temporary file: it was never the state.
    rmSync(`${files.snapshot}.tmp`, { force: true });
    const snapshot = readRecords(files.snapshot, options.parse, false);
    // A crash mid-compaction leaves the previous log; it may end mid-line like any log.
    const previous = readRecords(files.previousLog, options.parse, true);
    const log = readRecords(files.log, options.parse, true);
    const logRecords = [...previous.records, ...log.records];
    const encode = options.encode ?? ((record: T): EncodedRecord => ({ json: JSON.stringify(record) }));
    const journal = new Journal<T>(options.dir, files, options.fsync ?? true, encode, logRecords.length);
    if (existsSync(files.previousLog) || log.partialLine !== undefined) {
      // One whole log again. A crash before the previous log's removal replays its records twice,
      // which changes nothing.
      journal.rewriteLog(logRecords);
      rmSync(files.previousLog, { force: true });
    }
    const opened: OpenedJournal<T> = { journal, records: [...snapshot.records, ...logRecords] };
    const partialLine = log.partialLine ?? previous.partialLine;
    if (partialLine !== undefined) opened.droppedPartialLine = partialLine;
    return opened;
  }

  /** Resolves once the record is on disk. */
  append(record: T): Promise<void> {
    return this.enqueue(record, true);
  }

  /**
   * Like `append`, in the same order, but starts no disk flush of its own: the record is written
   * and fsynced with the next `append`'s, or within EVENTUAL_SYNC_MS. For records whose loss in a
   * crash does no harm (an acknowledgement that only spares a redelivery), so that they add no disk
   * flushes under load. The promise still tells when the record is durable, or that it failed.
   */
  appendEventually(record: T): Promise<void> {
    return this.enqueue(record, false);
  }

  /**
   * Replaces snapshot and log with `records`: the owner's whole current state, which already
   * reflects every record appended so far (owners change memory, then append).
   *
   * Only the part that must see one consistent state runs now: the log is renamed to the previous
   * log (records not yet written go to a fresh log; replaying them over the snapshot changes
   * nothing), and the snapshot is written to the page cache. Flushing it, switching it in and
   * deleting the previous log happen off the event loop; until the snapshot's rename, a crash
   * replays the old snapshot and both logs. One compaction at a time: a call while one is under
   * way returns that one.
   */
  compact(records: Iterable<T>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.files.log} is closed`));
    if (this.compacting) return this.compacting;
    this.appendedSinceCompaction = this.pending?.records ?? 0;
    const tmp = `${this.files.snapshot}.tmp`;
    let fd: number;
    try {
      if (!this.previousLogExists) this.rotateLog();
      fd = openSync(tmp, 'w');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    try {
      let chunk: Buffer[] = [];
      let size = 0;
      for (const record of records) {
        size += pushEncoded(chunk, this.encode(record));
        if (size > 1 << 20) {
          writeSync(fd, Buffer.concat(chunk));
          chunk = [];
          size = 0;
        }
      }
      if (size > 0) writeSync(fd, Buffer.concat(chunk));
    } catch (error) {
      closeSync(fd);
      return Promise.reject(error as Error);
    }
    const snapshotFd = fd;
    this.compacting = (async () => {
      try {
        await promisify(fdatasync)(snapshotFd);
      } finally {
        await promisify(close)(snapshotFd);
      }
      await rename(tmp, this.files.snapshot);
      // The rename must be on disk before the previous log is gone.
      await syncDirectory(this.dir);
      await rm(this.files.previousLog, { force: true });
      this.previousLogExists = false;
    })().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  /** Writes what is queued and resolves once all of it is durable; later appends are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.startWrite();
    await this.compacting?.catch(() => undefined);
    while (this.writing || this.fdUsers.size > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    clearTimeout(this.eventualTimer);
    closeSync(this.fd);
  }

  private enqueue(record: T, urgent: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.files.log} is closed`));
    const batch = (this.pending ??= newBatch());
    pushEncoded(batch.buffers, this.encode(record));
    batch.records += 1;
    if (urgent) batch.urgent = true;
    this.appendedSinceCompaction += 1;
    // While a write is under way, its end starts the next.
    if (!this.writing) this.scheduleWrite();
    return batch.durable;
  }

  /**
   * Starts the next write once the event loop has run everything already due: the appends of every
   * request that arrived in this turn then share it. Never a timer, so an idle journal's single
   * append is written at once.
   */
  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(this.startScheduledWrite);
  }

  private readonly startScheduledWrite = () => {
    this.writeScheduled = false;
    this.startWrite();
  };

  /**
   * Writes everything pending off the event loop (libuv's thread pool), durably: the log is open
   * with O_DSYNC, so one writev is a write and its fdatasync in a single trip to the thread pool.
   * The event loop never waits on the disk, which under load stalled every request in the process,
   * and each trip costs a thread hand-off, which on a busy machine waits for a CPU. One write at a
   * time, so the log stays in order; what is appended meanwhile waits and goes in the next.
   */
  private startWrite(): void {
    const batch = this.pending;
    if (this.writing || !batch) return;
    if (!this.closed && !this.eventualDue && !batch.urgent) {
      this.eventualTimer ??= setTimeout(() => {
        this.eventualTimer = undefined;
        this.eventualDue = true;
        this.startWrite();
      }, EVENTUAL_SYNC_MS);
      return;
    }
    if (this.eventualTimer) {
      clearTimeout(this.eventualTimer);
      this.eventualTimer = undefined;
    }
    this.eventualDue = false;
    this.pending = undefined;
    const fd = this.fd;
    this.writing = true;
    this.useFd(fd);
    const finish = (error: Error | null) => {
      this.writing = false;
      this.releaseFd(fd);
      if (error) batch.reject(error);
      else batch.resolve();
      // What was appended during this write goes next, together with whatever the requests this
      // completion lets go (and any others already due) append in this turn of the event loop.
      if (this.closed) this.startWrite();
      else if (this.pending) this.scheduleWrite();
      if (!this.writing && this.fdUsers.size === 0) this.onIdle?.();
    };
    writeFully(fd, batch.buffers, finish);
  }

  /**
   * The log, for appending. With fsync on, O_DSYNC: each write returns once its data and the file's
   * new length are on disk (what fdatasync gives), not its timestamps.
   */
  private openLog(): number {
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND;
    return openSync(this.files.log, this.fsync ? flags | fsConstants.O_DSYNC : flags, 0o666);
  }

  private useFd(fd: number): void {
    this.fdUsers.set(fd, (this.fdUsers.get(fd) ?? 0) + 1);
  }

  private releaseFd(fd: number): void {
    const left = (this.fdUsers.get(fd) ?? 1) - 1;
    if (left > 0) {
      this.fdUsers.set(fd, left);
      return;
    }
    this.fdUsers.delete(fd);
    if (this.retiredFds.delete(fd)) closeSync(fd);
  }

  /** The log becomes the previous log; what is written from now on goes to a fresh one. */
  private rotateLog(): void {
    renameSync(this.files.log, this.files.previousLog);
    this.previousLogExists = true;
    const rotated = this.fd;
    this.fd = this.openLog();
    // A write under way to the rotated log finishes there: its records precede the snapshot.
    if (this.fdUsers.has(rotated)) this.retiredFds.add(rotated);
    else closeSync(rotated);
  }

  /** At open only: replaces the log with `records`. */
  private rewriteLog(records: T[]): void {
    closeSync(this.fd);
    const tmp = `${this.files.log}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      const buffers: Buffer[] = [];
      for (const record of records) pushEncoded(buffers, this.encode(record));
      if (buffers.length > 0) writeSync(fd, Buffer.concat(buffers));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.files.log);
    this.fd = this.openLog();
  }
}

const NEWLINE = Buffer.from('\n');

/** Appends a record's bytes as written to disk; returns how many. */
function pushEncoded(buffers: Buffer[], { json, attachment }: EncodedRecord): number {
  if (!attachment) {
    const line = Buffer.from(`${json}\n`, 'utf8');
    buffers.push(line);
    return line.length;
  }
  const header = Buffer.from(`@${attachment.length} ${json}\n`, 'utf8');
  buffers.push(header, attachment, NEWLINE);
  return header.length + attachment.length + 1;
}

/**
 * writev, then whatever a short write left (file systems rarely write short, but may). One buffer
 * per record: joining the lines into one string first cost several times more, for records of
 * many kilobytes.
 */
function writeFully(fd: number, buffers: Buffer[], callback: (error: Error | null) => void): void {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  writev(fd, buffers, (error, written) => {
    if (error || written === total) {
      callback(error);
      return;
    }
    const rest = Buffer.concat(buffers).subarray(written);
    writeFully(fd, [rest], callback);
  });
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const AT_SIGN = 0x40;
const SPACE = 0x20;
const LINE_FEED = 0x0a;
const BYTE_COUNT = /^\d{1,15}$/;

/**
 * Reads a snapshot or log. Its records are JSON lines, some with an attachment after their line
 * (see the file format above). A log whose writer died mid-append ends with part of a record: with
 * `tolerateTornTail` that part is dropped and returned; a snapshot is renamed into place only once
 * whole, so there it means damage.
 */
function readRecords<T>(
  file: string,
  parse: (value: unknown, attachment: Buffer | undefined) => T,
  tolerateTornTail: boolean,
): { records: T[]; partialLine?: string } {
  if (!existsSync(file)) return { records: [] };
  const bytes = readFileSync(file);
  const records: T[] = [];
  let position = 0;
  let recordNumber = 0;
  const tornAt = (start: number) => {
    if (!tolerateTornTail) throw new JournalCorruptError(file, recordNumber, 'snapshot ends mid-record');
    return { records, partialLine: bytes.toString('utf8', start) };
  };
  while (position < bytes.length) {
    const start = position;
    const lineEnd = bytes.indexOf(LINE_FEED, start);
    recordNumber += 1;
    if (lineEnd === -1) return tornAt(start);
    let json: string;
    let attachment: Buffer | undefined;
    if (bytes[start] === AT_SIGN) {
      const space = bytes.indexOf(SPACE, start);
      const count = space === -1 || space > lineEnd ? '' : bytes.toString('latin1', start + 1, space);
      if (!BYTE_COUNT.test(count)) throw new JournalCorruptError(file, recordNumber, 'an attachment header without a byte count');
      const length = Number(count);
      const attachmentEnd = lineEnd + 1 + length;
      if (attachmentEnd >= bytes.length) return tornAt(start);
      if (bytes[attachmentEnd] !== LINE_FEED) throw new JournalCorruptError(file, recordNumber, 'an attachment of the wrong length');
      json = bytes.toString('utf8', space + 1, lineEnd);
      // A copy: a view would keep the whole file's bytes in memory for as long as the record lives.
      attachment = Buffer.from(bytes.subarray(lineEnd + 1, attachmentEnd));
      position = attachmentEnd + 1;
    } else {
      json = bytes.toString('utf8', start, lineEnd);
      position = lineEnd + 1;
    }
    if (json === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new JournalCorruptError(file, recordNumber, (error as Error).message);
    }
    try {
      records.push(parse(value, attachment));
    } catch (error) {
      throw new JournalCorruptError(file, recordNumber, (error as Error).message);
    }
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
