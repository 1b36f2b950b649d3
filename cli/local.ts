import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ConfigPaths } from '../shared/config/load';
import { startLocalSystem } from './local/system';
import { createLogger } from '../shared/log/logger';
import { startFirestoreEmulator, startPubSubEmulator, type RunningEmulator } from '../shared/runtime/emulators';
import { parseFlags, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { demoConfigPaths } from './demo-config';
import { LOCAL_USAGE } from './local-usage';



const FirebaseEmulatorsSchema = z.object({
  emulators: z.object({
    firestore: z.object({ port: z.number().int() }),
    pubsub: z.object({ port: z.number().int() }),
  }),
});

function emulatorPorts(): { firestore: number; pubsub: number } {
  const file = path.join(process.cwd(), 'firebase.json');
  if (!existsSync(file)) return { firestore: 8081, pubsub: 8085 };
  const parsed = FirebaseEmulatorsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`firebase.json: emulators.firestore.port and emulators.pubsub.port are needed: ${parsed.error.message}`);
  return { firestore: parsed.data.emulators.firestore.port, pubsub: parsed.data.emulators.pubsub.port };
}

export async function localCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    'plugin-config': { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'work-dir': { type: 'string' },
    emulators: { type: 'boolean', default: false },
    clusters: { type: 'string' },
    'max-periodics-per-tick': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(LOCAL_USAGE);
    return 0;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not ${values.port}`);
  const clusters = values.clusters === undefined ? undefined : values.clusters.trim() === 'all' ? ('all' as const) : values.clusters.split(',').map((name) => name.trim()).filter(Boolean);
  if (Array.isArray(clusters) && clusters.length === 0) throw new UsageError('--clusters needs "all" or cluster names separated by commas');
  const maxPeriodics = values['max-periodics-per-tick'] === undefined ? undefined : Number(values['max-periodics-per-tick']);
  if (maxPeriodics !== undefined && (!Number.isInteger(maxPeriodics) || maxPeriodics < 0)) {
    throw new UsageError(`--max-periodics-per-tick must be a whole number (0 for no limit), not ${values['max-periodics-per-tick']}`);
  }
  if (!values['config-path'] && (values['job-config-path'] || values['plugin-config'])) {
    throw new UsageError('--job-config-path and --plugin-config need --config-path');
  }
  const configPaths: ConfigPaths = values['config-path']
    ? {
        configPath: values['config-path'],
        ...(values['job-config-path'] ? { jobConfigPath: values['job-config-path'] } : {}),
        ...(values['plugin-config'] ? { pluginConfigPath: values['plugin-config'] } : {}),
      }
    : demoConfigPaths();
  const dataDir = path.resolve(values['data-dir'] ?? '.cutwater');
  const log = createLogger({ projectId: 'local' }).child({ component: 'local' });

  const emulators: RunningEmulator[] = [];
  let emulatorHosts: { projectId: string; firestoreHost: string; pubsubHost: string } | undefined;
  if (values.emulators) {
    const ports = emulatorPorts();
    io.stdout(`starting the Firestore (port ${ports.firestore}) and Pub/Sub (port ${ports.pubsub}) emulators…`);
    const projectId = process.env.GOOGLE_CLOUD_PROJECT || 'cutwater-local';
    const started = await Promise.allSettled([startFirestoreEmulator(projectId, ports.firestore), startPubSubEmulator(projectId, ports.pubsub)]);
    for (const result of started) if (result.status === 'fulfilled') emulators.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(emulators.map((emulator) => emulator.stop()));
      throw (failed as PromiseRejectedResult).reason;
    }
    const [firestore, pubsub] = emulators as [RunningEmulator, RunningEmulator];
    emulatorHosts = { projectId, firestoreHost: firestore.host, pubsubHost: pubsub.host };
  }

  const system = await startLocalSystem({
    configPaths,
    dataDir,
    ...(values['work-dir'] ? { workDir: path.resolve(values['work-dir']) } : {}),
    port,
    ...(clusters ? { clusters } : {}),
    ...(maxPeriodics === undefined ? {} : { maxPeriodicsPerTick: maxPeriodics }),
    env: process.env,
    log,
    ...(emulatorHosts ? { emulators: emulatorHosts } : {}),
  }).catch(async (error: unknown) => {
    await Promise.all(emulators.map((emulator) => emulator.stop()));
    throw error;
  });
  io.stdout(
    [
      `Cutwater is running (config: ${configPaths.configPath}; data: ${dataDir})`,
      ...(system.sandbox ? [`GitHub: sandbox (no credentials) — open ${system.url}/sandbox`] : []),
      ...system.summary.map((line) => `  ${line}`),
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  io.stdout('stopping: letting running work finish writing…');
  try {
    await system.stop();
  } finally {
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  }
  io.stdout('stopped cleanly.');
  return 0;
}
