import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { issueComment, pullRequest, push } from '../support/payloads';
import { signedHeaders } from '../support/signing';
import type { ServerKind } from './webhook-server';

/**
 * Webhook acknowledgement under load (issue 15, "ack speed"): Cutwater's local-mode `POST /hook`
 * (verify, dedupe in the embedded store, publish to the in-process bus, whose journal is fsynced
 * before the 200), a real Probot app, and @octokit/webhooks' bare verify-and-parse middleware (the
 * floor), each in its own process, driven with the same load by autocannon: keep-alive
 * connections sending real payloads, each with a fresh delivery ID, for a fixed duration.
 *
 * The machines are shared and noisy, so the three are measured in turns of a few seconds each
 * (floor, Probot, Cutwater, floor, ...) rather than one after the other: a busy spell then falls
 * on all three alike, and the ratios compare like with like.
 *
 * The servers run as built JavaScript, not through tsx: Probot and @octokit/webhooks are their
 * published builds, and Cutwater is bundled by esbuild as `npm run build` bundles `cutwater local`.
 * Under tsx, Cutwater's TypeScript alone went through a development transpiler (whose keep-names
 * wrapper runs on every closure created), which the other two never did.
 *
 * BENCH_WEBHOOK_SECONDS (default 10) sets each server's measured time, BENCH_WEBHOOK_TURN_SECONDS
 * (default 2) the length of a turn, BENCH_WEBHOOK_CONNECTIONS (default 16) the concurrency. Each
 * server is warmed up first. BENCH_WEBHOOK_NODE_FLAGS adds Node flags to the servers, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them.
 */
const SECRET = 'bench-secret-0c1f';
const WEBHOOK_PATH = '/hook';
const SECONDS = positiveNumber('BENCH_WEBHOOK_SECONDS', 10);
const TURN_SECONDS = Math.min(SECONDS, positiveNumber('BENCH_WEBHOOK_TURN_SECONDS', 2));
const TURNS = Math.max(1, Math.round(SECONDS / TURN_SECONDS));
const CONNECTIONS = positiveNumber('BENCH_WEBHOOK_CONNECTIONS', 16);
const WARM_UP_SECONDS = Math.min(3, SECONDS);

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return value;
}

interface Sample {
  event: string;
  body: string;
}

function samples(): Sample[] {
  return [
    { event: 'issue_comment', body: JSON.stringify(issueComment({ commenter: 'alice', comment: '/lgtm\n/hold' })) },
    { event: 'pull_request', body: JSON.stringify(pullRequest('synchronize', { number: 12 })) },
    { event: 'push', body: JSON.stringify(push({ files: ['main.go'] })) },
  ];
}

interface LoadResult {
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  /** The server process's CPU time (all its threads) per delivery, in µs. */
  cpuPerDelivery: number;
}

/** The 2xx latencies of one or more runs, how long they ran, and the server's CPU time meanwhile. */
interface Measured {
  latencies: number[];
  seconds: number;
  cpuMicros: number;
}

function summarise(measured: Measured): LoadResult {
  const sorted = Float64Array.from(measured.latencies).sort();
  return {
    deliveriesPerSecond: sorted.length / measured.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuPerDelivery: measured.cpuMicros / sorted.length,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

let deliveries = 0;

/** Runs autocannon for `seconds`; latencies are kept per response, unrounded (autocannon's own histogram is in whole ms). */
async function load(url: string, seconds: number): Promise<Measured> {
  const requests = samples().map((sample) => {
    const signed = signedHeaders(SECRET, sample.event, sample.body, 'unset');
    return {
      method: 'POST' as const,
      path: WEBHOOK_PATH,
      body: sample.body,
      headers: signed,
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        headers: { ...signed, 'x-github-delivery': `bench-${process.pid}-${deliveries++}` },
      }),
    };
  });
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, pipelining: 1, duration: seconds, requests }, (error, finished) =>
      error ? reject(error as Error) : resolve(finished),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { latencies, seconds, cpuMicros: 0 };
}

/**
 * CPU time per delivery is the figure to compare on a shared machine: throughput and latency move
 * with whatever else runs, a server's own cost much less.
 */
