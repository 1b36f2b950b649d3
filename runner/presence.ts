import type { Logger } from '../shared/log/logger';
import type { RunnerPresence, RunnerPresenceStore } from '../shared/store/runners';

/**
 * How often a runner tells the store it is alive (shared/store/runners.ts), for the health page.
 * Each beat is one document write: 1,440 writes a day per runner, a few cents a month on
 * Firestore. The page warns after three minutes of silence, so a minute leaves room for two
 * missed beats.
 */
export const PRESENCE_INTERVAL_MS = 60_000;

/** A stopping runner waits at most this long to say so: shutting down matters more than the record. */
const STOP_BEAT_TIMEOUT_MS = 2_000;

export interface PresenceOptions {
  runners: RunnerPresenceStore;
  cluster: string;
  holder: string;
  version?: string;
  /** How many jobs the runner holds now. */
  jobsHeld: () => number;
  log: Logger;
  now: () => number;
  intervalMs?: number;
}

/**
 * Writes the runner's presence when it starts, every PRESENCE_INTERVAL_MS, and once on a clean
 * stop. A failed write is logged and otherwise ignored: the job loop never waits for, or fails
 * because of, this bookkeeping.
 */
export class RunnerPresenceBeacon {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  /** The beat in flight: beats never overlap, and a stop waits for the last one. */
  private writing: Promise<void> | undefined;

  constructor(private readonly options: PresenceOptions) {}

  start(): void {
    this.startedAt = this.options.now();
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs ?? PRESENCE_INTERVAL_MS);
    // A beat alone never keeps the process alive.
    this.timer.unref();
  }

  /** Marks the runner stopped; resolves within STOP_BEAT_TIMEOUT_MS whatever the store does. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.startedAt === 0) return;
    await this.writing;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      this.write(this.options.now()),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, STOP_BEAT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timeout);
  }

  /** Stops beating without a word, as a crashed runner would. */
  silence(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Skipped while the previous beat is still being written: a slow store gets one write at a time. */
  private beat(): Promise<void> {
    if (this.writing) return this.writing;
    const writing = this.write(undefined).finally(() => {
      if (this.writing === writing) this.writing = undefined;
    });
    this.writing = writing;
    return writing;
  }

  private async write(stoppedAt: number | undefined): Promise<void> {
    const { runners, cluster, holder, version, jobsHeld, log, now } = this.options;
    const record: RunnerPresence = {
      cluster,
      holder,
      ...(version ? { version } : {}),
      jobsHeld: stoppedAt === undefined ? jobsHeld() : 0,
      lastHeartbeatAt: now(),
      startedAt: this.startedAt,
      ...(stoppedAt === undefined ? {} : { stoppedAt }),
    };
    try {
      await runners.beat(record);
    } catch (error) {
      log.warn('could not record this runner’s presence for the health page; jobs are unaffected', {
        cluster,
        holder,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
