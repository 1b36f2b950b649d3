import { createHmac } from 'node:crypto';
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { z } from 'zod';
import type { CherryPicker } from '../cherrypick/job';
import type { Config } from '../config/model';
import { enabledPluginsFor } from '../config/enabled-plugins';
import type { PluginConfig } from '../config/plugin-config';
import type { GitHubClient } from '../github/client';
import type { Logger } from '../log/logger';
import type { SlackSender } from '../reporter/slack';
import type { Store } from '../store/store';
import { outboxGitHub } from '../outbox/github';
import type { WriterNudge } from '../outbox/nudge';
import { commentEventOf, type CommentEvent } from './comment-event';
import { laneDeliveryKey, type DispatchLane } from './lanes';
import { payloadProblems } from './delivery-check';
import { issueHandle, repositoryHandle } from './handles';
import { eventMatches, type CommentHandler, type EventRegistration, type Plugin, type PluginContext } from './plugin';
import { pluginGitHubOf } from './plugin-github';
import { pluginJobsOf } from './plugin-jobs';

/**
 * Prow's hook dispatch: a delivery goes to every plugin enabled for its repository (plugins.yaml,
 * org entry then repo entry) that handles its event, and to the external plugins configured for
 * it. Plugins run concurrently and independently: one that throws is logged and the rest carry on,
 * and the delivery is not retried for it — a retry would repeat the comments and labels of the
 * plugins that did succeed. Transient GitHub failures are retried inside the GitHub client instead.
 */

/** A verified webhook delivery as the webhook function published it. */
export interface Delivery {
  /** X-GitHub-Event. */
  name: string;
  /** X-GitHub-Delivery. */
  id: string;
  /** The body exactly as GitHub sent it, for external plugins' signatures. */
  rawBody: string;
  payload: unknown;
}

export interface EngineDependencies {
  plugins: readonly Plugin[];
  /** A client for the App installation that sent the delivery (or the token client). */
  github: (installationId: number | undefined) => GitHubClient;
  store: Store;
  config: Config;
  pluginConfig: PluginConfig;
  log: Logger;
  now?: () => Date;
  /** Signs deliveries forwarded to external plugins; the first webhook secret. */
  hmacSecret?: string;
  /** For external plugins; defaults to global fetch. */
  fetch?: typeof fetch;
  /**
   * Plugins' GitHub writes go through the store's outbox (shared/outbox), and their reads see the
   * writes still waiting there: how every deployment runs. Without it, writes go straight to
   * GitHub, as single-plugin tests want.
   */
  outbox?: OutboxWiring;
  /** Slack for plugins that post there (slackevents); without it they log and post nothing. */
  slack?: SlackSender;
  /** The cherrypicker plugin's worker (a bus topic in every deployment). */
  cherryPicker?: CherryPicker;
}

export interface OutboxWiring {
  nudge: WriterNudge;
  /** The outbox's key for the identity that sends for this installation ("token" with a token). */
  installationKey: (installationId: number | undefined) => string;
}

export interface DispatchOutcome {
  /** Plugins (and external plugins, as "external:<name>") that handled the delivery. */
  handled: string[];
  failed: { plugin: string; error: string }[];
  /** Why no in-process plugin saw the delivery, when its payload lacks fields they read. */
  refused?: string;
}

const RepositoryFields = z.object({
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }).optional(),
  organization: z.object({ login: z.string() }).optional(),
  installation: z.object({ id: z.number() }).optional(),
  action: z.string().optional(),
});

/** Which plugins a delivery goes to: decided from config and payload alone, before any I/O. */
export interface DispatchPlan {
  lane: DispatchLane | undefined;
  org: string;
  repo: string;
  action: string | undefined;
  installationId: number | undefined;
  /** Why no in-process plugin runs, when the payload lacks fields they read. */
  refused: string | undefined;
  /** The in-process plugins with a handler for this delivery, and those handlers. */
  plugins: { plugin: Plugin; handlers: EventRegistration[]; commentHandlers: CommentHandler[] }[];
  comment: CommentEvent | undefined;
  /** External plugins to forward the delivery to. */
  externals: ExternalPluginTarget[];
}

/**
 * The plugins of `lane` (shared/plugins/lanes.ts), or, without one, every plugin and external
 * plugin, as a single-plugin test or a one-lane caller wants, that would see this delivery.
 */
