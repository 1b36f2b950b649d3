import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { describeJobWrite } from '../../shared/reporter/firestore-event';
import { changeNeedsReport, reportJob } from '../../shared/reporter/report-job';
import { cloudLogger, cloudNudge, cloudStore, publishToProject } from '../../shared/runtime/cloud';
import { configSourceFromEnv, type ConfigSource } from '../../shared/config/config-source';
import { reportChannelsFromEnv, type ReportChannels } from '../../shared/runtime/reporting';

/**
 * Firestore `document.written` on `prowjobs/{name}` (Eventarc) → Prow's crier. Wiring only; a
 * thrown error makes Eventarc retry, and the scheduler's sweep heals whatever is still due after.
 */
let wiring: { config: ConfigSource; channels: ReportChannels } | undefined;

cloudEvent('reporter', async (event: CloudEvent<unknown>) => {
  const write = describeJobWrite(event.subject ?? String(event.document ?? ''), event.data);
  if (!write?.reportWorthy) return;
  const log = cloudLogger();
  wiring ??= {
    config: configSourceFromEnv(process.env, log),
    channels: reportChannelsFromEnv(process.env, log, {
      outbox: cloudStore().outbox,
      nudge: cloudNudge,
      publishReport: (project, topic, message) => publishToProject(project, topic, JSON.stringify(message)),
    }),
  };
  const deps = { ...wiring.channels, store: cloudStore(), log, config: await wiring.config.current() };
  // A change the event shows in full, and that nobody would see reported, costs no read.
  if (write.after && !changeNeedsReport(deps, write.before, write.after, log)) return;
  await reportJob(deps, write.jobName);
});
