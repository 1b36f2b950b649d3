import path from 'node:path';
import { defaultTriggerFor } from '../../config/defaults';
import type { Config, JobDefinition, Periodic, Postsubmit, Presubmit } from '../../config/model';
import { contextRequired } from '../../jobs/should-run';
import { jobHistoryHref } from '../links';
import { notFound, sendPage, type StatusRequest } from '../status-request';
import { repoVisibility } from '../visibility';
import { html, joinHtml, type SafeHtml } from '../html';

/**
 * Deck's configured jobs: `/configured-jobs` lists the repositories that have jobs, and
 * `/configured-jobs/<org>/<repo>` shows what is configured for one of them — its presubmits,
 * postsubmits and the periodics that check it out — with when each runs, what it runs and where it
 * is declared, so "why did (or didn't) this job run?" can be answered without reading the YAML.
 * Jobs marked `hidden` are left out, as everywhere on the status pages.
 */

/** `GET /configured-jobs`. */
export function serveConfiguredRepos(page: StatusRequest): void {
  const { title, body } = configuredReposIndexBody(page.config, repoVisibility(page.config));
  sendPage(page, title, body, 'configured-jobs');
}

/** `GET /configured-jobs/<org>/<repo>`. */
export function serveConfiguredJobs(page: StatusRequest, org: string, repo: string): void {
  const visible = repoVisibility(page.config);
  const missing = `No configured jobs for ${org}/${repo}.`;
  if (!visible(`${org}/${repo}`)) return notFound(page, missing);
  const { title, body, found } = configuredJobsBody({ config: page.config, org, repo, hidden: (orgRepo) => !visible(orgRepo) });
  if (!found) return notFound(page, missing);
  sendPage(page, title, body, 'configured-jobs');
}

export interface ConfiguredJobsInput {
  config: Config;
  org: string;
  repo: string;
  /** True for "org/repo" the public pages must not show (deck's hidden_repos). */
  hidden?: (orgRepo: string) => boolean;
}

