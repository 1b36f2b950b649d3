import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../shared/log/logger';
import { triggerDuePeriodics } from '../../../shared/scheduler/periodics';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';

/**
 * Periodics over simulated time, with the scheduler called as Cloud Scheduler really calls it:
 * sometimes twice in a minute, sometimes not at all.
 */
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const MINUTE = 60_000;

function setUp(periodicYaml: string) {
  let now = T0;
  const store = EmbeddedStore.open({ now: () => now });
  const config = expectLoaded(buildFromFiles({ jobs: { 'periodics.yaml': periodicYaml } }));
  return {
    store,
    tick: (minute: number, calls = 1) => {
      now = T0 + minute * MINUTE;
      return Promise.all(Array.from({ length: calls }, () => triggerDuePeriodics({ store, config, log: memoryLogger() }, new Date(now))));
    },
    /** Plays the runner: jobs finish two minutes after they start. */
    finishRuns: async () => {
      for (const stored of (await store.jobs.list({}, { limit: 1000 })).jobs) {
        const state = stored.job.status?.state;
        if ((state === 'triggered' || state === 'pending') && now - stored.createdAt >= 2 * MINUTE) {
          if (state === 'triggered') await store.jobs.update(stored.job.metadata.name ?? '', { state: 'pending' }, 'latest');
          await store.jobs.update(stored.job.metadata.name ?? '', { state: 'success' }, 'latest');
        }
      }
    },
  };
}

const SPEC = 'spec: {containers: [{image: alpine, command: [true]}]}';

describe('periodic scheduling', () => {
  it('starts an interval: 10m periodic 6 times in an hour, whatever ticks are doubled or missing', async () => {
    const { store, tick, finishRuns } = setUp(yaml(`
      periodics:
      - name: ci-every-ten
        interval: 10m
        ${SPEC}
    `));
    const missing = new Set([3, 11, 17, 30, 41]);
    const doubled = new Set([0, 12, 22, 23, 50]);
    for (let minute = 0; minute < 60; minute++) {
      await finishRuns();
      if (missing.has(minute)) continue;
      await tick(minute, doubled.has(minute) ? 2 : 1);
    }
    const runs = (await store.jobs.list({ job: 'ci-every-ten' }, { limit: 100 })).jobs.map((job) => (job.createdAt - T0) / MINUTE);
    expect(runs.sort((a, b) => a - b)).toEqual([0, 12, 23, 34, 45, 56]);
    await store.close();
  });

  it('runs a cron periodic once per tick, and once only after the scheduler was down', async () => {
    const { store, tick, finishRuns } = setUp(yaml(`
      periodics:
      - name: ci-cron
        cron: '*/10 * * * *'
        ${SPEC}
    `));
    for (let minute = 0; minute <= 60; minute++) {
      await finishRuns();
      // Down from minute 12 to 46: the ticks at 20, 30 and 40 are missed and make one catch-up run.
      if (minute > 12 && minute < 47) continue;
      await tick(minute, minute % 10 === 0 ? 2 : 1);
    }
    const runs = (await store.jobs.list({ job: 'ci-cron' }, { limit: 100 })).jobs.map((job) => (job.createdAt - T0) / MINUTE);
    expect(runs.sort((a, b) => a - b)).toEqual([10, 47, 50, 60]);
    await store.close();
  });

  it('spends a cron tick that finds the previous run still going, as Prow does', async () => {
    const { store, tick } = setUp(yaml(`
      periodics:
      - name: ci-slow
        cron: '*/5 * * * *'
        ${SPEC}
    `));
    for (let minute = 0; minute <= 20; minute++) await tick(minute);
    // Nothing finishes the first run, so every later tick is skipped.
    const runs = (await store.jobs.list({ job: 'ci-slow' }, { limit: 100 })).jobs;
    expect(runs).toHaveLength(1);
    expect((await store.periodics.get('ci-slow'))?.lastRunAt).toBe(T0 + 20 * MINUTE);
    await store.close();
  });
});
