import { describe, expect, it } from 'vitest';
import type { IssueComment } from '../../../shared/github/client';
import type { ProwJob, ProwJobState } from '../../../shared/prowjob/schema';
import { describeJobWrite } from '../../../shared/reporter/firestore-event';
import { changeNeedsReport } from '../../../shared/reporter/report-job';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { describeWithBaseSha, githubStatusFor, STATUS_DESCRIPTION_LIMIT } from '../../../shared/reporter/github-status';
import { pubsubReportFor } from '../../../shared/reporter/pubsub-report';
import { renderReportTemplate } from '../../../shared/reporter/report-template';
import { incomingWebhookSender, slackMessageFor, slackWebhooksFromEnv } from '../../../shared/reporter/slack';
import { memoryLogger } from '../../../shared/log/logger';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { planSummaryComment, rowsOf, TEST_REPORT_TAG } from '../../../shared/reporter/summary-comment';
import { encodeJobWrite } from '../../support/firestore-events';
import { testProwJob, type TestJobOptions } from '../../support/prowjobs';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);

function jobIn(state: ProwJobState, options: TestJobOptions & { description?: string; optional?: boolean } = {}): ProwJob {
  const job = testProwJob({ pull: 7, author: 'alice', ...options });
  if (options.optional !== undefined) job.metadata.labels = { ...job.metadata.labels, 'prow.k8s.io/is-optional': String(options.optional) };
  job.status = { state, startTime: '2026-11-24T12:00:00Z', ...(options.description ? { description: options.description } : {}) };
  return job;
}

describe('GitHub commit statuses', () => {
  it('shows triggered and running jobs as pending, and failure, aborted and error as GitHub can', () => {
    const states = (['triggered', 'pending', 'success', 'failure', 'aborted', 'error'] as const).map(
      (state) => githubStatusFor(jobIn(state))?.status.state,
    );
    expect(states).toEqual(['pending', 'pending', 'success', 'failure', 'failure', 'error']);
  });

  it('marks the PR head commit under the job context, linking to the job page', () => {
    const target = githubStatusFor(jobIn('failure'), { targetUrl: 'https://ci.example.com/view/x' });
    expect(target).toMatchObject({
      owner: 'acme',
      repo: 'widgets',
      sha: HEAD,
      status: { context: 'unit-tests', state: 'failure', target_url: 'https://ci.example.com/view/x' },
    });
    expect(target?.status.description).toMatch(/^Job failed\.\u2001+ BaseSHA:a{40}$/);
    expect(target?.status.description).toHaveLength(STATUS_DESCRIPTION_LIMIT);
  });

  it('keeps the base SHA whole when the runner’s description is long, and marks postsubmits on the base commit', () => {
    const long = describeWithBaseSha('x'.repeat(300), BASE);
    expect(long).toHaveLength(STATUS_DESCRIPTION_LIMIT);
    expect(long.endsWith(` BaseSHA:${BASE}`)).toBe(true);
    expect(long).toContain(' ... ');
    expect(githubStatusFor(jobIn('success', { type: 'postsubmit', pull: undefined }))?.sha).toBe(BASE);
  });

  it('says nothing for report: false, periodics, batches or job types the config leaves out', () => {
    const silent = jobIn('failure');
    silent.spec.report = false;
    expect(githubStatusFor(silent)).toBeUndefined();
    expect(githubStatusFor(jobIn('failure', { type: 'periodic' }))).toBeUndefined();
    const batch = jobIn('failure', { type: 'batch' });
    expect(githubStatusFor(batch)).toBeUndefined();
    expect(githubStatusFor(jobIn('failure', { type: 'postsubmit' }), { jobTypesToReport: ['presubmit'] })).toBeUndefined();
  });
});

