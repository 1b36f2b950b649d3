/**
 * The URLs of the status pages (served by functions/status and `cutwater local`): paths for links
 * between the pages, and `jobPageUrl` for links that leave the system — GitHub status target URLs,
 * PR comments, Slack messages.
 */

/** A job's own page: `/view/<ProwJob name>`. */
export function jobPageHref(prowJobName: string): string {
  return `/view/${encodeURIComponent(prowJobName)}`;
}

/** `<STATUS_URL>/view/<ProwJob name>`. */
export function jobPageUrl(statusUrl: string, prowJobName: string): string {
  return `${statusUrl.replace(/\/+$/, '')}${jobPageHref(prowJobName)}`;
}

export function jobHistoryHref(job: string): string {
  return `/job-history/${encodeURIComponent(job)}`;
}

export function prHistoryHref(org: string, repo: string, pull: number): string {
  return `/pr-history?${new URLSearchParams({ org, repo, pr: String(pull) }).toString()}`;
}
