import type { ConfigSource } from '../../config/config-source';
import { countJobs, type Config } from '../../config/model';
import { LOW_BUDGET_SHARE, type InstallationBudget, type PrimaryBudget } from '../../github/budget';
import type { Logger } from '../../log/logger';
import type { SubscriptionBacklog } from '../../bus/bus';
import type { MeasuredBacklog } from '../../bus/monitoring-backlog';
import type { OutboxStats } from '../../store/outbox';
import type { RunnerPresence } from '../../store/runners';
import type { LastTick } from '../../store/scheduler-tick';
import type { StoredJob, Store } from '../../store/store';
import { html, joinHtml, type SafeHtml } from '../html';
import { jobPageHref } from '../links';
import { sendCompressible } from '../respond';
import { sendPage, type StatusRequest } from '../status-request';
import { clockTimeElement, formatDuration, timeElement } from './layout';

/**
 * The health page (`/health`, and `/health.json` for scripts): every component's state and the
 * GitHub budget ledger of issue 15 — per installation, the primary rate limit GitHub reports, the
 * requests and 304s this process saw, and the write outbox's side (content writes in the last
 * minute and hour against the pace the writer keeps, queue depth, the oldest waiting write, writes
 * saved by coalescing, failures, GitHub's "not before", the writer lease).
 *
 * Gathering (I/O, each part guarded so one failing backend still leaves a page that says so),
 * judging (pure: `healthReport`) and rendering (pure: `healthBody`) are apart, so tests call the
 * last two without a server. The scheduler's last tick is the record each tick writes
 * (shared/store/scheduler-tick.ts); runners are the presence records each runner writes every
 * minute (shared/store/runners.ts), with the leases of running jobs beside them; webhook intake is
 * a count of the delivery records of the last minute and hour; the event backlog is the bus's own
 * (local mode) or Cloud Monitoring's newest sample of it, beside links to its charts (the cloud); the reporter's lag is its oldest unreported state change.
 */

/**
 * The content-write pace the outbox writer keeps per installation: the minute and hour windows of
 * shared/outbox/pace.ts's limits, which `writeLimitsOfWindows(writeLimitsFromEnv(env).windows)` gives.
 */
export interface WritePace {
  perMinute: number;
  perHour: number;
}

/** The minute and hour windows of the writer's pacing config, which is what the page compares against. */
export function writeLimitsOfWindows(windows: readonly { max: number; ms: number }[]): WritePace | undefined {
  const perMinute = windows.find((window) => window.ms === 60_000)?.max;
  const perHour = windows.find((window) => window.ms === 3_600_000)?.max;
  return perMinute === undefined || perHour === undefined ? undefined : { perMinute, perHour };
}

/** Issue 15: an installation whose oldest write has waited longer than this needs someone to look. */
export const OLDEST_WRITE_WARNING_MS = 60_000;
/** Running jobs read for the runners' part; beyond it the page says "at least". */
const RUNNING_SCAN_LIMIT = 2_000;
const RUNNING_PAGE_SIZE = 1_000;
/** Read errors are shown shortened: the whole text is in the log. */
const ERROR_SHOWN_CHARS = 300;

/** The scheduler is called every minute: a last tick older than this means calls are not arriving or not finishing. */
export const TICK_WARNING_MS = 3 * 60_000;
/**
 * The reporter reports a change within seconds, and its sweep retries what was missed a minute
 * later each tick: a change still unreported after this means reporting is stuck.
 */
export const REPORT_LAG_WARNING_MS = 5 * 60_000;
/** Runners beat every minute (runner/presence.ts): three minutes without one is two missed beats and more. */
export const RUNNER_SILENCE_WARNING_MS = 3 * 60_000;
/**
 * The event lanes acknowledge a delivery within seconds, and retry a failed one with a backoff of a
 * minute at most: an event still unacknowledged after this is stuck or piling up.
 */
export const EVENT_BACKLOG_WARNING_MS = 5 * 60_000;

/** `off`: a part this process does not have (no GitHub credentials); it counts neither way. */
export type HealthState = 'ok' | 'warning' | 'failing' | 'off';

const STATE_ICON: Record<HealthState, string> = { ok: '✔', warning: '⚠', failing: '✖', off: '⊘' };

/** What could not be read, and why. */
export interface Failed {
  error: string;
}
type Outcome<T> = T | Failed;

function failed<T extends object>(outcome: Outcome<T>): outcome is Failed {
  return 'error' in outcome;
}

/** What the page is made from: what the gathering step read, as it was read. */
export interface HealthInput {
  now: number;
  config: { counts: ReturnType<typeof countJobs>; snapshotVersion?: string; readsSnapshots: boolean };
  store: Outcome<{ readMs: number }>;
  /** Jobs in `pending` (running) state; `complete` false when the scan stopped at its limit. */
  running: Outcome<{ jobs: readonly StoredJob[]; complete: boolean }>;
  /** Every runner heard from in the last day. */
  presence: Outcome<{ runners: readonly RunnerPresence[] }>;
  /** Webhook deliveries recorded in the last minute and hour. */
  intake: Outcome<{ lastMinute: number; lastHour: number }>;
  /** Absent when this process has no way to know the event bus's backlog. */
  backlog?: EventBacklog;
  outbox: Outcome<{ stats: readonly OutboxStats[] }>;
  /** The scheduler's last recorded tick; absent before the first. */
  scheduler: Outcome<{ last?: LastTick }>;
  /** The job whose state change has waited longest to be reported, if any. */
  reporter: Outcome<{ oldestDue?: { job: string; state: string; changedAt: number } }>;
  /** What GitHub told this process; absent when it holds no GitHub clients. */
  budget?: readonly InstallationBudget[];
  writeLimits?: WritePace;
}

/**
 * Where the event bus's backlog comes from: the in-process bus counts its own (local mode); in the
 * cloud it is in Cloud Monitoring, which `read` asks (shared/bus/monitoring-backlog.ts), and the
 * page links to each subscription of github-events there, whether or not the read worked.
 */
export type EventBacklogSource =
  | { kind: 'bus'; read: () => SubscriptionBacklog[] }
  | { kind: 'cloud-monitoring'; project?: string; subscriptions: readonly string[]; read?: () => Promise<MeasuredBacklog> };

