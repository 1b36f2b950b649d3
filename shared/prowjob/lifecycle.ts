import type { ProwJobState } from './schema';

/**
 * Prow's ProwJob lifecycle: triggered → pending → one of the four final states. A job may also be
 * aborted or errored before it ever starts (cancelled by a newer push, a pod that cannot be built),
 * and stays in its state while other status fields change (pod name, URL, description).
 * Success and failure are results of a run, so they need the job to have started.
 */
export const FINAL_STATES: readonly ProwJobState[] = ['success', 'failure', 'aborted', 'error'];

const NEXT_STATES: Record<ProwJobState, readonly ProwJobState[]> = {
  // `scheduling` belongs to Prow's scheduler; a job read from Prow in that state may move on.
  scheduling: ['scheduling', 'triggered', 'aborted', 'error'],
  triggered: ['triggered', 'pending', 'aborted', 'error'],
  pending: ['pending', 'success', 'failure', 'aborted', 'error'],
  success: [],
  failure: [],
  aborted: [],
  error: [],
};

export function isFinalState(state: ProwJobState): boolean {
  return FINAL_STATES.includes(state);
}

export function canTransition(from: ProwJobState, to: ProwJobState): boolean {
  return NEXT_STATES[from].includes(to);
}

/** Jobs a runner may hold a lease on: not yet started, or running. */
export function isActiveState(state: ProwJobState): boolean {
  return state === 'triggered' || state === 'pending' || state === 'scheduling';
}
