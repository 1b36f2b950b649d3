import { formatGoDuration } from '../shared/go/duration';

/** How long a lease lasts unless renewed: a dead runner's jobs wait at most this long for another runner. */
export const DEFAULT_LEASE_TTL_MS = 60_000;
/** Heartbeats per lease TTL by default: a lease survives two missed renewals (a slow store, a long GC pause). */
const HEARTBEATS_PER_TTL = 3;

export interface LeaseTiming {
  leaseTtlMs: number;
  /** How often every held lease is renewed; always shorter than the TTL. */
  heartbeatMs: number;
}

/** A lease TTL and heartbeat that cannot work together; the message says why, in Go durations. */
export class LeaseTimingError extends Error {
  override name = 'LeaseTimingError';
}

/** The runner's lease TTL and heartbeat: defaults filled in, and refused when a lease could expire between heartbeats. */
export function leaseTiming(settings: { leaseTtlMs?: number | undefined; heartbeatMs?: number | undefined }): LeaseTiming {
  const leaseTtlMs = settings.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isFinite(leaseTtlMs) || leaseTtlMs <= 0) {
    throw new LeaseTimingError(`the lease TTL must be longer than 0s, not ${formatGoDuration(leaseTtlMs)}`);
  }
  const heartbeatMs = settings.heartbeatMs ?? Math.max(1, Math.floor(leaseTtlMs / HEARTBEATS_PER_TTL));
  if (!Number.isFinite(heartbeatMs) || heartbeatMs <= 0) {
    throw new LeaseTimingError(`the heartbeat must be longer than 0s, not ${formatGoDuration(heartbeatMs)}`);
  }
  if (heartbeatMs >= leaseTtlMs) {
    throw new LeaseTimingError(
      `the heartbeat (${formatGoDuration(heartbeatMs)}) must be shorter than the lease TTL (${formatGoDuration(leaseTtlMs)}), or leases expire before they are renewed`,
    );
  }
  return { leaseTtlMs, heartbeatMs };
}
