import { GoogleAuth } from 'google-auth-library';
import { z } from 'zod';
import type { SubscriptionBacklog, TopicName } from './bus';

/**
 * The github-events subscriptions' backlog in the cloud, read from Cloud Monitoring (API v3,
 * `projects.timeSeries.list`) for the health page: Pub/Sub samples each subscription's
 * undelivered messages and its oldest unacknowledged message's age every minute, and the newest
 * sample of the last five minutes becomes the same `SubscriptionBacklog` the in-process bus
 * counts in local mode, so the page judges and renders both alike.
 *
 * One request per metric covers every subscription (`one_of` over their ids). A reader is waiting
 * for the page, so the whole read has a short deadline; and since the page may be reloaded often
 * and Monitoring reads cost quota, an answer (or a failure) is kept for half a minute. Failures are
 * thrown as one sentence for the page: never a stack, a header or a token.
 */

export const MONITORING_READ_SCOPE = 'https://www.googleapis.com/auth/monitoring.read';
const DEFAULT_BASE_URL = 'https://monitoring.googleapis.com';
const UNDELIVERED_METRIC = 'pubsub.googleapis.com/subscription/num_undelivered_messages';
const OLDEST_AGE_METRIC = 'pubsub.googleapis.com/subscription/oldest_unacked_message_age';
/** Pub/Sub samples every 60 s and publishes a sample up to 2 min later: five minutes holds a few. */
export const SAMPLE_WINDOW_MS = 5 * 60_000;
const DEFAULT_DEADLINE_MS = 2_000;
const DEFAULT_CACHE_MS = 30_000;
/** Google's own error message is shown shortened. */
const GOOGLE_MESSAGE_CHARS = 200;

/** What the health page shows: the subscriptions Monitoring had a sample for, and the others. */
export interface MeasuredBacklog {
  subscriptions: SubscriptionBacklog[];
  /** Subscriptions with no undelivered-messages sample in the window. */
  unmeasured: string[];
}

export interface MonitoringBacklogOptions {
  subscriptions: readonly { name: string; topic: TopicName }[];
  /** Omitted, Google's libraries find it (GOOGLE_CLOUD_PROJECT, the metadata server…). */
  project?: string;
  /** The Monitoring API's origin; tests point it at a fake server. */
  baseUrl?: string;
  /** An OAuth access token with the monitoring.read scope; by default from Application Default Credentials. */
  accessToken?: () => Promise<string | null | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
  deadlineMs?: number;
  cacheMs?: number;
}

const PointSchema = z.object({
  interval: z.object({ endTime: z.string() }),
  // int64 travels as a decimal string in Google's JSON.
  value: z.object({ int64Value: z.union([z.string().regex(/^-?\d+$/), z.number()]).optional(), doubleValue: z.number().optional() }),
});

const ListTimeSeriesSchema = z.object({
  timeSeries: z
    .array(
      z.object({
        resource: z.object({ labels: z.record(z.string(), z.string()).optional() }),
        points: z.array(PointSchema).optional(),
      }),
    )
    .optional(),
});

const GoogleErrorSchema = z.object({ error: z.object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() }) });

interface Sample {
  at: number;
  value: number;
}

/** Monitoring's filter language quotes strings like this; subscription ids never need it, but a filter must not be breakable. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The filter for one metric over every subscription named. */
export function backlogFilter(metric: string, subscriptions: readonly string[]): string {
  return [`metric.type = ${quoted(metric)}`, 'resource.type = "pubsub_subscription"', `resource.labels.subscription_id = one_of(${subscriptions.map(quoted).join(', ')})`].join(' AND ');
}

function shortened(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length > GOOGLE_MESSAGE_CHARS ? `${oneLine.slice(0, GOOGLE_MESSAGE_CHARS)}…` : oneLine;
}

async function refusal(response: Response, project: string): Promise<Error> {
  const parsed = GoogleErrorSchema.safeParse(await response.json().catch(() => undefined));
  const status = parsed.success && parsed.data.error.status ? ` ${parsed.data.error.status}` : '';
  const said = parsed.success && parsed.data.error.message ? `: ${shortened(parsed.data.error.message)}` : '';
  if (response.status === 403) {
    return new Error(
      `Cloud Monitoring refused the read (403${status}): the status function's service account needs roles/monitoring.viewer on project ${project} (permission monitoring.timeSeries.list)${said}`,
    );
  }
  if (response.status === 401) return new Error(`Cloud Monitoring did not accept the function's credentials (401${status})${said}`);
  return new Error(`Cloud Monitoring answered ${response.status}${status}${said}`);
}

/** The newest sample per subscription. */
function newestSamples(body: unknown): Map<string, Sample> {
  const parsed = ListTimeSeriesSchema.safeParse(body);
  if (!parsed.success) throw new Error(`Cloud Monitoring's answer was not a time-series list (${shortened(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '))})`);
  const newest = new Map<string, Sample>();
  for (const series of parsed.data.timeSeries ?? []) {
    const subscription = series.resource.labels?.subscription_id;
    if (!subscription) continue;
    for (const point of series.points ?? []) {
      const at = Date.parse(point.interval.endTime);
      const value = point.value.int64Value !== undefined ? Number(point.value.int64Value) : point.value.doubleValue;
      if (Number.isNaN(at) || value === undefined || !Number.isFinite(value)) continue;
      const seen = newest.get(subscription);
      if (!seen || at > seen.at) newest.set(subscription, { at, value });
    }
  }
  return newest;
}

