import { z } from 'zod';
import { CAPACITY_GRID, searchCapacity, trialAt, type CapacityResult } from './merge-pool/capacity';
import { addTallies, BOUNDED_DEFINITION, figures, KEEP_UP, LATENCY_DEFINITION, type Tally } from './merge-pool/metrics';
import { ISSUE_24_DEFAULTS, simulate, type PolicyEntry, type Scenario } from './merge-pool/simulate';
import type { WorldCounts } from './merge-pool/world';
import { decidePool } from '../../shared/tide/policy';

/**
 * Issue 24's merge-pool simulator (`npm run bench -- merge-pool`): each policy below drives a
 * simulated GitHub and CI (test/bench/merge-pool/) for a month of simulated time, on the same
 * seeded stream of PRs, and the bench reports its capacity, its latency at λ = 4/h, its latency
 * where Tide is at its best (b = 0, λ = 10/h), and the CI it spends per merged PR.
 *
 * Environment: MERGE_POOL_DAYS (30), MERGE_POOL_WARMUP_DAYS (2), MERGE_POOL_DRAIN_DAYS (2),
 * MERGE_POOL_SEEDS (5), MERGE_POOL_POLICIES (comma-separated names; all by default),
 * MERGE_POOL_CAPACITY (1; 0 skips the capacity search). A quick look:
 * `MERGE_POOL_DAYS=3 MERGE_POOL_WARMUP_DAYS=0.5 MERGE_POOL_SEEDS=1 npm run bench -- merge-pool`.
 */

/**
 * The policies compared: each the pool-decision function the scheduler's sync calls (a
 * `PoolPolicy`, shared/tide/policy.ts), under a name, with the settings it gets in PoolState.
 */
const TIDE_NAME = 'tide (Prow)';

export const MERGE_POOL_POLICIES: PolicyEntry[] = [
  { name: TIDE_NAME, policy: decidePool, settings: { policy: 'tide' } },
  { name: 'queue (Cutwater)', policy: decidePool, settings: { policy: 'queue' } },
];

const Settings = z.object({
  MERGE_POOL_DAYS: z.coerce.number().positive().default(ISSUE_24_DEFAULTS.days),
  MERGE_POOL_WARMUP_DAYS: z.coerce.number().min(0).default(ISSUE_24_DEFAULTS.warmupDays),
  MERGE_POOL_DRAIN_DAYS: z.coerce.number().min(0).default(ISSUE_24_DEFAULTS.drainDays),
  MERGE_POOL_SEEDS: z.coerce.number().int().min(1).default(5),
  MERGE_POOL_POLICIES: z.string().optional(),
  MERGE_POOL_CAPACITY: z.enum(['0', '1']).default('1'),
});

/** Where Tide does best: no breaking PRs, moderate load. */
const TIDE_AT_ITS_BEST = { arrivalsPerHour: 10, badFraction: 0 };
const AT_LOAD = { arrivalsPerHour: 4 };

interface PolicyReport {
  name: string;
  atLoad: Measured;
  atBest: Measured;
  capacity?: CapacityResult;
  /** At four times Tide's capacity: issue 24's first goal asks for that capacity at Tide's cost. */
  atFourTimesTide?: Measured;
  seconds: number;
}

interface Measured {
  tally: Tally;
  counts: WorldCounts;
  /** Seeds stopped because the backlog went over the cap, and where. */
  behind: string[];
}

