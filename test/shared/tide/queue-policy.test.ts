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
  it('tests a healthy queue in cumulative cars side by side, at least three PRs a car', () => {
    const pulls = [1, 2, 3, 4, 5, 6, 7].map((n) => pull(n));
    const requests = triggered(poolState(pulls, []));
    expect(requests.map(numbersOf)).toEqual([[1, 2, 3, 4], [1, 2, 3, 4, 5, 6, 7]]);
    // A quiet pool is one car, as Prow's one batch.
    expect(triggered(poolState(pulls.slice(0, 2), [])).map(numbersOf)).toEqual([[1, 2]]);
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

  it('tests the PRs of a car that failed outright alone, cancels the cars containing it, and goes on with the rest', () => {
    const pulls = Array.from({ length: 12 }, (_, i) => pull(i + 1));
    const state = poolState(pulls, [...runs([1, 2, 3, 4], 'success'), ...runs([1, 2, 3, 4, 5, 6, 7, 8], 'failure'), ...runs([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'pending')]);
    // #1-4 passed: merged first.
    expect(decide(state).actions).toEqual([expect.objectContaining({ kind: 'merge', pulls: [1, 2, 3, 4].map((n) => ({ number: n, sha: `head${n}` })) })]);
    const after = poolState(pulls.slice(4), state.runs, { baseSha: 'base1', mergedOnto: [{ fromSha: BASE, toSha: 'base1', pulls: [1, 2, 3, 4], at: 2 }] });
    const decision = decide(after);
    const cancel = decision.actions.find((action) => action.kind === 'cancel');
    expect(cancel && cancel.kind === 'cancel' ? cancel.runIds.length : 0).toBe(2);
    const requests = triggered(after);
    expect(requests.filter((request) => request.type === 'presubmit').map(numbersOf)).toEqual([[5], [6], [7], [8]]);
    expect(requests.every((request) => request.baseSha === 'base1')).toBe(true);
    // The train does not wait for them.
    expect(requests.filter((request) => request.type === 'batch').map(numbersOf)).toEqual([[9, 10, 11, 12]]);
  });

  it('runs the presubmits of a PR found failing alone inside a batch, and keeps it out of cars', () => {
    const pulls = [5, 6, 7, 8].map((n) => pull(n));
    const state = poolState(pulls, [...runs([4, 7], 'failure', 'base0')], {
      baseSha: 'base1',
      mergedOnto: [{ fromSha: 'base0', toSha: 'base1', pulls: [4], at: 2 }],
    });
    const requests = triggered(state);
    expect(requests).toContainEqual({ type: 'presubmit', baseSha: 'base1', pulls: [{ number: 7, sha: 'head7' }], jobs: ['e2e', 'unit'] });
    expect(requests.filter((request) => request.type === 'batch').map(numbersOf)).toEqual([[5, 6, 8]]);
  });

  it('completes a car that only some jobs tested (an author’s rerun of one job) instead of waiting on it', () => {
    const pulls = [1, 2].map((n) => pull(n));
    const authorsRerun = runs([1], 'success').filter((run) => run.job === 'e2e');
    const requests = triggered(poolState(pulls, [...authorsRerun, ...runs([1, 2], 'failure')]));
    expect(requests).toContainEqual({ type: 'presubmit', baseSha: BASE, pulls: [{ number: 1, sha: 'head1' }], jobs: ['unit'] });
    expect(requests).toContainEqual({ type: 'presubmit', baseSha: BASE, pulls: [{ number: 2, sha: 'head2' }], jobs: ['e2e', 'unit'] });
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
      ['batch', [1, 3]],
      ['presubmit', [2]],
    ]);
  });

  it('waits while a blocker is open', () => {
    const decision = decide(poolState([pull(1)], [], { blockers: [{ number: 9, title: 'release freeze', url: 'u' }] }));
    expect(decision.actions).toEqual([expect.objectContaining({ kind: 'blocked', blockers: [9] })]);
  });
});
