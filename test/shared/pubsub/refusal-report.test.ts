import { describe, expect, it } from 'vitest';
import { PermanentMessageError, type ReceivedMessage } from '../../../shared/bus/bus';
import { memoryLogger } from '../../../shared/log/logger';
import { PROW_EVENT_TYPE_ATTRIBUTE, PROW_JOB_EVENT_TYPES } from '../../../shared/pubsub/prow-job-event';
import { handleProwJobMessage } from '../../../shared/pubsub/trigger';
import type { PubSubReportMessage } from '../../../shared/reporter/pubsub-report';
import { EmbeddedStore } from '../../../shared/store/embedded';
import { buildFromFiles, expectLoaded, yaml } from '../../support/config';

/** Prow's sub answers a message it cannot turn into a job on the report topic the message names. */

const CONFIG = expectLoaded(
  buildFromFiles({
    jobs: {
      'jobs.yaml': yaml(`
        periodics:
        - name: nightly
          interval: 24h
          spec: {containers: [{image: alpine}]}
      `),
    },
  }),
);

const REPORT_TO = {
  'prow.k8s.io/pubsub.project': 'sender-project',
  'prow.k8s.io/pubsub.topic': 'sender-topic',
  'prow.k8s.io/pubsub.runID': 'run-42',
};

function message(data: unknown, id = 'm1'): ReceivedMessage {
  return {
    id,
    data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
    attributes: { [PROW_EVENT_TYPE_ATTRIBUTE]: PROW_JOB_EVENT_TYPES.periodic },
    publishTime: new Date(),
    deliveryAttempt: 1,
  };
}

async function handle(received: ReceivedMessage, publish?: (project: string, topic: string, report: PubSubReportMessage) => Promise<void>) {
  const published: { project: string; topic: string; report: PubSubReportMessage }[] = [];
  const store = EmbeddedStore.open();
  try {
    const outcome = await handleProwJobMessage(
      {
        store,
        config: CONFIG,
        log: memoryLogger(),
        publishReport:
          publish ??
          (async (project, topic, report) => {
            published.push({ project, topic, report });
          }),
      },
      received,
    ).catch((error: unknown) => error);
    return { outcome, published };
  } finally {
    await store.close();
  }
}

describe('a refused pubsub message', () => {
  it('is reported in error state on the topic its annotations name, then dead-lettered', async () => {
    const { outcome, published } = await handle(message({ name: 'weekly', annotations: REPORT_TO }));
    expect(outcome).toBeInstanceOf(PermanentMessageError);
    expect(published).toEqual([
      {
        project: 'sender-project',
        topic: 'sender-topic',
        report: expect.objectContaining({ project: 'sender-project', topic: 'sender-topic', runid: 'run-42', status: 'error', job_name: 'weekly' }),
      },
    ]);
  });

  it('is not reported when it names no report topic, or its data cannot be read', async () => {
    expect((await handle(message({ name: 'weekly' }))).published).toEqual([]);
    expect((await handle(message('not json'))).published).toEqual([]);
  });

  it('is still dead-lettered when the report cannot be published', async () => {
    const { outcome } = await handle(message({ name: 'weekly', annotations: REPORT_TO }), () => Promise.reject(new Error('no such topic')));
    expect(outcome).toBeInstanceOf(PermanentMessageError);
  });

  it('a message that makes its job is not reported here (crier reports the job)', async () => {
    const { outcome, published } = await handle(message({ name: 'nightly', annotations: REPORT_TO }));
    expect(outcome).toMatchObject({ created: true });
    expect(published).toEqual([]);
  });
});
