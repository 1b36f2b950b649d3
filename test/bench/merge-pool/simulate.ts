import type { PoolDecision, PoolSettings } from '../../../shared/tide/model';
import type { PoolPolicy } from '../../../shared/tide/policy';
import { backlogCap, KEEP_UP, lateAllowance, tally, type BacklogSample, type JobCost, type Tally } from './metrics';
import { DAY_MS, HOUR_MS, MINUTE_MS, readyStream } from './stream';
import { SimWorld, type WorldCounts, type WorldParams } from './world';

/**
 * One simulated month of a merge pool: the world (./world.ts) advanced sync by sync, each sync
 * handing the policy the pool state and doing what it decides.
 */

/** A policy under test: the pool-decision function the scheduler's sync calls, and its settings. */
export interface PolicyEntry {
  name: string;
  policy: PoolPolicy;
  /** Merged over the scenario's (`batchSizeLimit` from L, no priorities, `policy: 'tide'`). */
  settings?: Partial<PoolSettings>;
}

/** Everything a run depends on besides the policy and the seed (issue 24's parameters). */
export interface Scenario extends WorldParams {
  /** λ: PRs becoming ready per hour. */
  arrivalsPerHour: number;
  /** b: the fraction of PRs that break the build. */
  badFraction: number;
  /** S: minutes between syncs. */
  syncMinutes: number;
  /** L: Prow's `batch_size_limit`. */
  batchSizeLimit: number;
  warmupDays: number;
  /** The measured window. */
  days: number;
  /** After the window, how long the run may go on (arrivals too) for the window's PRs to merge. */
  drainDays: number;
}

export const ISSUE_24_DEFAULTS: Scenario = {
  arrivalsPerHour: 4,
  badFraction: 0.05,
  flakeRate: 0.1,
  runMinutes: 60,
  runSpread: 0.15,
  jobs: 5,
  batchSizeLimit: 15,
  syncMinutes: 2,
  conflictRate: 0.02,
  rebaseMinutes: 60,
  retestMinutes: 30,
  warmupDays: 2,
  days: 30,
  drainDays: 2,
  runRetentionHours: 7 * 24,
  mergeMemoryHours: 24,
};

export interface SimulationOptions {
  /**
   * When to stop a run that cannot keep up (metrics.ts KEEP_UP), rather than simulate a pool whose
   * backlog only grows: `over cap` once its backlog goes over the cap (its latencies would only
   * say how long the run was); `behind` also as soon as so many of the window's PRs have waited
   * past the p90 limit that p90 is over it whatever happens (the capacity search needs only the
   * yes or no). By default a run goes to its end.
   */
  stopWhen?: 'over cap' | 'behind';
  /**
   * Call the policy at every sync. By default a sync that would see exactly what the last one saw
   * (nothing arrived, finished, merged or changed) after a decision that only waited is skipped:
   * the policy is a pure function of the state, and would wait again.
   */
  everySync?: boolean;
}

export interface SimulationResult {
  policy: string;
  seed: number;
  arrivalsPerHour: number;
  tally: Tally;
  /** Why the run stopped before its end, if it did (it then did not keep up). */
  stoppedBehind?: string;
  syncs: number;
  policyCalls: number;
  counts: WorldCounts;
  /** The world, for tests that look closer. */
  world: SimWorld;
  backlog: BacklogSample[];
}