describe('the PR test report comment', () => {
  const bot = (login: string) => login === 'cutwater-bot';
  let nextId = 1;
  const comment = (body: string, user = 'cutwater-bot'): IssueComment => ({
    id: nextId++,
    body,
    user: { login: user },
    created_at: '',
    updated_at: '',
  });

  it('lists a failed job with its commit, link, required flag and rerun command', () => {
    const plan = planSummaryComment({ job: jobIn('failure'), comments: [], isBot: bot, detailsUrl: 'https://ci/view/1' });
    expect(plan.create).toContain('@alice: The following test **failed**');
    expect(rowsOf(plan.create ?? '')).toEqual([`unit-tests | ${HEAD} | [link](https://ci/view/1) | unknown | \`/test unit-tests\``]);
    expect(plan.create?.endsWith(TEST_REPORT_TAG)).toBe(true);
  });

  it('labels optional jobs as not required and mandatory ones as required', () => {
    const optional = planSummaryComment({ job: jobIn('failure', { job: 'bench', optional: true }), comments: [], isBot: bot });
    const required = planSummaryComment({ job: jobIn('failure', { job: 'unit', optional: false }), comments: [], isBot: bot });
    expect(rowsOf(optional.create ?? '')[0]?.split(' | ')[3]).toBe('false');
    expect(rowsOf(required.create ?? '')[0]?.split(' | ')[3]).toBe('true');
  });

  it('edits the comment in place as other jobs fail, keeping their rows, and deletes it when all have passed', () => {
    const first = planSummaryComment({ job: jobIn('failure', { job: 'unit' }), comments: [], isBot: bot });
    const existing = comment(first.create ?? '');
    const second = planSummaryComment({ job: jobIn('failure', { job: 'lint' }), comments: [existing], isBot: bot });
    expect(second.edit?.id).toBe(existing.id);
    expect(second.edit?.body).toContain('The following tests **failed**');
    expect(rowsOf(second.edit?.body ?? '').map((row) => row.split(' | ')[0])).toEqual(['unit', 'lint']);

    const edited = { ...existing, body: second.edit?.body ?? '' };
    const unitPassed = planSummaryComment({ job: jobIn('success', { job: 'unit' }), comments: [edited], isBot: bot });
    expect(rowsOf(unitPassed.edit?.body ?? '').map((row) => row.split(' | ')[0])).toEqual(['lint']);
    const lintPassed = planSummaryComment({
      job: jobIn('success', { job: 'lint' }),
      comments: [{ ...edited, body: unitPassed.edit?.body ?? '' }],
      isBot: bot,
    });
    expect(lintPassed).toEqual({ deleteIds: [existing.id] });
  });

  it('does nothing when a job passes on a PR without a report, or the report already says the same', () => {
    expect(planSummaryComment({ job: jobIn('success'), comments: [], isBot: bot })).toEqual({ deleteIds: [] });
    const body = planSummaryComment({ job: jobIn('failure'), comments: [], isBot: bot }).create ?? '';
    const same = comment(body);
    expect(planSummaryComment({ job: jobIn('failure'), comments: [same], isBot: bot })).toEqual({ deleteIds: [] });
  });

  it('ignores look-alike comments by people, and folds older copies of its own report into the newest', () => {
    const fake = comment(`---\nunit | x | y | z | w\n${TEST_REPORT_TAG}`, 'mallory');
    const older = comment(planSummaryComment({ job: jobIn('failure', { job: 'old' }), comments: [], isBot: bot }).create ?? '');
    const newer = comment(planSummaryComment({ job: jobIn('failure', { job: 'lint' }), comments: [], isBot: bot }).create ?? '');
    const plan = planSummaryComment({ job: jobIn('failure', { job: 'unit' }), comments: [fake, older, newer], isBot: bot });
    expect(plan.deleteIds).toEqual([older.id]);
    expect(rowsOf(plan.edit?.body ?? '').map((row) => row.split(' | ')[0])).toEqual(['old', 'lint', 'unit']);
  });
});

describe('Pub/Sub report messages', () => {
  it('go to the project and topic the job names, in Prow’s ReportMessage shape', () => {
    const job = jobIn('success', { type: 'periodic' });
    job.metadata.annotations = {
      'prow.k8s.io/pubsub.project': 'acme-ci',
      'prow.k8s.io/pubsub.topic': 'results',
      'prow.k8s.io/pubsub.runID': 'run-42',
    };
    expect(pubsubReportFor(job, { url: 'https://ci/view/1', gcsPath: 'gs://b/logs/unit-tests/1' })).toEqual({
      project: 'acme-ci',
      topic: 'results',
      message: {
        project: 'acme-ci',
        topic: 'results',
        runid: 'run-42',
        status: 'success',
        url: 'https://ci/view/1',
        gcs_path: 'gs://b/logs/unit-tests/1',
        job_type: 'periodic',
        job_name: 'unit-tests',
        refs: [job.spec.refs],
      },
    });
    expect(pubsubReportFor(jobIn('success'))).toBeUndefined();
  });
});

