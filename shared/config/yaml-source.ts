import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ConfigProblem } from './problems';

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file that still knows where each value came from. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** The 1-based line of the value at `path`, or of its nearest existing ancestor. */
  lineOf(path: YamlPath): number;
}

export type YamlParseResult = { ok: true; source: YamlSource } | { ok: false; problems: ConfigProblem[] };

/**
 * Parse as Prow does (sigs.k8s.io/yaml reads the first document; duplicate keys are errors),
 * keeping a line counter so that later validation can point at the offending line.
 */
export function parseYamlSource(file: string, text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  if (document.errors.length > 0) {
    // A tab used as indentation makes the parser misread what follows, and its other complaints
    // (implicit keys, block sequences) only echo it, on earlier lines: the tab is what to fix.
    const tabs = document.errors.filter((error) => error.code === 'TAB_AS_INDENT');
    return {
      ok: false,
      problems: (tabs.length > 0 ? tabs : document.errors).map((error) => ({
        file,
        line: error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line,
        message: error.code === 'TAB_AS_INDENT' ? 'YAML: a tab is used as indentation; indent with spaces' : `YAML: ${firstLine(error.message)}`,
      })),
    };
  }
  const value = document.toJS({ maxAliasCount: 10_000 }) as unknown;
  const root = document.contents as Node | null;
  return {
    ok: true,
    source: {
      file,
      value,
      lineOf(path) {
        let node: unknown = root;
        let line = root?.range ? lineCounter.linePos(root.range[0]).line : 1;
        for (const segment of path) {
          if (isMap(node)) {
            const pair = node.items.find(
              (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
            );
            if (!pair) break;
            const key = pair.key as Node;
            if (key.range) line = lineCounter.linePos(key.range[0]).line;
            node = pair.value;
          } else if (isSeq(node) && typeof segment === 'number') {
            const item = node.items[segment] as Node | undefined;
            if (!item) break;
            if (item.range) line = lineCounter.linePos(item.range[0]).line;
            node = item;
          } else {
            break;
          }
        }
        return line;
      },
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
/** `triggers[0].trusted_apps`, `plugins["kubernetes/test-infra"].plugins[2]`. */
export function formatYamlPath(path: YamlPath): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) formatted += formatted ? `.${segment}` : segment;
    else formatted += `[${JSON.stringify(segment)}]`;
  }
  return formatted;
}
