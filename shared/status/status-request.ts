import type { Config } from '../config/model';
import type { ConfigSource } from '../config/config-source';
import type { InstallationBudget } from '../github/budget';
import type { GitHubClient } from '../github/client';
import type { Logger } from '../log/logger';
import type { Sandbox } from '../sandbox/sandbox';
import type { CsrfGuard } from './auth/csrf';
import type { ExternalHelpSource } from './external-help';
import { LOGIN_PATH, type GitHubOAuthSettings } from './auth/github-oauth';
import type { SessionCodec } from './auth/session';
import type { SafeHtml } from './html';
import type { JobLogSources } from './job-log';
import type { StreamOptions } from './log-stream';
import type { EventBacklogSource, WritePace } from './pages/health';
import { messagePage, page as renderPage, type GitHubInUse, type NavItem, type Viewer } from './pages/layout';
import { sendHtml } from './respond';
import type { Exchange } from './router';
import { jobVisibility, type JobVisibility } from './visibility';

/**
 * What a status page handler is given: the request, the backends, and what every page reads —
 * the config current for this request, the one visibility rule (hidden jobs and repos), who is
 * signed in — plus the replies every page shares (a page in the layout, 404, 400).
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
  /**
   * The GitHub budget ledger of the clients this process holds (`GitHubClients.budget()`), for the
   * health page. Process-local: in local mode it covers everything, in the cloud only the status
   * function's own requests.
   */
  githubBudget?: () => InstallationBudget[];
  /** The content-write pace the outbox writer keeps, which the health page compares writes against. */
  writeLimits?: WritePace;
  /** Where the health page finds the event bus's backlog: the in-process bus, or Cloud Monitoring links. */
  eventBacklog?: EventBacklogSource;
  /**
   * Local mode only: without GitHub sign-in, the PR dashboard (`/pr?user=<login>`) may show anyone's
   * open PRs, searched with `github`. Never set in the cloud, where the dashboard needs sign-in.
   */
  localUserLookup?: boolean;
  /**
   * Local mode only: why a job will never start here (no runner serves its cluster), with the flag
   * that changes it; shown on the job page and returned to `cutwater mkpj`.
   */
  unservedNotice?: (cluster: string) => string | undefined;
  /** GitHub as a signed-in viewer, from their token; by default a client per viewer on GITHUB_API_URL. */
  userGitHub?: (token: string) => GitHubClient;
  /**
   * External plugins' `/help`, for /plugins and /command-help; `statusListener` makes one that
   * caches for the life of the process when none is given.
   */
  externalHelp?: ExternalHelpSource;
  /** Which GitHub this deployment talks to, for the banner every page shows. */
  githubInUse?: GitHubInUse;
  /** Local mode without credentials: the built-in GitHub that `/sandbox` drives. Never in the cloud. */
  sandbox?: Sandbox;
}

export interface StatusRequest extends Exchange {
  deps: StatusDependencies;
  config: Config;
  visible: JobVisibility;
  /** The signed-in GitHub login, if any. */
  login: string | undefined;
  viewer: () => Viewer;
  now: number;
}

export async function statusRequest(deps: StatusDependencies, exchange: Exchange): Promise<StatusRequest> {
  const { request, response, url } = exchange;
  const config = await deps.config.current();
  const login = deps.auth.sessions.readLogin(request);
  let viewer: Viewer | undefined;
  return {
    ...exchange,
    deps,
    config,
    visible: jobVisibility(config),
    login,
    now: (deps.now ?? Date.now)(),
    // Once per request: it may set the anonymous CSRF cookie, and every page part asks for it.
    viewer: () =>
      (viewer ??= {
        ...(login ? { login } : {}),
        ...(deps.auth.oauth ? { loginUrl: `${LOGIN_PATH}?${new URLSearchParams({ dest: `${url.pathname}${url.search}` }).toString()}` } : {}),
        csrfToken: deps.auth.csrf.csrfTokenFor(request, response),
      }),
  };
}

export function sendPage(page: StatusRequest, title: string, body: SafeHtml, nav?: NavItem, scripts: readonly string[] = []): void {
  sendHtml(page.response, 200, renderPage({ title, body, viewer: page.viewer(), scripts, ...(nav ? { nav } : {}), ...(page.deps.githubInUse ? { github: page.deps.githubInUse } : {}) }));
}

export function notFound(page: StatusRequest, message: string): void {
  sendHtml(page.response, 404, messagePage('Not found', message, page.viewer()));
}

export function badRequest(page: StatusRequest, message: string): void {
  sendHtml(page.response, 400, messagePage('Bad request', message, page.viewer()));
}

