import { DEFAULT_LEASE_TTL_MS } from '../../runner/lease-timing';
import { LANES, laneDeliveryKey } from '../../shared/plugins/lanes';
import { SINKER_DEFAULTS } from '../../shared/config/sinker';
import { FirestoreStore, type OperationCounts } from '../../shared/store/firestore';
import { RECORD_RETENTION_MS } from '../../shared/store/store';
import { OUTBOX_RETENTION_MS } from '../../shared/store/outbox';
import { startFirestoreEmulator } from '../support/emulators';
import { FREE_TIERS, HOURS_PER_MONTH, PRICES, WRITTEN_ON } from './cost/prices';
import { countLifecycle, delta } from './store.bench';
import { PRESENCE_INTERVAL_MS } from '../../runner/presence';

/**
 * `npm run bench -- cost`: the monthly bill for three team sizes, from Firestore operations counted
 * by the store's own instrumentation on the emulator (the same counters as `npm run bench -- store`)
 * times the list prices in cost/prices.ts, beside Prow's always-on service cluster for the same load.
 * docs/cost.md holds this output; change the code and the page is re-run, not re-typed.
 */

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const KIB = 1024;
const GIB = 2 ** 30;

interface Scenario {
  name: string;
  jobsPerDay: number;
  deliveriesPerDay: number;
  /** Runner replicas (one per build cluster, as a rule): each writes its presence once a minute. */
  runners: number;
  /** Prow's service cluster for this load: nodes of one machine type in one zonal GKE cluster. */
  prowNodes: number;
  prowNodeType: 'n1Standard4' | 'n1Standard8';
}

/** Webhook deliveries per job at kubernetes' scale (50,000 a day for 15,000 jobs), used for the other sizes. */
const DELIVERIES_PER_JOB = 50_000 / 15_000;

export const SCENARIOS: readonly Scenario[] = [
  // Prow's getting-started-deploy.md creates its cluster with 2 × n1-standard-4.
  { name: 'small team', jobsPerDay: 50, deliveriesPerDay: Math.round(50 * DELIVERIES_PER_JOB), runners: 1, prowNodes: 2, prowNodeType: 'n1Standard4' },
  { name: 'mid-size org', jobsPerDay: 2_000, deliveriesPerDay: Math.round(2_000 * DELIVERIES_PER_JOB), runners: 2, prowNodes: 3, prowNodeType: 'n1Standard4' },
  { name: 'kubernetes scale', jobsPerDay: 15_000, deliveriesPerDay: 50_000, runners: 8, prowNodes: 6, prowNodeType: 'n1Standard8' },
];

/** What is assumed rather than counted; docs/cost.md lists these beside the table. */
export const ASSUMPTIONS = {
  /** Average time a job runs (and so holds a lease that the runner renews). */
  jobMinutes: 20,
  /** Share of jobs that fail, and so also comment on their PR (the failure lifecycle). */
  failureShare: 0.1,
  /** Commit statuses per job: pending, then the final state (the lifecycle's reported step). */
  githubWritesPerJob: 2,
  /** Labels, comments and other plugin writes per delivery, through the same outbox. */
  githubWritesPerDelivery: 0.3,
  /** Size of a webhook payload as published to Pub/Sub. */
  payloadKiB: 25,
  /** Subscriptions on github-events (infra/terraform/deployment.tf: the events and trigger lanes). */
  githubEventsSubscriptions: 2,
  /** Billed instance time per request (rounded up to 100 ms; no overlap of concurrent requests assumed). */
  functionSeconds: { webhook: 0.1, events: 0.3, trigger: 0.2, reporter: 0.2, writer: 0.3, status: 0.2, schedulerTick: 2 },
  /** vCPU and GiB per instance (infra/terraform/functions.tf). */
  functionVcpu: 1,
  functionGib: 1,
  /** Status page requests per job (job list, job page, log). */
  statusRequestsPerJob: 5,
  /** Cloud Scheduler jobs: the scheduler function's minute tick and the branchprotector run. */
  schedulerJobs: 2,
  /** Firestore document sizes, index entries included. */
  jobDocumentKiB: 8,
  smallRecordKiB: 2,
  /** Logs and artifacts per job in Cloud Storage, kept this long, uploaded and read in this many operations. */
  logMiBPerJob: 5,
  logRetentionDays: 90,
  logUploadsPerJob: 20,
  logReadsPerJob: 10,
  /** Boot disk per GKE node (GKE's default size, pd-balanced). */
  prowBootDiskGib: 100,
} as const;

