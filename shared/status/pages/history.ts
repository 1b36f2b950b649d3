import type { ProwJob } from '../../prowjob/schema';
import { InvalidQueryError } from '../../store/errors';
import { configIndex } from '../config-index';
import { jobPageHref } from '../links';
import { badRequest, notFound, sendPage, type StatusRequest } from '../status-request';
import { repoVisibility } from '../visibility';
import { html, joinHtml, type SafeHtml } from '../html';
import {
  formatDuration,
  jobDuration,
  jobDurationMs,
  link,
  safeHref,
  stateBadge,
  stateOf,
  stateText,
  timeElement,
} from './layout';

/**
 * Deck's two history pages: one pull request's jobs grouped by the commit they tested
 * (`/pr-history`), and one job's runs with a chart of results and durations (`/job-history`).
 */

/** Runs read for one pull request's page. */
const PR_RUNS_LIMIT = 500;
/** Runs per page of a job's history. */
const HISTORY_PAGE_SIZE = 100;

/** `GET /pr-history?org=&repo=&pr=`. */
export async function servePrHistory(page: StatusRequest): Promise<void> {
  const search = page.url.searchParams;
  const org = search.get('org') ?? '';
  const repo = search.get('repo') ?? '';
  const pull = Number(search.get('pr'));
  if (!/^[^/\s]+$/.test(org) || !/^[^/\s]+$/.test(repo) || !Number.isSafeInteger(pull) || pull <= 0) {
    return badRequest(page, 'Give the pull request as /pr-history?org=<org>&repo=<repo>&pr=<number>.');
  }
  if (!repoVisibility(page.config)(`${org}/${repo}`)) return notFound(page, `No jobs for ${org}/${repo}#${pull}.`);
  const found = await page.deps.store.jobs.list({ repo: `${org}/${repo}`, pull }, { limit: PR_RUNS_LIMIT });
  const jobs = found.jobs.map((stored) => stored.job).filter(page.visible);
  const body = prHistoryBody({ org, repo, pull, jobs, now: page.now, truncated: found.nextCursor !== undefined });
  sendPage(page, `${org}/${repo}#${pull}`, body, 'pr');
}

/**
 * `GET /job-history/<job>`, and Prow's `/job-history/gs/<bucket>/logs/<job>`: the job is the last
 * segment. Read from the path as sent, so a `%2F` in a job name stays part of the name.
 */
export function jobNameFromHistoryPath(pathname: string): string {
  const segments = pathname.slice('/job-history/'.length).split('/').filter(Boolean).map(decodeURIComponent);
  return segments.at(-1) ?? '';
}

