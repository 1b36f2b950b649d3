import { afterEach, describe, expect, it } from 'vitest';
import { formatNotice } from '../../../shared/plugins/respond';
import {
  createRequireMatchingLabelPlugin,
  compileRules,
  gracePeriodFor,
  ruleAction,
  rulesFor,
  type LabelRule,
} from '../../../shared/plugins/require-matching-label';
import { yaml } from '../../support/config';
import { issue, issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const MISSING_SIG = 'Please add a sig label with /sig <name>.';
const PLUGINS = yaml(`
  plugins:
    acme/widgets:
      plugins: [require-matching-label]
  require_matching_label:
  - org: acme
    repo: widgets
    issues: true
    regexp: ^sig/
    missing_label: needs-sig
    missing_comment: "${MISSING_SIG}"
  - org: acme
    prs: true
    branch: main
    regexp: ^kind/
    missing_label: needs-kind
    grace_period: 30s
`);

function labelEvent(number: number, label: string, labels: string[]): Record<string, unknown> {
  const payload = issue('labeled', { number, labels });
  payload['label'] = { name: label };
  return payload;
}

describe('require-matching-label plugin', () => {
  let harness: PluginHarness | undefined;
  let waits: number[] = [];
  afterEach(() => {
    waits = [];
  });

  async function start(): Promise<PluginHarness> {
    const plugin = createRequireMatchingLabelPlugin({
      sleep: (milliseconds) => {
        waits.push(milliseconds);
        return Promise.resolve();
      },
    });
    harness = await startPluginHarness({ plugins: PLUGINS, registry: [plugin] });
    return harness;
  }

  it('marks a new issue without a matching label after the grace period, and explains once', async () => {
    const { github, deliver } = await start();
    github.addIssue(REPO, { number: 1, author: 'reporter' });
    const outcome = await deliver('issues', issue('opened', { number: 1 }));
    expect(outcome.failed).toEqual([]);
    expect(waits).toEqual([5_000]);
    expect(github.labels(REPO, 1)).toEqual(['needs-sig']);
    expect(github.comments(REPO, 1).map((comment) => comment.body)).toEqual([formatNotice(MISSING_SIG)]);
  });

  it('does not mark an issue that other automation labelled during the grace period', async () => {
    const { github, deliver } = await start();
    github.addIssue(REPO, { number: 1, author: 'reporter', labels: ['sig/node'] });
    await deliver('issues', issue('opened', { number: 1, labels: [] }));
    expect(github.labels(REPO, 1)).toEqual(['sig/node']);
    expect(github.comments(REPO, 1)).toEqual([]);
  });

  it('removes the marker and its own explanation when a matching label arrives', async () => {
    const { github, deliver } = await start();
    github.addIssue(REPO, { number: 1, author: 'reporter', labels: ['needs-sig', 'sig/node'] });
    github.addComment(REPO, 1, 'cutwater-bot', formatNotice(MISSING_SIG));
    github.addComment(REPO, 1, 'reporter', 'Which sig owns this?');
    await deliver('issues', labelEvent(1, 'sig/node', ['needs-sig', 'sig/node']));
    expect(waits).toEqual([]);
    expect(github.labels(REPO, 1)).toEqual(['sig/node']);
    expect(github.comments(REPO, 1).map((comment) => comment.user)).toEqual(['reporter']);
  });

  it('ignores label events for labels outside the family', async () => {
    const { github, deliver } = await start();
    github.addIssue(REPO, { number: 1, author: 'reporter', labels: ['lgtm'] });
    await deliver('issues', labelEvent(1, 'lgtm', ['lgtm']));
    expect(github.labels(REPO, 1)).toEqual(['lgtm']);
    expect(github.requests).toEqual([]);
  });

  it('applies PR rules only to pull requests against the configured branch', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', baseRef: 'main' });
    github.addPullRequest(REPO, { number: 2, author: 'contributor', baseRef: 'release-1.0' });
    await deliver('pull_request', pullRequest('opened', { number: 1, baseRef: 'main' }));
    await deliver('pull_request', pullRequest('opened', { number: 2, baseRef: 'release-1.0' }));
    expect(waits).toEqual([30_000]);
    expect(github.labels(REPO, 1)).toEqual(['needs-kind']);
    expect(github.comments(REPO, 1)).toEqual([]);
    expect(github.labels(REPO, 2)).toEqual([]);
  });

  it('reads the pull request labels from GitHub when a label is removed', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', baseRef: 'main', labels: ['lgtm'] });
    await deliver('pull_request', pullRequest('unlabeled', { number: 1, baseRef: 'main', label: 'kind/bug' }));
    expect(github.labels(REPO, 1)).toEqual(['lgtm', 'needs-kind']);
  });

  it('checks on request with /check-required-labels', async () => {
    const { github, deliver } = await start();
    github.addIssue(REPO, { number: 1, author: 'reporter' });
    await deliver('issue_comment', issueComment({ number: 1, isPR: false, commenter: 'anyone', comment: '/check-required-labels' }));
    expect(github.labels(REPO, 1)).toEqual(['needs-sig']);
  });
});

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
