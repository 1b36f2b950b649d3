/**
 * The URLs of the status pages (served by functions/status and `cutwater local`): paths for links
 * between the pages. A job's own page is defined with the ProwJob model (shared/prowjob/job-page.ts),
 * since the reporter links to it too.
 */

export { jobPageHref, jobPageUrl } from '../prowjob/job-page';

export function jobHistoryHref(job: string): string {
  return `/job-history/${encodeURIComponent(job)}`;
}

export function prHistoryHref(org: string, repo: string, pull: number): string {
  return `/pr-history?${new URLSearchParams({ org, repo, pr: String(pull) }).toString()}`;
}

export { tidePullHref, tidePullJsonHref, tidePullUrl } from '../tide/links';

/** The merge-pool history, filtered to one pool (`repo` and `branch`) or pull request (`repo` and `pr`). */
export function tideHistoryHref(filters: { repo?: string; branch?: string; pr?: number } = {}): string {
  const search = new URLSearchParams();
  if (filters.repo) search.set('repo', filters.repo);
  if (filters.branch) search.set('branch', filters.branch);
  if (filters.pr !== undefined) search.set('pr', String(filters.pr));
  const query = search.toString();
  return query ? `/tide-history?${query}` : '/tide-history';
}
