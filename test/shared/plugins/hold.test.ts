import { describe, expect, it } from 'vitest';
import { assign } from '../../../shared/plugins/assign';
import { help } from '../../../shared/plugins/help';
import { hold } from '../../../shared/plugins/hold';
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
    // One write per command: the label plugin and the hold plugin each add their own label.
    expect(writes).toEqual([
      'POST /repos/acme/widgets/issues/7/assignees',
      'POST /repos/acme/widgets/issues/7/labels',
      'POST /repos/acme/widgets/issues/7/labels',
    ]);
  });
});
