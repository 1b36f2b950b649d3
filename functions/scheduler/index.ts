import { http } from '@google-cloud/functions-framework';
import { StaleWriteWarnings } from '../../shared/outbox/writer';
import { cloudLogger, cloudNudge, cloudStore, publishToProject } from '../../shared/runtime/cloud';
import { configSourceFromEnv, type ConfigSource } from '../../shared/config/config-source';
import { reportChannelsFromEnv, type ReportChannels } from '../../shared/runtime/reporting';
import { runSchedulerTick, tickFailed } from '../../shared/scheduler/tick';
import { tideChannelsFromEnv, type TideChannels } from '../../shared/runtime/tide';
import { statusReconcileChannels } from '../../shared/runtime/status-reconciler';
import type { StatusReconcileChannels } from '../../shared/statusreconciler/reconcile';

/**
 * Cloud Scheduler → HTTPS, once a minute: periodics, cleanup, the report sweep (Prow's horologium,
 * sinker and crier resync), the merge pool's sync (tide), status-reconciler, and a nudge to the GitHub writer of every installation whose writes
 * have come due. Wiring only. Who may invoke it is IAM's business (Cloud Scheduler's
 * OIDC token), not this code's.
 */
let wiring:
  | { config: ConfigSource; channels: ReportChannels; tide: TideChannels | undefined; statusReconcile: StatusReconcileChannels | undefined; writeWarnings: StaleWriteWarnings }
  | undefined;

http('scheduler', async (request, response) => {
  if (request.path === '/healthz') {
    response.status(200).send('ok');
    return;
  }
  if (request.method !== 'POST') {
    response.set('allow', 'POST').status(405).json({ message: 'Cloud Scheduler POSTs here once a minute' });
    return;
  }
  const log = cloudLogger();
  if (!wiring) {
    const tide = tideChannelsFromEnv(process.env, log, { outbox: cloudStore().outbox, nudge: cloudNudge });
    wiring = {
      config: configSourceFromEnv(process.env, log),
      channels: reportChannelsFromEnv(process.env, log, {
        outbox: cloudStore().outbox,
        nudge: cloudNudge,
        publishReport: (project, topic, message) => publishToProject(project, topic, JSON.stringify(message)),
      }),
      tide,
      // Tide's GitHub wiring serves the status reconciler too: reads direct, statuses through the outbox.
      statusReconcile: statusReconcileChannels(tide, process.env),
      writeWarnings: new StaleWriteWarnings(log, Date.now),
    };
  }
  const result = await runSchedulerTick(
    {
      store: cloudStore(),
      config: await wiring.config.current(),
      log,
      reporter: wiring.channels,
      nudge: cloudNudge,
      writeWarnings: wiring.writeWarnings,
      ...(wiring.tide ? { tide: wiring.tide } : {}),
      ...(wiring.statusReconcile ? { statusReconcile: wiring.statusReconcile } : {}),
    },
    new Date(),
  );
  response.status(tickFailed(result) ? 500 : 200).json(result);
});
