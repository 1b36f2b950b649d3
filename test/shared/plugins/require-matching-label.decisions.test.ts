import { describe, expect, it } from 'vitest';
import {
  compileRules,
  gracePeriodFor,
  ruleAction,
  rulesFor,
  type LabelRule,
} from '../../../shared/plugins/require-matching-label';

const [sigRule, kindRule, releaseRule] = compileRules([
  { org: 'acme', issues: true, prs: true, regexp: '^sig/', missing_label: 'needs-sig', missing_comment: 'Add a sig.' },
  { org: 'acme', repo: 'widgets', prs: true, regexp: '^kind/', missing_label: 'needs-kind', grace_period: '1m' },
  { org: 'acme', repo: 'widgets', branch: 'release', prs: true, regexp: '^cherry-pick-approved$', missing_label: 'needs-approval' },
]) as [LabelRule, LabelRule, LabelRule];
const rules = [sigRule, kindRule, releaseRule];

describe('which rules apply', () => {
  it('applies rules for issues to issues and rules for PRs to PRs', () => {
    expect(rulesFor(rules, { org: 'acme', repo: 'widgets' })).toEqual([sigRule]);
    expect(rulesFor(rules, { org: 'acme', repo: 'widgets', branch: 'main' })).toEqual([sigRule, kindRule]);
  });

  it('narrows by org, repo and base branch', () => {
    expect(rulesFor(rules, { org: 'other', repo: 'widgets', branch: 'main' })).toEqual([]);
    expect(rulesFor(rules, { org: 'acme', repo: 'gadgets', branch: 'release' })).toEqual([sigRule]);
    expect(rulesFor(rules, { org: 'acme', repo: 'widgets', branch: 'release' })).toEqual([sigRule, kindRule, releaseRule]);
  });

  it('on a label event, keeps only the rules whose family the label belongs to', () => {
    expect(rulesFor(rules, { org: 'acme', repo: 'widgets', branch: 'main', label: 'kind/bug' })).toEqual([kindRule]);
    expect(rulesFor(rules, { org: 'acme', repo: 'widgets', label: 'lgtm' })).toEqual([]);
  });
});

describe('what a rule does', () => {
  it('adds the marker when no label matches', () => {
    expect(ruleAction(sigRule, ['lgtm'])).toBe('add');
  });

  it('removes the marker once a matching label is there', () => {
    expect(ruleAction(sigRule, ['needs-sig', 'sig/node'])).toBe('remove');
  });

  it('does nothing when the labels are already consistent', () => {
    expect(ruleAction(sigRule, ['needs-sig'])).toBe('none');
    expect(ruleAction(sigRule, ['sig/node'])).toBe('none');
  });
});

describe('grace period', () => {
  it("defaults to Prow's 5s and waits for the longest of the applicable rules", () => {
    expect(sigRule.gracePeriodMs).toBe(5_000);
    expect(gracePeriodFor([sigRule, kindRule])).toBe(60_000);
    expect(gracePeriodFor([])).toBe(0);
  });
});
