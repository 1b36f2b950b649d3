import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { TOPICS, deadLetterTopicOf } from '../../shared/bus/bus';
import { handlePushed, receivedFromPush } from '../../shared/bus/push';
import { PROW_JOBS_SUBSCRIPTION, handleProwJobMessage } from '../../shared/pubsub/trigger';
import { cloudBus, cloudLogger, cloudStore, projectId, publishToProject } from '../../shared/runtime/cloud';
import { configSourceFromEnv, type ConfigSource } from '../../shared/config/config-source';

/** Pub/Sub `prow-jobs` → ProwJobs (Prow's sub). Wiring only. */
let config: ConfigSource | undefined;

cloudEvent('pubsub', async (event: CloudEvent<unknown>) => {
  // Built on first use, so loading the bundle needs no environment.
  config ??= configSourceFromEnv(process.env, cloudLogger());
  const configSource = config;
  const message = receivedFromPush(event.data);
  await handlePushed(
    message,
    async (received) => {
      await handleProwJobMessage(
        {
          store: cloudStore(),
          config: await configSource.current(),
          log: cloudLogger(),
          source: { project: projectId(), subscription: PROW_JOBS_SUBSCRIPTION, topic: TOPICS.prowJobs },
          publishReport: (project, topic, message) => publishToProject(project, topic, JSON.stringify(message)),
        },
        received,
      );
    },
    { bus: cloudBus(), topic: deadLetterTopicOf(PROW_JOBS_SUBSCRIPTION), subscription: PROW_JOBS_SUBSCRIPTION },
  );
});
