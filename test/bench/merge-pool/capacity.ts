import { figures, keptUp, type Tally } from './metrics';
import { simulate, type PolicyEntry, type Scenario } from './simulate';

/**
 * Capacity: the largest arrival rate λ a policy keeps up with (metrics.ts KEEP_UP), found on a
 * grid of rates by doubling then bisection, taking "keeps up" to be monotonic in λ.
 */

export interface SeedRun {
  seed: number;
  keptUp: boolean;
  tally: Tally;
  /** Why it did not keep up ('ok' when it did). */
  why: string;
}

export interface RateTrial {
  arrivalsPerHour: number;
  /** Whether a majority of the seeds kept up. */
  keptUp: boolean;
  /** The seeds run, in order: only until the majority was decided. */
  runs: SeedRun[];
}

/** Runs the seeds in turn until a majority has kept up, or a majority has not. */
export function trialAt(entry: PolicyEntry, scenario: Scenario, arrivalsPerHour: number, seeds: readonly number[]): RateTrial {
  const majority = Math.floor(seeds.length / 2) + 1;
  const runs: SeedRun[] = [];
  for (const seed of seeds) {
    const result = simulate(entry, { ...scenario, arrivalsPerHour }, seed, { stopWhen: 'behind' });
    const kept = !result.stoppedBehind && keptUp(result.tally);
    runs.push({ seed, keptUp: kept, tally: result.tally, why: kept ? 'ok' : (result.stoppedBehind ?? whyBehind(result.tally)) });
    const passed = runs.filter((run) => run.keptUp).length;
    if (passed >= majority || runs.length - passed >= majority) break;
  }
  return { arrivalsPerHour, keptUp: runs.filter((run) => run.keptUp).length >= majority, runs };
}

function whyBehind(tally: Tally): string {
  if (tally.boundedSeeds < tally.seeds) return `backlog grew by ${tally.backlogGrowth.toFixed(1)} PRs`;
  return `p90 ${figures(tally).p90Hours.toFixed(1)} h`;
}

export interface RateGrid {
  min: number;
  max: number;
  step: number;
}

export const CAPACITY_GRID: RateGrid = { min: 0.5, max: 30, step: 0.25 };

export interface CapacityResult {
  /** The trial at the largest rate that kept up; absent when even the grid's smallest did not. */
  capacity?: RateTrial;
  /** The grid's largest rate kept up: the capacity is that or more. */
  atGridMax: boolean;
  trials: RateTrial[];
}

/**
 * Doubles the rate from the grid's smallest until a rate falls behind (cheaper than starting at
 * the top: a rate far beyond a policy's capacity fills the pool with hundreds of PRs before it is
 * stopped), then bisects between the last rate that kept up and the first that did not.
 */
export function searchCapacity(trial: (arrivalsPerHour: number) => RateTrial, grid: RateGrid = CAPACITY_GRID): CapacityResult {
  const rate = (index: number): number => Math.round((grid.min + index * grid.step) * 1e6) / 1e6;
  const top = Math.floor((grid.max - grid.min) / grid.step + 1e-9);
  const trials: RateTrial[] = [];
  const run = (index: number): RateTrial => {
    const result = trial(rate(index));
    trials.push(result);
    return result;
  };
  let low = 0;
  let lowTrial = run(low);
  if (!lowTrial.keptUp) return { atGridMax: false, trials };
  let high = -1;
  const probe = (index: number): void => {
    const result = run(index);
    if (result.keptUp) {
      low = index;
      lowTrial = result;
    } else {
      high = index;
    }
  };
  while (high < 0) {
    const next = Math.min(top, Math.round((rate(low) * 2 - grid.min) / grid.step));
    if (next <= low) return { capacity: lowTrial, atGridMax: true, trials };
    probe(next);
  }
  while (high - low > 1) probe(Math.floor((low + high) / 2));
  return { capacity: lowTrial, atGridMax: false, trials };
}
