import { LRUCache } from 'lru-cache';
import { GitHubError, type GitHubClient } from '../../github/client';
import { tokenIdentity } from '../../github/identity';
import { GitHubClients } from '../../github/octokit';
import { appendSetCookie } from '../auth/csrf';
import { html, joinHtml, type SafeHtml } from '../html';
import { jobPageHref, prHistoryHref, tidePullHref } from '../links';
import { dashboardScope, loadDashboard, type Dashboard, type DashboardPull, type DashboardVerdict } from '../pr-dashboard';
import { sendCompressible, sendHtml } from '../respond';
import { sendPage, type StatusRequest } from '../status-request';
import { pullStateBadge } from './tide';
import { link, messagePage, safeHref, stateText } from './layout';

/**
 * Deck's PR dashboard: `/pr`, the signed-in person's open pull requests with their jobs, contexts
 * and Tide verdict, and `/pr-data.js`, the same as JSON in the shape of Prow's prstatus
 * (`UserData`), with Cutwater's jobs and verdict beside Prow's fields. GitHub is searched as the
 * viewer, with the token their sign-in left (encrypted) in a cookie; local mode without sign-in
 * may name a login instead (`?user=`) and search with the deployment's own credentials.
 */

/** GitHub logins: letters, digits, hyphens; Enterprise managed users add `_shortcode`. */
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
/** Conditional reads keep their ETags per viewer between page views; this many viewers are kept. */
const VIEWER_CLIENTS = 32;
const VIEWER_CACHE_BYTES = 2 * 1024 * 1024;

/** How the request reaches GitHub, or why it cannot. */
type Access =
  | { kind: 'ready'; login: string; github: GitHubClient; viaToken: boolean }
  /** Signed out where sign-in exists: the page offers it. */
  | { kind: 'sign-in'; reason?: string }
  /** Local mode without sign-in: a login may be named. */
  | { kind: 'name-a-login'; problem?: string }
  | { kind: 'unavailable'; reason: string };

const viewerClients = new LRUCache<string, GitHubClient>({ max: VIEWER_CLIENTS });

/** A client speaking as the viewer; the same one (and its ETag cache) for each of their page views. */
function viewerClient(page: StatusRequest, token: string): GitHubClient {
  if (page.deps.userGitHub) return page.deps.userGitHub(token);
  const baseUrl = page.deps.auth.oauth?.apiUrl;
  const key = `${baseUrl ?? ''}\n${tokenIdentity(token)}`;
  let client = viewerClients.get(key);
  if (!client) {
    client = new GitHubClients({ ...(baseUrl ? { baseUrl } : {}), auth: { token }, cacheBytes: VIEWER_CACHE_BYTES }).clientForInstallation();
    viewerClients.set(key, client);
  }
  return client;
}

async function accessFor(page: StatusRequest): Promise<Access> {
  const { deps, login } = page;
  if (deps.auth.oauth) {
    if (!login) return { kind: 'sign-in' };
    const token = deps.auth.sessions.readUserToken(page.request);
    if (!token) return { kind: 'sign-in', reason: 'Your sign-in predates the PR dashboard or has expired: sign in again so it can search GitHub as you.' };
    return { kind: 'ready', login, github: viewerClient(page, token), viaToken: true };
  }
  if (!deps.localUserLookup || !deps.github) {
    return {
      kind: 'unavailable',
      reason: 'GitHub sign-in is not configured (GITHUB_OAUTH_CLIENT_ID and its secret), so the PR dashboard cannot tell whose pull requests to show.',
    };
  }
  const named = page.url.searchParams.get('user')?.trim().replace(/^@/, '');
  if (!named) return { kind: 'name-a-login' };
  if (!LOGIN.test(named)) return { kind: 'name-a-login', problem: 'That is not a GitHub login.' };
  // Local mode searches with its own credentials: a token covers everything, an App the installation of the first repository.
  const [org = '', repo = ''] = (dashboardScope(page.config)[0] ?? '').replace(/^\w+:"|"$/g, '').split('/');
  return { kind: 'ready', login: named, github: await deps.github(org, repo), viaToken: false };
}

