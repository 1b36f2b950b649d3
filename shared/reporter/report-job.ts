import { createHash } from 'node:crypto';
import { jobArtifactsDir } from '../artifacts/layout';
import type { Config } from '../config/model';
import { GitHubError, type GitHubClient } from '../github/client';
import type { Logger } from '../log/logger';
import { isBotAccount } from '../github/membership';
import { isFinalState } from '../prowjob/lifecycle';
import type { ProwJob } from '../prowjob/schema';
import type { ReportedState, Store, StoredJob } from '../store/store';
import { jobPageUrl } from '../prowjob/job-page';
import { githubStatusFor, reportsToGitHub, toldGitHubBefore, DEFAULT_GITHUB_JOB_TYPES } from './github-status';
import { pubsubReportFor, type PubSubReportMessage } from './pubsub-report';
import { slackMessageFor, type SlackSender } from './slack';
import { planSummaryComment } from './summary-comment';
import { renderReportTemplate } from './report-template';

/**
 * Prow's crier: brings what GitHub, Slack and Pub/Sub show about a job up to the job's current
 * state. Reporting the *current* state, not the transition that caused the call, makes late and
 * out-of-order triggers harmless.
 *
 * Exactly once, for the fewest store writes:
 * - A final state is recorded per channel in the job's own record (StoredJob.reported) in one
 *   write that also clears `reportDue`, so a repeated trigger is a no-op, and the job stays due
 *   until every channel has it: the scheduler's sweep (sweepReports) heals a final report that was
 *   missed, crashed or failed.
 * - Triggered and pending are reported from their change events (which Eventarc retries until the
 *   report succeeds) and recorded only on channels where a repeat would show: a Slack message. A
 *   repeated GitHub status equal to the one shown changes nothing a person sees, and Pub/Sub
 *   report subscribers already receive every message at least once. So a job's intermediate states
 *   cost no write, and its whole life is four: created, leased and pending, finished, reported.
 */

export interface ReporterDependencies {
  store: Store;
  config: Config;
  log: Logger;
  now: () => number;
  /**
   * A client for the job's repository; without it GitHub reporting is off. `cause` names the
   * report ("report <job>"), for the outbox's idempotency keys (shared/outbox/clients.ts).
   */
  github?: (org: string, repo: string, cause: string) => Promise<GitHubClient>;
  slack?: SlackSender;
  /** Publishes a report message to `topic` in `project`. */
  publishReport?: (project: string, topic: string, message: PubSubReportMessage) => Promise<void>;
  /** STATUS_URL: statuses, comments and messages link to the job's page under it. */
  statusUrl?: string;
  /** gs://bucket the artifacts are in, for the Pub/Sub report's gcs_path. */
  artifactsBucket?: string;
}

export type ReportOutcome = 'reported' | 'up-to-date' | 'gone';

/**
 * A report still failing a day after its state change (a Slack channel with no webhook, a repo the
 * App lost) is given up, loudly: otherwise such jobs would fill the sweep's page forever and keep
 * newer missed reports from being healed.
 */
export const GIVE_UP_AFTER_MS = 24 * 3600_000;

/** How long the PR comment lock is held at most: one report's GitHub calls. */
const COMMENT_LOCK_MS = 60_000;

interface Channel {
  name: string;
  /** Identifies the content reported; a recorded report with the same fingerprint is not repeated. */
  fingerprint: string;
  /** A second send of the same content changes nothing anyone sees, so a triggered or pending report needs no record. */
  repeatSafe: boolean;
  send(): Promise<void>;
}

