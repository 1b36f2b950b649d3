import type { ProwJob } from '../../prowjob/schema';
import { renderBuildLog } from '../build-log';
import { summariseJUnit, type JUnitCase } from '../junit';
import type { RunArtifacts } from '../run-artifacts';
import { triggeredBy } from '../triggered-by';
import { jobHistoryHref, prHistoryHref } from '../links';
import {
  escapeHtml,
  formatDuration,
  isActiveState,
  jobDuration,
  link,
  safeHref,
  stateBadge,
  stateOf,
  timeElement,
} from './layout';

/**
 * A job's page (Deck's Spyglass view): what ran and why, and — first, above the fold — what
 * failed: the JUnit failures with their messages, then the build log (coloured, numbered, long
 * passing stretches folded; streamed while the job runs), then everything the run stored.
 */

export interface JobPageInput {
  job: ProwJob;
  /** The build log so far; for a running job only whole lines, so the stream continues cleanly. */
  log: string | undefined;
  /** Where the live stream starts (for a running job): the character offset and line number. */
  stream?: { url: string };
  run: RunArtifacts | undefined;
  now: number;
  csrfToken: string;
  /** Unique to this rendering of the page, so a double-submitted rerun makes one job. */
  requestId: string;
  /** The raw log (`/log?job=&id=`), when the run has a build ID. */
  rawLogHref?: string;
  artifactHref: (relativePath: string) => string;
  /** A message from a rerun or abort just done, shown once. */
  notice?: string;
}

function commitLink(base: string | undefined, sha: string | undefined, explicit?: string): string {
  if (!sha) return '';
  const href = safeHref(explicit) ?? (base ? safeHref(`${base}/commit/${sha}`) : undefined);
  return `<span class="commit">${link(href, sha.slice(0, 10))}</span>`;
}

