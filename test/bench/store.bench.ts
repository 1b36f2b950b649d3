import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedStore } from '../../shared/store/embedded';
import { FirestoreStore, type OperationCounts } from '../../shared/store/firestore';
import type { Lease, Store } from '../../shared/store/store';
import { startFirestoreEmulator } from '../support/emulators';
import { testProwJob } from '../support/prowjobs';
import { formatResults, measure } from './measure';

/**
 * The store on the Firestore emulator: document reads and writes per job lifecycle, counted by
 * the store's own instrumentation (what Firestore bills), and lease-claim throughput.
 */
export async function benchStore(): Promise<string> {
  const emulator = await startFirestoreEmulator('cutwater-bench');
  const sections: string[] = [];
  try {
    const connect = (projectId: string) => FirestoreStore.connect({ projectId, emulatorHost: emulator.host });
    sections.push(await lifecycleCounts(connect('bench-lifecycle')));
    const rows: string[] = [];
    let project = 0;
    for (const claimers of [4, 8]) {
      rows.push(await claimThroughput(`Firestore emulator`, () => connect(`bench-claims-${++project}`), claimers));
    }
    const dirs: string[] = [];
    rows.push(
      await claimThroughput('embedded, on disk (fsync)', () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-bench-'));
        dirs.push(dir);
        return EmbeddedStore.open({ dataDir: dir });
      }, 4),
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    sections.push(
      [
        '### Lease claims (400 triggered jobs, claimers calling `claimNext` until none is left)',
        '',
        '| store | claimers | jobs/s | each job leased once | reads per claim | writes per claim |',
        '|---|---:|---:|---|---:|---:|',
        ...rows,
      ].join('\n'),
    );
    sections.push(await changeFeedLatency(connect('bench-feed')));
  } finally {
    await emulator.stop();
  }
  return sections.join('\n\n');
}

export function delta(before: OperationCounts, after: OperationCounts): OperationCounts {
  return { reads: after.reads - before.reads, writes: after.writes - before.writes, deletes: after.deletes - before.deletes };
}

/** One step of a presubmit's lifecycle and the document operations it cost, as counted. */
export interface LifecycleStep {
  label: string;
  /** The heartbeat step, which a job repeats for as long as it runs. */
  heartbeat: boolean;
  counted: OperationCounts;
  ms: number;
}

/**
 * Runs one presubmit's lifecycle on `store` and returns each step's counted operations: the data
 * behind the table below and behind the cost bench (test/bench/cost.bench.ts). Closes the store.
 */
export async function countLifecycle(store: FirestoreStore): Promise<LifecycleStep[]> {
  const job = testProwJob({ pull: 42, job: 'pull-unit' });
  const name = job.metadata.name ?? '';
  const request = { cluster: 'default', holder: 'runner-1', ttlMs: 60_000 };
  let lease: Lease | undefined;
  const leaseOf = (): Lease => {
    if (!lease) throw new Error('no lease');
    return lease;
  };

  // The runner's change feed is open throughout, as in production.
  const feed = store.jobs.watch({ cluster: 'default', state: 'triggered' }, () => undefined);
  await feed.ready;

  const steps: [string, () => Promise<unknown>][] = [
    [
      'trigger: delivery accepted and claimed, ProwJob created (idempotent), delivery done',
      async () => {
        await store.deliveries.recordAccepted('bench-delivery-1');
        await store.deliveries.claimProcessing('bench-delivery-1', 'bench', 30_000);
        await store.jobs.create(job, { idempotencyKey: 'bench-delivery-1/pull-unit' });
        await store.deliveries.finishProcessing('bench-delivery-1');
      },
    ],
    ['lease: runner claims the job its feed announced', async () => (lease = (await store.jobs.claim(name, request))?.lease)],
    ['running: pod created, job → pending', () => store.jobs.update(name, { state: 'pending', status: { pod_name: name } }, { lease: leaseOf() })],
    ['heartbeat (one per third of the lease while running)', async () => (lease = await store.jobs.renew(leaseOf(), 60_000))],
    ['finished: job → success', () => store.jobs.update(name, { state: 'success' }, { lease: leaseOf() })],
    [
      'reported: pending and success each checked and recorded',
      async () => {
        for (const state of ['pending', 'success'] as const) {
          await store.reports.get(name);
          await store.reports.record(name, 'github-status:pull-unit', { state, reportedAt: Date.now() });
        }
      },
    ],
  ];
  const counted: LifecycleStep[] = [];
  for (const [label, step] of steps) {
    const before = { ...store.counts };
    const started = performance.now();
    await step();
    const ms = performance.now() - started;
    // Listener reads arrive asynchronously; give the feed a moment before reading the counters.
    await new Promise((resolve) => setTimeout(resolve, 200));
    counted.push({ label, heartbeat: label.startsWith('heartbeat'), counted: delta(before, store.counts), ms });
  }
  feed.close();
  await store.close();
  return counted;
}