/** Reports job `name`'s current state wherever it has not been yet. Throws when a channel failed. */
export async function reportJob(deps: ReporterDependencies, name: string): Promise<ReportOutcome> {
  const stored = await deps.store.jobs.get(name);
  if (!stored) return 'gone';
  const state = stored.job.status?.state ?? 'triggered';
  const final = isFinalState(state);
  if (final && !stored.reportDue) return 'up-to-date';
  const log = deps.log.child(logFieldsOf(stored.job));
  const reported = stored.reported ?? {};
  const records: Record<string, ReportedState> = {};
  const failures: Error[] = [];
  let sent = 0;
  for (const channel of channelsFor(deps, stored.job, log)) {
    if (reported[channel.name]?.fingerprint === channel.fingerprint) continue;
    try {
      await channel.send();
      if (final || !channel.repeatSafe) records[channel.name] = { state, fingerprint: channel.fingerprint, reportedAt: deps.now() };
      sent++;
      log.info(`reported ${state} to ${channel.name}`, { channel: channel.name, state });
    } catch (error) {
      failures.push(error as Error);
      log.error(`reporting ${state} to ${channel.name} failed; it will be retried`, {
        channel: channel.name,
        state,
        error: (error as Error).message,
      });
    }
  }
  const recorded = Object.keys(records).length > 0;
  if (failures.length > 0) {
    // What did go out is recorded, so the retry repeats only the failed channels.
    if (recorded) await deps.store.jobs.markReported(name, undefined, records);
    throw new AggregateError(failures, `job ${name}: ${failures.length} report(s) failed: ${failures.map((e) => e.message).join('; ')}`);
  }
  if (final || recorded) await deps.store.jobs.markReported(name, final ? state : undefined, records);
  return sent > 0 ? 'reported' : 'up-to-date';
}

/**
 * Whether a change of a job can owe a report, judged from the job before and after it without
 * reading the store: what the reporter's trigger uses to skip the read for a change nobody would
 * see, such as triggered becoming pending when GitHub shows both alike and no other channel reports it.
 */
export function changeNeedsReport(
  deps: ReporterDependencies,
  before: ProwJob | undefined,
  after: Pick<StoredJob, 'job' | 'reportDue'>,
  log: Logger,
): boolean {
  const state = after.job.status?.state ?? 'triggered';
  if (isFinalState(state)) return after.reportDue === true;
  if (!before) return true;
  if ((before.status?.state ?? 'triggered') === state) return false;
  const earlier = new Map(channelsFor(deps, before, log).map((channel) => [channel.name, channel.fingerprint]));
  return channelsFor(deps, after.job, log).some((channel) => earlier.get(channel.name) !== channel.fingerprint);
}

export function logFieldsOf(job: ProwJob): Record<string, string> {
  const refs = job.spec.refs;
  return {
    job: job.spec.job,
    jobId: job.metadata.name ?? '',
    ...(refs ? { repo: `${refs.org}/${refs.repo}` } : {}),
  };
}

function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function channelsFor(deps: ReporterDependencies, job: ProwJob, log: Logger): Channel[] {
  const state = job.status?.state ?? 'triggered';
  const name = job.metadata.name ?? '';
  const pageUrl = deps.statusUrl ? jobPageUrl(deps.statusUrl, name) : job.status?.url;
  const channels: Channel[] = [];

  const github = deps.github;
  const jobTypesToReport = deps.config.prow.github_reporter?.job_types_to_report ?? DEFAULT_GITHUB_JOB_TYPES;
  if (github && reportsToGitHub(job, jobTypesToReport) && !toldGitHubBefore(job)) {
    const target = githubStatusFor(job, { jobTypesToReport, ...(pageUrl ? { targetUrl: pageUrl } : {}) });
    if (target) {
      channels.push({
        name: `github-status:${target.status.context}`,
        // The status as GitHub shows it: triggered and pending look alike, so going from one to the
        // other is not reported again (changeNeedsReport), and a recorded final status is not repeated.
        fingerprint: fingerprintOf([target.sha, target.status]),
        repeatSafe: true,
        send: () =>
          tolerateGoneCommit(log, async () => {
            const client = await github(target.owner, target.repo, `report ${name}`);
            await client.createStatus(target.owner, target.repo, target.sha, target.status);
          }),
      });
    }
    if (wantsSummaryComment(deps.config, job) && isFinalState(state)) {
      channels.push({
        name: 'github-comment',
        fingerprint: state,
        repeatSafe: false,
        send: () => updateSummaryComment(deps, job, pageUrl, log),
      });
    }
  }

  const slack = deps.slack;
  const message = slack && slackMessageFor(job, deps.config, pageUrl);
  if (slack && message) {
    channels.push({ name: `slack:${message.channel}`, fingerprint: state, repeatSafe: false, send: () => slack(message) });
  }

  const publish = deps.publishReport;
  const gcsPath = deps.artifactsBucket && job.status?.build_id ? gcsPathOf(deps.artifactsBucket, job) : undefined;
  const report = publish && pubsubReportFor(job, { ...(pageUrl ? { url: pageUrl } : {}), ...(gcsPath ? { gcsPath } : {}) });
  if (publish && report) {
    channels.push({
      name: `pubsub:${report.project}/${report.topic}`,
      fingerprint: state,
      repeatSafe: true,
      send: () => publish(report.project, report.topic, report.message),
    });
  }
  return channels;
}

