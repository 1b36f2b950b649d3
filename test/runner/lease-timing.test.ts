import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TTL_MS, leaseTiming, LeaseTimingError } from '../../runner/lease-timing';

/** The runner's lease TTL and heartbeat: defaults, and the combinations refused. */
describe('lease timing', () => {
  it('defaults to a one-minute lease and a heartbeat of a third of the TTL', () => {
    expect(leaseTiming({})).toEqual({ leaseTtlMs: DEFAULT_LEASE_TTL_MS, heartbeatMs: 20_000 });
    expect(leaseTiming({ leaseTtlMs: 1_500 })).toEqual({ leaseTtlMs: 1_500, heartbeatMs: 500 });
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
