import { describe, expect, it } from 'vitest';
import {
  label,
  labelRestrictionsFor,
  labelSummaryReply,
  offeredLabels,
  parseLabelCommands,
  planLabelChanges,
  restrictedLabelRefusal,
  TRIAGE_ACCEPTED,
  type LabelCommands,
} from '../../../shared/plugins/label';
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

  it('answers a /label of 65,000 characters within GitHub\'s 65,536, saying what it shortened', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', comment('passer-by', `/label ${'x'.repeat(65_000)}`));
    expect(outcome.failed).toEqual([]);
    const [reply] = github.comments(REPO, 5);
    expect(reply?.body.length).toBeLessThanOrEqual(65_536);
    expect(reply?.body).toMatch(/^@passer-by: I can't apply the label\(s\) `x{10}/);
    expect(reply?.body).toMatch(/characters not shown/);
    expect(reply?.body).toContain('In response to [this]');
    expect(reply?.body).toMatch(/quoted in part/);
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

const nothingOffered = () => false;

function commands(overrides: Partial<LabelCommands>): LabelCommands {
  return { add: [], remove: [], unsupported: [], ...overrides };
}

describe('label commands', () => {
  it('turns a family command into family/value labels, lower-cased, one per value', () => {
    expect(parseLabelCommands('/kind Bug\n/area prow  tide', nothingOffered)).toEqual({
      add: ['kind/bug', 'area/prow', 'area/tide'],
      remove: [],
      unsupported: [],
    });
  });

  it('reads removals', () => {
    expect(parseLabelCommands('/remove-priority critical-urgent', nothingOffered).remove).toEqual(['priority/critical-urgent']);
  });

  it('ignores family commands without a value, with another spelling, or in other case', () => {
    expect(parseLabelCommands('/kind\n/kinds bug\n/Kind bug\n/kindbug', nothingOffered)).toEqual(commands({}));
  });

  it('ignores commands inside HTML comments, as PR templates carry examples there', () => {
    expect(parseLabelCommands('<!--\n/kind bug\n-->\n/kind feature', nothingOffered).add).toEqual(['kind/feature']);
    // GitHub hides everything after a <!-- that opens a line and is never closed.
    expect(parseLabelCommands('/kind bug\n<!-- template:\n/kind feature', nothingOffered).add).toEqual(['kind/bug']);
    // A comment of nothing but <!-- (GitHub's largest) has no commands, and is read in one pass.
    expect(parseLabelCommands('<!--'.repeat(65_536 / 4), nothingOffered)).toEqual(commands({}));
    expect(parseLabelCommands(`/kind bug\n${'x<!--'.repeat(65_536 / 5)}`, nothingOffered).add).toEqual(['kind/bug']);
  });

  it('takes exactly one label after /label, and only one plugins.yaml offers', () => {
    const offered = (label: string) => label === 'api-review';
    expect(parseLabelCommands('/label API-Review\n/remove-label api-review', offered)).toEqual({
      add: ['api-review'],
      remove: ['api-review'],
      unsupported: [],
    });
    expect(parseLabelCommands('/label api-review other', offered)).toEqual(commands({}));
    expect(parseLabelCommands('/label made-up', offered)).toEqual(commands({ unsupported: ['made-up'] }));
  });

  it('counts a repeated command once', () => {
    expect(parseLabelCommands('/kind bug\n/kind bug', nothingOffered).add).toEqual(['kind/bug']);
  });
});

describe('restricted labels', () => {
  const settings = {
    restricted_labels: {
      '*': [{ label: 'Approved-API', allowed_users: ['alice'], assign_on: [{ label: 'api-review' }] }],
      acme: [{ label: 'approved-api', allowed_teams: ['api-team'] }],
      'acme/widgets': [{ label: 'approved-api', allowed_users: ['bob'] }],
      'acme/other': [{ label: 'other-only', allowed_users: ['carol'] }],
    },
  };

  it('combines the entries for "*", the org and the repo', () => {
    const restrictions = labelRestrictionsFor(settings, 'acme', 'widgets');
    expect([...restrictions.keys()]).toEqual(['approved-api']);
    expect(restrictions.get('approved-api')).toEqual({
      label: 'Approved-API',
      allowedTeams: ['api-team'],
      allowedUsers: ['alice', 'bob'],
      assignOn: ['api-review'],
    });
  });

  it('offers additional labels and restricted labels to /label', () => {
    const restrictions = labelRestrictionsFor(settings, 'acme', 'widgets');
    expect(offeredLabels({ additional_labels: ['api-review'] }, restrictions)).toEqual(['api-review', 'approved-api']);
  });

  it('tells the commenter whom to ask', () => {
    expect(restrictedLabelRefusal({ label: 'approved-api', allowedTeams: ['api-team'], allowedUsers: [], assignOn: [] })).toContain(
      'api-team',
    );
    expect(restrictedLabelRefusal({ label: 'approved-api', allowedTeams: [], allowedUsers: ['alice'], assignOn: [] })).toContain('alice');
  });
});

describe('label plan', () => {
  const repoLabels = ['kind/bug', 'kind/feature', 'needs-kind', 'area/prow', TRIAGE_ACCEPTED];

  it('adds labels the repository has and the issue lacks', () => {
    const plan = planLabelChanges(commands({ add: ['kind/bug', 'area/prow'] }), ['Area/Prow'], repoLabels);
    expect(plan.add).toEqual(['kind/bug']);
    expect(plan.missingFromRepo).toEqual([]);
  });

  it('reports labels the repository does not have', () => {
    const plan = planLabelChanges(commands({ add: ['kind/regression'] }), [], repoLabels);
    expect(plan.add).toEqual([]);
    expect(plan.missingFromRepo).toEqual(['kind/regression']);
    expect(labelSummaryReply(plan, [], false)).toContain('kind/regression');
  });

  it('reports removals of labels the issue does not have', () => {
    const plan = planLabelChanges(commands({ remove: ['kind/feature'] }), ['kind/bug'], repoLabels);
    expect(plan.remove).toEqual([]);
    expect(plan.notOnIssue).toEqual(['kind/feature']);
  });

  it('puts needs-kind back when the last kind label goes', () => {
    const plan = planLabelChanges(commands({ remove: ['kind/bug'] }), ['kind/bug'], repoLabels);
    expect(plan).toMatchObject({ add: ['needs-kind'], remove: ['kind/bug'] });
  });

  it('does not add needs-kind while another kind label stays or one is being added', () => {
    expect(planLabelChanges(commands({ remove: ['kind/bug'] }), ['kind/bug', 'kind/feature'], repoLabels).add).toEqual([]);
    expect(planLabelChanges(commands({ add: ['kind/feature'], remove: ['kind/bug'] }), ['kind/bug'], repoLabels).add).toEqual([
      'kind/feature',
    ]);
  });

  it('does not add needs-* labels the repository lacks', () => {
    expect(planLabelChanges(commands({ remove: ['area/prow'] }), ['area/prow'], repoLabels).add).toEqual([]);
  });

  it('reports only the first kind of problem, in Prow\'s order', () => {
    const plan = planLabelChanges(
      commands({ add: ['kind/regression'], remove: ['kind/feature'], unsupported: ['made-up'] }),
      [],
      repoLabels,
    );
    const reply = labelSummaryReply(plan, ['api-review'], true) ?? '';
    expect(reply).toContain('made-up');
    expect(reply).toContain('api-review');
    expect(reply).not.toContain('kind/regression');
  });

  it('explains a refused triage/accepted when nothing else went wrong', () => {
    const plan = planLabelChanges(commands({ add: [TRIAGE_ACCEPTED] }), [], repoLabels);
    expect(labelSummaryReply(plan, [], true)).toContain(TRIAGE_ACCEPTED);
    expect(labelSummaryReply(plan, [], false)).toBeUndefined();
  });
});
