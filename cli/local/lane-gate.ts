/**
 * Local mode runs both lanes of shared/plugins/lanes.ts in one process, on one core. The cloud
 * gives each lane its own instances; here the jobs lane goes first instead: a plugins-lane
 * delivery, or a job's report, waits to start while job-creating deliveries are being handled,
 * so a burst's jobs are created at the rate the process can create jobs, not at the rate it can
 * run every plugin.
 *
 * The wait is bounded, so a steady stream of job deliveries slows the other plugins down but
 * never stops them; and it is a wait before a delivery starts, never inside one, so no lane's
 * ordering or processing claim is affected.
 */
export interface LaneGateOptions {
  /** The longest a plugins-lane delivery waits for the jobs lane to fall idle. */
  maxWaitMs?: number;
  /**
   * How long the jobs lane must stay idle before the gate opens: the bus hands the next message
   * over a moment after the last one is acknowledged, and that moment is not idleness.
   */
  settleMs?: number;
}

export class LaneGate {
  private busy = 0;
  private idleSince = Date.now();
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly maxWaitMs: number;
  private readonly settleMs: number;

  constructor(options: LaneGateOptions = {}) {
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.settleMs = options.settleMs ?? 20;
  }

  /** Runs a jobs-lane delivery, holding the gate closed meanwhile. */
  async first<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
      if (this.busy === 0) {
        this.idleSince = Date.now();
        this.schedule();
      }
    }
  }

  /** Runs a plugins-lane delivery once the jobs lane has been idle a moment, or maxWaitMs passed. */
  async after<T>(work: () => Promise<T>): Promise<T> {
    if (!this.isOpen()) {
      await new Promise<void>((resolve) => {
        const waiter = () => {
          clearTimeout(timeout);
          resolve();
        };
        const timeout = setTimeout(() => {
          this.waiters = this.waiters.filter((other) => other !== waiter);
          resolve();
        }, this.maxWaitMs);
        timeout.unref();
        this.waiters.push(waiter);
        this.schedule();
      });
    }
    return work();
  }

  private isOpen(): boolean {
    return this.busy === 0 && Date.now() - this.idleSince >= this.settleMs;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0 || this.busy > 0) return;
    const wait = Math.max(0, this.settleMs - (Date.now() - this.idleSince));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.isOpen()) return this.schedule();
      const ready = this.waiters;
      this.waiters = [];
      for (const resolve of ready) resolve();
    }, wait);
    this.timer.unref();
  }
}
