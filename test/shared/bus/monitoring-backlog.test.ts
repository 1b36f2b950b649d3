import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { monitoringBacklogFromEnv, monitoringBacklogReader, type MonitoringBacklogOptions } from '../../../shared/bus/monitoring-backlog';
import {
  byMetric,
  monitoringPoint,
  OLDEST_AGE_METRIC,
  PERMISSION_DENIED,
  startFakeMonitoring,
  subscriptionSeries as series,
  UNDELIVERED_METRIC,
  type FakeMonitoring,
} from '../../support/fake-monitoring';

/**
 * The cloud's event backlog for /health: Cloud Monitoring's time series for the github-events
 * subscriptions, asked over HTTP of a fake Monitoring API (test/support/fake-monitoring.ts) that
 * records what it was asked and answers as Google does.
 */

const NOW = Date.parse('2026-11-20T10:00:00Z');
const TOKEN = 'ya29.secret-access-token';
const SUBSCRIPTIONS = [
  { name: 'events', topic: 'github-events' },
  { name: 'trigger', topic: 'github-events' },
] as const;

const point = (secondsAgo: number, value: number) => monitoringPoint(NOW, secondsAgo, value);

/** Both subscriptions, newest point first as Monitoring lists them. */
const healthyProject = byMetric(
  [series('events', [point(70, 12), point(130, 40)]), series('trigger', [point(70, 0)])],
  [series('events', [point(70, 420), point(130, 360)]), series('trigger', [point(70, 0)])],
);

let monitoring: FakeMonitoring;
let base: string;

beforeAll(async () => {
  monitoring = await startFakeMonitoring();
  base = monitoring.base;
});

afterAll(() => monitoring.close());

afterEach(() => {
  monitoring.asked.length = 0;
  monitoring.answer = () => ({ status: 200, body: {} });
});

function reader(overrides: Partial<MonitoringBacklogOptions> & { clock?: { now: number } } = {}) {
  const { clock, ...rest } = overrides;
  return monitoringBacklogReader({
    subscriptions: SUBSCRIPTIONS,
    project: 'cutwater-prod',
    baseUrl: base,
    accessToken: () => Promise.resolve(TOKEN),
    now: () => clock?.now ?? NOW,
    ...rest,
  });
}