/** Counted Firestore operations, per unit of work. */
export interface CountedOperations {
  /** A job's lifecycle without its heartbeats. */
  job: OperationCounts;
  heartbeat: OperationCounts;
  /** A webhook delivery: the webhook's dedupe, then each lane's process-once claim and finish. */
  delivery: OperationCounts;
  /** One GitHub write through the outbox, written by a writer woken for it alone (the worst case). */
  githubWrite: OperationCounts;
}

const zero = (): OperationCounts => ({ reads: 0, writes: 0, deletes: 0 });
function add(into: OperationCounts, more: OperationCounts): void {
  into.reads += more.reads;
  into.writes += more.writes;
  into.deletes += more.deletes;
}

async function counted(store: FirestoreStore, work: () => Promise<unknown>): Promise<OperationCounts> {
  const before = { ...store.counts };
  await work();
  return delta(before, store.counts);
}

export async function countOperations(): Promise<CountedOperations> {
  const emulator = await startFirestoreEmulator('cutwater-cost');
  try {
    const connect = (projectId: string) => FirestoreStore.connect({ projectId, emulatorHost: emulator.host });
    const job = zero();
    const heartbeat = zero();
    for (const [outcome, share] of [['success', 1 - ASSUMPTIONS.failureShare], ['failure', ASSUMPTIONS.failureShare]] as const) {
      for (const step of await countLifecycle(connect(`cost-lifecycle-${outcome}`), outcome)) {
        add(step.heartbeat ? heartbeat : job, scale(step.counted, share));
      }
    }

    const store = connect('cost-flows');
    // The path of shared/webhook/receive.ts, then shared/webhook/events.ts once per lane.
    const delivery = await counted(store, async () => {
      await store.deliveries.isAccepted('cost-delivery');
      await store.deliveries.recordAccepted('cost-delivery');
      for (const lane of Object.values(LANES)) {
        const key = laneDeliveryKey(lane, 'cost-delivery');
        await store.deliveries.claimProcessing(key, 'cost', 30_000);
        await store.deliveries.finishProcessing(key);
      }
    });
    // One status through the outbox: enqueued by the reporter, then a writer's whole turn.
    const githubWrite = await counted(store, async () => {
      await store.outbox.enqueue([
        {
          id: 'cost-status',
          installation: '1',
          cause: 'cost bench',
          write: { kind: 'createStatus', owner: 'o', repo: 'r', sha: 'a'.repeat(40), context: 'pull-unit', state: 'success', description: 'passed', targetUrl: null },
        },
      ]);
      const lease = await store.outbox.claimWriter('1', 'cost-writer', 60_000);
      if (!lease) throw new Error('no writer lease');
      const taken = await store.outbox.take(lease, { limit: 10 });
      await store.outbox.settle(lease, taken.entries.map(({ id }) => ({ id, result: 'sent' as const })), [Date.now()]);
      await store.outbox.releaseWriter(lease);
    });
    await store.close();
    return { job, heartbeat, delivery, githubWrite };
  } finally {
    await emulator.stop();
  }
}

interface Line {
  service: string;
  usage: string;
  usd: number;
  /** The same line after the free tiers that apply to it. */
  afterFree: number;
}

/** How often a running job's lease is written: at half its TTL (runner/lease-timing.ts, leaseNeedsRenewal). */
const HEARTBEAT_MS = DEFAULT_LEASE_TTL_MS / 2;
const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const millions = (value: number) => (value >= 1e6 ? `${(value / 1e6).toFixed(1)} M` : value >= 1e3 ? `${(value / 1e3).toFixed(0)} k` : value.toFixed(0));