function gcsPathOf(bucket: string, job: ProwJob): string {
  return `${bucket.replace(/\/+$/, '')}/${jobArtifactsDir(job, job.status?.build_id ?? '').replace(/\/+$/, '')}`;
}

/** Presubmits of one PR get the summary comment, unless their repo opted out (`no_comment_repos`). */
function wantsSummaryComment(config: Config, job: ProwJob): boolean {
  const refs = job.spec.refs;
  if (job.spec.type !== 'presubmit' || !refs || refs.pulls?.length !== 1) return false;
  const optedOut = config.prow.github_reporter?.no_comment_repos ?? [];
  return !optedOut.includes(refs.org) && !optedOut.includes(`${refs.org}/${refs.repo}`);
}

/** `summary_comment_repos`: the comment is written once every job of the PR has finished. */
function wantsSummaryOnly(config: Config, job: ProwJob): boolean {
  const refs = job.spec.refs;
  const summarised = config.prow.github_reporter?.summary_comment_repos ?? [];
  return !!refs && (summarised.includes(refs.org) || summarised.includes(`${refs.org}/${refs.repo}`));
}

function detailsUrlOf(deps: ReporterDependencies, job: ProwJob): string | undefined {
  return deps.statusUrl ? jobPageUrl(deps.statusUrl, job.metadata.name ?? '') : job.status?.url;
}

/**
 * Crier's pjsToReport: the latest run of each reporting job of the PR, or undefined while any run
 * of the PR is unfinished (its own report will write the comment). Read under the comment lock, so
 * of two jobs finishing together the later reader sees both finished.
 */
