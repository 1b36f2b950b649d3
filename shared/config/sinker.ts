import { formatGoDuration, parseGoDurationValue } from '../go/duration';
import type { Config } from './model';

/**
 * Prow's `sinker` section read into the policy both halves of the sinker apply: the scheduler
 * deletes old ProwJobs (shared/scheduler/sinker.ts) and each runner removes its cluster's old pods
 * (runner/pod-cleanup.ts).
 */

const HOUR_MS = 3_600_000;

/** Prow's defaults (pkg/config: resync_period 1h, max_prowjob_age 7d, max_pod_age 1d). */
export const SINKER_DEFAULTS = {
  resyncPeriodMs: HOUR_MS,
  maxProwJobAgeMs: 7 * 24 * HOUR_MS,
  maxPodAgeMs: 24 * HOUR_MS,
} as const;

export interface SinkerPolicy {
  /** How often the pod cleanup looks at live pods (the runner's sweep paces itself by it). */
  resyncPeriodMs: number;
  maxProwJobAgeMs: number;
  maxPodAgeMs: number;
  /** Defaults to `maxPodAgeMs`, as in Prow. */
  terminatedPodTtlMs: number;
  excludeClusters: readonly string[];
  /**
   * Settings that were unusable and replaced by their defaults, each saying what to fix. Config
   * loading does not check the sinker section, so this is where a typo becomes visible.
   */
  problems: readonly string[];
}

type DurationSetting = string | number | undefined;

function durationSetting(key: string, value: DurationSetting, fallbackMs: number, problems: string[]): number {
  if (value === undefined) return fallbackMs;
  let ms: number;
  try {
    ms = parseGoDurationValue(value);
  } catch (error) {
    problems.push(`sinker.${key}: ${error instanceof Error ? error.message : String(error)}; using ${formatGoDuration(fallbackMs)}`);
    return fallbackMs;
  }
  // Prow would take 0 literally and delete everything finished at once; that is never what a
  // person meant, so a non-positive age is refused like any other mistake.
  if (!(ms > 0)) {
    problems.push(`sinker.${key}: ${String(value)} must be a positive duration such as 24h; using ${formatGoDuration(fallbackMs)}`);
    return fallbackMs;
  }
  return ms;
}

export function sinkerPolicy(config: Config): SinkerPolicy {
  const sinker = config.prow.sinker ?? {};
  const problems: string[] = [];
  const maxPodAgeMs = durationSetting('max_pod_age', sinker.max_pod_age, SINKER_DEFAULTS.maxPodAgeMs, problems);
  return {
    resyncPeriodMs: durationSetting('resync_period', sinker.resync_period, SINKER_DEFAULTS.resyncPeriodMs, problems),
    maxProwJobAgeMs: durationSetting('max_prowjob_age', sinker.max_prowjob_age, SINKER_DEFAULTS.maxProwJobAgeMs, problems),
    maxPodAgeMs,
    terminatedPodTtlMs: durationSetting('terminated_pod_ttl', sinker.terminated_pod_ttl, maxPodAgeMs, problems),
    excludeClusters: sinker.exclude_clusters ?? [],
    problems,
  };
}
