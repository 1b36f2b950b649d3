import { RE2JS } from 're2js';

/**
 * Prow's configuration is full of Go regular expressions (triggers, branches, run_if_changed…).
 * Go uses RE2, whose syntax and semantics differ from JavaScript's (inline `(?m)` flags, `\z`,
 * `\pL`, no backreferences), so we evaluate them with a faithful RE2 port instead of translating.
 * RE2 also matches in linear time, so a hostile pattern or input cannot stall a function.
 */
export interface GoRegexp {
  readonly source: string;
  /** Go's `MatchString`: true when the pattern matches anywhere in the input. */
  test(input: string): boolean;
  /**
   * Go's `FindAllStringSubmatch(input, -1)`: every match, left to right, each as the whole match
   * then its groups ("" for a group that took no part).
   */
  findAllSubmatches(input: string): string[][];
}

export class GoRegexpSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`invalid regex '${pattern}': ${reason}`);
    this.name = 'GoRegexpSyntaxError';
  }
}

export function compileGoRegexp(pattern: string): GoRegexp {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new GoRegexpSyntaxError(pattern, message.replace(/^error parsing regexp: /, ''));
  }
  return {
    source: pattern,
    test: (input: string) => compiled.matcher(input).find(),
    findAllSubmatches: (input: string) => {
      const matcher = compiled.matcher(input);
      const found: string[][] = [];
      while (matcher.find()) {
        const groups: string[] = [];
        for (let group = 0; group <= matcher.groupCount(); group++) groups.push(matcher.group(group) ?? '');
        found.push(groups);
      }
      return found;
    },
  };
}

/** Go's `regexp.Compile(strings.Join(alternatives, "|"))`, as Prow builds branch matchers. */
export function compileGoAlternation(alternatives: readonly string[]): GoRegexp {
  return compileGoRegexp(alternatives.join('|'));
}
