/**
 * Where a pull request's merge-pool verdict is shown: its page on the status site
 * (`/tide/pr/<org>/<repo>/<number>`, served by functions/status and `cutwater local`), and the same
 * as JSON with `.json` appended. Here rather than in the status pages because the `tide` commit
 * status the sync sets links to it, and the sync must not depend on the pages to say where they are.
 */

export function tidePullHref(org: string, repo: string, pull: number): string {
  return `/tide/pr/${encodeURIComponent(org)}/${encodeURIComponent(repo)}/${pull}`;
}

export function tidePullJsonHref(org: string, repo: string, pull: number): string {
  return `${tidePullHref(org, repo, pull)}.json`;
}

/** `<STATUS_URL>/tide/pr/<org>/<repo>/<number>`: the `tide` commit status's target URL. */
export function tidePullUrl(statusUrl: string, org: string, repo: string, pull: number): string {
  return `${statusUrl.replace(/\/+$/, '')}${tidePullHref(org, repo, pull)}`;
}
