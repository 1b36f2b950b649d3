import { describe, expect, it } from 'vitest';
import type { PoolSettings, PoolState } from '../../../shared/tide/model';
import { ISSUE_24_DEFAULTS } from './simulate';
import { HOUR_MS, MINUTE_MS, type ReadyPull } from './stream';
import { BASE_BEFORE_READY, SimWorld, type WorldParams } from './world';

const SETTINGS: PoolSettings = { batchSizeLimit: 15, priority: [], policy: 'tide' };
const PARAMS: WorldParams = { ...ISSUE_24_DEFAULTS };
/** Comfortably after any job started now has finished (D + 15%). */
const RUN_DONE = 70 * MINUTE_MS;

function worldWith(pulls: { number: number; bad?: boolean }[], params: Partial<WorldParams> = {}, seed = 7): SimWorld {
  const stream: ReadyPull[] = pulls.map((pull, index) => ({ number: pull.number, readyAt: index, bad: pull.bad ?? false }));
  const world = new SimWorld({ ...PARAMS, ...params }, stream, seed);
  world.advanceTo(stream.length);
  return world;
}

function pullIn(state: PoolState, number: number) {
  const pull = state.pulls.find((each) => each.number === number);
  if (!pull) throw new Error(`#${number} is not in the pool`);
  return pull;
}

const allJobs = (world: SimWorld): string[] => world.requiredJobs.map((job) => job.job);

describe('the simulated world as a sync sees it', () => {
  it('shows a ready PR with its own green contexts from an older base, and every PR requiring the J jobs', () => {
    const world = worldWith([{ number: 1 }]);
    const state = world.poolState(SETTINGS);
    expect(state.baseSha).toBe('base-0');
    expect(state.requiredJobs[1]?.map((job) => job.context)).toEqual(['pull-sim-job-1', 'pull-sim-job-2', 'pull-sim-job-3', 'pull-sim-job-4', 'pull-sim-job-5']);
    const pull = pullIn(state, 1);
    expect(pull.mergeable).toBe('mergeable');
    expect(pull.contexts.map((context) => context.state)).toEqual(['success', 'success', 'success', 'success', 'success']);
    expect(state.runs.every((run) => run.baseSha === BASE_BEFORE_READY && run.state === 'success')).toBe(true);
    expect(state.contextPolicy).toEqual({ requiredContexts: [], requiredIfPresentContexts: [], optionalContexts: [], skipUnknownContexts: false });
  });

  it('reports a presubmit on the PR’s head while it runs and when it ends, but not a batch', () => {
    const world = worldWith([{ number: 1 }, { number: 2 }], { flakeRate: 0 });
    world.trigger({ type: 'presubmit', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: ['pull-sim-job-2'] });
    world.trigger({ type: 'batch', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }, { number: 2, sha: 'pr-2-v1' }], jobs: allJobs(world) });
    let state = world.poolState(SETTINGS);
    expect(pullIn(state, 1).contexts.find((context) => context.context === 'pull-sim-job-2')?.state).toBe('pending');
    expect(pullIn(state, 2).contexts.every((context) => context.state === 'success')).toBe(true);
    expect(state.runs.filter((run) => run.state === 'pending')).toHaveLength(6);
    expect(new Set(state.runs.filter((run) => run.type === 'batch').map((run) => run.createdAt)).size).toBe(1);
    world.advanceTo(RUN_DONE);
    state = world.poolState(SETTINGS);
    expect(pullIn(state, 1).contexts.every((context) => context.state === 'success')).toBe(true);
    expect(state.runs.filter((run) => run.baseSha === 'base-0').every((run) => run.state === 'success')).toBe(true);
  });
});

