/**
 * Where a ProwJob is shown: its page on the status site (`/view/<ProwJob name>`, served by
 * functions/status and `cutwater local`). With the model because links that leave the system —
 * GitHub status target URLs, PR comments, Slack messages — point at it, and the reporter must not
 * depend on the status pages to say where they are.
 */

/** A job's own page, as a path on the status site. */
export function jobPageHref(prowJobName: string): string {
  return `/view/${encodeURIComponent(prowJobName)}`;
}

/** `<STATUS_URL>/view/<ProwJob name>`. */
export function jobPageUrl(statusUrl: string, prowJobName: string): string {
  return `${statusUrl.replace(/\/+$/, '')}${jobPageHref(prowJobName)}`;
}
