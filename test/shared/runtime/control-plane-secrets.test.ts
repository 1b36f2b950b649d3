import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controlPlaneSecrets } from '../../../shared/runtime/control-plane-secrets';

/** What the runner censors from job output: every secret the documented environment gives the control plane. */
describe('control plane secrets', () => {
  it('gathers secrets from variables, from the files variables name, and each Slack webhook URL', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-secrets-'));
    try {
      writeFileSync(path.join(dir, 'webhook'), 'old-webhook-secret\nnew-webhook-secret\n');
      writeFileSync(path.join(dir, 'key.pem'), '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n');
      const secrets = controlPlaneSecrets({
        GITHUB_TOKEN: 'ghp_token',
        WEBHOOK_SECRET_FILE: path.join(dir, 'webhook'),
        GITHUB_APP_PRIVATE_KEY_FILE: path.join(dir, 'key.pem'),
        STATUS_SESSION_SECRET: 'session',
        GITHUB_OAUTH_CLIENT_SECRET: 'oauth',
        CUTWATER_API_TOKEN: 'api',
        SLACK_WEBHOOKS: JSON.stringify({ '#ci': 'https://hooks.slack.com/services/T1/B1/abc', '*': 'https://hooks.slack.com/services/T1/B2/def' }),
        STATUS_SESSION_SECRET_FILE: path.join(dir, 'missing'),
        PATH: '/usr/bin',
        GITHUB_API_URL: 'https://api.github.com',
      });
      expect(secrets.sort()).toEqual(
        [
          'ghp_token',
          'session',
          'oauth',
          'api',
          'old-webhook-secret\nnew-webhook-secret\n',
          '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n',
          'https://hooks.slack.com/services/T1/B1/abc',
          'https://hooks.slack.com/services/T1/B2/def',
        ].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
