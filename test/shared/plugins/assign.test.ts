import { describe, expect, it } from 'vitest';
import {
  assign,
  assignmentChanges,
  assignRefusal,
  missingLogins,
  reviewRefusal,
  reviewRequestChanges,
} from '../../../shared/plugins/assign';
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

  it('requests and withdraws a team review with /cc and /uncc @org/team', async () => {
    const { github, deliver } = await start();
    github.addTeamMember('acme', 'reviewers', 'dave');
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/cc @acme/reviewers' }));
    expect(github.requestedTeams(REPO, 4)).toEqual(['acme/reviewers']);
    expect(github.requestedReviewers(REPO, 4)).toEqual([]);
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/uncc @acme/reviewers' }));
    expect(github.requestedTeams(REPO, 4)).toEqual([]);
    expect(github.comments(REPO, 4)).toEqual([]);
  });

  it("refuses another organisation's team rather than asking this org's team of the same name", async () => {
    const { github, deliver } = await start();
    github.addTeamMember('acme', 'reviewers', 'dave');
    await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/cc @bob @elsewhere/reviewers' }));
    expect(github.requestedTeams(REPO, 4)).toEqual([]);
    expect(github.requestedReviewers(REPO, 4)).toEqual(['bob']);
    const [reply] = github.comments(REPO, 4);
    expect(reply?.body).toMatch(/^@alice: GitHub did not let me request a review from: elsewhere\/reviewers\./);
  });

  it('names a single refused reviewer too', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 4, commenter: 'alice', comment: '/cc @acme/nobody' }));
    expect(outcome.failed).toEqual([]);
    expect(github.requestedTeams(REPO, 4)).toEqual([]);
    const [reply] = github.comments(REPO, 4);
    expect(reply?.body).toMatch(/^@alice: GitHub did not let me request a review from: acme\/nobody\./);
  });

  it('does not request reviews on issues', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: '/cc @bob', isPR: false }));
    expect(outcome.failed).toEqual([]);
    expect(github.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});

describe('assign commands', () => {
  it('targets the commenter when nobody is named', () => {
    expect(assignmentChanges('/assign', 'alice')).toEqual({ add: ['alice'], remove: [] });
    expect(assignmentChanges('/unassign', 'alice')).toEqual({ add: [], remove: ['alice'] });
  });

  it('takes logins with or without @', () => {
    expect(assignmentChanges('/assign @bob carol', 'alice')).toEqual({ add: ['bob', 'carol'], remove: [] });
  });

  it('lets the last command about a person win', () => {
    expect(assignmentChanges('/assign @bob\n/unassign @BOB', 'alice')).toEqual({ add: [], remove: ['BOB'] });
  });

  it('ignores lines that do not follow the grammar', () => {
    expect(assignmentChanges('/assign @bob, @carol', 'alice')).toBeUndefined();
    expect(assignmentChanges('/assignee bob', 'alice')).toBeUndefined();
    expect(assignmentChanges('/cc @bob', 'alice')).toBeUndefined();
  });

  it('is case-insensitive about the command', () => {
    expect(assignmentChanges('/Assign @bob', 'alice')).toEqual({ add: ['bob'], remove: [] });
  });
});

describe('review request commands', () => {
  it('takes people and teams, separated by one or more spaces', () => {
    expect(reviewRequestChanges('/cc @bob  acme/reviewers', 'alice')).toEqual({ add: ['bob', 'acme/reviewers'], remove: [] });
  });

  it('targets the commenter when nobody is named', () => {
    expect(reviewRequestChanges('/uncc', 'alice')).toEqual({ add: [], remove: ['alice'] });
  });

  it('does not take /assign for /cc', () => {
    expect(reviewRequestChanges('/assign @bob', 'alice')).toBeUndefined();
  });
});

describe('refusals', () => {
  it('finds who GitHub dropped, ignoring case', () => {
    expect(missingLogins(['Bob', 'carol'], ['bob'])).toEqual(['carol']);
  });

  it('names the refused people and the org whose members can be assigned', () => {
    const message = assignRefusal('acme', ['carol', 'dave']);
    expect(message).toContain('carol, dave');
    expect(message).toContain('https://github.com/orgs/acme/people');
    expect(reviewRefusal('acme', ['carol'])).toContain('carol');
  });
});
