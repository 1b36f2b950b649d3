import { describe, expect, it } from 'vitest';
import type { PoolPull, PoolRun, PoolState, RunRequest } from '../../../shared/tide/model';
import { effectivePulls, queueDecision } from '../../../shared/tide/queue-policy';

const JOBS = ['unit', 'e2e'];
const BASE = 'base0';

function pull(number: number, options: { green?: boolean } = {}): PoolPull {
  return {
    number,
    author: 'alice',
    title: `PR ${number}`,
    headSha: `head${number}`,
    url: `https://github.com/o/r/pull/${number}`,
    labels: ['lgtm', 'approved'],
    mergeable: 'mergeable',
    contexts: (options.green ?? true) ? JOBS.map((job) => ({ context: job, state: 'success' as const })) : [],
  };
}

let runCount = 0;
function runs(numbers: number[], state: PoolRun['state'] | Record<string, PoolRun['state']>, baseSha = BASE): PoolRun[] {
  return JOBS.map((job) => ({
    id: `run-${++runCount}`,
    job,
    context: job,
    type: numbers.length === 1 ? ('presubmit' as const) : ('batch' as const),
    baseSha,
    pulls: numbers.map((number) => ({ number, sha: `head${number}` })),
    state: typeof state === 'string' ? state : (state[job] ?? 'success'),
    createdAt: runCount,
  }));
}

function poolState(pulls: PoolPull[], poolRuns: PoolRun[], extra: Partial<PoolState> = {}): PoolState {
  return {
    key: { org: 'o', repo: 'r', branch: 'main' },
    baseSha: BASE,
    pulls,
    contextPolicy: { requiredContexts: [], requiredIfPresentContexts: [], optionalContexts: [], skipUnknownContexts: false },
    requiredJobs: Object.fromEntries(pulls.map((p) => [p.number, JOBS.map((job) => ({ job, context: job }))])),
    runs: poolRuns,
    mergedOnto: [],
    blockers: [],
    settings: { batchSizeLimit: 15, priority: [], policy: 'queue', maxRunsInFlight: 3 },
    now: 1_000,
    ...extra,
  };
}

const decide = (state: PoolState) => queueDecision(state, { kept: state.pulls, dropped: [] });
const triggered = (state: PoolState): RunRequest[] =>
  decide(state).actions.flatMap((action) => (action.kind === 'trigger' ? action.runs : []));
const numbersOf = (request: RunRequest) => request.pulls.map((p) => p.number);

