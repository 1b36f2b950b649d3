import { z } from 'zod';

/**
 * The scheduler's last tick, for the health page: when it ran, a few numbers of what it did, and
 * which of its parts failed. One small record, overwritten by every tick (one write a tick): the
 * page only asks "is the scheduler being called, and is it doing its work".
 */
export const TickFailureSchema = z.object({ part: z.string(), error: z.string() });

export const LastTickSchema = z.object({
  /** ms since the epoch: when the tick started and when its parts had all finished. */
  startedAt: z.number(),
  finishedAt: z.number(),
  /** Per part, a count or a word ("off"; "failed"), as the tick's log line gives it. */
  summary: z.record(z.string(), z.union([z.number(), z.string()])),
  failed: z.array(TickFailureSchema),
});
export type LastTick = z.infer<typeof LastTickSchema>;

export interface SchedulerTickStore {
  /** The last tick recorded; undefined before the first. */
  last(): Promise<LastTick | undefined>;
  /** Replaces the record. Overlapping ticks may each write: the later write wins, which is still a recent tick. */
  record(tick: LastTick): Promise<void>;
}
