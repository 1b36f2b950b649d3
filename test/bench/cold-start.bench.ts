import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/emulators';

/**
 * Cold starts (issue 22): each built function in a fresh Node process through the Functions
 * Framework's own command line, from spawning the process to the answer to its first request, as
 * Cloud Run starts an instance for a request. HTTP functions get `GET /healthz`; CloudEvent
 * functions a CloudEvent with an empty message, which they refuse or acknowledge without calling
 * Google. The Framework serving a function that only answers "ok" is the baseline. Functions and
 * baseline are measured in turns (baseline, each function, baseline, ...) so that a busy spell on
 * this shared machine falls on all alike; each figure is the median of BENCH_COLD_RUNS (default 5).
 *
 * What this does not count: a request's own first use of what it loads lazily (a function's first
 * config load imports the config loader and the Kubernetes schema, and reads the config).
 */
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
// The `functions-framework` command (the package's bin), which its exports map does not list.
const FRAMEWORK_MAIN = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');
const BASELINE = 'framework-alone';

interface Target {
  readonly name: string;
  readonly source: string;
  readonly kind: 'http' | 'cloudevent';
}

export async function benchColdStart(): Promise<string> {
  // Always the code under test, never a stale dist/.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  const functionsDir = path.join(ROOT, 'dist/functions');
  const baselineDir = path.join(ROOT, 'dist/cold-start-baseline');
  writeBaseline(baselineDir);
  const targets: Target[] = [{ name: BASELINE, source: baselineDir, kind: 'http' }];
  for (const name of readdirSync(functionsDir).sort()) {
    const source = path.join(functionsDir, name);
    const code = readFileSync(path.join(source, 'index.js'), 'utf8');
    targets.push({ name, source, kind: /\bcloudEvent\(\s*['"]/.test(code) ? 'cloudevent' : 'http' });
  }
  const samples = new Map<string, number[]>(targets.map((target) => [target.name, []]));
  const answers = new Map<string, number>();
  try {
    for (let round = 0; round < RUNS; round++) {
      for (const target of targets) {
        const { ms, status } = await coldStart(target);
        samples.get(target.name)?.push(ms);
        answers.set(target.name, status);
      }
    }
  } finally {
    rmSync(baselineDir, { recursive: true, force: true });
  }
  const median = (name: string): number => {
    const sorted = [...(samples.get(name) ?? [])].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const baseline = median(BASELINE);
  const rows = targets.map((target) => {
    const ms = median(target.name);
    const all = samples.get(target.name) ?? [];
    const ratio = ms / baseline;
    const verdict = target.name === BASELINE ? '' : ratio <= 3 ? 'yes' : 'NO';
    const request = target.kind === 'http' ? 'GET /healthz' : 'CloudEvent, empty message';
    return `| ${target.name} | ${request} → ${answers.get(target.name)} | ${ms.toFixed(0)} | ${Math.min(...all).toFixed(0)}–${Math.max(...all).toFixed(0)} | ${ratio.toFixed(2)}× | ${verdict} |`;
  });
  return [
    `### Cold starts: fresh process through the Functions Framework to its first answer (median of ${RUNS})`,
    '',
    '| function | first request → status | median ms | range ms | × Framework alone | within 3× |',
    '|---|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

function writeBaseline(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "main": "index.js" }\n');
  writeFileSync(
    path.join(dir, 'index.js'),
    `import { http } from '@google-cloud/functions-framework';\nhttp('${BASELINE}', (request, response) => { response.send('ok'); });\n`,
  );
}

async function coldStart(target: Target): Promise<{ ms: number; status: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [FRAMEWORK_MAIN, `--target=${target.name}`, `--source=${target.source}`, `--port=${port}`], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      // Nothing here may reach Google: a project for the clients, emulator hosts nobody listens on.
      GOOGLE_CLOUD_PROJECT: 'cutwater-cold-start',
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:9',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
      STATUS_SESSION_SECRET: 'cold-start-bench-secret',
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${target.name} exited (${code}) before answering: ${stderr.slice(0, 2000)}`))),
  );
  try {
    const status = await Promise.race([firstAnswer(target, port), exited]);
    return { ms: performance.now() - started, status };
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }
}

/** Sends the request until the process listens; resolves with the status of the first answer. */
async function firstAnswer(target: Target, port: number): Promise<number> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      return await send(target, port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

function send(target: Target, port: number): Promise<number> {
  const body = target.kind === 'http' ? '' : JSON.stringify({ message: { data: '', messageId: 'cold-start' }, subscription: 'cold-start' });
  const headers: Record<string, string> =
    target.kind === 'http'
      ? {}
      : {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'cold-start',
          'ce-source': '//pubsub.googleapis.com/projects/cutwater-cold-start/topics/cold-start',
          'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
        };
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method: target.kind === 'http' ? 'GET' : 'POST', path: target.kind === 'http' ? '/healthz' : '/', headers },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}
