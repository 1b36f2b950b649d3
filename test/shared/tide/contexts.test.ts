import { describe, expect, it } from 'vitest';
import { baseShaFromDescription, contextCheckerFor, isPassingContexts, unsuccessfulContexts } from '../../../shared/tide/contexts';
import type { ContextPolicy, ContextState, HeadContext } from '../../../shared/tide/model';

/** Prow's TestIsPassing: which head contexts keep a PR from merging under a context policy. */

function policy(overrides: Partial<ContextPolicy> = {}): ContextPolicy {
  return { requiredContexts: [], requiredIfPresentContexts: [], optionalContexts: [], skipUnknownContexts: false, ...overrides };
}

function heads(states: Record<string, ContextState>): HeadContext[] {
  return Object.entries(states).map(([context, state]) => ({ context, state }));
}

interface Case {
  name: string;
  policy: ContextPolicy;
  contexts: Record<string, ContextState>;
  failed: string[];
}

describe('context policy', () => {
  const cases: Case[] = [
    { name: 'empty policy: every context counts, tide’s own does not', policy: policy(), contexts: { c1: 'success', c2: 'success', tide: 'failure' }, failed: [] },
    { name: 'empty policy: a failed context fails', policy: policy(), contexts: { c1: 'success', c2: 'success', c3: 'failure', tide: 'failure' }, failed: ['c3'] },
    { name: 'all required present and passing', policy: policy({ requiredContexts: ['c1', 'c2', 'c3'] }), contexts: { c1: 'success', c2: 'success', c3: 'success', tide: 'failure' }, failed: [] },
    { name: 'a required context missing', policy: policy({ requiredContexts: ['c1', 'c2', 'c3'] }), contexts: { c1: 'success', c2: 'success', tide: 'failure' }, failed: ['c3'] },
    { name: 'a failed one and a missing one', policy: policy({ requiredContexts: ['c1', 'c2', 'c3'], optionalContexts: ['c4'] }), contexts: { c1: 'success', c2: 'failure' }, failed: ['c2', 'c3'] },
    { name: 'an optional failed context is ignored', policy: policy({ requiredContexts: ['c1', 'c2', 'c3'], optionalContexts: ['c4'] }), contexts: { c1: 'success', c2: 'success', c3: 'success', c4: 'failure' }, failed: [] },
    {
      name: 'skipping unknown contexts still requires the required ones',
      policy: policy({ requiredContexts: ['c1', 'c2', 'c3'], skipUnknownContexts: true }),
      contexts: { c1: 'success', c2: 'success', tide: 'failure' },
      failed: ['c3'],
    },
    { name: 'skipping unknown contexts, a required one failing', policy: policy({ requiredContexts: ['c1', 'c2'], optionalContexts: ['c4'], skipUnknownContexts: true }), contexts: { c1: 'success', c2: 'failure' }, failed: ['c2'] },
    {
      name: 'skipping unknown contexts, an unknown one failing',
      policy: policy({ requiredContexts: ['c1', 'c3'], optionalContexts: ['c4'], skipUnknownContexts: true }),
      contexts: { c1: 'success', c2: 'success', c3: 'success', c4: 'failure', c5: 'failure' },
      failed: [],
    },
    { name: 'a required-if-present context counts when present', policy: policy({ requiredIfPresentContexts: ['c1'], skipUnknownContexts: true }), contexts: { c1: 'error' }, failed: ['c1'] },
  ];
  it.each(cases)('$name', ({ policy: contextPolicy, contexts, failed }) => {
    const checker = contextCheckerFor(contextPolicy);
    expect(unsuccessfulContexts(heads(contexts), checker).map((c) => c.context)).toEqual(failed);
    expect(isPassingContexts(heads(contexts), checker)).toBe(failed.length === 0);
  });

  it('treats contexts matching optional-regex-contexts as optional, anywhere in the name', () => {
    const checker = contextCheckerFor(policy({ optionalContextPatterns: ['^coverage/', 'flaky'], requiredContexts: ['unit'] }));
    expect(isPassingContexts(heads({ unit: 'success', 'coverage/go': 'failure', 'e2e-flaky-suite': 'error' }), checker)).toBe(true);
    expect(unsuccessfulContexts(heads({ unit: 'success', 'go/coverage': 'failure' }), checker)).toEqual([{ context: 'go/coverage', state: 'failure' }]);
  });

  it('counts the PR’s own required jobs even when unknown contexts are skipped', () => {
    const checker = contextCheckerFor(policy({ skipUnknownContexts: true }), [{ job: 'unit-job', context: 'unit' }]);
    expect(unsuccessfulContexts(heads({ unit: 'failure', lint: 'failure' }), checker)).toEqual([{ context: 'unit', state: 'failure' }]);
  });

  it('reads the base a result was tested against from its description', () => {
    const sha = 'c'.repeat(40);
    expect(baseShaFromDescription(`Job succeeded.\u2001\u2001 BaseSHA:${sha}`)).toBe(sha);
    expect(baseShaFromDescription(`Job succeeded. Basesha:${sha}`)).toBe(sha);
    expect(baseShaFromDescription('Job succeeded. BaseSHA:short')).toBeUndefined();
    expect(baseShaFromDescription(undefined)).toBeUndefined();
  });
});
