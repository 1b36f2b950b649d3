import type { OutboxStore } from '../store/outbox';
import type { WriterNudge } from './nudge';
import type { StaleWriteWarnings } from './writer';

/**
 * Wakes a writer for every installation with writes a writer could send now and nobody sending
 * them: retries whose time has come, blocks that have passed, writes left by a writer that
 * stopped, nudges that were lost. The periodic half of waking writers (local mode's timer, the
 * cloud scheduler's tick); enqueuers nudge for the rest. With `warnings`, also raises the WARNING
 * for installations whose oldest write has waited over a minute, including those whose writer is
 * waiting out a rate-limit block and so sends nothing the writer itself would notice.
 */
export async function wakeWriters(outbox: OutboxStore, nudge: WriterNudge, warnings?: StaleWriteWarnings): Promise<string[]> {
  const [installations, stats] = await Promise.all([outbox.installationsNeedingWriter(), warnings ? outbox.stats() : Promise.resolve([])]);
  for (const installation of installations) nudge(installation);
  for (const stat of stats) {
    warnings?.consider(stat.installation, stat.oldestEnqueuedAt, {
      depth: stat.depth,
      ...(stat.blockedUntil === undefined ? {} : { blockedUntil: stat.blockedUntil }),
    });
  }
  return installations;
}
