import type { PoolRecord } from '../../store/tide';
import type { JobVerdict, PoolRun, PullPoolState } from '../../tide/model';
import { html, joinHtml, type SafeHtml } from '../html';
import { jobPageHref, tideHistoryHref, tidePullHref } from '../links';
import { badRequest, sendPage, type StatusRequest } from '../status-request';
import { tideQueriesOf, tideQueryString, visibleTideQueries, type TideQuery } from '../tide-queries';
import { poolPulls, primaryAction, tideVisibility, type PrimaryAction } from '../tide-view';
import { link, safeHref, stateText, timeElement } from './layout';

/**
 * Deck's `/tide`: what the merge pool is doing, per repository and branch — the action this sync
 * and why, each pull request's state in the pool with its one-line verdict (the full one a click
 * away, on `/tide/pr/<org>/<repo>/<number>`), the runs under way, the blocking issues — and the
 * queries a pull request must match. Read from the pool records the sync stores, never from GitHub,
 * so the page costs one store read however busy the pools are.
 */

const PULL_STATE_TEXT: Record<PullPoolState, { icon: string; word: string; css: string }> = {
  merging: { icon: '✔', word: 'merging', css: 'success' },
  success: { icon: '✔', word: 'passing', css: 'success' },
  pending: { icon: '◔', word: 'pending', css: 'pending' },
  missing: { icon: '◌', word: 'not tested', css: 'triggered' },
  failure: { icon: '✖', word: 'failing', css: 'failure' },
  excluded: { icon: '⊘', word: 'not in pool', css: 'aborted' },
};

/** A PR's state in the pool, with icon and word so colour is never the only sign. */
export function pullStateBadge(state: PullPoolState): SafeHtml {
  const { icon, word, css } = PULL_STATE_TEXT[state];
  return html`<span class="state state-${css}">${icon} ${word}</span>`;
}

/** A required job's state at the pool's base. */
export function jobStateText(state: JobVerdict['state']): SafeHtml {
  return state === 'missing'
    ? html`<span class="state state-triggered">◌ no run at this base</span>`
    : html`<span class="state state-${state}">${stateText(state)}</span>`;
}

/** Where a run is shown: its own URL if it is a web link, else its page here. */
export function runHref(run: { id?: string; runId?: string; url?: string }): string | undefined {
  const id = run.runId ?? run.id;
  return safeHref(run.url) ?? (id ? jobPageHref(id) : undefined);
}

const ACTION_WORDS: Record<PrimaryAction['name'], string> = {
  WAIT: 'Waiting',
  TRIGGER: 'Testing',
  TRIGGER_BATCH: 'Testing a batch of',
  MERGE: 'Merging',
  MERGE_BATCH: 'Merging a batch of',
  BLOCKED: 'Blocked',
  CANCEL: 'Cancelling runs',
};

export function pullList(org: string, repo: string, numbers: readonly number[]): SafeHtml {
  return joinHtml(
    numbers.map((number) => html`<a href="${tidePullHref(org, repo, number)}">#${number}</a>`),
    html`, `,
  );
}

/** The pool's action in words, as Prow names it, with its target and reason. */
export function actionLine(record: PoolRecord, action: PrimaryAction = primaryAction(record)): SafeHtml {
  const target = action.pulls.length > 0 ? html` ${pullList(record.key.org, record.key.repo, action.pulls)}` : '';
  return html`<strong>${ACTION_WORDS[action.name]}</strong>${target} <span class="muted">(${action.name})</span>${action.reason ? html` — ${action.reason}` : ''}`;
}

