import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedStore } from '../../shared/store/embedded';
import { FirestoreStore, type OperationCounts } from '../../shared/store/firestore';
import type { Lease, Store, StoredJob } from '../../shared/store/store';
import { startFirestoreEmulator } from '../support/emulators';
import { testProwJob } from '../support/prowjobs';
import { startFakeGitHub } from '../support/fake-github';
import { createGitHubClient } from '../../shared/github/octokit';
import { memoryLogger } from '../../shared/log/logger';
import { namedForKey } from '../../shared/prowjob/names';
import { changeNeedsReport, reportJob, type ReporterDependencies } from '../../shared/reporter/report-job';
import { DEFAULT_LEASE_TTL_MS } from '../../runner/lease-timing';
import { buildFromFiles, expectLoaded } from '../support/config';
import { waitFor } from '../support/wait';
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
    sections.push(await lifecycleCounts(connect));
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
  /** The lease renewal, which a job repeats for as long as it runs. */
  heartbeat: boolean;
  counted: OperationCounts;
  ms: number;
}

const PULL = 42;
const HEAD = 'c'.repeat(40);

/**
 * Runs one presubmit's lifecycle on `store` through the code that does it in production — the
 * store calls the trigger plugin, the runner (runner/runner.ts) and the reporter
 * (shared/reporter/report-job.ts, judging each Firestore event as functions/reporter does) make,
 * with the reporter talking to a fake GitHub — and returns each step's counted operations: the
 * data behind the table below and behind the cost bench (test/bench/cost.bench.ts). Closes the store.
 */
