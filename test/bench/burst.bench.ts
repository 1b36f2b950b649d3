import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { startLocalSystem, type LocalSystem } from '../../cli/local/system';
import { loadConfigOrThrow } from '../../shared/config/load';
import type { Config } from '../../shared/config/model';
import { PROW_LABELS } from '../../shared/jobs/factory';
import { createLogger } from '../../shared/log/logger';
import { GITHUB_WRITE_LIMITS, type WriteLimits } from '../../shared/outbox/pace';
import { isIdlePlan, planDispatch } from '../../shared/plugins/engine';
import { LANES, laneDeliveryKey } from '../../shared/plugins/lanes';
import { PLUGIN_SETTINGS, PLUGINS } from '../../shared/plugins/registry';
import { jobPageUrl } from '../../shared/prowjob/job-page';
import { githubStatusFor } from '../../shared/reporter/github-status';
import type { OutboxEntry, OutboxWriteRequest } from '../../shared/store/outbox';
import type { StoredJob } from '../../shared/store/store';
import { startFirestoreEmulator, startPubSubEmulator } from '../support/emulators';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github';
import { issueComment, pullRequest, push } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import { duplicatedEffects, earliestFinish, percentile, sentRequests, type DuplicatedEffects } from './burst-figures';

/**
 * Issue 15's and issue 25's burst: `cutwater local` in-process (embedded backends, then the
 * Firestore and Pub/Sub emulators) takes a burst of deliveries — PR opens, `/test`, `/lgtm`,
 * `/label`, `/hold`, `/assign`, pushes, with commands and their undoing on one PR interleaved with
 * other PRs' events — sent as fast as `POST /hook` acknowledges them, against a fake GitHub that
 * answers every write in 200 ms and refuses (403, Retry-After) a write beyond 80 a minute or 500
 * an hour. Jobs are created but never run (the local runner takes another cluster); the reporter
 * still reports their pending statuses, which are GitHub writes like the plugins'.
 *
 * Time is compressed by BURST_TIME_SCALE: GitHub's windows, its write delay and the writer's
 * windows and coalescing window are all divided by it, so the hour GitHub's limits impose on a
 * few hundred writes passes in minutes. Job creation does not depend on GitHub, so its latency is
 * measured as is, unscaled. What the store does per write (its round trips) is not compressed
 * either, so where the pace leaves the writer little time per request it weighs more than it would.
 *
 * Environment: BURST_DELIVERIES (500), BURST_REPOS (50), BURST_TIME_SCALE (30), BURST_SENDERS (4),
 * BURST_BACKENDS ("embedded,emulators"). At 30× the two runs take about six minutes together.
 */

const SECRET = 'burst-bench-secret-5e2a';
const ORG = 'burst';
const REVIEWER = 'burst-reviewer';
const AUTHORS = ['ana', 'bo', 'chen', 'dara', 'eli'];
/** Labels commands add and remove: `/label` (plugins.yaml additional_labels) and the kind family. */
const OFFERED_LABEL = 'needs-design';
const KIND_LABEL = 'kind/bug';
const HOLD_LABEL = 'do-not-merge/hold';
const LGTM_LABEL = 'lgtm';
/** Lines each PR changes, with the size label the size plugin gives them (its default thresholds). */
const SIZES = [
  { lines: 4, label: 'size/XS' },
  { lines: 18, label: 'size/S' },
  { lines: 60, label: 'size/M' },
] as const;
const PRS_PER_REPO = 3;
/** GitHub's, in real time. */
const WRITE_DELAY_MS = 200;
const COALESCE_WINDOW_MS = 2_000;

const Settings = z.object({
  BURST_DELIVERIES: z.coerce.number().int().min(10).default(500),
  BURST_REPOS: z.coerce.number().int().min(1).default(50),
  BURST_TIME_SCALE: z.coerce.number().min(1).default(30),
  BURST_SENDERS: z.coerce.number().int().min(1).default(4),
  /** "embedded,emulators" by default; one of them to run only that. */
  BURST_BACKENDS: z.string().default('embedded,emulators'),
});
type Settings = z.infer<typeof Settings>;

// ---- the scenario ------------------------------------------------------------------------------

type Command =
  | { kind: 'test' }
  | { kind: 'lgtm'; undo: boolean }
  | { kind: 'hold'; undo: boolean }
  | { kind: 'label'; undo: boolean }
  | { kind: 'kind'; undo: boolean }
  | { kind: 'assign'; undo: boolean };

type Planned =
  | { what: 'opened'; repo: string; number: number }
  | { what: 'push'; repo: string; sha: string }
  | { what: 'comment'; repo: string; number: number; command: Command };

