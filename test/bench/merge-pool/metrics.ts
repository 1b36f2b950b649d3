import { HOUR_MS } from './stream';

/**
 * What the merge-pool simulator reports, computed from what happened: when each PR became ready
 * and merged (or was withdrawn), what each job-run cost, and how many PRs waited hour by hour.
 * Kept apart from the world so the arithmetic can be checked on a hand-made history.
 */

export interface PullOutcome {
  number: number;
  bad: boolean;
  readyAt: number;
  mergedAt?: number;
  withdrawnAt?: number;
}

export interface JobCost {
  createdAt: number;
  /** 1 for a job-run that ran to its end; the fraction of D it ran if aborted. */
  cost: number;
  /** The pool's own runs, or an author's (rebase, `/retest`). */
  origin: 'pool' | 'author';
}

export interface BacklogSample {
  at: number;
  /** PRs ready and neither merged nor withdrawn. */
  waiting: number;
}

/** The criterion a policy must meet at an arrival rate for that rate to be within its capacity. */
export const KEEP_UP = {
  /** p90 ready→merged must not exceed this. */
  p90Hours: 12,
  /**
   * The backlog may grow, last quarter over first, by less than this share of the window's
   * arrivals or `growthFloor` PRs, whichever is more (a quiet pool's backlog of a few PRs moves by
   * more than 2% of its arrivals by chance).
   */
  growthShare: 0.02,
  growthFloor: 5,
  /** ... and never exceed λ × capHours + capFloor PRs. */
  capHours: 24,
  capFloor: 50,
} as const;

export function backlogCap(arrivalsPerHour: number): number {
  return arrivalsPerHour * KEEP_UP.capHours + KEEP_UP.capFloor;
}

export const BOUNDED_DEFINITION =
  `bounded: the backlog (PRs ready and neither merged nor withdrawn, sampled hourly) averaged over the last quarter ` +
  `of the measured days exceeds its average over the first quarter by less than ${KEEP_UP.growthShare * 100}% of the PRs ` +
  `that became ready in those days or ${KEEP_UP.growthFloor} PRs, whichever is more, and never exceeds λ × ${KEEP_UP.capHours} h + ${KEEP_UP.capFloor} PRs`;

export const LATENCY_DEFINITION =
  'ready→merged: over the good PRs that became ready in the measured days (bad ones never should merge), from ready to ' +
  'merged, the run continuing (arrivals too) until they have all merged or the drain days are over; one that never ' +
  'merged counts as infinitely late';

/** Raw sums over one or more runs: what the figures are computed from, and what adds across seeds. */
export interface Tally {
  seeds: number;
  hours: number;
  jobs: number;
  /** PRs that became ready in the measured window, and how many of them were bad. */
  ready: number;
  badReady: number;
  withdrawn: number;
  /** Bad PRs (ready in the window) that merged anyway: a policy should never. */
  badMerged: number;
  /** Good PRs ready in the window that had not merged when the run ended. */
  unmerged: number;
  /** ready→merged of the good PRs ready in the window, hours, ascending; Infinity for unmerged ones. */
  latencies: number[];
  /** Merges (of any PR) in the window. */
  merged: number;
  /** Job-runs started in the window (aborted ones as fractions), all, the pool's, authors'. */
  jobRuns: number;
  poolJobRuns: number;
  authorJobRuns: number;
  /** Runs (seeds) whose backlog stayed bounded. */
  boundedSeeds: number;
  backlogMax: number;
  /** Last-quarter mean backlog minus first-quarter mean, summed over seeds. */
  backlogGrowth: number;
}

export interface MeasureInput {
  pulls: Iterable<PullOutcome>;
  jobRuns: Iterable<JobCost>;
  backlog: readonly BacklogSample[];
  jobs: number;
  /** The measured window, ms since the start. */
  from: number;
  to: number;
  arrivalsPerHour: number;
}

