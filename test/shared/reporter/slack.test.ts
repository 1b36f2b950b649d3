import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../../shared/bus/in-process';
import { memoryLogger } from '../../../shared/log/logger';
import type { PubSubReportMessage } from '../../../shared/reporter/pubsub-report';
import { reportJob, sweepReports, type ReporterDependencies } from '../../../shared/reporter/report-job';
import type { SlackMessage } from '../../../shared/reporter/slack';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';
import { testProwJob } from '../../support/prowjobs';
import { waitFor } from '../../support/wait';

/**
 * The reporter's other channels: a periodic that asks for Slack on failure and for Prow's Pub/Sub
 * report messages on every state. Messages travel through a real (in-process) bus topic.
 */

const config = expectLoaded(
  buildFromFiles({
    config: yaml(`
      slack_reporter_configs:
        '*':
          job_types_to_report: [periodic]
          job_states_to_report: [failure]
          channel: ci-alerts
    `),
    jobs: {},
  }),
);

let store: EmbeddedStore;
let bus: InProcessBus;
let slack: SlackMessage[];
let reports: PubSubReportMessage[];
let deps: ReporterDependencies;

beforeEach(async () => {
  store = EmbeddedStore.open();
  bus = new InProcessBus();
  await bus.declare(['ci-results'], [{ name: 'ci-results-reader', topic: 'ci-results', ackDeadlineSeconds: 10, maxDeliveryAttempts: 5, minBackoffMs: 100, maxBackoffMs: 1000 }]);
  reports = [];
  await bus.subscribe('ci-results-reader', async (message) => {
    reports.push(JSON.parse(message.data.toString('utf8')) as PubSubReportMessage);
  });
  slack = [];
  deps = {
    store,
    config,
    log: memoryLogger(),
    now: Date.now,
    slack: async (message) => {
      slack.push(message);
    },
    publishReport: async (_project, topic, message) => {
      await bus.publish(topic, { data: JSON.stringify(message) });
    },
    statusUrl: 'https://ci.example.com',
    artifactsBucket: 'gs://acme-ci-logs',
  };
});

afterEach(async () => {
  await bus.close();
  await store.close();
});

describe('Slack and Pub/Sub reports', () => {
  it('announce a failed periodic on Slack once, and publish Prow’s report message for each state once', async () => {
    const job = testProwJob({ type: 'periodic', job: 'nightly-e2e' });
    job.metadata.annotations = {
      ...job.metadata.annotations,
      'prow.k8s.io/pubsub.project': 'acme-ci',
      'prow.k8s.io/pubsub.topic': 'ci-results',
      'prow.k8s.io/pubsub.runID': 'nightly-42',
    };
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });
    await reportJob(deps, name);
    await store.jobs.update(name, { state: 'pending', status: { build_id: '1001' } }, 'latest');
    await reportJob(deps, name);
    await store.jobs.update(name, { state: 'failure' }, 'latest');
    await reportJob(deps, name);
    // Redelivered triggers and a later sweep add nothing.
    await reportJob(deps, name);
    await sweepReports({ ...deps, now: () => Date.now() + 3_600_000 });

    await waitFor(() => reports.length === 3, 'three report messages');
    expect(reports.map((report) => report.status)).toEqual(['triggered', 'pending', 'failure']);
    expect(reports[2]).toMatchObject({
      project: 'acme-ci',
      topic: 'ci-results',
      runid: 'nightly-42',
      url: `https://ci.example.com/view/${name}`,
      gcs_path: 'gs://acme-ci-logs/logs/nightly-e2e/1001',
      job_type: 'periodic',
      job_name: 'nightly-e2e',
    });
    expect(slack).toEqual([
      { channel: 'ci-alerts', text: `Job nightly-e2e of type periodic ended with state failure. <https://ci.example.com/view/${name}|View logs>` },
    ]);
  });

  it('retries only the channel that failed', async () => {
    const job = testProwJob({ type: 'periodic', job: 'nightly-e2e' });
    job.metadata.annotations = { 'prow.k8s.io/pubsub.project': 'acme-ci', 'prow.k8s.io/pubsub.topic': 'ci-results' };
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });
    await store.jobs.update(name, { state: 'aborted' }, 'latest');
    let slackDown = true;
    const flaky: ReporterDependencies = {
      ...deps,
      config: expectLoaded(
        buildFromFiles({
          config: yaml(`
            slack_reporter_configs:
              '*': {job_types_to_report: [periodic], job_states_to_report: [aborted], channel: ci-alerts}
          `),
          jobs: {},
        }),
      ),
      slack: async (message) => {
        if (slackDown) throw new Error('Slack refused the message for ci-alerts: HTTP 500');
        slack.push(message);
      },
    };
    await expect(reportJob(flaky, name)).rejects.toThrow(/HTTP 500/);
    expect((await store.jobs.get(name))?.reportDue).toBe(true);
    slackDown = false;
    expect(await reportJob(flaky, name)).toBe('reported');
    await waitFor(() => reports.length === 1, 'one report message');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports).toHaveLength(1);
    expect(slack).toHaveLength(1);
    expect((await store.jobs.get(name))?.reportDue).toBeUndefined();
  });

  it('gives up, with an error in the log, on a report that still fails a day after the change', async () => {
    const job = testProwJob({ type: 'periodic', job: 'nightly-e2e' });
    job.spec.reporter_config = { slack: { channel: 'nowhere', job_states_to_report: ['aborted'] } };
    const name = job.metadata.name ?? '';
    await store.jobs.create(job, { idempotencyKey: name });
    await store.jobs.update(name, { state: 'aborted' }, 'latest');
    const log = memoryLogger();
    const broken: ReporterDependencies = {
      ...deps,
      log,
      slack: async () => {
        throw new Error('no Slack incoming webhook for channel nowhere (and no "*" webhook)');
      },
    };
    expect(await sweepReports({ ...broken, now: () => Date.now() + 3_600_000 })).toMatchObject({ failed: 1 });
    expect((await store.jobs.get(name))?.reportDue).toBe(true);
    expect(await sweepReports({ ...broken, now: () => Date.now() + 25 * 3_600_000 })).toMatchObject({ failed: 1 });
    expect((await store.jobs.get(name))?.reportDue).toBeUndefined();
    expect(log.entries).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'giving up reporting this state after a day of failures', jobId: name }));
  });
});