describe('Firestore write events', () => {
  const path = 'projects/p/databases/(default)/documents/prowjobs/job-1';
  const subject = 'documents/prowjobs/job-1';

  it('wake the reporter for a new job, each state change and a final state owed a report; not for heartbeats or report marks', () => {
    const cases: [Record<string, string | boolean> | undefined, Record<string, string | boolean> | undefined, boolean][] = [
      [undefined, { state: 'triggered', reportDue: false }, true],
      [{ state: 'triggered', reportDue: false }, { state: 'pending', reportDue: false }, true],
      [{ state: 'pending', reportDue: false }, { state: 'pending', reportDue: false }, false],
      [{ state: 'pending', reportDue: false }, { state: 'success', reportDue: true }, true],
      [{ state: 'success', reportDue: true }, { state: 'success', reportDue: true }, false],
      [{ state: 'success', reportDue: true }, { state: 'success', reportDue: false }, false],
      [{ state: 'pending', reportDue: false }, undefined, false],
    ];
    for (const [before, after, worthy] of cases) {
      expect(describeJobWrite(subject, encodeJobWrite(path, before, after))).toMatchObject({ jobName: 'job-1', reportWorthy: worthy });
    }
  });

  it('carry the job before and after, so a change nobody would see costs no read', () => {
    const triggered = jobIn('triggered');
    const pending = jobIn('pending');
    const write = describeJobWrite(
      subject,
      encodeJobWrite(path, { state: 'triggered', prowjob: JSON.stringify(triggered) }, { state: 'pending', reportDue: false, prowjob: JSON.stringify(pending) }),
    );
    expect(write?.before?.status?.state).toBe('triggered');
    expect(write?.after).toEqual({ job: pending, reportDue: false });
    const log = memoryLogger();
    const github = async () => {
      throw new Error('not called: judging a change sends nothing');
    };
    const deps = { store: EmbeddedStore.open(), config: expectLoaded(buildFromFiles({})), log, now: Date.now, github };
    // GitHub shows triggered and pending alike, and nothing else reports this job.
    expect(changeNeedsReport(deps, triggered, { job: pending }, log)).toBe(false);
    // A job reporting to Pub/Sub publishes every state.
    const published = { ...pending, metadata: { ...pending.metadata, labels: { ...pending.metadata.labels, 'prow.k8s.io/pubsub.project': 'p', 'prow.k8s.io/pubsub.topic': 't', 'prow.k8s.io/pubsub.runID': 'r' } } };
    expect(changeNeedsReport({ ...deps, publishReport: async () => undefined }, triggered, { job: published }, log)).toBe(true);
    // A description change GitHub would show, and a new job, are reported; a final state when owed.
    expect(changeNeedsReport(deps, triggered, { job: { ...pending, status: { ...pending.status, state: 'pending', description: 'Building' } } }, log)).toBe(true);
    expect(changeNeedsReport(deps, undefined, { job: triggered }, log)).toBe(true);
    expect(changeNeedsReport(deps, pending, { job: jobIn('success'), reportDue: true }, log)).toBe(true);
    expect(changeNeedsReport(deps, pending, { job: jobIn('success') }, log)).toBe(false);
  });

  it('treat undecodable data as worth a look, and ignore other collections', () => {
    expect(describeJobWrite(subject, Buffer.from('not protobuf \xff\xff'))).toEqual({ jobName: 'job-1', reportWorthy: true });
    expect(describeJobWrite(subject, { json: true })).toEqual({ jobName: 'job-1', reportWorthy: true });
    expect(describeJobWrite('documents/deliveries/x', new Uint8Array())).toBeUndefined();
  });
});

