import { defaultTriggerFor } from '../../config/defaults';
import type { Config, JobDefinition, Periodic, Postsubmit, Presubmit } from '../../config/model';
import { contextRequired } from '../../jobs/should-run';
import { jobHistoryHref } from '../links';
import { escapeHtml } from './layout';

/**
 * Deck's configured jobs: `/configured-jobs` lists the repositories that have jobs, and
 * `/configured-jobs/<org>/<repo>` shows what is configured for one of them — its presubmits,
 * postsubmits and the periodics that check it out — with when each runs, what it runs and where it
 * is declared, so "why did (or didn't) this job run?" can be answered without reading the YAML.
 * Jobs marked `hidden` are left out, as everywhere on the status pages.
 */

export interface ConfiguredJobsInput {
  config: Config;
  org: string;
  repo: string;
  /** True for "org/repo" the public pages must not show (deck's hidden_repos). */
  hidden?: (orgRepo: string) => boolean;
}

export interface ConfiguredJobsBody {
  title: string;
  body: string;
  /** False when the repository is hidden or has no visible jobs: the route answers 404. */
  found: boolean;
}

/** Repository names on GitHub are case-insensitive; a typed URL need not match the config's case. */
function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function jobsFor<T extends JobDefinition>(jobs: ReadonlyMap<string, readonly T[]>, orgRepo: string): T[] {
  return [...jobs.entries()].filter(([key]) => sameRepo(key, orgRepo)).flatMap(([, list]) => list.filter((job) => !job.hidden));
}

