import { describe, expect, it } from 'vitest';
import {
  cherryPickUnapproved,
  CHERRY_PICK_APPROVED_LABEL,
  CHERRY_PICK_UNAPPROVED_LABEL,
  DEFAULT_UNAPPROVED_COMMENT,
  unapprovedAction,
} from '../../../shared/plugins/cherry-pick-unapproved';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [cherry-pick-unapproved]
`;

/** A label added by a person, as GitHub would hold it before the labeled event arrives. */
async function addLabel(harness: PluginHarness, label: string): Promise<void> {
  const response = await fetch(`${harness.github.url}/repos/${REPO}/issues/7/labels`, {
    method: 'POST',
    headers: { authorization: 'token test-token', 'content-type': 'application/json' },
    body: JSON.stringify({ labels: [label] }),
  });
  expect(response.ok).toBe(true);
}

function edited(baseRef: string, changes: Record<string, unknown>): Record<string, unknown> {
  const payload = pullRequest('opened', { number: 7, baseRef });
  payload['action'] = 'edited';
  payload['changes'] = changes;
  return payload;
}

describe('cherry-pick-unapproved plugin', () => {
  async function start(labels: string[] = [], plugins = PLUGINS): Promise<PluginHarness> {
    const harness = await startPluginHarness({ plugins, registry: [cherryPickUnapproved] });
    harness.github.addRepoLabels(REPO, [CHERRY_PICK_APPROVED_LABEL, CHERRY_PICK_UNAPPROVED_LABEL]);
    harness.github.addPullRequest(REPO, { number: 7, author: 'contributor', labels });
    return harness;
  }

  it('marks a new PR against a release branch, explaining why', async () => {
    const harness = await start();
    const outcome = await harness.deliver('pull_request', pullRequest('opened', { number: 7, baseRef: 'release-1.30' }));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 7)).toEqual([CHERRY_PICK_UNAPPROVED_LABEL]);
    const [notice] = harness.github.comments(REPO, 7);
    expect(notice?.body).toContain(DEFAULT_UNAPPROVED_COMMENT);
  });

  it('leaves PRs against other branches, and already-marked or approved PRs, alone', async () => {
    const harness = await start();
    await harness.deliver('pull_request', pullRequest('opened', { number: 7, baseRef: 'main' }));
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    const approved = await start([CHERRY_PICK_APPROVED_LABEL]);
    await approved.deliver('pull_request', pullRequest('reopened', { number: 7, baseRef: 'release-1.30' }));
    expect(approved.github.labels(REPO, 7)).toEqual([CHERRY_PICK_APPROVED_LABEL]);
    expect(approved.github.comments(REPO, 7)).toEqual([]);
  });

  it('withdraws the marker and its notice once approved, leaving other comments', async () => {
    const harness = await start();
    await harness.deliver('pull_request', pullRequest('opened', { number: 7, baseRef: 'release-1.30' }));
    harness.github.addComment(REPO, 7, 'reviewer', 'please approve');
    await addLabel(harness, CHERRY_PICK_APPROVED_LABEL);
    await harness.deliver('pull_request', pullRequest('labeled', { number: 7, baseRef: 'release-1.30', label: CHERRY_PICK_APPROVED_LABEL }));
    expect(harness.github.labels(REPO, 7)).toEqual([CHERRY_PICK_APPROVED_LABEL]);
    expect(harness.github.comments(REPO, 7).map((comment) => comment.body)).toEqual(['please approve']);
  });

  it('ignores other labels', async () => {
    const harness = await start();
    await harness.deliver('pull_request', pullRequest('labeled', { number: 7, baseRef: 'release-1.30', label: 'lgtm' }));
    expect(harness.github.labels(REPO, 7)).toEqual([]);
  });

  it('follows a change of base branch onto and off the release branches', async () => {
    const harness = await start();
    const onto = edited('release-1.30', { base: { ref: { from: 'main' }, sha: { from: 'a'.repeat(40) } } });
    await harness.deliver('pull_request', onto);
    expect(harness.github.labels(REPO, 7)).toEqual([CHERRY_PICK_UNAPPROVED_LABEL]);
    expect(harness.github.comments(REPO, 7)).toHaveLength(1);

    const off = edited('main', { base: { ref: { from: 'release-1.30' }, sha: { from: 'a'.repeat(40) } } });
    await harness.deliver('pull_request', off);
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    expect(harness.github.comments(REPO, 7)).toEqual([]);

    const titleOnly = edited('release-1.30', { title: { from: 'old' } });
    await harness.deliver('pull_request', titleOnly);
    expect(harness.github.labels(REPO, 7)).toEqual([]);
  });

  it('uses the configured branches and comment', async () => {
    const harness = await start([], `${PLUGINS}cherry_pick_unapproved:\n  branchregexp: ^stable-\n  comment: Ask the release team.\n`);
    await harness.deliver('pull_request', pullRequest('opened', { number: 7, baseRef: 'release-1.30' }));
    expect(harness.github.labels(REPO, 7)).toEqual([]);
    await harness.deliver('pull_request', pullRequest('opened', { number: 7, baseRef: 'stable-2' }));
    expect(harness.github.labels(REPO, 7)).toEqual([CHERRY_PICK_UNAPPROVED_LABEL]);
    expect(harness.github.comments(REPO, 7)[0]?.body).toContain('Ask the release team.');
  });
});

describe('unapprovedAction', () => {
  it('decides from the branch and the two labels', () => {
    expect(unapprovedAction(true, [])).toBe('add');
    expect(unapprovedAction(true, [CHERRY_PICK_UNAPPROVED_LABEL])).toBe('none');
    expect(unapprovedAction(true, [CHERRY_PICK_APPROVED_LABEL])).toBe('remove-unapproved');
    expect(unapprovedAction(false, [CHERRY_PICK_APPROVED_LABEL])).toBe('remove-both');
  });
});
