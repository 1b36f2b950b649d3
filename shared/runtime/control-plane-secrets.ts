import { readFileSync } from 'node:fs';

/**
 * Every secret value the control plane takes from its environment (the variables the README and
 * infra/ document), for the runner to censor from job logs and artifacts (runner/censor.ts).
 * Values holding several secrets, one a line (webhook and session secrets during a rotation), are
 * split by the censor. A file that cannot be read is skipped: whoever uses it reports that.
 */
const SECRET_VARIABLES = [
  'WEBHOOK_SECRET',
  'GITHUB_TOKEN',
  'GITHUB_APP_PRIVATE_KEY',
  'GITHUB_OAUTH_CLIENT_SECRET',
  'STATUS_SESSION_SECRET',
  'CUTWATER_API_TOKEN',
  'SLACK_WEBHOOK_URL',
] as const;

/** Variables naming a file that holds a secret. */
const SECRET_FILE_VARIABLES = ['WEBHOOK_SECRET_FILE', 'GITHUB_APP_PRIVATE_KEY_FILE', 'GITHUB_OAUTH_CLIENT_SECRET_FILE', 'STATUS_SESSION_SECRET_FILE'] as const;

export function controlPlaneSecrets(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    if (value) secrets.push(value);
  }
  for (const name of SECRET_FILE_VARIABLES) {
    const file = env[name];
    if (!file) continue;
    try {
      secrets.push(readFileSync(file, 'utf8'));
    } catch {
      // Reported by the code that needs the file.
    }
  }
  // SLACK_WEBHOOKS maps channels to webhook URLs, and each URL is a credential.
  if (env.SLACK_WEBHOOKS) {
    try {
      const parsed: unknown = JSON.parse(env.SLACK_WEBHOOKS);
      if (parsed && typeof parsed === 'object') {
        for (const url of Object.values(parsed)) if (typeof url === 'string') secrets.push(url);
      }
    } catch {
      // Not JSON: the reporter refuses it, and the whole value still counts as a secret.
      secrets.push(env.SLACK_WEBHOOKS);
    }
  }
  return secrets;
}
