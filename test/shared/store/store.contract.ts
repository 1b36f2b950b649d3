import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  InvalidQueryError,
  InvalidTransitionError,
  JobExistsError,
  JobNotFoundError,
  StaleLeaseError,
} from '../../../shared/store/errors';
import { RECORD_RETENTION_MS, type JobChange, type Lease, type Store, type StoredJob } from '../../../shared/store/store';
import { jobNameForKey, namedForKey } from '../../../shared/prowjob/names';
import { RUNNER_PRESENCE_RETENTION_MS, type RunnerPresence } from '../../../shared/store/runners';
import { testProwJob, type TestJobOptions } from '../../support/prowjobs';
import { waitFor } from '../../support/wait';

/**
 * The behaviour every Store implementation must have. Run against each implementation by
 * test/shared/store/store.test.ts; an implementation is only done when all of this passes on it.
 */

/** A clock the test moves by hand, so lease expiry needs no sleeping. */
export class TestClock {
  constructor(private current = Date.UTC(2026, 10, 24, 12, 0, 0)) {}
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface OpenedStore {
  store: Store;
  cleanup: () => Promise<void>;
  /** Closes and opens the store again, for an implementation that keeps its data (durability). */
  reopen?: () => Promise<Store>;
}

export type OpenStore = (clock: TestClock) => Promise<OpenedStore>;

const LEASE_MS = 30_000;


export function describeStoreContract(implementation: string, open: OpenStore): void {
  describe(`store contract [${implementation}]`, () => {
    let clock: TestClock;
    let store: Store;
    let cleanup: () => Promise<void>;
    let reopen: (() => Promise<Store>) | undefined;

    beforeEach(async () => {
      clock = new TestClock();
      ({ store, cleanup, reopen } = await open(clock));
    });
    afterEach(async () => {
      await cleanup();
    });

    async function createJob(options: TestJobOptions = {}): Promise<StoredJob> {
      const job = testProwJob(options);
      const result = await store.jobs.create(job, { idempotencyKey: `key-${job.metadata.name}` });
      if (!result.created) throw new Error('expected a new job');
      clock.advance(1);
      return result.job;
    }

    async function startJob(name: string): Promise<{ lease: Lease; job: StoredJob }> {
      const claim = await store.jobs.claim(name, { cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS });
      if (!claim) throw new Error(`could not claim ${name}`);
      const job = await store.jobs.update(name, { state: 'pending', status: { pod_name: name } }, { lease: claim.lease });
      return { lease: claim.lease, job };
    }

    describe('ProwJobs', () => {
      it('stores a ProwJob in Prow’s shape and reads it back unchanged, stamped as triggered', async () => {
        const job = testProwJob({ pull: 7 });
        const { created } = await store.jobs.create(job, { idempotencyKey: 'delivery-1/unit-tests' });
        expect(created).toBe(true);
        const stored = await store.jobs.get(job.metadata.name ?? '');
        expect(stored?.revision).toBe(1);
        expect(stored?.job.spec).toEqual(job.spec);
        expect(stored?.job.metadata.labels).toEqual(job.metadata.labels);
        expect(stored?.job.status).toEqual({ state: 'triggered', startTime: '2026-11-24T12:00:00Z' });
        expect(stored?.job.metadata.creationTimestamp).toBe('2026-11-24T12:00:00Z');
        expect(await store.jobs.get('no-such-job')).toBeUndefined();
      });

      it('creates one job per idempotency key, even when the same event is retried concurrently', async () => {
        const attempts = await Promise.all(
          Array.from({ length: 6 }, () => store.jobs.create(testProwJob(), { idempotencyKey: 'delivery-42/e2e' })),
        );
        const created = attempts.filter((attempt) => attempt.created);
        expect(created).toHaveLength(1);
        const winner = created[0]?.job.job.metadata.name;
        for (const attempt of attempts) {
          if (!attempt.created) {
            expect(attempt.name).toBe(winner);
            expect(attempt.job?.job.metadata.name).toBe(winner);
          }
        }
        expect((await store.jobs.list({})).jobs).toHaveLength(1);
      });

      it('refuses a second, different job under a name already taken', async () => {
        const first = await createJob();
        const name = first.job.metadata.name ?? '';
        await expect(
          store.jobs.create(testProwJob({ name }), { idempotencyKey: 'another-cause' }),
        ).rejects.toBeInstanceOf(JobExistsError);
      });

      it('lists newest first and filters by state, job, repo, PR, author, cluster and type', async () => {
        const a = await createJob({ job: 'unit', pull: 1, author: 'alice' });
        const b = await createJob({ job: 'e2e', pull: 1, author: 'alice', cluster: 'gpu' });
        const c = await createJob({ job: 'unit', pull: 2, author: 'bob' });
        const d = await createJob({ job: 'unit', org: 'other', repo: 'thing', type: 'periodic' });
        await startJob(a.job.metadata.name ?? '');
        const names = async (query: Parameters<Store['jobs']['list']>[0]) =>
          (await store.jobs.list(query)).jobs.map((job) => job.job.metadata.name);
        const [na, nb, nc, nd] = [a, b, c, d].map((job) => job.job.metadata.name);
        expect(await names({})).toEqual([nd, nc, nb, na]);
        expect(await names({ job: 'unit' })).toEqual([nd, nc, na]);
        expect(await names({ state: 'pending' })).toEqual([na]);
        expect(await names({ state: 'triggered', job: 'unit' })).toEqual([nd, nc]);
        expect(await names({ repo: 'acme/widgets', pull: 1 })).toEqual([nb, na]);
        expect(await names({ org: 'other' })).toEqual([nd]);
        expect(await names({ author: 'bob' })).toEqual([nc]);
        expect(await names({ cluster: 'gpu' })).toEqual([nb]);
        expect(await names({ type: 'periodic' })).toEqual([nd]);
        expect(await names({ repo: 'acme/widgets', pull: 3 })).toEqual([]);
      });

      it('pages through every match by cursor, without gaps or repeats', async () => {
        for (let i = 0; i < 23; i++) await createJob({ job: i % 2 ? 'odd' : 'even' });
        // Jobs created in the same millisecond still page in a stable order.
        for (const key of ['same-ms-1', 'same-ms-2', 'same-ms-3']) {
          await store.jobs.create(testProwJob({ job: 'even' }), { idempotencyKey: key });
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.jobs.list({ job: 'even' }, cursor === undefined ? { limit: 5 } : { limit: 5, cursor });
          seen.push(...page.jobs.map((job) => job.job.metadata.name ?? ''));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== undefined);
        const evens = (await store.jobs.list({ job: 'even' }, { limit: 1000 })).jobs.map((j) => j.job.metadata.name);
        expect(evens).toHaveLength(15);
        expect(seen).toEqual(evens);
        expect(pages).toBe(3);
      });

      it('lists only jobs created before a time when asked, still newest first and by cursor', async () => {
        const created: string[] = [];
        for (let i = 0; i < 6; i++) {
          created.push((await createJob({ job: 'unit' })).job.metadata.name ?? '');
          clock.advance(60_000);
        }
        const stamps = await Promise.all(created.map(async (name) => (await store.jobs.get(name))?.createdAt ?? 0));
        const bound = stamps[4] ?? 0;
        const older = [created[3], created[2], created[1], created[0]];
        expect((await store.jobs.list({ job: 'unit' }, { createdBefore: bound })).jobs.map((j) => j.job.metadata.name)).toEqual(older);
        const first = await store.jobs.list({}, { createdBefore: bound, limit: 3 });
        expect(first.nextCursor).toBeDefined();
        const second = await store.jobs.list({}, { createdBefore: bound, limit: 3, cursor: first.nextCursor as string });
        expect([...first.jobs, ...second.jobs].map((j) => j.job.metadata.name)).toEqual(older);
      });

      it('rejects a forged cursor and an impossible page size with a clear error', async () => {
        await expect(store.jobs.list({}, { cursor: 'not-a-cursor' })).rejects.toThrow(/invalid page cursor/);
        await expect(store.jobs.list({}, { limit: 0 })).rejects.toBeInstanceOf(InvalidQueryError);
      });

      it('moves along Prow’s lifecycle, stamping pending and completion times', async () => {
        const created = await createJob();
        const name = created.job.metadata.name ?? '';
        clock.advance(60_000);
        const pending = await store.jobs.update(name, { state: 'pending', status: { pod_name: 'pod-1' } }, 'latest');
        expect(pending.job.status?.pendingTime).toBe('2026-11-24T12:01:00Z');
        expect(pending.revision).toBe(created.revision + 1);
        clock.advance(60_000);
        const done = await store.jobs.update(name, { state: 'failure', status: { description: 'Job failed.' } }, 'latest');
        expect(done.job.status).toMatchObject({
          state: 'failure',
          pod_name: 'pod-1',
          description: 'Job failed.',
          completionTime: '2026-11-24T12:02:00Z',
        });
        await expect(store.jobs.update(name, { state: 'pending' }, 'latest')).rejects.toBeInstanceOf(InvalidTransitionError);
        expect((await store.jobs.get(name))?.job.status?.state).toBe('failure');
      });

      it('refuses to finish a job that never started, or to touch a missing one', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        await expect(store.jobs.update(name, { state: 'success' }, 'latest')).rejects.toBeInstanceOf(InvalidTransitionError);
        const aborted = await store.jobs.update(name, { state: 'aborted' }, 'latest');
        expect(aborted.job.status?.state).toBe('aborted');
        await expect(store.jobs.update('missing', { state: 'aborted' }, 'latest')).rejects.toBeInstanceOf(JobNotFoundError);
      });

      it('lets exactly one of two concurrent transitions from the same revision win', async () => {
        const { job } = await startJob((await createJob()).job.metadata.name ?? '');
        const name = job.job.metadata.name ?? '';
        const results = await Promise.allSettled([
          store.jobs.update(name, { state: 'success' }, { revision: job.revision }),
          store.jobs.update(name, { state: 'aborted' }, { revision: job.revision }),
        ]);
        const won = results.filter((result) => result.status === 'fulfilled');
        const lost = results.filter((result) => result.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
        const winner = (won[0] as PromiseFulfilledResult<StoredJob>).value.job.status?.state;
        expect((await store.jobs.get(name))?.job.status?.state).toBe(winner);
      });

      it('rejects a write based on a revision someone else has since replaced', async () => {
        const created = await createJob();
        const name = created.job.metadata.name ?? '';
        await store.jobs.update(name, { status: { description: 'waiting for capacity' } }, { revision: created.revision });
        await expect(
          store.jobs.update(name, { state: 'aborted' }, { revision: created.revision }),
        ).rejects.toBeInstanceOf(ConflictError);
      });

      it('deletes jobs, and what was reported for them with them', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        await store.jobs.markReported(name, undefined, { 'github-status:unit-tests': { state: 'triggered', reportedAt: clock.now() } });
        await store.jobs.delete(name);
        await store.jobs.delete(name);
        expect(await store.jobs.get(name)).toBeUndefined();
      });

      it('creates a job named by its idempotency key once: a repeat returns it, whatever else it carries', async () => {
        const key = 'delivery-9/pull-unit';
        const first = await store.jobs.create(namedForKey(testProwJob({ pull: 9 }), key), { idempotencyKey: key });
        expect(first.created).toBe(true);
        const name = first.created ? first.job.job.metadata.name : '';
        expect(name).toBe(jobNameForKey(key));
        const again = await store.jobs.create(namedForKey(testProwJob({ pull: 10 }), key), { idempotencyKey: key });
        expect(again).toMatchObject({ created: false, name });
        expect(again.job?.job.spec.refs?.pulls?.[0]?.number).toBe(9);
        expect((await store.jobs.list({ repo: 'acme/widgets' })).jobs.map((j) => j.job.metadata.name)).toEqual([name]);
      });
    });

    describe('leases', () => {
      it('leases a job and applies its start in one write, as applyUpdate would', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        const request = { cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS };
        const claim = await store.jobs.claim(name, request, { state: 'pending', status: { pod_name: name, build_id: '42' } });
        expect(claim?.job.job.status).toMatchObject({ state: 'pending', pod_name: name, build_id: '42' });
        expect(claim?.job.job.status?.pendingTime).toBeDefined();
        const stored = await store.jobs.get(name);
        expect(stored?.revision).toBe(2);
        expect(stored?.lease).toEqual(claim?.lease);
        expect(stored?.job.status?.state).toBe('pending');
        // Another runner cannot take it, started or not.
        expect(await store.jobs.claim(name, { ...request, holder: 'runner-b' }, { state: 'pending' })).toBeUndefined();
      });

      it('only leases, with a start, a job a runner already started: its build stays the one to adopt', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        const request = { cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS };
        const first = await store.jobs.claim(name, request, { state: 'pending', status: { pod_name: name, build_id: '1' } });
        if (!first) throw new Error('claim failed');
        await store.jobs.release(first.lease);
        const adopted = await store.jobs.claim(name, { ...request, holder: 'runner-b' }, { state: 'pending', status: { pod_name: name, build_id: '2' } });
        expect(adopted?.lease.holder).toBe('runner-b');
        expect(adopted?.job.job.status?.build_id).toBe('1');
        expect((await store.jobs.get(name))?.job.status?.build_id).toBe('1');
      });

      it('leases a triggered job to one runner of its cluster at a time', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        const claim = await store.jobs.claim(name, { cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS });
        expect(claim?.lease).toEqual({ jobName: name, holder: 'runner-a', token: 1, expiresAt: clock.now() + LEASE_MS });
        expect(await store.jobs.claim(name, { cluster: 'default', holder: 'runner-b', ttlMs: LEASE_MS })).toBeUndefined();
        expect(await store.jobs.claim(name, { cluster: 'gpu', holder: 'runner-c', ttlMs: LEASE_MS })).toBeUndefined();
        expect(await store.jobs.claim('missing', { cluster: 'default', holder: 'runner-b', ttlMs: LEASE_MS })).toBeUndefined();
      });

      it('extends a lease on heartbeat, and hands an expired one to the next claimer with a higher token', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        const first = await store.jobs.claim(name, { cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS });
        if (!first) throw new Error('claim failed');
        clock.advance(LEASE_MS - 1_000);
        const renewed = await store.jobs.renew(first.lease, LEASE_MS);
        expect(renewed.expiresAt).toBe(clock.now() + LEASE_MS);
        clock.advance(LEASE_MS - 1_000);
        expect(await store.jobs.claim(name, { cluster: 'default', holder: 'runner-b', ttlMs: LEASE_MS })).toBeUndefined();

        // runner-a stops heartbeating: once its lease runs out, runner-b takes over.
        clock.advance(2_000);
        const second = await store.jobs.claim(name, { cluster: 'default', holder: 'runner-b', ttlMs: LEASE_MS });
        expect(second?.lease.token).toBe(2);
        await expect(store.jobs.renew(renewed, LEASE_MS)).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(store.jobs.update(name, { state: 'pending' }, { lease: renewed })).rejects.toBeInstanceOf(StaleLeaseError);
        const pending = await store.jobs.update(name, { state: 'pending' }, { lease: second?.lease as Lease });
        expect(pending.job.status?.state).toBe('pending');
        expect(pending.lease?.holder).toBe('runner-b');
      });

