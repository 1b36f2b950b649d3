import { randomUUID, timingSafeEqual } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkArtifactPath } from '../artifacts/artifact-store';
import type { Config } from '../config/model';
import type { GitHubClient } from '../github/client';
import { readBody, sendJson } from '../http/node';
import type { Logger } from '../log/logger';
import { PLUGINS } from '../plugins/registry';
import { ProwJobSchema, type ProwJob } from '../prowjob/schema';
import type { ConfigSource } from '../config/config-source';
import { InvalidQueryError, JobExistsError } from '../store/errors';
import { abortJob, rerunJob, type ActionResult } from './actions';
import { STATIC_ASSETS } from './assets';
import type { CsrfGuard } from './auth/csrf';
import { submittedCsrfToken } from './auth/csrf';
import { authRoutes, LOGIN_PATH, type GitHubOAuthSettings } from './auth/github-oauth';
import type { SessionCodec } from './auth/session';
import { badgeStatus, badgeSvg, parseBadgeJobs } from './badge';
import { buildLogOf, findRun, readLogFrom, type JobLogSources } from './job-log';
import { parseJobListRequest, searchJobs } from './job-search';
import { parsePosition, streamJobLog, streamPosition, type StreamOptions } from './log-stream';
import { configuredJobsBody, configuredReposIndexBody } from './pages/configured-jobs';
import { jobHistoryBody, prHistoryBody } from './pages/history';
import { jobListBody, jobRows } from './pages/job-list';
import { jobPageBody } from './pages/job-page';
import { isActiveState, messagePage, page, stateOf, type NavItem, type Viewer } from './pages/layout';
import { commandHelpBody, pluginHelpBody } from './pages/plugin-help';
import { parseProwJobsRequest, withoutOmitted } from './prowjobs-js';
import { readRunArtifacts, type RunArtifacts } from './run-artifacts';
import { jobVisibility, repoVisibility, type JobVisibility } from './visibility';

/**
 * The status pages (Prow's deck and spyglass) on node:http: served by `functions/status` in the
 * cloud and by `cutwater local`. One route table; each route reads the store through an indexed
 * query, applies the one visibility rule (hidden jobs and repos), and renders server-side HTML.
 * Returns false for a path it does not serve, so a host can mount other routes beside it.
 */
export interface StatusDependencies extends JobLogSources {
  log: Logger;
  config: ConfigSource;
  /** Sign-in and CSRF; see shared/status/auth/. */
  auth: { sessions: SessionCodec; csrf: CsrfGuard; oauth?: GitHubOAuthSettings };
  /** GitHub as the installation on a repository, for rerun authorisation (org and team membership). */
  github?: (org: string, repo: string) => Promise<GitHubClient>;
  now?: () => number;
  stream?: StreamOptions;
  /**
   * `POST /api/prowjobs` creates jobs (local mode only) for requests from this machine that carry
   * `Authorization: Bearer <token>`. Loopback alone is not enough: a tunnel that forwards GitHub's
   * webhooks to local mode also arrives from 127.0.0.1.
   */
  jobCreationToken?: string;
}

const MAX_JOB_BYTES = 1024 * 1024;
const MAX_FORM_BYTES = 16 * 1024;
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

/** Nothing inline and nothing from elsewhere: a job's text can never become script. */
const CONTENT_SECURITY_POLICY =
  // Style attributes only: the log renderer colours 256-colour and 24-bit ANSI text with them.
  "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  config: Config;
  visible: JobVisibility;
  /** The signed-in GitHub login, if any. */
  login: string | undefined;
  viewer: () => Viewer;
  now: number;
}

