import { cloudEvent } from '@google-cloud/functions-framework';
import { configSourceFromEnv } from '../../shared/config/config-source';
import { LANES } from '../../shared/plugins/lanes';
import { PLUGIN_SETTINGS } from '../../shared/plugins/registry';
import { trigger } from '../../shared/plugins/trigger';
import { cloudLogger, cloudNudge } from '../../shared/runtime/cloud';
import { TRIGGER_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { laneFunction } from '../../shared/runtime/lane-function';

/**
 * Pub/Sub `github-events` → the trigger plugin: ProwJobs for PRs, pushes and `/test` (the jobs lane
 * of shared/plugins/lanes.ts, apart so that no other plugin's work delays a job). Wiring only.
 */
cloudEvent(
  'trigger',
  laneFunction({
    lane: LANES.jobs,
    subscription: TRIGGER_SUBSCRIPTION,
    plugins: [trigger],
    config: () => configSourceFromEnv(process.env, cloudLogger(), { pluginSettings: PLUGIN_SETTINGS }),
    nudge: cloudNudge,
  }),
);
