import { describe, expect, it } from 'vitest';
import { sinkerPolicy, SINKER_DEFAULTS } from '../../../shared/config/sinker';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('sinker policy', () => {
  it('has Prow’s defaults, terminated_pod_ttl following max_pod_age', () => {
    const policy = sinkerPolicy(expectLoaded(buildFromFiles({})));
    expect(policy).toMatchObject({ resyncPeriodMs: HOUR, maxProwJobAgeMs: 7 * DAY, maxPodAgeMs: DAY, terminatedPodTtlMs: DAY, excludeClusters: [], problems: [] });
    const tuned = sinkerPolicy(expectLoaded(buildFromFiles({ config: 'sinker:\n  max_pod_age: 6h\n' })));
    expect(tuned.terminatedPodTtlMs).toBe(6 * HOUR);
  });

  it('reads every sinker setting from config', () => {
    const policy = sinkerPolicy(
      expectLoaded(
        buildFromFiles({
          config: yaml(`
            sinker:
              resync_period: 30m
              max_prowjob_age: 48h
              max_pod_age: 12h
              terminated_pod_ttl: 2h
              exclude_clusters: [gpu]
          `),
        }),
      ),
    );
    expect(policy).toMatchObject({ resyncPeriodMs: HOUR / 2, maxProwJobAgeMs: 2 * DAY, maxPodAgeMs: 12 * HOUR, terminatedPodTtlMs: 2 * HOUR, excludeClusters: ['gpu'] });
  });

  it('replaces an unusable duration by its default and says what to fix', () => {
    const policy = sinkerPolicy(expectLoaded(buildFromFiles({ config: 'sinker:\n  max_prowjob_age: 7d\n  max_pod_age: 0s\n' })));
    expect(policy.maxProwJobAgeMs).toBe(SINKER_DEFAULTS.maxProwJobAgeMs);
    expect(policy.maxPodAgeMs).toBe(SINKER_DEFAULTS.maxPodAgeMs);
    expect(policy.problems).toEqual([
      expect.stringMatching(/^sinker\.max_pod_age: 0s must be a positive duration .*; using 24h0m0s$/),
      expect.stringMatching(/^sinker\.max_prowjob_age: invalid duration '7d'.*; using 168h0m0s$/),
    ]);
  });
});
