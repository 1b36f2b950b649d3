import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskArtifactStore } from '../../../shared/artifacts/disk';
import { jobArtifactsDir } from '../../../shared/artifacts/layout';
import { memoryLogger } from '../../../shared/log/logger';
import { newPresubmitJob, newPeriodicJob } from '../../../shared/jobs/factory';
import type { ProwJob } from '../../../shared/prowjob/schema';
import { staticConfigSource } from '../../../shared/config/config-source';
import { statusAuthFromEnv, type StatusAuth } from '../../../shared/status/auth/from-env';
import { statusListener } from '../../../shared/status/http';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { serveListener } from '../../support/listener-server';

/**
 * The status pages over real HTTP, as a browser sees them: what the job list shows for each
 * filter, what a failed job's page puts first, who may rerun and abort, and what never shows.
 */

const CONFIG = expectLoaded(
  buildFromFiles({
    config: yaml(`
      deck:
        hidden_repos: [secret-org]
        rerun_auth_configs:
          '*':
            github_users: [alice]
    `),
    jobs: {
      'jobs.yaml': yaml(`
        presubmits:
          acme/widgets:
          - name: unit
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
          - name: lint
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
          secret-org/vault:
          - name: vault-unit
            always_run: true
            spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
        periodics:
        - name: nightly
          interval: 24h
          spec: {containers: [{image: node:22, command: [node, -e, "1"]}]}
      `),
    },
    plugins: yaml(`
      plugins:
        acme: [trigger, hold, lgtm]
    `),
  }),
);

