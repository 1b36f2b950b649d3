import { onTestFinished } from 'vitest';
import { buildFromFiles, expectLoaded } from './config';
import { startFakeGitHub, type FakeGitHub } from './fake-github';
import type { CherryPicker } from '../../shared/cherrypick/job';
import type { Config } from '../../shared/config/model';
import type { PluginConfig } from '../../shared/config/plugin-config';
import { GitHubClients } from '../../shared/github/octokit';
import { OutboxWriter, writerClientsOf } from '../../shared/outbox/writer';
import { memoryLogger } from '../../shared/log/logger';
import type { DispatchLane } from '../../shared/plugins/lanes';
import { dispatch, type DispatchOutcome } from '../../shared/plugins/engine';
import type { Plugin } from '../../shared/plugins/plugin';
import type { SlackSender } from '../../shared/reporter/slack';
import { PLUGINS } from '../../shared/plugins/registry';
import { EmbeddedStore } from '../../shared/store/embedded';
import type { StoredJob } from '../../shared/store/store';

/**
 * Plugins under test, wired as in production but in one process: the plugin engine with a real
 * GitHub client talking HTTP to the fake GitHub server, an embedded store, and config loaded from
 * inline YAML through the real loader. `deliver` runs one webhook delivery through every enabled
 * plugin and resolves when they are done.
 */
export interface PluginHarness {
  github: FakeGitHub;
  store: EmbeddedStore;
  log: ReturnType<typeof memoryLogger>;
  config: Config;
  pluginConfig: PluginConfig;
  /** Through one lane's plugins (shared/plugins/lanes.ts) when given; every plugin otherwise. */
  deliver(eventName: string, payload: Record<string, unknown>, lane?: DispatchLane): Promise<DispatchOutcome>;
  /** Every stored ProwJob, newest first. */
  jobs(): Promise<StoredJob[]>;
  /** Also run automatically when the test that started the harness finishes. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** plugins.yaml text. */
  plugins: string;
  /** config.yaml text. */
  config?: string;
  /** A job-config file's text. */
  jobs?: string;
  /** Plugins to register (default: all in-tree plugins). */
  registry?: readonly Plugin[];
  now?: () => Date;
  /** The webhook secret external plugins' deliveries are signed with. */
  hmacSecret?: string;
  /** Slack as plugins see it (slackevents); none by default. */
  slack?: SlackSender;
  /** Where the cherrypicker plugin's requests go. */
  cherryPicker?: CherryPicker;
}

let deliveries = 0;

export async function startPluginHarness(options: HarnessOptions): Promise<PluginHarness> {
  const config = expectLoaded(
    buildFromFiles({
      config: options.config ?? '',
      jobs: options.jobs === undefined ? {} : { 'jobs.yaml': options.jobs },
      plugins: options.plugins,
    }),
  );
  const pluginConfig = config.plugins;
  if (!pluginConfig) throw new Error('test bug: plugins.yaml did not load');
  const github = await startFakeGitHub();
  // Unpaced: GitHub asks for a second between writes, which would only slow the tests.
  const clients = new GitHubClients({ baseUrl: github.url, auth: { token: 'test-token' }, pacing: false, retryAfterBaseMs: 1 });
  const client = clients.clientForInstallation();
  const store = EmbeddedStore.open();
  const log = memoryLogger();
  // Writes go through the outbox as in production; each delivery's are sent before deliver resolves.
  const writer = new OutboxWriter({ outbox: store.outbox, github: writerClientsOf(clients), log, limits: { windows: [] }, coalesceWindowMs: 0 });
  const installation = clients.installationKey();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await github.close();
      await store.close();
    })());
  // Every test that starts a harness gets it stopped, without each file repeating the teardown.
  onTestFinished(close);
  return {
    github,
    store,
    log,
    config,
    pluginConfig,
    deliver: async (eventName, payload, lane) => {
      const outcome = await dispatch(
        {
          plugins: options.registry ?? PLUGINS,
          github: () => client,
          store,
          config,
          pluginConfig,
          log,
          ...(options.now ? { now: options.now } : {}),
          ...(options.hmacSecret ? { hmacSecret: options.hmacSecret } : {}),
          ...(options.slack ? { slack: options.slack } : {}),
          ...(options.cherryPicker ? { cherryPicker: options.cherryPicker } : {}),
          outbox: { nudge: () => undefined, installationKey: () => installation },
        },
        { name: eventName, id: `delivery-${++deliveries}`, rawBody: JSON.stringify(payload), payload },
        lane,
      );
      await writer.drain(installation, { deadline: Date.now() + 60_000 });
      return outcome;
    },
    jobs: async () => (await store.jobs.list({}, { limit: 1000 })).jobs,
    close,
  };
}
