import { readFileSync } from 'node:fs';

/**
 * The environment variables the brief fixes (README and infra/ document them), read in one place.
 * Values that are secrets are returned but never logged by callers.
 */

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export function githubApiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
}

/**
 * Webhook secrets: WEBHOOK_SECRET, or WEBHOOK_SECRET_FILE (also `--hmac-secret-file`) holding one
 * secret per line — several during a rotation, when GitHub may sign with either.
 */
export function webhookSecrets(env: NodeJS.ProcessEnv = process.env, secretFile?: string): string[] {
  const file = secretFile ?? env.WEBHOOK_SECRET_FILE;
  const text = file ? readSecretFile(file, 'webhook secret') : (env.WEBHOOK_SECRET ?? '');
  const secrets = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (secrets.length === 0) {
    throw new Error('no webhook secret: set WEBHOOK_SECRET or WEBHOOK_SECRET_FILE (one secret per line)');
  }
  return secrets;
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
