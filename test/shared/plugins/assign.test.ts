import { describe, expect, it } from 'vitest';
import { assign } from '../../../shared/plugins/assign';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [assign]
`;

describe('assign plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: PLUGINS, registry: [assign] });
    harness.github.addCollaborator(REPO, 'alice');
    harness.github.addCollaborator(REPO, 'bob');
    harness.github.addOrgMember('acme', 'carol');
    harness.github.addPullRequest(REPO, { number: 4, author: 'contributor' });
    harness.github.addIssue(REPO, { number: 6, author: 'reporter' });
    return harness;
  }

  it('assigns the commenter on a bare /assign', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/assign', isPR: false }));
    expect(outcome.failed).toEqual([]);
    expect(github.assignees(REPO, 6)).toEqual(['alice']);
  });

  it('assigns the people named, with or without @', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/assign @bob carol' }));
    expect(github.assignees(REPO, 4)).toEqual(['bob', 'carol']);
    expect(github.comments(REPO, 4)).toEqual([]);
  });

  it('tells the commenter whom GitHub would not assign', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/assign @bob @outsider', isPR: false }));
    expect(github.assignees(REPO, 6)).toEqual(['bob']);
    const [reply] = github.comments(REPO, 6);
    expect(reply?.body).toMatch(/^@alice: GitHub did not let me assign: outsider\./);
  });

  it('withdraws review requests on /uncc', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/cc @bob @carol' }));
    expect(github.requestedReviewers(REPO, 4).sort()).toEqual(['bob', 'carol']);
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/uncc @bob' }));
    expect(github.requestedReviewers(REPO, 4)).toEqual(['carol']);
  });

  it('unassigns the commenter or the people named', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/assign alice bob', isPR: false }));
    await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/unassign', isPR: false }));
    expect(github.assignees(REPO, 6)).toEqual(['bob']);
    await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/unassign @bob', isPR: false }));
    expect(github.assignees(REPO, 6)).toEqual([]);
  });

  it('requests reviews with /cc', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'contributor', comment: '/cc @alice bob' }));
    expect(github.requestedReviewers(REPO, 4)).toEqual(['alice', 'bob']);
    expect(github.assignees(REPO, 4)).toEqual([]);
  });

  it('requests a review from the commenter on a bare /cc', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'carol', comment: '/cc' }));
    expect(github.requestedReviewers(REPO, 4)).toEqual(['carol']);
  });

  it('requests the reviews GitHub allows and names the people it refused', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/cc @bob @outsider @contributor' }));
    expect(github.requestedReviewers(REPO, 4)).toEqual(['bob']);
    const [reply] = github.comments(REPO, 4);
    expect(reply?.body).toMatch(/^@alice: GitHub did not let me request a review from: outsider, contributor\./);
  });

  it('does not request reviews on issues', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/cc @bob', isPR: false }));
    expect(outcome.failed).toEqual([]);
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});
