import { z } from 'zod';

/**
 * Kubernetes objects embedded in Prow's types (pod specs, resource requirements, affinities…)
 * stay as plain JSON here, but each schema position remembers which Kubernetes type it holds so
 * that config decoding can apply Kubernetes' field names and types to it.
 */
const kubernetesTypes = new WeakMap<z.core.$ZodType, string>();

export function kubernetesObject(typeName: string): z.ZodRecord<z.ZodString, z.ZodUnknown>;
export function kubernetesObject<T extends z.ZodType>(typeName: string, schema: T): T;
export function kubernetesObject(typeName: string, schema?: z.ZodType): z.ZodType {
  const marked = schema ?? z.record(z.string(), z.unknown());
  kubernetesTypes.set(marked, typeName);
  return marked;
}

export function kubernetesTypeOf(schema: z.core.$ZodType): string | undefined {
  return kubernetesTypes.get(schema);
}