export function planDispatch(
  dependencies: Pick<EngineDependencies, 'plugins' | 'pluginConfig' | 'config'>,
  delivery: Delivery,
  lane?: DispatchLane,
): DispatchPlan {
  const fields = RepositoryFields.safeParse(delivery.payload);
  const info = fields.success ? fields.data : {};
  const org = info.repository?.owner.login ?? info.organization?.login ?? '';
  const repo = info.repository?.name ?? '';
  const plan: DispatchPlan = {
    lane,
    org,
    repo,
    action: info.action,
    installationId: info.installation?.id,
    refused: undefined,
    plugins: [],
    comment: undefined,
    externals: [],
  };
  if (!org) return plan;

  const externals = externalPluginsFor(dependencies.pluginConfig, org, repo, delivery.name);
  const inLane = (plugin: string) => !lane || lane.runs(plugin);
  const builtIn = new Set(dependencies.plugins.map((plugin) => plugin.name));
  // Prow's external plugins that Cutwater has built in (needs-rebase) run in-process when their
  // entry names no endpoint of its own, so a migrated plugins.yaml needs no extra service.
  const servedInProcess = externals.filter((external) => !external.explicitEndpoint && builtIn.has(external.name));
  const enabled = new Set([
    ...enabledPluginsFor(dependencies.pluginConfig, org, repo),
    ...servedInProcess.map((external) => external.name),
  ]);
  plan.externals = lane && !lane.forwardsExternalPlugins ? [] : externals.filter((external) => !servedInProcess.includes(external));
  const candidates = dependencies.plugins.filter((plugin) => enabled.has(plugin.name) && inLane(plugin.name));
  if (candidates.length === 0) return plan;
  plan.refused = payloadProblems(delivery.name, delivery.payload);
  if (plan.refused) return plan;
  const comment = commentEventOf(delivery.name, delivery.payload);
  plan.comment = comment;
  for (const plugin of candidates) {
    const handlers = plugin.eventHandlers.filter((registration) =>
      registration.events.some((event) => eventMatches(event, delivery.name, info.action)),
    );
    const wantsComment = comment !== undefined && (!plugin.commentFilter || plugin.commentFilter(comment, dependencies.config));
    const commentHandlers = wantsComment ? plugin.commentHandlers : [];
    if (handlers.length > 0 || commentHandlers.length > 0) plan.plugins.push({ plugin, handlers, commentHandlers });
  }
  return plan;
}

/** Nothing would run and nothing needs saying: the delivery can be acknowledged as it is. */
export function isIdlePlan(plan: DispatchPlan): boolean {
  return plan.plugins.length === 0 && plan.externals.length === 0 && plan.refused === undefined;
}

/** Runs the delivery's plugins as `plan` (by default, planDispatch's) says. */
export async function dispatch(
  dependencies: EngineDependencies,
  delivery: Delivery,
  lane?: DispatchLane,
  plan: DispatchPlan = planDispatch(dependencies, delivery, lane),
): Promise<DispatchOutcome> {
  const { org, repo, comment } = plan;
  const log = dependencies.log.child({
    deliveryId: delivery.id,
    event: plan.action ? `${delivery.name}.${plan.action}` : delivery.name,
    ...(lane ? { lane: lane.name } : {}),
    ...(repo ? { repo: `${org}/${repo}` } : org ? { org } : {}),
  });
  const outcome: DispatchOutcome = { handled: [], failed: [] };
  if (!org) {
    log.debug('delivery names no repository or organisation; no plugin applies');
    return outcome;
  }
  if (plan.refused) {
    outcome.refused = plan.refused;
    // GitHub always sends these fields: a hand-made payload (phony, a docs example) lacks them.
    log.warn(`delivery ${delivery.id} (${delivery.name}) refused, no plugin runs for it: ${plan.refused}`, { refused: plan.refused });
  }

  const runs: Promise<void>[] = [];
  const github = pluginGitHubOf(githubFor(dependencies, delivery, lane, plan.installationId, log));
  const jobs = pluginJobsOf(dependencies.store.jobs);
  const repository = repositoryHandle(github, { org, repo });
  const number = issueNumberOf(delivery.payload);
  const issue = number === undefined ? undefined : issueHandle(github, { org, repo, number });

  for (const { plugin, handlers, commentHandlers } of plan.plugins) {
    const context: PluginContext = {
      event: { id: delivery.id, name: delivery.name, payload: delivery.payload } as EmitterWebhookEvent,
      org,
      repo,
      repository,
      issue,
      github,
      jobs,
      config: dependencies.config,
      plugins: dependencies.pluginConfig,
      log: log.child({ plugin: plugin.name }),
      now: dependencies.now ?? (() => new Date()),
      slack: dependencies.slack,
      cherryPicker: dependencies.cherryPicker,
    };
    const run = async () => {
      for (const registration of handlers) await registration.handle(context);
      if (comment) {
        const commented = issueHandle(github, { org, repo, number: comment.number });
        for (const handler of commentHandlers) await handler({ ...context, comment, issue: commented });
      }
    };
    runs.push(
      run().then(
        () => void outcome.handled.push(plugin.name),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          outcome.failed.push({ plugin: plugin.name, error: message });
          context.log.error(`plugin ${plugin.name} failed: ${message}`, { error });
        },
      ),
    );
  }

  for (const external of plan.externals) {
    runs.push(
      forward(dependencies, delivery, external).then(
        () => void outcome.handled.push(`external:${external.name}`),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          outcome.failed.push({ plugin: `external:${external.name}`, error: message });
          log.error(`external plugin ${external.name} failed: ${message}`, { endpoint: external.endpoint });
        },
      ),
    );
  }

  await Promise.all(runs);
  // A refused delivery ran only its external plugins, if any: no "handled by 0" after the warning.
  if (plan.refused && runs.length === 0) return outcome;
  log.info(`delivery handled by ${outcome.handled.length} plugin(s)`, {
    handled: outcome.handled,
    ...(outcome.failed.length > 0 ? { failed: outcome.failed.map((failure) => failure.plugin) } : {}),
  });
  return outcome;
}

