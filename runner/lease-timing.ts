import { formatGoDuration } from '../shared/go/duration';

/** How long a lease lasts unless renewed: a dead runner's jobs wait at most this long for another runner. */
export const DEFAULT_LEASE_TTL_MS = 60_000;
/**
 * Heartbeats per lease TTL by default. A heartbeat renews a lease only once half of it is left
 * (leaseNeedsRenewal), so a lease is written about twice per TTL, not at every heartbeat, and
 * still survives two failed renewals (a slow store, a long GC pause) before it would lapse.
 */
const HEARTBEATS_PER_TTL = 6;

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

/**
 * Whether a heartbeat must renew a lease ending at `expiresAt`: once no more than half the TTL is
 * left, or when the next heartbeat could come too late. Every renewal is a store write, the bulk
 * of a long job's cost; renewing earlier would buy nothing.
 */
export function leaseNeedsRenewal(expiresAt: number, now: number, timing: LeaseTiming): boolean {
  const left = expiresAt - now;
  return left <= timing.leaseTtlMs / 2 || left <= 2 * timing.heartbeatMs;
}