export function simulate(entry: PolicyEntry, scenario: Scenario, seed: number, options: SimulationOptions = {}): SimulationResult {
  const from = scenario.warmupDays * DAY_MS;
  const to = from + scenario.days * DAY_MS;
  const end = to + scenario.drainDays * DAY_MS;
  const stream = readyStream({ arrivalsPerHour: scenario.arrivalsPerHour, badFraction: scenario.badFraction, seed, untilMs: end });
  const world = new SimWorld(scenario, stream, seed);
  const settings: PoolSettings = { batchSizeLimit: scenario.batchSizeLimit, priority: [], policy: 'tide', ...entry.settings };
  const goodInWindow = stream.filter((ready) => !ready.bad && ready.readyAt >= from && ready.readyAt < to).length;
  const allowedLate = lateAllowance(goodInWindow);
  const cap = backlogCap(scenario.arrivalsPerHour);
  const syncMs = scenario.syncMinutes * MINUTE_MS;
  const limitMs = KEEP_UP.p90Hours * HOUR_MS;

  const backlog: BacklogSample[] = [];
  let nextSample = 0;
  let lateMerged = 0;
  let mergesSeen = 0;
  let syncs = 0;
  let policyCalls = 0;
  let seenVersion = -1;
  let lastWaited = false;
  let stoppedBehind: string | undefined;
  let stoppedAt = end;

  for (let now = 0; now <= end; now += syncMs) {
    world.advanceTo(now);
    if (now >= nextSample) {
      nextSample += HOUR_MS;
      backlog.push({ at: now, waiting: world.waitingCount });
      if (now >= to && !waitingGoodFrom(world, from, to)) break;
      if (options.stopWhen && world.waitingCount > cap) stoppedBehind = `backlog ${world.waitingCount} > cap ${cap} on day ${(now / DAY_MS).toFixed(1)}`;
      if (options.stopWhen === 'behind' && !stoppedBehind) {
        for (; mergesSeen < world.mergeLog.length; mergesSeen++) {
          const pull = world.mergeLog[mergesSeen]!;
          if (!pull.bad && pull.readyAt >= from && pull.readyAt < to && pull.mergedAt! - pull.readyAt > limitMs) lateMerged++;
        }
        if (lateMerged + waitingLate(world, from, to, now - limitMs) > allowedLate) stoppedBehind = `p90 over ${KEEP_UP.p90Hours} h by day ${(now / DAY_MS).toFixed(1)}`;
      }
      if (stoppedBehind) {
        stoppedAt = now;
        break;
      }
    }
    syncs++;
    if (!options.everySync && lastWaited && world.version === seenVersion) continue;
    const state = world.poolState(settings);
    let decision: PoolDecision;
    try {
      decision = entry.policy(state);
    } catch (error) {
      throw new Error(`policy ${entry.name} failed at ${(now / HOUR_MS).toFixed(2)} h (seed ${seed}, λ ${scenario.arrivalsPerHour}/h)`, { cause: error });
    }
    policyCalls++;
    world.act(decision.actions);
    lastWaited = decision.actions.every((action) => action.kind === 'wait' || action.kind === 'blocked');
    seenVersion = world.version;
  }

  const jobRuns: JobCost[] = world.ledger.map((job) => ({
    createdAt: job.run.createdAt,
    cost: job.cost,
    origin: job.origin === 'author' ? 'author' : 'pool',
  }));
  // A run stopped early is measured up to where it stopped.
  const measuredTo = Math.max(from, Math.min(to, stoppedAt));
  const measured = tally({ pulls: world.pulls.values(), jobRuns, backlog, jobs: scenario.jobs, from, to: measuredTo, arrivalsPerHour: scenario.arrivalsPerHour });
  if (stoppedBehind) measured.boundedSeeds = 0;
  return {
    policy: entry.name,
    seed,
    arrivalsPerHour: scenario.arrivalsPerHour,
    tally: measured,
    ...(stoppedBehind ? { stoppedBehind } : {}),
    syncs,
    policyCalls,
    counts: world.counts,
    world,
    backlog,
  };
}

/** Whether a good PR that became ready in the window is still waiting. */
function waitingGoodFrom(world: SimWorld, from: number, to: number): boolean {
  for (const pull of world.waitingPulls()) {
    if (pull.readyAt >= to) return false; // oldest first: the rest came later
    if (!pull.bad && pull.readyAt >= from) return true;
  }
  return false;
}

/** Good PRs of the window still waiting that became ready before `before` (so are already late). */
function waitingLate(world: SimWorld, from: number, to: number, before: number): number {
  let late = 0;
  for (const pull of world.waitingPulls()) {
    if (pull.readyAt >= before || pull.readyAt >= to) break;
    if (!pull.bad && pull.readyAt >= from) late++;
  }
  return late;
}