describe('CI', () => {
  it('fails every run a bad PR is in, and its author withdraws it once it fails alone', () => {
    const world = worldWith([{ number: 1 }, { number: 2, bad: true }, { number: 3 }], { flakeRate: 0 });
    const heads = [1, 2, 3].map((number) => ({ number, sha: `pr-${number}-v1` }));
    const batch = world.trigger({ type: 'batch', baseSha: world.baseSha, pulls: heads, jobs: allJobs(world) });
    const without = world.trigger({ type: 'batch', baseSha: world.baseSha, pulls: [heads[0]!, heads[2]!], jobs: allJobs(world) });
    world.advanceTo(RUN_DONE);
    expect(batch.map((job) => job.run.state)).toEqual(['failure', 'failure', 'failure', 'failure', 'failure']);
    expect(without.every((job) => job.run.state === 'success')).toBe(true);
    expect(world.pulls.get(2)?.status).toBe('waiting');

    const alone = world.trigger({ type: 'presubmit', baseSha: world.baseSha, pulls: [heads[1]!], jobs: ['pull-sim-job-3'] });
    world.advanceTo(2 * RUN_DONE);
    expect(alone[0]?.run.state).toBe('failure');
    expect(world.pulls.get(2)?.status).toBe('withdrawn');
    expect(world.poolState(SETTINGS).pulls.map((pull) => pull.number)).toEqual([1, 3]);
  });

  it('flakes a run of good PRs with probability f over its J jobs, each job on its own', () => {
    const world = worldWith([{ number: 1 }], { flakeRate: 0.1, retestMinutes: 10_000 });
    const runs = Array.from({ length: 4_000 }, () =>
      world.trigger({ type: 'batch', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: allJobs(world) }),
    );
    world.advanceTo(RUN_DONE);
    const flakedRuns = runs.filter((jobs) => jobs.some((job) => job.run.state === 'failure')).length / runs.length;
    const flakedJobs = runs.flat().filter((job) => job.run.state === 'failure').length / (runs.length * 5);
    expect(flakedRuns).toBeGreaterThan(0.085);
    expect(flakedRuns).toBeLessThan(0.115);
    expect(flakedJobs).toBeCloseTo(1 - 0.9 ** (1 / 5), 2);
    expect(world.pulls.get(1)?.status).toBe('waiting');
  });

  it('runs only the jobs a request lists, and takes D ± 15% for each', () => {
    const world = worldWith([{ number: 1 }]);
    const jobs = Array.from({ length: 300 }, () =>
      world.trigger({ type: 'presubmit', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: ['pull-sim-job-4'] }),
    ).flat();
    expect(new Set(jobs.map((job) => job.run.job))).toEqual(new Set(['pull-sim-job-4']));
    const minutes = jobs.map((job) => (job.endsAt - job.run.createdAt) / MINUTE_MS);
    expect(Math.min(...minutes)).toBeGreaterThanOrEqual(51);
    expect(Math.max(...minutes)).toBeLessThanOrEqual(69);
    expect(Math.max(...minutes) - Math.min(...minutes)).toBeGreaterThan(15);
  });

  it('aborts an older presubmit of the same job on the same PR when a newer one starts, as Prow’s plank does', () => {
    const world = worldWith([{ number: 1 }], { flakeRate: 0 });
    const request = { type: 'presubmit' as const, baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: ['pull-sim-job-1'] };
    const [older] = world.trigger(request);
    world.advanceTo(15 * MINUTE_MS);
    const [newer] = world.trigger(request);
    expect(older?.run.state).toBe('aborted');
    expect(older?.cost).toBeCloseTo(0.25, 5);
    expect(world.counts.abortedAsDuplicates).toBe(1);
    expect(newer?.run.state).toBe('pending');
  });

  it('cancels runs on the pool’s request, counting the fraction of D they ran', () => {
    const world = worldWith([{ number: 1 }, { number: 2 }], { flakeRate: 0 });
    const jobs = world.trigger({ type: 'batch', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }, { number: 2, sha: 'pr-2-v1' }], jobs: allJobs(world) });
    world.advanceTo(30 * MINUTE_MS);
    world.act([{ kind: 'cancel', runIds: jobs.map((job) => job.run.id), reason: 'stale' }]);
    expect(jobs.every((job) => job.run.state === 'aborted')).toBe(true);
    expect(jobs.reduce((sum, job) => sum + job.cost, 0)).toBeCloseTo(2.5, 5);
    world.advanceTo(2 * RUN_DONE);
    expect(jobs.every((job) => job.run.state === 'aborted')).toBe(true);
  });
});