/** Every action of the sync, for a policy that takes more than one. */
export function allActions(record: PoolRecord): SafeHtml[] {
  return record.actions.map((action) => {
    switch (action.kind) {
      case 'wait':
        return html`Wait — ${action.reason}`;
      case 'blocked':
        return html`Blocked by ${joinHtml(action.blockers.map((number) => `#${number}`), html`, `)} — ${action.reason}`;
      case 'merge':
        return html`Merge${action.batch ? ' a batch of' : ''} ${pullList(record.key.org, record.key.repo, action.pulls.map((pull) => pull.number))} — ${action.reason}`;
      case 'trigger':
        return html`Start ${action.runs.length === 1 ? 'a run' : `${action.runs.length} runs`}: ${joinHtml(
          action.runs.map((run) => html`${run.type} of ${pullList(record.key.org, record.key.repo, run.pulls.map((pull) => pull.number))} (${run.jobs.join(', ')})`),
          html`; `,
        )} — ${action.reason}`;
      case 'cancel':
        return html`Cancel ${action.runIds.join(', ')} — ${action.reason}`;
    }
  });
}

/** A stable anchor for a pool on `/tide`. */
export function poolAnchor(record: Pick<PoolRecord, 'key'>): string {
  return `pool-${`${record.key.org}-${record.key.repo}-${record.key.branch}`.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

export function runsTable(record: PoolRecord, runs: readonly PoolRun[], label: string): SafeHtml {
  const rows = runs.map(
    (run) =>
      html`<tr><td><span class="state state-${run.state}">${stateText(run.state)}</span></td><td>${link(runHref(run), run.job)}</td><td>${run.type}</td><td>${pullList(record.key.org, record.key.repo, run.pulls.map((pull) => pull.number))}</td><td class="hide-narrow"><code>${run.baseSha.slice(0, 10)}</code>${run.baseSha === record.baseSha ? '' : html` <span class="muted">(an older base)</span>`}</td><td class="hide-narrow">${timeElement(new Date(run.createdAt).toISOString())}</td></tr>`,
  );
  return html`<div class="table-wrap"><table aria-label="${label}"><thead><tr><th scope="col">State</th><th scope="col">Job</th><th scope="col">Type</th><th scope="col">Pull requests</th><th scope="col" class="hide-narrow">Base</th><th scope="col" class="hide-narrow">Started</th></tr></thead><tbody>
${joinHtml(rows, html`\n`)}
</tbody></table></div>`;
}

function poolSection(record: PoolRecord): SafeHtml {
  const { org, repo, branch } = record.key;
  const anchor = poolAnchor(record);
  const pulls = poolPulls(record);
  const rows = pulls.map(
    ({ pull, verdict }) =>
      html`<tr><td>${pullStateBadge(verdict.state)}</td><td><a href="${tidePullHref(org, repo, pull.number)}">#${pull.number}</a></td><td>${link(safeHref(pull.url), pull.title)}</td><td class="hide-narrow">${pull.author}</td><td>${verdict.summary}${verdict.rank === undefined ? '' : html` <span class="muted">· ${ordinal(verdict.rank)} in line</span>`}</td></tr>`,
  );
  const others = record.actions.length > 1 ? html`<ul class="reasons">${allActions(record).map((line) => html`<li>${line}</li>`)}</ul>` : '';
  const blockers =
    record.blockers.length > 0
      ? html`<dt>Blocked by</dt><dd>${joinHtml(record.blockers.map((blocker) => html`${link(safeHref(blocker.url), `#${blocker.number}`)} ${blocker.title}`), html`<br>`)}</dd>`
      : '';
  const error = record.error ? html`<dt>Error</dt><dd class="state state-error">⚠ ${record.error}</dd>` : '';
  return html`<section class="group" id="${anchor}" aria-labelledby="${anchor}-title"><h2 id="${anchor}-title">${`${org}/${repo}`} <span class="muted">${branch}</span></h2>
<dl class="facts"><dt>Action</dt><dd>${actionLine(record)}${others}</dd>${error}${blockers}<dt>Base</dt><dd><code>${record.baseSha.slice(0, 10)}</code></dd><dt>Policy</dt><dd>${record.policy}</dd><dt>Synced</dt><dd>${timeElement(new Date(record.syncedAt).toISOString())} · <a href="${tideHistoryHref({ repo: `${org}/${repo}`, branch })}">history</a></dd></dl>
${
  pulls.length > 0
    ? html`<div class="table-wrap"><table aria-labelledby="${anchor}-title"><thead><tr><th scope="col">State</th><th scope="col">Pull request</th><th scope="col">Title</th><th scope="col" class="hide-narrow">Author</th><th scope="col">Verdict</th></tr></thead><tbody>
