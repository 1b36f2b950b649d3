import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PoolDecision, PoolRun, PoolState } from '../../../shared/tide/model';
import type { PoolPolicy } from '../../../shared/tide/policy';
import { benchMergePool } from '../merge-pool.bench';
import { trialAt } from './capacity';
import { figures } from './metrics';
import { ISSUE_24_DEFAULTS, simulate, type PolicyEntry, type Scenario } from './simulate';

/**
 * A deliberately tiny policy for the simulator's own tests (the real ones live in shared/tide):
 * merge the lowest-numbered PR that passed alone at this base, else test it alone.
 */
const serial: PoolPolicy = (state: PoolState): PoolDecision => {
  const failing = (contexts: PoolState['pulls'][number]['contexts']) => contexts.some((context) => context.state === 'failure' || context.state === 'error');
  const first = [...state.pulls].filter((pull) => pull.mergeable === 'mergeable' && !failing(pull.contexts)).sort((a, b) => a.number - b.number)[0];
  const wait = (reason: string): PoolDecision => ({ actions: [{ kind: 'wait', reason }], verdicts: [] });
  if (!first) return wait('nothing to merge');
  const latest = new Map<string, PoolRun>();
  for (const run of [...state.runs].sort((a, b) => a.createdAt - b.createdAt)) {
    const [only, ...others] = run.pulls;
    if (run.baseSha === state.baseSha && others.length === 0 && only?.number === first.number && only.sha === first.headSha) latest.set(run.job, run);
  }
  const jobs = state.requiredJobs[first.number] ?? [];
  const head = { number: first.number, sha: first.headSha };
  if (jobs.every((job) => latest.get(job.job)?.state === 'success')) {
    return { actions: [{ kind: 'merge', pulls: [head], batch: false, reason: 'passed alone' }], verdicts: [] };
  }
  if (jobs.some((job) => latest.get(job.job)?.state === 'pending')) return wait('testing');
  const rerun = jobs.filter((job) => latest.get(job.job)?.state !== 'success').map((job) => job.job);
  return { actions: [{ kind: 'trigger', runs: [{ type: 'presubmit', baseSha: state.baseSha, pulls: [head], jobs: rerun }], reason: 'test it' }], verdicts: [] };
};

/** Never merges anything: the pool only fills up. */
const idle: PoolPolicy = () => ({ actions: [{ kind: 'wait', reason: 'idle' }], verdicts: [] });

const SERIAL: PolicyEntry = { name: 'serial', policy: serial };
const SHORT: Scenario = { ...ISSUE_24_DEFAULTS, arrivalsPerHour: 0.5, warmupDays: 0.5, days: 3, drainDays: 1 };

describe('a simulated month of a merge pool', () => {
  it('gives every policy the same stream for a seed', () => {
    const serialRun = simulate(SERIAL, SHORT, 5);
    const idleRun = simulate({ name: 'idle', policy: idle }, SHORT, 5);
    const arrivals = (run: typeof serialRun) => [...run.world.pulls.values()].map((pull) => [pull.number, pull.readyAt, pull.bad]);
    const shorter = Math.min(serialRun.world.pulls.size, idleRun.world.pulls.size);
    expect(shorter).toBeGreaterThan(20);
    expect(arrivals(serialRun).slice(0, shorter)).toEqual(arrivals(idleRun).slice(0, shorter));
    expect(idleRun.tally.merged).toBe(0);
    expect(idleRun.tally.jobRuns).toBe(0);
  });

  it('merges every good PR at a low arrival rate with the serial policy, and no bad one', () => {
    const run = simulate(SERIAL, { ...SHORT, badFraction: 0.2 }, 2);
    const f = figures(run.tally);
    expect(run.tally.ready).toBeGreaterThan(20);
    expect(run.tally.badReady).toBeGreaterThan(0);
    expect(run.tally.unmerged).toBe(0);
    expect(run.tally.badMerged).toBe(0);
    expect(run.tally.withdrawn).toBe(run.tally.badReady);
    expect(run.counts.refusedMerges).toBe(0);
    // Each good PR is tested at least once alone before it merges: about one CI run per merged PR, plus flakes.
    expect(f.ciRunsPerMerged).toBeGreaterThanOrEqual(1);
    expect(f.ciRunsPerMerged).toBeLessThan(2);
    expect(f.p50Hours).toBeGreaterThan(0.8);
    expect(run.tally.boundedSeeds).toBe(1);
  });

  it('merges the same way whether or not syncs that would see nothing new are skipped', () => {
    const skipping = simulate(SERIAL, SHORT, 3);
    const everySync = simulate(SERIAL, SHORT, 3, { everySync: true });
    const merges = (run: typeof skipping) => run.world.mergeLog.map((pull) => [pull.number, pull.mergedAt]);
    expect(merges(skipping)).toEqual(merges(everySync));
    expect(skipping.policyCalls).toBeLessThan(everySync.policyCalls);
  });

  it('stops a run early once it cannot keep up, and says why', () => {
    const trial = trialAt(SERIAL, { ...SHORT, days: 4 }, 6, [1, 2, 3]);
    expect(trial.keptUp).toBe(false);
    // A majority (two of three) decides.
    expect(trial.runs).toHaveLength(2);
    expect(trial.runs.every((run) => /^(backlog \d+ > cap|p90 over 12 h)/.test(run.why))).toBe(true);
  });
});

describe('the merge-pool bench', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('prints each policy’s capacity and figures as Markdown tables, shrunk by its environment', async () => {
    vi.stubEnv('MERGE_POOL_DAYS', '1');
    vi.stubEnv('MERGE_POOL_WARMUP_DAYS', '0.25');
    vi.stubEnv('MERGE_POOL_DRAIN_DAYS', '0.5');
    vi.stubEnv('MERGE_POOL_SEEDS', '1');
    const report = await benchMergePool([SERIAL, { name: 'idle', policy: idle }], () => {});
    expect(report).toContain('1 days measured after 0.25 days of warm-up');
    expect(report).toMatch(/^\| serial \| \d+(\.\d+)? \|/m);
    // The idle policy merges nothing: not even the smallest rate keeps up.
    expect(report).toMatch(/^\| idle \| < 0\.5 \|/m);
    expect(report).toContain('At λ = 4/h');
    expect(report).toContain('b = 0, λ = 10/h');
    expect(report).toContain('bounded: the backlog');
  });

  it('says so when no policy is registered', async () => {
    expect(await benchMergePool([], () => {})).toContain('No policy to run');
  });
});