export function statusListener(deps: StatusDependencies) {
  const now = deps.now ?? Date.now;
  const signIn = authRoutes({ ...deps.auth, log: deps.log });

  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (await signIn(request, response, url)) return true;
    if (request.method === 'POST' && path === '/api/prowjobs') {
      await createJob(deps, request, response);
      return true;
    }
    const config = await deps.config.current();
    const login = deps.auth.sessions.readLogin(request);
    let viewer: Viewer | undefined;
    const context: RequestContext = {
      request,
      response,
      url,
      config,
      visible: jobVisibility(config),
      login,
      now: now(),
      // Once per request: it may set the anonymous CSRF cookie, and every page part asks for it.
      viewer: () =>
        (viewer ??= {
          ...(login ? { login } : {}),
          ...(deps.auth.oauth ? { loginUrl: `${LOGIN_PATH}?${new URLSearchParams({ dest: `${path}${url.search}` }).toString()}` } : {}),
          csrfToken: deps.auth.csrf.csrfTokenFor(request, response),
        }),
    };
    if (request.method === 'POST' && (path === '/rerun' || path === '/abort')) {
      await jobAction(deps, context, path === '/rerun' ? 'rerun' : 'abort');
      return true;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;

    const staticAsset = /^\/static\/([a-z-]+\.(?:css|js))$/.exec(path);
    if (staticAsset?.[1]) {
      const asset = STATIC_ASSETS[staticAsset[1]];
      if (!asset) return false;
      response.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });
      response.end(asset.body);
      return true;
    }
    if (path === '/') return jobList(deps, context);
    if (path === '/prowjobs.js') return prowJobsJs(deps, context);
    if (path === '/log') return rawLog(deps, context);
    if (path === '/badge.svg') return badge(deps, context);
    if (path === '/pr-history') return prHistory(deps, context);
    if (path === '/plugins' || path === '/command-help') {
      const repo = url.searchParams.get('repo') ?? undefined;
      const visibleRepo = repoVisibility(config);
      const repos = configIndex(config).repos.filter(visibleRepo);
      const input = { plugins: PLUGINS, pluginConfig: config.plugins, repos, visible: visibleRepo, ...(repo && repos.includes(repo) ? { repo } : {}) };
      const body = path === '/plugins' ? pluginHelpBody(input) : commandHelpBody(input);
      const nav: NavItem = path === '/plugins' ? 'plugins' : 'command-help';
      sendPage(context, 200, body.title, body.body, nav, path === '/command-help' ? ['command-help'] : []);
      return true;
    }
    if (path === '/configured-jobs') {
      const body = configuredReposIndexBody(config, repoVisibility(config));
      sendPage(context, 200, body.title, body.body, 'configured-jobs');
      return true;
    }
    const configured = /^\/configured-jobs\/([^/]+)\/([^/]+)$/.exec(path);
    if (configured?.[1] && configured[2]) {
      const org = decodeURIComponent(configured[1]);
      const repo = decodeURIComponent(configured[2]);
      if (!repoVisibility(config)(`${org}/${repo}`)) return notFound(context, `No configured jobs for ${org}/${repo}.`);
      const body = configuredJobsBody({ config, org, repo, hidden: (orgRepo) => !repoVisibility(config)(orgRepo) });
      if (!body.found) return notFound(context, `No configured jobs for ${org}/${repo}.`);
      sendPage(context, 200, body.title, body.body, 'configured-jobs');
      return true;
    }
    const history = /^\/job-history\/(.+)$/.exec(path);
    if (history?.[1]) return jobHistory(deps, context, jobNameFromHistoryPath(history[1]));
    const view = /^\/view\/([^/]+)(\/stream|\/artifacts\/(.+))?$/.exec(path);
    if (view?.[1]) {
      const name = decodeURIComponent(view[1]);
      if (view[2] === '/stream') return logStream(deps, context, name);
      if (view[3]) return artifact(deps, context, name, view[3]);
      return jobView(deps, context, name);
    }
    const api = /^\/api\/prowjobs\/([^/]+)$/.exec(path);
    if (api?.[1]) {
      const stored = await deps.store.jobs.get(decodeURIComponent(api[1]));
      if (stored && context.visible(stored.job)) sendJson(response, 200, stored.job);
      else sendJson(response, 404, { message: 'no such ProwJob' });
      return true;
    }
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Pages