const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="widgets" tests="3" failures="1" time="1.5">
<testcase classname="widgets" name="TestParseWidget" time="0.4"><failure message="expected 3 widgets, got 2">widget_test.go:42: expected 3 widgets, got 2</failure></testcase>
<testcase classname="widgets" name="TestRenderWidget" time="0.6"/>
<testcase classname="widgets" name="TestWidgetCount" time="0.5"/>
</testsuite></testsuites>`;

let server: Server;
let base: string;
let store: EmbeddedStore;
let artifacts: DiskArtifactStore;
let auth: StatusAuth;
let dir: string;
const liveLogs = new Map<string, string>();
let clock = Date.parse('2026-11-20T10:00:00Z');

function pull(number: number, author: string, sha: string) {
  return {
    org: 'acme',
    repo: 'widgets',
    base_ref: 'main',
    base_sha: 'b'.repeat(40),
    pulls: [{ number, author, sha, title: `Change ${number}` }],
  };
}

async function addJob(job: ProwJob, finalState?: 'success' | 'failure' | 'pending', log?: string): Promise<ProwJob> {
  const name = job.metadata.name ?? '';
  await store.jobs.create(job, { idempotencyKey: `test/${name}` });
  clock += 1000;
  if (!finalState) return (await store.jobs.get(name))!.job;
  const buildId = `${clock}`;
  let stored = await store.jobs.update(name, { state: 'pending', status: { build_id: buildId, pod_name: name } }, 'latest');
  if (finalState !== 'pending') stored = await store.jobs.update(name, { state: finalState, status: { description: `Job ${finalState}.` } }, 'latest');
  const dirPath = jobArtifactsDir(stored.job, buildId);
  if (log !== undefined && finalState !== 'pending') await artifacts.write(`${dirPath}build-log.txt`, log);
  return stored.job;
}

function presubmit(name: string, job: 'unit' | 'lint', number: number, author: string, sha: string): ProwJob {
  const definition = CONFIG.presubmits.get('acme/widgets')?.find((candidate) => candidate.name === job);
  return newPresubmitJob(definition!, pull(number, author, sha), { name, now: new Date(clock), config: CONFIG });
}

let failed: ProwJob;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutwater-status-'));
  store = EmbeddedStore.open({ now: () => clock });
  artifacts = new DiskArtifactStore(dir);
  auth = statusAuthFromEnv({ STATUS_SESSION_SECRET: 's'.repeat(40) }, {});
  const listener = statusListener({
    store,
    artifacts,
    log: memoryLogger(),
    config: staticConfigSource(CONFIG),
    auth,
    now: () => clock,
    stream: { pollMs: 20, keepAliveMs: 1_000 },
    liveLog: async (name) => liveLogs.get(name),
  });
  ({ server, base } = await serveListener(listener));

  for (let index = 0; index < 60; index++) await addJob(presubmit(`lint-${index}`, 'lint', 100 + (index % 3), 'carol', 'c'.repeat(40)), 'success', 'ok\n');
  failed = await addJob(presubmit('unit-failed', 'unit', 7, 'bob', 'a'.repeat(40)), 'failure', `${'\u001b[32mPASS\u001b[0m step\n'.repeat(200)}<script>alert(1)</script>\nFAIL TestParseWidget\n`);
  await artifacts.write(`${jobArtifactsDir(failed, failed.status!.build_id!)}artifacts/junit_unit.xml`, JUNIT);
  await artifacts.write(`${jobArtifactsDir(failed, failed.status!.build_id!)}artifacts/report.html`, '<title>Report</title><script>alert("x")</script>');
  await artifacts.write(`${jobArtifactsDir(failed, failed.status!.build_id!)}artifacts/core.bin`, Buffer.from([0, 1, 2]));
  await artifacts.write(`${jobArtifactsDir(failed, failed.status!.build_id!)}artifacts/chart.svg`, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  await artifacts.write(`${jobArtifactsDir(failed, failed.status!.build_id!)}artifacts/shot.PNG`, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await addJob(presubmit('unit-running', 'unit', 7, 'bob', 'a'.repeat(40)), 'pending');
  const periodic = CONFIG.periodics[0]!;
  await addJob(newPeriodicJob(periodic, { name: 'nightly-1', now: new Date(clock), config: CONFIG }), 'success', 'nightly\n');
  const vault = CONFIG.presubmits.get('secret-org/vault')![0]!;
  await addJob(newPresubmitJob(vault, { org: 'secret-org', repo: 'vault', base_ref: 'main', pulls: [{ number: 1, author: 'eve', sha: 'e'.repeat(40) }] }, { name: 'vault-1', now: new Date(clock), config: CONFIG }), 'failure', 'classified\n');
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${base}${pathAndQuery}`, { headers, redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function rowsOf(html: string): string[] {
  const body = /<tbody id="job-rows">([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/href="\/view\/([^"]+)"/g)].map((match) => decodeURIComponent(match[1] ?? ''));
}

describe('the job list', () => {
  it('shows the newest jobs first, a page at a time, with a link to the next page', async () => {
    const first = await get('/');
    expect(first.status).toBe(200);
    const rows = rowsOf(first.text);
    expect(rows).toHaveLength(50);
    expect(rows[0]).toBe('nightly-1');
    expect(first.text).toContain('<h1>Jobs</h1>');
    const next = /<a rel="next" href="([^"]+)"/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    const second = rowsOf((await get(next!)).text);
    expect(second.some((name) => rows.includes(name))).toBe(false);
    expect(second.length).toBeGreaterThan(0);
  });

  it('filters by job, state, author and PR, keeping the filters in the form', async () => {
    const page = await get('/?job=unit&state=failure&repo=&author=bob&pull=7');
    expect(rowsOf(page.text)).toEqual(['unit-failed']);
    expect(page.text).toContain('name="job" value="unit"');
    expect(page.text).toMatch(/<option selected>failure<\/option>/);
    expect(rowsOf((await get('/?author=carol&pull=101')).text)).toHaveLength(20);
  });

  it('searches free text within a bounded scan and says how much it read', async () => {
    const page = await get('/?text=TestParse%20unit');
    expect(rowsOf(page.text)).toEqual([]);
    const byAuthor = await get('/?text=bob');
    expect(rowsOf(byAuthor.text)).toEqual(['unit-running', 'unit-failed']);
    expect(byAuthor.text).toMatch(/Searched \d+ jobs\./);
  });

  it('explains a bad filter instead of failing', async () => {
    const page = await get('/?repo=not-a-repo&state=sideways');
    expect(page.status).toBe(400);
    expect(page.text).toContain('repo must be org/repo');
    expect(page.text).toContain('state');
  });

  it('serves the rows alone for auto-refresh', async () => {
    const fragment = await get('/?job=unit&fragment=rows');
    expect(fragment.text.startsWith('<tr>')).toBe(true);
    expect(fragment.text).not.toContain('<html');
  });

  it('never shows hidden repositories, in the list, by name, or in prowjobs.js', async () => {
    expect(rowsOf((await get('/?limit=500')).text)).not.toContain('vault-1');
    // Nor among the job list's choices from the config.
    const list = (await get('/')).text;
    expect(list).toContain('<option value="unit">');
    expect(list).not.toContain('vault-unit');
    expect((await get('/view/vault-1')).status).toBe(404);
    expect((await get('/?repo=secret-org/vault')).text).not.toContain('vault-1');
    const json = JSON.parse((await get('/prowjobs.js?limit=1000')).text) as { items: ProwJob[] };
    expect(json.items.map((job) => job.metadata.name)).not.toContain('vault-1');
    expect(json.items.length).toBeGreaterThan(60);
    expect((await get('/pr-history?org=secret-org&repo=vault&pr=1')).status).toBe(404);
  });
});