      it('rejects a late write from a lease that expired even when nobody has claimed since', async () => {
        const { lease } = await startJob((await createJob()).job.metadata.name ?? '');
        clock.advance(LEASE_MS + 1);
        await expect(store.jobs.update(lease.jobName, { state: 'success' }, { lease })).rejects.toBeInstanceOf(StaleLeaseError);
        expect((await store.jobs.get(lease.jobName))?.job.status?.state).toBe('pending');
      });

      it('frees a job when its lease is released, and never leases a finished job', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        const first = await store.jobs.claim(name, { cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS });
        await store.jobs.release(first?.lease as Lease);
        await store.jobs.release(first?.lease as Lease);
        const second = await store.jobs.claim(name, { cluster: 'default', holder: 'runner-b', ttlMs: LEASE_MS });
        expect(second?.lease.token).toBe(2);
        await store.jobs.update(name, { state: 'pending' }, { lease: second?.lease as Lease });
        await store.jobs.update(name, { state: 'success' }, { lease: second?.lease as Lease });
        clock.advance(LEASE_MS * 2);
        expect(await store.jobs.claim(name, { cluster: 'default', holder: 'runner-c', ttlMs: LEASE_MS })).toBeUndefined();
        expect(await store.jobs.claimNext({ cluster: 'default', holder: 'runner-c', ttlMs: LEASE_MS })).toBeUndefined();
      });

      it('claims the oldest claimable job of the runner’s cluster next', async () => {
        const oldest = await createJob();
        await createJob({ cluster: 'gpu' });
        const newer = await createJob();
        const first = await store.jobs.claimNext({ cluster: 'default', holder: 'runner-a', ttlMs: LEASE_MS });
        expect(first?.job.job.metadata.name).toBe(oldest.job.metadata.name);
        const second = await store.jobs.claimNext({ cluster: 'default', holder: 'runner-b', ttlMs: LEASE_MS });
        expect(second?.job.job.metadata.name).toBe(newer.job.metadata.name);
        expect(await store.jobs.claimNext({ cluster: 'default', holder: 'runner-c', ttlMs: LEASE_MS })).toBeUndefined();
        // A crashed runner's running job comes back once its lease has expired.
        clock.advance(LEASE_MS + 1);
        const adopted = await store.jobs.claimNext({ cluster: 'default', holder: 'runner-c', ttlMs: LEASE_MS });
        expect(adopted?.lease.token).toBe(2);
      });

      it('leases each of 300 jobs exactly once to 8 concurrent claimers', async () => {
        const names = new Set<string>();
        for (let batch = 0; batch < 6; batch++) {
          const jobs = await Promise.all(
            Array.from({ length: 50 }, () =>
              store.jobs.create(testProwJob(), { idempotencyKey: `bulk-${names.size}-${Math.random()}` }),
            ),
          );
          for (const result of jobs) if (result.created) names.add(result.job.job.metadata.name ?? '');
          clock.advance(1);
        }
        expect(names.size).toBe(300);
        const claimedBy = await Promise.all(
          Array.from({ length: 8 }, async (_, index) => {
            const mine: Lease[] = [];
            for (;;) {
              const claim = await store.jobs.claimNext({ cluster: 'default', holder: `runner-${index}`, ttlMs: LEASE_MS });
              if (!claim) return mine;
              mine.push(claim.lease);
            }
          }),
        );
        const leases = claimedBy.flat();
        expect(leases).toHaveLength(300);
        expect(new Set(leases.map((lease) => lease.jobName))).toEqual(names);
        expect(leases.every((lease) => lease.token === 1)).toBe(true);
        expect(claimedBy.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
      });
    });

    describe('change feed', () => {
      it('delivers the matching jobs, then each change, including jobs leaving the query', async () => {
        const existing = await createJob({ cluster: 'build' });
        await createJob({ cluster: 'other' });
        const changes: JobChange[] = [];
        const watch = store.jobs.watch({ cluster: 'build', state: 'triggered' }, (change) => changes.push(change));
        await watch.ready;
        expect(changes.map((change) => [change.kind, change.job.job.metadata.name])).toEqual([
          ['added', existing.job.metadata.name],
        ]);
        const fresh = await createJob({ cluster: 'build' });
        await waitFor(() => changes.length === 2, 'the new job');
        expect(changes[1]).toMatchObject({ kind: 'added', job: { job: { metadata: { name: fresh.job.metadata.name } } } });
        await store.jobs.update(existing.job.metadata.name ?? '', { state: 'aborted' }, 'latest');
        await waitFor(() => changes.length === 3, 'the aborted job to leave the query');
        expect(changes[2]?.kind).toBe('removed');
        expect(changes[2]?.job.job.metadata.name).toBe(existing.job.metadata.name);
        watch.close();
        await createJob({ cluster: 'build' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(changes).toHaveLength(3);
      });

      it('reports modifications of a watched job in order', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        const states: string[] = [];
        const watch = store.jobs.watch({ job: 'unit-tests' }, (change) => states.push(`${change.kind}:${change.job.job.status?.state}`));
        await watch.ready;
        const { lease } = await startJob(name);
        await store.jobs.update(name, { state: 'success' }, { lease });
        await waitFor(() => states.at(-1) === 'modified:success', 'the success');
        watch.close();
        expect(states[0]).toBe('added:triggered');
        expect(states.indexOf('modified:pending')).toBeGreaterThan(0);
      });
    });

    describe('webhook deliveries', () => {
      const ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

      it('knows a delivery as accepted once recorded, until its record expires', async () => {
        expect(await store.deliveries.isAccepted(ID)).toBe(false);
        await store.deliveries.recordAccepted(ID);
        await store.deliveries.recordAccepted(ID);
        expect(await store.deliveries.isAccepted(ID)).toBe(true);
        clock.advance(RECORD_RETENTION_MS.delivery + 1);
        expect(await store.deliveries.isAccepted(ID)).toBe(false);
        expect(await store.deliveries.get(ID)).toBeUndefined();
      });

      it('runs a delivery once: one claim wins, a held claim waits, a finished one is done', async () => {
        expect(await store.deliveries.claimProcessing(ID, 'attempt-1', 30_000)).toEqual({ outcome: 'claimed', takeover: false });
        expect(await store.deliveries.claimProcessing(ID, 'attempt-2', 30_000)).toEqual({
          outcome: 'held',
          lease: { holder: 'attempt-1', expiresAt: clock.now() + 30_000 },
        });
        await store.deliveries.finishProcessing(ID);
        expect(await store.deliveries.claimProcessing(ID, 'attempt-2', 30_000)).toEqual({ outcome: 'done' });
        expect(await store.deliveries.renewProcessing(ID, 'attempt-1', 30_000)).toBe(false);
      });

      it('lets a later attempt take over once a crashed attempt’s claim has lapsed, unless it was renewed', async () => {
        await store.deliveries.claimProcessing(ID, 'attempt-1', 30_000);
        clock.advance(20_000);
        expect(await store.deliveries.renewProcessing(ID, 'attempt-1', 30_000)).toBe(true);
        clock.advance(20_000);
        expect((await store.deliveries.claimProcessing(ID, 'attempt-2', 30_000)).outcome).toBe('held');
        clock.advance(10_001);
        expect(await store.deliveries.claimProcessing(ID, 'attempt-2', 30_000)).toEqual({ outcome: 'claimed', takeover: true });
        expect(await store.deliveries.renewProcessing(ID, 'attempt-1', 30_000)).toBe(false);
      });

      it('frees a released claim at once, and keeps the accepted and processing halves apart', async () => {
        await store.deliveries.claimProcessing(ID, 'attempt-1', 30_000);
        // The consumer may run before the webhook records the delivery (publish, then record).
        await store.deliveries.recordAccepted(ID);
        expect((await store.deliveries.get(ID))?.processing?.holder).toBe('attempt-1');
        await store.deliveries.releaseProcessing(ID, 'attempt-2');
        expect((await store.deliveries.claimProcessing(ID, 'attempt-2', 30_000)).outcome).toBe('held');
        await store.deliveries.releaseProcessing(ID, 'attempt-1');
        expect(await store.deliveries.claimProcessing(ID, 'attempt-2', 30_000)).toEqual({ outcome: 'claimed', takeover: false });
        await store.deliveries.finishProcessing(ID);
        expect(await store.deliveries.get(ID)).toMatchObject({ accepted: true, done: true });
        expect((await store.deliveries.get(ID))?.processing).toBeUndefined();
      });

      it('counts the deliveries recorded since a time, without the older ones', async () => {
        const start = clock.now();
        await store.deliveries.recordAccepted('early-1');
        await store.deliveries.recordAccepted('early-2');
        clock.advance(30 * 60_000);
        const halfway = clock.now();
        await store.deliveries.recordAccepted('late-1');
        // A redelivery of an accepted delivery is no new delivery.
        await store.deliveries.recordAccepted('early-1');
        expect(await store.deliveries.countSince(start)).toBe(3);
        expect(await store.deliveries.countSince(halfway)).toBe(1);
        expect(await store.deliveries.countSince(halfway + 1)).toBe(0);
        clock.advance(RECORD_RETENTION_MS.delivery);
        expect(await store.deliveries.countSince(clock.now() - 60_000)).toBe(0);
      });

      it('lets exactly one of several concurrent copies of a delivery claim it', async () => {
        const claims = await Promise.all(
          Array.from({ length: 5 }, (_, i) => store.deliveries.claimProcessing('delivery/with/slashes', `attempt-${i}`, 30_000)),
        );
        expect(claims.filter((claim) => claim.outcome === 'claimed')).toHaveLength(1);
        expect(claims.filter((claim) => claim.outcome === 'held')).toHaveLength(4);
      });
    });

    describe('periodic runs', () => {
      it('advances a periodic’s last run by compare-and-set, one winner per tick', async () => {
        expect(await store.periodics.get('ci-nightly')).toBeUndefined();
        const first = await Promise.all([
          store.periodics.advance({ job: 'ci-nightly', lastRunAt: 1000, lastJobName: 'job-1' }, undefined),
          store.periodics.advance({ job: 'ci-nightly', lastRunAt: 1000, lastJobName: 'job-1b' }, undefined),
        ]);
        expect(first.filter(Boolean)).toHaveLength(1);
        const next = await Promise.all([
          store.periodics.advance({ job: 'ci-nightly', lastRunAt: 2000, lastJobName: 'job-2' }, 1000),
          store.periodics.advance({ job: 'ci-nightly', lastRunAt: 2000, lastJobName: 'job-2b' }, 1000),
        ]);
        expect(next.filter(Boolean)).toHaveLength(1);
        expect((await store.periodics.get('ci-nightly'))?.lastRunAt).toBe(2000);
        expect(await store.periodics.advance({ job: 'ci-nightly', lastRunAt: 3000 }, 1000)).toBe(false);
      });
    });

    describe('status reconciler record', () => {
      const record = (revision: number, jobs: string[]) => ({
        revision,
        fingerprint: `fp-${jobs.join(',')}`,
        recordedAt: clock.now(),
        repos: { 'acme/widgets': jobs.map((name) => ({ name, context: name, always_run: true, branches: ['^main$'] })) },
      });

      it('stores the reconciled presubmits by compare-and-set on the revision, one winner per change', async () => {
        expect(await store.statusReconciler.get()).toBeUndefined();
        const first = await Promise.all([
          store.statusReconciler.advance(record(1, ['unit']), undefined),
          store.statusReconciler.advance(record(1, ['unit', 'lint']), undefined),
        ]);
        expect(first.filter(Boolean)).toHaveLength(1);
        const winner = await store.statusReconciler.get();
        expect(winner?.revision).toBe(1);

        const next = await Promise.all([
          store.statusReconciler.advance(record(2, ['e2e']), 1),
          store.statusReconciler.advance(record(2, ['e2e', 'docs']), 1),
        ]);
        expect(next.filter(Boolean)).toHaveLength(1);
        // A writer that read an older revision loses, and changes nothing.
        expect(await store.statusReconciler.advance(record(3, ['stale']), 1)).toBe(false);
        expect(await store.statusReconciler.advance(record(3, ['stale']), undefined)).toBe(false);
        const stored = await store.statusReconciler.get();
        expect(stored?.revision).toBe(2);
        expect(stored?.repos['acme/widgets']?.[0]).toEqual({ name: 'e2e', context: 'e2e', always_run: true, branches: ['^main$'] });
        expect([record(2, ['e2e']).fingerprint, record(2, ['e2e', 'docs']).fingerprint]).toContain(stored?.fingerprint);

        if (reopen) {
          store = await reopen();
          expect(await store.statusReconciler.get()).toEqual(stored);
        }
      });
    });

    describe("scheduler's last tick", () => {
      it('keeps only the latest tick, with its summary and failed parts', async () => {
        expect(await store.schedulerTicks.last()).toBeUndefined();
        const first = { startedAt: clock.now(), finishedAt: clock.now() + 40, summary: { periodics_started: 2, reports: 'off' }, failed: [] };
        await store.schedulerTicks.record(first);
        expect(await store.schedulerTicks.last()).toEqual(first);
        const second = {
          startedAt: clock.now() + 60_000,
          finishedAt: clock.now() + 60_900,
          summary: { periodics_started: 0, reports: 'failed' },
          failed: [{ part: 'report sweep', error: 'store unavailable' }],
        };
        await store.schedulerTicks.record(second);
        expect(await store.schedulerTicks.last()).toEqual(second);
        if (reopen) {
          store = await reopen();
          expect(await store.schedulerTicks.last()).toEqual(second);
        }
      });
    });

    describe('runner presence', () => {
      const beat = (holder: string, cluster: string, at: number, extra: Partial<RunnerPresence> = {}): RunnerPresence => ({
        cluster,
        holder,
        jobsHeld: 0,
        startedAt: clock.now(),
        lastHeartbeatAt: at,
        ...extra,
      });

      it('keeps one record per runner, the latest beat, listed by cluster and holder', async () => {
        expect(await store.runners.list()).toEqual([]);
        const started = clock.now();
        await store.runners.beat(beat('gke/runner-b-1', 'gke', started));
        await store.runners.beat(beat('local', 'default', started, { version: '0.1.0' }));
        clock.advance(60_000);
        const latest = beat('gke/runner-b-1', 'gke', clock.now(), { jobsHeld: 3, startedAt: started });
        await store.runners.beat(latest);
        // Local mode runs one runner per cluster under one holder: each keeps its own record.
        await store.runners.beat(beat('local', 'gke', clock.now()));
        const listed = await store.runners.list();
        expect(listed.map((runner) => `${runner.cluster} ${runner.holder}`)).toEqual(['default local', 'gke gke/runner-b-1', 'gke local']);
        expect(listed[0]).toEqual(beat('local', 'default', started, { version: '0.1.0', startedAt: started }));
        expect(listed[1]).toEqual(latest);
        if (reopen) {
          store = await reopen();
          expect(await store.runners.list()).toEqual(listed);
        }
      });

      it('records a clean stop, which a restart under the same identity clears', async () => {
        await store.runners.beat(beat('local', 'default', clock.now(), { stoppedAt: clock.now() }));
        expect((await store.runners.list())[0]?.stoppedAt).toBe(clock.now());
        clock.advance(1_000);
        await store.runners.beat(beat('local', 'default', clock.now()));
        expect((await store.runners.list())[0]?.stoppedAt).toBeUndefined();
      });

      it('forgets a runner not heard from for a day', async () => {
        await store.runners.beat(beat('gke/old', 'gke', clock.now()));
        clock.advance(RUNNER_PRESENCE_RETENTION_MS - 60_000);
        await store.runners.beat(beat('gke/new', 'gke', clock.now()));
        expect((await store.runners.list()).map((runner) => runner.holder)).toEqual(['gke/new', 'gke/old']);
        clock.advance(60_000);
        expect((await store.runners.list()).map((runner) => runner.holder)).toEqual(['gke/new']);
      });
    });

    describe('concurrency slots', () => {
      it('lets at most `capacity` holders in at once, even when they race', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, index) => store.slots.acquire('job:e2e', `job-${index}`, 2, LEASE_MS)),
        );
        expect(results.filter(Boolean)).toHaveLength(2);
        const holders = await store.slots.holders('job:e2e');
        expect(holders).toHaveLength(2);
        // A holder renews its slot by acquiring again; others stay out until one leaves.
        expect(await store.slots.acquire('job:e2e', holders[0] ?? '', 2, LEASE_MS)).toBe(true);
        expect(await store.slots.acquire('job:e2e', 'job-late', 2, LEASE_MS)).toBe(false);
        await store.slots.release('job:e2e', holders[0] ?? '');
        await store.slots.release('job:e2e', 'not-a-holder');
        expect(await store.slots.acquire('job:e2e', 'job-late', 2, LEASE_MS)).toBe(true);
        expect((await store.slots.holders('job:e2e')).sort()).toEqual([holders[1], 'job-late'].sort());
      });

      it('frees the slots of holders that stop renewing', async () => {
        expect(await store.slots.acquire('queue:gpu', 'job-a', 1, LEASE_MS)).toBe(true);
        expect(await store.slots.acquire('queue:gpu', 'job-b', 1, LEASE_MS)).toBe(false);
        clock.advance(LEASE_MS + 1);
        expect(await store.slots.holders('queue:gpu')).toEqual([]);
        expect(await store.slots.acquire('queue:gpu', 'job-b', 1, LEASE_MS)).toBe(true);
      });
    });

    describe('reported states', () => {
      it('owes a report for each final state until it is marked reported, and none for triggered or pending', async () => {
        const due = async () => (await store.jobs.listReportDue({ updatedBefore: clock.now() + 1 })).map((j) => j.job.metadata.name);
        const first = (await createJob()).job.metadata.name ?? '';
        const second = (await createJob()).job.metadata.name ?? '';
        const { lease } = await startJob(first);
        const { lease: secondLease } = await startJob(second);
        expect(await due()).toEqual([]);

        await store.jobs.update(second, { state: 'failure' }, { lease: secondLease });
        clock.advance(1);
        await store.jobs.update(first, { state: 'success' }, { lease });
        expect(await due()).toEqual([second, first]);
        // Not yet "before" the bound: a change the trigger is probably reporting right now.
        expect(await store.jobs.listReportDue({ updatedBefore: (await store.jobs.get(first))?.updatedAt ?? 0 })).toHaveLength(1);

        // Marking an earlier state changes nothing; marking the final one clears it without a new revision.
        await store.jobs.markReported(first, 'pending');
        expect(await due()).toEqual([second, first]);
        const before = await store.jobs.get(first);
        await store.jobs.markReported(first, 'success', { 'github-status:unit': { state: 'success', fingerprint: 'f1', reportedAt: 7 } });
        const after = await store.jobs.get(first);
        expect(after?.reportDue).toBeUndefined();
        expect(after?.revision).toBe(before?.revision);
        expect(after?.reported).toEqual({ 'github-status:unit': { state: 'success', fingerprint: 'f1', reportedAt: 7 } });
        expect(await due()).toEqual([second]);
        await store.jobs.markReported('gone', 'success');
      });

      it('keeps the last report per channel in the job, merged, through later writes', async () => {
        const name = (await createJob()).job.metadata.name ?? '';
        await store.jobs.markReported(name, undefined, { 'github-status:pull-unit': { state: 'pending', reportedAt: 1 } });
        await store.jobs.markReported(name, undefined, { 'slack:#ci': { state: 'pending', fingerprint: 'abc', reportedAt: 2 } });
        const { lease } = await startJob(name);
        await store.jobs.update(name, { state: 'failure' }, { lease });
        // Recorded without clearing: a channel of the final report failed and will be retried.
        await store.jobs.markReported(name, undefined, { 'github-status:pull-unit': { state: 'failure', reportedAt: 3 } });
        const stored = await store.jobs.get(name);
        expect(stored?.reported).toEqual({
          'github-status:pull-unit': { state: 'failure', reportedAt: 3 },
          'slack:#ci': { state: 'pending', fingerprint: 'abc', reportedAt: 2 },
        });
        expect(stored?.reportDue).toBe(true);
      });
    });
  });
}
