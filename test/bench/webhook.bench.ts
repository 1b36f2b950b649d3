import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, Webhooks } from '@octokit/webhooks';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS } from '../../shared/bus/bus';
import { InProcessBus } from '../../shared/bus/in-process';
import { createLogger } from '../../shared/log/logger';
import { EmbeddedStore } from '../../shared/store/embedded';
import { webhookListener } from '../../shared/webhook/http';
import { issueComment, pullRequest, push } from '../support/payloads';
import { signedHeaders } from '../support/signing';

/**
 * Webhook acknowledgement on one process: Cutwater's POST /hook (verify, dedupe in the embedded
 * store, publish to the in-process bus, answer) beside @octokit/webhooks' own Node middleware doing
 * only verify-and-parse on the same payloads over the same HTTP path — the floor.
 */
const SECRET = 'bench-secret-0c1f';
const SEQUENTIAL = 2_000;
const CONCURRENT = 6_000;
const CONCURRENCY = 32;

interface Prepared {
  event: string;
  body: string;
}

function payloads(): Prepared[] {
  const samples: Prepared[] = [
    { event: 'issue_comment', body: JSON.stringify(issueComment({ commenter: 'alice', comment: '/lgtm\n/hold' })) },
    { event: 'pull_request', body: JSON.stringify(pullRequest('synchronize', { number: 12 })) },
    { event: 'push', body: JSON.stringify(push({ files: ['main.go'] })) },
  ];
  return samples;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function serve(listener: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

async function drive(url: string): Promise<{ p50: number; p99: number; perSecond: number; bytes: number }> {
  const samples = payloads();
  let sequence = 0;
  const sendOne = async () => {
    const sample = samples[sequence % samples.length] as Prepared;
    const delivery = `bench-${process.pid}-${sequence++}`;
    const response = await fetch(url, { method: 'POST', headers: signedHeaders(SECRET, sample.event, sample.body, delivery), body: sample.body });
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`hook answered ${response.status}`);
  };
  for (let i = 0; i < 200; i++) await sendOne();
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const started = performance.now();
    await sendOne();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const started = performance.now();
  let remaining = CONCURRENT;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining-- > 0) await sendOne();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const bytes = samples.reduce((total, sample) => total + sample.body.length, 0) / samples.length;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: CONCURRENT / seconds, bytes };
}

export async function benchWebhook(): Promise<string> {
  const rows: string[] = [];

  const store = EmbeddedStore.open();
  const bus = new InProcessBus();
  await bus.declare([TOPICS.githubEvents], [{ name: 'events', topic: TOPICS.githubEvents, ...DEFAULT_SUBSCRIPTION_POLICY }]);
  // Consumed and acknowledged at once, so the bus holds no backlog during the run.
  await bus.subscribe('events', async () => undefined, { maxInFlight: 64 });
  const log = createLogger({ sink: () => undefined });
  const ours = await serve((request, response) => void webhookListener({ secrets: [SECRET], deliveries: store.deliveries, bus, log })(request, response));
  const cutwater = await drive(ours.url);
  ours.server.close();
  await bus.close();
  await store.close();

  const webhooks = new Webhooks({ secret: SECRET });
  const middleware = createNodeMiddleware(webhooks, { path: '/hook' });
  const floorServer = await serve((request, response) => void middleware(request, response));
  const floor = await drive(floorServer.url);
  floorServer.server.close();

  const row = (name: string, result: Awaited<ReturnType<typeof drive>>) =>
    `| ${name} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} | ${result.perSecond.toFixed(0)} |`;
  rows.push(row('Cutwater `POST /hook`: verify, dedupe (embedded store), publish (in-process bus), 200', cutwater));
  rows.push(row('floor: @octokit/webhooks Node middleware, verify and parse only', floor));
  return [
    `### Webhook acknowledgement on one process (${SEQUENTIAL} sequential deliveries for latency, ${CONCURRENT} at concurrency ${CONCURRENCY} for throughput; real payloads, ~${(cutwater.bytes / 1024).toFixed(0)} KiB average)`,
    '',
    '| server | p50 ms | p99 ms | deliveries/s |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
