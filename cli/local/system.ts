import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LocalExecutor } from '../../runner/executor/local';
import { defaultWorkRoot } from '../../runner/executor/local-workspace';
import { Runner } from '../../runner/runner';
import { DiskArtifactStore } from '../../shared/artifacts/disk';
import { TOPICS, type MessageBus, type ReceivedMessage, type Subscriber } from '../../shared/bus/bus';
import { InProcessBus } from '../../shared/bus/in-process';
import { PubSubBus } from '../../shared/bus/pubsub';
import { requestUrl, sendJson } from '../../shared/http/node';
import type { Logger } from '../../shared/log/logger';
import { startLocalWriters, type LocalWriters } from '../../shared/outbox/local-writers';
import { writeLimitsFromEnv, type WriteLimits } from '../../shared/outbox/pace';
import { OutboxWriter, writerClientsOf } from '../../shared/outbox/writer';
import { PLUGIN_SETTINGS, PLUGINS } from '../../shared/plugins/registry';
import { PROW_JOBS_SUBSCRIPTION } from '../../shared/pubsub/prow-job-event';
import { handleProwJobMessage } from '../../shared/pubsub/trigger';
import { followAndReport, type FollowingReporter } from '../../shared/reporter/follow';
import type { ConfigPaths } from '../../shared/config/load';
import type { Config, Periodic } from '../../shared/config/model';
import { fileConfigSource } from '../../shared/config/config-source';
import { CHERRYPICKER_SUBSCRIPTION, DEPLOYED_SUBSCRIPTIONS, EVENTS_SUBSCRIPTION, TRIGGER_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { busCherryPicker } from '../../shared/cherrypick/job';
import { CherryPickWorker, gitRemoteUrlFor } from '../../shared/cherrypick/worker';
import { LANES, type DispatchLane } from '../../shared/plugins/lanes';
import { LaneGate } from './lane-gate';
import { startTicker } from './ticker';
import { CommandFailure } from '../args';
import { githubApiUrl, webhookSecrets } from '../../shared/github/environment';
import { GitHubClients, githubAuthFromEnv } from '../../shared/github/octokit';
import { controlPlaneSecrets } from '../../shared/runtime/control-plane-secrets';
import { tideChannelsFromEnv } from '../../shared/runtime/tide';
import { statusReconcileChannels } from '../../shared/runtime/status-reconciler';
import { reportChannelsFromEnv } from '../../shared/runtime/reporting';
import { incomingWebhookSender, slackWebhooksFromEnv } from '../../shared/reporter/slack';
import { runSchedulerTick } from '../../shared/scheduler/tick';
import { statusAuthFromEnv } from '../../shared/status/auth/from-env';
import { statusListener } from '../../shared/status/http';
import { writeLimitsOfWindows } from '../../shared/status/pages/health';
import { openStore } from '../../shared/store/open';
import type { Store } from '../../shared/store/store';
import { handleGitHubEventMessage } from '../../shared/webhook/events';
import { webhookListener } from '../../shared/webhook/http';
import { signedHeaders } from '../../shared/webhook/signing';
import { startFakeGitHub, type FakeGitHub } from '../../shared/sandbox/github-server';
import { Sandbox } from '../../shared/sandbox/sandbox';
import { seedSandbox } from '../../shared/sandbox/seed';
import { CUTWATER_VERSION } from '../../shared/runtime/version';

/**
 * `cutwater local`: every function on one HTTP server, with the runner, the reporter and the
 * scheduler in the same process — on the embedded store and bus (data in `dataDir`, surviving
 * restarts), or on the Firestore and Pub/Sub emulators (`emulators`).
 */
export interface LocalSystemOptions {
  configPaths: ConfigPaths;
  dataDir: string;
  /** Where jobs' workspaces go: outside the data dir, which holds secrets (default: defaultWorkRoot). */
  workDir?: string;
  port: number;
  /** 127.0.0.1 unless given: the job-creation API must not face the network. */
  host?: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The Google backends' emulators instead of the embedded store and bus. */
  emulators?: { projectId: string; firestoreHost: string; pubsubHost: string };
  /** How often the scheduler runs (default: each minute, as Cloud Scheduler would). */
  tickMs?: number;
  /** The cluster whose jobs the local runner takes (default "default"). */
  cluster?: string;
  /**
   * Other build clusters whose jobs also run here as local processes (`--clusters`): "all" is every
   * cluster the config names at start-up. Jobs of other clusters wait for a runner that is not here.
   */
  clusters?: readonly string[] | 'all';
  /** The most periodics started per scheduler tick (default 10; 0 for no limit). */
  maxPeriodicsPerTick?: number;
  /**
   * The outbox writer's pace, windows included, instead of GITHUB_WRITES_PER_MINUTE / _PER_HOUR
   * over GitHub's minute and hour. For runs that compress time against a fake GitHub whose
   * windows are compressed alike (`npm run bench -- burst`); the environment only sets counts.
   */
  writeLimits?: WriteLimits;
  /** The writer's coalescing window (default 2 s), compressed by the same runs. */
  coalesceWindowMs?: number;
}

/** The login the sandbox page acts as: an org member and approver in every sandbox repository. */
export const SANDBOX_USER = 'you';
/** The token plugins, reporter and Tide present to the sandbox GitHub (it acts as the bot). */
const SANDBOX_BOT_TOKEN = 'sandbox-bot-token';

export interface LocalSystem {
  url: string;
  /** Where the webhook secret is, when local mode made one up. */
  generatedSecretFile?: string;
  /** The token `POST /api/prowjobs` (cutwater mkpj) needs, kept in the data dir. */
  apiTokenFile: string;
  /** What is running, one line each, for the start-up banner. */
  summary: string[];
  /** The built-in GitHub, when started without credentials; its page is `/sandbox`. */
  sandbox?: Sandbox;
  store: Store;
  /**
   * The GitHub write outbox's writers (to GitHub, or to the sandbox GitHub): `kick` is the nudge
   * whoever enqueues writes calls (the plugin facade), to have them sent at once.
   */
  writers: LocalWriters;
  stop(): Promise<void>;
}

const LOCAL_HOLDER = 'local';
/** Enough for a demo's periodics at once; a big config's never-run periodics come a few a minute. */
const DEFAULT_PERIODICS_PER_TICK = 10;
/**
 * Job-creating deliveries handled at once. More than the bus's default: each mostly waits on the
 * store and GitHub reads, and every one waiting in the bus rather than here lets the gate open.
 */
const JOBS_LANE_IN_FLIGHT = 32;
/** In the data dir: the token for the local job API (`cutwater mkpj` reads it from there). */
export const API_TOKEN_FILE = 'api-token';
/** In the data dir: signs status-page sessions and CSRF tokens unless STATUS_SESSION_SECRET is set. */
const SESSION_SECRET_FILE = 'session-secret';

export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const { env, log } = options;
  const cluster = options.cluster ?? 'default';
  // The data dir holds the store and the secrets: nobody else may enter it (jobs run as nobody under root).
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(options.dataDir, 0o700);
  const config = fileConfigSource(options.configPaths, log, { pluginSettings: PLUGIN_SETTINGS });
  // Fail before anything starts when the config does not load: the error names file and line.
  const initial = await config.current();
  // Likewise a bad GITHUB_WRITES_PER_MINUTE / _PER_HOUR, named in the error.
  const writeLimits: WriteLimits = options.writeLimits ?? writeLimitsFromEnv(env);

  const store: Store = openStore(
    options.emulators
      ? { backend: 'firestore', projectId: options.emulators.projectId, emulatorHost: options.emulators.firestoreHost }
      : { backend: 'embedded', dataDir: path.join(options.dataDir, 'store') },
  );
  const bus: MessageBus = options.emulators
    ? new PubSubBus({ projectId: options.emulators.projectId, apiEndpoint: options.emulators.pubsubHost })
    : new InProcessBus({ dataDir: path.join(options.dataDir, 'bus') });
  // The cloud's subscriptions, ordering included: one PR's deliveries are handled in order here too.
  // As deployed, except the writers' nudges: local mode wakes its writers in-process.
  await bus.declare(
    [TOPICS.githubEvents, TOPICS.prowJobs, TOPICS.cherryPicks],
    DEPLOYED_SUBSCRIPTIONS.filter((spec) => spec.topic !== TOPICS.githubWrites),
  );

  const { secrets, generatedSecretFile } = localWebhookSecrets(env, options.dataDir);
  const apiTokenFile = path.join(options.dataDir, API_TOKEN_FILE);
  const auth = githubAuthFromEnv(env);
  // Without credentials, a GitHub of our own (shared/sandbox/): everything talks to it as to GitHub.
  const sandboxGitHub: FakeGitHub | undefined = auth ? undefined : await startFakeGitHub();
  const sandboxRepositories = sandboxGitHub ? seedSandbox(sandboxGitHub, initial, SANDBOX_USER) : [];
  const githubUrl = sandboxGitHub ? sandboxGitHub.url : githubApiUrl(env);
  const clients = new GitHubClients({ baseUrl: githubUrl, auth: auth ?? { token: SANDBOX_BOT_TOKEN }, logger: log });
  const writers: LocalWriters = startLocalWriters({
    writer: new OutboxWriter({
      outbox: store.outbox,
      github: writerClientsOf(clients),
      log,
      limits: writeLimits,
      ...(options.coalesceWindowMs === undefined ? {} : { coalesceWindowMs: options.coalesceWindowMs }),
    }),
    outbox: store.outbox,
    log,
  });

  const slackWebhooks = slackWebhooksFromEnv(env);
  const pluginSlack = slackWebhooks ? incomingWebhookSender(slackWebhooks) : undefined;
  // The cherrypicker plugin's git work, on the in-process bus as the cloud has it on Pub/Sub.
  const cherryPicker = busCherryPicker(bus);
  // The sandbox has no git remote to push a cherry-pick to.
  const cherryPickWorker = !sandboxGitHub
    ? new CherryPickWorker({
        github: (org, repo) => clients.cherryPickClientForRepository(org, repo),
        remoteUrl: gitRemoteUrlFor(githubApiUrl(env)),
        log,
      })
    : undefined;

  const handleLane = async (message: ReceivedMessage, lane: DispatchLane) => {
    const current = await config.current();
    await handleGitHubEventMessage(
      {
        plugins: PLUGINS,
        github: (installation) => clients.clientForInstallation(installation),
        store,
        config: current,
        pluginConfig: current.plugins ?? {},
        log,
        ...(secrets[0] ? { hmacSecret: secrets[0] } : {}),
        ...(pluginSlack ? { slack: pluginSlack } : {}),
        cherryPicker,
        outbox: { nudge: writers.kick, installationKey: (installation) => clients.installationKey(installation) },
      },
      message,
      lane,
    );
  };
  // One process serves both lanes: job creation goes first (cli/local/lane-gate.ts).
  const gate = new LaneGate();
  const subscribers: Subscriber[] = [
    await bus.subscribe(TRIGGER_SUBSCRIPTION, (message) => gate.first(() => handleLane(message, LANES.jobs)), {
      maxInFlight: JOBS_LANE_IN_FLIGHT,
    }),
    await bus.subscribe(EVENTS_SUBSCRIPTION, (message) => gate.after(() => handleLane(message, LANES.plugins))),
    await bus.subscribe(CHERRYPICKER_SUBSCRIPTION, async (message) => {
      if (!cherryPickWorker) throw new Error('cherry-picks need GitHub credentials (GITHUB_TOKEN or a GitHub App); the sandbox GitHub has no git remote');
      await cherryPickWorker.handleMessage(message);
    }),
    await bus.subscribe(PROW_JOBS_SUBSCRIPTION, async (message) => {
      await handleProwJobMessage({ store, config: await config.current(), log }, message);
    }),
  ];

  const artifacts = new DiskArtifactStore(path.join(options.dataDir, 'artifacts'));
  const sessionSecretFile = path.join(options.dataDir, SESSION_SECRET_FILE);
  // Made now, when the environment gives none, so that it is censored from the first job on.
  const localSessionSecret = env.STATUS_SESSION_SECRET || env.STATUS_SESSION_SECRET_FILE ? undefined : secretInDataDir(sessionSecretFile);
  const jobCreationToken = secretInDataDir(apiTokenFile);
  // Everything secret this process knows is masked in the logs and artifacts the runner stores and shows.
  const knownSecrets = [...controlPlaneSecrets(env), ...secrets, jobCreationToken, ...(localSessionSecret ? [localSessionSecret] : [])];
  const workRoot = options.workDir ?? defaultWorkRoot(options.dataDir);
  const served = [cluster, ...servedClusters(options.clusters, initial).filter((name) => name !== cluster)];
  // One executor per cluster, each with its own state and work root, so that one cluster's runner
  // never takes another's executions for orphans. The executor records what it runs in its state
  // dir, so that after a crash it can end it first.
  const lanes = served.map((name, index) => {
    const executor =
      index === 0
        ? new LocalExecutor({ workRoot, stateDir: options.dataDir, log })
        : new LocalExecutor({ workRoot: `${workRoot}-${safeName(name)}`, stateDir: path.join(options.dataDir, 'clusters', safeName(name)), log });
    if (index > 0) mkdirSync(path.join(options.dataDir, 'clusters', safeName(name)), { recursive: true, mode: 0o700 });
    // The status pages read a running job's log from the runner itself (censored), so no live copies are needed.
    const runner = new Runner({ cluster: name, holder: LOCAL_HOLDER, store, executor, artifacts, config, log, liveLogMs: 0, secrets: knownSecrets, version: CUTWATER_VERSION });
    return { cluster: name, executor, runner, workRoot: index === 0 ? workRoot : `${workRoot}-${safeName(name)}` };
  });
  for (const lane of lanes) await lane.runner.start();
  const executor = lanes[0]!.executor;
  const servedSet = new Set(served);
  const unservedNotice = (name: string) =>
    servedSet.has(name) ? undefined : `no runner serves cluster ${name}; start local mode with --clusters ${name} or all`;
  const stopRunners = async () => {
    for (const lane of lanes) await lane.runner.stop({ releaseLeases: true });
    await Promise.all(lanes.map((lane) => lane.executor.shutdown(5_000)));
  };

  const hook = webhookListener({ secrets, deliveries: store.deliveries, bus, log });
  // The status pages need the server's own URL (GitHub sign-in sends people back to it), so they
  // are built once it listens; a request in that instant is told to retry.
  const ready: { status?: ReturnType<typeof statusListener> } = {};
  const server: Server = createServer((request, response) => {
    const route = async () => {
      const url = requestUrl(request);
      if (!url) return sendJson(response, 400, { message: 'the request target must be a path, such as /hook' });
      const pathname = url.pathname;
      if (pathname === '/healthz') return sendJson(response, 200, { status: 'ok' });
      if (pathname === '/hook') return hook(request, response);
      if (!ready.status) return sendJson(response, 503, { message: 'starting; try again in a moment' });
      if (!(await ready.status(request, response))) sendJson(response, 404, { message: `nothing at ${pathname}` });
    };
    route().catch((error: unknown) => {
      log.error('request failed', { path: request.url, error: (error as Error).message });
      if (!response.headersSent) sendJson(response, 500, { message: 'internal error; see the log' });
      else response.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, resolve);
  }).catch(async (error: unknown) => {
    // Nothing will be served, and what already runs would keep the process alive: stop it.
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await writers.stop();
    await stopRunners();
    await bus.close();
    await store.close();
    await sandboxGitHub?.close();
    throw listenFailure(error, options.port, host);
  });
  const bound = `http://${host}:${(server.address() as AddressInfo).port}`;
  const hmacSecret = secrets[0];
  const sandbox =
    sandboxGitHub && hmacSecret
      ? new Sandbox({
          github: sandboxGitHub,
          user: SANDBOX_USER,
          repositories: sandboxRepositories,
          // Through local mode's own /hook, signed: the same path a real delivery takes.
          deliver: async (event, payload) => {
            const body = JSON.stringify(payload);
            const response = await fetch(`${bound}/hook`, { method: 'POST', headers: signedHeaders(hmacSecret, event, body), body });
            await response.arrayBuffer();
            if (!response.ok) log.warn('the sandbox’s webhook was refused', { event, status: response.status });
            return response.status;
          },
        })
      : undefined;
  const statusAuth = statusAuthFromEnv(env, { publicUrl: bound, fallbackSecret: () => secretInDataDir(sessionSecretFile) });
  ready.status = statusListener({
    store,
    artifacts,
    log,
    config,
    auth: statusAuth,
    github: (owner: string, repo: string) => clients.clientForRepository(owner, repo),
    // One set of clients serves plugins, reporter and pages here, so the health page sees every request.
    githubBudget: () => clients.budget(),
    writeLimits: writeLimitsOfWindows(writeLimits.windows),
    // The in-process bus counts its own backlog; the Pub/Sub emulator has no monitoring to ask.
    ...(bus instanceof InProcessBus ? { eventBacklog: { kind: 'bus' as const, read: () => bus.backlog() } } : {}),
    jobCreationToken,
    // Without GitHub sign-in, the PR dashboard may be asked for any login's PRs: this machine's own use.
    localUserLookup: true,
    liveLog: async (jobName) => {
      const holder = lanes.find((lane) => lane.runner.heldJobs().includes(jobName)) ?? lanes[0]!;
      return holder.runner.censoredLog(jobName).catch(() => undefined);
    },
    unservedNotice,
    githubInUse: sandbox ? { sandbox: true, url: `${bound}/sandbox` } : { sandbox: false, url: githubUrl },
    ...(sandbox ? { sandbox } : {}),
  });

  const channels = reportChannelsFromEnv(env, log, {
    outbox: store.outbox,
    nudge: writers.kick,
    clients,
  });
  // Links in reports point at this server unless STATUS_URL says where it is published.
  const reporting = { ...channels, statusUrl: env.STATUS_URL ?? bound };
  // Reports wait while job-creating deliveries are in flight, as the other plugins do.
  const reporter: FollowingReporter = followAndReport({ ...reporting, store, log }, config, { schedule: (report) => gate.after(report) });
  await reporter.ready;

  const tide = tideChannelsFromEnv(env, log, { outbox: store.outbox, nudge: writers.kick, clients, statusSiteUrl: env.STATUS_URL ?? bound });
  const statusReconcile = statusReconcileChannels(tide, env);
  const maxPeriodics = options.maxPeriodicsPerTick ?? DEFAULT_PERIODICS_PER_TICK;
  // A periodic of a cluster nothing here runs would only wait in `triggered` for ever.
  const periodics = { runs: (periodic: Periodic) => servedSet.has(periodic.cluster), ...(maxPeriodics > 0 ? { limit: maxPeriodics } : {}) };
  const unservedPeriodics = initial.periodics.filter((periodic) => !servedSet.has(periodic.cluster));
  const ticker = startTicker(
    async () =>
      runSchedulerTick(
        { store, config: await config.current(), log, reporter: reporting, periodics, ...(tide ? { tide } : {}), ...(statusReconcile ? { statusReconcile } : {}) },
        new Date(),
      ),
    options.tickMs ?? 60_000,
    (error) => log.error('scheduler tick failed', { error: (error as Error).message }),
  );

  const summary = [
    `status page      ${bound}/`,
    `webhook          ${bound}/hook${generatedSecretFile ? ` (HMAC secret in ${generatedSecretFile})` : ''}`,
    `prowjobs.js      ${bound}/prowjobs.js`,
    `state            ${options.emulators ? `Firestore emulator ${options.emulators.firestoreHost}` : `embedded store in ${path.join(options.dataDir, 'store')}`}`,
    `events           ${options.emulators ? `Pub/Sub emulator ${options.emulators.pubsubHost}` : 'in-process bus'}`,
    `runner           ${served.length === 1 ? `cluster "${cluster}"` : `clusters ${served.map((name) => `"${name}"`).join(', ')}`}, jobs run as local processes${executor.user ? ` of user ${executor.user.name}` : ''} in ${workRoot}`,
    ...unservedClustersLine(initial, servedSet),
    `scheduler        every ${Math.round((options.tickMs ?? 60_000) / 1000)} s: ${initial.periodics.length - unservedPeriodics.length} periodic(s)${maxPeriodics > 0 ? `, at most ${maxPeriodics} started per tick (--max-periodics-per-tick N, 0 for no limit)` : ''}, cleanup, report sweep${statusReconcile ? ', status reconciler' : ''}`,
    ...(unservedPeriodics.length > 0 ? [`                 ${unservedPeriodics.length} periodic(s) of clusters no runner serves are not started (--clusters)`] : []),
    sandbox
      ? `GitHub           sandbox (no credentials) — open ${bound}/sandbox (set GITHUB_TOKEN, and GITHUB_API_URL, to use a real GitHub)`
      : `GitHub           plugins and reporting to ${githubUrl}`,
    `GitHub writes    paced per installation: at most ${writeLimits.windows.map((window) => `${window.max} per ${window.ms / 60_000} min`).join(', ')}`,
    `sign-in          ${statusAuth.oauth ? `GitHub OAuth app ${statusAuth.oauth.clientId} (rerun and abort as deck.rerun_auth_configs allows)` : 'off — rerun and abort only where deck.rerun_auth_configs says allow_anyone; set GITHUB_OAUTH_CLIENT_ID and _SECRET to sign in'}`,
  ];

  let stopping: Promise<void> | undefined;
  return {
    url: bound,
    ...(generatedSecretFile ? { generatedSecretFile } : {}),
    apiTokenFile,
    summary,
    store,
    ...(sandbox ? { sandbox } : {}),
    writers,
    stop: () =>
      (stopping ??= (async () => {
        const ticksEnded = ticker.stop();
        await new Promise((resolve) => server.close(resolve));
        await Promise.all(subscribers.map((subscriber) => subscriber.close()));
        await ticksEnded;
        await reporter.stop();
        await writers.stop();
        await stopRunners();
        // Finished jobs' workspaces are gone; an emptied work root is not left behind in the tmpdir.
        for (const lane of lanes) await rmdir(lane.workRoot).catch(() => undefined);
        await bus.close();
        await store.close();
        await sandboxGitHub?.close();
      })()),
  };
}

/** Why the server could not listen, in one line saying what to do, when it is something to do. */
function listenFailure(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new CommandFailure(`port ${port} on ${host} is already in use; choose another with --port N (or PORT=N)`);
  if (code === 'EACCES') return new CommandFailure(`port ${port} on ${host} needs privileges this user lacks; choose another with --port N (or PORT=N)`);
  if (code === 'EADDRNOTAVAIL') return new CommandFailure(`${host} is not an address of this machine; cannot listen on port ${port}`);
  return error;
}

/** The configured webhook secrets, or one made up and kept in the data dir so `phony` can sign. */
function localWebhookSecrets(env: NodeJS.ProcessEnv, dataDir: string): { secrets: string[]; generatedSecretFile?: string } {
  if (env.WEBHOOK_SECRET || env.WEBHOOK_SECRET_FILE) return { secrets: webhookSecrets(env) };
  const file = path.join(dataDir, 'hmac-secret');
  return { secrets: [secretInDataDir(file)], generatedSecretFile: file };
}

/** A random secret kept in a file only this user can read, made on first use. */
function secretInDataDir(file: string): string {
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  // Also a file made by an older version, or by hand, with a looser mode.
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/** Every build cluster the config's jobs name. */
function clustersOf(config: Config): string[] {
  const jobs = [...config.periodics, ...[...config.presubmits.values()].flat(), ...[...config.postsubmits.values()].flat()];
  return [...new Set(jobs.map((job) => job.cluster))].sort();
}

/** The clusters `--clusters` names: "all" is those the config names now (a later reload adds none). */
function servedClusters(clusters: readonly string[] | 'all' | undefined, config: Config): string[] {
  if (clusters === undefined) return [];
  return clusters === 'all' ? clustersOf(config) : [...clusters];
}

/** The banner line naming clusters whose jobs nothing here runs, and the flag that runs them. */
function unservedClustersLine(config: Config, served: ReadonlySet<string>): string[] {
  const unserved = clustersOf(config).filter((name) => !served.has(name));
  if (unserved.length === 0) return [];
  const shown = unserved.slice(0, 5).join(', ') + (unserved.length > 5 ? `, … (${unserved.length} in all)` : '');
  return [`not run here     jobs of cluster(s) ${shown}: add --clusters NAME,… or --clusters all`];
}

/** A cluster name as a directory name. */
function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_');
}