async function latestRunsToSummarise(deps: ReporterDependencies, job: ProwJob): Promise<ProwJob[] | undefined> {
  const refs = job.spec.refs!;
  const jobTypesToReport = deps.config.prow.github_reporter?.job_types_to_report ?? DEFAULT_GITHUB_JOB_TYPES;
  const latest = new Map<string, { job: ProwJob; created: number }>();
  let cursor: string | undefined;
  do {
    const page = await deps.store.jobs.list({ repo: `${refs.org}/${refs.repo}`, pull: refs.pulls![0]!.number }, { limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const stored of page.jobs) {
      const other = stored.job;
      if (!isFinalState(other.status?.state ?? 'triggered')) return undefined;
      if (!reportsToGitHub(other, jobTypesToReport)) continue;
      const created = Date.parse(other.metadata.creationTimestamp ?? other.status?.startTime ?? '') || 0;
      const seen = latest.get(other.spec.job);
      if (!seen || created > seen.created) latest.set(other.spec.job, { job: other, created });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return [...latest.values()].map((each) => each.job);
}

/**
 * Two jobs of one PR finishing together would each rewrite the comment from what they read; a
 * one-holder slot serialises them across every reporter instance. A busy lock is a retryable error.
 */
async function updateSummaryComment(deps: ReporterDependencies, job: ProwJob, pageUrl: string | undefined, log: Logger): Promise<void> {
  const refs = job.spec.refs;
  const pull = refs?.pulls?.[0];
  const github = deps.github;
  if (!refs || !pull || !github) return;
  const holder = job.metadata.name ?? '';
  const client = await github(refs.org, refs.repo, `report ${holder}`);
  const extra = renderReportTemplate(deps.config, job, log);
  const planNow = async (summary?: { job: ProwJob; detailsUrl?: string }[]) => {
    const [bot, comments] = await Promise.all([client.botLogin(), client.listComments(refs.org, refs.repo, pull.number)]);
    return planSummaryComment({
      job,
      comments,
      isBot: (login) => isBotAccount(bot, login),
      ...(pageUrl ? { detailsUrl: pageUrl } : {}),
      ...(extra ? { extra } : {}),
      ...(summary ? { summary } : {}),
    });
  };
  const summaryOnly = wantsSummaryOnly(deps.config, job);
  // Most finished jobs have nothing to say here (a success on a PR without a report comment): look
  // first, and take the lock, two store reads and writes, only when there is something to write.
  if (!summaryOnly) {
    const plan = await planNow();
    if (plan.deleteIds.length === 0 && !plan.edit && plan.create === undefined) return;
  }
  const lock = `report-comment/${refs.org}/${refs.repo}#${pull.number}`;
  if (!(await deps.store.slots.acquire(lock, holder, 1, COMMENT_LOCK_MS))) {
    throw new Error(`another report is updating the test report comment on ${refs.org}/${refs.repo}#${pull.number}`);
  }
  try {
    let summary: { job: ProwJob; detailsUrl?: string }[] | undefined;
    if (summaryOnly) {
      const latest = await latestRunsToSummarise(deps, job);
      if (!latest) {
        log.info('other jobs of the pull request are still running; the summary comment waits for them');
        return;
      }
      if (latest.length === 0) return;
      summary = latest.map((other) => {
        const url = detailsUrlOf(deps, other);
        return url ? { job: other, detailsUrl: url } : { job: other };
      });
    }
    // Planned again under the lock: another job's report may have changed the comment meanwhile.
    const plan = await planNow(summary);
    for (const id of plan.deleteIds) await client.deleteComment(refs.org, refs.repo, id);
    if (plan.edit) await client.editComment(refs.org, refs.repo, plan.edit.id, plan.edit.body);
    if (plan.create !== undefined) await client.createComment(refs.org, refs.repo, pull.number, plan.create);
  } finally {
    await deps.store.slots.release(lock, holder);
  }
}

/**
 * As crier: a commit that no longer exists (force-pushed away) or whose context is full (GitHub
 * keeps at most 1000 statuses) can never take the status; retrying forever would not help.
 */
async function tolerateGoneCommit(log: Logger, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (error instanceof GitHubError && (error.status === 404 || /maximum number of statuses/i.test(error.message))) {
      log.warn('GitHub cannot take this status (the commit is gone or its context is full); not retrying', {
        error: error.message,
      });
      return;
    }
    throw error;
  }
}

export interface SweepResult {
  checked: number;
  reported: number;
  failed: number;
}

/**
 * The reconcile sweep: reports every job whose last state change is still due after `graceMs`
 * (left there by a trigger that was lost, crashed or failed). Failures stay due for the next sweep.
 */
export async function sweepReports(
  deps: ReporterDependencies,
  options: { graceMs?: number; limit?: number } = {},
): Promise<SweepResult> {
  const due = await deps.store.jobs.listReportDue({
    updatedBefore: deps.now() - (options.graceMs ?? 60_000),
    limit: options.limit ?? 200,
  });
  const result: SweepResult = { checked: due.length, reported: 0, failed: 0 };
  for (const stored of due) {
    const name = stored.job.metadata.name ?? '';
    try {
      if ((await reportJob(deps, name)) === 'reported') result.reported++;
    } catch (error) {
      // reportJob logged each failed channel with the job's fields; the job stays due for a day.
      result.failed++;
      if (deps.now() - stored.updatedAt > GIVE_UP_AFTER_MS) {
        deps.log.error('giving up reporting this state after a day of failures', {
          ...logFieldsOf(stored.job),
          state: stored.job.status?.state,
          error: (error as Error).message,
        });
        await deps.store.jobs.markReported(name, stored.job.status?.state ?? 'triggered');
      }
    }
  }
  if (due.length > 0) deps.log.info('report sweep finished', { ...result });
  return result;
}