/**
 * The delivery's GitHub. Through the outbox, the delivery is the cause of its writes: running it
 * again (a redelivery after a crash) asks for the same writes under the same keys, and none is
 * stored twice.
 */
function githubFor(
  dependencies: EngineDependencies,
  delivery: Delivery,
  lane: DispatchLane | undefined,
  installationId: number | undefined,
  log: Logger,
): GitHubClient {
  const client = dependencies.github(installationId);
  const outbox = dependencies.outbox;
  if (!outbox) return client;
  return outboxGitHub({
    client,
    outbox: dependencies.store.outbox,
    installation: outbox.installationKey(installationId),
    cause: `delivery ${lane ? laneDeliveryKey(lane, delivery.id) : delivery.id}`,
    nudge: outbox.nudge,
    log,
  });
}

/** The issue's or pull request's number, for events about one (checked by payloadProblems). */
function issueNumberOf(payload: unknown): number | undefined {
  const { issue, pull_request: pullRequest } = payload as { issue?: { number?: unknown }; pull_request?: { number?: unknown } };
  const number = pullRequest?.number ?? issue?.number;
  return typeof number === 'number' ? number : undefined;
}

interface ExternalPluginTarget {
  name: string;
  endpoint: string;
  /** False when the endpoint is Prow's default, http://<name>. */
  explicitEndpoint: boolean;
}

/**
 * External plugins for org/repo handling this event: the org's entries and the repo's, as Prow
 * merges them. Prow's default endpoint is http://<name>; an empty events list means every event.
 */
export function externalPluginsFor(
  config: PluginConfig,
  org: string,
  repo: string,
  eventName: string,
): ExternalPluginTarget[] {
  const entries = [...(config.external_plugins?.[org] ?? []), ...(repo ? (config.external_plugins?.[`${org}/${repo}`] ?? []) : [])];
  return entries
    .filter((entry) => entry.name && (!entry.events || entry.events.length === 0 || entry.events.includes(eventName)))
    .map((entry) => ({
      name: entry.name ?? '',
      endpoint: entry.endpoint || `http://${entry.name}`,
      explicitEndpoint: Boolean(entry.endpoint),
    }));
}

/** Sends the original delivery on, with GitHub's headers and a signature made with our secret. */
async function forward(
  dependencies: EngineDependencies,
  delivery: Delivery,
  target: ExternalPluginTarget,
): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': delivery.name,
    'x-github-delivery': delivery.id,
  };
  if (dependencies.hmacSecret) {
    headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', dependencies.hmacSecret).update(delivery.rawBody).digest('hex')}`;
  }
  const send = dependencies.fetch ?? fetch;
  const response = await send(target.endpoint, {
    method: 'POST',
    headers,
    body: delivery.rawBody,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${target.endpoint} answered ${response.status}`);
}
