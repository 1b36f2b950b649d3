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
