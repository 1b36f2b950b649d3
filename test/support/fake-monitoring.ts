import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Cloud Monitoring API v3 over HTTP: it records what it was asked and answers
 * as Google does (int64 values as decimal strings, one time series per subscription, Google's
 * error JSON), with whatever the test sets as its answer.
 */

export const UNDELIVERED_METRIC = 'pubsub.googleapis.com/subscription/num_undelivered_messages';
export const OLDEST_AGE_METRIC = 'pubsub.googleapis.com/subscription/oldest_unacked_message_age';

export interface MonitoringRequest {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export type MonitoringAnswer = (asked: MonitoringRequest) => { status: number; body: unknown; delayMs?: number };

export interface FakeMonitoring {
  base: string;
  asked: MonitoringRequest[];
  answer: MonitoringAnswer;
  close(): Promise<void>;
}

/** A sample taken `secondsAgo` before `now`. */
export function monitoringPoint(now: number, secondsAgo: number, value: number): unknown {
  const at = new Date(now - secondsAgo * 1000).toISOString();
  return { interval: { startTime: at, endTime: at }, value: { int64Value: String(value) } };
}

export function subscriptionSeries(subscription: string, points: unknown[], project = 'cutwater-prod'): unknown {
  return {
    metric: { type: 'ignored' },
    resource: { type: 'pubsub_subscription', labels: { project_id: project, subscription_id: subscription } },
    metricKind: 'GAUGE',
    valueType: 'INT64',
    points,
  };
}

/** Answers with `undelivered` or `oldest` by the metric the request's filter names. */
export function byMetric(undelivered: unknown[], oldest: unknown[]): MonitoringAnswer {
  return ({ query }) => {
    const filter = query.get('filter') ?? '';
    if (filter.includes(UNDELIVERED_METRIC)) return { status: 200, body: { timeSeries: undelivered, unit: '1' } };
    if (filter.includes(OLDEST_AGE_METRIC)) return { status: 200, body: { timeSeries: oldest, unit: 's' } };
    return { status: 400, body: { error: { code: 400, message: `unexpected filter ${filter}`, status: 'INVALID_ARGUMENT' } } };
  };
}

export const PERMISSION_DENIED: MonitoringAnswer = () => ({
  status: 403,
  body: { error: { code: 403, message: 'Permission monitoring.timeSeries.list denied (or the resource may not exist).', status: 'PERMISSION_DENIED' } },
});

export async function startFakeMonitoring(): Promise<FakeMonitoring> {
  const fake: Omit<FakeMonitoring, 'base' | 'close'> = { asked: [], answer: () => ({ status: 200, body: {} }) };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const entry = { path: url.pathname, query: url.searchParams, authorization: request.headers.authorization };
    fake.asked.push(entry);
    const { status, body, delayMs } = fake.answer(entry);
    setTimeout(() => {
      if (!response.destroyed) response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }, delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