describe('the merge queue policy', () => {
  it('tests a healthy queue in cumulative cars side by side', () => {
    const pulls = [1, 2, 3, 4, 5, 6].map((n) => pull(n));
    const requests = triggered(poolState(pulls, []));
    expect(requests.map(numbersOf)).toEqual([[1, 2], [1, 2, 3, 4], [1, 2, 3, 4, 5, 6]]);
    expect(requests.every((request) => request.baseSha === BASE && request.jobs.join() === 'e2e,unit')).toBe(true);
  });

  it('merges the longest car that passed, even beside a shorter one that failed (a flake)', () => {
    const pulls = [1, 2, 3, 4].map((n) => pull(n));
    const decision = decide(poolState(pulls, [...runs([1, 2], { e2e: 'failure' }), ...runs([1, 2, 3, 4], 'success')]));
    expect(decision.actions).toEqual([expect.objectContaining({ kind: 'merge', batch: true, pulls: [1, 2, 3, 4].map((n) => ({ number: n, sha: `head${n}` })) })]);
    expect(decision.verdicts.every((verdict) => verdict.state === 'merging')).toBe(true);
  });

  it('runs only the failed job of a car that failed in part, once', () => {
    const pulls = [1, 2, 3].map((n) => pull(n));
    const requests = triggered(poolState(pulls, runs([1, 2, 3], { e2e: 'failure' })));
    expect(requests).toEqual([{ type: 'batch', baseSha: BASE, pulls: [1, 2, 3].map((n) => ({ number: n, sha: `head${n}` })), jobs: ['e2e'] }]);
  });

  it('splits a car that failed outright and cancels the cars that contain it', () => {
    const pulls = Array.from({ length: 12 }, (_, i) => pull(i + 1));
    const state = poolState(pulls, [...runs([1, 2, 3, 4, 5, 6, 7, 8], 'failure'), ...runs([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'pending')]);
    const decision = decide(state);
    const cancel = decision.actions.find((action) => action.kind === 'cancel');
    expect(cancel && cancel.kind === 'cancel' ? cancel.runIds.length : 0).toBe(2);
    expect(triggered(state).map(numbersOf)).toEqual([[1, 2], [1, 2, 3, 4], [1, 2, 3, 4, 5, 6]]);
    // Narrowed to #7-8 after #1-6 merged: its cars at the old base count at the new one.
    const after = poolState(pulls.slice(6), [...state.runs, ...runs([1, 2, 3, 4, 5, 6], 'success'), ...runs([1, 2, 3, 4, 5, 6, 7], 'failure')], {
      baseSha: 'base1',
      mergedOnto: [{ fromSha: BASE, toSha: 'base1', pulls: [1, 2, 3, 4, 5, 6], at: 2 }],
    });
    // #7 failed alone at the new base (inside a batch): its own presubmits run, and no car takes it.
    const requests = triggered(after);
    expect(requests).toContainEqual({ type: 'presubmit', baseSha: 'base1', pulls: [{ number: 7, sha: 'head7' }], jobs: ['e2e', 'unit'] });
    expect(requests.filter((request) => request.type === 'batch').every((request) => !numbersOf(request).includes(7))).toBe(true);
  });

  it('completes a car that only some jobs tested (an author’s rerun of one job) instead of waiting on it', () => {
    const pulls = [1, 2].map((n) => pull(n));
    const authorsRerun = runs([1], 'success').filter((run) => run.job === 'e2e');
    const requests = triggered(poolState(pulls, [...authorsRerun, ...runs([1, 2], 'failure')]));
    expect(requests).toEqual([{ type: 'presubmit', baseSha: BASE, pulls: [{ number: 1, sha: 'head1' }], jobs: ['unit'] }]);
  });

  it('carries a run across the pool’s own merges, and only those', () => {
    const merges = [
      { fromSha: 'a', toSha: 'b', pulls: [1], at: 1 },
      { fromSha: 'b', toSha: 'c', pulls: [2, 3], at: 2 },
    ];
    const run = { baseSha: 'a', pulls: [1, 2, 3, 4].map((n) => ({ number: n, sha: `head${n}` })) };
    expect(effectivePulls({ baseSha: 'c', mergedOnto: merges }, run)).toEqual([{ number: 4, sha: 'head4' }]);
    expect(effectivePulls({ baseSha: 'c', mergedOnto: merges }, { ...run, pulls: [2, 1, 3, 4].map((n) => ({ number: n, sha: 'x' })) })).toBeUndefined();
    expect(effectivePulls({ baseSha: 'd', mergedOnto: merges }, run)).toBeUndefined();
  });

  it('tests a PR whose own jobs have not passed alone, and keeps it out of cars meanwhile', () => {
    const requests = triggered(poolState([pull(1), pull(2, { green: false }), pull(3)], []));
    expect(requests.map((request) => [request.type, numbersOf(request)])).toEqual([
      ['presubmit', [1]],
      ['batch', [1, 3]],
      ['presubmit', [2]],
    ]);
  });

  it('waits while a blocker is open', () => {
    const decision = decide(poolState([pull(1)], [], { blockers: [{ number: 9, title: 'release freeze', url: 'u' }] }));
    expect(decision.actions).toEqual([expect.objectContaining({ kind: 'blocked', blockers: [9] })]);
  });
});
