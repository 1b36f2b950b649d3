/**
 * Local mode's stand-in for Cloud Scheduler: runs `task` now and then every `intervalMs`, one run
 * at a time. A call that comes while a run is still under way is skipped, not queued behind it —
 * every scheduler task is safe to miss a call — so a slow run (a merge pool merging many PRs at
 * GitHub's pace, a GitHub that answers slowly) leaves no backlog of runs to be made back to back
 * afterwards, nor for stopping to wait through.
 */
export interface Ticker {
  /** No call after this one; resolves once the run under way, if any, has ended. */
  stop(): Promise<void>;
}

export function startTicker(task: () => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void): Ticker {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = Promise.resolve()
      .then(task)
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