describe('Slack messages', () => {
  const config = expectLoaded(
    buildFromFiles({
      config: yaml(`
        slack_reporter_configs:
          '*':
            job_types_to_report: [postsubmit, periodic]
            job_states_to_report: [failure, error]
            channel: test-failures
          acme/widgets:
            job_types_to_report: [postsubmit]
            job_states_to_report: [failure]
            channel: widgets-ci
            report_template: 'Deploying {{.Spec.Job}}: {{.Status.State}}. Commit: <{{.Spec.Refs.BaseLink}}|{{printf "%.7s" .Spec.Refs.BaseSHA}}> | <{{.Status.URL}}|Spyglass>'
      `),
      jobs: {},
    }),
  );

  it('use the most specific config, Prow’s report template and the job page as the URL', () => {
    const job = jobIn('failure', { type: 'postsubmit', pull: undefined });
    job.spec.refs = { ...job.spec.refs, org: 'acme', repo: 'widgets', base_link: 'https://github.com/acme/widgets/commit/aaa' };
    expect(slackMessageFor(job, config, 'https://ci/view/1')).toEqual({
      channel: 'widgets-ci',
      text: 'Deploying unit-tests: failure. Commit: <https://github.com/acme/widgets/commit/aaa|aaaaaaa> | <https://ci/view/1|Spyglass>',
    });
    const elsewhere = jobIn('error', { type: 'periodic', org: 'other', repo: 'thing' });
    expect(slackMessageFor(elsewhere, config, 'https://ci/view/2')).toEqual({
      channel: 'test-failures',
      text: 'Job unit-tests of type periodic ended with state error. <https://ci/view/2|View logs>',
    });
  });

  it('stay quiet for states and types not listed, unless the job names its own channel; report: false silences', () => {
    expect(slackMessageFor(jobIn('success', { type: 'postsubmit' }), config)).toBeUndefined();
    expect(slackMessageFor(jobIn('failure', { org: 'other' }), config)).toBeUndefined();
    const asked = jobIn('failure', { org: 'other' });
    asked.spec.reporter_config = { slack: { channel: 'my-team' } };
    expect(slackMessageFor(asked, config)?.channel).toBe('my-team');
    asked.spec.reporter_config = { slack: { channel: 'my-team', report: false } };
    expect(slackMessageFor(asked, config)).toBeUndefined();
  });

  it('post to the channel’s incoming webhook, and name the channel but never the URL when Slack refuses', async () => {
    const posted: { url: string; body: unknown }[] = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      posted.push({ url: String(url), body: JSON.parse(String(init?.body)) });
      return new Response(posted.length > 1 ? 'invalid_token' : 'ok', { status: posted.length > 1 ? 403 : 200 });
    }) as typeof fetch;
    const send = incomingWebhookSender({ 'widgets-ci': 'https://hooks.slack.test/secret-1', '*': 'https://hooks.slack.test/secret-2' }, fakeFetch);
    await send({ channel: 'widgets-ci', text: 'hello' });
    expect(posted[0]).toEqual({ url: 'https://hooks.slack.test/secret-1', body: { channel: 'widgets-ci', text: 'hello' } });
    const refused = send({ channel: 'elsewhere', text: 'hi' });
    await expect(refused).rejects.toThrow('Slack refused the message for elsewhere: HTTP 403 invalid_token');
    await refused.catch((error: Error) => expect(error.message).not.toContain('secret'));
    expect(slackWebhooksFromEnv({ SLACK_WEBHOOK_URL: 'https://hooks.slack.test/x' })).toEqual({ '*': 'https://hooks.slack.test/x' });
    expect(() => slackWebhooksFromEnv({ SLACK_WEBHOOKS: '{not json' })).toThrow(/SLACK_WEBHOOKS is not JSON/);
  });
});

describe('plank.report_templates under the test report', () => {
  it('renders the repo’s template (Prow’s real one) and leaves a broken one out with a warning', () => {
    const config = expectLoaded(
      buildFromFiles({
        config: yaml(`
          plank:
            report_templates:
              '*': '[Full PR test history](https://prow.k8s.io/pr-history?org={{.Spec.Refs.Org}}&repo={{.Spec.Refs.Repo}}&pr={{with index .Spec.Refs.Pulls 0}}{{.Number}}{{end}}).'
              acme/broken: '{{if}}'
        `),
        jobs: {},
      }),
    );
    const log = memoryLogger();
    expect(renderReportTemplate(config, jobIn('failure'), log)).toBe(
      '[Full PR test history](https://prow.k8s.io/pr-history?org=acme&repo=widgets&pr=7).',
    );
    expect(renderReportTemplate(config, jobIn('failure', { repo: 'broken' }), log)).toBeUndefined();
    expect(log.entries.at(-1)).toMatchObject({ severity: 'WARNING' });
  });
});