describe("a failed job's page", () => {
  it('puts the failed test and its message before the build log, and escapes the log', async () => {
    const page = await get('/view/unit-failed');
    expect(page.status).toBe(200);
    const failures = page.text.indexOf('Failed tests');
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(page.text.indexOf('Build log'));
    expect(page.text.slice(failures, page.text.indexOf('Build log'))).toContain('expected 3 widgets, got 2');
    expect(page.text).toContain('TestParseWidget');
    expect(page.text).toContain('3 tests, 1 failed, 0 skipped');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).toContain('id="L202"');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('links its artifacts; text opens as text, anything else downloads, nothing escapes the run', async () => {
    const page = await get('/view/unit-failed');
    expect(page.text).toContain('/view/unit-failed/artifacts/artifacts/junit_unit.xml');
    const xml = await get('/view/unit-failed/artifacts/artifacts/junit_unit.xml');
    expect(xml.headers.get('content-type')).toContain('text/plain');
    expect(xml.text).toContain('TestParseWidget');
    const binary = await get('/view/unit-failed/artifacts/artifacts/core.bin');
    expect(binary.headers.get('content-disposition')).toContain('attachment');
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect((await get('/view/unit-failed/artifacts/..%2F..%2Fetc%2Fpasswd')).status).toBe(400);
  });

  it('shows the lenses: images and HTML reports from the artifact route, sandboxed, typed, never sniffed', async () => {
    const page = await get('/view/unit-failed');
    expect(page.text).toContain('id="lens-links"');
    expect(page.text).toContain('<img src="/view/unit-failed/artifacts/artifacts/chart.svg"');
    expect(page.text).toContain('<iframe sandbox src="/view/unit-failed/artifacts/artifacts/report.html" title="Report"');
    expect(page.text).not.toContain('<script>alert');
    expect(page.headers.get('content-security-policy')).toContain("frame-src 'self'");

    const svg = await get('/view/unit-failed/artifacts/artifacts/chart.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
    expect(svg.headers.get('content-security-policy')).toMatch(/(^|; )sandbox($|;)/);
    expect(svg.headers.get('content-security-policy')).not.toContain('script-src');

    const png = await get('/view/unit-failed/artifacts/artifacts/shot.PNG');
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('content-disposition')).toBeNull();

    const report = await get('/view/unit-failed/artifacts/artifacts/report.html');
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(report.headers.get('x-content-type-options')).toBe('nosniff');
    const policy = report.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/(^|; )sandbox($|;)/);
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toMatch(/script-src|allow-scripts|allow-same-origin/);
  });

  it('serves the raw log and the job history with a chart', async () => {
    const raw = await get(`/log?job=unit&id=${failed.status!.build_id}`);
    expect(raw.text).toContain('FAIL TestParseWidget');
    const history = await get('/job-history/unit');
    expect(history.text).toMatch(/<svg class="chart" role="img" aria-label="2 runs, 0 of 1 finished runs passed/);
    expect(history.text).toContain('/view/unit-failed');
    expect((await get('/job-history/gs/my-bucket/pr-logs/directory/unit')).text).toContain('/view/unit-failed');
  });

  it('groups a PR history by commit', async () => {
    const page = await get('/pr-history?org=acme&repo=widgets&pr=7');
    expect(page.text).toContain('<h1>acme/widgets #7</h1>');
    expect(page.text).toContain('aaaaaaaaaa');
    expect(page.text).toContain('0 of 1 jobs passing');
  });
});

function cookieOf(setCookie: string | null): string {
  return (setCookie ?? '').split(/,(?=\s*\w+=)/).map((cookie) => cookie.split(';')[0]?.trim()).join('; ');
}

async function formFor(name: string, cookie = ''): Promise<{ token: string; cookie: string; requestId: string }> {
  const page = await get(`/view/${name}`, cookie ? { cookie } : {});
  const token = /name="csrf_token" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const requestId = /name="request_id" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const issued = cookieOf(page.headers.get('set-cookie'));
  return { token, cookie: [cookie, issued].filter(Boolean).join('; '), requestId };
}

async function post(pathAndQuery: string, form: Record<string, string>, cookie: string): Promise<{ status: number; text: string; location: string | null }> {
  const response = await fetch(`${base}${pathAndQuery}`, {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: base },
    redirect: 'manual',
  });
  return { status: response.status, text: await response.text(), location: response.headers.get('location') };
}

