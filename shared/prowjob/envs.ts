/**
 * Prow appends a job request's envs to every container of the job's pod spec; Kubernetes lets the
 * last of two same-named entries win, so the request's value overrides the config's. Here the
 * entry is replaced in place instead: the container gets the same environment, and the stored
 * ProwJob does not show two values for one variable. Init containers are left alone, as in Prow.
 * Returns the pod spec unchanged when there is nothing to apply or no containers to apply it to.
 */
export function podSpecWithEnvs<P extends Record<string, unknown>>(podSpec: P, envs: Record<string, string>): P {
  const entries = Object.entries(envs);
  if (entries.length === 0 || !Array.isArray(podSpec.containers)) return podSpec;
  const containers = (podSpec.containers as unknown[]).map((container) => {
    if (!isRecord(container)) return container;
    const env: unknown[] = Array.isArray(container.env) ? [...(container.env as unknown[])] : [];
    for (const [name, value] of entries) {
      const index = env.findIndex((entry) => isRecord(entry) && entry.name === name);
      if (index >= 0) env[index] = { name, value };
      else env.push({ name, value });
    }
    return { ...container, env };
  });
  return { ...podSpec, containers };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