/** Pages and JSON are text that compresses ~10×; a browser that says it takes gzip gets gzip. */
function sendCompressible(response: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  const accepts = /\bgzip\b/.test(String(response.req.headers['accept-encoding'] ?? ''));
  const body = accepts && text.length > 1024 ? gzipSync(text) : Buffer.from(text, 'utf8');
  response.writeHead(status, {
    ...headers,
    vary: 'accept-encoding',
    'content-length': String(body.length),
    ...(accepts && text.length > 1024 ? { 'content-encoding': 'gzip' } : {}),
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  sendCompressible(
    response,
    status,
    {
      'content-type': 'text/html; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    },
    html,
  );
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(text);
}

function sendPage(context: RequestContext, status: number, title: string, body: string, nav?: NavItem, scripts: readonly string[] = []): void {
  sendHtml(context.response, status, page({ title, body, viewer: context.viewer(), scripts, ...(nav ? { nav } : {}) }));
}

function notFound(context: RequestContext, message: string): true {
  sendHtml(context.response, 404, messagePage('Not found', message, context.viewer()));
  return true;
}

function badRequest(context: RequestContext, message: string): true {
  sendHtml(context.response, 400, messagePage('Bad request', message, context.viewer()));
  return true;
}

async function jobList(deps: StatusDependencies, context: RequestContext): Promise<true> {
  let listRequest;
  try {
    listRequest = parseJobListRequest(context.url.searchParams);
  } catch (error) {
    return badRequest(context, `Check the filters: ${(error as Error).message}`);
  }
  let result;
  try {
    result = await searchJobs(deps.store, listRequest, context.visible);
  } catch (error) {
    if (error instanceof InvalidQueryError) return badRequest(context, error.message);
    throw error;
  }
  if (context.url.searchParams.get('fragment') === 'rows') {
    sendHtml(context.response, 200, jobRows(result.jobs.map((stored) => stored.job), context.now));
    return true;
  }
  const { repos, jobNames } = configIndex(context.config);
  const body = jobListBody({ request: listRequest, result, now: context.now, knownRepos: repos.filter(repoVisibility(context.config)), knownJobs: jobNames });
  sendPage(context, 200, 'Jobs', body, 'jobs', ['job-list']);
  return true;
}

async function jobView(deps: StatusDependencies, context: RequestContext, name: string): Promise<true> {
  const stored = await deps.store.jobs.get(name);
  if (!stored || !context.visible(stored.job)) return notFound(context, `No ProwJob named ${name}.`);
  const job = stored.job;
  const running = isActiveState(stateOf(job));
  const run = await runArtifactsOf(deps, job);
  let log: string | undefined;
  let stream: { url: string } | undefined;
  if (running) {
    const bytes = await readLogFrom(deps, job, 0).catch(() => undefined);
    const position = streamPosition(bytes?.toString('utf8') ?? '');
    log = position.shown;
    stream = { url: `/view/${encodeURIComponent(name)}/stream?from=${position.offset}:${position.line}` };
  } else {
    log = await buildLogOf(deps, job);
  }
  const buildId = job.status?.build_id;
  const body = jobPageBody({
    job,
    log,
    run,
    now: context.now,
    csrfToken: context.viewer().csrfToken ?? '',
    requestId: randomUUID(),
    artifactHref: (relative) => `/view/${encodeURIComponent(name)}/artifacts/${relative.split('/').map(encodeURIComponent).join('/')}`,
    ...(stream ? { stream } : {}),
    ...(buildId ? { rawLogHref: `/log?${new URLSearchParams({ job: job.spec.job, id: buildId }).toString()}` } : {}),
  });
  sendPage(context, 200, `${job.spec.job} ${stateOf(job)}`, body, undefined, ['job-page']);
  return true;
}

/** What the run stored; a store that cannot be read costs the page its results, not the page. */
async function runArtifactsOf(deps: StatusDependencies, job: ProwJob): Promise<RunArtifacts | undefined> {
  try {
    return await readRunArtifacts(deps.artifacts, job);
  } catch (error) {
    const refs = job.spec.refs;
    deps.log.warn('could not read the run\'s artifacts', { jobId: job.metadata.name, job: job.spec.job, ...(refs ? { repo: `${refs.org}/${refs.repo}` } : {}), error: (error as Error).message });
    return undefined;
  }
}

async function logStream(deps: StatusDependencies, context: RequestContext, name: string): Promise<true> {
  const stored = await deps.store.jobs.get(name);
  if (!stored || !context.visible(stored.job)) {
    sendText(context.response, 404, `no ProwJob named ${name}\n`);
    return true;
  }
  const lastEventId = context.request.headers['last-event-id'];
  const start = parsePosition(typeof lastEventId === 'string' ? lastEventId : undefined) ?? parsePosition(context.url.searchParams.get('from')) ?? { offset: 0, line: 1 };
  await streamJobLog(deps, context.request, context.response, name, start, deps.stream);
  return true;
}

/** Text is shown as text; anything else is a download, so an uploaded HTML file cannot run here. */
const TEXT_ARTIFACT = /\.(?:txt|log|xml|json|ya?ml|md|csv|tsv|out|err|sh|diff|patch)$/i;

async function artifact(deps: StatusDependencies, context: RequestContext, name: string, encodedPath: string): Promise<true> {
  const stored = await deps.store.jobs.get(name);
  const buildId = stored?.job.status?.build_id;
  if (!stored || !buildId || !context.visible(stored.job)) return notFound(context, `No ProwJob named ${name} with stored results.`);
  let relative: string;
  try {
    relative = checkArtifactPath(encodedPath.split('/').map(decodeURIComponent).join('/'));
  } catch (error) {
    return badRequest(context, (error as Error).message);
  }
  const run = await runArtifactsOf(deps, stored.job);
  const info = run?.files.find((file) => file.path === relative);
  if (!run || !info) return notFound(context, `${relative} is not among this run's artifacts.`);
  if (info.size > MAX_ARTIFACT_BYTES) return badRequest(context, `${relative} is ${info.size} bytes; download it from the artifact bucket instead.`);
  const content = await deps.artifacts.read(`${run.dir}${relative}`);
  if (!content) return notFound(context, `${relative} is gone.`);
  const fileName = relative.split('/').at(-1) ?? 'artifact';
  const text = TEXT_ARTIFACT.test(fileName);
  context.response.writeHead(200, {
    'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
    'content-length': content.length,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    ...(text ? {} : { 'content-disposition': `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"` }),
  });
  context.response.end(content);
  return true;
}

async function prowJobsJs(deps: StatusDependencies, context: RequestContext): Promise<true> {
  let parsed;
  try {
    parsed = parseProwJobsRequest(context.url.searchParams);
  } catch (error) {
    sendJson(context.response, 400, { message: (error as Error).message });
    return true;
  }
  let page;
  try {
    page = await deps.store.jobs.list(parsed.query, parsed.page);
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    sendJson(context.response, 400, { message: error.message });
    return true;
  }
  if (page.nextCursor) context.response.setHeader('x-next-cursor', page.nextCursor);
  const items = page.jobs.filter((stored) => context.visible(stored.job)).map((stored) => withoutOmitted(stored.job, parsed.omit));
  sendCompressible(context.response, 200, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ items }));
  return true;
}

async function rawLog(deps: StatusDependencies, context: RequestContext): Promise<true> {
  const job = context.url.searchParams.get('job');
  const id = context.url.searchParams.get('id');
  if (!job || !id) {
    sendText(context.response, 400, 'give the job name and build ID: /log?job=<job>&id=<build id>\n');
    return true;
  }
  const run = await findRun(deps.store, job, id);
  const log = run && context.visible(run.job) ? await buildLogOf(deps, run.job) : undefined;
  if (log === undefined) sendText(context.response, 404, `no log for ${job} build ${id}\n`);
  else sendText(context.response, 200, log);
  return true;
}

/** Deck's `/badge.svg?jobs=a,b*`: the latest finished run of each matching job. */
/** More jobs than this in one badge is a mistake (`jobs=*`), and would cost a query each. */
const MAX_BADGE_JOBS = 50;

async function badge(deps: StatusDependencies, context: RequestContext): Promise<true> {
  const wanted = parseBadgeJobs(context.url.searchParams.get('jobs') ?? '');
  const names = configIndex(context.config).jobNames.filter((name) => wanted.matches(name));
  if (names.length > MAX_BADGE_JOBS) return badRequest(context, `jobs= matches ${names.length} jobs; a badge can show at most ${MAX_BADGE_JOBS}. Name the jobs, or use a narrower pattern.`);
  const latest = (
    await Promise.all(
      names.map(async (name) => {
        // A job's runs, newest first: the first finished one is its result.
        const page = await deps.store.jobs.list({ job: name }, { limit: 20 });
        const finished = page.jobs.find((stored) => context.visible(stored.job) && !isActiveState(stateOf(stored.job)));
        return finished ? [{ job: name, state: stateOf(finished.job) }] : [];
      }),
    )
  ).flat();
  const status = badgeStatus(latest);
  context.response.writeHead(200, {
    'content-type': 'image/svg+xml; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'",
  });
  context.response.end(badgeSvg(status));
  return true;
}

async function prHistory(deps: StatusDependencies, context: RequestContext): Promise<true> {
  const org = context.url.searchParams.get('org') ?? '';
  const repo = context.url.searchParams.get('repo') ?? '';
  const pull = Number(context.url.searchParams.get('pr'));
  if (!/^[^/\s]+$/.test(org) || !/^[^/\s]+$/.test(repo) || !Number.isSafeInteger(pull) || pull <= 0) {
    return badRequest(context, 'Give the pull request as /pr-history?org=<org>&repo=<repo>&pr=<number>.');
  }
  if (!repoVisibility(context.config)(`${org}/${repo}`)) return notFound(context, `No jobs for ${org}/${repo}#${pull}.`);
  const limit = 500;
  const page = await deps.store.jobs.list({ repo: `${org}/${repo}`, pull }, { limit });
  const jobs = page.jobs.map((stored) => stored.job).filter(context.visible);
  const body = prHistoryBody({ org, repo, pull, jobs, now: context.now, truncated: page.nextCursor !== undefined });
  sendPage(context, 200, `${org}/${repo}#${pull}`, body, 'pr');
  return true;
}

/** `/job-history/<job>`, and Prow's `/job-history/gs/<bucket>/logs/<job>` (the job is the last segment). */
function jobNameFromHistoryPath(encoded: string): string {
  const segments = encoded.split('/').filter(Boolean).map(decodeURIComponent);
  return segments.at(-1) ?? '';
}

async function jobHistory(deps: StatusDependencies, context: RequestContext, job: string): Promise<true> {
  const cursor = context.url.searchParams.get('cursor') ?? undefined;
  let page;
  try {
    page = await deps.store.jobs.list({ job }, { limit: 100, ...(cursor ? { cursor } : {}) });
  } catch (error) {
    if (error instanceof InvalidQueryError) return badRequest(context, error.message);
    throw error;
  }
  const runs = page.jobs.map((stored) => stored.job).filter(context.visible);
  if (runs.length === 0 && !cursor && !configIndex(context.config).jobNames.includes(job)) return notFound(context, `No job named ${job}.`);
  const base = `/job-history/${encodeURIComponent(job)}`;
  const body = jobHistoryBody({
    job,
    runs,
    now: context.now,
    ...(page.nextCursor ? { olderHref: `${base}?cursor=${encodeURIComponent(page.nextCursor)}` } : {}),
    ...(cursor ? { newestHref: base } : {}),
  });
  sendPage(context, 200, `${job} history`, body, 'history');
  return true;
}

// ---------------------------------------------------------------------------------------------
// Rerun and abort

async function jobAction(deps: StatusDependencies, context: RequestContext, action: 'rerun' | 'abort'): Promise<void> {
  const { request, response, url } = context;
  let form: URLSearchParams;
  try {
    form = new URLSearchParams((await readBody(request, MAX_FORM_BYTES)).toString('utf8'));
  } catch {
    badRequest(context, 'The form is too large.');
    return;
  }
  const name = url.searchParams.get('prowjob') ?? form.get('prowjob') ?? '';
  if (!name) {
    badRequest(context, "Say which job: the 'prowjob' query parameter is missing.");
    return;
  }
  if (!deps.auth.csrf.checkCsrf(request, submittedCsrfToken(request, form))) {
    sendHtml(response, 403, messagePage('Request refused', 'This form has expired or did not come from this site. Reload the job page and try again.', context.viewer()));
    return;
  }
  const login = context.login;
  const actionDeps = { store: deps.store, config: context.config, log: deps.log, now: () => context.now, ...(deps.github ? { github: deps.github } : {}) };
  const result: ActionResult =
    action === 'rerun'
      ? await rerunJob(actionDeps, {
          name,
          login,
          mode: (url.searchParams.get('mode') ?? form.get('mode')) === 'latest' ? 'latest' : 'original',
          requestId: (form.get('request_id') ?? '').slice(0, 64) || randomUUID(),
          visible: context.visible,
        })
      : await abortJob(actionDeps, { name, login, visible: context.visible });
  if (result.ok) {
    response.writeHead(303, { location: `/view/${encodeURIComponent(result.job.metadata.name ?? name)}` });
    response.end();
    return;
  }
  const viewer = context.viewer();
  const signIn = result.signInMayHelp && viewer.loginUrl ? `<p><a href="${viewer.loginUrl.replace(/dest=[^&]*/, `dest=${encodeURIComponent(`/view/${encodeURIComponent(name)}`)}`)}">Sign in with GitHub</a> to ${action} jobs.</p>` : '';
  const unconfigured = result.status === 401 && !deps.auth.oauth ? '<p>GitHub sign-in is not set up on this deployment, so only jobs whose rerun_auth_configs say allow_anyone can be rerun or aborted here.</p>' : '';
  const title = result.status === 404 ? 'Not found' : action === 'rerun' ? 'Rerun refused' : 'Abort refused';
  sendHtml(response, result.status, messagePage(title, result.message, viewer, `${signIn}${unconfigured}<p><a href="/view/${encodeURIComponent(name)}">Back to the job</a></p>`));
}

// ---------------------------------------------------------------------------------------------
// Config lookups

interface ConfigIndex {
  /** Repositories with jobs or their own plugins.yaml entry, sorted. */
  repos: string[];
  /** Every configured job name, sorted. */
  jobNames: string[];
}

/** Derived once per loaded config, not per request: a large config has thousands of jobs. */
const configIndexes = new WeakMap<Config, ConfigIndex>();

function configIndex(config: Config): ConfigIndex {
  let index = configIndexes.get(config);
  if (!index) {
    const repos = new Set<string>([...config.presubmits.keys(), ...config.postsubmits.keys()]);
    for (const periodic of config.periodics) for (const refs of periodic.extra_refs ?? []) repos.add(`${refs.org}/${refs.repo}`);
    // A repository with plugins but no jobs can still be chosen on the plugin pages.
    for (const key of Object.keys(config.plugins?.plugins ?? {})) if (key.includes('/')) repos.add(key);
    const names = new Set<string>();
    for (const jobs of config.presubmits.values()) for (const job of jobs) names.add(job.name);
    for (const jobs of config.postsubmits.values()) for (const job of jobs) names.add(job.name);
    for (const job of config.periodics) names.add(job.name);
    index = { repos: [...repos].sort(), jobNames: [...names].sort() };
    configIndexes.set(config, index);
  }
  return index;
}

// ---------------------------------------------------------------------------------------------
// Local job API (cutwater mkpj)

async function createJob(deps: StatusDependencies, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const remote = request.socket.remoteAddress ?? '';
  const token = deps.jobCreationToken;
  if (!token || !/^(127\.|::1$|::ffff:127\.)/.test(remote)) {
    sendJson(response, 403, { message: 'creating jobs over HTTP is only allowed from this machine in local mode' });
    return;
  }
  const given = Buffer.from(request.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    sendJson(response, 401, { message: 'give the local API token (the api-token file in the data dir) as "Authorization: Bearer <token>"' });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse((await readBody(request, MAX_JOB_BYTES)).toString('utf8'));
  } catch {
    sendJson(response, 400, { message: 'the body must be a ProwJob as JSON' });
    return;
  }
  const parsed = ProwJobSchema.safeParse(body);
  if (!parsed.success || !parsed.data.metadata.name) {
    sendJson(response, 400, { message: `not a ProwJob: ${parsed.success ? 'metadata.name is missing' : parsed.error.message}` });
    return;
  }
  const name = parsed.data.metadata.name;
  try {
    const created = await deps.store.jobs.create(parsed.data, { idempotencyKey: `api/${name}` });
    deps.log.info('ProwJob created over the local API', { job: parsed.data.spec.job, jobId: name });
    sendJson(response, created.created ? 201 : 200, created.created ? created.job.job : (created.job?.job ?? { metadata: { name } }));
  } catch (error) {
    if (!(error instanceof JobExistsError)) throw error;
    sendJson(response, 409, { message: error.message });
  }
}
