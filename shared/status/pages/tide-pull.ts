import { sendJson } from '../../http/node';
import type { HistoryRecord, PoolRecord } from '../../store/tide';
import type { PoolRun, PullSummary, PullVerdict } from '../../tide/model';
import { html, joinHtml, type SafeHtml } from '../html';
import { tideHistoryHref, tidePullJsonHref } from '../links';
import { notFound, sendPage, type StatusRequest } from '../status-request';
import { goTime, primaryAction, tideVisibility, type PrimaryAction } from '../tide-view';
import { actionLine, allActions, jobStateText, ordinal, poolAnchor, pullList, pullStateBadge, runHref, runsTable } from './tide';
import { link, safeHref, timeElement } from './layout';

/**
 * One pull request's merge-pool verdict, in full: what the 140-character `tide` commit status
 * cannot say (kubernetes-sigs/prow#913). Each reason it is not merging, each required job's state
 * at the pool's current base with a link to the run, the pool's action this sync and why this pull
 * request was not the one chosen, and every history record that names it.
 *
 * `/tide/pr/<org>/<repo>/<number>` is the page (the `tide` status links here), and the same path
 * with `.json` appended is the same data as JSON (`TidePullVerdict` below).
 */

/** History records shown for one pull request; the rest are on `/tide-history`. */
const PULL_HISTORY_LIMIT = 50;

/** The per-PR JSON. */
export interface TidePullVerdict {
  org: string;
  repo: string;
  number: number;
  /** As the last sync saw it; null when no pool holds it. */
  pull: PullSummary | null;
  pool: {
    id: string;
    org: string;
    repo: string;
    branch: string;
    baseSha: string;
    policy: string;
    /** RFC 3339. */
    syncedAt: string;
    error?: string;
    /** What `tide.js` says the pool did (Prow's one action per sync), and every action. */
    action: PrimaryAction;
    actions: PoolRecord['actions'];
    blockers: PoolRecord['blockers'];
  } | null;
  verdict: PullVerdict | null;
  /** True when this pull request is the target of the pool's action this sync. */
  chosen: boolean;
  /** Why the pool's action this sync left it out: empty when chosen or in no pool. */
  notChosen: string[];
  /** Runs under way that test it. */
  runs: PoolRun[];
  /** Newest first. */
  history: (HistoryRecord & { time: string })[];
  /** False when it has more history than is listed (see `/tide-history?repo=&pr=`). */
  historyComplete: boolean;
}

const ACTION_VERB: Record<PrimaryAction['name'], string> = {
  WAIT: 'waited',
  TRIGGER: 'tested',
  TRIGGER_BATCH: 'tested a batch of',
  MERGE: 'merged',
  MERGE_BATCH: 'merged a batch of',
  BLOCKED: 'was blocked',
  CANCEL: 'cancelled runs',
};

/**
 * Why this PR is not the pool's choice: its own verdict's reasons first, then what the pool did
 * instead, then its place in line.
 */
export function whyNotChosen(record: PoolRecord, verdict: PullVerdict, action: PrimaryAction = primaryAction(record)): string[] {
  if (action.pulls.includes(verdict.number)) return [];
  const lines = [...verdict.reasons];
  const targets = action.pulls.map((number) => `#${number}`).join(', ');
  if (action.pulls.length > 0) lines.push(`This sync the pool ${ACTION_VERB[action.name]} ${targets}${action.reason ? `: ${action.reason}` : ''}.`);
  else if (action.name === 'BLOCKED') lines.push(`The pool is blocked${action.reason ? `: ${action.reason}` : ''}.`);
  else if (action.reason) lines.push(`The pool ${ACTION_VERB[action.name]}: ${action.reason}.`);
  if (verdict.rank !== undefined) lines.push(`It is ${ordinal(verdict.rank)} in the pool’s order (priority labels, then pull request number).`);
  return [...new Set(lines)];
}

function sameRepo(record: PoolRecord, org: string, repo: string): boolean {
  return record.key.org.toLowerCase() === org.toLowerCase() && record.key.repo.toLowerCase() === repo.toLowerCase();
}

export interface LoadedPullVerdict {
  data: TidePullVerdict;
  /** The pool that holds it, as a page may show it. */
  record: PoolRecord | undefined;
}