async function countRuns(job: string): Promise<number> {
  return (await store.jobs.list({ job }, { limit: 1000 })).jobs.length;
}

describe('rerun and abort', () => {
  it('refuses a form without its CSRF token', async () => {
    const alice = cookieOf(auth.sessions.sessionCookie('alice'));
    const before = await countRuns('unit');
    const refused = await post('/rerun?prowjob=unit-failed', {}, alice);
    expect(refused.status).toBe(403);
    expect(await countRuns('unit')).toBe(before);
  });

  it('refuses a rerun to someone signed out or not in rerun_auth_configs', async () => {
    const before = await countRuns('unit');
    const anonymous = await formFor('unit-failed');
    const signedOut = await post('/rerun?prowjob=unit-failed', { csrf_token: anonymous.token, request_id: anonymous.requestId }, anonymous.cookie);
    expect(signedOut.status).toBe(401);
    expect(signedOut.text).toContain('You are not allowed to rerun this job');
    const bobCookie = cookieOf(auth.sessions.sessionCookie('bob'));
    const bob = await formFor('unit-failed', bobCookie);
    const refused = await post('/rerun?prowjob=unit-failed', { csrf_token: bob.token, request_id: bob.requestId }, bob.cookie);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('signed in as bob');
    expect(await countRuns('unit')).toBe(before);
  });

  it('lets an authorised user rerun once per click, recording who asked', async () => {
    const before = await countRuns('unit');
    const alice = await formFor('unit-failed', cookieOf(auth.sessions.sessionCookie('alice')));
    const done = await post('/rerun?prowjob=unit-failed', { csrf_token: alice.token, request_id: alice.requestId }, alice.cookie);
    expect(done.status).toBe(303);
    const again = await post('/rerun?prowjob=unit-failed', { csrf_token: alice.token, request_id: alice.requestId }, alice.cookie);
    expect(again.location).toBe(done.location);
    expect(await countRuns('unit')).toBe(before + 1);
    const page = await get(done.location!);
    expect(page.text).toContain('Rerun of unit-failed by alice');
    const name = decodeURIComponent(done.location!.replace('/view/', ''));
    const rerun = (await store.jobs.get(name))!.job;
    expect(rerun.spec.refs?.pulls?.[0]?.sha).toBe('a'.repeat(40));
    expect(rerun.status?.state).toBe('triggered');
  });

  it('aborts a running job for an authorised user and says who did', async () => {
    const alice = await formFor('unit-running', cookieOf(auth.sessions.sessionCookie('alice')));
    expect((await get('/view/unit-running', { cookie: alice.cookie })).text).toContain('>Abort</button>');
    const done = await post('/abort?prowjob=unit-running', { csrf_token: alice.token }, alice.cookie);
    expect(done.status).toBe(303);
    const job = (await store.jobs.get('unit-running'))!.job;
    expect(job.status?.state).toBe('aborted');
    expect(job.status?.description).toBe('alice successfully aborted unit-running.');
  });
});

