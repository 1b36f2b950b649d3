import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createNodeMiddleware as octokitMiddleware, Webhooks } from '@octokit/webhooks';
import { createNodeMiddleware as probotMiddleware, Probot } from 'probot';
import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS } from '../../shared/bus/bus';
import { InProcessBus } from '../../shared/bus/in-process';
import { createLogger } from '../../shared/log/logger';
import { EmbeddedStore } from '../../shared/store/embedded';
import { webhookListener } from '../../shared/webhook/http';

/**
 * One webhook server for webhook.bench.ts, in its own process so the load generator's CPU is not
 * the server's: `cutwater` (local mode's `POST /hook` with its store and bus journaled and fsynced
 * on disk, as `cutwater local` runs them), `probot` (a real Probot app, served by Probot's own
 * middleware) or `floor` (@octokit/webhooks' middleware, verify and parse only).
 *
 * Arguments: kind, webhook secret, webhook path. Tells its parent `{ port }` over IPC once
 * listening; answers the message `cpu` with `{ cpuMicros }`, the CPU time the whole process (every
 * thread) has used so far; on the message `stop` it closes and exits.
 */
export type ServerKind = 'cutwater' | 'probot' | 'floor';

interface Running {
  listener: RequestListener;
  close: () => Promise<void>;
}

async function cutwater(secret: string): Promise<Running> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cutwater-bench-hook-'));
  const store = EmbeddedStore.open({ dataDir: path.join(dataDir, 'store') });
  const bus = new InProcessBus({ dataDir: path.join(dataDir, 'bus') });
  await bus.declare([TOPICS.githubEvents], [{ name: 'events', topic: TOPICS.githubEvents, ...DEFAULT_SUBSCRIPTION_POLICY }]);
  // Consumed and acknowledged at once, so the bus holds no backlog; acks are journaled as in local mode.
  await bus.subscribe('events', async () => undefined, { maxInFlight: 64 });
  // The real logger, writing to stdout as `cutwater local` does (the parent sends it to /dev/null).
  const hook = webhookListener({ secrets: [secret], deliveries: store.deliveries, bus, log: createLogger() });
  return {
    listener: (request, response) => void hook(request, response),
    close: async () => {
      await bus.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function probot(secret: string, webhooksPath: string): Promise<Running> {
  // Probot insists on App credentials; the app never calls GitHub, so a fresh key will do.
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const app = new Probot({ appId: 1, privateKey, secret });
  let comments = 0;
  const middleware = await probotMiddleware(
    (probotApp) => {
      probotApp.on('issue_comment', async () => {
        comments += 1;
      });
    },
    { probot: app, webhooksPath },
  );
  return {
    listener: (request, response) =>
      void middleware(request, response, () => {
        response.writeHead(404).end();
      }),
    close: async () => {
      if (comments === 0) throw new Error('the Probot app never saw an issue_comment');
    },
  };
}

async function floor(secret: string, webhookPath: string): Promise<Running> {
  const middleware = octokitMiddleware(new Webhooks({ secret }), { path: webhookPath });
  return { listener: (request, response) => void middleware(request, response), close: async () => undefined };
}

const SERVERS: Record<ServerKind, (secret: string, webhookPath: string) => Promise<Running>> = { cutwater, probot, floor };

async function main(): Promise<void> {
  const [kind, secret, webhookPath] = process.argv.slice(2);
  const start = SERVERS[kind as ServerKind];
  if (!start || !secret || !webhookPath) throw new Error('usage: webhook-server.ts cutwater|probot|floor SECRET PATH');
  const running = await start(secret, webhookPath);
  const server = createServer(running.listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMicros: user + system });
      return;
    }
    if (message !== 'stop') return;
    server.closeAllConnections();
    server.close();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  process.send?.({ port: (server.address() as AddressInfo).port });
}

await main();
