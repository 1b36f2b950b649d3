import { describe, expect, it } from 'vitest';
import { cherryPickApproved, cherryPickEntryFor, readyForCherryPickApproval } from '../../../shared/plugins/cherry-pick-approved';
import { CHERRY_PICK_APPROVED_LABEL, CHERRY_PICK_UNAPPROVED_LABEL } from '../../../shared/plugins/cherry-pick-unapproved';
import { pullRequestReview } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const HEAD = 'f'.repeat(40);
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [cherry-pick-approved]
cherry_pick_approved:
- org: acme
  repo: widgets
  approvers: [release-manager]
`;

describe('cherry-pick-approved plugin', () => {
  async function start(labels: string[]): Promise<PluginHarness> {
    const harness = await startPluginHarness({ plugins: PLUGINS, registry: [cherryPickApproved] });
    harness.github.addRepoLabels(REPO, [CHERRY_PICK_APPROVED_LABEL, CHERRY_PICK_UNAPPROVED_LABEL, 'lgtm', 'approved', 'do-not-merge/hold']);
    harness.github.addPullRequest(REPO, { number: 7, author: 'contributor', labels, headSha: HEAD, baseRef: 'release-1.30' });
    return harness;
  }

  function review(reviewer: string, state: 'approved' | 'commented' = 'approved', baseRef = 'release-1.30') {
    return pullRequestReview({ number: 7, reviewer, reviewState: state, baseRef, headSha: HEAD });
  }

  const READY = ['lgtm', 'approved', CHERRY_PICK_UNAPPROVED_LABEL];

  it('approves the cherry-pick when a configured approver approves a ready PR', async () => {
    const harness = await start(READY);
    const outcome = await harness.deliver('pull_request_review', review('release-manager'));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 7).sort()).toEqual(['approved', CHERRY_PICK_APPROVED_LABEL, 'lgtm']);
  });

  it('ignores other reviewers, non-approving reviews and other branches', async () => {
    const harness = await start(READY);
    await harness.deliver('pull_request_review', review('maintainer'));
    await harness.deliver('pull_request_review', review('release-manager', 'commented'));
    await harness.deliver('pull_request_review', review('release-manager', 'approved', 'main'));
    expect(harness.github.labels(REPO, 7)).toEqual(READY);
  });

  it.each([[['approved']], [['lgtm']], [[...READY, 'do-not-merge/hold']]])('does not approve a PR labelled %j', async (labels) => {
    const harness = await start(labels);
    await harness.deliver('pull_request_review', review('release-manager'));
    expect(harness.github.labels(REPO, 7)).toEqual(labels);
  });

  it('does not approve while a status has failed', async () => {
    const harness = await start(READY);
    const response = await fetch(`${harness.github.url}/repos/${REPO}/statuses/${HEAD}`, {
      method: 'POST',
      headers: { authorization: 'token test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'failure', context: 'unit' }),
    });
    expect(response.ok).toBe(true);
    await harness.deliver('pull_request_review', review('release-manager'));
    expect(harness.github.labels(REPO, 7)).toEqual(READY);
  });
});

describe('cherry-pick-approved decisions', () => {
  it('takes the last entry naming the org and repo', () => {
    const entries = [
      { org: 'acme', repo: 'widgets', approvers: ['a'] },
      { org: 'acme', approvers: ['b'] },
      { org: 'acme', repo: 'widgets', approvers: ['c'] },
    ];
    expect(cherryPickEntryFor(entries, 'acme', 'widgets')?.approvers).toEqual(['c']);
    expect(cherryPickEntryFor(entries, 'acme', 'gadgets')).toBeUndefined();
  });

  it('lets the config waive lgtm and approved, never a blocking label', () => {
    const lenient = { allow_missing_lgtm_label: true, allow_missing_approved_label: true };
    expect(readyForCherryPickApproval(lenient, [])).toBe(true);
    expect(readyForCherryPickApproval(lenient, ['needs-rebase'])).toBe(false);
    expect(readyForCherryPickApproval({}, ['lgtm'])).toBe(false);
  });
});
