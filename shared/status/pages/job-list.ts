import type { ProwJob } from '../../prowjob/schema';
import { ProwJobStateSchema, ProwJobTypeSchema } from '../../prowjob/schema';
import { listHref, SCAN_BUDGET, type JobListRequest, type JobListResult } from '../job-search';
import { jobPageHref, prHistoryHref } from '../links';
import { escapeHtml, jobDuration, stateOf, stateText, timeElement } from './layout';

/**
 * Deck's job list (`/`): filters in a GET form (so they live in the URL and survive reloads and
 * links), the table of runs newest first, and cursor paging. The table body is also served alone
 * (`?fragment=rows`) for the auto-refresh script.
 */

export interface JobListInput {
  request: JobListRequest;
  result: JobListResult;
  now: number;
  /** Suggestions for the repository and job fields. */
  knownRepos: readonly string[];
  knownJobs: readonly string[];
}

export function jobRows(jobs: readonly ProwJob[], now: number): string {
  if (jobs.length === 0) return '<tr><td colspan="7">No jobs match.</td></tr>';
  return jobs.map((job) => jobRow(job, now)).join('\n');
}

function jobRow(job: ProwJob, now: number): string {
  const state = stateOf(job);
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const where = refs
    ? pull
      ? `<a href="${escapeHtml(prHistoryHref(refs.org, refs.repo, pull.number))}">${escapeHtml(`${refs.org}/${refs.repo}#${pull.number}`)}</a>`
      : escapeHtml(`${refs.org}/${refs.repo}${refs.base_ref ? ` ${refs.base_ref}` : ''}`)
    : '';
  const description = job.status?.description ? ` title="${escapeHtml(job.status.description)}"` : '';
  return `<tr><td class="state state-${state}"${description}>${stateText(state)}</td><td><a href="${escapeHtml(jobPageHref(job.metadata.name ?? ''))}">${escapeHtml(job.spec.job)}</a></td><td class="hide-narrow">${escapeHtml(job.spec.type)}</td><td>${where}</td><td class="hide-narrow">${escapeHtml(pull?.author ?? '')}</td><td class="hide-narrow">${timeElement(job.status?.startTime)}</td><td>${jobDuration(job, now)}</td></tr>`;
}

function textField(label: string, name: keyof JobListRequest, value: string | number | undefined, extra = ''): string {
  return `<label>${label}<input type="text" name="${name}" value="${escapeHtml(value === undefined ? '' : String(value))}"${extra}></label>`;
}

function selectField(label: string, name: keyof JobListRequest, options: readonly string[], value: string | undefined, anyText: string): string {
  const choices = [`<option value="">${anyText}</option>`, ...options.map((option) => `<option${option === value ? ' selected' : ''}>${escapeHtml(option)}</option>`)];
  return `<label>${label}<select name="${name}">${choices.join('')}</select></label>`;
}

function datalist(id: string, values: readonly string[]): string {
  return `<datalist id="${id}">${values.slice(0, 500).map((value) => `<option value="${escapeHtml(value)}">`).join('')}</datalist>`;
}

export function jobListBody(input: JobListInput): string {
  const { request, result } = input;
  const form = `<form class="filters" role="search" aria-label="Filter jobs" method="get" action="/">
${textField('Repository', 'repo', request.repo, ' list="known-repos" placeholder="org/repo" autocomplete="off"')}
${textField('Job', 'job', request.job, ' list="known-jobs" autocomplete="off"')}
${selectField('Type', 'type', ProwJobTypeSchema.options, request.type, 'any')}
${selectField('State', 'state', ProwJobStateSchema.options, request.state, 'any')}
${textField('Author', 'author', request.author, ' autocomplete="off"')}
${textField('Pull request', 'pull', request.pull, ' inputmode="numeric" pattern="[0-9]*" size="6"')}
<label>Search<input type="search" name="text" value="${escapeHtml(request.text ?? '')}" placeholder="words in name, repo, author…"></label>
<button type="submit" class="primary">Filter</button> <a href="/">Clear</a>
${datalist('known-repos', input.knownRepos)}${datalist('known-jobs', input.knownJobs)}
</form>`;
  const firstPage = request.cursor === undefined;
  const scanNote = request.text
    ? `<p class="muted" role="status">${result.budgetExhausted ? `Searched ${result.scanned.toLocaleString('en')} jobs without filling the page; the next page searches on.` : `Searched ${result.scanned.toLocaleString('en')} jobs.`} Text search reads up to ${SCAN_BUDGET.toLocaleString('en')} jobs per page; the other filters are indexed.</p>`
    : '';
  const toolbar = `<div class="toolbar"><label><input type="checkbox" id="auto-refresh" data-first-page="${firstPage}"${firstPage ? ' checked' : ''}> Auto-refresh</label><span id="refreshed-at" class="muted" aria-live="polite"></span><a href="/prowjobs.js${escapeHtml(listHref(request, {}).slice(1))}">prowjobs.js</a></div>`;
  const pager = [
    firstPage ? '' : `<a href="${escapeHtml(listHref(request, { cursor: undefined }))}">Newest</a>`,
    result.nextCursor ? `<a rel="next" href="${escapeHtml(listHref(request, { cursor: result.nextCursor }))}">Next page</a>` : '',
  ].join('');
  return `<h1>Jobs</h1>
${form}
${toolbar}
${scanNote}
<div class="table-wrap"><table aria-label="Jobs"><thead><tr><th scope="col">State</th><th scope="col">Job</th><th scope="col" class="hide-narrow">Type</th><th scope="col">Repository</th><th scope="col" class="hide-narrow">Author</th><th scope="col" class="hide-narrow">Started</th><th scope="col">Duration</th></tr></thead>
<tbody id="job-rows">
${jobRows(result.jobs.map((stored) => stored.job), input.now)}
</tbody></table></div>
<nav class="pager" aria-label="Pages">${pager}</nav>`;
}
