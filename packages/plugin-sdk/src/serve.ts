import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { z } from 'zod';
import { webhookSecrets } from '../../../shared/github/environment.js';
import { createLogger, type Logger, type LogSink } from '../../../shared/log/logger.js';
import { commentEventOf, type CommentEvent } from '../../../shared/plugins/comment-event.js';
import { signedWith } from '../../../shared/webhook/signing.js';
import { loadPluginConfig, type ConfigSource } from './config.js';
import { credentialsFromEnv, githubClients, issueHandle, type GitHub, type GitHubCredentials } from './github.js';
import { jobApiFromEnv, jobTopicFromEnv, prowJobCreator, type JobApi, type JobTopic } from './jobs.js';
import { handles, prowHelp, type CommentContext, type Plugin, type PluginContext } from './plugin.js';

/**
 * The HTTP side of an external plugin, as Prow's hook and Cutwater call it: each delivery is POSTed
 * with GitHub's headers (X-GitHub-Event, X-GitHub-Delivery) and signed with the webhook secret
 * (X-Hub-Signature-256); `/help` answers with the plugin's help in Prow's PluginHelp JSON.
 */

export interface ServeOptions extends ConfigSource {
  /** Webhook secrets (several during a rotation); default WEBHOOK_SECRET or WEBHOOK_SECRET_FILE. */
  secrets?: readonly string[];
  /** Default from GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY(_FILE) or GITHUB_TOKEN, and GITHUB_API_URL. */
  github?: GitHubCredentials;
  /**
   * Cutwater's `prow-jobs` topic for `createProwJob`, as in the cloud; default PROW_JOBS_TOPIC (and
   * PUBSUB_EMULATOR_HOST). Used rather than `jobApi` when both are set.
   */
  jobTopic?: JobTopic;
  /** Cutwater's HTTP job API (`cutwater local`) for `createProwJob`; default CUTWATER_URL and CUTWATER_API_TOKEN. */
  jobApi?: JobApi;
  /** Where log lines go; default stdout. */
  logSink?: LogSink;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/** A Node request; under the Functions Framework, Express has already read the body into `rawBody`. */
export type PluginRequest = IncomingMessage & { rawBody?: Buffer };
export type PluginHandler = (request: PluginRequest, response: ServerResponse) => Promise<void>;

/** GitHub caps webhook payloads at 25 MB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

const DeliveryHeaders = z.object({
  'x-github-event': z.string().regex(/^[a-z_]+$/, 'X-GitHub-Event must be an event name'),
  'x-github-delivery': z.string().min(1).max(200),
  'content-type': z.string().regex(/^application\/json\s*(;.*)?$/i, 'the body must be application/json'),
});

/** Prow's hook POSTs the repositories the plugin is enabled for (config.OrgRepo) to `/help`. */
const HelpRequest = z.array(z.object({ Org: z.string(), Repo: z.string().optional() })).nullable();

const PayloadFields = z.looseObject({
  action: z.string().optional(),
  repository: z.looseObject({ name: z.string(), owner: z.looseObject({ login: z.string() }) }).optional(),
  organization: z.looseObject({ login: z.string() }).optional(),
  installation: z.looseObject({ id: z.number() }).optional(),
  issue: z.looseObject({ number: z.number() }).optional(),
  pull_request: z.looseObject({ number: z.number() }).optional(),
});

/** The answer to one request: a status and a JSON body. */
interface Answer {
  status: number;
  body: unknown;
}

/**
 * A Node `http` request handler for `plugin`: `http.createServer(serve(plugin))`. Secrets and config
 * are read now, so a server missing them fails to start rather than on its first delivery.
 */
export function serve<C>(plugin: Plugin<C>, options: ServeOptions = {}): PluginHandler {
  const env = options.env ?? process.env;
  const secrets = options.secrets ?? webhookSecrets(env);
  if (secrets.length === 0) throw new Error('serve needs at least one webhook secret');
  const config = loadPluginConfig(plugin, options, env);
  const clientFor = githubClients(options.github ?? credentialsFromEnv(env));
  // Given options win over the environment; the topic over the HTTP API.
  const jobTarget = options.jobTopic || options.jobApi ? { topic: options.jobTopic, api: options.jobApi } : { topic: jobTopicFromEnv(env), api: jobApiFromEnv(env) };
  const createProwJob = prowJobCreator(jobTarget, options.fetch);
  const log = createLogger(options.logSink ? { sink: options.logSink } : {}, { plugin: plugin.name });

  const answer = async (request: PluginRequest): Promise<Answer> => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') return { status: 200, body: { message: 'ok' } };
    // Prow's hook appends /help to the endpoint's own path, which may be more than "/".
    if (path?.endsWith('/help')) return helpAnswer(plugin, request);
    if (request.method !== 'POST') return { status: 405, body: { message: 'POST a GitHub webhook delivery here' } };
    const headers = DeliveryHeaders.safeParse(request.headers);
    if (!headers.success) return { status: 400, body: { message: headers.error.issues.map((issue) => issue.message).join('; ') } };
    const signature = request.headers['x-hub-signature-256'];
    if (typeof signature !== 'string' || signature === '') return { status: 401, body: { message: 'missing X-Hub-Signature-256 header' } };
    const body = await bodyOf(request);
    if (!body) return { status: 413, body: { message: `the body exceeds ${MAX_BODY_BYTES} bytes` } };
    if (!secrets.some((secret) => signedWith(secret, body, signature))) return { status: 401, body: { message: 'X-Hub-Signature-256 does not match' } };
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, body: { message: 'the body is not JSON' } };
    }
    const fields = PayloadFields.safeParse(payload);
    if (!fields.success) return { status: 400, body: { message: 'the payload is not a GitHub event' } };
    const { 'x-github-event': name, 'x-github-delivery': id } = headers.data;
    return runHandlers(plugin, { name, id, payload, fields: fields.data }, { config, clientFor, log, createProwJob });
  };

  return async (request, response) => {
    let result: Answer;
    try {
      result = await answer(request);
    } catch (error) {
      log.error('could not handle the request', { error });
      result = { status: 500, body: { message: error instanceof Error ? error.message : String(error) } };
    }
    response.statusCode = result.status;
    response.setHeader('content-type', 'application/json');
    response.setHeader('cache-control', 'no-cache');
    response.end(JSON.stringify(result.body));
  };
}