async function cpuMicrosOf(child: ChildProcess): Promise<number> {
  const answer = new Promise<number>((resolve) => {
    const listen = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !('cpuMicros' in message)) return;
      child.off('message', listen);
      resolve(Number(message.cpuMicros));
    };
    child.on('message', listen);
  });
  child.send('cpu');
  return answer;
}

/**
 * webhook-server.ts and Cutwater's code bundled into one ES module with the options of
 * scripts/build.mjs, npm packages left as imports. Written under node_modules/.cache so that those
 * imports resolve from the repository's node_modules.
 */
async function buildServer(): Promise<{ file: string; remove: () => void }> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cache = path.join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'bench-webhook-'));
  const file = path.join(dir, 'webhook-server.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [fileURLToPath(new URL('./webhook-server.ts', import.meta.url))],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function startServer(kind: ServerKind, script: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(script, [kind, SECRET, WEBHOOK_PATH], {
    execArgv: (process.env['BENCH_WEBHOOK_NODE_FLAGS'] ?? '').split(' ').filter(Boolean),
    // stdout is where Cutwater's structured logs go; written, as in production, but not kept.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code}) before listening`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function stopServer(kind: ServerKind, child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.send('stop');
  const code = await exited;
  if (code !== 0) throw new Error(`the ${kind} server exited with ${code} on stop`);
}

const KINDS: readonly ServerKind[] = ['floor', 'probot', 'cutwater'];

async function measureInTurns(): Promise<Record<ServerKind, LoadResult>> {
  const servers: { kind: ServerKind; child: ChildProcess; url: string; measured: Measured }[] = [];
  const script = await buildServer();
  try {
    for (const kind of KINDS) {
      servers.push({ kind, ...(await startServer(kind, script.file)), measured: { latencies: [], seconds: 0, cpuMicros: 0 } });
    }
    for (const server of servers) await load(server.url, WARM_UP_SECONDS);
    for (let turn = 0; turn < TURNS; turn++) {
      for (const server of servers) {
        const cpuBefore = await cpuMicrosOf(server.child);
        const { latencies, seconds } = await load(server.url, TURN_SECONDS);
        server.measured.cpuMicros += (await cpuMicrosOf(server.child)) - cpuBefore;
        for (const latency of latencies) server.measured.latencies.push(latency);
        server.measured.seconds += seconds;
      }
    }
  } finally {
    for (const server of servers) await stopServer(server.kind, server.child);
    script.remove();
  }
  const result = (kind: ServerKind) => summarise((servers.find((server) => server.kind === kind) as { measured: Measured }).measured);
  return { floor: result('floor'), probot: result('probot'), cutwater: result('cutwater') };
}

export async function benchWebhook(): Promise<string> {
  const { floor, probot, cutwater } = await measureInTurns();

  const throughputRatio = cutwater.deliveriesPerSecond / probot.deliveriesPerSecond;
  const p99Ratio = cutwater.p99 / floor.p99;
  const mark = (pass: boolean) => (pass ? 'pass' : 'FAIL');
  const row = (name: string, result: LoadResult) =>
    `| ${name} | ${result.deliveriesPerSecond.toFixed(0)} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} | ${result.cpuPerDelivery.toFixed(0)} |`;
  const bytes = samples().reduce((total, sample) => total + sample.body.length, 0) / 3;
  return [
    `### Webhook acknowledgement under load (${CONNECTIONS} keep-alive connections; ${TURNS * TURN_SECONDS} s each, in turns of ${TURN_SECONDS} s, after ${WARM_UP_SECONDS} s warm-up; real payloads, ~${(bytes / 1024).toFixed(0)} KiB average)`,
    '',
    '| server | deliveries/s | p50 ms | p99 ms | server CPU µs per delivery |',
    '|---|---:|---:|---:|---:|',
    row('Cutwater `POST /hook`, local mode: verify, dedupe, publish (fsynced before the 200)', cutwater),
    row('Probot app (`app.on("issue_comment")`, Probot\'s Node middleware)', probot),
    row('floor: @octokit/webhooks Node middleware, verify and parse only', floor),
    '',
    `- throughput, Cutwater ÷ Probot: ${throughputRatio.toFixed(2)} (goal ≥ 1): ${mark(throughputRatio >= 1)}`,
    `- p99, Cutwater ÷ floor: ${p99Ratio.toFixed(2)} (goal ≤ 2): ${mark(p99Ratio <= 2)}`,
  ].join('\n');
}
