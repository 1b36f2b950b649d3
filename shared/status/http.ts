import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestUrl } from '../http/node';
import { serveArtifact } from './artifact-download';
import { serveFavicon, serveStaticAsset, STATIC_ASSETS } from './assets';
import { LOGIN_PATH, LOGOUT_PATH, REDIRECT_PATH, signInHandlers } from './auth/github-oauth';
import { serveBadge } from './badge';
import { serveRawLog } from './job-log';
import { externalHelpSource } from './external-help';
import { createJobOverLocalApi } from './local-job-api';
import { serveLogStream } from './log-stream';
import { serveConfiguredJobs, serveConfiguredRepos } from './pages/configured-jobs';
import { serveHealth, serveHealthJson } from './pages/health';
import { serveJobHistory, servePrHistory } from './pages/history';
import { serveJobAction } from './pages/job-actions';
import { serveJobList } from './pages/job-list';
import { serveJobPage } from './pages/job-page';
import { serveSandbox, serveSandboxAction, serveSandboxState } from './pages/sandbox';
import { servePrData, servePrDashboard } from './pages/pr-dashboard';
import { serveCommandHelp, servePluginHelp } from './pages/plugin-help';
import { serveTide } from './pages/tide';
import { serveTideHistory } from './pages/tide-history';
import { serveTidePull } from './pages/tide-pull';
import { serveProwJob, serveProwJobsJs } from './prowjobs-js';
import { sendText } from './respond';
import { createRouter, READ, type Exchange, type Route, type RouteParams } from './router';
import { statusRequest, type StatusDependencies, type StatusRequest } from './status-request';
import { serveTideHistoryJs, serveTideJs } from './tide-js';

export type { StatusDependencies } from './status-request';

/**
 * The status pages (Prow's deck and spyglass) on node:http: served by `functions/status` in the
 * cloud and by `cutwater local`. Every URL they answer is in the table below; each page reads the
 * store through an indexed query, applies the one visibility rule (hidden jobs and repos), and
 * renders server-side HTML. Resolves false for a request no route takes (an unknown path, or a
 * method a path does not take), so a host can mount other routes beside it and answer 404.
 */
export function statusListener(given: StatusDependencies): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  // One cache per listener: the status function and local mode keep theirs for the process's life.
  const deps: StatusDependencies = { ...given, externalHelp: given.externalHelp ?? externalHelpSource({ log: given.log }) };
  const signIn = signInHandlers({ ...deps.auth, log: deps.log });
  /** A handler that reads the config, the visibility rule and the viewer (loaded per request). */
  const page =
    (handler: (request: StatusRequest, params: RouteParams) => Promise<void> | void) =>
    async (exchange: Exchange, params: RouteParams) =>
      handler(await statusRequest(deps, exchange), params);
  const name = (params: RouteParams) => params.name ?? '';

  const routes: Route[] = [
    // Deck's pages and Prow's URLs.
    { method: READ, path: '/', handle: page(serveJobList) },
    { method: READ, path: '/prowjobs.js', handle: page(serveProwJobsJs) },
    { method: READ, path: '/log', handle: page(serveRawLog) },
    { method: READ, path: '/badge.svg', handle: page(serveBadge) },
    { method: READ, path: '/pr-history', handle: page(servePrHistory) },
    { method: READ, path: '/job-history/*', handle: page(serveJobHistory) },
    { method: READ, path: '/plugins', handle: page(servePluginHelp) },
    { method: READ, path: '/command-help', handle: page(serveCommandHelp) },
    { method: READ, path: '/configured-jobs', handle: page(serveConfiguredRepos) },
    // The viewer's open pull requests (Prow's prstatus): the page and its JSON.
    { method: READ, path: '/pr', handle: page(servePrDashboard) },
    { method: READ, path: '/pr-data.js', handle: page(servePrData) },
    // The merge pool (Prow's tide): pools, history, one pull request's verdict (`<number>.json` for JSON).
    { method: READ, path: '/tide', handle: page(serveTide) },
    { method: READ, path: '/tide.js', handle: page(serveTideJs) },
    { method: READ, path: '/tide-history', handle: page(serveTideHistory) },
    { method: READ, path: '/tide-history.js', handle: page(serveTideHistoryJs) },
    { method: READ, path: '/tide/pr/:org/:repo/:number', handle: page((request, params) => serveTidePull(request, params.org ?? '', params.repo ?? '', params.number ?? '')) },
    // Every component's state and the GitHub budget.
    { method: READ, path: '/health', handle: page(serveHealth) },
    { method: READ, path: '/health.json', handle: page(serveHealthJson) },
    { method: READ, path: '/configured-jobs/:org/:repo', handle: page((request, params) => serveConfiguredJobs(request, params.org ?? '', params.repo ?? '')) },

    // One job (Spyglass): its page, its live log, its stored files, its JSON.
    { method: READ, path: '/view/:name', handle: page((request, params) => serveJobPage(request, name(params))) },
    { method: READ, path: '/view/:name/stream', handle: page((request, params) => serveLogStream(request, name(params))) },
    { method: READ, path: '/view/:name/artifacts/*', handle: page((request, params) => serveArtifact(request, name(params), params['*'] ?? '')) },
    { method: READ, path: '/api/prowjobs/:name', handle: page((request, params) => serveProwJob(request, name(params))) },

    // The job page's forms.
    { method: 'POST', path: '/rerun', handle: page((request) => serveJobAction(request, 'rerun')) },
    { method: 'POST', path: '/abort', handle: page((request) => serveJobAction(request, 'abort')) },

    // Local mode's sandbox GitHub (only when it runs one; 404 otherwise).
    ...(deps.sandbox
      ? [
          { method: READ, path: '/sandbox', handle: page(serveSandbox) },
          { method: READ, path: '/sandbox/state.json', handle: page(serveSandboxState) },
          { method: 'POST', path: '/sandbox/:action', handle: page((request, params) => serveSandboxAction(request, params.action ?? '')) },
        ] satisfies Route[]
      : []),

    // Local mode's job API, for `cutwater mkpj`.
    { method: 'POST', path: '/api/prowjobs', handle: (exchange) => createJobOverLocalApi(deps, exchange) },

    // Signing in with GitHub (Deck's paths); these say 405 for another method.
    { method: 'GET', path: LOGIN_PATH, handle: signIn.startLogin, otherMethods: signIn.methodNotAllowed },
    { method: 'GET', path: REDIRECT_PATH, handle: signIn.finishLogin, otherMethods: signIn.methodNotAllowed },
    { method: 'POST', path: LOGOUT_PATH, handle: signIn.logout, otherMethods: signIn.methodNotAllowed },

    // The stylesheet and client scripts.
    ...Object.keys(STATIC_ASSETS).map((asset): Route => ({ method: READ, path: `/static/${asset}`, handle: serveStaticAsset(asset) })),
    // The tab icon, at the path the pages link and the one browsers try unasked.
    { method: READ, path: '/favicon.svg', handle: serveFavicon },
    { method: READ, path: '/favicon.ico', handle: serveFavicon },
  ];

  const route = createRouter(routes);
  return async (request, response) => {
    // On every answer, whatever sends it: JSON and text must never be sniffed into HTML or script.
    response.setHeader('x-content-type-options', 'nosniff');
    const url = requestUrl(request);
    if (!url) {
      sendText(response, 400, 'Bad request: the request target must be a path, such as /view/<job>.');
      return true;
    }
    return route({ request, response, url });
  };
}
