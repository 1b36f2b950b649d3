import { cloudEvent } from '@google-cloud/functions-framework';
import { busCherryPicker } from '../../shared/cherrypick/job';
import { configSourceFromEnv } from '../../shared/config/config-source';
import { LANES } from '../../shared/plugins/lanes';
import { PLUGIN_SETTINGS, PLUGINS } from '../../shared/plugins/registry';
import { cloudBus, cloudLogger, cloudNudge } from '../../shared/runtime/cloud';
import { EVENTS_SUBSCRIPTION } from '../../shared/runtime/deployment';
import { laneFunction } from '../../shared/runtime/lane-function';

/**
 * Pub/Sub `github-events` → every plugin but trigger, and the external plugins (Prow's hook, plugin
 * half; the plugins lane of shared/plugins/lanes.ts). Wiring only.
 */
cloudEvent(
  'events',
  laneFunction({
    lane: LANES.plugins,
    subscription: EVENTS_SUBSCRIPTION,
    plugins: PLUGINS,
    config: () => configSourceFromEnv(process.env, cloudLogger(), { pluginSettings: PLUGIN_SETTINGS }),
    nudge: cloudNudge,
    cherryPicker: () => busCherryPicker(cloudBus()),
  }),
);
