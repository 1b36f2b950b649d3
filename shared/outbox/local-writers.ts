import type { Logger } from '../log/logger';
import type { OutboxStore } from '../store/outbox';
import type { WriterNudge } from './nudge';
import { wakeWriters } from './sweep';
import type { DrainReport, OutboxWriter } from './writer';

/**
 * Local mode's writers: in-process, one drain per installation at a time and installations in
 * parallel. `kick` drains an installation now (the plugin facade's nudge); a timer every few
 * seconds wakes the installations whose retries or blocks have come due. The writer lease still
 * applies, so a second process on the same store (`cutwater local` on the emulators twice) never
 * sends at the same time.
 */
export interface LocalWritersOptions {
  writer: OutboxWriter;
  outbox: OutboxStore;
  log: Logger;
  /** How often to look for writes that came due. Default 5 s. */
  sweepMs?: number;
  /** How long one drain may keep waiting for the pace or GitHub before it yields. Default 10 min. */
  drainMs?: number;
}

export interface LocalWriters {
  /** Drains the installation now, or has the running drain look again before it ends. */
  kick: WriterNudge;
  /** Stops the timer and the drains; what they had taken goes back to the outbox. */
  stop(): Promise<void>;
}

export function startLocalWriters(options: LocalWritersOptions): LocalWriters {
  const { writer, outbox, log } = options;
  const drainMs = options.drainMs ?? 600_000;
  const stopping = new AbortController();
  const running = new Set<Promise<DrainReport | undefined>>();

  const kick: WriterNudge = (installation) => {
    if (stopping.signal.aborted) return;
    const drain = writer
      .drain(installation, { deadline: Date.now() + drainMs, signal: stopping.signal })
      .catch((error: unknown) => {
        // The writes stay in the outbox; the next sweep wakes a writer for them again.
        log.error('outbox writer failed; its writes stay queued', { installation, error: (error as Error).message });
        return undefined;
      })
      .finally(() => running.delete(drain));
    running.add(drain);
  };

  let sweeping = false;
  const sweep = () => {
    if (sweeping || stopping.signal.aborted) return;
    sweeping = true;
    wakeWriters(outbox, kick, writer.warnings)
      .catch((error: unknown) => log.error('outbox sweep failed; the next one tries again', { error: (error as Error).message }))
      .finally(() => {
        sweeping = false;
      });
  };
  const timer = setInterval(sweep, options.sweepMs ?? 5_000);
  timer.unref();
  sweep();

  return {
    kick,
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