describe('the Cloud Monitoring backlog reader', () => {
  it("asks once per metric for every subscription, signed, over the last five minutes, and takes each one's newest sample", async () => {
    monitoring.answer = healthyProject;
    const measured = await reader()();

    expect(measured.unmeasured).toEqual([]);
    expect(measured.subscriptions).toEqual([
      // 12 waiting at 09:58:50, the oldest 420 s old then, so published at 09:51:50.
      { subscription: 'events', topic: 'github-events', unacknowledged: 12, sampledAt: NOW - 70_000, oldestPublishedAt: NOW - 70_000 - 420_000 },
      // Nothing waiting: Pub/Sub's age of 0 means no oldest message.
      { subscription: 'trigger', topic: 'github-events', unacknowledged: 0, sampledAt: NOW - 70_000 },
    ]);

    expect(monitoring.asked).toHaveLength(2);
    for (const request of monitoring.asked) {
      expect(request.path).toBe('/v3/projects/cutwater-prod/timeSeries');
      expect(request.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.query.get('interval.endTime')).toBe('2026-11-20T10:00:00.000Z');
      expect(request.query.get('interval.startTime')).toBe('2026-11-20T09:55:00.000Z');
      expect(request.query.get('filter')).toContain('resource.labels.subscription_id = one_of("events", "trigger")');
      expect(request.query.get('filter')).toContain('resource.type = "pubsub_subscription"');
    }
    expect(monitoring.asked.map((request) => request.query.get('filter')?.match(/metric\.type = "([^"]+)"/)?.[1]).sort()).toEqual([UNDELIVERED_METRIC, OLDEST_AGE_METRIC].sort());
  });

  it('says which subscriptions Monitoring had no sample for', async () => {
    monitoring.answer = ({ query }) => {
      const filter = query.get('filter') ?? '';
      const value = filter.includes(UNDELIVERED_METRIC) ? 3 : 30;
      return { status: 200, body: { timeSeries: [series('events', [point(65, value)])] } };
    };
    const measured = await reader()();
    expect(measured.subscriptions).toEqual([{ subscription: 'events', topic: 'github-events', unacknowledged: 3, sampledAt: NOW - 65_000, oldestPublishedAt: NOW - 95_000 }]);
    expect(measured.unmeasured).toEqual(['trigger']);

    // No time series at all (Monitoring leaves the field out): every subscription is unmeasured.
    monitoring.answer = () => ({ status: 200, body: {} });
    expect(await reader()()).toEqual({ subscriptions: [], unmeasured: ['events', 'trigger'] });
  });

  it('keeps an answer for half a minute, so reloading the page does not spend quota', async () => {
    monitoring.answer = healthyProject;
    const clock = { now: NOW };
    const read = reader({ clock });
    await Promise.all([read(), read()]);
    await read();
    clock.now += 29_000;
    await read();
    expect(monitoring.asked).toHaveLength(2);
    clock.now += 1_000;
    await read();
    expect(monitoring.asked).toHaveLength(4);
  });

  it("names the missing role and permission when Monitoring refuses with 403, keeping Google's reason and never the token", async () => {
    monitoring.answer = PERMISSION_DENIED;
    const read = reader();
    const error = await read().then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toBe(
      "Cloud Monitoring refused the read (403 PERMISSION_DENIED): the status function's service account needs roles/monitoring.viewer on project cutwater-prod (permission monitoring.timeSeries.list): Permission monitoring.timeSeries.list denied (or the resource may not exist).",
    );
    expect(error?.message).not.toContain(TOKEN);
    // The refusal is remembered like an answer: a missing role fails alike on every reload.
    await expect(read()).rejects.toThrow(error?.message);
    expect(monitoring.asked).toHaveLength(2);
  });

  it('gives up after its deadline, and says so', async () => {
    monitoring.answer = () => ({ status: 200, body: {}, delayMs: 1_000 });
    await expect(reader({ deadlineMs: 100 })()).rejects.toThrow('Cloud Monitoring did not answer within 0.1 s');
  });

  it('reports an answer it cannot read, a server error and missing credentials in words', async () => {
    monitoring.answer = () => ({ status: 200, body: { timeSeries: 'not a list' } });
    await expect(reader()()).rejects.toThrow(/^Cloud Monitoring's answer was not a time-series list \(timeSeries: /);

    monitoring.answer = () => ({ status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } });
    await expect(reader()()).rejects.toThrow('Cloud Monitoring answered 503 UNAVAILABLE: The service is currently unavailable.');

    const noCredentials = reader({ accessToken: () => Promise.reject(new Error('Could not load the default credentials.')) });
    await expect(noCredentials()).rejects.toThrow("could not get an access token from Google's credentials: Could not load the default credentials.");
    // Two requests for each of the first two reads; none without a token.
    expect(monitoring.asked).toHaveLength(4);
  });

  it('takes the API origin from MONITORING_API_URL and the project from GOOGLE_CLOUD_PROJECT', async () => {
    monitoring.answer = healthyProject;
    const read = monitoringBacklogFromEnv({ MONITORING_API_URL: `${base}/`, GOOGLE_CLOUD_PROJECT: 'elsewhere' }, SUBSCRIPTIONS, {
      accessToken: () => Promise.resolve(TOKEN),
      now: () => NOW,
    });
    expect((await read()).subscriptions.map((subscription) => subscription.unacknowledged)).toEqual([12, 0]);
    expect(monitoring.asked.map((request) => request.path)).toEqual(['/v3/projects/elsewhere/timeSeries', '/v3/projects/elsewhere/timeSeries']);
  });
});
