import type { ProwJob, ProwJobState } from '../../prowjob/schema';
import { ProwJobStateSchema, ProwJobTypeSchema } from '../../prowjob/schema';
import { InvalidQueryError } from '../../store/errors';
import { configIndex } from '../config-index';
import { listHref, parseJobListRequest, SCAN_BUDGET, searchJobs, type JobListRequest, type JobListResult } from '../job-search';
import { jobPageHref, prHistoryHref } from '../links';
import { badRequest, sendPage, type StatusRequest } from '../status-request';
import { sendHtml } from '../respond';
import { repoVisibility } from '../visibility';
import { html, joinHtml, type SafeHtml } from '../html';
import { jobDuration, stateOf, stateText, timeElement } from './layout';

/**
 * Deck's job list (`/`): filters in a GET form (so they live in the URL and survive reloads and
 * links), the table of runs newest first, and cursor paging. The table body is also served alone
 * (`?fragment=rows`) for the auto-refresh script.
 */

/** `GET /`. */
export async function serveJobList(page: StatusRequest): Promise<void> {
  let listRequest;
  try {
    listRequest = parseJobListRequest(page.url.searchParams);
  } catch (error) {
    return badRequest(page, `Check the filters: ${(error as Error).message}`);
  }
  let result;
  try {
    result = await searchJobs(page.deps.store, listRequest, page.visible);
  } catch (error) {
    if (error instanceof InvalidQueryError) return badRequest(page, error.message);
    throw error;
  }
  if (page.url.searchParams.get('fragment') === 'rows') {
    return sendHtml(page.response, 200, jobRows(result.jobs.map((stored) => stored.job), page.now));
  }
  const { repos, shownJobNames, shownClusters } = configIndex(page.config);
  const body = jobListBody({ request: listRequest, result, now: page.now, knownRepos: repos.filter(repoVisibility(page.config)), knownJobs: shownJobNames, knownClusters: shownClusters });
  sendPage(page, 'Jobs', body, 'jobs', ['job-list']);
}

export interface JobListInput {
  request: JobListRequest;
  result: JobListResult;
  now: number;
  /** Choices from the config: suggestions for the repository and job fields, the cluster picker. */
  knownRepos: readonly string[];
  knownJobs: readonly string[];
  knownClusters?: readonly string[];
}