async function lifecycleCounts(store: FirestoreStore): Promise<string> {
  const steps = await countLifecycle(store);
  const rows = steps.map(({ label, counted, ms }) => `| ${label} | ${counted.reads} | ${counted.writes} | ${ms.toFixed(1)} |`);
  const total = steps.reduce((sum, { counted }) => ({ reads: sum.reads + counted.reads, writes: sum.writes + counted.writes }), { reads: 0, writes: 0 });
  return [
    '### One presubmit’s lifecycle on the Firestore emulator (document operations, counted)',
    '',
    '| step | reads | writes | ms |',
    '|---|---:|---:|---:|',
    ...rows,
    `| **total** | **${total.reads}** | **${total.writes}** | |`,
    '',
    'Reads include the runner’s change feed (a listener on its cluster’s triggered jobs): the new job',
    'arriving and leaving the query when it starts count one read each, as Firestore bills them.',
  ].join('\n');
}

async function claimThroughput(label: string, open: () => Store, claimers: number): Promise<string> {
  const store = open();
  const JOBS = 400;
  for (let batch = 0; batch < JOBS / 50; batch++) {
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        store.jobs.create(testProwJob(), { idempotencyKey: `claims-${batch}-${index}` }),
      ),
    );
  }
  const counts = store instanceof FirestoreStore ? store.counts : undefined;
  const before = counts ? { ...counts } : undefined;
  const started = performance.now();
  const leased = await Promise.all(
    Array.from({ length: claimers }, async (_, index) => {
      const names: string[] = [];
      for (;;) {
        const claim = await store.jobs.claimNext({ cluster: 'default', holder: `runner-${index}`, ttlMs: 60_000 });
        if (!claim) return names;
        names.push(claim.lease.jobName);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const all = leased.flat();
  const once = all.length === JOBS && new Set(all).size === JOBS ? 'yes' : `NO (${all.length} leases)`;
  const used = counts && before ? delta(before, counts) : undefined;
  await store.close();
  return `| ${label} | ${claimers} | ${(JOBS / seconds).toFixed(0)} | ${once} | ${used ? (used.reads / JOBS).toFixed(1) : '–'} | ${used ? (used.writes / JOBS).toFixed(2) : '–'} |`;
}

async function changeFeedLatency(store: FirestoreStore): Promise<string> {
  let resolveSeen: (() => void) | undefined;
  let expected = '';
  const feed = store.jobs.watch({ cluster: 'feed', state: 'triggered' }, (change) => {
    if (change.kind === 'added' && change.job.job.metadata.name === expected) resolveSeen?.();
  });
  await feed.ready;
  const result = await measure('ProwJob created → runner’s listener hears of it', 20, async () => {
    const job = testProwJob({ cluster: 'feed' });
    expected = job.metadata.name ?? '';
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    await store.jobs.create(job, { idempotencyKey: expected });
    await seen;
  });
  feed.close();
  await store.close();
  return formatResults('Change feed on the Firestore emulator', [result]);
}