/** Rejects after `ms` with words for the page; the timer never keeps the process alive. */
function deadline<T>(work: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`Cloud Monitoring did not answer within ${ms / 1000} s`));
    }, ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function defaultCredentials(): { accessToken: () => Promise<string | null | undefined>; project: () => Promise<string> } {
  const auth = new GoogleAuth({ scopes: [MONITORING_READ_SCOPE] });
  return { accessToken: () => auth.getAccessToken(), project: () => auth.getProjectId() };
}

/**
 * A reader of the subscriptions' backlog: each call answers from the last half-minute's read, or
 * reads again (once, however many pages ask at the same moment).
 */
export function monitoringBacklogReader(options: MonitoringBacklogOptions): () => Promise<MeasuredBacklog> {
  const fetchFn = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const base = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const names = options.subscriptions.map((subscription) => subscription.name);
  let credentials: ReturnType<typeof defaultCredentials> | undefined;
  const accessToken = options.accessToken ?? (() => (credentials ??= defaultCredentials()).accessToken());
  const known = options.project;
  const project = known !== undefined ? () => Promise.resolve(known) : () => (credentials ??= defaultCredentials()).project();

  async function credentialed<T>(what: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw new Error(`could not get ${what} from Google's credentials: ${shortened(error instanceof Error ? error.message : String(error))}`);
    }
  }

  async function metric(type: string, projectId: string, token: string, signal: AbortSignal, endMs: number): Promise<Map<string, Sample>> {
    const url = new URL(`${base}/v3/projects/${encodeURIComponent(projectId)}/timeSeries`);
    url.searchParams.set('filter', backlogFilter(type, names));
    url.searchParams.set('interval.startTime', new Date(endMs - SAMPLE_WINDOW_MS).toISOString());
    url.searchParams.set('interval.endTime', new Date(endMs).toISOString());
    url.searchParams.set('view', 'FULL');
    let response: Response;
    try {
      response = await fetchFn(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal });
    } catch (error) {
      if (signal.aborted) throw new Error(`Cloud Monitoring did not answer within ${deadlineMs / 1000} s`);
      throw new Error(`could not reach Cloud Monitoring: ${shortened(error instanceof Error ? error.message : String(error))}`);
    }
    if (!response.ok) throw await refusal(response, projectId);
    return newestSamples(await response.json().catch(() => undefined));
  }

  async function read(): Promise<MeasuredBacklog> {
    const controller = new AbortController();
    const work = (async () => {
      const [projectId, token] = await Promise.all([credentialed('the project', project), credentialed('an access token', accessToken)]);
      if (!token) throw new Error("could not get an access token from Google's credentials");
      const endMs = now();
      const [undelivered, oldestAge] = await Promise.all([
        metric(UNDELIVERED_METRIC, projectId, token, controller.signal, endMs),
        metric(OLDEST_AGE_METRIC, projectId, token, controller.signal, endMs),
      ]);
      return measured(undelivered, oldestAge);
    })();
    return deadline(work, deadlineMs, controller);
  }

  function measured(undelivered: Map<string, Sample>, oldestAge: Map<string, Sample>): MeasuredBacklog {
    const subscriptions: SubscriptionBacklog[] = [];
    const unmeasured: string[] = [];
    for (const { name, topic } of options.subscriptions) {
      const count = undelivered.get(name);
      if (!count) {
        unmeasured.push(name);
        continue;
      }
      const age = oldestAge.get(name);
      // The age is in seconds at its sample's time; with nothing waiting Pub/Sub reports 0.
      const oldest = age && age.value > 0 && count.value > 0 ? { oldestPublishedAt: age.at - age.value * 1000 } : {};
      subscriptions.push({ subscription: name, topic, unacknowledged: count.value, sampledAt: count.at, ...oldest });
    }
    return { subscriptions, unmeasured };
  }

  let cached: { at: number; reading: Promise<MeasuredBacklog> } | undefined;
  return () => {
    const at = now();
    if (!cached || at - cached.at >= cacheMs) {
      const reading = read();
      // A failure is kept too: a missing permission fails the same way on every reload.
      reading.catch(() => undefined);
      cached = { at, reading };
    }
    return cached.reading;
  };
}

/** The reader for the deployed github-events subscriptions, from the function's environment. */
export function monitoringBacklogFromEnv(
  env: NodeJS.ProcessEnv,
  subscriptions: MonitoringBacklogOptions['subscriptions'],
  overrides: Omit<MonitoringBacklogOptions, 'subscriptions' | 'project' | 'baseUrl'> = {},
): () => Promise<MeasuredBacklog> {
  const project = env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT;
  return monitoringBacklogReader({
    ...overrides,
    subscriptions,
    ...(project ? { project } : {}),
    ...(env.MONITORING_API_URL ? { baseUrl: env.MONITORING_API_URL } : {}),
  });
}