export async function serveJobHistory(page: StatusRequest): Promise<void> {
  const job = jobNameFromHistoryPath(page.url.pathname);
  const cursor = page.url.searchParams.get('cursor') ?? undefined;
  let found;
  try {
    found = await page.deps.store.jobs.list({ job }, { limit: HISTORY_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
  } catch (error) {
    if (error instanceof InvalidQueryError) return badRequest(page, error.message);
    throw error;
  }
  const runs = found.jobs.map((stored) => stored.job).filter(page.visible);
  if (runs.length === 0 && !cursor && !configIndex(page.config).jobNames.includes(job)) return notFound(page, `No job named ${job}.`);
  const base = `/job-history/${encodeURIComponent(job)}`;
  const body = jobHistoryBody({
    job,
    runs,
    now: page.now,
    ...(found.nextCursor ? { olderHref: `${base}?cursor=${encodeURIComponent(found.nextCursor)}` } : {}),
    ...(cursor ? { newestHref: base } : {}),
  });
  sendPage(page, `${job} history`, body, 'history');
}

function runRow(job: ProwJob, now: number, withJobName: boolean): SafeHtml {
  const state = stateOf(job);
  const name = html`<a href="${jobPageHref(job.metadata.name ?? '')}">${withJobName ? job.spec.job : (job.status?.build_id ?? job.metadata.name ?? '')}</a>`;
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const what = withJobName ? '' : html`<td>${refs ? `${refs.org}/${refs.repo}${pull ? `#${pull.number}` : refs.base_ref ? ` ${refs.base_ref}` : ''}` : ''}</td>`;
  return html`<tr><td class="state state-${state}">${stateText(state)}</td><td>${name}</td>${what}<td class="hide-narrow">${timeElement(job.status?.startTime)}</td><td>${jobDuration(job, now)}</td></tr>`;
}

export interface PrHistoryInput {
  org: string;
  repo: string;
  pull: number;
  jobs: readonly ProwJob[];
  now: number;
  /** True when the PR has more runs than were read. */
  truncated: boolean;
}

export function prHistoryBody(input: PrHistoryInput): SafeHtml {
  const groups = new Map<string, ProwJob[]>();
  for (const job of input.jobs) {
    const sha = job.spec.refs?.pulls?.find((pull) => pull.number === input.pull)?.sha ?? 'unknown';
    groups.set(sha, [...(groups.get(sha) ?? []), job]);
  }
  const first = input.jobs[0]?.spec.refs;
  const pullInfo = first?.pulls?.find((pull) => pull.number === input.pull);
  const prHref = safeHref(pullInfo?.link) ?? `https://github.com/${input.org}/${input.repo}/pull/${input.pull}`;
  const sections = [...groups.entries()].map(([sha, jobs], index) => {
    // The newest run of each job on this commit decides its line; older runs are listed after.
    const latest = new Map<string, ProwJob>();
    for (const job of jobs) if (!latest.has(job.spec.job)) latest.set(job.spec.job, job);
    const older = jobs.filter((job) => latest.get(job.spec.job) !== job);
    const passing = [...latest.values()].filter((job) => stateOf(job) === 'success').length;
    const commit = pullInfo?.commit_link && sha === pullInfo.sha ? safeHref(pullInfo.commit_link) : `https://github.com/${input.org}/${input.repo}/commit/${sha}`;
    return html`<section class="group" aria-labelledby="commit-${index}"><h2 id="commit-${index}">Commit <span class="commit">${link(commit, sha.slice(0, 10))}</span>${index === 0 ? html` <span class="muted">(latest)</span>` : ''}</h2>
<p class="muted">${passing} of ${latest.size} jobs passing${jobs[0]?.spec.refs?.pulls?.[0]?.author ? ` · by ${jobs[0].spec.refs.pulls[0].author ?? ''}` : ''}</p>
<div class="table-wrap"><table aria-labelledby="commit-${index}"><thead><tr><th scope="col">State</th><th scope="col">Job</th><th scope="col" class="hide-narrow">Started</th><th scope="col">Duration</th></tr></thead><tbody>
${joinHtml([...latest.values()].map((job) => runRow(job, input.now, true)), html`\n`)}
</tbody></table></div>${older.length > 0 ? html`<details><summary>${older.length} earlier run${older.length === 1 ? '' : 's'} on this commit</summary><div class="table-wrap"><table aria-label="Earlier runs"><tbody>${joinHtml(older.map((job) => runRow(job, input.now, true)), html`\n`)}</tbody></table></div></details>` : ''}</section>`;
  });
  return html`<h1>${`${input.org}/${input.repo}`} #${input.pull}</h1>
<p>${link(prHref, 'Pull request on GitHub')}${pullInfo?.title ? ` · ${pullInfo.title}` : ''} · <a href="/?${new URLSearchParams({ repo: `${input.org}/${input.repo}`, pull: String(input.pull) }).toString()}">as a job list</a></p>
${input.truncated ? html`<p class="muted">Showing the newest runs only.</p>` : ''}
${sections.length > 0 ? joinHtml(sections, html`\n`) : html`<p>No jobs have run for this pull request.</p>`}`;
}

export interface JobHistoryInput {
  job: string;
  runs: readonly ProwJob[];
  now: number;
  /** The next (older) page, if any. */
  olderHref?: string;
  newestHref?: string;
}

const CHART_HEIGHT = 120;
const BAR_WIDTH = 12;
const BAR_GAP = 4;

/** Runs oldest → newest, left → right; bar height is duration, colour and pattern the result. */
export function historyChart(runs: readonly ProwJob[], now: number): SafeHtml {
  const ordered = [...runs].reverse();
  const durations = ordered.map((job) => jobDurationMs(job, now) ?? 0);
  const longest = Math.max(1, ...durations);
  const width = Math.max(200, ordered.length * (BAR_WIDTH + BAR_GAP) + BAR_GAP);
  const passed = ordered.filter((job) => stateOf(job) === 'success').length;
  const finished = ordered.filter((job) => ['success', 'failure', 'error'].includes(stateOf(job))).length;
  const label = `${ordered.length} runs, ${passed} of ${finished} finished runs passed; longest ${formatDuration(longest)}`;
  const bars = ordered
    .map((job, index) => {
      const height = Math.max(3, Math.round(((durations[index] ?? 0) / longest) * (CHART_HEIGHT - 10)));
      const state = stateOf(job);
      const x = BAR_GAP + index * (BAR_WIDTH + BAR_GAP);
      return html`<a href="${jobPageHref(job.metadata.name ?? '')}"><rect class="bar-${state}" x="${x}" y="${CHART_HEIGHT - height}" width="${BAR_WIDTH}" height="${height}"><title>${`${job.status?.build_id ?? ''} ${state} ${jobDuration(job, now)}`}</title></rect>${state === 'success' ? '' : html`<text x="${x + BAR_WIDTH / 2}" y="${CHART_HEIGHT - height - 2}" font-size="9" text-anchor="middle" aria-hidden="true">${state === 'failure' || state === 'error' ? '✖' : '·'}</text>`}</a>`;
    });
  return html`<svg class="chart" role="img" aria-label="${label}" viewBox="0 0 ${width} ${CHART_HEIGHT}" width="${width}" height="${CHART_HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>${label}</title>${bars}</svg>`;
}

/**
 * One run makes a chart of one bar: instead, what a reader wants to know about it, in words.
 * The chart comes back from the second run, when there is something to compare.
 */
export function singleRunSummary(job: ProwJob, now: number, paged = false): SafeHtml {
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const where = refs ? `${refs.org}/${refs.repo}${pull ? `#${pull.number}` : refs.base_ref ? ` ${refs.base_ref}` : ''}` : '';
  const duration = jobDuration(job, now);
  const facts = [
    html`<dt>Result</dt><dd>${stateBadge(stateOf(job))}</dd>`,
    html`<dt>Build</dt><dd><a href="${jobPageHref(job.metadata.name ?? '')}">${job.status?.build_id ?? job.metadata.name ?? ''}</a></dd>`,
    where ? html`<dt>Repository</dt><dd>${where}</dd>` : '',
    html`<dt>Started</dt><dd>${job.status?.startTime ? timeElement(job.status.startTime) : html`<span class="muted">not started</span>`}</dd>`,
    duration ? html`<dt>Duration</dt><dd>${duration}</dd>` : '',
    job.status?.description ? html`<dt>Description</dt><dd>${job.status.description}</dd>` : '',
  ];
  return html`<section class="single-run" aria-labelledby="single-run-title"><h2 id="single-run-title">${paged ? 'The only run on this page' : 'The only run stored'}</h2>
<dl class="facts">${facts}</dl>
<p class="muted">A chart of results and durations appears once the job has run twice.</p></section>`;
}

export function jobHistoryBody(input: JobHistoryInput): SafeHtml {
  const finished = input.runs.filter((job) => ['success', 'failure', 'error'].includes(stateOf(job)));
  const passed = finished.filter((job) => stateOf(job) === 'success').length;
  const durations = finished.map((job) => jobDurationMs(job, input.now) ?? 0).sort((a, b) => a - b);
  const median = durations.length > 0 ? formatDuration(durations[Math.floor(durations.length / 2)] ?? 0) : '—';
  const pager = [
    input.newestHref ? html`<a href="${input.newestHref}">Newest</a>` : '',
    input.olderHref ? html`<a rel="next" href="${input.olderHref}">Older runs</a>` : '',
  ];
  return html`<h1>${input.job}</h1>
<p class="summary-counts">${finished.length > 0 ? `${Math.round((passed / finished.length) * 100)}% passed (${passed} of ${finished.length} finished runs on this page) · median ${median}` : 'No finished runs on this page.'} · <a href="/?job=${encodeURIComponent(input.job)}">as a job list</a></p>
${input.runs.length >= 2 ? historyChart(input.runs, input.now) : input.runs[0] ? singleRunSummary(input.runs[0], input.now, input.olderHref !== undefined || input.newestHref !== undefined) : ''}
<div class="table-wrap"><table aria-label="Runs"><thead><tr><th scope="col">State</th><th scope="col">Build</th><th scope="col">Repository</th><th scope="col" class="hide-narrow">Started</th><th scope="col">Duration</th></tr></thead><tbody>
${input.runs.length > 0 ? joinHtml(input.runs.map((job) => runRow(job, input.now, false)), html`\n`) : html`<tr><td colspan="5">No runs of this job are stored.</td></tr>`}
</tbody></table></div>
<nav class="pager" aria-label="Pages">${pager}</nav>`;
}
