import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OwnDeletions } from '../../../runner/executor/own-deletions';
import { PodWatch } from '../../../runner/executor/pod-watch';
import { memoryLogger } from '../../../shared/log/logger';

/**
 * The pod watch against API servers that misbehave: ones whose watches end at once, and ones that
 * fail lists. (Its everyday work, resuming and relisting after 410, is tested through the
 * Kubernetes executor.) The informer under it stops at its first error; these pin that the watch
 * restarts it, without hammering the server, and that stopping ends it for good.
 */

const NAMESPACE = 'test-pods';

type Answer = (response: ServerResponse) => void;

function sendStatus(response: ServerResponse, code: number, reason: string): void {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `${reason} (test)` }));
}

const emptyList: Answer = (response) => {
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] }));
};

/** An API server whose list and watch answers a test chooses, recording when each request came. */
async function startStubApiServer(answers: { list: (count: number) => Answer; watch: (count: number) => Answer }) {
  const lists: number[] = [];
  const watches: number[] = [];
  const server = createServer((request, response) => {
    const isWatch = new URL(request.url ?? '/', 'http://stub').searchParams.get('watch') === 'true';
    const times = isWatch ? watches : lists;
    times.push(Date.now());
    (isWatch ? answers.watch : answers.list)(times.length)(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'stub', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'stub' }],
    contexts: [{ name: 'stub', cluster: 'stub', user: 'stub' }],
    currentContext: 'stub',
  });
  return {
    kubeConfig,
    lists,
    watches,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, index) => time - (times[index] ?? time));
}

describe('pod watch', () => {
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function watchOn(stub: Awaited<ReturnType<typeof startStubApiServer>>) {
    const api = stub.kubeConfig.makeApiClient(CoreV1Api);
    const log = memoryLogger();
    const statuses: string[] = [];
    const watch = new PodWatch({
      kubeConfig: stub.kubeConfig,
      namespace: NAMESPACE,
      labelSelector: 'created-by-prow=true',
      listPods: async () => {
        const list = await api.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'created-by-prow=true' });
        return { pods: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
      },
      ownDeletions: new OwnDeletions(),
      log,
      listener: (status) => statuses.push(status.jobName),
      onVanished: () => undefined,
    });
    watch.start();
    cleanups.push(() => watch.stop());
    return { watch, log, statuses };
  }

  it('resumes watches a server ends at once no more than once a second, without listing again', async () => {
    const stub = await startStubApiServer({
      list: () => emptyList,
      watch: () => (response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end();
      },
    });
    cleanups.push(stub.close);
    await watchOn(stub);
    await new Promise((resolve) => setTimeout(resolve, 3_500));

    expect(stub.watches.length).toBeGreaterThanOrEqual(2);
    expect(stub.watches.length).toBeLessThanOrEqual(4);
    // Attempts start a second apart; when each reaches the server varies with the machine's load.
    for (const gap of gaps(stub.watches)) expect(gap).toBeGreaterThanOrEqual(700);
    expect(stub.lists).toHaveLength(1);
  });

  it('retries failing lists with a growing backoff, then watches once a list succeeds', async () => {
    const stub = await startStubApiServer({
      list: (count) => (count <= 3 ? (response) => sendStatus(response, 500, 'InternalError') : emptyList),
      // Held open, as a healthy watch is.
      watch: () => (response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.flushHeaders();
      },
    });
    cleanups.push(stub.close);
    const { log } = await watchOn(stub);
    await vi.waitFor(() => expect(stub.watches).toHaveLength(1), { timeout: 15_000, interval: 20 });

    expect(stub.lists).toHaveLength(4);
    const [first, second, third] = gaps(stub.lists) as [number, number, number];
    // Backoffs of 0.5, 1 and 2 s, and never two attempts within a second (less a margin for when
    // each request reaches the server on a loaded machine).
    expect(first).toBeGreaterThanOrEqual(700);
    expect(second).toBeGreaterThanOrEqual(700);
    expect(third).toBeGreaterThanOrEqual(1_700);
    expect(first + second + third).toBeGreaterThanOrEqual(3_700);
    expect(log.entries.filter((entry) => entry.message === 'pod watch failed; retrying').map((entry) => entry.failures)).toEqual([1, 2, 3]);
  });

  it('stops for good while waiting to retry', async () => {
    const stub = await startStubApiServer({ list: () => (response) => sendStatus(response, 503, 'ServiceUnavailable'), watch: () => emptyList });
    cleanups.push(stub.close);
    const { watch } = await watchOn(stub);
    await vi.waitFor(() => expect(stub.lists).toHaveLength(1), { timeout: 5_000, interval: 10 });
    watch.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(stub.lists).toHaveLength(1);
    expect(stub.watches).toHaveLength(0);
  });
});
