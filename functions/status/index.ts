import { IncomingMessage, type ServerResponse } from 'node:http';
import { http, type Request } from '@google-cloud/functions-framework';
import { GcsArtifactStore } from '../../shared/artifacts/gcs';
import { GitHubClients, githubAuthFromEnv } from '../../shared/github/octokit';
import { cloudLogger, cloudStore } from '../../shared/runtime/cloud';
import { configSourceFromEnv } from '../../shared/config/config-source';
import { githubApiUrl } from '../../shared/github/environment';
import { statusAuthFromEnv } from '../../shared/status/auth/from-env';
import { throughHostingCookieJar } from '../../shared/status/cookie-jar';
import { writeLimitsFromEnv } from '../../shared/outbox/pace';
import { writeLimitsOfWindows } from '../../shared/status/pages/health';
import { statusListener } from '../../shared/status/http';
import { PLUGIN_SETTINGS } from '../../shared/plugins/registry';
import { EVENTS_SUBSCRIPTION, TRIGGER_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { TOPICS } from '../../shared/bus/bus';
import { monitoringBacklogFromEnv } from '../../shared/bus/monitoring-backlog';

/**
 * The status pages (Prow's deck and spyglass), published through Firebase Hosting: every page
 * path of `shared/status/http.ts`. Wiring only: the backends are built on the first request an
 * instance serves, and a missing session secret fails that request (and each one after it) with
 * a log line saying what to set, rather than serving pages whose forms cannot be protected.
 */
type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
let handler: Handler | undefined;

/**
 * Firebase Hosting cuts a request to a function at 60 s and hands the function's response to the
 * browser only once it is complete, so a live log streamed for minutes would arrive all at once or
 * not at all. Ending each stream after 20 s turns it into a short poll through Hosting (the browser
 * reconnects with Last-Event-ID and carries on where it stopped), and keeps streaming live when
 * the function's own URL is used.
 */
const STREAM_MAX_MS = 20_000;

function wire(): Handler {
  const env = process.env;
  const log = cloudLogger();
  const auth = statusAuthFromEnv(env);
  const bucket = env.ARTIFACTS_BUCKET;
  if (!bucket) throw new Error('ARTIFACTS_BUCKET is not set: the status pages read job logs and artifacts from that bucket');
  const githubAuth = githubAuthFromEnv(env);
  const clients = githubAuth ? new GitHubClients({ baseUrl: githubApiUrl(env), auth: githubAuth }) : undefined;
  if (!clients) log.warn('rerun and abort cannot check GitHub org or team membership: no GitHub credentials (GITHUB_APP_ID and its key)');
  const eventSubscriptions = [EVENTS_SUBSCRIPTION, TRIGGER_SUBSCRIPTION];
  const listener = statusListener({
    store: cloudStore(),
    artifacts: new GcsArtifactStore({ bucket }),
    log,
    config: configSourceFromEnv(env, log, { pluginSettings: PLUGIN_SETTINGS }),
    auth,
    ...(clients ? { github: (org: string, repo: string) => clients.clientForRepository(org, repo) } : {}),
    // Only this function's own requests: each function instance keeps its own ledger.
    ...(clients ? { githubBudget: () => clients.budget() } : {}),
    // The pace the github-writer function keeps: the same variables reach both.
    writeLimits: writeLimitsOfWindows(writeLimitsFromEnv(env).windows),
    // Pub/Sub's backlog is in Cloud Monitoring: the page shows its newest samples (the function's
    // account holds monitoring.viewer) beside links to the charts there.
    eventBacklog: {
      kind: 'cloud-monitoring',
      ...(env.GOOGLE_CLOUD_PROJECT ? { project: env.GOOGLE_CLOUD_PROJECT } : {}),
      subscriptions: eventSubscriptions,
      read: monitoringBacklogFromEnv(
        env,
        eventSubscriptions.map((name) => ({ name, topic: TOPICS.githubEvents })),
      ),
    },
    stream: { maxMs: STREAM_MAX_MS },
  });
  // Hosting passes the function one cookie, `__session`; the pages' own cookies travel inside it.
  return throughHostingCookieJar(listener, { secure: auth.sessions.secure });
}

/**
 * The request as node:http would have handed it over. The Functions Framework parses every body
 * before the function runs (its last parser accepts any content type), which drains the stream
 * and keeps the bytes in `rawBody`; the status pages read their form POSTs (rerun, abort, sign-out)
 * from the stream, so they get a request that replays those bytes.
 */
function withUnreadBody(request: Request): IncomingMessage {
  const body = request.rawBody;
  if (body === undefined) return request;
  const replay = new IncomingMessage(request.socket);
  replay.method = request.method;
  replay.url = request.originalUrl;
  replay.httpVersion = request.httpVersion;
  replay.httpVersionMajor = request.httpVersionMajor;
  replay.httpVersionMinor = request.httpVersionMinor;
  replay.headers = { ...request.headers };
  replay.rawHeaders = [...request.rawHeaders];
  // Marked complete, so that ending the replay is not taken for a client that went away (which
  // would close the connection the response is still to be written to).
  replay.complete = true;
  replay.push(body);
  replay.push(null);
  return replay;
}

http('status', async (request, response) => {
  // Every answer, the function's own errors included.
  response.set('x-content-type-options', 'nosniff');
  if (request.path === '/healthz') {
    response.status(200).send('ok');
    return;
  }
  // Only the path is logged: a query string can carry a sign-in's one-time code.
  const path = request.path;
  try {
    handler ??= wire();
  } catch (error) {
    cloudLogger().error('the status pages cannot start', { path, error: (error as Error).message });
    response.status(500).json({ message: 'the status pages are not configured; see the function log' });
    return;
  }
  try {
    if (!(await handler(withUnreadBody(request), response))) response.status(404).json({ message: `nothing at ${path}` });
  } catch (error) {
    cloudLogger().error('status request failed', { path, method: request.method, error: (error as Error).message });
    if (!response.headersSent) response.status(500).json({ message: 'internal error; see the function log' });
    else response.end();
  }
});