interface Delivery {
  id: string;
  planned: Planned;
  /** Deliveries with one key are sent one after the other (GitHub's order on one PR). */
  key: string;
  /** Jobs the delivery should create. */
  jobs: number;
  ackAt?: number;
  /** The delivery's processing keys of the lanes that have work for it (laneDeliveryKey), once sent. */
  laneKeys?: string[];
}

function commentText(repoName: string, command: Command): string {
  switch (command.kind) {
    case 'test':
      return `/test ${repoName}-e2e`;
    case 'lgtm':
      return command.undo ? '/lgtm cancel' : '/lgtm';
    case 'hold':
      return command.undo ? '/hold cancel' : '/hold';
    case 'label':
      return command.undo ? `/remove-label ${OFFERED_LABEL}` : `/label ${OFFERED_LABEL}`;
    case 'kind':
      return command.undo ? '/remove-kind bug' : '/kind bug';
    case 'assign':
      return command.undo ? '/unassign' : '/assign';
  }
}

/** A small deterministic generator, so runs of the bench send the same burst. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function repoName(index: number): string {
  return `repo-${String(index).padStart(2, '0')}`;
}

function sha(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * Each repository's share of the deliveries: its PRs opened first, then pushes, `/test`s and
 * commands — a third of the label and hold commands followed, on the same PR, by their undoing —
 * and the repositories' sequences shuffled into one, so a command and its undoing have other
 * PRs' events between them.
 */
function planBurst(settings: Settings): Delivery[] {
  const next = random(15_25);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const perRepo: Delivery[][] = [];
  let pushes = 0;
  for (let index = 0; index < settings.BURST_REPOS; index++) {
    const name = repoName(index);
    const repo = `${ORG}/${name}`;
    const budget = Math.floor(settings.BURST_DELIVERIES / settings.BURST_REPOS) + (index < settings.BURST_DELIVERIES % settings.BURST_REPOS ? 1 : 0);
    const planned: Planned[] = [];
    for (let number = 1; number <= Math.min(PRS_PER_REPO, budget); number++) planned.push({ what: 'opened', repo, number });
    while (planned.length < budget) {
      const number = 1 + Math.floor(next() * PRS_PER_REPO);
      const roll = next();
      if (roll < 0.15) {
        planned.push({ what: 'push', repo, sha: sha(`${repo} push ${++pushes}`) });
        continue;
      }
      if (roll < 0.35) {
        planned.push({ what: 'comment', repo, number, command: { kind: 'test' } });
        continue;
      }
      const kind = pick(['lgtm', 'hold', 'label', 'kind', 'assign'] as const);
      planned.push({ what: 'comment', repo, number, command: { kind, undo: false } });
      // The undoing, right behind (on this PR): a pair that should cancel in the outbox.
      if (planned.length < budget && next() < 0.5) planned.push({ what: 'comment', repo, number, command: { kind, undo: true } });
    }
    perRepo.push(
      planned.map((each, position) => ({
        id: `burst-${index}-${position}`,
        planned: each,
        key: each.what === 'push' ? `${each.repo} push` : `${each.repo}#${each.number}`,
        jobs: each.what === 'opened' ? 2 : each.what === 'push' ? 1 : each.command.kind === 'test' ? 1 : 0,
      })),
    );
  }
  // Interleaved: each next delivery from a repository chosen at random, in its own order.
  const burst: Delivery[] = [];
  const cursors = perRepo.map(() => 0);
  for (;;) {
    const open = perRepo.map((_, index) => index).filter((index) => cursors[index]! < perRepo[index]!.length);
    if (open.length === 0) break;
    const index = pick(open);
    burst.push(perRepo[index]![cursors[index]!++]!);
  }
  return burst;
}

// ---- what the PRs should end as ----------------------------------------------------------------

interface PullState {
  labels: Set<string>;
  assignees: Set<string>;
}

/**
 * Each PR as the last command of each kind leaves it: its size label from being opened; `lgtm`,
 * the hold, `needs-design` and `kind/bug` as their last command said; the reviewer assigned by
 * `/assign` or by any `/lgtm` (Prow's lgtm assigns the reviewer, and its cancel does not unassign),
 * unassigned by `/unassign`.
 */
