import { describe, expect, it } from 'vitest';
import { LaneGate } from '../../../cli/local/lane-gate';

/** Local mode's CPU order between the lanes: job-creating deliveries first, the other plugins after. */
describe('LaneGate', () => {
  it('starts other plugins’ deliveries only once the job deliveries in flight are done', async () => {
    const gate = new LaneGate({ settleMs: 5 });
    const order: string[] = [];
    let finishJobs = () => {};
    const jobs = gate.first(async () => {
      order.push('jobs started');
      await new Promise<void>((resolve) => (finishJobs = resolve));
      order.push('jobs done');
    });
    const plugins = gate.after(async () => void order.push('plugins started'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(order).toEqual(['jobs started']);
    finishJobs();
    await Promise.all([jobs, plugins]);
    expect(order).toEqual(['jobs started', 'jobs done', 'plugins started']);
  });

  it('lets other plugins’ deliveries start at once when no job delivery is in flight', async () => {
    const gate = new LaneGate({ settleMs: 0, maxWaitMs: 60_000 });
    await gate.first(async () => undefined);
    expect(await gate.after(async () => 'ran')).toBe('ran');
  });

  it('never holds other plugins back longer than its limit, however busy the job lane stays', async () => {
    const gate = new LaneGate({ maxWaitMs: 50 });
    let finishJobs = () => {};
    const jobs = gate.first(() => new Promise<void>((resolve) => (finishJobs = resolve)));
    expect(await gate.after(async () => 'ran anyway')).toBe('ran anyway');
    finishJobs();
    await jobs;
  });

  it('passes on what the work returns and throws', async () => {
    const gate = new LaneGate({ settleMs: 0 });
    await expect(gate.first(() => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    // A failed job delivery still leaves the gate open for the rest.
    expect(await gate.after(async () => 42)).toBe(42);
  });
});