/** The pull request's verdict from the pool records and history; undefined when its repository is hidden. */
export async function loadPullVerdict(request: StatusRequest, org: string, repo: string, number: number): Promise<LoadedPullVerdict | undefined> {
  const visibility = tideVisibility(request.config);
  if (!visibility.repoShown(`${org}/${repo}`)) return undefined;
  // A PR is in one pool, its base branch's; should a retargeted PR linger in an old branch's
  // record, the most recently synced wins.
  const holding = (await request.deps.store.tide.listPools())
    .filter((record) => sameRepo(record, org, repo) && record.verdicts.some((verdict) => verdict.number === number))
    .sort((a, b) => b.syncedAt - a.syncedAt)[0];
  const record = holding && visibility.pool(holding);
  const key = record?.key ?? { org, repo };
  const history = await request.deps.store.tide.listHistory({ repo: `${key.org}/${key.repo}`, prNumber: number }, { limit: PULL_HISTORY_LIMIT });
  const verdict = record?.verdicts.find((candidate) => candidate.number === number) ?? null;
  const action = record ? primaryAction(record) : undefined;
  const data: TidePullVerdict = {
    org: key.org,
    repo: key.repo,
    number,
    pull: record?.pulls.find((pull) => pull.number === number) ?? null,
    pool:
      record && action
        ? {
            id: record.id,
            ...record.key,
            baseSha: record.baseSha,
            policy: record.policy,
            syncedAt: goTime(record.syncedAt),
            ...(record.error ? { error: record.error } : {}),
            action,
            actions: record.actions,
            blockers: record.blockers,
          }
        : null,
    verdict,
    chosen: Boolean(verdict && action?.pulls.includes(number)),
    notChosen: record && verdict ? whyNotChosen(record, verdict, action) : [],
    runs: record?.runsInFlight.filter((run) => run.pulls.some((pull) => pull.number === number)) ?? [],
    history: history.records.filter(visibility.history).map((entry) => ({ ...entry, time: goTime(entry.at) })),
    historyComplete: history.nextCursor === undefined,
  };
  return { data, record };
}

export function historyTable(entries: readonly HistoryRecord[], label: string, withPool: boolean): SafeHtml {
  const rows = entries.map(
    (entry) =>
      html`<tr><td>${timeElement(new Date(entry.at).toISOString())}</td>${withPool ? html`<td><a href="${tideHistoryHref({ repo: `${entry.key.org}/${entry.key.repo}`, branch: entry.key.branch })}">${`${entry.key.org}/${entry.key.repo}`} ${entry.key.branch}</a></td>` : html`<td>${entry.key.branch}</td>`}<td>${entry.action}</td><td>${pullList(entry.key.org, entry.key.repo, entry.pulls.map((pull) => pull.number))}</td><td class="hide-narrow"><code>${entry.baseSha.slice(0, 10)}</code></td><td>${entry.reason}${entry.error ? html`<div class="state state-error">⚠ ${entry.error}</div>` : ''}</td></tr>`,
  );
  return html`<div class="table-wrap"><table aria-label="${label}"><thead><tr><th scope="col">Time</th><th scope="col">${withPool ? 'Pool' : 'Branch'}</th><th scope="col">Action</th><th scope="col">Pull requests</th><th scope="col" class="hide-narrow">Base</th><th scope="col">Why</th></tr></thead><tbody>
${entries.length > 0 ? joinHtml(rows, html`\n`) : html`<tr><td colspan="6">No records.</td></tr>`}
</tbody></table></div>`;
}

