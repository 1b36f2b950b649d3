import { randomUUID } from 'node:crypto';
import type { ProwJob } from '../../prowjob/schema';
import { renderBuildLog } from '../build-log';
import { summariseJUnit, type JUnitCase } from '../junit';
import { buildLogOf, readLogFrom } from '../job-log';
import { streamPosition } from '../log-stream';
import { notFound, sendPage, type StatusRequest } from '../status-request';
import { runArtifactsForPage, type RunArtifacts } from '../run-artifacts';
import { triggeredBy } from '../triggered-by';
import { renderLenses } from '../lenses';
import { jobHistoryHref, jobPageHref, prHistoryHref } from '../links';
import { isActiveState } from '../../prowjob/lifecycle';
import { html, type SafeHtml } from '../html';
import {
  formatDuration,
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

/** `GET /view/<ProwJob name>`. */
export async function serveJobPage(page: StatusRequest, name: string): Promise<void> {
  const { deps } = page;
  const stored = await deps.store.jobs.get(name);
  if (!stored || !page.visible(stored.job)) return notFound(page, `No ProwJob named ${name}.`);
  const job = stored.job;
  const run = await runArtifactsForPage(deps.artifacts, deps.log, job);
  let log: string | undefined;
  let stream: { url: string } | undefined;
  if (isActiveState(stateOf(job))) {
    // Whole lines only: the live stream carries on from the next one.
    const bytes = await readLogFrom(deps, job, 0).catch(() => undefined);
    const position = streamPosition(bytes?.toString('utf8') ?? '');
    log = position.shown;
    stream = { url: `${jobPageHref(name)}/stream?from=${position.offset}:${position.line}` };
  } else {
    log = await buildLogOf(deps, job);
  }
  const buildId = job.status?.build_id;
  const unserved = stateOf(job) === 'triggered' ? deps.unservedNotice?.(job.spec.cluster ?? 'default') : undefined;
  const artifactHref = (relative: string) => `${jobPageHref(name)}/artifacts/${relative.split('/').map(encodeURIComponent).join('/')}`;
  const lenses = run
    ? await renderLenses({ artifacts: deps.artifacts, job, run, spyglass: page.config.prow.deck?.spyglass, artifactHref, now: page.now })
    : undefined;
  const body = jobPageBody({
    job,
    log,
    run,
    now: page.now,
    csrfToken: page.viewer().csrfToken ?? '',
    requestId: randomUUID(),
    ...(lenses ? { lenses } : {}),
    ...(stream ? { stream } : {}),
    ...(unserved ? { unserved } : {}),
    ...(buildId ? { rawLogHref: `/log?${new URLSearchParams({ job: job.spec.job, id: buildId }).toString()}` } : {}),
  });
  sendPage(page, `${job.spec.job} ${stateOf(job)}`, body, undefined, ['job-page']);
}

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
  /** Why the job will not start here (local mode, a cluster no runner serves). */
  unserved?: string;
  /** The Spyglass lenses chosen for the run's files (shared/status/lenses), already rendered. */
  lenses?: SafeHtml;
  /** A message from a rerun or abort just done, shown once. */
  notice?: string;
}

function commitLink(base: string | undefined, sha: string | undefined, explicit?: string): SafeHtml {
  if (!sha) return html``;
  const href = safeHref(explicit) ?? (base ? safeHref(`${base}/commit/${sha}`) : undefined);
  return html`<span class="commit">${link(href, sha.slice(0, 10))}</span>`;
}