export function tally(input: MeasureInput): Tally {
  const within = (at: number | undefined): boolean => at !== undefined && at >= input.from && at < input.to;
  const result: Tally = {
    seeds: 1,
    hours: (input.to - input.from) / HOUR_MS,
    jobs: input.jobs,
    ready: 0,
    badReady: 0,
    withdrawn: 0,
    badMerged: 0,
    unmerged: 0,
    latencies: [],
    merged: 0,
    jobRuns: 0,
    poolJobRuns: 0,
    authorJobRuns: 0,
    boundedSeeds: 0,
    backlogMax: 0,
    backlogGrowth: 0,
  };
  for (const pull of input.pulls) {
    if (within(pull.mergedAt)) result.merged++;
    if (!within(pull.readyAt)) continue;
    result.ready++;
    if (pull.withdrawnAt !== undefined) result.withdrawn++;
    if (pull.bad) {
      result.badReady++;
      if (pull.mergedAt !== undefined) result.badMerged++;
      continue;
    }
    if (pull.mergedAt === undefined) {
      result.unmerged++;
      result.latencies.push(Infinity);
    } else {
      result.latencies.push((pull.mergedAt - pull.readyAt) / HOUR_MS);
    }
  }
  result.latencies.sort((a, b) => a - b);
  for (const job of input.jobRuns) {
    if (!within(job.createdAt)) continue;
    result.jobRuns += job.cost;
    if (job.origin === 'pool') result.poolJobRuns += job.cost;
    else result.authorJobRuns += job.cost;
  }
  const samples = input.backlog.filter((sample) => within(sample.at));
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (part: readonly BacklogSample[]): number => part.reduce((sum, sample) => sum + sample.waiting, 0) / Math.max(1, part.length);
  result.backlogGrowth = mean(samples.slice(-quarter)) - mean(samples.slice(0, quarter));
  result.backlogMax = Math.max(0, ...input.backlog.map((sample) => sample.waiting));
  const allowedGrowth = Math.max(KEEP_UP.growthShare * result.ready, KEEP_UP.growthFloor);
  const bounded = result.backlogGrowth < allowedGrowth && result.backlogMax <= backlogCap(input.arrivalsPerHour);
  result.boundedSeeds = bounded ? 1 : 0;
  return result;
}

/** Several runs (seeds) as one: sums, and the latencies of all. */
export function addTallies(tallies: readonly Tally[]): Tally {
  const sum = (pick: (each: Tally) => number): number => tallies.reduce((total, each) => total + pick(each), 0);
  return {
    seeds: sum((t) => t.seeds),
    hours: sum((t) => t.hours),
    jobs: tallies[0]?.jobs ?? 0,
    ready: sum((t) => t.ready),
    badReady: sum((t) => t.badReady),
    withdrawn: sum((t) => t.withdrawn),
    badMerged: sum((t) => t.badMerged),
    unmerged: sum((t) => t.unmerged),
    latencies: tallies.flatMap((t) => t.latencies).sort((a, b) => a - b),
    merged: sum((t) => t.merged),
    jobRuns: sum((t) => t.jobRuns),
    poolJobRuns: sum((t) => t.poolJobRuns),
    authorJobRuns: sum((t) => t.authorJobRuns),
    boundedSeeds: sum((t) => t.boundedSeeds),
    backlogMax: Math.max(0, ...tallies.map((t) => t.backlogMax)),
    backlogGrowth: sum((t) => t.backlogGrowth),
  };
}

export interface Figures {
  p50Hours: number;
  p90Hours: number;
  mergedPerHour: number;
  /** Job-runs / J per merged PR: CI runs per merged PR, all of them, then the pool's and authors'. */
  ciRunsPerMerged: number;
  poolRunsPerMerged: number;
  authorRunsPerMerged: number;
}

export function figures(tally: Tally): Figures {
  const perMerged = (jobRuns: number): number => (tally.merged === 0 ? Infinity : jobRuns / tally.jobs / tally.merged);
  return {
    p50Hours: percentile(tally.latencies, 0.5),
    p90Hours: percentile(tally.latencies, 0.9),
    mergedPerHour: tally.hours === 0 ? 0 : tally.merged / tally.hours,
    ciRunsPerMerged: perMerged(tally.jobRuns),
    poolRunsPerMerged: perMerged(tally.poolJobRuns),
    authorRunsPerMerged: perMerged(tally.authorJobRuns),
  };
}

/** Nearest rank: the smallest value with at least `q` of the values at or below it; NaN when empty. */
export function percentile(ascending: readonly number[], q: number): number {
  if (ascending.length === 0) return NaN;
  return ascending[Math.max(0, Math.ceil(q * ascending.length) - 1)]!;
}

/** Whether one run (one seed) kept up: bounded, and p90 ready→merged within the limit. */
export function keptUp(tally: Tally): boolean {
  return tally.boundedSeeds === tally.seeds && figures(tally).p90Hours <= KEEP_UP.p90Hours;
}

/**
 * How many good PRs of the window may take longer than the p90 limit before p90 is over it for
 * sure, whatever happens next: with n PRs, p90 is the ⌈0.9 n⌉-th smallest latency.
 */
export function lateAllowance(goodReady: number): number {
  return goodReady - Math.ceil(0.9 * goodReady);
}