function expectedPulls(burst: readonly Delivery[], pulls: Pulls): Map<string, PullState> {
  const expected = new Map<string, PullState>();
  for (const { planned } of burst) {
    if (planned.what === 'push') continue;
    const key = `${planned.repo}#${planned.number}`;
    let pull = expected.get(key);
    if (!pull) expected.set(key, (pull = { labels: new Set(), assignees: new Set() }));
    if (planned.what === 'opened') {
      pull.labels.add(pulls.get(key)!.sizeLabel);
      continue;
    }
    const { command } = planned;
    const toggle = (set: Set<string>, value: string, undo: boolean) => (undo ? set.delete(value) : set.add(value));
    switch (command.kind) {
      case 'test':
        break;
      case 'lgtm':
        toggle(pull.labels, LGTM_LABEL, command.undo);
        pull.assignees.add(REVIEWER);
        break;
      case 'hold':
        toggle(pull.labels, HOLD_LABEL, command.undo);
        break;
      case 'label':
        toggle(pull.labels, OFFERED_LABEL, command.undo);
        break;
      case 'kind':
        toggle(pull.labels, KIND_LABEL, command.undo);
        break;
      case 'assign':
        toggle(pull.assignees, REVIEWER, command.undo);
        break;
    }
  }
  return expected;
}

// ---- the system under load ---------------------------------------------------------------------

interface Scaled {
  scale: number;
  writeDelayMs: number;
  limits: WriteLimits;
  coalesceWindowMs: number;
}

function scaled(scale: number): Scaled {
  return {
    scale,
    writeDelayMs: WRITE_DELAY_MS / scale,
    limits: { windows: GITHUB_WRITE_LIMITS.windows.map((window) => ({ max: window.max, ms: window.ms / scale })) },
    coalesceWindowMs: COALESCE_WINDOW_MS / scale,
  };
}

function writeConfig(dir: string, settings: Settings): { configPath: string; jobConfigPath: string; pluginConfigPath: string } {
  const spec = { containers: [{ image: 'node:22-alpine', command: ['node', '-e'], args: ['0'] }] };
  const presubmits: Record<string, unknown[]> = {};
  const postsubmits: Record<string, unknown[]> = {};
  for (let index = 0; index < settings.BURST_REPOS; index++) {
    const name = repoName(index);
    presubmits[`${ORG}/${name}`] = [
      { name: `${name}-unit`, always_run: true, decorate: false, spec },
      { name: `${name}-lint`, always_run: true, decorate: false, spec },
      { name: `${name}-e2e`, always_run: false, decorate: false, spec },
    ];
    postsubmits[`${ORG}/${name}`] = [{ name: `${name}-build`, branches: ['main'], decorate: false, spec }];
  }
  const configPath = path.join(dir, 'config.yaml');
  const pluginConfigPath = path.join(dir, 'plugins.yaml');
  const jobConfigPath = path.join(dir, 'jobs');
  mkdirSync(jobConfigPath);
  // YAML takes JSON as it is.
  writeFileSync(configPath, JSON.stringify({ prowjob_namespace: 'default', pod_namespace: 'test-pods' }));
  writeFileSync(path.join(jobConfigPath, 'burst.yaml'), JSON.stringify({ presubmits, postsubmits }));
  writeFileSync(
    pluginConfigPath,
    JSON.stringify({
      plugins: { [ORG]: { plugins: ['trigger', 'lgtm', 'label', 'hold', 'size', 'assign'] } },
      label: { additional_labels: [OFFERED_LABEL] },
    }),
  );
  return { configPath, jobConfigPath, pluginConfigPath };
}

/** A seeded pull request, by "org/repo#number": who opened it and the size label its change earns. */
type Pulls = ReadonlyMap<string, { author: string; sizeLabel: string }>;

async function fakeGitHub(settings: Settings, time: Scaled): Promise<{ github: FakeGitHub; pulls: Pulls }> {
  const [perMinute, perHour] = GITHUB_WRITE_LIMITS.windows;
  const github = await startFakeGitHub({
    writeDelayMs: time.writeDelayMs,
    secondaryLimits: { perMinute: perMinute!.max, perHour: perHour!.max, minuteMs: perMinute!.ms / time.scale, hourMs: perHour!.ms / time.scale },
  });
  // Reads are not what is measured; an installation's budget of 5,000 an hour would not bind here either.
  github.setRateLimit({ remaining: 1_000_000, limit: 1_000_000 });
  const pulls = new Map<string, { author: string; sizeLabel: string }>();
  for (const author of AUTHORS) github.addOrgMember(ORG, author);
  github.addOrgMember(ORG, REVIEWER);
  for (let index = 0; index < settings.BURST_REPOS; index++) {
    const repo = `${ORG}/${repoName(index)}`;
    github.addRepo(repo);
    github.addCollaborator(repo, REVIEWER);
    github.addRepoLabels(repo, [LGTM_LABEL, HOLD_LABEL, OFFERED_LABEL, KIND_LABEL, ...SIZES.map((size) => size.label)]);
    for (let number = 1; number <= PRS_PER_REPO; number++) {
      const size = SIZES[(index + number) % SIZES.length]!;
      const author = AUTHORS[(index + number) % AUTHORS.length]!;
      pulls.set(`${repo}#${number}`, { author, sizeLabel: size.label });
      github.addPullRequest(repo, {
        number,
        author,
        headSha: sha(`${repo}#${number} head`),
        files: [{ filename: `pkg/file-${number}.go`, additions: size.lines }],
        authorAssociation: 'MEMBER',
      });
    }
  }
  return { github, pulls };
}

