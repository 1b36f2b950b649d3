import * as kubernetesModels from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { z } from 'zod';
import { kubernetesTypeOf } from '../prowjob/kubernetes-object';
import type { YamlPath } from './yaml-source';

/**
 * Prow reads YAML through sigs.k8s.io/yaml into Go structs, and Go's decoder is forgiving in
 * ways real configs rely on: field names match case-insensitively (`NAME:` is `name:`), a
 * number or boolean given where a string is expected becomes its text (`value: 1000`), and
 * `null` means "not set". We reproduce that before validating, driven by our zod schemas and,
 * for Kubernetes objects, by the Kubernetes client's generated type map. The same walk finds
 * fields no struct declares, which Prow's `--strict` rejects.
 */
export interface GoDecodeResult {
  readonly value: unknown;
  readonly unknownFields: YamlPath[];
}

export function goDecode(schema: z.core.$ZodType, value: unknown, path: YamlPath = []): GoDecodeResult {
  const unknownFields: YamlPath[] = [];
  return { value: decodeWithSchema(schema, value, path, unknownFields), unknownFields };
}

function decodeWithSchema(
  schema: z.core.$ZodType,
  value: unknown,
  path: YamlPath,
  unknown: YamlPath[],
): unknown {
  const kubernetesType = kubernetesTypeOf(schema);
  if (kubernetesType) return decodeKubernetes(kubernetesType, value, path, unknown);
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return decodeWithSchema(def.innerType as z.core.$ZodType, value, path, unknown);
    case 'lazy':
      return decodeWithSchema((def.getter as () => z.core.$ZodType)(), value, path, unknown);
    case 'pipe':
      return decodeWithSchema(def.in as z.core.$ZodType, value, path, unknown);
    case 'string':
      return scalarAsString(value);
    case 'object': {
      if (!isPlainObject(value)) return value;
      const shape = def.shape as Record<string, z.core.$ZodType>;
      const catchall = def.catchall as z.core.$ZodType | undefined;
      const byLowerName = lowerNameIndex(Object.keys(shape));
      const decoded: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        if (child === null) continue;
        const field = key in shape ? key : byLowerName.get(key.toLowerCase());
        if (field) {
          decoded[field] = decodeWithSchema(shape[field]!, child, [...path, key], unknown);
        } else if (catchall) {
          decoded[key] = decodeWithSchema(catchall, child, [...path, key], unknown);
        } else {
          unknown.push([...path, key]);
          decoded[key] = child;
        }
      }
      return decoded;
    }
    case 'record': {
      if (!isPlainObject(value)) return value;
      const decoded: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        decoded[key] = decodeWithSchema(def.valueType as z.core.$ZodType, child, [...path, key], unknown);
      }
      return decoded;
    }
    case 'array':
      if (!Array.isArray(value)) return value;
      return value.map((item, index) =>
        decodeWithSchema(def.element as z.core.$ZodType, item, [...path, index], unknown),
      );
    case 'union': {
      // Decode along the first alternative that accepts the decoded value; strictness concerns names, not types.
      const options = def.options as z.core.$ZodType[];
      for (const option of options) {
        const optionUnknown: YamlPath[] = [];
        const decoded = decodeWithSchema(option, value, path, optionUnknown);
        if ((option as unknown as z.ZodType).safeParse(decoded).success) {
          unknown.push(...optionUnknown);
          return decoded;
        }
      }
      return value;
    }
    default:
      return value;
  }
}

interface AttributeType {
  readonly name: string;
  readonly baseName: string;
  readonly type: string;
}

const attributeCache = new Map<
  string,
  { byName: Map<string, AttributeType>; byLowerName: Map<string, AttributeType> } | null
>();

function attributesOf(typeName: string) {
  if (!attributeCache.has(typeName)) {
    const model = (
      kubernetesModels as unknown as Record<string, { getAttributeTypeMap?: () => AttributeType[] }>
    )[typeName];
    const attributes = model?.getAttributeTypeMap?.();
    attributeCache.set(
      typeName,
      attributes
        ? {
            byName: new Map(attributes.map((attribute) => [attribute.baseName, attribute])),
            byLowerName: new Map(
              attributes.map((attribute) => [attribute.baseName.toLowerCase(), attribute]),
            ),
          }
        : null,
    );
  }
  return attributeCache.get(typeName) ?? null;
}

function decodeKubernetes(type: string, value: unknown, path: YamlPath, unknown: YamlPath[]): unknown {
  if (value === null || value === undefined) return value;
  if (type === 'string') return scalarAsString(value);
  if (type === 'any' || type === 'IntOrString' || type === 'number' || type === 'boolean' || type === 'Date')
    return value;
  const arrayOf = /^Array<(.+)>$/.exec(type);
  if (arrayOf) {
    if (!Array.isArray(value)) return value;
    return value.map((item, index) => decodeKubernetes(arrayOf[1]!, item, [...path, index], unknown));
  }
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (mapOf) {
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        decodeKubernetes(mapOf[1]!, child, [...path, key], unknown),
      ]),
    );
  }
  const attributes = attributesOf(type);
  if (!attributes || !isPlainObject(value)) return value;
  const decoded: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null) continue;
    const attribute = attributes.byName.get(key) ?? attributes.byLowerName.get(key.toLowerCase());
    if (!attribute) {
      unknown.push([...path, key]);
      decoded[key] = child;
      continue;
    }
    decoded[attribute.baseName] = decodeKubernetes(attribute.type, child, [...path, key], unknown);
  }
  return decoded;
}

function scalarAsString(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function lowerNameIndex(names: readonly string[]): Map<string, string> {
  return new Map(names.map((name) => [name.toLowerCase(), name]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