export interface ConfiguredJobsBody {
  title: string;
  body: SafeHtml;
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

function code(text: string): SafeHtml {
  return html`<code>${text}</code>`;
}

function codeList(items: readonly string[]): SafeHtml {
  return joinHtml(items.map(code), html`, `);
}

function branchesText(job: Presubmit | Postsubmit): SafeHtml {
  const branches = job.branches?.length ? html`Branches ${codeList(job.branches)}` : html`All branches`;
  return job.skip_branches?.length ? html`${branches} except ${codeList(job.skip_branches)}` : branches;
}

function concurrencyText(job: JobDefinition): SafeHtml | undefined {
  return job.max_concurrency ? html`At most ${job.max_concurrency} at a time` : undefined;
}

/** The parts that apply, one per line. */
function lines(parts: readonly (SafeHtml | undefined)[]): SafeHtml {
  return joinHtml(
    parts.filter((part): part is SafeHtml => part !== undefined),
    html`<br>`,
  );
}

function presubmitRuns(job: Presubmit): SafeHtml {
  let when: SafeHtml;
  if (job.always_run) when = html`On every pull request`;
  else if (job.run_if_changed) when = html`When a changed file matches ${code(job.run_if_changed)}`;
  else if (job.skip_if_only_changed) when = html`Unless every changed file matches ${code(job.skip_if_only_changed)}`;
  else when = html`Only on ${code(job.rerun_command || `/test ${job.name}`)}`;
  return lines([
    when,
    branchesText(job),
    job.run_before_merge ? html`Also just before merging` : undefined,
    concurrencyText(job),
  ]);
}

function postsubmitRuns(job: Postsubmit): SafeHtml {
  let when: SafeHtml;
  // Prow's order: a file filter decides when present; otherwise always_run, which defaults to true.
  if (job.run_if_changed) when = html`After a push that changes a file matching ${code(job.run_if_changed)}`;
  else if (job.skip_if_only_changed) when = html`After a push, unless every changed file matches ${code(job.skip_if_only_changed)}`;
  else if (job.always_run ?? true) when = html`After every push`;
  else when = html`Never automatically`;
  return lines([when, branchesText(job), concurrencyText(job)]);
}

function periodicRuns(job: Periodic): SafeHtml {
  const when: SafeHtml[] = [];
  if (job.cron) when.push(html`Cron ${code(job.cron)}`);
  if (job.interval) when.push(html`Every ${code(job.interval)}`);
  if (job.minimum_interval) when.push(html`${code(job.minimum_interval)} after the previous run finished`);
  const refs = (job.extra_refs ?? []).map((ref) => code(`${ref.org}/${ref.repo}${ref.base_ref ? `@${ref.base_ref}` : ''}`));
  return lines([
    when.length > 0 ? joinHtml(when, html`, `) : html`Never on a schedule`,
    refs.length > 0 ? html`Checks out ${joinHtml(refs, html`, `)}` : undefined,
    concurrencyText(job),
  ]);
}

function mergeText(job: Presubmit): SafeHtml {
  const verdict = contextRequired(job) ? html`<strong>Required</strong>` : job.skip_report ? html`Not reported` : html`Optional`;
  return lines([verdict, job.skip_report ? undefined : html`Context ${code(job.context)}`]);
}

function triggerText(job: Presubmit): SafeHtml {
  // The regex is only worth showing when the config replaced the default one for the command.
  const custom = job.trigger && job.trigger !== defaultTriggerFor(job.name);
  return lines([job.rerun_command ? code(job.rerun_command) : undefined, custom ? html`<span class="muted">matches ${code(job.trigger)}</span>` : undefined]);
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
function commandHtml(container: Container | undefined): SafeHtml | undefined {
  if (!container) return undefined;
  const words = [...container.command, ...container.args];
  if (words.length === 0) return html`<span class="muted">image default</span>`;
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
  return html`<details><summary>${code(`${lead.slice(0, 60)} …`)}</summary><pre>${lines.join('\n')}</pre></details>`;
}

function runnerCells(job: JobDefinition): SafeHtml {
  const containers = containersOf(job);
  const images = containers.map((container) => container.image).filter((image): image is string => Boolean(image));
  return html`<td>${job.cluster}</td><td class="hide-narrow image">${joinHtml(images.map(code), html`<br>`)}</td><td>${commandHtml(containers[0])}</td><td class="hide-narrow">${job.decorate ? 'yes' : 'no'}</td>`;
}

/** Per config version: the directory every job file of it lies under. */
const sourceRoots = new WeakMap<Config, string>();

/**
 * The directory all of a config's job files share: where they sit on the server (a temporary
 * directory, a mounted volume) means nothing to a reader, and naming it would show the server's
 * layout, so sources are shown from this root down (`jobs/acme/widgets.yaml`).
 */
export function jobSourceRoot(config: Config): string {
  let root = sourceRoots.get(config);
  if (root !== undefined) return root;
  const files = new Set<string>();
  for (const jobs of [...config.presubmits.values(), ...config.postsubmits.values(), config.periodics]) {
    for (const job of jobs) if (isAbsolute(job.source.file)) files.add(posixPath(job.source.file));
  }
  const directories = [...files].map((file) => path.posix.dirname(file).split('/'));
  const shared = directories[0] ?? [];
  let length = shared.length;
  for (const parts of directories) {
    let same = 0;
    while (same < length && parts[same] === shared[same]) same++;
    length = same;
  }
  root = shared.slice(0, length).join('/');
  sourceRoots.set(config, root);
  return root;
}

function posixPath(file: string): string {
  return file.replaceAll('\\', '/').replace(/^[A-Za-z]:/, '');
}

function isAbsolute(file: string): boolean {
  return path.posix.isAbsolute(file) || path.win32.isAbsolute(file);
}

/**
 * A job file as the reader should see it: relative to the config's job root, never absolute. A
 * relative path (a published snapshot's, named from the config repository's root) is already right.
 */
export function displaySource(file: string, root: string): string {
  if (!isAbsolute(file)) return file;
  const posix = posixPath(file);
  const relative = root ? path.posix.relative(root, posix) : posix;
  // Whatever is left absolute (a root of "/" alone) loses its leading slashes rather than show the server's layout.
  return relative.replace(/^\/+/, '') || path.posix.basename(posix);
}

function nameCell(job: JobDefinition, root: string): SafeHtml {
  return html`<th scope="row"><a href="${jobHistoryHref(job.name)}">${job.name}</a><br><span class="muted source">${`${displaySource(job.source.file, root)}:${job.source.line}`}</span></th>`;
}

const RUNNER_HEADINGS = html`<th scope="col">Cluster</th><th scope="col" class="hide-narrow">Image</th><th scope="col">Command</th><th scope="col" class="hide-narrow">Decorated</th>`;

function section(id: string, heading: string, headings: SafeHtml, rows: readonly SafeHtml[]): SafeHtml | undefined {
  if (rows.length === 0) return undefined;
  return html`<section aria-labelledby="${id}">
<h2 id="${id}">${heading} <span class="muted">(${rows.length})</span></h2>
<div class="table-wrap"><table class="configured-jobs" aria-labelledby="${id}"><thead><tr><th scope="col">Job and source</th>${headings}${RUNNER_HEADINGS}</tr></thead>
<tbody>${joinHtml(rows, html`\n`)}</tbody></table></div>
</section>`;
}

export function configuredJobsBody(input: ConfiguredJobsInput): ConfiguredJobsBody {
  const orgRepo = `${input.org}/${input.repo}`;
  const notFound = (): ConfiguredJobsBody => ({
    title: orgRepo,
    body: html`<h1>${orgRepo}</h1><p class="message">No jobs are configured for ${orgRepo}.</p><p><a href="/configured-jobs">All repositories with jobs</a></p>`,
    found: false,
  });
  if (input.hidden?.(orgRepo)) return notFound();
  const presubmits = jobsFor(input.config.presubmits, orgRepo);
  const postsubmits = jobsFor(input.config.postsubmits, orgRepo);
  const periodics = periodicsFor(input.config, orgRepo);
  const total = presubmits.length + postsubmits.length + periodics.length;
  if (total === 0) return notFound();
  const root = jobSourceRoot(input.config);

  const body = html`<h1>Configured jobs: ${orgRepo}</h1>
<p>${total} job${total === 1 ? '' : 's'} configured · <a href="/?${new URLSearchParams({ repo: orgRepo }).toString()}">recent runs</a> · <a href="/plugins?${new URLSearchParams({ repo: orgRepo }).toString()}">plugins</a> · <a href="/configured-jobs">all repositories</a></p>
${section(
  'presubmits',
  'Presubmits',
  html`<th scope="col">Runs</th><th scope="col">Merge</th><th scope="col">Trigger</th>`,
  presubmits.map((job) => html`<tr>${nameCell(job, root)}<td>${presubmitRuns(job)}</td><td>${mergeText(job)}</td><td>${triggerText(job)}</td>${runnerCells(job)}</tr>`),
)}
${section(
  'postsubmits',
  'Postsubmits',
  html`<th scope="col">Runs</th>`,
  postsubmits.map((job) => html`<tr>${nameCell(job, root)}<td>${postsubmitRuns(job)}</td>${runnerCells(job)}</tr>`),
)}
${section(
  'periodics',
  'Periodics',
  html`<th scope="col">Runs</th>`,
  periodics.map((job) => html`<tr>${nameCell(job, root)}<td>${periodicRuns(job)}</td>${runnerCells(job)}</tr>`),
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
export function configuredReposIndexBody(config: Config, visible: (orgRepo: string) => boolean = () => true): { title: string; body: SafeHtml } {
  const counts = [...countByRepo(config).entries()]
    .filter(([orgRepo]) => visible(orgRepo))
    .sort(([a], [b]) => a.localeCompare(b));
  const rows = counts.map(
    ([orgRepo, count]) =>
      html`<tr><th scope="row"><a href="${configuredJobsHref(orgRepo)}">${orgRepo}</a></th><td>${count.presubmits}</td><td>${count.postsubmits}</td><td>${count.periodics}</td></tr>`,
  );
  const body = html`<h1>Configured jobs</h1>
<p>Repositories with jobs in the configuration. Periodics are counted for the repositories they check out.</p>
<div class="table-wrap"><table><caption>Repositories and their jobs</caption>
<thead><tr><th scope="col">Repository</th><th scope="col">Presubmits</th><th scope="col">Postsubmits</th><th scope="col">Periodics</th></tr></thead>
<tbody>${rows.length > 0 ? joinHtml(rows, html`\n`) : html`<tr><td colspan="4">No repository has jobs configured.</td></tr>`}</tbody></table></div>`;
  return { title: 'Configured jobs', body };
}