${joinHtml(rows, html`\n`)}
</tbody></table></div>`
    : html`<p class="muted">No pull requests in this pool.</p>`
}
${record.runsInFlight.length > 0 ? html`<h3>Runs under way</h3>${runsTable(record, record.runsInFlight, `Runs under way in ${org}/${repo} ${branch}`)}` : ''}</section>`;
}

export function ordinal(rank: number): string {
  const tens = rank % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][rank % 10] ?? 'th');
  return `${rank}${suffix}`;
}

function querySearchHref(query: TideQuery): string {
  return `https://github.com/search?${new URLSearchParams({ q: tideQueryString(query), type: 'pullrequests' }).toString()}`;
}

export interface TidePageInput {
  pools: readonly PoolRecord[];
  queries: readonly TideQuery[];
  /** The repository the page is narrowed to, if any. */
  repo?: string;
}

export function tidePageBody(input: TidePageInput): SafeHtml {
  const queries =
    input.queries.length > 0
      ? html`<p>A pull request merges when it matches one of these searches and every required job passes on it at the branch’s current head:</p>
<ul>${input.queries.map((query) => html`<li><a href="${querySearchHref(query)}"><code>${tideQueryString(query)}</code></a></li>`)}</ul>`
      : html`<p class="muted">No Tide queries are configured (<code>tide.queries</code> in config.yaml), so no pull request is in a merge pool.</p>`;
  const contents =
    input.pools.length > 1
      ? html`<nav aria-label="Pools"><p>${joinHtml(
          input.pools.map((pool) => html`<a href="#${poolAnchor(pool)}">${`${pool.key.org}/${pool.key.repo} ${pool.key.branch}`}</a>`),
          html` · `,
        )}</p></nav>`
      : '';
  const empty = input.repo
    ? `No merge pool for ${input.repo}: no open pull request of it matches a query, or Tide has not synced it yet.`
    : 'No merge pools: no open pull request matches a query, or Tide has not synced yet.';
  return html`<h1>Tide${input.repo ? html` <span class="muted">${input.repo}</span>` : ''}</h1>
<p class="toolbar"><a href="/tide-history">History</a> <a href="/tide.js">tide.js</a>${input.repo ? html` <a href="/tide">All pools</a>` : ''}</p>
<details><summary>Merge requirements</summary>${queries}</details>
${contents}
${input.pools.length > 0 ? joinHtml(input.pools.map(poolSection), html`\n`) : html`<p>${empty}</p>`}`;
}

/** `GET /tide`, and `?repo=org/repo` for one repository's pools. */
export async function serveTide(page: StatusRequest): Promise<void> {
  const repo = page.url.searchParams.get('repo') || undefined;
  if (repo !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(repo)) return badRequest(page, 'Give the repository as /tide?repo=<org>/<repo>.');
  const visibility = tideVisibility(page.config);
  const pools = (await page.deps.store.tide.listPools()).flatMap((record) => {
    if (repo !== undefined && `${record.key.org}/${record.key.repo}`.toLowerCase() !== repo.toLowerCase()) return [];
    return visibility.pool(record) ?? [];
  });
  const queries = visibleTideQueries(tideQueriesOf(page.config), visibility.repoShown);
  sendPage(page, 'Tide', tidePageBody({ pools, queries, ...(repo ? { repo } : {}) }), 'tide');
}
