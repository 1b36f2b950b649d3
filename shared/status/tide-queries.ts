import type { Config } from '../config/model';
import type { TideQuery } from '../config/tide-schema';
import { searchQueryFor, tideConfig } from '../tide/config';

/**
 * The Tide queries of the config (`tide.queries`), as the `/tide` page and `tide.js` show them:
 * Prow's `TideQuery` JSON and its GitHub search string (pkg/config/tide.go `Query()`).
 */
export type { TideQuery };

export function tideQueriesOf(config: Config): TideQuery[] {
  return tideConfig(config).queries ?? [];
}

/** The GitHub search for a query, as Prow builds it (shared/tide/config.ts `searchQueryFor`). */
export const tideQueryString = searchQueryFor;

/**
 * A query as Prow's `tide.js` writes it: its JSON fields in Prow's order, empty ones left out
 * (`omitempty`).
 */
export function prowTideQuery(query: TideQuery): TideQuery {
  const out: TideQuery = {};
  if (query.author) out.author = query.author;
  if (query.labels?.length) out.labels = query.labels;
  if (query.missingLabels?.length) out.missingLabels = query.missingLabels;
  if (query.excludedBranches?.length) out.excludedBranches = query.excludedBranches;
  if (query.includedBranches?.length) out.includedBranches = query.includedBranches;
  if (query.milestone) out.milestone = query.milestone;
  if (query.reviewApprovedRequired) out.reviewApprovedRequired = true;
  if (query.orgs?.length) out.orgs = query.orgs;
  if (query.repos?.length) out.repos = query.repos;
  if (query.excludedRepos?.length) out.excludedRepos = query.excludedRepos;
  return out;
}

/**
 * The queries a public page may show. Prow's deck drops hidden repositories from a query's repos
 * and then the queries left with neither repos nor orgs; here hidden orgs and hidden excluded
 * repositories are dropped too, since naming them is what hiding forbids.
 */
export function visibleTideQueries(queries: readonly TideQuery[], repoShown: (orgRepo: string) => boolean): TideQuery[] {
  const shown: TideQuery[] = [];
  for (const query of queries) {
    const orgs = (query.orgs ?? []).filter((org) => repoShown(`${org}/`));
    const repos = (query.repos ?? []).filter(repoShown);
    if (orgs.length === 0 && repos.length === 0) continue;
    const excludedRepos = (query.excludedRepos ?? []).filter(repoShown);
    shown.push({ ...query, orgs, repos, excludedRepos });
  }
  return shown;
}
