import { createHash } from 'node:crypto';

/**
 * Who a request to GitHub speaks as. GitHub keeps rate limits per identity and answers each with
 * what that identity may see, so the response cache and the budget ledger are kept per identity.
 */
export interface GitHubIdentity {
  /** `installation-<id>`, `token-<hash>`, or `app-<id>` for the App's own (JWT) requests. */
  key: string;
  installationId?: number;
}

/** Tokens are named by a hash, so the name can appear in logs and on status pages. */
export function tokenIdentity(token: string): string {
  return `token-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/**
 * The identity behind an Octokit's constructor `auth` option: a token string, an App installation
 * (App credentials with an installationId), or the App itself.
 */
export function identityOfAuth(auth: unknown): GitHubIdentity {
  if (typeof auth === 'string') return { key: tokenIdentity(auth) };
  if (typeof auth === 'object' && auth !== null) {
    const { installationId, appId } = auth as { installationId?: unknown; appId?: unknown };
    if (typeof installationId === 'number' || typeof installationId === 'string') {
      const id = Number(installationId);
      return { key: `installation-${id}`, installationId: id };
    }
    if (typeof appId === 'number' || typeof appId === 'string') return { key: `app-${appId}` };
  }
  // Unauthenticated: GitHub limits it per client address, which is all this process has.
  return { key: 'anonymous' };
}

/**
 * Who each request of one Octokit speaks as. An installation's Octokit asks GitHub for its token
 * (and the App's own routes) with the App's JWT, so requests to `/app...` count against the App,
 * not the installation. The function takes the request's path or route template, as Octokit's
 * options hold it.
 */
export function requestIdentities(auth: unknown): (url: string) => GitHubIdentity {
  const own = identityOfAuth(auth);
  const appId = typeof auth === 'object' && auth !== null ? (auth as { appId?: unknown }).appId : undefined;
  if (own.installationId === undefined || (typeof appId !== 'number' && typeof appId !== 'string')) return () => own;
  const app: GitHubIdentity = { key: `app-${appId}` };
  return (url) => (/^\/app(\/|$|\?)/.test(url) ? app : own);
}
