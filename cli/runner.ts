import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesExecutor } from '../runner/executor/kubernetes';
import { leaseTiming, LeaseTimingError, type LeaseTiming } from '../runner/lease-timing';
import { Runner } from '../runner/runner';
import { GcsArtifactStore } from '../shared/artifacts/gcs';
import { createLogger } from '../shared/log/logger';
import { configSourceFromEnv, fileConfigSource } from '../shared/config/config-source';
import { parseGoDuration } from '../shared/go/duration';
import { controlPlaneSecrets } from '../shared/runtime/control-plane-secrets';
import { openStore } from '../shared/store/open';
import { parseFlags, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { RUNNER_USAGE } from './runner-usage';
import { CUTWATER_VERSION } from '../shared/runtime/version';

/** A Go duration ("90s", "1m30s") from a flag, or else from its environment variable; undefined when neither is set. */
function durationSetting(flag: string, flagValue: string | undefined, variable: string, env: NodeJS.ProcessEnv): number | undefined {
  const fromFlag = flagValue !== undefined;
  const value = fromFlag ? flagValue : env[variable]?.trim() || undefined;
  if (value === undefined) return undefined;
  try {
    return parseGoDuration(value);
  } catch (error) {
    throw new UsageError(`${fromFlag ? `--${flag}` : `$${variable}`}: ${(error as Error).message} (a Go duration such as 60s or 1m30s)`);
  }
}

/** --lease-ttl and --heartbeat (or $LEASE_TTL and $HEARTBEAT), defaults filled in; a usage error when they cannot work together. */
export function runnerLeaseTiming(flags: { 'lease-ttl'?: string | undefined; heartbeat?: string | undefined }, env: NodeJS.ProcessEnv): LeaseTiming {
  const leaseTtlMs = durationSetting('lease-ttl', flags['lease-ttl'], 'LEASE_TTL', env);
  const heartbeatMs = durationSetting('heartbeat', flags.heartbeat, 'HEARTBEAT', env);
  try {
    return leaseTiming({ leaseTtlMs, heartbeatMs });
  } catch (error) {
    if (!(error instanceof LeaseTimingError)) throw error;
    throw new UsageError(`--lease-ttl and --heartbeat: ${error.message}`);
  }
}

export async function runnerCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    cluster: { type: 'string' },
    kubeconfig: { type: 'string' },
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    namespace: { type: 'string' },
    'artifacts-bucket': { type: 'string' },
    port: { type: 'string' },
    'lease-ttl': { type: 'string' },
    heartbeat: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(RUNNER_USAGE);
    return 0;
  }
  if (!values.cluster) throw new UsageError('--cluster is required');
  const configPath = values['config-path'] ?? process.env.CONFIG_PATH;
  if (!configPath && !process.env.CONFIG_SNAPSHOTS) {
    throw new UsageError('--config-path (or $CONFIG_PATH, or $CONFIG_SNAPSHOTS for published config snapshots) is required');
  }
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not ${values.port}`);
  const timing = runnerLeaseTiming(values, process.env);

  const log = createLogger({ projectId: process.env.GOOGLE_CLOUD_PROJECT ?? '' }).child({ component: 'runner', cluster: values.cluster });
  const jobConfigPath = values['job-config-path'] ?? process.env.JOB_CONFIG_PATH;
  // Flags name files; otherwise the environment does, with published snapshots (CONFIG_SNAPSHOTS) first.
  const config = values['config-path']
    ? fileConfigSource({ configPath: values['config-path'], ...(jobConfigPath ? { jobConfigPath } : {}) }, log)
    : configSourceFromEnv(process.env, log);
  const namespace = values.namespace ?? (await config.current()).podNamespace;

  const kubeConfig = new KubeConfig();
  if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
  else kubeConfig.loadFromCluster();
  const store = openStore({ backend: 'firestore', ...(process.env.GOOGLE_CLOUD_PROJECT ? { projectId: process.env.GOOGLE_CLOUD_PROJECT } : {}) });
  const bucket = values['artifacts-bucket'] ?? process.env.ARTIFACTS_BUCKET;
  const runner = new Runner({
    cluster: values.cluster,
    holder: `${values.cluster}/${hostname()}-${process.pid}`,
    store,
    executor: new KubernetesExecutor({ kubeConfig, namespace, cluster: values.cluster, log }),
    config,
    log,
    // Whatever secrets this runner's own environment holds never reach a stored log or artifact.
    secrets: controlPlaneSecrets(process.env),
    version: CUTWATER_VERSION,
    ...timing,
    ...(bucket ? { artifacts: new GcsArtifactStore({ bucket }) } : {}),
  });

  let ready = false;
  const health = createServer((request, response) => {
    const ok = request.url === '/healthz' && ready;
    response.writeHead(ok ? 200 : request.url === '/healthz' ? 503 : 404, { 'content-type': 'text/plain' });
    response.end(ok ? 'ok\n' : request.url === '/healthz' ? 'starting\n' : 'not found\n');
  });
  await new Promise<void>((resolve) => health.listen(port, resolve));
  await runner.start();
  ready = true;
  const address = health.address();
  io.stdout(`cutwater runner for cluster ${values.cluster}: pods in namespace ${namespace}; /healthz on port ${typeof address === 'object' && address ? address.port : port}`);

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  ready = false;
  await runner.stop();
  await new Promise((resolve) => health.close(resolve));
  await store.close();
  io.stdout('cutwater runner stopped; leases given back');
  return 0;
}
