import type { V1Container, V1PodSpec, V1Secret } from '@kubernetes/client-node';

/**
 * The Secrets a job's pod is given, and the values in them: what the runner censors from the job's
 * log and artifacts when it sets censor_secrets. Prow's sidecar censors the Secret volumes mounted
 * into the test containers; a job can print what its environment holds just as easily, so
 * secretKeyRef and envFrom Secrets count too, as do projected volumes.
 */

/** Secret name → the keys the pod takes from it, or 'all'. */
export type SecretReferences = Map<string, Set<string> | 'all'>;

export function secretReferences(podSpec: V1PodSpec | undefined): SecretReferences {
  const references: SecretReferences = new Map();
  const all = (name: string | undefined) => {
    if (name) references.set(name, 'all');
  };
  const key = (name: string | undefined, secretKey: string | undefined) => {
    if (!name || !secretKey) return;
    const existing = references.get(name);
    if (existing === 'all') return;
    references.set(name, new Set([...(existing ?? []), secretKey]));
  };
  for (const volume of podSpec?.volumes ?? []) {
    all(volume.secret?.secretName);
    for (const source of volume.projected?.sources ?? []) all(source.secret?.name);
  }
  const containers: V1Container[] = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
  for (const container of containers) {
    for (const entry of container.env ?? []) key(entry.valueFrom?.secretKeyRef?.name, entry.valueFrom?.secretKeyRef?.key);
    for (const source of container.envFrom ?? []) all(source.secretRef?.name);
  }
  return references;
}

/** Registry credentials are JSON around a few secret fields, which a job may print on their own. */
const DOCKER_CONFIG_KEYS = new Set(['.dockerconfigjson', '.dockercfg']);

/** The values of a Secret the pod takes (`keys`), decoded, and for registry credentials also their auth fields. */
export function secretValues(secret: V1Secret, keys: Set<string> | 'all'): Buffer[] {
  const values: Buffer[] = [];
  for (const [name, encoded] of Object.entries(secret.data ?? {})) {
    if (keys !== 'all' && !keys.has(name)) continue;
    const value = Buffer.from(encoded, 'base64');
    values.push(value);
    if (DOCKER_CONFIG_KEYS.has(name)) values.push(...registryCredentials(value));
  }
  return values;
}

/** The `auth` and `password` fields of a .dockerconfigjson ({"auths": {...}}) or .dockercfg ({...}). */
function registryCredentials(content: Buffer): Buffer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return [];
  }
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (!isObject(parsed)) return [];
  const entries = isObject(parsed.auths) ? parsed.auths : parsed;
  const found: Buffer[] = [];
  for (const entry of Object.values(entries)) {
    if (!isObject(entry)) continue;
    for (const field of ['auth', 'password']) {
      const value = entry[field];
      if (typeof value === 'string' && value !== '') found.push(Buffer.from(value, 'utf8'));
    }
  }
  return found;
}
