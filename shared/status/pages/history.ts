import type { ProwJob } from '../../prowjob/schema';
import { jobPageHref } from '../links';
import {
  escapeHtml,
  formatDuration,
  jobDuration,
  jobDurationMs,
  link,
  safeHref,
  stateOf,
  stateText,
  timeElement,
} from './layout';

/**
 * Deck's two history pages: one pull request's jobs grouped by the commit they tested
 * (`/pr-history`), and one job's runs with a chart of results and durations (`/job-history`).
 */

function runRow(job: ProwJob, now: number, withJobName: boolean): string {
  const state = stateOf(job);
  const name = `<a href="${escapeHtml(jobPageHref(job.metadata.name ?? ''))}">${escapeHtml(withJobName ? job.spec.job : (job.status?.build_id ?? job.metadata.name ?? ''))}</a>`;
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const what = withJobName ? '' : `<td>${escapeHtml(refs ? `${refs.org}/${refs.repo}${pull ? `#${pull.number}` : refs.base_ref ? ` ${refs.base_ref}` : ''}` : '')}</td>`;
  return `<tr><td class="state state-${state}">${stateText(state)}</td><td>${name}</td>${what}<td class="hide-narrow">${timeElement(job.status?.startTime)}</td><td>${jobDuration(job, now)}</td></tr>`;
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

export function prHistoryBody(input: PrHistoryInput): string {
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
    return `<section class="group" aria-labelledby="commit-${index}"><h2 id="commit-${index}">Commit <span class="commit">${link(commit, sha.slice(0, 10))}</span>${index === 0 ? ' <span class="muted">(latest)</span>' : ''}</h2>
<p class="muted">${passing} of ${latest.size} jobs passing${jobs[0]?.spec.refs?.pulls?.[0]?.author ? ` · by ${escapeHtml(jobs[0].spec.refs.pulls[0].author ?? '')}` : ''}</p>
<div class="table-wrap"><table aria-labelledby="commit-${index}"><thead><tr><th scope="col">State</th><th scope="col">Job</th><th scope="col" class="hide-narrow">Started</th><th scope="col">Duration</th></tr></thead><tbody>
${[...latest.values()].map((job) => runRow(job, input.now, true)).join('\n')}
</tbody></table></div>${older.length > 0 ? `<details><summary>${older.length} earlier run${older.length === 1 ? '' : 's'} on this commit</summary><div class="table-wrap"><table aria-label="Earlier runs"><tbody>${older.map((job) => runRow(job, input.now, true)).join('\n')}</tbody></table></div></details>` : ''}</section>`;
  });
  return `<h1>${escapeHtml(`${input.org}/${input.repo}`)} #${input.pull}</h1>
<p>${link(prHref, 'Pull request on GitHub')}${pullInfo?.title ? ` · ${escapeHtml(pullInfo.title)}` : ''} · <a href="/?${escapeHtml(new URLSearchParams({ repo: `${input.org}/${input.repo}`, pull: String(input.pull) }).toString())}">as a job list</a></p>
${input.truncated ? '<p class="muted">Showing the newest runs only.</p>' : ''}
${sections.length > 0 ? sections.join('\n') : '<p>No jobs have run for this pull request.</p>'}`;
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
export function historyChart(runs: readonly ProwJob[], now: number): string {
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
      return `<a href="${escapeHtml(jobPageHref(job.metadata.name ?? ''))}"><rect class="bar-${state}" x="${x}" y="${CHART_HEIGHT - height}" width="${BAR_WIDTH}" height="${height}"><title>${escapeHtml(`${job.status?.build_id ?? ''} ${state} ${jobDuration(job, now)}`)}</title></rect>${state === 'success' ? '' : `<text x="${x + BAR_WIDTH / 2}" y="${CHART_HEIGHT - height - 2}" font-size="9" text-anchor="middle" aria-hidden="true">${state === 'failure' || state === 'error' ? '✖' : '·'}</text>`}</a>`;
    })
    .join('');
  return `<svg class="chart" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${width} ${CHART_HEIGHT}" width="${width}" height="${CHART_HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(label)}</title>${bars}</svg>`;
}

export function jobHistoryBody(input: JobHistoryInput): string {
  const finished = input.runs.filter((job) => ['success', 'failure', 'error'].includes(stateOf(job)));
  const passed = finished.filter((job) => stateOf(job) === 'success').length;
  const durations = finished.map((job) => jobDurationMs(job, input.now) ?? 0).sort((a, b) => a - b);
  const median = durations.length > 0 ? formatDuration(durations[Math.floor(durations.length / 2)] ?? 0) : '—';
  const pager = [
    input.newestHref ? `<a href="${escapeHtml(input.newestHref)}">Newest</a>` : '',
    input.olderHref ? `<a rel="next" href="${escapeHtml(input.olderHref)}">Older runs</a>` : '',
  ].join('');
  return `<h1>${escapeHtml(input.job)}</h1>
<p class="summary-counts">${finished.length > 0 ? `${Math.round((passed / finished.length) * 100)}% passed (${passed} of ${finished.length} finished runs on this page) · median ${median}` : 'No finished runs on this page.'} · <a href="/?job=${encodeURIComponent(input.job)}">as a job list</a></p>
${input.runs.length > 0 ? historyChart(input.runs, input.now) : ''}
<div class="table-wrap"><table aria-label="Runs"><thead><tr><th scope="col">State</th><th scope="col">Build</th><th scope="col">Repository</th><th scope="col" class="hide-narrow">Started</th><th scope="col">Duration</th></tr></thead><tbody>
${input.runs.length > 0 ? input.runs.map((job) => runRow(job, input.now, false)).join('\n') : '<tr><td colspan="5">No runs of this job are stored.</td></tr>'}
</tbody></table></div>
<nav class="pager" aria-label="Pages">${pager}</nav>`;
}
