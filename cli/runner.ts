import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesExecutor } from '../runner/executor/kubernetes';
import { Runner } from '../runner/runner';
import { GcsArtifactStore } from '../shared/artifacts/gcs';
import { createLogger } from '../shared/log/logger';
import { configSourceFromEnv, fileConfigSource } from '../shared/config/config-source';
import { openStore } from '../shared/store/open';
import { parseFlags, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { RUNNER_USAGE } from './runner-usage';


export async function runnerCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    cluster: { type: 'string' },
    kubeconfig: { type: 'string' },
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    namespace: { type: 'string' },
    'artifacts-bucket': { type: 'string' },
    port: { type: 'string' },
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
