import type { z } from 'zod';
import type { YamlPath } from './yaml-source';

/**
 * Prow's `--strict` mode rejects fields its Go structs do not declare (a typo such as
 * `run_if_change:` silently disables a job otherwise). Our schemas strip unknown keys when
 * parsing, so strictness is a separate walk over the schema and the value, reporting every
 * unknown key with its path. Objects declared loose (`z.looseObject`) or with a catch-all
 * accept anything, as do records of unknown values.
 */
export function findUnknownFields(schema: z.core.$ZodType, value: unknown, path: YamlPath = []): YamlPath[] {
  const found: YamlPath[] = [];
  walk(schema, value, path, found);
  return found;
}

function walk(schema: z.core.$ZodType, value: unknown, path: YamlPath, found: YamlPath[]): void {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      walk(def.innerType as z.core.$ZodType, value, path, found);
      return;
    case 'lazy':
      walk((def.getter as () => z.core.$ZodType)(), value, path, found);
      return;
    case 'pipe':
      walk(def.in as z.core.$ZodType, value, path, found);
      return;
    case 'object': {
      if (!isPlainObject(value)) return;
      const shape = def.shape as Record<string, z.core.$ZodType>;
      const catchall = def.catchall as z.core.$ZodType | undefined;
      for (const [key, child] of Object.entries(value)) {
        const fieldSchema = shape[key];
        if (fieldSchema) walk(fieldSchema, child, [...path, key], found);
        else if (!catchall) found.push([...path, key]);
        else walk(catchall, child, [...path, key], found);
      }
      return;
    }
    case 'record': {
      if (!isPlainObject(value)) return;
      for (const [key, child] of Object.entries(value)) {
        walk(def.valueType as z.core.$ZodType, child, [...path, key], found);
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) return;
      value.forEach((item, index) => {
        walk(def.element as z.core.$ZodType, item, [...path, index], found);
      });
      return;
    }
    case 'union': {
      // Check against the first alternative that accepts the value; strictness is about names, not types.
      const options = def.options as z.core.$ZodType[];
      const matching = options.find((option) => accepts(option, value));
      if (matching) walk(matching, value, path, found);
      return;
    }
    default:
      return;
  }
}

function accepts(schema: z.core.$ZodType, value: unknown): boolean {
  const result = (schema as unknown as z.ZodType).safeParse(value);
  return result.success;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
