import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../cli/local/system';
import type { ConfigPaths } from '../../../shared/config/load';
import { memoryLogger } from '../../../shared/log/logger';
import type { ProwJob } from '../../../shared/prowjob/schema';
import type { SandboxPullState, SandboxState } from '../../../shared/sandbox/sandbox';
import { REPO_ROOT } from '../../support/config';
import { startFakeGitHub } from '../../support/fake-github';
import { waitFor } from '../../support/wait';

/**
 * `cutwater local` with no GitHub credentials: its sandbox GitHub, driven through the `/sandbox`
 * page's forms as a browser would post them (CSRF token and cookie included), with the demo config.
 */

const DEMO: ConfigPaths = {
  configPath: path.join(REPO_ROOT, 'cli/demo/config.yaml'),
  jobConfigPath: path.join(REPO_ROOT, 'cli/demo/jobs'),
  pluginConfigPath: path.join(REPO_ROOT, 'cli/demo/plugins.yaml'),
};
const REPO = 'demo-org/demo-repo';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(env: NodeJS.ProcessEnv = {}): Promise<LocalSystem> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cutwater-sandbox-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const system = await startLocalSystem({ configPaths: DEMO, dataDir, port: 0, env, log: memoryLogger(), tickMs: 3_600_000 });
  cleanups.push(() => system.stop());
  return system;
}

/** A browser's session on the page: its CSRF cookie and token. */
async function session(system: LocalSystem): Promise<{ cookie: string; token: string; page: string }> {
  const response = await fetch(`${system.url}/sandbox`);
  expect(response.status).toBe(200);
  const page = await response.text();
  const cookie = (response.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const token = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1] ?? '';
  expect(token).not.toBe('');
  return { cookie, token, page };
}

async function post(system: LocalSystem, action: string, fields: Record<string, string>): Promise<Response> {
  const { cookie, token } = await session(system);
  return fetch(`${system.url}/sandbox/${action}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: token, ...fields }).toString(),
  });
}

async function pull(system: LocalSystem, number: number): Promise<SandboxPullState | undefined> {
  const state = (await (await fetch(`${system.url}/sandbox/state.json`)).json()) as SandboxState;
  return state.pulls.find((candidate) => candidate.repo === REPO && candidate.number === number);
}

describe('the sandbox GitHub of cutwater local without credentials', () => {
  it('opens a PR from the page: the webhook goes through /hook, the demo presubmit runs and its status shows on the PR; /hold labels it', async () => {
    const system = await start();
    const { page } = await session(system);
    expect(page).toContain(`<option value="${REPO}">`);
    expect(page).toContain('GitHub: <a href="/sandbox">sandbox</a>');

    const opened = await post(system, 'open', { repo: REPO, title: 'Try the sandbox', path0: 'src/app.js', content0: 'console.log(1);\n' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toMatch(/^\/sandbox\?done=.*#pr-demo-org-demo-repo-1$/);

    await waitFor(async () => (await pull(system, 1))?.statuses.some((status) => status.context === 'demo-unit' && status.state === 'success') ?? false, 'the demo presubmit’s success on the sandbox PR', 60_000);
    const jobs = ((await (await fetch(`${system.url}/prowjobs.js?job=demo-unit`)).json()) as { items: ProwJob[] }).items;
    expect(jobs.map((job) => job.spec.refs?.pulls?.[0]?.number)).toEqual([1]);
    const shown = await pull(system, 1);
    expect(shown?.files).toEqual([{ path: 'src/app.js', content: 'console.log(1);\n' }]);
    // The size plugin labelled it too, through the real plugin path.
    await waitFor(async () => (await pull(system, 1))?.labels.includes('size/XS') ?? false, 'the size label');

    expect((await post(system, 'comment', { repo: REPO, number: '1', body: '/hold' })).status).toBe(303);
    await waitFor(async () => (await pull(system, 1))?.labels.includes('do-not-merge/hold') ?? false, 'the hold label after /hold');
    const state = (await (await fetch(`${system.url}/sandbox/state.json`)).json()) as SandboxState;
    expect(state.deliveries.map((delivery) => `${delivery.event}.${delivery.action}:${delivery.status}`)).toEqual(['issue_comment.created:200', 'pull_request.opened:200']);
  }, 90_000);

  it('escapes what a person typed, and refuses a form without its CSRF token', async () => {
    const system = await start();
    const hostile = '<script>alert("x")</script>';
    expect((await post(system, 'open', { repo: REPO, title: hostile, path0: 'a.txt', content0: '<img src=x onerror=alert(1)>' })).status).toBe(303);
    const { page } = await session(system);
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');

    const forged = await fetch(`${system.url}/sandbox/comment`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ repo: REPO, number: '1', body: '/hold' }).toString(),
    });
    expect(forged.status).toBe(403);
    expect((await pull(system, 1))?.comments).toEqual([]);
  }, 60_000);

  it('says why an action is refused: approving one’s own PR, a repository it does not have', async () => {
    const system = await start();
    expect((await post(system, 'open', { repo: REPO, title: 'Mine', path0: 'a.txt', content0: 'a' })).status).toBe(303);
    const own = await post(system, 'review', { repo: REPO, number: '1', verdict: 'approve' });
    expect(own.status).toBe(400);
    expect(await own.text()).toContain('approve or request changes on their own pull request');
    const elsewhere = await post(system, 'open', { repo: 'nope/nothing', title: 'x', path0: 'a', content0: 'a' });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('no repository nope/nothing');
  }, 60_000);

  it('is not there when GitHub credentials are set; the header names the API URL instead', async () => {
    const github = await startFakeGitHub();
    cleanups.push(() => github.close());
    const system = await start({ GITHUB_TOKEN: 'real-token', GITHUB_API_URL: github.url });
    expect(system.sandbox).toBeUndefined();
    expect((await fetch(`${system.url}/sandbox`)).status).toBe(404);
    expect((await fetch(`${system.url}/sandbox/state.json`)).status).toBe(404);
    const list = await (await fetch(`${system.url}/`)).text();
    expect(list).toContain(`GitHub: ${github.url}`);
    expect(list).not.toContain('href="/sandbox"');
  }, 60_000);
});
