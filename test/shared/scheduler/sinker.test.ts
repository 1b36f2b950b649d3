import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../shared/log/logger';
import type { ProwJobState } from '../../../shared/prowjob/schema';
import { cleanUpProwJobs, judgeProwJob } from '../../../shared/scheduler/sinker';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded } from '../../support/config';
import { testProwJob, type TestJobOptions } from '../../support/prowjobs';

/**
 * The ProwJob half of Prow's sinker, as the scheduler runs it: an embedded store whose clock the
 * test moves, jobs created in the past by setting that clock back, and one cleanup call per tick.
 */
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SPEC = 'spec: {containers: [{image: alpine, command: [true]}]}';

function setUp(files: { config?: string; jobs?: Record<string, string> } = {}) {
  let now = NOW;
  const store = EmbeddedStore.open({ now: () => now });
  const config = expectLoaded(buildFromFiles(files));
  const log = memoryLogger();
  return {
    store,
    log,
    /** A job created `ageMs` ago and moved to `state` right after (one at a time: it moves the clock). */
    async job(ageMs: number, state: ProwJobState, options: TestJobOptions = {}): Promise<string> {
      const saved = now;
      now = NOW - ageMs;
      const job = testProwJob(options);
      const name = job.metadata.name ?? '';
      await store.jobs.create(job, { idempotencyKey: name });
      if (state !== 'triggered') await store.jobs.update(name, { state: 'pending' }, 'latest');
      if (state !== 'triggered' && state !== 'pending') await store.jobs.update(name, { state }, 'latest');
      now = saved;
      return name;
    },
    cleanUp: (options?: { maxDeletes?: number }) => cleanUpProwJobs({ store, config, log }, new Date(now), options),
    exists: async (name: string) => (await store.jobs.get(name)) !== undefined,
  };
}

