import { createCsrfGuard } from './csrf';
import { oauthSettingsFromEnv, sessionSecretsFromEnv, type GitHubOAuthSettings } from './github-oauth';
import { createSessionCodec, type SessionCodec } from './session';
import type { CsrfGuard } from './csrf';

export interface StatusAuth {
  sessions: SessionCodec;
  csrf: CsrfGuard;
  oauth?: GitHubOAuthSettings;
}

/**
 * Sign-in and CSRF protection for the status pages from the environment: STATUS_SESSION_SECRET(_FILE)
 * signs sessions and CSRF tokens (`fallbackSecret` stands in when it is unset — local mode keeps one
 * in its data dir; the cloud function refuses to start without one), GITHUB_OAUTH_* enable sign-in.
 * Cookies are `Secure` when the pages are published over https.
 */
export function statusAuthFromEnv(env: NodeJS.ProcessEnv, options: { publicUrl?: string; fallbackSecret?: () => string } = {}): StatusAuth {
  let secrets = sessionSecretsFromEnv(env);
  if (secrets.length === 0 && options.fallbackSecret) secrets = [options.fallbackSecret()];
  if (secrets.length === 0) throw new Error('the status pages need a session secret: set STATUS_SESSION_SECRET or STATUS_SESSION_SECRET_FILE');
  const publicUrl = env.STATUS_URL || options.publicUrl;
  const sessions = createSessionCodec(secrets, { secure: publicUrl?.startsWith('https:') ?? false });
  const csrf = createCsrfGuard(secrets, { sessions, ...(publicUrl ? { publicUrl } : {}) });
  const oauth = oauthSettingsFromEnv(env, options.publicUrl);
  return { sessions, csrf, ...(oauth ? { oauth } : {}) };
}
