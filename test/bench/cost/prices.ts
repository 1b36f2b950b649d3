/**
 * Public list prices the cost bench (test/bench/cost.bench.ts) multiplies counted operations by.
 * Every price lives here and nowhere else, with the page that publishes it. They were written down
 * from Google's published list prices as known when this file was written, not fetched: the
 * machines that build Cutwater have no network. Check them against the pages before relying on them. USD, region us-central1 (Iowa), on-demand, no committed-use or
 * sustained-use discounts. A month is 730 hours, as Google's calculator counts it.
 */

/** When these prices were written down (not checked online since). */
export const WRITTEN_ON = '2026-12-05';
export const HOURS_PER_MONTH = 730;

export interface Price {
  usd: number;
  /** What `usd` buys. */
  per: string;
  source: string;
}

const FIRESTORE = 'https://cloud.google.com/firestore/pricing';
const RUN = 'https://cloud.google.com/run/pricing';
const PUBSUB = 'https://cloud.google.com/pubsub/pricing';
const SCHEDULER = 'https://cloud.google.com/scheduler/pricing';
const STORAGE = 'https://cloud.google.com/storage/pricing';
const GKE = 'https://cloud.google.com/kubernetes-engine/pricing';
const COMPUTE = 'https://cloud.google.com/compute/vm-instance-pricing';
const DISKS = 'https://cloud.google.com/compute/disks-image-pricing';

export const PRICES = {
  // Firestore Standard edition, regional us-central1. TTL deletes are billed as deletes.
  firestoreRead: { usd: 0.03 / 100_000, per: 'document read', source: FIRESTORE },
  firestoreWrite: { usd: 0.09 / 100_000, per: 'document write', source: FIRESTORE },
  firestoreDelete: { usd: 0.01 / 100_000, per: 'document delete', source: FIRESTORE },
  firestoreStorage: { usd: 0.15, per: 'GiB-month stored', source: FIRESTORE },
  // Pub/Sub bills throughput: published and delivered bytes, each message counted as at least 1 KB.
  pubsubThroughput: { usd: 40, per: 'TiB published or delivered', source: PUBSUB },
  // Cloud Functions gen2 is billed as Cloud Run services (request-based billing, tier 1 region).
  functionVcpuSecond: { usd: 0.000024, per: 'vCPU-second', source: RUN },
  functionGibSecond: { usd: 0.0000025, per: 'GiB-second', source: RUN },
  functionRequest: { usd: 0.4 / 1_000_000, per: 'request', source: RUN },
  schedulerJob: { usd: 0.1, per: 'job-month', source: SCHEDULER },
  storageStandard: { usd: 0.02, per: 'GiB-month (Standard, regional)', source: STORAGE },
  storageClassA: { usd: 0.005 / 1_000, per: 'Class A operation (upload)', source: STORAGE },
  storageClassB: { usd: 0.0004 / 1_000, per: 'Class B operation (read)', source: STORAGE },
  gkeManagement: { usd: 0.1, per: 'cluster-hour (Standard)', source: GKE },
  n1Standard4: { usd: 0.189999, per: 'node-hour n1-standard-4', source: COMPUTE },
  n1Standard8: { usd: 0.379998, per: 'node-hour n1-standard-8', source: COMPUTE },
  pdBalanced: { usd: 0.1, per: 'GiB-month pd-balanced', source: DISKS },
} as const satisfies Record<string, Price>;

/** Free tiers, applied in the "after free tiers" line only: the list-price bill is the one to plan with. */
export const FREE_TIERS = {
  // Per day, for the project's (default) database; TTL deletes have no free tier.
  firestoreReadsPerDay: 50_000,
  firestoreWritesPerDay: 20_000,
  firestoreDeletesPerDay: 20_000,
  firestoreStorageGib: 1,
  pubsubGibPerMonth: 10,
  // Per billing account per month.
  functionVcpuSeconds: 180_000,
  functionGibSeconds: 360_000,
  functionRequests: 2_000_000,
  schedulerJobs: 3,
  // GKE's free tier credit covers one zonal or Autopilot cluster's management fee.
  gkeCreditUsd: 74.4,
  sources: { FIRESTORE, RUN, PUBSUB, SCHEDULER, GKE },
} as const;