/** `report` hears of each step as it goes (stderr by default: a full run takes minutes). */
export async function benchMergePool(policies: readonly PolicyEntry[] = MERGE_POOL_POLICIES, report: (line: string) => void = toStderr): Promise<string> {
  const settings = Settings.parse(process.env);
  const started = performance.now();
  const progress = (message: string): void => report(`merge-pool [${((performance.now() - started) / 1000).toFixed(0)} s]: ${message}`);
  const scenario: Scenario = {
    ...ISSUE_24_DEFAULTS,
    days: settings.MERGE_POOL_DAYS,
    warmupDays: settings.MERGE_POOL_WARMUP_DAYS,
    drainDays: settings.MERGE_POOL_DRAIN_DAYS,
  };
  const seeds = Array.from({ length: settings.MERGE_POOL_SEEDS }, (_, index) => index + 1);
  const wanted = settings.MERGE_POOL_POLICIES?.split(',').map((name) => name.trim());
  const chosen = policies.filter((entry) => !wanted || wanted.includes(entry.name));

  const reports: PolicyReport[] = [];
  for (const entry of chosen) {
    const policyStarted = performance.now();
    progress(`${entry.name}: λ = ${AT_LOAD.arrivalsPerHour}/h`);
    const atLoad = measureAt(entry, { ...scenario, ...AT_LOAD }, seeds);
    progress(`${entry.name}: b = 0, λ = ${TIDE_AT_ITS_BEST.arrivalsPerHour}/h`);
    const atBest = measureAt(entry, { ...scenario, ...TIDE_AT_ITS_BEST }, seeds);
    let capacity: CapacityResult | undefined;
    if (settings.MERGE_POOL_CAPACITY === '1') {
      capacity = searchCapacity((rate) => {
        const trial = trialAt(entry, scenario, rate, seeds);
        progress(`${entry.name}: capacity trial λ = ${rate}/h: ${trial.keptUp ? 'keeps up' : 'falls behind'} (${trial.runs.map((run) => (run.keptUp ? 'ok' : run.why)).join(', ')})`);
        return trial;
      });
    }
    reports.push({ name: entry.name, atLoad, atBest, ...(capacity ? { capacity } : {}), seconds: (performance.now() - policyStarted) / 1000 });
  }
  const tideCapacity = reports.find((report) => report.name === TIDE_NAME)?.capacity?.capacity?.arrivalsPerHour;
  if (tideCapacity !== undefined) {
    for (const [index, report] of reports.entries()) {
      if (report.name === TIDE_NAME) continue;
      const entry = chosen[index];
      if (!entry) continue;
      progress(`${entry.name}: λ = 4 × Tide's capacity = ${4 * tideCapacity}/h`);
      report.atFourTimesTide = measureAt(entry, { ...scenario, arrivalsPerHour: 4 * tideCapacity }, seeds);
    }
  }
  return render(scenario, seeds.length, reports, chosen.length === 0, tideCapacity);
}

function measureAt(entry: PolicyEntry, scenario: Scenario, seeds: readonly number[]): Measured {
  const results = seeds.map((seed) => simulate(entry, scenario, seed, { stopWhen: 'over cap' }));
  const counts = results.reduce<WorldCounts>((sum, result) => addCounts(sum, result.counts), emptyCounts());
  const behind = results.flatMap((result) => (result.stoppedBehind ? [`seed ${result.seed}: ${result.stoppedBehind}`] : []));
  return { tally: addTallies(results.map((result) => result.tally)), counts, behind };
}