describe('GitHub', () => {
  it('merges PR by PR at the pinned heads, moves the base each time and records the pool’s merge', () => {
    const world = worldWith([{ number: 1 }, { number: 2 }, { number: 3 }], { conflictRate: 0 });
    world.advanceTo(HOUR_MS);
    world.act([{ kind: 'merge', pulls: [{ number: 1, sha: 'pr-1-v1' }, { number: 2, sha: 'pr-2-v1' }], batch: true, reason: 'passed' }]);
    const state = world.poolState(SETTINGS);
    expect(state.baseSha).toBe('base-2');
    expect(state.pulls.map((pull) => pull.number)).toEqual([3]);
    expect(state.mergedOnto).toEqual([{ fromSha: 'base-0', toSha: 'base-2', pulls: [1, 2], at: HOUR_MS }]);
    expect(world.pulls.get(1)?.mergedAt).toBe(HOUR_MS);
  });

  it('refuses a merge at a head that is not the PR’s, and stops the action there', () => {
    const world = worldWith([{ number: 1 }, { number: 2 }, { number: 3 }], { conflictRate: 0 });
    world.act([{ kind: 'merge', pulls: [{ number: 1, sha: 'pr-1-v1' }, { number: 2, sha: 'stale' }, { number: 3, sha: 'pr-3-v1' }], batch: true, reason: 'passed' }]);
    expect([...world.pulls.values()].map((pull) => pull.status)).toEqual(['merged', 'waiting', 'waiting']);
    expect(world.counts.refusedMerges).toBe(1);
    expect(world.baseSha).toBe('base-1');
  });

  it('makes waiting PRs conflict at about c per merge; the author rebases after R to a new head whose presubmits run', () => {
    const numbers = Array.from({ length: 200 }, (_, index) => index + 1);
    const world = worldWith(
      numbers.map((number) => ({ number })),
      { conflictRate: 0.02, flakeRate: 0 },
    );
    // Ten PRs merged together (they were tested together, so they do not conflict with each
    // other): each merge exposes the 190 others, about 1,900 chances of a conflict at c = 0.02.
    world.act([{ kind: 'merge', pulls: numbers.slice(0, 10).map((number) => ({ number, sha: `pr-${number}-v1` })), batch: true, reason: 'passed' }]);
    expect(world.baseSha).toBe('base-10');
    const exposures = 10 * 190;
    expect(world.counts.conflicts / exposures).toBeGreaterThan(0.01);
    expect(world.counts.conflicts / exposures).toBeLessThan(0.03);
    const conflicting = world.poolState(SETTINGS).pulls.filter((pull) => pull.mergeable === 'conflicting');
    expect(conflicting.length).toBe(world.counts.conflicts);
    const one = conflicting[0]!;
    // A conflicting PR does not merge.
    world.act([{ kind: 'merge', pulls: [{ number: one.number, sha: one.headSha }], batch: false, reason: 'passed' }]);
    expect(world.pulls.get(one.number)?.status).toBe('waiting');

    world.advanceTo(61 * MINUTE_MS);
    const rebased = pullIn(world.poolState(SETTINGS), one.number);
    expect(rebased.mergeable).toBe('mergeable');
    expect(rebased.headSha).toBe(`pr-${one.number}-v2`);
    expect(rebased.contexts.map((context) => context.state)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);
    const authors = world.ledger.filter((job) => job.origin === 'author' && job.run.pulls[0]?.number === one.number);
    expect(authors.map((job) => job.run.baseSha)).toEqual(Array(5).fill(world.baseSha));
    expect(world.counts.rebases).toBe(world.counts.conflicts);
  });
});

describe('authors', () => {
  it('retest a PR whose head shows a failing context after T: the failing jobs only, at the current base', () => {
    // A flake rate of 1 makes every job of a good PR fail.
    const world = worldWith([{ number: 1 }], { flakeRate: 1, retestMinutes: 30 });
    world.trigger({ type: 'presubmit', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: ['pull-sim-job-1', 'pull-sim-job-2'] });
    world.advanceTo(RUN_DONE);
    expect(pullIn(world.poolState(SETTINGS), 1).contexts.filter((context) => context.state === 'failure')).toHaveLength(2);
    expect(world.counts.retests).toBe(0);
    world.advanceTo(RUN_DONE + 31 * MINUTE_MS);
    expect(world.counts.retests).toBe(1);
    const retest = world.ledger.filter((job) => job.origin === 'author');
    expect(retest.map((job) => job.run.job)).toEqual(['pull-sim-job-1', 'pull-sim-job-2']);
    expect(world.pulls.get(1)?.status).toBe('waiting');
  });

  it('do not retest a PR whose failed job the pool has already run again', () => {
    const world = worldWith([{ number: 1 }], { flakeRate: 1, retestMinutes: 30 });
    world.trigger({ type: 'presubmit', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: ['pull-sim-job-1'] });
    world.advanceTo(RUN_DONE);
    world.trigger({ type: 'presubmit', baseSha: world.baseSha, pulls: [{ number: 1, sha: 'pr-1-v1' }], jobs: ['pull-sim-job-1'] });
    world.advanceTo(RUN_DONE + 31 * MINUTE_MS);
    expect(world.counts.retests).toBe(0);
  });
});