function facts(job: ProwJob, now: number): string {
  const refs = job.spec.refs;
  const repoLink = safeHref(refs?.repo_link) ?? (refs ? `https://github.com/${refs.org}/${refs.repo}` : undefined);
  const rows: [string, string][] = [];
  if (refs) {
    rows.push(['Repository', link(repoLink, `${refs.org}/${refs.repo}`)]);
    if (refs.base_ref) rows.push(['Base', `${escapeHtml(refs.base_ref)} ${commitLink(repoLink, refs.base_sha, refs.base_link)}`]);
    for (const pull of refs.pulls ?? []) {
      const prHref = safeHref(pull.link) ?? (repoLink ? `${repoLink}/pull/${pull.number}` : undefined);
      rows.push(['Pull request', `${link(prHref, `#${pull.number}${pull.title ? ` ${pull.title}` : ''}`)} · <a href="${escapeHtml(prHistoryHref(refs.org, refs.repo, pull.number))}">PR history</a>`]);
      if (pull.sha) rows.push(['Head commit', commitLink(repoLink, pull.sha, pull.commit_link)]);
      if (pull.author) rows.push(['Author', link(safeHref(pull.author_link) ?? `https://github.com/${encodeURIComponent(pull.author)}`, pull.author)]);
    }
  }
  for (const extra of job.spec.extra_refs ?? []) rows.push(['Also checks out', escapeHtml(`${extra.org}/${extra.repo}${extra.base_ref ? ` ${extra.base_ref}` : ''}`)]);
  rows.push(['Triggered by', escapeHtml(triggeredBy(job))]);
  rows.push(['Type', escapeHtml(job.spec.type)]);
  if (job.status?.build_id) rows.push(['Build ID', escapeHtml(job.status.build_id)]);
  if (job.spec.cluster) rows.push(['Cluster', escapeHtml(job.spec.cluster)]);
  if (job.status?.pod_name) rows.push(['Pod', escapeHtml(job.status.pod_name)]);
  rows.push(['Created', timeElement(job.status?.startTime)]);
  const started = Date.parse(job.status?.startTime ?? '');
  const pending = Date.parse(job.status?.pendingTime ?? '');
  if (!Number.isNaN(pending)) {
    rows.push(['Started running', `${timeElement(job.status?.pendingTime)}${Number.isNaN(started) ? '' : ` <span class="muted">(queued ${formatDuration(pending - started)})</span>`}`]);
  }
  if (job.status?.completionTime) rows.push(['Finished', timeElement(job.status.completionTime)]);
  rows.push(['Duration', jobDuration(job, now) || '—']);
  if (job.status?.description) rows.push(['Description', escapeHtml(job.status.description)]);
  rows.push(['ProwJob', `<span class="commit">${escapeHtml(job.metadata.name ?? '')}</span> · <a href="/api/prowjobs/${encodeURIComponent(job.metadata.name ?? '')}">JSON</a>`]);
  return `<dl class="facts">${rows.map(([label, value]) => `<dt>${label}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function actions(input: JobPageInput): string {
  const job = input.job;
  const name = encodeURIComponent(job.metadata.name ?? '');
  const token = `<input type="hidden" name="csrf_token" value="${escapeHtml(input.csrfToken)}">`;
  const requestId = `<input type="hidden" name="request_id" value="${escapeHtml(input.requestId)}">`;
  const buttons = [
    `<form method="post" action="/rerun?prowjob=${name}" class="inline">${token}${requestId}<button type="submit" class="secondary">Rerun</button></form>`,
    isActiveState(stateOf(job)) ? `<form method="post" action="/abort?prowjob=${name}" class="inline">${token}<button type="submit" class="danger">Abort</button></form>` : '',
    input.rawLogHref ? `<a href="${escapeHtml(input.rawLogHref)}">Raw log</a>` : '',
    `<a href="${escapeHtml(jobHistoryHref(job.spec.job))}">Job history</a>`,
  ];
  return `<div class="toolbar">${buttons.join('')}</div>`;
}

function caseTitle(testCase: JUnitCase): string {
  return testCase.classname && !testCase.name.startsWith(testCase.classname) ? `${testCase.classname} › ${testCase.name}` : testCase.name;
}

function seconds(value: number | undefined): string {
  return value === undefined ? '' : formatDuration(value * 1000);
}

function testResults(run: RunArtifacts | undefined): { failures: string; all: string } {
  if (!run || (run.junit.length === 0 && run.junitErrors.length === 0)) return { failures: '', all: '' };
  const summary = summariseJUnit(run.junit);
  const counts = `<p class="summary-counts">${summary.tests} tests, ${summary.failed} failed, ${summary.skipped} skipped${summary.durationSeconds ? ` · ${seconds(summary.durationSeconds)}` : ''}</p>`;
  const problems = run.junitErrors.map((problem) => `<p class="muted">Could not read ${escapeHtml(problem.path)}: ${escapeHtml(problem.message)}</p>`).join('');
  const failures =
    summary.failures.length > 0
      ? `<section class="failures" aria-labelledby="failed-tests"><h2 id="failed-tests">Failed tests</h2>${counts}${summary.failures
          .map(
            (failure) => `<div class="failure-case"><h3>✖ ${escapeHtml(caseTitle(failure))} <span class="muted">${escapeHtml(seconds(failure.durationSeconds))}</span></h3>
${failure.message ? `<p class="failure-message">${escapeHtml(failure.message)}</p>` : ''}${failure.output ? `<details${summary.failures.length <= 3 ? ' open' : ''}><summary>Output</summary><pre class="output">${escapeHtml(failure.output)}</pre></details>` : ''}
<p class="muted">${escapeHtml(failure.suite)} · ${escapeHtml(failure.file)}</p></div>`,
          )
          .join('')}${problems}</section>`
      : '';
  const rows = summary.all
    .map(
      (testCase) =>
        `<tr><td class="state state-${testCase.status === 'passed' ? 'success' : testCase.status === 'failed' ? 'failure' : 'aborted'}">${testCase.status === 'passed' ? '✔ passed' : testCase.status === 'failed' ? '✖ failed' : '⊘ skipped'}</td><td>${escapeHtml(caseTitle(testCase))}</td><td>${escapeHtml(seconds(testCase.durationSeconds))}</td></tr>`,
    )
    .join('');
  const all = `<h2 id="test-results">Test results</h2>${failures ? '' : counts + problems}<details><summary>All ${summary.tests} tests</summary><div class="table-wrap"><table aria-labelledby="test-results"><thead><tr><th scope="col">Result</th><th scope="col">Test</th><th scope="col">Duration</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
  return { failures, all };
}

function artifactsSection(input: JobPageInput): string {
  const run = input.run;
  if (!run) return '';
  const files = run.files
    .map((file) => `<li><a href="${escapeHtml(input.artifactHref(file.path))}">${escapeHtml(file.path)}</a> <span class="muted">${formatBytes(file.size)}</span></li>`)
    .join('');
  const metadata = (label: string, value: unknown) =>
    value === undefined ? '' : `<details><summary>${label}</summary><pre class="output">${escapeHtml(JSON.stringify(value, null, 2))}</pre></details>`;
  const problems = run.metadataErrors.map((problem) => `<p class="muted">Could not read ${escapeHtml(problem.path)}: ${escapeHtml(problem.message)}</p>`).join('');
  return `<h2 id="artifacts">Artifacts</h2>${files ? `<ul>${files}</ul>` : '<p class="muted">No artifacts stored yet.</p>'}${metadata('started.json', run.started)}${metadata('finished.json', run.finished)}${problems}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function jobPageBody(input: JobPageInput): string {
  const job = input.job;
  const state = stateOf(job);
  const results = testResults(input.run);
  const streaming = input.stream !== undefined;
  const logHtml =
    input.log === undefined || input.log === ''
      ? streaming
        ? ''
        : '<p class="muted" id="no-log">No log stored for this job.</p>'
      : renderBuildLog(input.log, input.rawLogHref ? { rawUrl: input.rawLogHref } : {});
  return `${input.notice ? `<p class="notice" role="status">${escapeHtml(input.notice)}</p>` : ''}
<h1>${escapeHtml(job.spec.job)}</h1>
<p>${stateBadge(state).replace('<span class="state', '<span id="job-state" class="state')} ${job.status?.description ? `<span class="muted">${escapeHtml(job.status.description)}</span>` : ''}</p>
${actions(input)}
${results.failures}
${facts(job, input.now)}
<h2 id="build-log-heading">Build log <span id="live-status" class="live" role="status" aria-live="polite"></span></h2>
${streaming && !input.log ? '<p class="muted" id="no-log">Waiting for output…</p>' : ''}
<div id="build-log" class="log" role="log" aria-labelledby="build-log-heading"${streaming ? ` data-stream="${escapeHtml(input.stream?.url ?? '')}"` : ''}>${logHtml}</div>
${results.all}
${artifactsSection(input)}`;
}
