import type { PoolRun, PoolState, RunState } from './model';

/**
 * How the pool reads its runs: Prow's `simpleState` and `getBetterSimpleState`, and the runs that
 * count at all (Prow lists only ProwJobs at the pool's current base: `dividePool`'s index).
 */

export type SimpleState = 'success' | 'pending' | 'failure';

/** Prow's `toSimpleState`: triggered and pending are pending; anything not a success failed. */
export function simpleState(state: RunState): SimpleState {
  if (state === 'triggered' || state === 'pending') return 'pending';
  return state === 'success' ? 'success' : 'failure';
}

/** Prow's `getBetterSimpleState`: success beats pending beats failure beats nothing. */
export function betterState(previous: SimpleState | undefined, current: SimpleState): SimpleState {
  if (previous === undefined || previous === 'failure' || current === 'success') return current;
  return previous;
}

/** Runs at the pool's current base, oldest first (ties by ID) so every reading is deterministic. */
export function runsAtBase(state: Pick<PoolState, 'runs' | 'baseSha'>): PoolRun[] {
  return state.runs.filter((run) => run.baseSha === state.baseSha).sort(byCreation);
}

export function byCreation(a: PoolRun, b: PoolRun): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether the run has finished in some other way than success (Prow: complete and not a success). */
export function isFailedRun(run: PoolRun): boolean {
  return simpleState(run.state) === 'failure';
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** Runs still under way, at any base (the pool record's `runsInFlight`), oldest first. */
export function runsInFlight(state: Pick<PoolState, 'runs'>): PoolRun[] {
  return state.runs.filter((run) => simpleState(run.state) === 'pending').sort(byCreation);
}