describe('a running job', () => {
  it('streams its log as it grows and ends with the final state', async () => {
    const job = await addJob(presubmit('unit-live', 'unit', 8, 'bob', 'f'.repeat(40)), 'pending');
    liveLogs.set('unit-live', 'line one\npartial');
    const page = await get('/view/unit-live');
    expect(page.text).toContain('line one');
    expect(page.text).not.toContain('partial');
    const streamUrl = /data-stream="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
    expect(streamUrl).toBeDefined();
    const response = await fetch(`${base}${streamUrl}`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let received = '';
    const read = async (until: string) => {
      while (!received.includes(until)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        received += new TextDecoder().decode(chunk.value);
      }
    };
    liveLogs.set('unit-live', 'line one\npartial line done\n\u001b[31mline three\u001b[0m\n');
    await read('line three');
    expect(received).toContain('event: lines');
    expect(received).toContain('id="L2"');
    expect(received).toContain('partial line done');
    expect(received).not.toContain('line one');
    await store.jobs.update(job.metadata.name!, { state: 'success' }, 'latest');
    liveLogs.delete('unit-live');
    await read('event: end');
    expect(received).toMatch(/event: end\ndata: success/);
  });
});

describe('the URLs served', () => {
  it('leaves unknown paths and methods a page does not take to the host, and says 405 on the sign-in paths', async () => {
    expect(await get('/no-such-page')).toMatchObject({ status: 404, text: 'not served' });
    expect(await get('/plugins/')).toMatchObject({ status: 404, text: 'not served' });
    expect(await get('/static/nope.js')).toMatchObject({ status: 404, text: 'not served' });
    expect((await fetch(`${base}/`, { method: 'DELETE' })).status).toBe(404);
    const logout = await get('/logout');
    expect(logout.status).toBe(405);
    expect(logout.headers.get('allow')).toBe('POST');
    expect((await fetch(`${base}/github-login`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 400, saying why, for a path whose percent-encoding does not decode, on every route', async () => {
    const malformed = [
      '/view/%E0%A4%A',
      '/view/%E0%A4%A/stream',
      '/view/unit-failed/artifacts/%zz.txt',
      '/api/prowjobs/%E0',
      '/job-history/%E0%A4%A',
      '/job-history/gs/my-bucket/logs/%',
      '/configured-jobs/%E0%A4%A/widgets',
      '/static/%ff',
      '/no-such-page/%C0',
    ];
    for (const path of malformed) {
      const answer = await get(path);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(answer.text).toMatch(/percent-encoding/);
    }
    // A well-formed encoding still reaches its page.
    expect((await get('/view/unit%2Dfailed')).status).toBe(200);
  });

  it('answers 400 for a request target that is not a path', async () => {
    const { port } = server.address() as AddressInfo;
    const raw = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    expect(await raw('http://[::1')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw('*')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('serves a small SVG tab icon that every page links, and answers /favicon.ico with it instead of 404', async () => {
    const page = await get('/');
    expect(page.text).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const icon = await get(path);
      expect({ path, status: icon.status, type: icon.headers.get('content-type') }).toEqual({ path, status: 200, type: 'image/svg+xml' });
      expect(icon.text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>$/);
      expect(icon.text.length).toBeLessThan(1024);
    }
  });

  it('tells browsers not to sniff any answer, JSON included', async () => {
    for (const path of ['/prowjobs.js', '/api/prowjobs/unit-failed', '/health.json', '/', '/view/%E0']) {
      expect({ path, nosniff: (await get(path)).headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
    }
  });
});
