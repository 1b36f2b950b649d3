import { describe, expect, it } from 'vitest';
import { assign } from '../../../shared/plugins/assign';
import { help } from '../../../shared/plugins/help';
import { hold, HOLD_LABEL, holdLabelChange, holdRequest } from '../../../shared/plugins/hold';
import { label } from '../../../shared/plugins/label';
import { lifecycle } from '../../../shared/plugins/lifecycle';
import { size } from '../../../shared/plugins/size';
import { wip } from '../../../shared/plugins/wip';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [hold]
`;

describe('hold plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(labels: string[] = []): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: PLUGINS, registry: [hold] });
    harness.github.addPullRequest(REPO, { number: 7, author: 'contributor', labels });
    return harness;
  }

  it('holds a PR when anyone comments /hold', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 7, commenter: 'passer-by', comment: '/hold\nwaiting for the release' }));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 7)).toEqual(['do-not-merge/hold']);
  });

  it.each(['/hold cancel', '/unhold', '/remove-hold'])('releases the hold on %j', async (command) => {
    const { github, deliver } = await start(['do-not-merge/hold', 'lgtm']);
    await deliver('issue_comment', issueComment({ number: 7, commenter: 'passer-by', comment: command }));
    expect(github.labels(REPO, 7)).toEqual(['lgtm']);
  });

  it('does not touch GitHub when the PR is already in the requested state', async () => {
    const { github, deliver } = await start(['do-not-merge/hold']);
    await deliver('issue_comment', issueComment({ number: 7, commenter: 'passer-by', comment: '/hold' }));
    expect(github.labels(REPO, 7)).toEqual(['do-not-merge/hold']);
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('ignores /hold on issues and in edited comments', async () => {
    const { github, deliver } = await start();
    github.addIssue(REPO, { number: 8, author: 'contributor' });
    await deliver('issue_comment', issueComment({ number: 8, commenter: 'passer-by', comment: '/hold', isPR: false }));
    await deliver('issue_comment', issueComment({ number: 7, commenter: 'passer-by', comment: '/hold', action: 'edited' }));
    expect(github.labels(REPO, 8)).toEqual([]);
    expect(github.labels(REPO, 7)).toEqual([]);
  });
});

describe('hold with the other command plugins', () => {
  let harness: PluginHarness | undefined;

  it('applies each command of a comment exactly once', async () => {
    harness = await startPluginHarness({
      plugins: `
plugins:
  acme/widgets:
    plugins: [hold, wip, label, assign, size, lifecycle, help]
`,
      registry: [hold, wip, label, assign, size, lifecycle, help],
    });
    const { github, deliver } = harness;
    github.addRepoLabels(REPO, ['kind/bug']);
    github.addCollaborator(REPO, 'xavier');
    github.addPullRequest(REPO, { number: 7, author: 'contributor' });

    const outcome = await deliver(
      'issue_comment',
      issueComment({ number: 7, commenter: 'reviewer', comment: '/hold\n/assign @xavier\n/kind bug' }),
    );

    expect(outcome.failed).toEqual([]);
    expect(outcome.handled.sort()).toEqual(['assign', 'help', 'hold', 'label', 'lifecycle']);
    expect(github.labels(REPO, 7).sort()).toEqual(['do-not-merge/hold', 'kind/bug']);
    expect(github.assignees(REPO, 7)).toEqual(['xavier']);
    expect(github.comments(REPO, 7)).toEqual([]);
    const writes = github.requests
      .filter((request) => request.method !== 'GET')
      .map((request) => `${request.method} ${request.path}`)
      .sort();
    // Each command applied once; the label plugin's and the hold plugin's labels go out joined in one request.
    expect(writes).toEqual(['POST /repos/acme/widgets/issues/7/assignees', 'POST /repos/acme/widgets/issues/7/labels']);
  });
});

describe('hold commands', () => {
  it('reads /hold, with or without a reason, as a hold', () => {
    expect(holdRequest('/hold')).toBe('hold');
    expect(holdRequest('/hold until the release is cut')).toBe('hold');
    expect(holdRequest('/HOLD')).toBe('hold');
  });

  it('reads /hold cancel, /unhold and /remove-hold as a release', () => {
    expect(holdRequest('/hold cancel')).toBe('release');
    expect(holdRequest('/hold   cancel now')).toBe('release');
    expect(holdRequest('/unhold')).toBe('release');
    expect(holdRequest('/remove-hold')).toBe('release');
  });

  it('lets a release win over a hold in the same comment', () => {
    expect(holdRequest('/hold\n/hold cancel')).toBe('release');
    expect(holdRequest('/unhold\n/hold')).toBe('release');
  });

  it('ignores look-alikes and commands that are not at the start of a line', () => {
    expect(holdRequest('/holding')).toBeUndefined();
    expect(holdRequest('please /hold')).toBeUndefined();
    expect(holdRequest('/hold cancelled')).toBe('hold');
    expect(holdRequest('> /hold\nquoted')).toBeUndefined();
  });
});

describe('hold label change', () => {
  it('adds the label only when it is missing', () => {
    expect(holdLabelChange('hold', [])).toEqual({ add: HOLD_LABEL });
    expect(holdLabelChange('hold', [HOLD_LABEL])).toBeUndefined();
  });

  it('removes the label only when it is there, whatever its case', () => {
    expect(holdLabelChange('release', ['DO-NOT-MERGE/HOLD'])).toEqual({ remove: HOLD_LABEL });
    expect(holdLabelChange('release', ['lgtm'])).toBeUndefined();
  });
});