function payloadOf(delivery: Delivery, github: FakeGitHub, pulls: Pulls): { event: string; body: string } {
  const { planned } = delivery;
  if (planned.what === 'push') {
    return { event: 'push', body: JSON.stringify(push({ repo: planned.repo, after: planned.sha, files: ['main.go'] })) };
  }
  const issue = {
    repo: planned.repo,
    number: planned.number,
    author: pulls.get(`${planned.repo}#${planned.number}`)!.author,
    // What GitHub shows when the event happens, as its payloads carry.
    labels: github.labels(planned.repo, planned.number),
    assignees: github.assignees(planned.repo, planned.number),
  };
  if (planned.what === 'opened') {
    const pull = pullRequest('opened', {
      ...issue,
      headSha: sha(`${planned.repo}#${planned.number} head`),
      headRef: `pr-${planned.number}`,
      // As the fake derives its base commit.
      baseSha: sha(`${planned.repo}:main`),
      authorAssociation: 'MEMBER',
    });
    return { event: 'pull_request', body: JSON.stringify(pull) };
  }
  const comment = issueComment({ ...issue, commenter: REVIEWER, comment: commentText(planned.repo.split('/')[1]!, planned.command), commentId: 700_000 + Number(delivery.id.replace(/\D/g, '')) });
  return { event: 'issue_comment', body: JSON.stringify(comment) };
}

/**
 * Sends the burst with `senders` concurrent senders, each taking the next delivery in order; one
 * PR's deliveries go one at a time, each once the one before was acknowledged, as GitHub delivers
 * them. Records when each was acknowledged.
 */
async function sendBurst(
  system: LocalSystem,
  config: Config,
  github: FakeGitHub,
  pulls: Pulls,
  burst: readonly Delivery[],
  senders: number,
): Promise<void> {
  let next = 0;
  const previous = new Map<string, Promise<void>>();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < burst.length) {
        const delivery = burst[next++]!;
        const before = previous.get(delivery.key);
        let acknowledged!: () => void;
        previous.set(delivery.key, new Promise<void>((resolve) => (acknowledged = resolve)));
        await before;
        try {
          const { event, body } = payloadOf(delivery, github, pulls);
          delivery.laneKeys = lanesWithWork(config, event, delivery.id, body);
          const response = await fetch(`${system.url}/hook`, { method: 'POST', headers: signedHeaders(SECRET, event, body, delivery.id), body });
          delivery.ackAt = Date.now();
          await response.arrayBuffer();
          if (response.status >= 300) throw new Error(`POST /hook answered ${response.status} for ${delivery.id}`);
        } finally {
          acknowledged();
        }
      }
    }),
  );
}