export function monthlyBill(ops: CountedOperations, scenario: Scenario): { cutwater: Line[]; prow: Line[] } {
  const a = ASSUMPTIONS;
  const jobs = scenario.jobsPerDay * DAYS_PER_MONTH;
  const deliveries = scenario.deliveriesPerDay * DAYS_PER_MONTH;
  const heartbeatsPerJob = Math.floor((a.jobMinutes * 60_000) / HEARTBEAT_MS);
  const githubWrites = jobs * a.githubWritesPerJob + deliveries * a.githubWritesPerDelivery;

  const firestore = zero();
  add(firestore, scale(ops.job, jobs));
  add(firestore, scale(ops.heartbeat, jobs * heartbeatsPerJob));
  add(firestore, scale(ops.delivery, deliveries));
  add(firestore, scale(ops.githubWrite, githubWrites));
  // Each runner's presence for the health page: one write a minute (runner/presence.ts).
  firestore.writes += scenario.runners * (HOURS_PER_MONTH * 3_600_000) / PRESENCE_INTERVAL_MS;
  // TTL and sinker deletes, derived from the code: per job its document (named by its idempotency
  // key, with its report records inside); per delivery its two delivery records (the plugins lane
  // shares the webhook's); per write its outbox entry.
  firestore.deletes += jobs + deliveries * 2 + githubWrites;
  const days = (ms: number) => ms / (24 * 3600_000);
  const storedKiB =
    scenario.jobsPerDay * days(SINKER_DEFAULTS.maxProwJobAgeMs) * a.jobDocumentKiB +
    scenario.deliveriesPerDay * days(RECORD_RETENTION_MS.delivery) * 2 * a.smallRecordKiB +
    (githubWrites / DAYS_PER_MONTH) * days(OUTBOX_RETENTION_MS) * a.smallRecordKiB;
  const storedGib = (storedKiB * KIB) / GIB;
  const perDay = (value: number, free: number) => Math.max(0, value / DAYS_PER_MONTH - free) * DAYS_PER_MONTH;

  // Each delivery is published once and delivered once per subscription; each GitHub write nudges
  // its installation's writer with one minimum-size (1 KB) message, published and delivered.
  const pubsubBytes = deliveries * a.payloadKiB * KIB * (1 + a.githubEventsSubscriptions) + githubWrites * 2 * 1000;
  const pubsubGib = pubsubBytes / GIB;

  // The reporter function runs on every write of a ProwJob document: created, leased and pending,
  // each lease renewal, finished, and its own record (most return without reading anything).
  const invocations = {
    webhook: deliveries,
    events: deliveries,
    trigger: deliveries,
    reporter: jobs * (4 + heartbeatsPerJob),
    writer: githubWrites,
    status: jobs * a.statusRequestsPerJob,
    schedulerTick: HOURS_PER_MONTH * 60,
  };
  let requests = 0;
  let seconds = 0;
  for (const [name, count] of Object.entries(invocations) as [keyof typeof invocations, number][]) {
    requests += count;
    seconds += count * a.functionSeconds[name];
  }
  const vcpuSeconds = seconds * a.functionVcpu;
  const gibSeconds = seconds * a.functionGib;

  const logGib = (scenario.jobsPerDay * a.logRetentionDays * a.logMiBPerJob) / 1024;
  const logs: Line = {
    service: 'Cloud Storage (logs, artifacts)',
    usage: `${fmt(logGib)} GiB, ${millions(jobs * a.logUploadsPerJob)} uploads`,
    usd: logGib * PRICES.storageStandard.usd + jobs * (a.logUploadsPerJob * PRICES.storageClassA.usd + a.logReadsPerJob * PRICES.storageClassB.usd),
    afterFree: 0,
  };
  logs.afterFree = logs.usd;

  const firestoreOps =
    firestore.reads * PRICES.firestoreRead.usd + firestore.writes * PRICES.firestoreWrite.usd + firestore.deletes * PRICES.firestoreDelete.usd;
  const functionsUsd = (r: number, v: number, g: number) =>
    r * PRICES.functionRequest.usd + v * PRICES.functionVcpuSecond.usd + g * PRICES.functionGibSecond.usd;
  const cutwater: Line[] = [
    {
      service: 'Firestore operations',
      usage: `${millions(firestore.reads)} reads, ${millions(firestore.writes)} writes, ${millions(firestore.deletes)} deletes`,
      usd: firestoreOps,
      afterFree:
        perDay(firestore.reads, FREE_TIERS.firestoreReadsPerDay) * PRICES.firestoreRead.usd +
        perDay(firestore.writes, FREE_TIERS.firestoreWritesPerDay) * PRICES.firestoreWrite.usd +
        // TTL deletes, most of these, have no free tier.
        firestore.deletes * PRICES.firestoreDelete.usd,
    },
    {
      service: 'Firestore storage',
      usage: `${storedGib.toFixed(2)} GiB`,
      usd: storedGib * PRICES.firestoreStorage.usd,
      afterFree: Math.max(0, storedGib - FREE_TIERS.firestoreStorageGib) * PRICES.firestoreStorage.usd,
    },
    {
      service: 'Pub/Sub',
      usage: `${fmt(pubsubGib)} GiB`,
      usd: (pubsubGib / 1024) * PRICES.pubsubThroughput.usd,
      afterFree: (Math.max(0, pubsubGib - FREE_TIERS.pubsubGibPerMonth) / 1024) * PRICES.pubsubThroughput.usd,
    },
    {
      service: 'Cloud Functions gen2',
      usage: `${millions(requests)} calls, ${millions(vcpuSeconds)} vCPU-s, ${millions(gibSeconds)} GiB-s`,
      usd: functionsUsd(requests, vcpuSeconds, gibSeconds),
      afterFree: functionsUsd(
        Math.max(0, requests - FREE_TIERS.functionRequests),
        Math.max(0, vcpuSeconds - FREE_TIERS.functionVcpuSeconds),
        Math.max(0, gibSeconds - FREE_TIERS.functionGibSeconds),
      ),
    },
    {
      service: 'Cloud Scheduler',
      usage: `${a.schedulerJobs} jobs`,
      usd: a.schedulerJobs * PRICES.schedulerJob.usd,
      afterFree: Math.max(0, a.schedulerJobs - FREE_TIERS.schedulerJobs) * PRICES.schedulerJob.usd,
    },
    logs,
  ];

  const nodeUsd = scenario.prowNodes * HOURS_PER_MONTH * PRICES[scenario.prowNodeType].usd;
  const management = HOURS_PER_MONTH * PRICES.gkeManagement.usd;
  const prow: Line[] = [
    {
      service: 'GKE nodes (always on)',
      usage: `${scenario.prowNodes} × ${scenario.prowNodeType === 'n1Standard4' ? 'n1-standard-4' : 'n1-standard-8'}, ${scenario.prowNodes * a.prowBootDiskGib} GiB disk`,
      usd: nodeUsd + scenario.prowNodes * a.prowBootDiskGib * PRICES.pdBalanced.usd,
      afterFree: nodeUsd + scenario.prowNodes * a.prowBootDiskGib * PRICES.pdBalanced.usd,
    },
    { service: 'GKE cluster management', usage: '1 zonal cluster', usd: management, afterFree: Math.max(0, management - FREE_TIERS.gkeCreditUsd) },
    logs,
  ];
  return { cutwater, prow };
}

