import { z } from 'zod';

/**
 * Runner presence, for the health page: each runner writes one small record about itself when it
 * starts, then every minute, and once more when it stops. Leases alone cannot show an idle runner
 * (it holds none) nor when a runner was last heard from (a lease keeps only its end).
 */
export const RunnerPresenceSchema = z.object({
  /** The build cluster the runner serves. */
  cluster: z.string().min(1),
  /** The identity the runner puts on its leases ("<cluster>/<pod>-<pid>"; "local" in local mode). */
  holder: z.string().min(1),
  /** The runner's release, when it knows it. */
  version: z.string().optional(),
  /** How many jobs it held at this beat. */
  jobsHeld: z.number().int().nonnegative(),
  /** ms since the epoch. */
  lastHeartbeatAt: z.number(),
  startedAt: z.number(),
  /** Set by the last beat of a runner that shut down cleanly. */
  stoppedAt: z.number().optional(),
});
export type RunnerPresence = z.infer<typeof RunnerPresenceSchema>;

/**
 * A runner not heard from for this long is forgotten (a Firestore TTL policy deletes its document;
 * the embedded store drops it): runners get a new identity on every restart, so dead ones would
 * otherwise pile up.
 */
export const RUNNER_PRESENCE_RETENTION_MS = 24 * 3_600_000;

/** At most this many runners are listed: far more than any deployment runs, a bound on one page read. */
export const RUNNER_LIST_LIMIT = 500;

export interface RunnerPresenceStore {
  /** Replaces the runner's record (one per cluster and holder). */
  beat(record: RunnerPresence): Promise<void>;
  /** Every runner heard from within RUNNER_PRESENCE_RETENTION_MS, by cluster then holder. */
  list(): Promise<RunnerPresence[]>;
}

/** The key of a runner's record: local mode runs one runner per cluster, all with the same holder. */
export function runnerKey(record: Pick<RunnerPresence, 'cluster' | 'holder'>): string {
  return JSON.stringify([record.cluster, record.holder]);
}

export function byClusterThenHolder(a: RunnerPresence, b: RunnerPresence): number {
  return a.cluster.localeCompare(b.cluster) || a.holder.localeCompare(b.holder);
}