/** Reads the dashboard; a token GitHub no longer accepts signs the viewer's token out. */
async function dashboardFor(page: StatusRequest, access: Extract<Access, { kind: 'ready' }>): Promise<Dashboard | Extract<Access, { kind: 'sign-in' | 'unavailable' }>> {
  try {
    return await loadDashboard({ config: page.config, store: page.deps.store, github: access.github }, access.login);
  } catch (error) {
    if (access.viaToken && error instanceof GitHubError && error.status === 401) {
      appendSetCookie(page.response, page.deps.auth.sessions.clearUserTokenCookie());
      return { kind: 'sign-in', reason: 'GitHub no longer accepts the sign-in this browser holds (it was revoked or expired): sign in again.' };
    }
    page.deps.log.warn('PR dashboard: GitHub search failed', { status: error instanceof GitHubError ? error.status : undefined, message: (error as Error).message });
    return { kind: 'unavailable', reason: `GitHub did not answer the search${error instanceof GitHubError ? ` (${error.status})` : ''}; try again shortly.` };
  }
}

/** `GET /pr`. */
export async function servePrDashboard(page: StatusRequest): Promise<void> {
  let access = await accessFor(page);
  if (access.kind === 'ready') {
    const loaded = await dashboardFor(page, access);
    if (!('kind' in loaded)) return sendPage(page, 'My pull requests', dashboardBody(loaded, !access.viaToken), 'pr');
    access = loaded;
  }
  if (access.kind === 'unavailable') {
    return sendHtml(page.response, 200, messagePage('Pull requests', access.reason, page.viewer()));
  }
  sendPage(page, 'My pull requests', promptBody(page, access), 'pr');
}

function promptBody(page: StatusRequest, access: Extract<Access, { kind: 'sign-in' | 'name-a-login' }>): SafeHtml {
  if (access.kind === 'sign-in') {
    const loginUrl = page.viewer().loginUrl ?? '/github-login?dest=%2Fpr';
    return html`<h1>My pull requests</h1>
<p>${access.reason ?? 'Sign in with GitHub to see your open pull requests here, with their jobs and what each still needs to merge.'}</p>
<p><a class="button" href="${loginUrl}">Sign in with GitHub</a></p>`;
  }
  return html`<h1>Pull requests</h1>
<p>GitHub sign-in is not configured. Locally, name whose open pull requests to show; they are searched with this deployment’s own GitHub credentials.</p>
${access.problem ? html`<p class="message">${access.problem}</p>` : ''}
<form method="get" action="/pr" class="toolbar"><label for="pr-user">GitHub login</label> <input id="pr-user" name="user" required pattern="@?[A-Za-z0-9][A-Za-z0-9_\\-]*"> <button type="submit">Show</button></form>`;
}

const VERDICT_CSS: Record<DashboardVerdict['kind'], string> = {
  'in-pool': 'success',
  'not-mergeable': 'pending',
  waiting: 'triggered',
  'no-query': 'aborted',
};

function verdictHtml(pull: DashboardPull): SafeHtml {
  const { tide } = pull;
  const badge =
    tide.kind === 'in-pool' && tide.poolState
      ? pullStateBadge(tide.poolState)
      : html`<span class="state state-${VERDICT_CSS[tide.kind]}">${tide.kind === 'in-pool' ? 'in pool' : tide.kind === 'waiting' ? 'meets queries' : tide.kind === 'no-query' ? 'no query' : 'not mergeable'}</span>`;
  const reasons = tide.reasons.length > 1 ? html`<ul class="reasons">${tide.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>` : '';
  const details = tide.kind === 'no-query' ? '' : html` <a href="${tidePullHref(pull.org, pull.repo, pull.number)}">details</a>`;
  return html`${badge} ${tide.summary}${details}${reasons}`;
}

