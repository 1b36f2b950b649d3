/**
 * The public URLs of the status pages (served by functions/status and `cutwater local`), for
 * links that leave the system: GitHub status target URLs, PR comments, Slack messages.
 */

/** A job's own page: `<STATUS_URL>/view/<ProwJob name>`. */
export function jobPageUrl(statusUrl: string, prowJobName: string): string {
  return `${statusUrl.replace(/\/+$/, '')}/view/${encodeURIComponent(prowJobName)}`;
}