export async function countLifecycle(store: FirestoreStore, outcome: 'success' | 'failure' = 'success'): Promise<LifecycleStep[]> {
  const github = await startFakeGitHub();
  github.addRepo('acme/widgets');
  github.addPullRequest('acme/widgets', { number: PULL, author: 'alice', headSha: HEAD });
  const client = createGitHubClient({ baseUrl: github.url, auth: { token: 'bench' }, pacing: false, retryAfterBaseMs: 1 });
  const log = memoryLogger();
  const reporter: ReporterDependencies = {
    store,
    config: expectLoaded(buildFromFiles({})),
    log,
    now: Date.now,
    github: async () => client,
    statusUrl: 'https://ci.example.com',
  };
  const key = 'bench-delivery-1/pull-unit';
  const job = namedForKey(testProwJob({ pull: PULL, job: 'pull-unit', author: 'alice' }), key);
  job.spec.refs = { ...job.spec.refs!, pulls: [{ number: PULL, author: 'alice', sha: HEAD }] };
  const name = job.metadata.name ?? '';
  const request = { cluster: 'default', holder: 'runner-1', ttlMs: DEFAULT_LEASE_TTL_MS };
  let lease: Lease | undefined;
  const leaseOf = (): Lease => {
    if (!lease) throw new Error('no lease');
    return lease;
  };
  /** What a Firestore event for the job's last write would carry: the versions before and after. */
  let before: StoredJob | undefined;
  const reporterHearsOfWrite = async (): Promise<void> => {
    const after = await readWithoutCounting(store, name);
    if (!after) return;
    const wanted = changeNeedsReport(reporter, before?.job, after, log);
    before = after;
    if (wanted) await reportJob(reporter, name);
  };

  // The runner's change feed is open throughout, as in production.
  const announced: string[] = [];
  const feed = store.jobs.watch({ cluster: 'default', state: 'triggered' }, (change) => {
    if (change.kind === 'added') announced.push(change.job.job.metadata.name ?? '');
  });
  await feed.ready;

  const steps: [string, () => Promise<unknown>][] = [
    ['created: the trigger plugin creates the ProwJob, named by its idempotency key', () => store.jobs.create(job, { idempotencyKey: key })],
    [
      'leased and pending: the runner’s feed announces it, one write leases and starts it',
      async () => {
        await waitFor(() => announced.includes(name), 'the runner\'s feed to announce the job');
        lease = (await store.jobs.claim(name, request, { state: 'pending', status: { pod_name: name, build_id: '1', description: 'Job triggered.' } }))?.lease;
      },
    ],
    ['reporter, on the created and leased events: pending shown on GitHub, nothing recorded', async () => {
      await reporterHearsOfWrite();
      await reporterHearsOfWrite();
    }],
    ['heartbeat: the lease renewed (about every half lease while running)', async () => (lease = await store.jobs.renew(leaseOf(), DEFAULT_LEASE_TTL_MS))],
    [`finished: the runner writes ${outcome} under its lease`, () => store.jobs.update(name, { state: outcome }, { lease: leaseOf() })],
    [
      outcome === 'success'
        ? 'reported: the reporter reads it, reports success on GitHub, records that in the job'
        : 'reported: the reporter reads it, reports failure on GitHub, comments on the PR under the comment lock, records that in the job',
      () => reporterHearsOfWrite(),
    ],
    ['the reporter hears of its own record, and of nothing else', () => reporterHearsOfWrite()],
  ];
  const counted: LifecycleStep[] = [];
  try {
    for (const [label, step] of steps) {
      const before = { ...store.counts };
      const started = performance.now();
      await step();
      const ms = performance.now() - started;
      // Listener reads arrive asynchronously; give the feed a moment before reading the counters.
      await new Promise((resolve) => setTimeout(resolve, 200));
      counted.push({ label, heartbeat: label.startsWith('heartbeat'), counted: delta(before, store.counts), ms });
    }
    const statuses = github.requests.filter((r) => r.route === 'POST /repos/{owner}/{repo}/statuses/{sha}').map((r) => (r.body as { state: string }).state);
    if (statuses.join() !== `pending,${outcome}`) throw new Error(`the lifecycle should show pending then ${outcome} on GitHub, not ${statuses.join()}`);
    const comments = github.requests.filter((r) => r.route === 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments').length;
    if (comments !== (outcome === 'failure' ? 1 : 0)) throw new Error(`a ${outcome} should leave ${outcome === 'failure' ? 'one' : 'no'} PR comment, not ${comments}`);
  } finally {
    feed.close();
    await store.close();
    await github.close();
  }
  return counted;
}

/** What Eventarc hands the reporter with each event: the document, read here outside the counters. */
async function readWithoutCounting(store: FirestoreStore, name: string): Promise<StoredJob | undefined> {
  const counts = { ...store.counts };
  const stored = await store.jobs.get(name);
  Object.assign(store.counts, counts);
  return stored;
}

async function lifecycleCounts(connect: (project: string) => FirestoreStore): Promise<string> {
  const sections: string[] = [];
  for (const outcome of ['success', 'failure'] as const) {
    const steps = await countLifecycle(connect(`bench-lifecycle-${outcome}`), outcome);
    const rows = steps.map(({ label, counted, ms }) => `| ${label} | ${counted.reads} | ${counted.writes} | ${ms.toFixed(1)} |`);
    const total = steps
      .filter((step) => !step.heartbeat)
      .reduce((sum, { counted }) => ({ reads: sum.reads + counted.reads, writes: sum.writes + counted.writes }), { reads: 0, writes: 0 });
    sections.push(
      [
        `### One presubmit’s lifecycle on the Firestore emulator, ending in ${outcome} (document operations, counted)`,
        '',
        '| step | reads | writes | ms |',
        '|---|---:|---:|---:|',
        ...rows,
        `| **total, heartbeats aside** | **${total.reads}** | **${total.writes}** | |`,
      ].join('\n'),
    );
  }
  sections.push(
    [
      'Reads include the runner’s change feed (a listener on its cluster’s triggered jobs): the new job',
      'arriving and leaving the query when it starts count one read each, as Firestore bills them.',
      'The heartbeat row repeats about twice per lease TTL while a job runs. A failure costs two reads',
      'and two writes more than a success: the lock that keeps two reports from rewriting the PR’s',
      'comment at once, taken only when there is a comment to write.',
    ].join('\n'),
  );
  return sections.join('\n\n');
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
