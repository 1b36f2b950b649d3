import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTicker, type Ticker } from '../../../cli/local/ticker';

/**
 * Local mode's scheduler calls: a tick that outlasts the interval (Tide merging at GitHub's pace)
 * must not leave calls queued behind it — they would run back to back afterwards, each one
 * searching and reading GitHub again, and stopping would wait for all of them.
 */
describe('the local scheduler ticker', () => {
  let ticker: Ticker | undefined;
  /** Ends of the controlled runs, so that none outlives its test. */
  let ends: (() => void)[] = [];
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    const stopping = ticker?.stop();
    for (const end of ends) end();
    await stopping;
    ticker = undefined;
    ends = [];
    vi.useRealTimers();
  });

  /** A task whose runs end only when the test says so. */
  function controlledTask() {
    const task = vi.fn(() => new Promise<void>((resolve) => ends.push(resolve)));
    return { task, endRun: (index: number) => ends[index]?.() };
  }

  it('runs at once and then each interval', async () => {
    const task = vi.fn(async () => undefined);
    ticker = startTicker(task, 1_000, () => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(task).toHaveBeenCalledTimes(4);
  });

  it('skips the calls that come while a run is under way, instead of running them all afterwards', async () => {
    const { task, endRun } = controlledTask();
    ticker = startTicker(task, 1_000, () => undefined);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(task).toHaveBeenCalledTimes(1);

    endRun(0);
    await vi.advanceTimersByTimeAsync(0);
    // Nothing caught up: the ten missed calls are gone, and the next one comes at its time.
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('stops after the run under way, without starting another', async () => {
    const { task, endRun } = controlledTask();
    ticker = startTicker(task, 1_000, () => undefined);
    await vi.advanceTimersByTimeAsync(5_000);
    let stopped = false;
    const stopping = ticker.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);

    endRun(0);
    await stopping;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(task).toHaveBeenCalledTimes(1);
  });

  it('reports a failed run and goes on with the next', async () => {
    const errors: unknown[] = [];
    const task = vi.fn().mockRejectedValueOnce(new Error('GitHub is down')).mockResolvedValue(undefined);
    ticker = startTicker(task, 1_000, (error) => errors.push(error));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(errors).toEqual([new Error('GitHub is down')]);
    expect(task).toHaveBeenCalledTimes(2);
  });
});
