import { InvalidQueryError } from '../../store/errors';
import type { HistoryRecord } from '../../store/tide';
import { html, type SafeHtml } from '../html';
import { tideHistoryHref } from '../links';
import { badRequest, sendPage, type StatusRequest } from '../status-request';
import { parseHistoryRequest, tideVisibility, type HistoryFilters } from '../tide-view';
import { historyTable } from './tide-pull';

/**
 * Deck's `/tide-history`: every action the merge pools took, newest first, with why — merges,
 * batches and retests started, blocks, cancels, and what went wrong doing them. Filtered to a pool
 * (repository and branch) or a pull request in the URL, paged by cursor; kept for the store's
 * retention period (30 days by default), not only the last 1,000 records per pool.
 */

const PAGE_SIZE = 100;

export interface TideHistoryInput {
  filters: HistoryFilters;
  records: readonly HistoryRecord[];
  /** Repositories with pools, for the repository field's suggestions. */
  knownRepos: readonly string[];
  nextCursor?: string;
}

function pageHref(filters: HistoryFilters, cursor?: string): string {
  const base = tideHistoryHref({
    ...(filters.repo ? { repo: filters.repo } : {}),
    ...(filters.branch ? { branch: filters.branch } : {}),
    ...(filters.pr !== undefined ? { pr: filters.pr } : {}),
  });
  if (!cursor) return base;
  return `${base}${base.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
}

export function tideHistoryBody(input: TideHistoryInput): SafeHtml {
  const { filters } = input;
  const form = html`<form class="filters" role="search" aria-label="Filter the history" method="get" action="/tide-history">
<label>Repository<input type="text" name="repo" value="${filters.repo ?? ''}" list="tide-repos" placeholder="org/repo" autocomplete="off"></label>
<label>Branch<input type="text" name="branch" value="${filters.branch ?? ''}" autocomplete="off"></label>
<label>Pull request<input type="text" name="pr" value="${filters.pr ?? ''}" inputmode="numeric" pattern="[0-9]*" size="6"></label>
<button type="submit" class="primary">Filter</button> <a href="/tide-history">Clear</a>
<datalist id="tide-repos">${input.knownRepos.map((repo) => html`<option value="${repo}">`)}</datalist>
</form>`;
  const scope = [filters.repo ? `${filters.repo}${filters.branch ? ` ${filters.branch}` : ''}` : '', filters.pr !== undefined ? `#${filters.pr}` : ''].filter(Boolean).join(' ');
  const pager = [
    filters.cursor ? html`<a href="${pageHref(filters)}">Newest</a>` : '',
    input.nextCursor ? html`<a rel="next" href="${pageHref(filters, input.nextCursor)}">Older records</a>` : '',
  ];
  const jsHref = `/tide-history.js${pageHref(filters).slice('/tide-history'.length)}`;
  return html`<h1>Tide history${scope ? html` <span class="muted">${scope}</span>` : ''}</h1>
<p class="toolbar"><a href="/tide">Pools</a> <a href="${jsHref}">tide-history.js</a></p>
${form}
${historyTable(input.records, 'Tide history', true)}
<nav class="pager" aria-label="Pages">${pager}</nav>`;
}

/** `GET /tide-history?repo=&branch=&pr=&cursor=`. */
export async function serveTideHistory(page: StatusRequest): Promise<void> {
  let parsed;
  try {
    parsed = parseHistoryRequest(page.url.searchParams);
  } catch (error) {
    return badRequest(page, `Check the filters: ${(error as Error).message}`);
  }
  const visibility = tideVisibility(page.config);
  const pools = await page.deps.store.tide.listPools();
  const knownRepos = [...new Set(pools.map((pool) => `${pool.key.org}/${pool.key.repo}`))].filter(visibility.repoShown).sort();
  let found: { records: HistoryRecord[]; nextCursor?: string } = { records: [] };
  // A hidden repository's history reads as empty, as one without records would.
  if (parsed.filters.repo === undefined || visibility.repoShown(parsed.filters.repo)) {
    try {
      found = await page.deps.store.tide.listHistory(parsed.query, {
        limit: parsed.filters.limit ?? PAGE_SIZE,
        ...(parsed.filters.cursor ? { cursor: parsed.filters.cursor } : {}),
      });
    } catch (error) {
      if (error instanceof InvalidQueryError) return badRequest(page, error.message);
      throw error;
    }
  }
  const body = tideHistoryBody({
    filters: parsed.filters,
    records: found.records.filter(visibility.history),
    knownRepos,
    ...(found.nextCursor ? { nextCursor: found.nextCursor } : {}),
  });
  sendPage(page, 'Tide history', body, 'tide');
}