function facts(job: ProwJob, now: number): SafeHtml {
  const refs = job.spec.refs;
  const repoLink = safeHref(refs?.repo_link) ?? (refs ? `https://github.com/${refs.org}/${refs.repo}` : undefined);
  const rows: [string, SafeHtml | string][] = [];
  if (refs) {
    rows.push(['Repository', link(repoLink, `${refs.org}/${refs.repo}`)]);
    if (refs.base_ref) rows.push(['Base', html`${refs.base_ref} ${commitLink(repoLink, refs.base_sha, refs.base_link)}`]);
    for (const pull of refs.pulls ?? []) {
      const prHref = safeHref(pull.link) ?? (repoLink ? `${repoLink}/pull/${pull.number}` : undefined);
      rows.push(['Pull request', html`${link(prHref, `#${pull.number}${pull.title ? ` ${pull.title}` : ''}`)} · <a href="${prHistoryHref(refs.org, refs.repo, pull.number)}">PR history</a>`]);
      if (pull.sha) rows.push(['Head commit', commitLink(repoLink, pull.sha, pull.commit_link)]);
      if (pull.author) rows.push(['Author', link(safeHref(pull.author_link) ?? `https://github.com/${encodeURIComponent(pull.author)}`, pull.author)]);
    }
  }
  for (const extra of job.spec.extra_refs ?? []) rows.push(['Also checks out', `${extra.org}/${extra.repo}${extra.base_ref ? ` ${extra.base_ref}` : ''}`]);
  rows.push(['Triggered by', triggeredBy(job)]);
  rows.push(['Type', job.spec.type]);
  if (job.status?.build_id) rows.push(['Build ID', job.status.build_id]);
  if (job.spec.cluster) rows.push(['Cluster', job.spec.cluster]);
  if (job.status?.pod_name) rows.push(['Pod', job.status.pod_name]);
  rows.push(['Created', timeElement(job.status?.startTime)]);
  const started = Date.parse(job.status?.startTime ?? '');
  const pending = Date.parse(job.status?.pendingTime ?? '');
  if (!Number.isNaN(pending)) {
    rows.push(['Started running', html`${timeElement(job.status?.pendingTime)}${Number.isNaN(started) ? '' : html` <span class="muted">(queued ${formatDuration(pending - started)})</span>`}`]);
  }
  if (job.status?.completionTime) rows.push(['Finished', timeElement(job.status.completionTime)]);
  rows.push(['Duration', jobDuration(job, now) || '—']);
  if (job.status?.description) rows.push(['Description', job.status.description]);
  rows.push(['ProwJob', html`<span class="commit">${job.metadata.name ?? ''}</span> · <a href="/api/prowjobs/${encodeURIComponent(job.metadata.name ?? '')}">JSON</a>`]);
  return html`<dl class="facts">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

function actions(input: JobPageInput): SafeHtml {
  const job = input.job;
  const name = encodeURIComponent(job.metadata.name ?? '');
  const token = html`<input type="hidden" name="csrf_token" value="${input.csrfToken}">`;
  const requestId = html`<input type="hidden" name="request_id" value="${input.requestId}">`;
  const buttons = [
    html`<form method="post" action="/rerun?prowjob=${name}" class="inline">${token}${requestId}<button type="submit" class="secondary">Rerun</button></form>`,
    isActiveState(stateOf(job)) ? html`<form method="post" action="/abort?prowjob=${name}" class="inline">${token}<button type="submit" class="danger">Abort</button></form>` : '',
    input.rawLogHref ? html`<a href="${input.rawLogHref}">Raw log</a>` : '',
    html`<a href="${jobHistoryHref(job.spec.job)}">Job history</a>`,
  ];
  return html`<div class="toolbar">${buttons}</div>`;
}

function caseTitle(testCase: JUnitCase): string {
  return testCase.classname && !testCase.name.startsWith(testCase.classname) ? `${testCase.classname} › ${testCase.name}` : testCase.name;
}

function seconds(value: number | undefined): string {
  return value === undefined ? '' : formatDuration(value * 1000);
}

function testResults(run: RunArtifacts | undefined): { failures: SafeHtml | undefined; all: SafeHtml | undefined } {
  if (!run || (run.junit.length === 0 && run.junitErrors.length === 0)) return { failures: undefined, all: undefined };
  const summary = summariseJUnit(run.junit);
  const counts = html`<p class="summary-counts">${summary.tests} tests, ${summary.failed} failed, ${summary.skipped} skipped${summary.durationSeconds ? ` · ${seconds(summary.durationSeconds)}` : ''}</p>`;
  const problems = run.junitErrors.map((problem) => html`<p class="muted">Could not read ${problem.path}: ${problem.message}</p>`);
  const failures =
    summary.failures.length > 0
      ? html`<section class="failures" aria-labelledby="failed-tests"><h2 id="failed-tests">Failed tests</h2>${counts}${summary.failures.map(
          (failure) => html`<div class="failure-case"><h3>✖ ${caseTitle(failure)} <span class="muted">${seconds(failure.durationSeconds)}</span></h3>
${failure.message ? html`<p class="failure-message">${failure.message}</p>` : ''}${failure.output ? html`<details${summary.failures.length <= 3 ? html` open` : ''}><summary>Output</summary><pre class="output">${failure.output}</pre></details>` : ''}
<p class="muted">${failure.suite} · ${failure.file}</p></div>`,
        )}${problems}</section>`
      : undefined;
  const rows = summary.all.map(
    (testCase) =>
      html`<tr><td class="state state-${testCase.status === 'passed' ? 'success' : testCase.status === 'failed' ? 'failure' : 'aborted'}">${testCase.status === 'passed' ? '✔ passed' : testCase.status === 'failed' ? '✖ failed' : '⊘ skipped'}</td><td>${caseTitle(testCase)}</td><td>${seconds(testCase.durationSeconds)}</td></tr>`,
  );
  const all = html`<h2 id="test-results">Test results</h2>${failures ? '' : [counts, problems]}<details><summary>All ${summary.tests} tests</summary><div class="table-wrap"><table aria-labelledby="test-results"><thead><tr><th scope="col">Result</th><th scope="col">Test</th><th scope="col">Duration</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
  return { failures, all };
}

/** The lenses, or a line saying there is nothing yet; nothing at all before the run has a directory. */
function lensesSection(input: JobPageInput): SafeHtml | undefined {
  const run = input.run;
  if (!run) return undefined;
  const problems = run.metadataErrors.map((problem) => html`<p class="muted">Could not read ${problem.path}: ${problem.message}</p>`);
  if (run.files.length === 0) return html`<h2 id="artifacts">Artifacts</h2><p class="muted">No artifacts stored yet.</p>`;
  return html`${input.lenses}${problems}`;
}

export function jobPageBody(input: JobPageInput): SafeHtml {
  const job = input.job;
  const state = stateOf(job);
  const results = testResults(input.run);
  const streaming = input.stream !== undefined;
  const logHtml =
    input.log === undefined || input.log === ''
      ? streaming
        ? ''
        : html`<p class="muted" id="no-log">No log stored for this job.</p>`
      : renderBuildLog(input.log, input.rawLogHref ? { rawUrl: input.rawLogHref } : {});
  return html`${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
<h1>${job.spec.job}</h1>
<p>${stateBadge(state, 'job-state')} ${job.status?.description ? html`<span class="muted">${job.status.description}</span>` : ''}</p>
${actions(input)}
${results.failures}
${facts(job, input.now)}
<h2 id="build-log-heading">Build log <span id="live-status" class="live" role="status" aria-live="polite"></span></h2>
${input.unserved ? html`<p class="notice" id="unserved" role="status">${input.unserved}</p>` : streaming && !input.log ? html`<p class="muted" id="no-log">Waiting for output…</p>` : ''}
<div id="build-log" class="log" role="log" aria-labelledby="build-log-heading"${streaming ? html` data-stream="${input.stream?.url ?? ''}"` : ''}>${logHtml}</div>
${results.all}
${lensesSection(input)}`;
}
