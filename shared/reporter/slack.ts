import type { Config } from '../config/model';
import { compiledGoTemplate } from '../go/template';
import type { ProwJob, ProwJobState } from '../prowjob/schema';

/**
 * Crier's Slack reporter: which jobs and states are announced, on which channel, in what words —
 * `slack_reporter_configs` (by "org/repo", then "org", then "*") under the job's own
 * `reporter_config.slack`, with Prow's precedence. Messages go out through Slack incoming webhooks.
 */

export const DEFAULT_SLACK_TEMPLATE =
  'Job {{.Spec.Job}} of type {{.Spec.Type}} ended with state {{.Status.State}}. <{{.Status.URL}}|View logs>';

export interface SlackMessage {
  channel: string;
  text: string;
}

interface ResolvedSlackConfig {
  channel?: string;
  job_states_to_report?: ProwJobState[];
  report_template?: string;
  report?: boolean;
}

function resolvedConfig(job: ProwJob, config: Config): { resolved: ResolvedSlackConfig; typeReported: boolean; jobAsked: boolean } {
  const configs = config.prow.slack_reporter_configs ?? {};
  const refs = job.spec.refs ?? job.spec.extra_refs?.[0];
  const global = (refs && (configs[`${refs.org}/${refs.repo}`] ?? configs[refs.org])) ?? configs['*'] ?? {};
  const own = job.spec.reporter_config?.slack ?? {};
  const resolved: ResolvedSlackConfig = {
    channel: own.channel || global.channel,
    job_states_to_report: own.job_states_to_report ?? global.job_states_to_report,
    report_template: own.report_template || global.report_template,
    report: own.report ?? global.report,
  };
  return {
    resolved,
    typeReported: (global.job_types_to_report ?? []).includes(job.spec.type),
    // A job that names its own channel wants reports whatever the job types setting says.
    jobAsked: Boolean(own.channel),
  };
}

/**
 * The message for the job's current state, or undefined when Slack is not told about it. A broken
 * template throws (GoTemplateError) so the failure is reported and retried, not silently dropped.
 */
export function slackMessageFor(job: ProwJob, config: Config, jobPageUrl?: string): SlackMessage | undefined {
  const { resolved, typeReported, jobAsked } = resolvedConfig(job, config);
  if (resolved.report === false || !resolved.channel) return undefined;
  const state = job.status?.state ?? 'triggered';
  if (!(resolved.job_states_to_report ?? []).includes(state)) return undefined;
  if (!typeReported && !jobAsked) return undefined;
  const view = jobPageUrl ? { ...job, status: { ...job.status, state, url: job.status?.url ?? jobPageUrl } } : job;
  return { channel: resolved.channel, text: compiledGoTemplate(resolved.report_template || DEFAULT_SLACK_TEMPLATE).execute(view) };
}

export type SlackSender = (message: SlackMessage) => Promise<void>;

/**
 * Posts through incoming webhooks: `webhooks` maps a channel to its webhook URL, "*" to the one for
 * any other channel. The URLs are secrets: errors name the channel, never the URL.
 */
export function incomingWebhookSender(webhooks: Readonly<Record<string, string>>, fetchImpl: typeof fetch = fetch): SlackSender {
  return async ({ channel, text }) => {
    const url = webhooks[channel] ?? webhooks[channel.replace(/^#/, '')] ?? webhooks['*'];
    if (!url) throw new Error(`no Slack incoming webhook for channel ${channel} (and no "*" webhook)`);
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel, text }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      const reason = (await response.text().catch(() => '')).slice(0, 200);
      throw new Error(`Slack refused the message for ${channel}: HTTP ${response.status} ${reason}`.trim());
    }
  };
}

/**
 * Slack webhooks from the environment: SLACK_WEBHOOKS (JSON object, channel → URL, "*" for the
 * rest) or SLACK_WEBHOOK_URL (one webhook for every channel). Undefined when neither is set.
 */
export function slackWebhooksFromEnv(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  if (env.SLACK_WEBHOOKS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.SLACK_WEBHOOKS);
    } catch {
      throw new Error('SLACK_WEBHOOKS is not JSON: expected {"<channel>": "<webhook URL>", "*": "<webhook URL>"}');
    }
    if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((url) => typeof url !== 'string')) {
      throw new Error('SLACK_WEBHOOKS must map channel names to webhook URLs');
    }
    return parsed as Record<string, string>;
  }
  return env.SLACK_WEBHOOK_URL ? { '*': env.SLACK_WEBHOOK_URL } : undefined;
}