function pullSection(pull: DashboardPull): SafeHtml {
  const id = `pr-${`${pull.org}-${pull.repo}-${pull.number}`.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const labels = pull.labels.length > 0 ? joinHtml(pull.labels.map((label) => html`<span class="label">${label}</span>`), html` `) : html`<span class="muted">none</span>`;
  const jobs =
    pull.jobs.length > 0
      ? html`<ul class="plain">${pull.jobs.map((job) => html`<li><span class="state state-${job.state}">${stateText(job.state)}</span> ${link(job.id ? jobPageHref(job.id) : safeHref(job.url), job.job)}</li>`)}</ul>`
      : html`<span class="muted">No runs at this head.</span>`;
  const contexts =
    pull.contexts.length > 0
      ? html`<ul class="plain">${pull.contexts.map(
          (context) => html`<li><span class="state state-${context.state}">${context.state}</span> ${link(safeHref(context.targetUrl), context.context)}${context.description ? html` <span class="muted">— ${context.description}</span>` : ''}</li>`,
        )}</ul>`
      : html`<span class="muted">None.</span>`;
  return html`<section class="group" id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${link(safeHref(pull.url), pull.title)} <span class="muted">${`${pull.org}/${pull.repo}`}#${pull.number}</span></h2>
<dl class="facts"><dt>Tide</dt><dd>${verdictHtml(pull)}</dd><dt>Branch</dt><dd>${pull.branch} · head <code>${pull.headSha.slice(0, 10)}</code>${pull.mergeable === 'conflicting' ? html` · <span class="state state-failure">✖ conflicts</span>` : ''}</dd><dt>Labels</dt><dd>${labels}</dd>${pull.milestone ? html`<dt>Milestone</dt><dd>${pull.milestone}</dd>` : ''}<dt>Jobs</dt><dd>${jobs} <a href="${prHistoryHref(pull.org, pull.repo, pull.number)}">history</a></dd><dt>Contexts</dt><dd>${contexts}</dd></dl></section>`;
}

function dashboardBody(dashboard: Dashboard, local: boolean): SafeHtml {
  const heading = local ? html`Pull requests of ${dashboard.login}` : html`My pull requests`;
  const note = dashboard.truncated
    ? html`<p class="muted">Showing the ${dashboard.pulls.length} most recently updated; more are open (or GitHub’s search was incomplete).</p>`
    : '';
  const list =
    dashboard.pulls.length > 0
      ? joinHtml(dashboard.pulls.map(pullSection), html`\n`)
      : html`<p>No open pull requests by ${dashboard.login} in the repositories this deployment covers.</p>`;
  return html`<h1>${heading}</h1>
<p class="toolbar"><a href="/pr-data.js${local ? `?user=${encodeURIComponent(dashboard.login)}` : ''}">pr-data.js</a>${local ? html` <a href="/pr">Another login</a>` : ''}</p>
${note}${list}`;
}

// ─── pr-data.js ────────────────────────────────────────────────────────────────────────────────

/** GitHub's GraphQL names, which Prow's prstatus carries upper-case. */
function prowState(state: string): string {
  return state.toUpperCase();
}

/** One PR as Prow's `PullRequestWithContexts`, plus Cutwater's `Jobs` and `Tide`. */
function prowPull(pull: DashboardPull) {
  return {
    Contexts: pull.contexts.map((context) => ({ Context: context.context, Description: context.description ?? '', State: prowState(context.state) })),
    PullRequest: {
      Number: pull.number,
      Merged: false,
      Title: pull.title,
      Author: { Login: pull.author },
      BaseRef: { Name: pull.branch, Prefix: 'refs/heads/' },
      HeadRefOID: pull.headSha,
      Repository: { Name: pull.repo, NameWithOwner: `${pull.org}/${pull.repo}`, Owner: { Login: pull.org } },
      Labels: { Nodes: pull.labels.map((name) => ({ Label: { Name: name } })) },
      Milestone: { Title: pull.milestone ?? '' },
      Mergeable: prowState(pull.mergeable),
      URL: pull.url,
    },
    Jobs: pull.jobs.map((job) => ({ Job: job.job, State: job.state, ID: job.id, ...(job.url ? { URL: job.url } : {}) })),
    Tide: { Kind: pull.tide.kind, Summary: pull.tide.summary, Reasons: pull.tide.reasons, ...(pull.tide.poolState ? { PoolState: pull.tide.poolState } : {}) },
  };
}

/** `GET /pr-data.js`: Prow's `UserData`; `Login: false` and no PRs when signed out, as Prow answers. */
export async function servePrData(page: StatusRequest): Promise<void> {
  const access = await accessFor(page);
  const loaded = access.kind === 'ready' ? await dashboardFor(page, access) : access;
  const body =
    'kind' in loaded
      ? { Login: false, PullRequestsWithContexts: [], ...(loaded.kind === 'unavailable' ? { Message: loaded.reason } : {}) }
      : { Login: true, User: loaded.login, Truncated: loaded.truncated, PullRequestsWithContexts: loaded.pulls.map(prowPull) };
  // One person's data: never kept by a shared cache.
  sendCompressible(page.response, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, no-store' }, JSON.stringify(body));
}