/**
 * For Google Cloud Functions: `export const hello = cloudFunction(plugin)` and deploy with
 * `--entry-point hello`, or `http('hello', cloudFunction(plugin))`. The same handler as `serve`;
 * it reads the body the Functions Framework kept in `rawBody`, so the signature covers GitHub's bytes.
 */
export const cloudFunction: typeof serve = serve;

async function helpAnswer<C>(plugin: Plugin<C>, request: PluginRequest): Promise<Answer> {
  if (request.method === 'POST') {
    const body = await bodyOf(request);
    let repos: unknown;
    try {
      repos = body && body.length > 0 ? JSON.parse(body.toString('utf8')) : [];
    } catch {
      return { status: 400, body: { message: 'POST /help takes the enabled repositories as JSON: [{"Org":…,"Repo":…}]' } };
    }
    if (!HelpRequest.safeParse(repos).success) return { status: 400, body: { message: 'POST /help takes [{"Org":…,"Repo":…}]' } };
  } else if (request.method !== 'GET') {
    return { status: 405, body: { message: 'GET or POST /help' } };
  }
  return { status: 200, body: prowHelp(plugin) };
}

async function bodyOf(request: PluginRequest): Promise<Buffer | undefined> {
  if (Buffer.isBuffer(request.rawBody)) return request.rawBody.length > MAX_BODY_BYTES ? undefined : request.rawBody;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

interface Delivery {
  name: string;
  id: string;
  payload: unknown;
  fields: z.infer<typeof PayloadFields>;
}

interface Shared<C> {
  config: C | undefined;
  clientFor: (installationId: number | undefined) => Promise<GitHub>;
  log: Logger;
  createProwJob: PluginContext['createProwJob'];
}

/**
 * Runs every handler that wants the delivery, concurrently, as Cutwater runs its own plugins: one
 * that throws is logged and the others still finish; the answer is 500 when any failed, so the
 * sender's log shows it.
 */
async function runHandlers<C>(plugin: Plugin<C>, delivery: Delivery, shared: Shared<C>): Promise<Answer> {
  const { fields } = delivery;
  const org = fields.repository?.owner.login ?? fields.organization?.login ?? '';
  const repo = fields.repository?.name ?? '';
  const number = fields.issue?.number ?? fields.pull_request?.number;
  const log = shared.log.child({
    deliveryId: delivery.id,
    event: fields.action ? `${delivery.name}.${fields.action}` : delivery.name,
    ...(repo ? { repo: `${org}/${repo}` } : org ? { org } : {}),
  });
  const registrations = plugin.eventHandlers.filter((registration) =>
    registration.events.some((event) => handles(event, delivery.name, fields.action)),
  );
  let comment: CommentEvent | undefined;
  try {
    comment = plugin.commentHandlers.length > 0 ? commentEventOf(delivery.name, delivery.payload) : undefined;
  } catch {
    return { status: 400, body: { message: `the ${delivery.name} payload lacks fields GitHub always sends` } };
  }
  const wanted = registrations.length + (comment ? plugin.commentHandlers.length : 0);
  if (wanted === 0) return { status: 200, body: { message: 'event received', handlers: 0 } };

  // Only now: a delivery no handler wants needs no installation token.
  const github = await shared.clientFor(fields.installation?.id);
  const issue = number !== undefined && repo ? issueHandle(github, org, repo, number) : undefined;
  const context: PluginContext<never, C> = {
    event: { id: delivery.id, name: delivery.name, payload: delivery.payload } as EmitterWebhookEvent as PluginContext<never, C>['event'],
    deliveryId: delivery.id,
    org,
    repo,
    github,
    issue,
    config: shared.config,
    log,
    createProwJob: shared.createProwJob,
  };
  const runs = registrations.map((registration) => registration.handle(context));
  if (comment) {
    const commentContext: CommentContext<C> = { ...context, comment, issue: issueHandle(github, comment.org, comment.repo, comment.number) };
    for (const handler of plugin.commentHandlers) runs.push(handler(commentContext));
  }
  const results = await Promise.allSettled(runs);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  for (const error of failures) log.error('a handler failed', { error });
  if (failures.length > 0) {
    return { status: 500, body: { message: `${failures.length} of ${runs.length} handler(s) failed`, errors: failures.map((error) => String(error)) } };
  }
  log.info(`delivery handled by ${runs.length} handler(s)`);
  return { status: 200, body: { message: 'event received', handlers: runs.length } };
}