export type EventBacklog =
  | { kind: 'bus'; subscriptions: readonly SubscriptionBacklog[] }
  | { kind: 'cloud-monitoring'; project?: string; subscriptions: readonly string[]; measured?: Outcome<MeasuredBacklog> };

/**
 * `live`: beat within RUNNER_SILENCE_WARNING_MS; `silent`: has not since; `stopped`: said it shut
 * down; `leases only`: holds leases of running jobs but wrote no presence record (a runner from
 * before presence records, or one whose writes fail).
 */
export type RunnerStatus = 'live' | 'silent' | 'stopped' | 'leases only';

export interface RunnerHealth {
  holder: string;
  cluster: string;
  status: RunnerStatus;
  version?: string;
  /** From its last beat. */
  lastHeartbeatAt?: string;
  silentMs?: number;
  startedAt?: string;
  stoppedAt?: string;
  jobsHeld?: number;
  /** Running jobs it holds a live lease on, and the latest of those leases' expiries. */
  runningJobs: number;
  leaseExpiresAt?: string;
}

export interface SubscriptionBacklogHealth {
  subscription: string;
  topic: string;
  unacknowledged: number;
  oldestPublishedAt?: string;
  /** The oldest message's age when the figures were taken: now for the bus, the sample's time for Cloud Monitoring. */
  oldestAgeMs?: number;
  /** Cloud Monitoring's sample time; absent for the bus, which counts live. */
  sampledAt?: string;
}

export interface TickHealth {
  startedAt: string;
  finishedAt: string;
  ageMs: number;
  summary: Record<string, number | string>;
  failed: { part: string; error: string }[];
}

export interface InstallationReads {
  /** Ledger identities joined into this row (`installation-<id>`, `token-<hash>`, `app-<id>`). */
  identities: string[];
  primary: PrimaryBudget[];
  requests: number;
  notModified: number;
  secondaryLimited: number;
  lastAnswerAt?: string;
}

export interface InstallationWrites {
  lastMinute: number;
  lastHour: number;
  limits?: WritePace;
  /** Waiting and being sent. */
  depth: number;
  oldestEnqueuedAt?: string;
  oldestWaitMs?: number;
  saved: number;
  failed: number;
  blocked?: { until: string; reason?: string };
  writer?: { holder: string; expiresAt: string; lapsed: boolean };
}

export interface InstallationHealth {
  /** The outbox's key ("token", an App installation ID), or the ledger identity of one without an outbox (`app-<id>`). */
  installation: string;
  state: 'ok' | 'warning';
  /** Why it is a warning, in words. */
  warnings: string[];
  /** Absent when this process has no record of GitHub's answers for it. */
  reads?: InstallationReads;
  /** Absent for identities that write nothing through the outbox. */
  writes?: InstallationWrites;
}

export interface RunnersHealth {
  state: 'ok' | 'warning' | 'failing';
  runners: RunnerHealth[];
  /** Why it is a warning, in words. */
  warnings: string[];
  /** Absent when the running jobs could not be read. */
  running?: { jobs: number; withoutLiveLease: number; complete: boolean };
  /** Reads that failed: presence records, running jobs. */
  errors: { part: string; error: string }[];
}

export interface WebhooksHealth {
  state: 'ok' | 'warning' | 'failing';
  intake: { lastMinute: number; lastHour: number } | Failed;
  backlog:
    | { kind: 'bus'; subscriptions: SubscriptionBacklogHealth[] }
    | {
        kind: 'cloud-monitoring';
        links: { subscription: string; url: string }[];
        /** Cloud Monitoring's newest samples; absent when this process does not read them or the read failed. */
        subscriptions?: SubscriptionBacklogHealth[];
        /** Subscriptions Cloud Monitoring had no sample for in the last five minutes. */
        unmeasured?: string[];
        /** Why the samples could not be read; the links are all the page has then. */
        error?: string;
      }
    | { kind: 'unknown' };
  warnings: string[];
}

export interface HealthReport {
  /** The worst of the components. */
  state: HealthState;
  generatedAt: string;
  components: {
    config: { state: 'ok'; source: { kind: 'snapshot'; version: string } | { kind: 'files'; awaitingSnapshot: boolean }; presubmits: number; postsubmits: number; periodics: number };
    store: { state: 'ok'; readMs: number } | ({ state: 'failing' } & Failed);
    runners: RunnersHealth;
    outbox: { state: 'ok' | 'warning'; installations: number; waitingWrites: number; liveWriters: number } | ({ state: 'failing' } & Failed);
    scheduler: { state: 'ok' | 'warning'; lastTick?: TickHealth } | ({ state: 'failing' } & Failed);
    webhooks: WebhooksHealth;
    reporter: { state: 'ok' | 'warning'; oldestDue?: { job: string; state: string; changedAt: string; lagMs: number } } | ({ state: 'failing' } & Failed);
    github: { state: 'ok' | 'warning'; identities: number } | { state: 'off' };
  };
  installations: InstallationHealth[];
}

// ---- gathering --------------------------------------------------------------------------------

/** What gathering needs; StatusDependencies provides all of it. */
export interface HealthSources {
  store: Store;
  /** Where a failed read's whole error goes; the page shows it shortened. */
  log: Logger;
  config: ConfigSource;
  githubBudget?: () => InstallationBudget[];
  writeLimits?: WritePace;
  eventBacklog?: EventBacklogSource;
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > ERROR_SHOWN_CHARS ? `${message.slice(0, ERROR_SHOWN_CHARS)}…` : message;
}

async function guarded<T>(log: Logger, part: string, read: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return await read();
  } catch (error) {
    log.error(`health page: reading ${part} failed`, { part, error: error instanceof Error ? error.message : String(error) });
    return { error: errorText(error) };
  }
}

