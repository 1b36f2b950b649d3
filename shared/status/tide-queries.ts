import { z } from 'zod';
import type { Config } from '../config/model';

/**
 * The Tide queries of the config (`tide.queries`), as the `/tide` page and `tide.js` show them:
 * Prow's `TideQuery` JSON and its GitHub search string (pkg/config/tide.go `Query()`).
 *
 * The config loader keeps the `tide` section opaque for now (shared/config/prow-schema.ts); until
 * it is typed, the queries are read loosely here, and a query this schema cannot read is left off
 * the page rather than failing it.
 */

const Strings = z.array(z.string()).optional();

const TideQuerySchema = z.object({
  author: z.string().optional(),
  labels: Strings,
  missingLabels: Strings,
  excludedBranches: Strings,
  includedBranches: Strings,
  milestone: z.string().optional(),
  reviewApprovedRequired: z.boolean().optional(),
  orgs: Strings,
  repos: Strings,
  excludedRepos: Strings,
});
export type TideQuery = z.infer<typeof TideQuerySchema>;

const TideSectionSchema = z.looseObject({ queries: z.array(z.unknown()).optional() });

export function tideQueriesOf(config: Config): TideQuery[] {
  const section = TideSectionSchema.safeParse(config.prow.tide ?? {});
  if (!section.success) return [];
  return (section.data.queries ?? []).flatMap((raw) => {
    const query = TideQuerySchema.safeParse(raw);
    return query.success ? [query.data] : [];
  });
}

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
 * The GitHub search for a query, as Prow builds it: the filters, then per org its `org:`,
 * `repo:` and `-repo:` terms. (Prow walks a Go map for the orgs, so its order varies between
 * calls; here it is the order the config names them.)
 */
export function tideQueryString(query: TideQuery): string {
  const terms = ['is:pr', 'state:open', 'archived:false'];
  if (query.author) terms.push(`author:"${query.author}"`);
  for (const branch of query.excludedBranches ?? []) terms.push(`-base:"${branch}"`);
  for (const branch of query.includedBranches ?? []) terms.push(`base:"${branch}"`);
  for (const label of query.labels ?? []) terms.push(`label:${label.split(',').map((alternative) => `"${alternative}"`).join(',')}`);
  for (const label of query.missingLabels ?? []) terms.push(`-label:"${label}"`);
  if (query.milestone) terms.push(`milestone:"${query.milestone}"`);
  if (query.reviewApprovedRequired) terms.push('review:approved');

  const byOrg = new Map<string, string[]>();
  for (const org of query.orgs ?? []) if (!byOrg.has(org)) byOrg.set(org, [`org:"${org}"`]);
  const scoped = (repo: string, term: string) => {
    const parts = repo.split('/');
    // Like GitHub's search, Prow ignores a repository that is not "org/repo".
    if (parts.length !== 2) return;
    const org = parts[0] as string;
    byOrg.set(org, [...(byOrg.get(org) ?? []), term]);
  };
  for (const repo of query.repos ?? []) scoped(repo, `repo:"${repo}"`);
  for (const repo of query.excludedRepos ?? []) scoped(repo, `-repo:"${repo}"`);
  return [terms.join(' '), ...[...byOrg.values()].flat()].join(' ');
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