function scale(counts: OperationCounts, times: number): OperationCounts {
  return { reads: counts.reads * times, writes: counts.writes * times, deletes: counts.deletes * times };
}

const sum = (lines: readonly Line[], key: 'usd' | 'afterFree') => lines.reduce((total, line) => total + line[key], 0);
const round = (value: number) => Number(value.toFixed(2));
const opsText = (counts: OperationCounts) => `${round(counts.reads)} reads, ${round(counts.writes)} writes${counts.deletes ? `, ${round(counts.deletes)} deletes` : ''}`;

export function formatBill(ops: CountedOperations): string {
  const out: string[] = [
    `### Counted Firestore operations (emulator, the store's own counters)`,
    '',
    '| unit of work | counted |',
    '|---|---|',
    `| a presubmit's lifecycle, heartbeats aside (\`npm run bench -- store\`'s steps; ${(1 - ASSUMPTIONS.failureShare) * 100}% pass, ${ASSUMPTIONS.failureShare * 100}% fail and comment) | ${opsText(ops.job)} |`,
    `| a heartbeat (every ${HEARTBEAT_MS / 1000} s while a job runs) | ${opsText(ops.heartbeat)} |`,
    `| a webhook delivery (dedupe, then both lanes' process-once) | ${opsText(ops.delivery)} |`,
    `| a GitHub write through the outbox (enqueue, writer claim, take, settle, release) | ${opsText(ops.githubWrite)} |`,
  ];
  for (const scenario of SCENARIOS) {
    const bill = monthlyBill(ops, scenario);
    out.push(
      '',
      `### ${scenario.name}: ${scenario.jobsPerDay.toLocaleString('en-US')} jobs and ${scenario.deliveriesPerDay.toLocaleString('en-US')} deliveries a day (USD a month)`,
      '',
      '| | service | usage | list price | after free tiers |',
      '|---|---|---|---:|---:|',
      ...bill.cutwater.map((line) => `| Cutwater | ${line.service} | ${line.usage} | ${fmt(line.usd)} | ${fmt(line.afterFree)} |`),
      `| **Cutwater** | **total** | | **${fmt(sum(bill.cutwater, 'usd'))}** | **${fmt(sum(bill.cutwater, 'afterFree'))}** |`,
      ...bill.prow.map((line) => `| Prow | ${line.service} | ${line.usage} | ${fmt(line.usd)} | ${fmt(line.afterFree)} |`),
      `| **Prow** | **total** | | **${fmt(sum(bill.prow, 'usd'))}** | **${fmt(sum(bill.prow, 'afterFree'))}** |`,
    );
  }
  out.push('', `Prices: test/bench/cost/prices.ts, Google's list prices as written down on ${WRITTEN_ON}, not checked online since (no network here); check them against the linked pages before relying on them.`);
  return out.join('\n');
}

export async function benchCost(): Promise<string> {
  return formatBill(await countOperations());
}
