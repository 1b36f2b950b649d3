import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TTL_MS, leaseNeedsRenewal, leaseTiming, LeaseTimingError } from '../../runner/lease-timing';

/** The runner's lease TTL and heartbeat: defaults, and the combinations refused. */
describe('lease timing', () => {
  it('defaults to a one-minute lease and a heartbeat of a sixth of the TTL', () => {
    expect(leaseTiming({})).toEqual({ leaseTtlMs: DEFAULT_LEASE_TTL_MS, heartbeatMs: 10_000 });
    expect(leaseTiming({ leaseTtlMs: 1_500 })).toEqual({ leaseTtlMs: 1_500, heartbeatMs: 250 });
    expect(leaseTiming({ leaseTtlMs: 1_500, heartbeatMs: 250 })).toEqual({ leaseTtlMs: 1_500, heartbeatMs: 250 });
  });

  it('refuses a heartbeat as long as the lease or longer, saying so in Go durations', () => {
    expect(() => leaseTiming({ heartbeatMs: 60_000 })).toThrow(
      new LeaseTimingError('the heartbeat (1m0s) must be shorter than the lease TTL (1m0s), or leases expire before they are renewed'),
    );
    expect(() => leaseTiming({ leaseTtlMs: 10_000, heartbeatMs: 15_000 })).toThrow(LeaseTimingError);
  });

  it('refuses durations that are not positive', () => {
    expect(() => leaseTiming({ leaseTtlMs: 0 })).toThrow('the lease TTL must be longer than 0s, not 0s');
    expect(() => leaseTiming({ leaseTtlMs: -5_000 })).toThrow('the lease TTL must be longer than 0s, not -5s');
    expect(() => leaseTiming({ heartbeatMs: 0 })).toThrow('the heartbeat must be longer than 0s, not 0s');
  });
});

describe('leaseNeedsRenewal', () => {
  const timing = leaseTiming({});

  it('renews once half the lease is left, so a lease is written about twice per TTL', () => {
    const expiresAt = 1_000_000 + DEFAULT_LEASE_TTL_MS;
    const beats = [10_000, 20_000, 30_000, 40_000].map((after) => leaseNeedsRenewal(expiresAt, 1_000_000 + after, timing));
    expect(beats).toEqual([false, false, true, true]);
  });

  it('survives two failed renewals before the lease would lapse', () => {
    const expiresAt = 1_000_000 + DEFAULT_LEASE_TTL_MS;
    const firstTry = [10_000, 20_000, 30_000].find((after) => leaseNeedsRenewal(expiresAt, 1_000_000 + after, timing)) ?? Infinity;
    // The try that needs it and the two heartbeats after it all fall before the lease ends.
    expect(firstTry + 2 * timing.heartbeatMs).toBeLessThan(DEFAULT_LEASE_TTL_MS);
  });

  it('renews when the next heartbeat could come too late, whatever the TTL', () => {
    const tight = leaseTiming({ leaseTtlMs: 10_000, heartbeatMs: 4_000 });
    expect(leaseNeedsRenewal(1_000 + 7_000, 1_000, tight)).toBe(true);
    expect(leaseNeedsRenewal(1_000 + 9_000, 1_000, tight)).toBe(false);
  });
});
