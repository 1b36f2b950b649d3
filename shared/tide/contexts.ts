import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { ContextPolicy, ContextState, HeadContext, RequiredJob } from './model';

/**
 * Which status contexts on a PR's head count for the merge pool: Prow's `TideContextPolicy`
 * (`IsOptional`, `MissingRequiredContexts`) and tide's `unsuccessfulContexts`.
 */

/** The pool's own commit status; never counted for or against a PR. */
export const TIDE_CONTEXT = 'tide';

/** Prow's `SkipRetestSentinel`: a success so marked passes for this head at any base. */
const SKIP_RETEST_SENTINEL = '[prow:skip-retest]';
const BASE_SHA_DELIMITERS = [' BaseSHA:', ' Basesha:'];
const SHA1_LENGTH = 40;

export interface ContextChecker {
  /** Prow's `IsOptional`: a context whose state does not matter. */
  isOptional(context: string): boolean;
  /** Prow's `MissingRequiredContexts`: required contexts absent from `present`, sorted. */
  missingRequired(present: readonly string[]): string[];
}

/**
 * The checker for one PR. Prow builds it per PR (`GetTideContextPolicy`) because the PR's
 * presubmits feed it; here the pool's policy comes resolved and the PR's required jobs are added
 * as never optional. They are not added to the contexts that must be present: Prow requires an
 * always-run job's context (the caller lists those in `requiredContexts`, as Prow's
 * `BranchRequirements` does) but only "requires if present" a conditional one, whose status may
 * never appear.
 */
export function contextCheckerFor(policy: ContextPolicy, jobs: readonly RequiredJob[] = []): ContextChecker {
  const optional = new Set(policy.optionalContexts);
  const optionalPatterns = (policy.optionalContextPatterns ?? []).map(contextRegexp);
  const notOptional = new Set([...policy.requiredContexts, ...policy.requiredIfPresentContexts, ...jobs.map((job) => job.context)]);
  const required = [...new Set(policy.requiredContexts)].sort();
  return {
    isOptional(context) {
      // Prow's order: an explicitly optional context wins over a required one.
      if (optional.has(context)) return true;
      // `optional-regex-contexts`: matched anywhere in the name, as Go's MatchString does.
      if (optionalPatterns.some((pattern) => pattern.test(context))) return true;
      if (notOptional.has(context)) return false;
      return policy.skipUnknownContexts;
    },
    missingRequired(present) {
      const seen = new Set(present);
      return required.filter((context) => !seen.has(context));
    },
  };
}

const contextRegexps = new Map<string, GoRegexp>();
function contextRegexp(pattern: string): GoRegexp {
  let regexp = contextRegexps.get(pattern);
  if (!regexp) contextRegexps.set(pattern, (regexp = compileGoRegexp(pattern)));
  return regexp;
}

/** A context that keeps a PR from merging: one present and not successful, or a required one missing. */
export interface UnsuccessfulContext {
  context: string;
  state: ContextState | 'missing';
}

/** Prow's `unsuccessfulContexts`: the head's non-optional contexts that are not successful, then the missing required ones. */
export function unsuccessfulContexts(contexts: readonly HeadContext[], checker: ContextChecker): UnsuccessfulContext[] {
  const unsuccessful: UnsuccessfulContext[] = [];
  for (const { context, state } of contexts) {
    if (context === TIDE_CONTEXT || checker.isOptional(context)) continue;
    if (state !== 'success') unsuccessful.push({ context, state });
  }
  for (const context of checker.missingRequired(contexts.map((c) => c.context))) {
    unsuccessful.push({ context, state: 'missing' });
  }
  return unsuccessful;
}

/** Prow's `isPassingTests`: every context that matters is successful. */
export function isPassingContexts(contexts: readonly HeadContext[], checker: ContextChecker): boolean {
  return unsuccessfulContexts(contexts, checker).length === 0;
}

/**
 * Prow's `BaseSHAFromContextDescription`: crier writes the base a result was tested against at the
 * end of the status description, so a result outlives its ProwJob.
 */
export function baseShaFromDescription(description: string | undefined): string | undefined {
  if (!description) return undefined;
  for (const delimiter of BASE_SHA_DELIMITERS) {
    const parts = description.split(delimiter);
    if (parts.length === 2 && parts[1]?.length === SHA1_LENGTH) return parts[1];
  }
  return undefined;
}

export function isSkipRetest(description: string | undefined): boolean {
  return description?.includes(SKIP_RETEST_SENTINEL) ?? false;
}
