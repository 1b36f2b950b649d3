import type { ProwJob, ProwJobState } from '../../prowjob/schema';
import { html, type SafeHtml } from '../html';
import { formatDuration } from '../format';

export { formatDuration, safeHref, timeElement } from '../format';

/**
 * The frame every status page shares: header with navigation and sign-in, the stylesheet and the
 * client scripts (served from /static, so a strict Content-Security-Policy forbids anything
 * inline), and the small formatting helpers the pages agree on. Everything that comes from a job,
 * a config or a user is escaped by `html` (../html.ts) — job names, descriptions and logs are
 * other people's text.
 */

/** The icon carries the state for readers who cannot tell the colours apart; the word for everyone. */
export const STATE_ICON: Record<ProwJobState, string> = {
  triggered: '◌',
  scheduling: '◌',
  pending: '◔',
  success: '✔',
  failure: '✖',
  aborted: '⊘',
  error: '⚠',
};

const STATE_WORD: Record<ProwJobState, string> = {
  triggered: 'triggered',
  scheduling: 'scheduling',
  pending: 'running',
  success: 'success',
  failure: 'failure',
  aborted: 'aborted',
  error: 'error',
};

export function stateOf(job: ProwJob): ProwJobState {
  return job.status?.state ?? 'triggered';
}

export function stateText(state: ProwJobState): string {
  return `${STATE_ICON[state]} ${STATE_WORD[state]}`;
}

/** A state as a badge: class for colour, icon and word for meaning; `id` lets a script replace it. */
export function stateBadge(state: ProwJobState, id?: string): SafeHtml {
  return html`<span${id ? html` id="${id}"` : ''} class="state state-${state}">${stateText(state)}</span>`;
}

/** How long a job ran (or has been running), in ms; undefined before it started. */
export function jobDurationMs(job: ProwJob, now: number): number | undefined {
  const start = Date.parse(job.status?.startTime ?? '');
  if (Number.isNaN(start)) return undefined;
  const completion = job.status?.completionTime;
  // startTime is stamped when the job is created, so a job still waiting for a runner has one:
  // counting from it would show a duration that grows while nothing runs.
  const waiting = stateOf(job) === 'triggered' || stateOf(job) === 'scheduling';
  if (!completion && waiting) return undefined;
  const end = completion ? Date.parse(completion) : now;
  return Math.max(0, end - start);
}

export function jobDuration(job: ProwJob, now: number): string {
  const ms = jobDurationMs(job, now);
  return ms === undefined ? '' : formatDuration(ms);
}

/**
 * A time near now (a rate limit's reset, a lease's expiry) as the time of day with its zone, which
 * the page script turns into the reader's own; UTC text until it does.
 */
export function clockTimeElement(iso: string): SafeHtml {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return html`${iso}`;
  const at = new Date(ms).toISOString();
  return html`<time datetime="${at}" data-clock>${at.slice(11, 19)} UTC</time>`;
}

export function link(href: string | undefined, text: string): SafeHtml {
  return href ? html`<a href="${href}">${text}</a>` : html`${text}`;
}

export type NavItem = 'jobs' | 'plugins' | 'command-help' | 'configured-jobs' | 'history' | 'pr' | 'tide' | 'health';

export interface Viewer {
  /** The signed-in GitHub login. */
  login?: string;
  /** Where "Sign in with GitHub" goes; absent when sign-in is not configured. */
  loginUrl?: string;
  /** For the sign-out form. */
  csrfToken?: string;
}

/** The GitHub plugins and reports go to: local mode's sandbox (its page's URL) or an API URL. */
export interface GitHubInUse {
  sandbox: boolean;
  url: string;
}

export interface PageOptions {
  title: string;
  /** Shown in the header, so nobody mistakes the sandbox for GitHub or the reverse. */
  github?: GitHubInUse;
  nav?: NavItem;
  body: SafeHtml;
  viewer?: Viewer;
  /** Client scripts from /static to load (deferred). */
  scripts?: readonly string[];
}

const NAV: { item: NavItem; href: string; text: string }[] = [
  { item: 'jobs', href: '/', text: 'Jobs' },
  { item: 'configured-jobs', href: '/configured-jobs', text: 'Configured jobs' },
  { item: 'plugins', href: '/plugins', text: 'Plugins' },
  { item: 'command-help', href: '/command-help', text: 'Command help' },
  { item: 'pr', href: '/pr', text: 'My PRs' },
  { item: 'tide', href: '/tide', text: 'Tide' },
  { item: 'health', href: '/health', text: 'Health' },
];

function viewerHtml(viewer: Viewer | undefined): SafeHtml {
  if (viewer?.login) {
    return html`<span class="viewer">Signed in as <strong>${viewer.login}</strong></span>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf_token" value="${viewer.csrfToken ?? ''}"><button type="submit" class="link-button">Sign out</button></form>`;
  }
  return viewer?.loginUrl ? html`<a class="sign-in" href="${viewer.loginUrl}">Sign in with GitHub</a>` : html``;
}

function githubHtml(github: GitHubInUse | undefined): SafeHtml {
  if (!github) return html``;
  return github.sandbox
    ? html`<span class="github-in-use">GitHub: <a href="/sandbox">sandbox</a> (no credentials)</span>`
    : html`<span class="github-in-use">GitHub: ${github.url}</span>`;
}

export function page(options: PageOptions): SafeHtml {
  const nav = NAV.map(({ item, href, text }) => html`<a href="${href}"${item === options.nav ? html` aria-current="page"` : ''}>${text}</a>`);
  const scripts = ['common', ...(options.scripts ?? [])].map((name) => html`<script src="/static/${name}.js" defer></script>`);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Cutwater</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/status.css">${scripts}
</head><body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site"><a class="brand" href="/">Cutwater</a><nav aria-label="Main">${nav}</nav>${githubHtml(options.github)}<div class="account">${viewerHtml(options.viewer)}</div></header>
<main id="main" tabindex="-1">${options.body}</main>
</body></html>`;
}

/** A short page for a refusal or a missing thing, with the status code's meaning in words. */
export function messagePage(title: string, message: string, viewer?: Viewer, extra: SafeHtml = html``): SafeHtml {
  return page({ title, body: html`<h1>${title}</h1><p class="message">${message}</p>${extra}<p><a href="/">All jobs</a></p>`, ...(viewer ? { viewer } : {}) });
}