export function tidePullBody(data: TidePullVerdict, record: PoolRecord | undefined): SafeHtml {
  const { org, repo, number, pull, verdict } = data;
  const heading = html`<h1>${`${org}/${repo}`}#${number}${pull?.title ? html` <span class="muted">${pull.title}</span>` : ''}</h1>`;
  const prHref = safeHref(pull?.url) ?? `https://github.com/${encodeURIComponent(org)}/${encodeURIComponent(repo)}/pull/${number}`;
  const history = html`<section aria-labelledby="history"><h2 id="history">History</h2>
${historyTable(data.history, `History of #${number}`, false)}
<p>${data.historyComplete ? '' : html`Showing the newest ${data.history.length}. `}<a href="${tideHistoryHref({ repo: `${org}/${repo}`, pr: number })}">All of this pull request’s history</a> · <a href="${tidePullJsonHref(org, repo, number)}">JSON</a></p></section>`;
  if (!record || !verdict) {
    return html`${heading}
<p>${link(prHref, 'Pull request on GitHub')}</p>
<p>This pull request is in no merge pool: it is closed or merged, no Tide query matches it, or the last sync has not seen it yet.</p>
${history}`;
  }
  const why =
    verdict.state === 'merging' || data.chosen
      ? html`<section aria-labelledby="why"><h2 id="why">${verdict.state === 'merging' ? 'Merging' : 'Chosen'}</h2><p>The pool’s action this sync is for this pull request: ${actionLine(record)}</p></section>`
      : html`<section aria-labelledby="why"><h2 id="why">Why it is not merging</h2>${
          data.notChosen.length > 0 ? html`<ul class="reasons">${data.notChosen.map((line) => html`<li>${line}</li>`)}</ul>` : html`<p>No reason was recorded.</p>`
        }</section>`;
  const jobs =
    verdict.jobs.length > 0
      ? html`<div class="table-wrap"><table aria-labelledby="jobs"><thead><tr><th scope="col">State</th><th scope="col">Job</th><th scope="col">Context</th></tr></thead><tbody>
${joinHtml(
  verdict.jobs.map((job) => html`<tr><td>${jobStateText(job.state)}</td><td>${link(runHref(job), job.job)}</td><td>${job.context}</td></tr>`),
  html`\n`,
)}
</tbody></table></div>`
      : html`<p class="muted">No required jobs are listed for it.</p>`;
  const labels = pull && pull.labels.length > 0 ? joinHtml(pull.labels.map((label) => html`<code>${label}</code>`), html` `) : html`<span class="muted">none</span>`;
  return html`${heading}
<p class="verdict">${pullStateBadge(verdict.state)} ${verdict.summary}</p>
<dl class="facts"><dt>Pull request</dt><dd>${link(prHref, 'on GitHub')}${pull?.author ? ` · by ${pull.author}` : ''}</dd><dt>Head</dt><dd><code>${pull?.headSha.slice(0, 10) ?? ''}</code></dd><dt>Labels</dt><dd>${labels}</dd><dt>Pool</dt><dd><a href="/tide#${poolAnchor(record)}">${`${record.key.org}/${record.key.repo}`} ${record.key.branch}</a> at <code>${record.baseSha.slice(0, 10)}</code></dd>${verdict.rank === undefined ? '' : html`<dt>In line</dt><dd>${ordinal(verdict.rank)}</dd>`}<dt>Synced</dt><dd>${timeElement(new Date(record.syncedAt).toISOString())}</dd>${record.error ? html`<dt>Error</dt><dd class="state state-error">⚠ ${record.error}</dd>` : ''}</dl>
${why}
<section aria-labelledby="jobs"><h2 id="jobs">Required jobs at this base</h2>${jobs}</section>
<section aria-labelledby="action"><h2 id="action">The pool’s action</h2><ul class="reasons">${allActions(record).map((line) => html`<li>${line}</li>`)}</ul>${
    record.blockers.length > 0 ? html`<p>Blocking issues: ${joinHtml(record.blockers.map((blocker) => html`${link(safeHref(blocker.url), `#${blocker.number}`)} ${blocker.title}`), html`; `)}</p>` : ''
  }</section>
${data.runs.length > 0 ? html`<section aria-labelledby="runs"><h2 id="runs">Runs under way</h2>${runsTable(record, data.runs, `Runs testing #${number}`)}</section>` : ''}
${history}`;
}

/** `GET /tide/pr/<org>/<repo>/<number>` and `…/<number>.json`. */
export async function serveTidePull(request: StatusRequest, org: string, repo: string, numberParam: string): Promise<void> {
  const match = /^([1-9]\d{0,9})(\.json)?$/.exec(numberParam);
  const asJson = match?.[2] !== undefined;
  const number = Number(match?.[1]);
  if (!match || !/^[^/\s]+$/.test(org) || !/^[^/\s]+$/.test(repo)) {
    const message = 'Give the pull request as /tide/pr/<org>/<repo>/<number>, or with .json for JSON.';
    if (asJson) return sendJson(request.response, 400, { message });
    return notFound(request, message);
  }
  const loaded = await loadPullVerdict(request, org, repo, number);
  if (!loaded) {
    if (asJson) return sendJson(request.response, 404, { message: `no pull request ${org}/${repo}#${number}` });
    return notFound(request, `No pull request ${org}/${repo}#${number}.`);
  }
  if (asJson) return sendJson(request.response, 200, loaded.data);
  sendPage(request, `${org}/${repo}#${number} · Tide`, tidePullBody(loaded.data, loaded.record), 'tide');
}