function periodicsFor(config: Config, orgRepo: string): Periodic[] {
  return config.periodics.filter(
    (job) => !job.hidden && (job.extra_refs ?? []).some((refs) => sameRepo(`${refs.org}/${refs.repo}`, orgRepo)),
  );
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

function codeList(items: readonly string[]): string {
  return items.map(code).join(', ');
}

function branchesText(job: Presubmit | Postsubmit): string {
  const parts: string[] = [];
  parts.push(job.branches?.length ? `Branches ${codeList(job.branches)}` : 'All branches');
  if (job.skip_branches?.length) parts.push(`except ${codeList(job.skip_branches)}`);
  return parts.join(' ');
}

function concurrencyText(job: JobDefinition): string {
  return job.max_concurrency ? `At most ${job.max_concurrency} at a time` : '';
}

function lines(parts: readonly string[]): string {
  return parts.filter(Boolean).join('<br>');
}

function presubmitRuns(job: Presubmit): string {
  let when: string;
  if (job.always_run) when = 'On every pull request';
  else if (job.run_if_changed) when = `When a changed file matches ${code(job.run_if_changed)}`;
  else if (job.skip_if_only_changed) when = `Unless every changed file matches ${code(job.skip_if_only_changed)}`;
  else when = `Only on ${code(job.rerun_command || `/test ${job.name}`)}`;
  return lines([
    when,
    branchesText(job),
    job.run_before_merge ? 'Also just before merging' : '',
    concurrencyText(job),
  ]);
}

function postsubmitRuns(job: Postsubmit): string {
  let when: string;
  // Prow's order: a file filter decides when present; otherwise always_run, which defaults to true.
  if (job.run_if_changed) when = `After a push that changes a file matching ${code(job.run_if_changed)}`;
  else if (job.skip_if_only_changed) when = `After a push, unless every changed file matches ${code(job.skip_if_only_changed)}`;
  else if (job.always_run ?? true) when = 'After every push';
  else when = 'Never automatically';
  return lines([when, branchesText(job), concurrencyText(job)]);
}

function periodicRuns(job: Periodic): string {
  const when: string[] = [];
  if (job.cron) when.push(`Cron ${code(job.cron)}`);
  if (job.interval) when.push(`Every ${code(job.interval)}`);
  if (job.minimum_interval) when.push(`${code(job.minimum_interval)} after the previous run finished`);
  const refs = (job.extra_refs ?? []).map((ref) => code(`${ref.org}/${ref.repo}${ref.base_ref ? `@${ref.base_ref}` : ''}`));
  return lines([
    when.length > 0 ? when.join(', ') : 'Never on a schedule',
    refs.length > 0 ? `Checks out ${refs.join(', ')}` : '',
    concurrencyText(job),
  ]);
}

function mergeText(job: Presubmit): string {
  const verdict = contextRequired(job) ? '<strong>Required</strong>' : job.skip_report ? 'Not reported' : 'Optional';
  return lines([verdict, job.skip_report ? '' : `Context ${code(job.context)}`]);
}

function triggerText(job: Presubmit): string {
  // The regex is only worth showing when the config replaced the default one for the command.
  const custom = job.trigger && job.trigger !== defaultTriggerFor(job.name);
  return lines([job.rerun_command ? code(job.rerun_command) : '', custom ? `<span class="muted">matches ${code(job.trigger)}</span>` : '']);
}

interface Container {
  image?: string;
  command: string[];
  args: string[];
}

/** Pod specs are Kubernetes objects kept as plain JSON; read the few fields shown, defensively. */
function containersOf(job: JobDefinition): Container[] {
  const containers = job.spec?.containers ?? [];
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  return containers.map((container) => ({
    ...(typeof container.image === 'string' ? { image: container.image } : {}),
    command: strings(container.command),
    args: strings(container.args),
  }));
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A short command reads as a shell line. Long ones — usually an inline script as the last argument
 * — fold away behind their first words, and unfold as written, without shell quoting to untangle.
 */
function commandHtml(container: Container | undefined): string {
  if (!container) return '';
  const words = [...container.command, ...container.args];
  if (words.length === 0) return '<span class="muted">image default</span>';
  const line = words.map(shellWord).join(' ');
  if (line.length <= 100 && !words.some((word) => word.includes('\n'))) return code(line);
  const script = words.findIndex((word) => word.includes('\n') || word.length > 60);
  const lead = (script < 0 ? words : words.slice(0, script)).map(shellWord).join(' ');
  // Single-line words share a line; a script stands on its own lines, indentation intact.
  const lines: string[] = [];
  let current: string[] = [];
  for (const word of words) {
    if (!word.includes('\n')) {
      current.push(shellWord(word));
      continue;
    }
    if (current.length > 0) lines.push(current.join(' '));
    lines.push(word.replace(/\n$/, ''));
    current = [];
  }
  if (current.length > 0) lines.push(current.join(' '));
  return `<details><summary>${code(`${lead.slice(0, 60)} …`)}</summary><pre>${escapeHtml(lines.join('\n'))}</pre></details>`;
}

function runnerCells(job: JobDefinition): string {
  const containers = containersOf(job);
  const images = containers.map((container) => container.image).filter((image): image is string => Boolean(image));
  return `<td>${escapeHtml(job.cluster)}</td><td class="hide-narrow">${images.length > 0 ? images.map(code).join('<br>') : ''}</td><td>${commandHtml(containers[0])}</td><td class="hide-narrow">${job.decorate ? 'yes' : 'no'}</td>`;
}

function nameCell(job: JobDefinition): string {
  return `<th scope="row"><a href="${escapeHtml(jobHistoryHref(job.name))}">${escapeHtml(job.name)}</a><br><span class="muted source">${escapeHtml(`${job.source.file}:${job.source.line}`)}</span></th>`;
}

const RUNNER_HEADINGS =
  '<th scope="col">Cluster</th><th scope="col" class="hide-narrow">Image</th><th scope="col">Command</th><th scope="col" class="hide-narrow">Decorated</th>';

function section(id: string, heading: string, headings: string, rows: readonly string[]): string {
  if (rows.length === 0) return '';
  return `<section aria-labelledby="${id}">
<h2 id="${id}">${heading} <span class="muted">(${rows.length})</span></h2>
<div class="table-wrap"><table aria-labelledby="${id}"><thead><tr><th scope="col">Job and source</th>${headings}${RUNNER_HEADINGS}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

export function configuredJobsBody(input: ConfiguredJobsInput): ConfiguredJobsBody {
  const orgRepo = `${input.org}/${input.repo}`;
  const notFound = (): ConfiguredJobsBody => ({
    title: orgRepo,
    body: `<h1>${escapeHtml(orgRepo)}</h1><p class="message">No jobs are configured for ${escapeHtml(orgRepo)}.</p><p><a href="/configured-jobs">All repositories with jobs</a></p>`,
    found: false,
  });
  if (input.hidden?.(orgRepo)) return notFound();
  const presubmits = jobsFor(input.config.presubmits, orgRepo);
  const postsubmits = jobsFor(input.config.postsubmits, orgRepo);
  const periodics = periodicsFor(input.config, orgRepo);
  const total = presubmits.length + postsubmits.length + periodics.length;
  if (total === 0) return notFound();

  const body = `<h1>Configured jobs: ${escapeHtml(orgRepo)}</h1>
<p>${total} job${total === 1 ? '' : 's'} configured · <a href="/?${escapeHtml(new URLSearchParams({ repo: orgRepo }).toString())}">recent runs</a> · <a href="/plugins?${escapeHtml(new URLSearchParams({ repo: orgRepo }).toString())}">plugins</a> · <a href="/configured-jobs">all repositories</a></p>
${section(
  'presubmits',
  'Presubmits',
  '<th scope="col">Runs</th><th scope="col">Merge</th><th scope="col">Trigger</th>',
  presubmits.map((job) => `<tr>${nameCell(job)}<td>${presubmitRuns(job)}</td><td>${mergeText(job)}</td><td>${triggerText(job)}</td>${runnerCells(job)}</tr>`),
)}
${section(
  'postsubmits',
  'Postsubmits',
  '<th scope="col">Runs</th>',
  postsubmits.map((job) => `<tr>${nameCell(job)}<td>${postsubmitRuns(job)}</td>${runnerCells(job)}</tr>`),
)}
${section(
  'periodics',
  'Periodics',
  '<th scope="col">Runs</th>',
  periodics.map((job) => `<tr>${nameCell(job)}<td>${periodicRuns(job)}</td>${runnerCells(job)}</tr>`),
)}`;
  return { title: `Configured jobs: ${orgRepo}`, body, found: true };
}

export function configuredJobsHref(orgRepo: string): string {
  const slash = orgRepo.indexOf('/');
  return `/configured-jobs/${encodeURIComponent(orgRepo.slice(0, slash))}/${encodeURIComponent(orgRepo.slice(slash + 1))}`;
}

interface RepoCounts {
  presubmits: number;
  postsubmits: number;
  periodics: number;
}

/** Visible jobs per "org/repo"; a periodic counts for every repository it checks out. */
function countByRepo(config: Config): Map<string, RepoCounts> {
  const counts = new Map<string, RepoCounts>();
  const entry = (orgRepo: string): RepoCounts => {
    let found = counts.get(orgRepo);
    if (!found) counts.set(orgRepo, (found = { presubmits: 0, postsubmits: 0, periodics: 0 }));
    return found;
  };
  for (const [orgRepo, jobs] of config.presubmits) {
    const visible = jobs.filter((job) => !job.hidden).length;
    if (visible > 0) entry(orgRepo).presubmits += visible;
  }
  for (const [orgRepo, jobs] of config.postsubmits) {
    const visible = jobs.filter((job) => !job.hidden).length;
    if (visible > 0) entry(orgRepo).postsubmits += visible;
  }
  for (const job of config.periodics) {
    if (job.hidden) continue;
    const repos = new Set((job.extra_refs ?? []).map((refs) => `${refs.org}/${refs.repo}`));
    for (const orgRepo of repos) entry(orgRepo).periodics += 1;
  }
  return counts;
}

/** `visible`: false for "org/repo" the public pages must not name (deck's hidden_repos). */
export function configuredReposIndexBody(config: Config, visible: (orgRepo: string) => boolean = () => true): { title: string; body: string } {
  const counts = [...countByRepo(config).entries()]
    .filter(([orgRepo]) => visible(orgRepo))
    .sort(([a], [b]) => a.localeCompare(b));
  const rows = counts.map(
    ([orgRepo, count]) =>
      `<tr><th scope="row"><a href="${escapeHtml(configuredJobsHref(orgRepo))}">${escapeHtml(orgRepo)}</a></th><td>${count.presubmits}</td><td>${count.postsubmits}</td><td>${count.periodics}</td></tr>`,
  );
  const body = `<h1>Configured jobs</h1>
<p>Repositories with jobs in the configuration. Periodics are counted for the repositories they check out.</p>
<div class="table-wrap"><table><caption>Repositories and their jobs</caption>
<thead><tr><th scope="col">Repository</th><th scope="col">Presubmits</th><th scope="col">Postsubmits</th><th scope="col">Periodics</th></tr></thead>
<tbody>${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="4">No repository has jobs configured.</td></tr>'}</tbody></table></div>`;
  return { title: 'Configured jobs', body };
}
