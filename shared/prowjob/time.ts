/** Prow writes Kubernetes times: RFC 3339, whole seconds, UTC. */
export function kubernetesTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