async function allJobs(system: LocalSystem): Promise<StoredJob[]> {
  const jobs: StoredJob[] = [];
  let cursor: string | undefined;
  do {
    const page = await system.store.jobs.list({}, { limit: 1000, ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor);
  return jobs;
}

/**
 * Until every delivery is handled, every job's state is reported (its status in the outbox) and
 * the outbox is empty — or `timeoutMs` passed. Polls; what is measured comes from the store's own
 * times, not from when this noticed.
 */
async function settled(
  system: LocalSystem,
  burst: readonly Delivery[],
  timeoutMs: number,
): Promise<{ finished: boolean; handled?: { at: number; cpu: NodeJS.CpuUsage } }> {
  const deadline = Date.now() + timeoutMs;
  // Often while deliveries are handled (their end is measured so); then seldom, as the store's
  // own times say when the outbox emptied, and listing every job loads the store being measured.
  const pause = () => new Promise((resolve) => setTimeout(resolve, allHandled ? 1_000 : 100));
  let handled = 0;
  let allHandled: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  while (Date.now() < deadline) {
    await pause();
    for (; handled < burst.length; handled++) {
      if (!(await lanesDone(system, burst[handled]!))) break;
    }
    if (handled < burst.length) continue;
    allHandled ??= { at: Date.now(), cpu: process.cpuUsage() };
    if ((await allJobs(system)).some((stored) => stored.reportDue)) continue;
    if ((await system.store.outbox.stats()).every((installation) => installation.depth === 0)) return { finished: true, handled: allHandled };
  }
  return { finished: false, ...(allHandled ? { handled: allHandled } : {}) };
}

/**
 * A lane with nothing for a delivery acknowledges it without a processing record
 * (shared/webhook/events.ts), so a delivery is handled once each lane with work for it is done:
 * found with the engine's own planning over the config the system runs.
 */
function lanesWithWork(config: Config, event: string, id: string, body: string): string[] {
  const delivery = { name: event, id, rawBody: body, payload: JSON.parse(body) as unknown };
  const dependencies = { plugins: PLUGINS, pluginConfig: config.plugins ?? {}, config };
  return Object.values(LANES)
    .filter((lane) => !isIdlePlan(planDispatch(dependencies, delivery, lane)))
    .map((lane) => laneDeliveryKey(lane, id));
}

async function lanesDone(system: LocalSystem, delivery: Delivery): Promise<boolean> {
  for (const key of delivery.laneKeys ?? []) {
    if (!(await system.store.deliveries.get(key))?.done) return false;
  }
  return delivery.laneKeys !== undefined;
}

// ---- one run -----------------------------------------------------------------------------------

interface RunFigures {
  backend: string;
  finished: boolean;
  deliveries: number;
  /** From the first send until every delivery was handled (seen by polling, every 100 ms). */
  handlingMs: number;
  /** This process's CPU time (user and system) in that span: Cutwater, the fake GitHub and the senders. */
  handlingCpuMs: number;
  /** The machine's one-minute load average when the burst started. */
  loadAverage: number;
  reads: number;
  notModified: number;
  ackSpanMs: number;
  jobDeliveries: number;
  jobLatencies: number[];
  createdBeforeAck: number;
  jobsMissing: number;
  jobsExtra: number;
  enqueued: number;
  /** How long each outbox enqueue took (handlers', the reporter's and the writer's follow-ups), sorted. */
  enqueueMs: number[];
  sentEntries: number;
  requests: number;
  requestsByOutbox: number;
  saved: number;
  failed: number;
  secondaryLimited: number;
  peakConcurrentWrites: number;
  effectsDoneMs: number;
  /**
   * From GitHub's answer to one request to its answer to the next, sorted: the write itself plus
   * the writer's work between requests, or longer when the pace holds the writer.
   */
  requestGapsMs: number[];
  minimumMs: number;
  minimumWithWindowMs: number;
  duplicated: DuplicatedEffects;
  finalErrors: { labels: number; assignees: number; statuses: number; examples: string[] };
  warnings: number;
  errors: number;
  logExamples: string[];
}

async function runBurst(settings: Settings, time: Scaled, backend: 'embedded' | 'emulators'): Promise<RunFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-burst-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const { github, pulls } = await fakeGitHub(settings, time);
    cleanups.push(() => github.close());
    let emulators: { projectId: string; firestoreHost: string; pubsubHost: string } | undefined;
    if (backend === 'emulators') {
      const [firestore, pubsub] = await Promise.all([startFirestoreEmulator('cutwater-burst'), startPubSubEmulator('cutwater-burst')]);
      cleanups.push(() => firestore.stop(), () => pubsub.stop());
      emulators = { projectId: 'cutwater-burst', firestoreHost: firestore.host, pubsubHost: pubsub.host };
    }
    const logged = { warnings: 0, errors: 0, examples: [] as string[] };
    const log = createLogger({
      minimum: 'WARNING',
      sink: (line) => {
        const entry = JSON.parse(line) as { severity: string; message: string };
        if (entry.severity === 'ERROR') logged.errors++;
        else logged.warnings++;
        if (logged.examples.length < 5) logged.examples.push(`${entry.severity}: ${entry.message}`);
      },
    });
    const configPaths = writeConfig(dir, settings);
    const config = await loadConfigOrThrow(configPaths, { pluginSettings: PLUGIN_SETTINGS });
    const system = await startLocalSystem({
      configPaths,
      dataDir: path.join(dir, 'data'),
      port: 0,
      log,
      env: { GITHUB_TOKEN: 'burst-token', GITHUB_API_URL: github.url, WEBHOOK_SECRET: SECRET },
      ...(emulators ? { emulators } : {}),
      // No runner takes the jobs: their creation and their pending statuses are what is measured.
      cluster: 'burst-no-runner',
      writeLimits: time.limits,
      coalesceWindowMs: time.coalesceWindowMs,
    });
    cleanups.push(() => system.stop());

    // The outbox lists no entries, so their keys are noted as they are enqueued and each entry is
    // read back with get() at the end, for the times the store gave it.
    const enqueued: OutboxWriteRequest[] = [];
    const enqueueMs: number[] = [];
    const outbox = system.store.outbox;
    const enqueue = outbox.enqueue.bind(outbox);
    outbox.enqueue = async (requests) => {
      enqueued.push(...requests);
      const started = performance.now();
      try {
        return await enqueue(requests);
      } finally {
        enqueueMs.push(performance.now() - started);
      }
    };

    const burst = planBurst(settings);
    const cpuAtStart = process.cpuUsage();
    const startedAt = Date.now();
    const loadAtStart = loadavg()[0] ?? Number.NaN;
    await sendBurst(system, config, github, pulls, burst, settings.BURST_SENDERS);
    const acks = burst.map((delivery) => delivery.ackAt!);
    const firstAck = Math.min(...acks);
    // Generous: the least GitHub's limits allow for ~20 writes a repository, three times over.
    const expectedMinimumMs = ((settings.BURST_REPOS * 20) / 500) * (3_600_000 / time.scale);
    const { finished, handled } = await settled(system, burst, Math.max(120_000, 3 * expectedMinimumMs));
    const handlingCpuMs = handled ? (handled.cpu.user + handled.cpu.system - cpuAtStart.user - cpuAtStart.system) / 1000 : Number.NaN;
    const handlingMs = handled ? handled.at - startedAt : Number.NaN;

    const jobs = await allJobs(system);
    const byDelivery = new Map<string, StoredJob[]>();
    for (const stored of jobs) {
      const guid = stored.job.metadata.labels?.[PROW_LABELS.eventGuid];
      if (guid) byDelivery.set(guid, [...(byDelivery.get(guid) ?? []), stored]);
    }
    const jobLatencies: number[] = [];
    let createdBeforeAck = 0;
    let jobsMissing = 0;
    let jobsExtra = 0;
    for (const delivery of burst) {
      const created = byDelivery.get(delivery.id) ?? [];
      jobsMissing += Math.max(0, delivery.jobs - created.length);
      jobsExtra += Math.max(0, created.length - delivery.jobs);
      if (delivery.jobs === 0 || created.length === 0) continue;
      const latency = Math.max(...created.map((stored) => stored.createdAt)) - delivery.ackAt!;
      if (latency < 0) createdBeforeAck++;
      jobLatencies.push(Math.max(0, latency));
    }
    jobLatencies.sort((a, b) => a - b);

    const entries = (await Promise.all(enqueued.map((request) => outbox.get(request.installation, request.id)))).filter(
      (entry): entry is OutboxEntry => entry !== undefined,
    );
    const unique = [...new Map(entries.map((entry) => [`${entry.installation} ${entry.id}`, entry])).values()];
    const requests = sentRequests(unique);
    const lastSettled = Math.max(...unique.map((entry) => entry.settledAt ?? Number.NaN));
    const releases = requests.map((request) => request.releasedAt);
    const minimumEnd = earliestFinish(releases, time.writeDelayMs, time.limits.windows);
    const minimumWithWindowEnd = earliestFinish(
      releases.map((release) => release + time.coalesceWindowMs),
      time.writeDelayMs,
      time.limits.windows,
    );
    const stats = await system.store.outbox.stats();
    const counters = github.counters();

    return {
      backend,
      finished,
      deliveries: burst.length,
      handlingMs,
      handlingCpuMs,
      loadAverage: loadAtStart,
      reads: github.requests.filter((request) => request.method === 'GET').length,
      notModified: github.requests.filter((request) => request.status === 304).length,
      ackSpanMs: Math.max(...acks) - firstAck,
      jobDeliveries: burst.filter((delivery) => delivery.jobs > 0).length,
      jobLatencies,
      createdBeforeAck,
      jobsMissing,
      jobsExtra,
      enqueued: unique.length,
      enqueueMs: enqueueMs.sort((a, b) => a - b),
      sentEntries: unique.filter((entry) => entry.state === 'sent').length,
      requests: counters.writes,
      requestsByOutbox: requests.length,
      saved: stats.reduce((total, installation) => total + installation.saved, 0),
      failed: stats.reduce((total, installation) => total + installation.failed, 0),
      secondaryLimited: counters.secondaryLimited,
      peakConcurrentWrites: counters.peakConcurrentWrites,
      effectsDoneMs: lastSettled - firstAck,
      requestGapsMs: requests
        .slice(1)
        .map((request, index) => request.settledAt - requests[index]!.settledAt)
        .sort((a, b) => a - b),
      minimumMs: minimumEnd - firstAck,
      minimumWithWindowMs: minimumWithWindowEnd - firstAck,
      duplicated: duplicatedEffects(github.requests),
      finalErrors: finalStateErrors(burst, pulls, github, jobs, system.url),
      warnings: logged.warnings,
      errors: logged.errors,
      logExamples: logged.examples,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/**
 * PRs whose labels or assignees differ from what the last command of each kind asked, and commits
 * whose status for a context differs from what the newest job for that commit and context last
 * reported (its state and description; the link to that job's page).
 */
function finalStateErrors(
  burst: readonly Delivery[],
  pulls: Pulls,
  github: FakeGitHub,
  jobs: readonly StoredJob[],
  statusUrl: string,
): RunFigures['finalErrors'] {
  const errors: RunFigures['finalErrors'] = { labels: 0, assignees: 0, statuses: 0, examples: [] };
  const note = (kind: 'labels' | 'assignees' | 'statuses', example: string) => {
    errors[kind]++;
    if (errors.examples.length < 5) errors.examples.push(example);
  };
  const sorted = (values: Iterable<string>) => [...values].map((value) => value.toLowerCase()).sort();
  for (const [key, expected] of expectedPulls(burst, pulls)) {
    const [repo, number] = key.split('#') as [string, string];
    const labels = sorted(github.labels(repo, Number(number)));
    const assignees = sorted(github.assignees(repo, Number(number)));
    if (labels.join() !== sorted(expected.labels).join()) note('labels', `${key} labels [${labels.join(', ')}], expected [${sorted(expected.labels).join(', ')}]`);
    if (assignees.join() !== sorted(expected.assignees).join()) note('assignees', `${key} assignees [${assignees.join(', ')}], expected [${sorted(expected.assignees).join(', ')}]`);
  }
  const newest = new Map<string, StoredJob>();
  for (const stored of jobs) {
    const target = githubStatusFor(stored.job);
    if (!target) continue;
    const key = `${target.owner}/${target.repo}@${target.sha} ${target.status.context}`;
    const current = newest.get(key);
    if (!current || stored.createdAt > current.createdAt) newest.set(key, stored);
  }
  for (const [key, stored] of newest) {
    const expected = githubStatusFor(stored.job, { targetUrl: jobPageUrl(statusUrl, stored.job.metadata.name ?? '') })!;
    const actual = github.statuses(`${expected.owner}/${expected.repo}`, expected.sha).find((status) => status.context === expected.status.context);
    const same =
      actual?.state === expected.status.state && actual.description === expected.status.description && actual.target_url === expected.status.target_url;
    if (!same) note('statuses', `${key}: ${actual ? `${actual.state} → ${actual.target_url ?? ''}` : 'no status'}, expected ${expected.status.state} → ${expected.status.target_url ?? ''}`);
  }
  return errors;
}

// ---- the table ---------------------------------------------------------------------------------

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function minutes(ms: number): string {
  return `${(ms / 60_000).toFixed(1)} min`;
}

function mark(pass: boolean): string {
  return pass ? '✔' : '✖';
}

function formatTable(settings: Settings, time: Scaled, runs: readonly RunFigures[]): string {
  const row = (label: string, goal: string, cell: (run: RunFigures) => string) =>
    `| ${label} | ${runs.map(cell).join(' | ')} | ${goal} |`;
  const scaledTime = (ms: number) => `${seconds(ms)} (${minutes(ms * time.scale)} real)`;
  const duplicates = (run: RunFigures) => run.duplicated.comments + run.duplicated.labels + run.duplicated.assignees + run.duplicated.statuses;
  const finalErrors = (run: RunFigures) => run.finalErrors.labels + run.finalErrors.assignees + run.finalErrors.statuses;
  const lines = [
    `### Burst: ${settings.BURST_DELIVERIES} deliveries over ${settings.BURST_REPOS} repositories against GitHub's secondary limits (time ÷ ${time.scale})`,
    '',
    `GitHub answers each write in ${WRITE_DELAY_MS} ms and refuses beyond ${GITHUB_WRITE_LIMITS.windows.map((window) => `${window.max} per ${window.ms === 60_000 ? 'minute' : 'hour'}`).join(' and ')}; ` +
      `time is compressed ${time.scale}×: windows of ${seconds(time.limits.windows[0]!.ms)} and ${seconds(time.limits.windows[1]!.ms)}, writes of ${time.writeDelayMs.toFixed(1)} ms, ` +
      `a coalescing window of ${time.coalesceWindowMs.toFixed(0)} ms. GitHub times are shown as measured and as their real-time equivalent; job creation is not compressed. ${settings.BURST_SENDERS} senders.`,
    '',
    `| figure | ${runs.map((run) => run.backend).join(' | ')} | goal |`,
    `|---|${runs.map(() => '---:|').join('')}---|`,
    row('deliveries acknowledged (first to last ack)', '', (run) => `${run.deliveries} in ${seconds(run.ackSpanMs)}`),
    row('ack → job created, p50 (deliveries that create jobs)', '', (run) =>
      `${percentile(run.jobLatencies, 50).toFixed(0)} ms (${run.jobLatencies.length} of ${run.jobDeliveries}${run.createdBeforeAck > 0 ? `; ${run.createdBeforeAck} before the ack arrived, as 0` : ''})`,
    ),
    row('ack → job created, p99', 'p99 ≤ 2 s', (run) => `${percentile(run.jobLatencies, 99).toFixed(0)} ms ${mark(percentile(run.jobLatencies, 99) <= 2_000)}`),
    row('ack → job created, max', '', (run) => `${(run.jobLatencies.at(-1) ?? Number.NaN).toFixed(0)} ms`),
    row('every delivery handled, from the first send', '', (run) => seconds(run.handlingMs)),
    row('… process CPU in that time (Cutwater, fake GitHub, senders)', '', (run) =>
      `${seconds(run.handlingCpuMs)} (${((100 * run.handlingCpuMs) / run.handlingMs).toFixed(0)}% of a core; ${(run.handlingCpuMs / run.deliveries).toFixed(0)} ms a delivery; load average ${run.loadAverage.toFixed(1)})`,
    ),
    row('GitHub reads (GET), of them 304', '', (run) => `${run.reads}, ${run.notModified}`),
    row('jobs missing / extra', '0 / 0', (run) => `${run.jobsMissing} / ${run.jobsExtra} ${mark(run.jobsMissing + run.jobsExtra === 0)}`),
    row('GitHub writes asked for (outbox entries), of them sent', '', (run) => `${run.enqueued}, ${run.sentEntries}`),
    row('writes saved by coalescing', '', (run) => `${run.saved}`),
    row('outbox enqueue, p50 / p90 / max', '', (run) =>
      `${percentile(run.enqueueMs, 50).toFixed(0)} / ${percentile(run.enqueueMs, 90).toFixed(0)} / ${(run.enqueueMs.at(-1) ?? Number.NaN).toFixed(0)} ms`,
    ),
    row('requests sent (GitHub counted) / rebuilt from the outbox', 'equal', (run) => `${run.requests} / ${run.requestsByOutbox} ${mark(run.requests === run.requestsByOutbox)}`),
    row('first ack → every GitHub effect done', '', (run) => `${scaledTime(run.effectsDoneMs)}${run.finished ? '' : ' — did not finish'}`),
    row('least GitHub’s limits allow for those requests', '', (run) => scaledTime(run.minimumMs)),
    row('… actual / least', '≤ 1.2×', (run) => `${(run.effectsDoneMs / run.minimumMs).toFixed(2)}× ${mark(run.finished && run.effectsDoneMs / run.minimumMs <= 1.2)}`),
    row('… actual / least with the 2 s coalescing window', '', (run) => `${(run.effectsDoneMs / run.minimumWithWindowMs).toFixed(2)}×`),
    row('… request to request, p10 / p50 (GitHub’s answer to the next one: the write and the writer’s work between, which are not compressed; or the pace)', '', (run) =>
      `${percentile(run.requestGapsMs, 10).toFixed(0)} / ${percentile(run.requestGapsMs, 50).toFixed(0)} ms`,
    ),
    row('secondary-limit answers received', '0', (run) => `${run.secondaryLimited} ${mark(run.secondaryLimited === 0)}`),
    row('writes GitHub refused for good', '0', (run) => `${run.failed} ${mark(run.failed === 0)}`),
    row('duplicated effects (comments, labels, assignees, statuses)', '0', (run) =>
      `${duplicates(run)} (${run.duplicated.comments}, ${run.duplicated.labels}, ${run.duplicated.assignees}, ${run.duplicated.statuses}) ${mark(duplicates(run) === 0)}`,
    ),
    row('final-state errors (PR labels, PR assignees, commit statuses)', '0', (run) =>
      `${finalErrors(run)} (${run.finalErrors.labels}, ${run.finalErrors.assignees}, ${run.finalErrors.statuses}) ${mark(finalErrors(run) === 0)}`,
    ),
    row('most writes in flight at once', '1', (run) => `${run.peakConcurrentWrites}`),
    row('WARNING / ERROR log lines', '', (run) => `${run.warnings} / ${run.errors}`),
  ];
  const notes = runs.flatMap((run) =>
    [...run.duplicated.examples, ...run.finalErrors.examples, ...run.logExamples].map((example) => `- ${run.backend}: ${example}`),
  );
  if (notes.length > 0) lines.push('', 'Examples:', ...notes);
  return lines.join('\n');
}

export async function benchBurst(): Promise<string> {
  const settings = Settings.parse(process.env);
  const time = scaled(settings.BURST_TIME_SCALE);
  const runs: RunFigures[] = [];
  for (const backend of ['embedded', 'emulators'] as const) {
    if (!settings.BURST_BACKENDS.split(',').includes(backend)) continue;
    runs.push(await runBurst(settings, time, backend));
  }
  return formatTable(settings, time, runs);
}