describe('ProwJob cleanup', () => {
  it('deletes finished jobs past max_prowjob_age (7 days by default) in every final state and keeps younger ones', async () => {
    const { job, cleanUp, exists, store } = setUp();
    const old: string[] = [];
    for (const state of ['success', 'failure', 'aborted', 'error'] as const) old.push(await job(10 * DAY, state));
    const recent = await job(2 * DAY, 'success');
    const justUnder = await job(7 * DAY - 1000, 'failure');
    expect(await cleanUp()).toEqual({ deleted: 4, kept: 0, failed: 0, more: false });
    for (const name of old) expect(await exists(name)).toBe(false);
    expect(await exists(recent)).toBe(true);
    expect(await exists(justUnder)).toBe(true);
    await store.close();
  });

  it('honours max_prowjob_age from config', async () => {
    const { job, cleanUp, exists, store } = setUp({ config: 'sinker:\n  max_prowjob_age: 48h\n' });
    const threeDays = await job(3 * DAY, 'success');
    const oneDay = await job(DAY, 'success');
    expect(await cleanUp()).toMatchObject({ deleted: 1, more: false });
    expect(await exists(threeDays)).toBe(false);
    expect(await exists(oneDay)).toBe(true);
    await store.close();
  });

  it('never deletes an active job, however old', async () => {
    const { job, cleanUp, exists, store } = setUp();
    const triggered = await job(30 * DAY, 'triggered');
    const pending = await job(30 * DAY, 'pending');
    expect(await cleanUp()).toEqual({ deleted: 0, kept: 0, failed: 0, more: false });
    expect(await exists(triggered)).toBe(true);
    expect(await exists(pending)).toBe(true);
    await store.close();
  });

  it('keeps the latest run of a periodic still in config, and the run horologium last started', async () => {
    const { job, cleanUp, exists, store } = setUp({ jobs: { 'periodics.yaml': `periodics:\n- name: ci-monthly\n  interval: 720h\n  ${SPEC}\n` } });
    const periodic = { type: 'periodic', job: 'ci-monthly' } as const;
    const oldest = await job(60 * DAY, 'success', periodic);
    const older = await job(30 * DAY, 'failure', periodic);
    const scheduled = await job(10 * DAY, 'success', periodic);
    // Someone ran it by hand after horologium did: that is now the newest run.
    const byHand = await job(9 * DAY, 'success', periodic);
    expect(await store.periodics.advance({ job: 'ci-monthly', lastRunAt: NOW - 10 * DAY, lastJobName: scheduled }, undefined)).toBe(true);
    // A postsubmit of another name, as old, is not protected by any of this.
    const postsubmit = await job(60 * DAY, 'success');

    expect(await cleanUp()).toEqual({ deleted: 3, kept: 2, failed: 0, more: false });
    expect(await exists(oldest)).toBe(false);
    expect(await exists(older)).toBe(false);
    expect(await exists(postsubmit)).toBe(false);
    expect(await exists(scheduled)).toBe(true);
    expect(await exists(byHand)).toBe(true);
    // Kept runs stay kept on the following calls.
    expect(await cleanUp()).toEqual({ deleted: 0, kept: 2, failed: 0, more: false });
    await store.close();
  });

  it('deletes every old run of a periodic once it is in config no more, its last run included', async () => {
    const { job, cleanUp, exists, store } = setUp({ jobs: { 'periodics.yaml': `periodics:\n- name: ci-still-here\n  interval: 720h\n  ${SPEC}\n` } });
    const removed = { type: 'periodic', job: 'ci-retired' } as const;
    const first = await job(20 * DAY, 'success', removed);
    const last = await job(10 * DAY, 'success', removed);
    expect(await store.periodics.advance({ job: 'ci-retired', lastRunAt: NOW - 10 * DAY, lastJobName: last }, undefined)).toBe(true);
    expect(await cleanUp()).toEqual({ deleted: 2, kept: 0, failed: 0, more: false });
    expect(await exists(first)).toBe(false);
    expect(await exists(last)).toBe(false);
    await store.close();
  });

  it('keeps a periodic’s latest run even when it is not old, letting the older ones go', async () => {
    const { job, cleanUp, exists, store } = setUp({ jobs: { 'periodics.yaml': `periodics:\n- name: ci-daily\n  interval: 24h\n  ${SPEC}\n` } });
    const periodic = { type: 'periodic', job: 'ci-daily' } as const;
    const old = await job(8 * DAY, 'success', periodic);
    // The latest run is still going: the old ones are no longer what horologium needs.
    const running = await job(HOUR, 'pending', periodic);
    expect(await cleanUp()).toMatchObject({ deleted: 1, kept: 0 });
    expect(await exists(old)).toBe(false);
    expect(await exists(running)).toBe(true);
    await store.close();
  });

  it('bounds the deletes of one call and carries on at the next', async () => {
    const { job, cleanUp, store } = setUp();
    for (let i = 0; i < 5; i++) await job(10 * DAY + i * HOUR, i % 2 === 0 ? 'success' : 'failure');
    const young = await job(DAY, 'success');
    expect(await cleanUp({ maxDeletes: 2 })).toEqual({ deleted: 2, kept: 0, failed: 0, more: true });
    expect(await cleanUp({ maxDeletes: 2 })).toEqual({ deleted: 2, kept: 0, failed: 0, more: true });
    expect(await cleanUp({ maxDeletes: 2 })).toEqual({ deleted: 1, kept: 0, failed: 0, more: false });
    expect((await store.jobs.list({}, { limit: 100 })).jobs.map((stored) => stored.job.metadata.name)).toEqual([young]);
    await store.close();
  });

  it('logs one line per deleted job with its job, ID, repository, state and age', async () => {
    const { job, cleanUp, log, store } = setUp();
    const name = await job(10 * DAY, 'failure', { job: 'pull-widgets-unit', pull: 7 });
    await cleanUp();
    expect(log.entries.filter((entry) => entry.message === 'deleted old ProwJob')).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        job: 'pull-widgets-unit',
        jobId: name,
        repo: 'acme/widgets',
        type: 'presubmit',
        state: 'failure',
        age: '240h0m0s',
        reason: 'aged',
      }),
    ]);
    await store.close();
  });
});

describe('judgeProwJob', () => {
  const context = { now: NOW, maxProwJobAgeMs: 7 * DAY, configuredPeriodics: new Set(['ci-nightly']), periodicRunsToKeep: new Map<string, ReadonlySet<string>>() };

  it('keeps every run of a configured periodic whose latest run could not be looked up', () => {
    const job = testProwJob({ type: 'periodic', job: 'ci-nightly' });
    job.status = { state: 'success', startTime: '2026-01-01T00:00:00Z' };
    expect(judgeProwJob({ job, revision: 3, createdAt: NOW - 30 * DAY, updatedAt: NOW - 30 * DAY }, context)).toEqual({ action: 'keep', reason: 'periodic-runs-unknown' });
  });

  it('deletes at exactly past the age, not at it, as Prow does', () => {
    const job = testProwJob();
    job.status = { state: 'success', startTime: '2026-01-01T00:00:00Z' };
    const stored = (ageMs: number) => ({ job, revision: 3, createdAt: NOW - ageMs, updatedAt: NOW });
    expect(judgeProwJob(stored(7 * DAY), context)).toEqual({ action: 'keep', reason: 'young' });
    expect(judgeProwJob(stored(7 * DAY + 1), context)).toEqual({ action: 'delete', reason: 'aged', ageMs: 7 * DAY + 1 });
  });
});