/** "just now", "5 min ago", "3 h ago", "2 days ago": how long before `now` a moment was. */
export function relativeTime(ms: number, now: number): string {
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/**
 * A timestamp with how long ago it was: the script shows the moment in the reader's zone (zone
 * named) and keeps the "ago" current; the server's text is UTC, so it is right without the script.
 */
export function agoTimeElement(iso: string | undefined, now: number): SafeHtml {
  if (!iso) return html``;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return html`${iso}`;
  return html`${timeElement(iso)} <span class="ago muted" data-ago="${new Date(ms).toISOString()}">${relativeTime(ms, now)}</span>`;
}

export function jobRows(jobs: readonly ProwJob[], now: number): SafeHtml {
  if (jobs.length === 0) return html`<tr><td colspan="8">No jobs match.</td></tr>`;
  return joinHtml(jobs.map((job) => jobRow(job, now)), html`\n`);
}

function jobRow(job: ProwJob, now: number): SafeHtml {
  const state = stateOf(job);
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const where = refs
    ? pull
      ? html`<a href="${prHistoryHref(refs.org, refs.repo, pull.number)}">${`${refs.org}/${refs.repo}#${pull.number}`}</a>`
      : `${refs.org}/${refs.repo}${refs.base_ref ? ` ${refs.base_ref}` : ''}`
    : '';
  const description = job.status?.description ? html` title="${job.status.description}"` : '';
  return html`<tr><td class="state state-${state}"${description}>${stateText(state)}</td><td><a href="${jobPageHref(job.metadata.name ?? '')}">${job.spec.job}</a></td><td class="hide-narrow">${job.spec.type}</td><td>${where}</td><td class="hide-narrow">${pull?.author ?? ''}</td><td class="hide-narrow">${job.spec.cluster ?? ''}</td><td class="hide-narrow started">${agoTimeElement(job.status?.startTime, now)}</td><td>${jobDuration(job, now) || html`<span class="muted">not started</span>`}</td></tr>`;
}

/**
 * Counts per state over the listed jobs, as bars: the state's icon and word and the count are text,
 * so the bars (scaled to the largest count) only repeat what is written beside them.
 */
export function resultsHistogram(jobs: readonly ProwJob[]): SafeHtml {
  if (jobs.length === 0) return html``;
  const counts = new Map<ProwJobState, number>();
  for (const job of jobs) counts.set(stateOf(job), (counts.get(stateOf(job)) ?? 0) + 1);
  const largest = Math.max(...counts.values());
  const bars = ProwJobStateSchema.options
    .filter((state) => counts.has(state))
    .map((state) => {
      const count = counts.get(state) ?? 0;
      const width = `width:${((count / largest) * 100).toFixed(1)}%`;
      return html`<li><span class="state state-${state}">${stateText(state)}</span><span class="track state-${state}" aria-hidden="true"><span class="bar" style="${width}"></span></span><span class="count">${count}</span></li>`;
    });
  const listed = `${jobs.length} ${jobs.length === 1 ? 'job' : 'jobs'}`;
  return html`<figure class="results"><figcaption class="muted">Results of the ${listed} listed</figcaption><ul class="histogram" aria-label="Results of the ${listed} listed">${bars}</ul></figure>`;
}

function textField(label: string, name: keyof JobListRequest, value: string | number | undefined, extra: SafeHtml = html``): SafeHtml {
  return html`<label>${label}<input type="text" name="${name}" value="${value}"${extra}></label>`;
}

function selectField(label: string, name: keyof JobListRequest, options: readonly string[], value: string | undefined, anyText: string): SafeHtml {
  // A value from the URL that the config no longer offers stays chosen, so the form shows the filter in force.
  const offered = value && !options.includes(value) ? [...options, value] : options;
  const choices = [html`<option value="">${anyText}</option>`, ...offered.map((option) => html`<option${option === value ? html` selected` : ''}>${option}</option>`)];
  return html`<label>${label}<select name="${name}">${choices}</select></label>`;
}

function datalist(id: string, values: readonly string[]): SafeHtml {
  return html`<datalist id="${id}">${values.slice(0, 500).map((value) => html`<option value="${value}">`)}</datalist>`;
}

/** Sized to the field (`size`), so the hint is never cut off. */
const SEARCH_PLACEHOLDER = 'words in name, repo, author…';

export function jobListBody(input: JobListInput): SafeHtml {
  const { request, result } = input;
  const form = html`<form class="filters" role="search" aria-label="Filter jobs" method="get" action="/">
${textField('Repository', 'repo', request.repo, html` list="known-repos" placeholder="org/repo" autocomplete="off"`)}
${textField('Job', 'job', request.job, html` list="known-jobs" autocomplete="off"`)}
${selectField('Type', 'type', ProwJobTypeSchema.options, request.type, 'any')}
${selectField('State', 'state', ProwJobStateSchema.options, request.state, 'any')}
${(input.knownClusters ?? []).length > 0 || request.cluster ? selectField('Cluster', 'cluster', input.knownClusters ?? [], request.cluster, 'any') : ''}
${textField('Author', 'author', request.author, html` autocomplete="off"`)}
${textField('Pull request', 'pull', request.pull, html` inputmode="numeric" pattern="[0-9]*" size="6"`)}
<label>Search<input type="search" name="text" value="${request.text ?? ''}" placeholder="${SEARCH_PLACEHOLDER}" size="${SEARCH_PLACEHOLDER.length + 4}"></label>
<button type="submit" class="primary">Filter</button> <a href="/">Clear</a>
${datalist('known-repos', input.knownRepos)}${datalist('known-jobs', input.knownJobs)}
</form>`;
  const firstPage = request.cursor === undefined;
  const scanNote = request.text
    ? html`<p class="muted" role="status">${result.budgetExhausted ? `Searched ${result.scanned.toLocaleString('en')} jobs without filling the page; the next page searches on.` : `Searched ${result.scanned.toLocaleString('en')} jobs.`} Text search reads up to ${SCAN_BUDGET.toLocaleString('en')} jobs per page; the other filters are indexed.</p>`
    : '';
  const toolbar = html`<div class="toolbar"><label><input type="checkbox" id="auto-refresh" data-first-page="${firstPage}"${firstPage ? html` checked` : ''}> Auto-refresh</label><span id="refreshed-at" class="muted" aria-live="polite"></span><a href="/prowjobs.js${listHref(request, {}).slice(1)}">prowjobs.js</a></div>`;
  const pager = [
    firstPage ? '' : html`<a href="${listHref(request, { cursor: undefined })}">Newest</a>`,
    result.nextCursor ? html`<a rel="next" href="${listHref(request, { cursor: result.nextCursor })}">Next page</a>` : '',
  ];
  return html`<h1>Jobs</h1>
${form}
${toolbar}
${scanNote}
${resultsHistogram(result.jobs.map((stored) => stored.job))}
<div class="table-wrap"><table aria-label="Jobs"><thead><tr><th scope="col">State</th><th scope="col">Job</th><th scope="col" class="hide-narrow">Type</th><th scope="col">Repository</th><th scope="col" class="hide-narrow">Author</th><th scope="col" class="hide-narrow">Cluster</th><th scope="col" class="hide-narrow">Started</th><th scope="col">Duration</th></tr></thead>
<tbody id="job-rows">
${jobRows(result.jobs.map((stored) => stored.job), input.now)}
</tbody></table></div>
<nav class="pager" aria-label="Pages">${pager}</nav>`;
}