async function runningJobs(store: Store): Promise<{ jobs: StoredJob[]; complete: boolean }> {
  const jobs: StoredJob[] = [];
  let cursor: string | undefined;
  while (jobs.length < RUNNING_SCAN_LIMIT) {
    const page = await store.jobs.list({ state: 'pending' }, { limit: RUNNING_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs);
    if (!page.nextCursor) return { jobs, complete: true };
    cursor = page.nextCursor;
  }
  return { jobs, complete: false };
}

async function backlogOf(source: EventBacklogSource | undefined, log: Logger): Promise<EventBacklog | undefined> {
  if (!source) return undefined;
  if (source.kind === 'cloud-monitoring') {
    const { read, ...where } = source;
    return read ? { ...where, measured: await guarded(log, 'the event backlog in Cloud Monitoring', read) } : where;
  }
  try {
    return { kind: 'bus', subscriptions: source.read() };
  } catch (error) {
    log.error('health page: reading the event backlog failed', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

export async function gatherHealth(sources: HealthSources, config: Config, now: number): Promise<HealthInput> {
  const { store, log } = sources;
  const [storeRead, running, outbox, scheduler, reporter, presence, intake, backlog] = await Promise.all([
    // The cheapest read there is (one document, usually absent), timed: is the store answering, and how fast.
    guarded(log, 'the store', async () => {
      const started = performance.now();
      await store.jobs.get('cutwater-health-probe');
      return { readMs: performance.now() - started };
    }),
    guarded(log, 'the running jobs', () => runningJobs(store)),
    guarded(log, 'the outbox', async () => ({ stats: await store.outbox.stats() })),
    guarded(log, "the scheduler's last tick", async () => {
      const last = await store.schedulerTicks.last();
      return last ? { last } : {};
    }),
    // Oldest change first, so one job is the whole lag.
    guarded(log, 'the unreported jobs', async () => {
      const [oldest] = await store.jobs.listReportDue({ updatedBefore: now + 1, limit: 1 });
      return oldest ? { oldestDue: { job: oldest.job.metadata.name ?? '', state: oldest.job.status?.state ?? 'unknown', changedAt: oldest.updatedAt } } : {};
    }),
    guarded(log, "the runners' presence", async () => ({ runners: await store.runners.list() })),
    // Counted, not read: a count costs one read per 1,000 deliveries.
    guarded(log, 'the webhook intake', async () => {
      const [lastMinute, lastHour] = await Promise.all([store.deliveries.countSince(now - 60_000), store.deliveries.countSince(now - 3_600_000)]);
      return { lastMinute, lastHour };
    }),
    backlogOf(sources.eventBacklog, log),
  ]);
  const snapshotVersion = sources.config.version?.();
  return {
    now,
    config: { counts: countJobs(config), readsSnapshots: sources.config.version !== undefined, ...(snapshotVersion ? { snapshotVersion } : {}) },
    store: storeRead,
    running,
    outbox,
    scheduler,
    reporter,
    presence,
    intake,
    ...(backlog ? { backlog } : {}),
    ...(sources.githubBudget ? { budget: sources.githubBudget() } : {}),
    ...(sources.writeLimits ? { writeLimits: sources.writeLimits } : {}),
  };
}

// ---- judging ----------------------------------------------------------------------------------

/** The outbox's key for a ledger identity: installations by ID, every token as "token". */
function outboxKeyOf(budget: InstallationBudget): string {
  if (budget.installationId !== undefined) return String(budget.installationId);
  if (budget.identity.startsWith('token-')) return 'token';
  return budget.identity;
}

/** Several identities in one row (a rotated token): counts add up, and each resource's latest reading wins. */
function joinReads(budgets: readonly InstallationBudget[]): InstallationReads {
  const ordered = [...budgets].sort((a, b) => (a.lastAnswerAt ?? '').localeCompare(b.lastAnswerAt ?? ''));
  const primary = new Map<string, PrimaryBudget>();
  for (const budget of ordered) for (const reading of budget.primary) primary.set(reading.resource, reading);
  const lastAnswerAt = ordered.at(-1)?.lastAnswerAt;
  return {
    identities: budgets.map((budget) => budget.identity).sort(),
    primary: [...primary.values()].sort((a, b) => a.resource.localeCompare(b.resource)),
    requests: budgets.reduce((sum, budget) => sum + budget.requests, 0),
    notModified: budgets.reduce((sum, budget) => sum + budget.notModified, 0),
    secondaryLimited: budgets.reduce((sum, budget) => sum + budget.secondaryLimited, 0),
    ...(lastAnswerAt ? { lastAnswerAt } : {}),
  };
}

function writesOf(stats: OutboxStats, now: number, limits: WritePace | undefined): InstallationWrites {
  const writes: InstallationWrites = {
    lastMinute: stats.sentLastMinute,
    lastHour: stats.sentLastHour,
    depth: stats.depth,
    saved: stats.saved,
    failed: stats.failed,
    ...(limits ? { limits } : {}),
  };
  if (stats.oldestEnqueuedAt !== undefined) {
    writes.oldestEnqueuedAt = new Date(stats.oldestEnqueuedAt).toISOString();
    writes.oldestWaitMs = Math.max(0, now - stats.oldestEnqueuedAt);
  }
  // A block that has passed is cleared by the writer's next send; until then it is history, not a state.
  if (stats.blockedUntil !== undefined && stats.blockedUntil > now) {
    writes.blocked = { until: new Date(stats.blockedUntil).toISOString(), ...(stats.blockedReason ? { reason: stats.blockedReason } : {}) };
  }
  if (stats.writer) {
    writes.writer = { holder: stats.writer.holder, expiresAt: new Date(stats.writer.expiresAt).toISOString(), lapsed: stats.writer.expiresAt <= now };
  }
  return writes;
}

/** A reading whose window has since reset says nothing about now. */
function lowPrimary(reading: PrimaryBudget, now: number): boolean {
  return reading.limit > 0 && reading.remaining < reading.limit * LOW_BUDGET_SHARE && Date.parse(reading.resetAt) > now;
}

function warningsOf(row: Omit<InstallationHealth, 'state' | 'warnings'>, now: number): string[] {
  const warnings: string[] = [];
  const writes = row.writes;
  if (writes?.oldestWaitMs !== undefined && writes.oldestWaitMs > OLDEST_WRITE_WARNING_MS) {
    warnings.push(`the oldest waiting write has waited ${formatDuration(writes.oldestWaitMs)}, over a minute`);
  }
  if (writes?.blocked) {
    warnings.push(`GitHub asked for no writes before ${readableTime(writes.blocked.until)}${writes.blocked.reason ? `: ${writes.blocked.reason}` : ''}`);
  }
  for (const reading of row.reads?.primary ?? []) {
    if (lowPrimary(reading, now)) {
      warnings.push(`${reading.resource}: only ${reading.remaining} of ${reading.limit} requests left until ${readableTime(reading.resetAt)}`);
    }
  }
  return warnings;
}

function readableTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** Installation IDs in numeric order, "token" and the App's own identity after them. */
function byInstallation(a: InstallationHealth, b: InstallationHealth): number {
  return a.installation.localeCompare(b.installation, 'en', { numeric: true });
}

/** A runner's key: local mode runs one runner per cluster, all with the same holder. */
function runnerKeyOf(cluster: string, holder: string): string {
  return `${cluster}\u0000${holder}`;
}

function presenceHealth(record: RunnerPresence, now: number): RunnerHealth {
  const silentMs = Math.max(0, now - record.lastHeartbeatAt);
  const status: RunnerStatus = record.stoppedAt !== undefined ? 'stopped' : silentMs > RUNNER_SILENCE_WARNING_MS ? 'silent' : 'live';
  return {
    holder: record.holder,
    cluster: record.cluster,
    status,
    ...(record.version ? { version: record.version } : {}),
    lastHeartbeatAt: new Date(record.lastHeartbeatAt).toISOString(),
    silentMs,
    startedAt: new Date(record.startedAt).toISOString(),
    ...(record.stoppedAt !== undefined ? { stoppedAt: new Date(record.stoppedAt).toISOString() } : {}),
    jobsHeld: record.jobsHeld,
    runningJobs: 0,
  };
}

/**
 * Every runner from its presence record, with the live leases of running jobs joined in (a runner
 * known only by its leases is listed too). Warnings: a runner silent for over three minutes, a
 * cluster whose running jobs no live runner looks after, running jobs without a live lease.
 */
function runnersOf(input: HealthInput, now: number): RunnersHealth {
  const runners = new Map<string, RunnerHealth>();
  const errors: RunnersHealth['errors'] = [];
  if (failed(input.presence)) errors.push({ part: 'presence records', error: input.presence.error });
  else for (const record of input.presence.runners) runners.set(runnerKeyOf(record.cluster, record.holder), presenceHealth(record, now));

  let running: RunnersHealth['running'];
  /** Clusters with running jobs, and those where a runner shows it is alive by a live lease. */
  const busyClusters = new Set<string>();
  const leasedClusters = new Set<string>();
  if (failed(input.running)) errors.push({ part: 'running jobs', error: input.running.error });
  else {
    let withoutLiveLease = 0;
    for (const stored of input.running.jobs) {
      const cluster = stored.job.spec.cluster ?? 'default';
      busyClusters.add(cluster);
      const lease = stored.lease;
      if (!lease || lease.expiresAt <= now) {
        withoutLiveLease++;
        continue;
      }
      leasedClusters.add(cluster);
      const key = runnerKeyOf(cluster, lease.holder);
      const runner = runners.get(key) ?? { holder: lease.holder, cluster, status: 'leases only', runningJobs: 0 };
      runners.set(key, runner);
      runner.runningJobs++;
      const expiresAt = new Date(lease.expiresAt).toISOString();
      if (!runner.leaseExpiresAt || expiresAt > runner.leaseExpiresAt) runner.leaseExpiresAt = expiresAt;
    }
    running = { jobs: input.running.jobs.length, withoutLiveLease, complete: input.running.complete };
  }

  const sorted = [...runners.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.holder.localeCompare(b.holder));
  const warnings: string[] = [];
  for (const runner of sorted) {
    if (runner.status === 'silent') warnings.push(`${runner.holder} (cluster ${runner.cluster}) has not been heard from for ${formatDuration(runner.silentMs ?? 0)}`);
  }
  // Without presence records, a cluster's live leases are the only sign of its runners: no warning is made up.
  if (!failed(input.presence)) {
    const liveClusters = new Set([...sorted.filter((runner) => runner.status === 'live').map((runner) => runner.cluster), ...leasedClusters]);
    for (const cluster of [...busyClusters].sort()) {
      if (!liveClusters.has(cluster)) warnings.push(`cluster ${cluster} has running jobs and no live runner`);
    }
  }
  if (running && running.withoutLiveLease > 0) {
    warnings.push(`${count(running.withoutLiveLease)} running ${running.withoutLiveLease === 1 ? 'job has' : 'jobs have'} no live lease`);
  }
  const state = errors.length > 0 ? 'failing' : warnings.length > 0 ? 'warning' : 'ok';
  return { state, runners: sorted, warnings, ...(running ? { running } : {}), errors };
}

/** Pub/Sub's page for a subscription, whose metrics tab charts its undelivered messages and oldest unacknowledged age. */
export function subscriptionMonitoringUrl(subscription: string, project: string | undefined): string {
  const url = new URL(`https://console.cloud.google.com/cloudpubsub/subscription/detail/${encodeURIComponent(subscription)}`);
  url.searchParams.set('tab', 'metrics');
  if (project) url.searchParams.set('project', project);
  return url.toString();
}

/**
 * One rule for the bus's counts and Cloud Monitoring's samples: a subscription needs attention when
 * its oldest unacknowledged message was over EVENT_BACKLOG_WARNING_MS old when the figures were
 * taken (judged at the sample's time, so a sample a few minutes old does not age its messages).
 */
function judgeBacklog(backlogs: readonly SubscriptionBacklog[], now: number, warnings: string[]): SubscriptionBacklogHealth[] {
  return backlogs.map((subscription): SubscriptionBacklogHealth => {
    const { oldestPublishedAt, sampledAt, ...rest } = subscription;
    const sampled = sampledAt === undefined ? {} : { sampledAt: new Date(sampledAt).toISOString() };
    if (oldestPublishedAt === undefined) return { ...rest, ...sampled };
    const oldestAgeMs = Math.max(0, (sampledAt ?? now) - oldestPublishedAt);
    if (oldestAgeMs > EVENT_BACKLOG_WARNING_MS) {
      const when = sampledAt === undefined ? '' : ' when Cloud Monitoring last sampled it';
      warnings.push(`${subscription.subscription} has ${count(subscription.unacknowledged)} unacknowledged ${subscription.unacknowledged === 1 ? 'message' : 'messages'}, the oldest ${formatDuration(oldestAgeMs)} old${when}`);
    }
    return { ...rest, oldestPublishedAt: new Date(oldestPublishedAt).toISOString(), oldestAgeMs, ...sampled };
  });
}

function webhooksOf(input: HealthInput, now: number): WebhooksHealth {
  const warnings: string[] = [];
  let backlog: WebhooksHealth['backlog'] = { kind: 'unknown' };
  if (input.backlog?.kind === 'cloud-monitoring') {
    const { project, measured } = input.backlog;
    const links = input.backlog.subscriptions.map((subscription) => ({ subscription, url: subscriptionMonitoringUrl(subscription, project) }));
    // A failed read leaves the backlog unknown, as it is without a reader: the error says why, the state stays.
    if (!measured) backlog = { kind: 'cloud-monitoring', links };
    else if (failed(measured)) backlog = { kind: 'cloud-monitoring', links, error: measured.error };
    else backlog = { kind: 'cloud-monitoring', links, subscriptions: judgeBacklog(measured.subscriptions, now, warnings), unmeasured: measured.unmeasured };
  } else if (input.backlog?.kind === 'bus') {
    backlog = { kind: 'bus', subscriptions: judgeBacklog(input.backlog.subscriptions, now, warnings) };
  }
  const state = failed(input.intake) ? 'failing' : warnings.length > 0 ? 'warning' : 'ok';
  return { state, intake: input.intake, backlog, warnings };
}

const SEVERITY: Record<HealthState, number> = { off: 0, ok: 1, warning: 2, failing: 3 };

function schedulerOf(last: LastTick | undefined, now: number): HealthReport['components']['scheduler'] {
  // Before the first tick there is nothing to judge by; a deployment whose scheduler never runs stays a warning.
  if (!last) return { state: 'warning' };
  const ageMs = Math.max(0, now - last.finishedAt);
  const lastTick: TickHealth = {
    startedAt: new Date(last.startedAt).toISOString(),
    finishedAt: new Date(last.finishedAt).toISOString(),
    ageMs,
    summary: last.summary,
    failed: last.failed,
  };
  return { state: ageMs > TICK_WARNING_MS || last.failed.length > 0 ? 'warning' : 'ok', lastTick };
}

function reporterOf(oldest: { job: string; state: string; changedAt: number } | undefined, now: number): HealthReport['components']['reporter'] {
  if (!oldest) return { state: 'ok' };
  const lagMs = Math.max(0, now - oldest.changedAt);
  return { state: lagMs > REPORT_LAG_WARNING_MS ? 'warning' : 'ok', oldestDue: { job: oldest.job, state: oldest.state, changedAt: new Date(oldest.changedAt).toISOString(), lagMs } };
}

export function healthReport(input: HealthInput): HealthReport {
  const { now } = input;
  const budgets = input.budget ?? [];
  const readsByKey = new Map<string, InstallationBudget[]>();
  for (const budget of budgets) {
    const key = outboxKeyOf(budget);
    readsByKey.set(key, [...(readsByKey.get(key) ?? []), budget]);
  }
  const statsByKey = new Map(failed(input.outbox) ? [] : input.outbox.stats.map((stats) => [stats.installation, stats]));
  const installations = [...new Set([...statsByKey.keys(), ...readsByKey.keys()])]
    .map((installation): InstallationHealth => {
      const reads = readsByKey.get(installation);
      const stats = statsByKey.get(installation);
      const row = {
        installation,
        ...(reads ? { reads: joinReads(reads) } : {}),
        ...(stats ? { writes: writesOf(stats, now, input.writeLimits) } : {}),
      };
      const warnings = warningsOf(row, now);
      return { ...row, state: warnings.length > 0 ? 'warning' : 'ok', warnings };
    })
    .sort(byInstallation);

  const components: HealthReport['components'] = {
    config: {
      state: 'ok',
      source: input.config.snapshotVersion
        ? { kind: 'snapshot', version: input.config.snapshotVersion }
        : { kind: 'files', awaitingSnapshot: input.config.readsSnapshots },
      ...input.config.counts,
    },
    store: failed(input.store) ? { state: 'failing', error: input.store.error } : { state: 'ok', readMs: input.store.readMs },
    runners: runnersOf(input, now),
    outbox: failed(input.outbox)
      ? { state: 'failing', error: input.outbox.error }
      : {
          state: installations.some((row) => row.writes && row.state === 'warning') ? 'warning' : 'ok',
          installations: input.outbox.stats.length,
          waitingWrites: input.outbox.stats.reduce((sum, stats) => sum + stats.depth, 0),
          liveWriters: input.outbox.stats.filter((stats) => stats.writer && stats.writer.expiresAt > now).length,
        },
    scheduler: failed(input.scheduler) ? { state: 'failing', error: input.scheduler.error } : schedulerOf(input.scheduler.last, now),
    webhooks: webhooksOf(input, now),
    reporter: failed(input.reporter) ? { state: 'failing', error: input.reporter.error } : reporterOf(input.reporter.oldestDue, now),
    github: input.budget
      ? {
          state: installations.some((row) => row.reads?.primary.some((reading) => lowPrimary(reading, now))) ? 'warning' : 'ok',
          identities: budgets.length,
        }
      : { state: 'off' },
  };
  const state = Object.values(components).reduce<HealthState>((worst, component) => (SEVERITY[component.state] > SEVERITY[worst] ? component.state : worst), 'ok');
  return { state, generatedAt: new Date(now).toISOString(), components, installations };
}

// ---- rendering --------------------------------------------------------------------------------

const STATE_WORD: Record<HealthState, string> = { ok: 'ok', warning: 'warning', failing: 'failing', off: 'off' };

/** The state in words and an icon, coloured by class: colour alone carries nothing. */
function stateLabel(state: HealthState): SafeHtml {
  return html`<span class="state health-${state}">${STATE_ICON[state]} ${STATE_WORD[state]}</span>`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** "12 of 80" when the limit is known. */
function against(value: number, limit: number | undefined): string {
  return limit === undefined ? count(value) : `${count(value)} of ${count(limit)}`;
}

/** Within this of now, a time is shown as the time of day: the date goes without saying. */
const CLOCK_RANGE_MS = 12 * 3_600_000;

/** A time with its zone, and how far it is from now ("in 3m07s", "2m00s ago"). */
function timeWithDistance(iso: string, now: number): SafeHtml {
  const distance = Date.parse(iso) - now;
  const words = distance >= 0 ? `in ${formatDuration(distance)}` : `${formatDuration(-distance)} ago`;
  const time = Math.abs(distance) < CLOCK_RANGE_MS ? clockTimeElement(iso) : timeElement(iso);
  return html`${time} <span class="muted">(${words})</span>`;
}

function sourceText(source: HealthReport['components']['config']['source']): string {
  if (source.kind === 'snapshot') return `the published snapshot ${source.version.slice(0, 12)}`;
  return source.awaitingSnapshot ? 'the deployed config files (no usable snapshot published yet)' : 'the config files';
}

function schedulerDetails(scheduler: HealthReport['components']['scheduler'], now: number): SafeHtml {
  if (scheduler.state === 'failing') return html`Could not read the last tick: ${scheduler.error}`;
  const tick = scheduler.lastTick;
  if (!tick) return html`No tick recorded yet. The scheduler is called every minute (Cloud Scheduler; a timer in local mode).`;
  const late = tick.ageMs > TICK_WARNING_MS ? html` <span class="health-warning">Over ${formatDuration(TICK_WARNING_MS)} ago: calls are not arriving or not finishing.</span>` : '';
  const figures = Object.entries(tick.summary).map(([part, figure]) => `${part}: ${typeof figure === 'number' ? count(figure) : figure}`);
  const failures =
    tick.failed.length > 0
      ? html`<ul class="reasons">${tick.failed.map((failure) => html`<li><strong>${failure.part}</strong> failed: ${failure.error}</li>`)}</ul>`
      : '';
  return html`Last tick finished ${timeWithDistance(tick.finishedAt, now)}, in ${formatDuration(Date.parse(tick.finishedAt) - Date.parse(tick.startedAt))}.${late} ${figures.join('; ')}.${failures}`;
}

function reporterDetails(reporter: HealthReport['components']['reporter'], now: number): SafeHtml {
  if (reporter.state === 'failing') return html`Could not list unreported jobs: ${reporter.error}`;
  const oldest = reporter.oldestDue;
  if (!oldest) return html`Every finished job's result is reported. (Triggered and pending are reported from their change events and leave no record to measure.)`;
  const stuck = reporter.state === 'warning' ? html` <span class="health-warning">Over ${formatDuration(REPORT_LAG_WARNING_MS)}: reporting is stuck.</span>` : '';
  return html`Oldest unreported result: <a href="${jobPageHref(oldest.job)}">${oldest.job}</a> became ${oldest.state} ${timeWithDistance(oldest.changedAt, now)}; lag ${formatDuration(oldest.lagMs)}.${stuck}`;
}

function plural(value: number, one: string, many: string): string {
  return `${count(value)} ${value === 1 ? one : many}`;
}

/** Reasons for a warning, in words beside the colour. */
function attention(warnings: readonly string[]): SafeHtml | '' {
  return warnings.length > 0 ? html` <span class="health-warning">Needs attention: ${joinHtml(warnings, html`; `)}.</span>` : '';
}

function runnerLine(runner: RunnerHealth, now: number): SafeHtml {
  const version = runner.version ? html`version ${runner.version}, ` : '';
  const leases =
    runner.runningJobs > 0 && runner.leaseExpiresAt
      ? html`; leases on ${plural(runner.runningJobs, 'running job', 'running jobs')} until ${timeWithDistance(runner.leaseExpiresAt, now)}`
      : '';
  const name = html`<strong>${runner.holder}</strong> in cluster ${runner.cluster}`;
  if (runner.status === 'leases only' || !runner.lastHeartbeatAt) return html`<li>${name}: no presence record${leases}</li>`;
  const beat = html`last heartbeat ${timeWithDistance(runner.lastHeartbeatAt, now)}`;
  const held = html`${plural(runner.jobsHeld ?? 0, 'job', 'jobs')} held`;
  if (runner.status === 'stopped' && runner.stoppedAt) return html`<li>${name}: stopped ${timeWithDistance(runner.stoppedAt, now)}${leases}</li>`;
  const silent = runner.status === 'silent' ? html` <span class="health-warning">silent</span>` : '';
  return html`<li>${name}:${silent} ${version}${beat}, ${held}${leases}</li>`;
}

function runnersDetails(runners: RunnersHealth, now: number): SafeHtml {
  const live = runners.runners.filter((runner) => runner.status === 'live').length;
  const heard = runners.runners.filter((runner) => runner.status !== 'leases only').length;
  const summary =
    heard === 0
      ? html`No runner has been heard from in the last day.`
      : html`${plural(heard, 'runner', 'runners')} heard from in the last day, ${count(live)} live (a runner records itself every minute).`;
  const running = runners.running;
  let jobs: SafeHtml | '' = '';
  if (running) {
    const total = `${running.complete ? '' : 'at least '}${count(running.jobs)}`;
    const orphans =
      running.withoutLiveLease > 0
        ? html` ${count(running.withoutLiveLease)} of them ${running.withoutLiveLease === 1 ? 'has' : 'have'} no live lease: the runner stopped, and a runner of the cluster takes ${running.withoutLiveLease === 1 ? 'it' : 'them'} over.`
        : '';
    jobs = html` ${total} running ${running.jobs === 1 ? 'job' : 'jobs'}.${orphans}`;
  }
  const errors = runners.errors.map((failure) => html` Could not read the ${failure.part}: ${failure.error}.`);
  const list = runners.runners.length > 0 ? html`<ul class="reasons">${runners.runners.map((runner) => runnerLine(runner, now))}</ul>` : '';
  return html`${summary}${jobs}${errors}${attention(runners.warnings)}${list}`;
}

function backlogFigures(subscription: SubscriptionBacklogHealth, now: number): SafeHtml {
  const oldest = subscription.oldestPublishedAt ? html`, the oldest published ${timeWithDistance(subscription.oldestPublishedAt, now)}` : '';
  const sampled = subscription.sampledAt ? html`; sampled ${timeWithDistance(subscription.sampledAt, now)}` : '';
  return html`<strong>${subscription.subscription}</strong> (topic ${subscription.topic}): ${plural(subscription.unacknowledged, 'message', 'messages')} not yet acknowledged${oldest}${sampled}`;
}

function cloudBacklogDetails(backlog: Extract<WebhooksHealth['backlog'], { kind: 'cloud-monitoring' }>, now: number): SafeHtml {
  const chart = (subscription: string): SafeHtml => {
    const link = backlog.links.find((candidate) => candidate.subscription === subscription);
    return link ? html` — <a href="${link.url}">charts</a>` : html``;
  };
  if (backlog.subscriptions) {
    const lines = [
      ...backlog.subscriptions.map((subscription) => html`<li>${backlogFigures(subscription, now)}${chart(subscription.subscription)}</li>`),
      ...(backlog.unmeasured ?? []).map((subscription) => html`<li><strong>${subscription}</strong>: no sample in Cloud Monitoring in the last five minutes${chart(subscription)}</li>`),
    ];
    return html`Event backlog of the github-events subscriptions, Cloud Monitoring's newest sample:<ul class="reasons">${lines}</ul>`;
  }
  const links = joinHtml(
    backlog.links.map((link) => html`<a href="${link.url}">${link.subscription}</a>`),
    html`, `,
  );
  const what = html`undelivered messages and the oldest unacknowledged message's age of the github-events subscriptions ${links}`;
  if (backlog.error) return html`Event backlog: could not read it from Cloud Monitoring: ${backlog.error}. Its charts there — ${what}.`;
  return html`Event backlog: in Cloud Monitoring, not read by this page — ${what}.`;
}

function backlogDetails(backlog: WebhooksHealth['backlog'], now: number): SafeHtml {
  if (backlog.kind === 'unknown') return html`Event backlog: not known to this process.`;
  if (backlog.kind === 'cloud-monitoring') return cloudBacklogDetails(backlog, now);
  if (backlog.subscriptions.length === 0) return html`Event backlog: the in-process bus has no subscriptions yet.`;
  const lines = backlog.subscriptions.map((subscription) => html`<li>${backlogFigures(subscription, now)}</li>`);
  return html`Event backlog of the in-process bus, per subscription:<ul class="reasons">${lines}</ul>`;
}

function webhooksDetails(webhooks: WebhooksHealth, now: number): SafeHtml {
  const intake = webhooks.intake;
  const accepted =
    'error' in intake
      ? html`Could not count the deliveries: ${intake.error}.`
      : html`Deliveries accepted: ${count(intake.lastMinute)} in the last minute, ${count(intake.lastHour)} in the last hour.`;
  return html`${accepted} Rejected or failed deliveries are in the intake's log.${attention(webhooks.warnings)} ${backlogDetails(webhooks.backlog, now)}`;
}

function componentRows(report: HealthReport, now: number): SafeHtml[] {
  const { config, store, scheduler, runners, webhooks, reporter, outbox, github } = report.components;
  const rows: SafeHtml[] = [];
  const row = (name: string, state: HealthState, details: SafeHtml) => rows.push(html`<tr><th scope="row">${name}</th><td>${stateLabel(state)}</td><td>${details}</td></tr>`);

  row('Configuration', config.state, html`Loaded from ${sourceText(config.source)}: ${count(config.presubmits)} presubmits, ${count(config.postsubmits)} postsubmits, ${count(config.periodics)} periodics.`);
  row('Store', store.state, store.state === 'failing' ? html`Not answering: ${store.error}` : html`Answering: a one-document read took ${store.readMs.toFixed(1)} ms.`);

  row('Scheduler', scheduler.state, schedulerDetails(scheduler, now));

  row('Runners', runners.state, runnersDetails(runners, now));
  row('Webhook intake', webhooks.state, webhooksDetails(webhooks, now));
  row('Reporter', reporter.state, reporterDetails(reporter, now));

  if (outbox.state === 'failing') row('GitHub write outbox', 'failing', html`Could not read the outbox: ${outbox.error}`);
  else {
    row(
      'GitHub write outbox',
      outbox.state,
      html`${count(outbox.waitingWrites)} waiting ${outbox.waitingWrites === 1 ? 'write' : 'writes'} across ${count(outbox.installations)} ${outbox.installations === 1 ? 'installation' : 'installations'}; ${count(outbox.liveWriters)} ${outbox.liveWriters === 1 ? 'writer holds its' : 'writers hold their'} lease. Per installation below.`,
    );
  }

  row(
    'GitHub API (this process)',
    github.state,
    github.state === 'off'
      ? html`This process holds no GitHub credentials, so it has no rate-limit readings or request counts.`
      : html`Answers from GitHub for ${count(github.identities)} ${github.identities === 1 ? 'identity' : 'identities'} counted by the process serving this page. Per installation below.`,
  );
  return rows;
}

function primaryCell(reads: InstallationReads, now: number): SafeHtml {
  if (reads.primary.length === 0) return html`<td class="muted">No rate-limit headers yet</td>`;
  const lines = reads.primary.map((reading) => {
    const reset = Date.parse(reading.resetAt) <= now ? html`, <span class="muted">window reset since</span>` : '';
    return html`<div><strong>${reading.resource}</strong> ${count(reading.remaining)} of ${count(reading.limit)} left, resets ${timeWithDistance(reading.resetAt, now)}${reset}</div>`;
  });
  return html`<td class="primary">${lines}</td>`;
}

function readCells(reads: InstallationReads | undefined, now: number): SafeHtml {
  if (!reads) return html`<td colspan="3" class="muted">Not seen by this process</td>`;
  const secondary = reads.secondaryLimited > 0 ? html`<br><span class="health-warning">${count(reads.secondaryLimited)} secondary-limit ${reads.secondaryLimited === 1 ? 'answer' : 'answers'}</span>` : '';
  return html`${primaryCell(reads, now)}<td>${count(reads.requests)}${secondary}</td><td>${count(reads.notModified)}</td>`;
}

function writerCell(writer: InstallationWrites['writer'], now: number): SafeHtml {
  if (!writer) return html`<td class="muted">None</td>`;
  if (writer.lapsed) return html`<td class="muted">None (${writer.holder}'s lease lapsed ${timeWithDistance(writer.expiresAt, now)})</td>`;
  return html`<td>${writer.holder}<br><span class="muted">until</span> ${timeWithDistance(writer.expiresAt, now)}</td>`;
}

function writeCells(writes: InstallationWrites | undefined, now: number): SafeHtml {
  if (!writes) return html`<td colspan="8" class="muted">Writes nothing through the outbox</td>`;
  const oldest = writes.oldestWaitMs !== undefined ? formatDuration(writes.oldestWaitMs) : html`<span class="muted">Nothing waiting</span>`;
  // GitHub's reason is in the row that says why the installation needs attention.
  const blocked = writes.blocked ? timeWithDistance(writes.blocked.until, now) : html`<span class="muted">Not blocked</span>`;
  return html`<td>${against(writes.lastMinute, writes.limits?.perMinute)}</td><td>${against(writes.lastHour, writes.limits?.perHour)}</td><td>${count(writes.depth)}</td><td>${oldest}</td><td>${count(writes.saved)}</td><td>${count(writes.failed)}</td><td>${blocked}</td>${writerCell(writes.writer, now)}`;
}

function installationName(row: InstallationHealth): SafeHtml {
  const identities = row.reads?.identities.filter((identity) => identity !== `installation-${row.installation}` && identity !== row.installation) ?? [];
  const name = /^\d+$/.test(row.installation) ? `installation ${row.installation}` : row.installation;
  const notes = [...identities, ...(row.installation.startsWith('app-') ? ["the App's own requests"] : [])];
  return html`${name}${notes.length > 0 ? html`<br><span class="muted">${notes.join(', ')}</span>` : ''}`;
}

const INSTALLATION_COLUMNS = 12;

/** A row needing attention is followed by one spanning the table that says why, so the numbers keep their columns. */
function installationRow(row: InstallationHealth, now: number): SafeHtml {
  const main = html`<tr${row.state === 'warning' ? html` class="attention"` : ''}><th scope="row">${installationName(row)}<br>${stateLabel(row.state)}</th>${readCells(row.reads, now)}${writeCells(row.writes, now)}</tr>`;
  if (row.warnings.length === 0) return main;
  return html`${main}
<tr class="attention why"><td colspan="${INSTALLATION_COLUMNS}">Needs attention: ${joinHtml(row.warnings, html`; `)}.</td></tr>`;
}

function installationsTable(report: HealthReport, now: number, limits: WritePace | undefined): SafeHtml {
  const pace = limits
    ? html`The writer sends at most ${count(limits.perMinute)} content writes a minute and ${count(limits.perHour)} an hour per installation, under GitHub's secondary limits.`
    : html`The writer's pace is not known to this process.`;
  const rows =
    report.installations.length > 0
      ? joinHtml(report.installations.map((row) => installationRow(row, now)), html`\n`)
      : html`<tr><td colspan="${INSTALLATION_COLUMNS}">No installation has written through the outbox or been heard from yet.</td></tr>`;
  return html`<section aria-labelledby="budget-title">
<h2 id="budget-title">GitHub budget per installation</h2>
<p>${pace} Rate limits, requests and 304s are what GitHub answered the process serving this page; in the cloud, the status function counts only its own requests. A row needs attention when its oldest write has waited over a minute, when GitHub has asked for no writes for a while, or when under ${LOW_BUDGET_SHARE * 100}% of a rate limit is left.</p>
<div class="table-wrap"><table id="installations" class="wrapping-heads" aria-labelledby="budget-title">
<thead><tr><th scope="col">Installation and state</th><th scope="col">Primary rate limit</th><th scope="col">Requests</th><th scope="col">304s served</th><th scope="col">Writes last minute</th><th scope="col">Writes last hour</th><th scope="col">Waiting writes</th><th scope="col">Oldest waiting</th><th scope="col">Saved by coalescing</th><th scope="col">Failed writes</th><th scope="col">Blocked until</th><th scope="col">Writer</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</section>`;
}

export function healthBody(report: HealthReport, limits?: WritePace): SafeHtml {
  const now = Date.parse(report.generatedAt);
  const attention = report.installations.filter((row) => row.state === 'warning').length;
  const overall =
    attention > 0
      ? html` ${count(attention)} ${attention === 1 ? 'installation needs' : 'installations need'} attention.`
      : '';
  return html`<h1>Health</h1>
<p>Overall: ${stateLabel(report.state)}.${overall} As of ${timeElement(report.generatedAt)}; <a href="/health.json">as JSON</a>.</p>
<section aria-labelledby="components-title">
<h2 id="components-title">Components</h2>
<div class="table-wrap"><table id="components" aria-labelledby="components-title">
<thead><tr><th scope="col">Component</th><th scope="col">State</th><th scope="col">Details</th></tr></thead>
<tbody>${joinHtml(componentRows(report, now), html`\n`)}</tbody></table></div>
</section>
${installationsTable(report, now, limits)}`;
}

// ---- serving ----------------------------------------------------------------------------------

async function reportFor(page: StatusRequest): Promise<HealthReport> {
  const { deps } = page;
  const input = await gatherHealth(
    {
      store: deps.store,
      log: deps.log,
      config: deps.config,
      ...(deps.githubBudget ? { githubBudget: deps.githubBudget } : {}),
      ...(deps.writeLimits ? { writeLimits: deps.writeLimits } : {}),
      ...(deps.eventBacklog ? { eventBacklog: deps.eventBacklog } : {}),
    },
    page.config,
    page.now,
  );
  return healthReport(input);
}

/** `GET /health`. */
export async function serveHealth(page: StatusRequest): Promise<void> {
  sendPage(page, 'Health', healthBody(await reportFor(page), page.deps.writeLimits), 'health');
}

/** `GET /health.json`: the same report, for scripts and monitoring. */
export async function serveHealthJson(page: StatusRequest): Promise<void> {
  const report = await reportFor(page);
  sendCompressible(page.response, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, JSON.stringify(report));
}