function render(scenario: Scenario, seeds: number, reports: readonly PolicyReport[], nonePlugged: boolean, tideCapacity?: number): string {
  const s = scenario;
  const lines = [
    '### Merge pool simulator (issue 24)',
    '',
    `Defaults: b = ${s.badFraction}, f = ${s.flakeRate}, D = ${s.runMinutes} min ± ${s.runSpread * 100}%, J = ${s.jobs}, L = ${s.batchSizeLimit}, ` +
      `S = ${s.syncMinutes} min, c = ${s.conflictRate}, R = ${s.rebaseMinutes} min, T = ${s.retestMinutes} min; ${s.days} days measured after ` +
      `${s.warmupDays} days of warm-up (then up to ${s.drainDays} days for the measured PRs to merge); ${seeds} seed(s), pooled.`,
    '',
  ];
  if (nonePlugged) {
    lines.push('No policy to run: add one to MERGE_POOL_POLICIES in test/bench/merge-pool.bench.ts (or check MERGE_POOL_POLICIES).');
    return lines.join('\n');
  }
  if (reports.some((report) => report.capacity)) {
    lines.push(
      '| policy | capacity (λ/h) | merged/h there | p90 h there | CI runs per merged PR there | pool’s | authors’ | rates tried (✓ kept up) | bench seconds |',
      '|---|---:|---:|---:|---:|---:|---:|---|---:|',
    );
    for (const report of reports) {
      const found = report.capacity;
      if (!found) continue;
      const trial = found.capacity;
      const keeping = trial ? addTallies(trial.runs.filter((run) => run.keptUp).map((run) => run.tally)) : undefined;
      const there = keeping ? figures(keeping) : undefined;
      const capacity = trial ? `${found.atGridMax ? '≥ ' : ''}${trial.arrivalsPerHour}` : `< ${found.trials[0]?.arrivalsPerHour ?? '?'}`;
      const tried = found.trials.map((each) => `${each.arrivalsPerHour}${each.keptUp ? '✓' : '✗'}`).join(' ');
      lines.push(
        `| ${report.name} | ${capacity} | ${num(there?.mergedPerHour, 2)} | ${hours(there?.p90Hours)} | ${num(there?.ciRunsPerMerged, 2)} | ` +
          `${num(there?.poolRunsPerMerged, 2)} | ${num(there?.authorRunsPerMerged, 2)} | ${tried} | ${report.seconds.toFixed(0)} |`,
      );
    }
    lines.push('');
  }
  const tables: [string, (report: PolicyReport) => Measured | undefined][] = [
    [`At λ = ${AT_LOAD.arrivalsPerHour}/h`, (report) => report.atLoad],
    [`Where Tide is at its best: b = 0, λ = ${TIDE_AT_ITS_BEST.arrivalsPerHour}/h`, (report) => report.atBest],
  ];
  if (tideCapacity !== undefined) {
    tables.push([`At four times Tide's capacity: λ = ${4 * tideCapacity}/h (Tide itself not run there)`, (report) => report.atFourTimesTide]);
  }
  for (const [title, pick] of tables) {
    lines.push(
      `${title}:`,
      '',
      '| policy | p50 h | p90 h | merged/h | CI runs per merged PR | pool’s | authors’ | good PRs unmerged | bad PRs merged | merges refused | bounded seeds |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    const notes: string[] = [];
    for (const report of reports) {
      const measured = pick(report);
      if (!measured) continue;
      const f = figures(measured.tally);
      // A backlog that only grows has no latency to speak of: its figures would say how long the run was.
      const behind = measured.behind.length > 0 ? `behind (${measured.behind.length}/${measured.tally.seeds})` : undefined;
      if (behind) notes.push(`${report.name} fell behind: ${measured.behind.join('; ')}; its other figures are up to there.`);
      lines.push(
        `| ${report.name} | ${behind ?? hours(f.p50Hours)} | ${behind ?? hours(f.p90Hours)} | ${num(f.mergedPerHour, 2)} | ${num(f.ciRunsPerMerged, 2)} | ` +
          `${num(f.poolRunsPerMerged, 2)} | ${num(f.authorRunsPerMerged, 2)} | ${measured.tally.unmerged} | ${measured.tally.badMerged} | ` +
          `${measured.counts.refusedMerges} | ${measured.tally.boundedSeeds}/${measured.tally.seeds} |`,
      );
    }
    lines.push('', ...notes.map((note) => `${note}\n`));
  }
  lines.push(
    `- capacity: the largest λ on a ${CAPACITY_GRID.step}/h grid over ${CAPACITY_GRID.min}–${CAPACITY_GRID.max}/h (doubling from ${CAPACITY_GRID.min}/h, then bisection; assumes keeping up is monotonic) at which a majority of ` +
      `the seeds stay bounded with p90 ready→merged ≤ ${KEEP_UP.p90Hours} h.`,
    `- ${BOUNDED_DEFINITION}.`,
    `- ${LATENCY_DEFINITION}.`,
    '- CI runs per merged PR: job-runs started in the measured days ÷ J ÷ PRs merged in them: the pool’s runs and the ' +
      'authors’ (presubmits after a rebase, `/retest` of failed jobs), partial re-runs as the jobs they ran, aborted ' +
      'jobs as the fraction of D they ran; the PRs’ own runs before they were ready are not counted.',
  );
  return lines.join('\n');
}

function hours(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return Number.isFinite(value) ? value.toFixed(1) : '∞';
}

function num(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return Number.isFinite(value) ? value.toFixed(digits) : '∞';
}

function toStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

function emptyCounts(): WorldCounts {
  return { refusedMerges: 0, unknownJobs: 0, cancelledByPolicy: 0, abortedAsDuplicates: 0, conflicts: 0, rebases: 0, retests: 0, withdrawals: 0 };
}

function addCounts(a: WorldCounts, b: WorldCounts): WorldCounts {
  const sum = emptyCounts();
  for (const key of Object.keys(sum) as (keyof WorldCounts)[]) sum[key] = a[key] + b[key];
  return sum;
}
