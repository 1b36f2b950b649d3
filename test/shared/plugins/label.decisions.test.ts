import { describe, expect, it } from 'vitest';
import {
  labelRestrictionsFor,
  labelSummaryReply,
  offeredLabels,
  parseLabelCommands,
  planLabelChanges,
  restrictedLabelRefusal,
  TRIAGE_ACCEPTED,
  type LabelCommands,
} from '../../../shared/plugins/label';

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
