import type { ProwJob, ProwJobState } from '../prowjob/schema';

/**
 * Server-rendered pages: the job list and a job's page with its log. Everything from a job is
 * escaped — job names, descriptions and logs are other people's text.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STATE_LABEL: Record<ProwJobState, string> = {
  triggered: '◌ triggered',
  scheduling: '◌ scheduling',
  pending: '◔ running',
  success: '✔ success',
  failure: '✖ failure',
  aborted: '⊘ aborted',
  error: '⚠ error',
};

function duration(job: ProwJob, now: number): string {
  const start = Date.parse(job.status?.startTime ?? '');
  if (Number.isNaN(start)) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de}
.state-success{color:#116329}.state-failure,.state-error{color:#a40e26}.state-pending,.state-triggered{color:#7d4e00}
pre{background:#0d1117;color:#e6edf3;padding:1rem;overflow:auto;white-space:pre-wrap}a{color:#0550ae}
</style></head><body>${body}</body></html>`;
}

export function jobListPage(jobs: readonly ProwJob[], now: number): string {
  const rows = jobs
    .map((job) => {
      const state = job.status?.state ?? 'triggered';
      const refs = job.spec.refs;
      const pull = refs?.pulls?.[0];
      const where = refs ? `${refs.org}/${refs.repo}${pull ? `#${pull.number}` : ''}` : '';
      return `<tr><td class="state-${state}">${STATE_LABEL[state]}</td><td><a href="/view/${encodeURIComponent(job.metadata.name ?? '')}">${escapeHtml(job.spec.job)}</a></td><td>${escapeHtml(job.spec.type)}</td><td>${escapeHtml(where)}</td><td>${escapeHtml(job.status?.startTime ?? '')}</td><td>${duration(job, now)}</td></tr>`;
    })
    .join('\n');
  return layout(
    'Cutwater jobs',
    `<h1>Jobs</h1><p><a href="/prowjobs.js">prowjobs.js</a></p>
<table><thead><tr><th>State</th><th>Job</th><th>Type</th><th>Repository</th><th>Started</th><th>Duration</th></tr></thead><tbody>
${rows || '<tr><td colspan="6">No jobs yet.</td></tr>'}
</tbody></table>`,
  );
}

export function jobPage(job: ProwJob, log: string | undefined, now: number): string {
  const state = job.status?.state ?? 'triggered';
  const refs = job.spec.refs;
  const facts: [string, string][] = [
    ['State', STATE_LABEL[state]],
    ['Type', job.spec.type],
    ['Description', job.status?.description ?? ''],
    ['Repository', refs ? `${refs.org}/${refs.repo} ${refs.base_ref ?? ''}` : ''],
    ['Pull request', refs?.pulls?.map((pull) => `#${pull.number} by ${pull.author ?? ''} at ${pull.sha ?? ''}`).join(', ') ?? ''],
    ['Build', job.status?.build_id ?? ''],
    ['Started', job.status?.startTime ?? ''],
    ['Duration', duration(job, now)],
  ];
  const table = facts
    .filter(([, value]) => value !== '')
    .map(([label, value]) => `<tr><th>${label}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  return layout(
    `${job.spec.job} — ${state}`,
    `<p><a href="/">All jobs</a></p><h1>${escapeHtml(job.spec.job)}</h1><table>${table}</table>
<h2>Build log</h2>${log === undefined ? '<p>No log yet.</p>' : `<pre id="build-log">${escapeHtml(log)}</pre>`}`,
  );
}
