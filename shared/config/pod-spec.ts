import { PodSpec } from 'kubernetes-models/v1/PodSpec';
import { reservedEnvForType } from '../prowjob/environment';
import type { DecorationConfig, ProwJobType } from '../prowjob/schema';
import type { YamlPath } from './yaml-source';

/** Names the pod utilities claim when a job is decorated (Prow's pkg/pod-utils/decorate). */
const POD_UTILITY_CONTAINERS = new Set(['clonerefs', 'initupload', 'place-entrypoint', 'sidecar']);
const DECORATION_VOLUMES = ['logs', 'code', 'tools', 'gcs-credentials', 's3-credentials'];
const TEST_CONTAINER_DECORATION_MOUNTS = new Set(['logs', 'code', 'tools']);
const TEST_CONTAINER_DECORATION_PATHS = new Set(['/logs', '/home/prow/go', '/tools']);

export interface PodSpecProblem {
  /** Path inside the pod spec (e.g. ['containers', 0, 'env', 2, 'name']). */
  readonly path: YamlPath;
  readonly message: string;
}

interface Named {
  name?: unknown;
}

/**
 * Prow's `validatePodSpec` rules plus the Kubernetes OpenAPI schema, so that a pod the API
 * server would refuse is caught when the config is checked, not when the job first runs.
 */
export function validatePodSpec(
  spec: Record<string, unknown>,
  type: ProwJobType,
  decoration: DecorationConfig | undefined,
): PodSpecProblem[] {
  const problems: PodSpecProblem[] = [];
  const containers = asArray(spec.containers) as Record<string, unknown>[];
  const initContainers = asArray(spec.initContainers) as Record<string, unknown>[];

  initContainers.forEach((container, index) => {
    if (container.restartPolicy !== 'Always') {
      problems.push({
        path: ['initContainers', index],
        message: `init container ${describe(container)} is not allowed (only sidecars with restartPolicy: Always)`,
      });
    }
  });

  if (containers.length === 0) {
    problems.push({ path: ['containers'], message: 'pod spec must specify at least 1 container' });
    return problems;
  }
  if (containers.length > 1 && !decoration) {
    problems.push({
      path: ['containers'],
      message: `${containers.length} containers need decoration (decorate: true) to run together`,
    });
  }
  if (containers.length > 1) {
    const seen = new Set<string>();
    containers.forEach((container, index) => {
      const name = typeof container.name === 'string' ? container.name : '';
      if (!name)
        problems.push({
          path: ['containers', index],
          message: 'every container needs a name when there are several',
        });
      else if (seen.has(name))
        problems.push({
          path: ['containers', index, 'name'],
          message: `container "${name}" is defined more than once`,
        });
      else if (POD_UTILITY_CONTAINERS.has(name)) {
        problems.push({
          path: ['containers', index, 'name'],
          message: `container name "${name}" is reserved for decoration`,
        });
      }
      seen.add(name);
    });
  }

  const reservedEnv = new Set(reservedEnvForType(type));
  containers.forEach((container, index) => {
    const names = new Set<string>();
    asArray(container.env).forEach((env, envIndex) => {
      const name = (env as Named).name;
      if (typeof name !== 'string') return;
      if (names.has(name))
        problems.push({
          path: ['containers', index, 'env', envIndex],
          message: `env var "${name}" is defined more than once`,
        });
      if (reservedEnv.has(name)) {
        problems.push({
          path: ['containers', index, 'env', envIndex],
          message: `env var "${name}" is set by Prow for ${type} jobs and cannot be overridden`,
        });
      }
      names.add(name);
    });
  });

  const decorationVolumes = new Set(DECORATION_VOLUMES);
  if (decoration?.oauth_token_secret?.name) decorationVolumes.add(decoration.oauth_token_secret.name);
  for (const secret of decoration?.ssh_key_secrets ?? []) decorationVolumes.add(secret);
  const volumeNames = new Set<string>();
  asArray(spec.volumes).forEach((volume, index) => {
    const name = (volume as Named).name;
    if (typeof name !== 'string') return;
    if (volumeNames.has(name))
      problems.push({ path: ['volumes', index], message: `volume "${name}" is defined more than once` });
    if (decoration && decorationVolumes.has(name))
      problems.push({
        path: ['volumes', index],
        message: `volume name "${name}" is reserved for decoration`,
      });
    volumeNames.add(name);
  });
  containers.forEach((container, index) => {
    asArray(container.volumeMounts).forEach((mount, mountIndex) => {
      const { name, mountPath } = mount as { name?: unknown; mountPath?: unknown };
      const where = ['containers', index, 'volumeMounts', mountIndex];
      if (
        typeof name === 'string' &&
        !volumeNames.has(name) &&
        !(decoration && decorationVolumes.has(name))
      ) {
        problems.push({ path: where, message: `volumeMount "${name}" refers to no volume of the pod` });
      }
      if (decoration && typeof name === 'string' && TEST_CONTAINER_DECORATION_MOUNTS.has(name)) {
        problems.push({ path: where, message: `volumeMount name "${name}" is reserved for decoration` });
      }
      if (decoration && typeof mountPath === 'string' && TEST_CONTAINER_DECORATION_PATHS.has(mountPath)) {
        problems.push({ path: where, message: `mount at ${mountPath} conflicts with a decoration mount` });
      }
    });
  });

  if (decoration) {
    containers.forEach((container, index) => {
      const argv = [...asArray(container.command), ...asArray(container.args)];
      if (argv.length === 0 || argv[0] === '') {
        problems.push({
          path: ['containers', index],
          message: 'decorated job containers must specify command and/or args',
        });
      }
    });
  }

  problems.push(...kubernetesSchemaProblems(spec, containers));
  return problems;
}

function kubernetesSchemaProblems(
  spec: Record<string, unknown>,
  containers: Record<string, unknown>[],
): PodSpecProblem[] {
  // Prow names a lone unnamed container "test" when it builds the pod, so the schema sees a name.
  const candidate =
    containers.length === 1 && !containers[0]!.name
      ? { ...spec, containers: [{ ...containers[0], name: 'test' }] }
      : spec;
  try {
    new PodSpec(candidate as unknown as ConstructorParameters<typeof PodSpec>[0]).validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: { instancePath: string; message?: string; keyword: string }[] })
      .errors;
    if (!details)
      return [
        { path: [], message: `pod spec rejected by the Kubernetes schema: ${(error as Error).message}` },
      ];
    // ajv reports each failed branch of a oneOf (int-or-string quantities) separately; keep one line per place.
    const byPath = new Map<string, string>();
    for (const detail of details) {
      if (byPath.has(detail.instancePath) && detail.keyword !== 'oneOf') continue;
      byPath.set(
        detail.instancePath,
        detail.keyword === 'oneOf' ? 'must be a number or a string' : (detail.message ?? 'is invalid'),
      );
    }
    return [...byPath].map(([pointer, message]) => {
      const path = pointer
        .split('/')
        .slice(1)
        .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
      return { path, message: `${path.join('.') || 'spec'} ${message} (Kubernetes PodSpec schema)` };
    });
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function describe(container: Record<string, unknown>): string {
  return typeof container.name === 'string' && container.name ? `"${container.name}"` : '(unnamed)';
}
