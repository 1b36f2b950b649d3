import { describe, expect, it } from 'vitest';
import { label } from '../../../shared/plugins/label';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [label]
label:
  additional_labels: [api-review]
  restricted_labels:
    acme:
    - label: approved-api
      allowed_teams: [api-reviewers]
      allowed_users: [lead]
      assign_on:
      - label: api-review
`;

describe('label plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(labels: string[] = []): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: PLUGINS, registry: [label] });
    harness.github.addRepoLabels(REPO, [
      'kind/bug',
      'kind/feature',
      'needs-kind',
      'area/docs',
      'triage/accepted',
      'api-review',
      'approved-api',
    ]);
    harness.github.addIssue(REPO, { number: 5, author: 'reporter', labels });
    return harness;
  }

  const comment = (commenter: string, text: string) => issueComment({ number: 5, commenter, comment: text, isPR: false });

  it('lets anyone add a family label the repository has', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', comment('passer-by', '/kind bug\n/area docs'));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 5)).toEqual(['kind/bug', 'area/docs']);
    expect(github.comments(REPO, 5)).toEqual([]);
  });

  it('does not create labels: a label missing from the repository is reported instead', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', comment('passer-by', '/kind regression'));
    expect(github.labels(REPO, 5)).toEqual([]);
    expect(github.repoLabels(REPO)).not.toContain('kind/regression');
    const [reply] = github.comments(REPO, 5);
    expect(reply?.user).toBe('cutwater-bot');
    expect(reply?.body).toMatch(/^@passer-by: /);
    expect(reply?.body).toContain('`kind/regression`');
  });

  it('removes a family label, putting needs-kind back when the last kind goes', async () => {
    const { github, deliver } = await start(['kind/bug', 'area/docs']);
    await deliver('issue_comment', comment('passer-by', '/remove-kind bug'));
    expect(github.labels(REPO, 5).sort()).toEqual(['area/docs', 'needs-kind']);
  });

  it('reports removing a label that is not there', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', comment('passer-by', '/remove-area docs'));
    expect(github.comments(REPO, 5).map((reply) => reply.body)).toEqual([expect.stringContaining('`area/docs`')]);
  });

  it('applies /label for labels plugins.yaml offers, and explains the others', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', comment('passer-by', '/label api-review'));
    expect(github.labels(REPO, 5)).toEqual(['api-review']);

    await deliver('issue_comment', comment('passer-by', '/label kind/bug'));
    expect(github.labels(REPO, 5)).toEqual(['api-review']);
    const [reply] = github.comments(REPO, 5);
    expect(reply?.body).toContain('`kind/bug`');
    expect(reply?.body).toContain('`api-review, approved-api`');
  });

  it('lets only org members add triage/accepted', async () => {
    const { github, deliver } = await start();
    github.addOrgMember('acme', 'maintainer');
    await deliver('issue_comment', comment('passer-by', '/triage accepted'));
    expect(github.labels(REPO, 5)).toEqual([]);
    expect(github.comments(REPO, 5).map((reply) => reply.body)).toEqual([expect.stringContaining('organization')]);

    await deliver('issue_comment', comment('maintainer', '/triage accepted'));
    expect(github.labels(REPO, 5)).toEqual(['triage/accepted']);
  });

  it('lets only the allowed teams and users change a restricted label', async () => {
    const { github, deliver } = await start();
    github.addTeamMember('acme', 'api-reviewers', 'reviewer');
    await deliver('issue_comment', comment('passer-by', '/label approved-api'));
    expect(github.labels(REPO, 5)).toEqual([]);
    expect(github.comments(REPO, 5).map((reply) => reply.body)).toEqual([expect.stringContaining('api-reviewers')]);

    await deliver('issue_comment', comment('reviewer', '/label approved-api'));
    expect(github.labels(REPO, 5)).toEqual(['approved-api']);

    await deliver('issue_comment', comment('passer-by', '/remove-label approved-api'));
    expect(github.labels(REPO, 5)).toEqual(['approved-api']);
    await deliver('issue_comment', comment('lead', '/remove-label approved-api'));
    expect(github.labels(REPO, 5)).toEqual([]);
  });

  it('ignores commands inside HTML comments and in edited comments', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', comment('passer-by', '<!-- /kind bug -->'));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'passer-by', comment: '/kind bug', isPR: false, action: 'edited' }));
    expect(github.labels(REPO, 5)).toEqual([]);
  });

  it('assigns the allowed users when a PR gets an assign_on label', async () => {
    const { github, deliver } = await start();
    github.addCollaborator(REPO, 'lead');
    github.addPullRequest(REPO, { number: 9, author: 'contributor', labels: ['api-review'] });
    await deliver('pull_request', pullRequest('labeled', { number: 9, label: 'api-review', sender: 'contributor' }));
    expect(github.assignees(REPO, 9)).toEqual(['lead']);
  });
});
