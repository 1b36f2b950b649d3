import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { startLocalSystem } from '../../cli/local/system';
import { readBody } from '../../shared/http/node';
import { memoryLogger } from '../../shared/log/logger';
import { payloadProblems } from '../../shared/plugins/delivery-check';
import { signatureMatches } from '../../shared/webhook/receive';
import { startFakeGitHub } from '../support/fake-github';
import { waitFor } from '../support/wait';

/** `cutwater phony`: built-in example webhooks, signed with the data dir's secret. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function phony(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(['phony', ...args], { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-phony-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Received {
  event: string;
  payload: Record<string, unknown>;
  signed: boolean;
}

/** A hook that records what it is sent, checking signatures with `secret`. */
async function recordingHook(secret: string): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      received.push({
        event: String(request.headers['x-github-event']),
        payload: JSON.parse(body.toString('utf8')) as Record<string, unknown>,
        signed: signatureMatches([secret], body, String(request.headers['x-hub-signature-256'])),
      });
      response.writeHead(202).end('{"message":"accepted"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

describe('cutwater phony --example', () => {
  it('lists the examples', async () => {
    const listed = await phony('--example', 'list');
    expect(listed.code).toBe(0);
    for (const name of ['pull_request.opened', 'issue_comment.created', 'push']) expect(listed.stdout).toContain(name);
  });

  it('sends complete payloads for the config\'s repository, signed with the data dir\'s secret', async () => {
    const dataDir = tempDir();
    writeFileSync(path.join(dataDir, 'hmac-secret'), 'local-secret\n');
    const hook = await recordingHook('local-secret');
    for (const example of ['pull_request.opened', 'issue_comment.created', 'push']) {
      const sent = await phony('--example', example, '--address', hook.url, '--data-dir', dataDir, ...(example.startsWith('issue') ? ['--body', '/hold'] : []));
      expect(sent.stderr).toContain('demo-org/demo-repo');
      expect(sent.code).toBe(0);
    }
    expect(hook.received.map((request) => request.event)).toEqual(['pull_request', 'issue_comment', 'push']);
    for (const { event, payload, signed } of hook.received) {
      expect(signed).toBe(true);
      // Every field any plugin reads is there: no plugin refuses an example.
      expect(payloadProblems(event, payload)).toBeUndefined();
      expect(payload['repository']).toMatchObject({ full_name: 'demo-org/demo-repo', html_url: 'https://github.com/demo-org/demo-repo' });
    }
    expect(hook.received[1]?.payload['comment']).toMatchObject({ body: '/hold' });
  });

  it('aims at --repo, and says what to fix: an unknown example, no secret, --body without a comment', async () => {
    const dataDir = tempDir();
    writeFileSync(path.join(dataDir, 'hmac-secret'), 'local-secret\n');
    const hook = await recordingHook('local-secret');
    expect((await phony('--example', 'push', '--repo', 'acme/widgets', '--address', hook.url, '--data-dir', dataDir)).code).toBe(0);
    expect(hook.received[0]?.payload['repository']).toMatchObject({ full_name: 'acme/widgets' });

    const unknown = await phony('--example', 'pull_request.merged', '--address', hook.url, '--data-dir', dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no example named pull_request.merged; --example list shows them');
    const noSecret = await phony('--example', 'push', '--address', hook.url, '--data-dir', tempDir());
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr.split('\n')).toHaveLength(1);
    expect(noSecret.stderr).toMatch(/hmac-secret does not exist; give --hmac-secret-file F, or the --data-dir cutwater local uses$/);
    const body = await phony('--example', 'push', '--body', 'hi', '--address', hook.url, '--data-dir', dataDir);
    expect(body.code).toBe(2);
    expect(body.stderr).toContain('--body is the comment text of issue_comment.created');
    expect(hook.received).toHaveLength(1);
  });

  it('starts the demo presubmit and runs /hold on cutwater local', async () => {
    const github = await startFakeGitHub();
    cleanups.push(() => github.close());
    github.addRepo('demo-org/demo-repo');
    github.addOrgMember('demo-org', 'octocat');
    github.addPullRequest('demo-org/demo-repo', { number: 1, author: 'octocat', baseRef: 'main', files: [] });
    const dataDir = tempDir();
    const log = memoryLogger();
    const system = await startLocalSystem({
      configPaths: (await import('../../cli/demo-config')).demoConfigPaths(),
      dataDir,
      port: 0,
      env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: github.url },
      log,
      tickMs: 3_600_000,
    });
    cleanups.push(() => system.stop());
    const address = `${system.url}/hook`;
    expect((await phony('--example', 'pull_request.opened', '--address', address, '--data-dir', dataDir)).code).toBe(0);
    await waitFor(async () => (await system.store.jobs.list({ job: 'demo-unit' })).jobs.length > 0, 'the demo presubmit');
    expect((await phony('--example', 'issue_comment.created', '--body', '/hold', '--address', address, '--data-dir', dataDir)).code).toBe(0);
    await waitFor(() => github.labels('demo-org/demo-repo', 1).includes('do-not-merge/hold'), 'the hold label');
    expect(log.entries.filter((entry) => String(entry.message).includes('refused'))).toEqual([]);
  }, 60_000);
});
