import { describe, expect, it } from 'vitest';
import { loadRepoOwners, type RepoOwners } from '../../../shared/owners/owners';
import {
  approvalEvents,
  approveSettingsFor,
  evaluateApproval,
  findAssociatedIssue,
  HAND_APPROVAL_MARKER,
  isApprovalCommand,
  planNotifierUpdate,
  type ApprovalEvent,
  type ApprovalInput,
  type ApproveSettings,
} from '../../../shared/plugins/approve';

const REPO = {
  OWNERS: 'approvers: [root-lead]\n',
  'api/OWNERS': 'approvers: [api-lead]\n',
  'docs/OWNERS': 'approvers: [docs-lead, writer]\n',
};

const DEFAULTS: ApproveSettings = approveSettingsFor({}, 'acme', 'widgets');

async function ownersFor(files: string[]): Promise<RepoOwners> {
  return loadRepoOwners({ readFile: async (file) => (REPO as Record<string, string>)[file], paths: files });
}

let clock = Date.parse('2024-01-01T00:00:00Z');
function said(author: string, body: string, reviewState?: string): ApprovalEvent {
  clock += 60_000;
  return {
    author,
    body,
    createdAt: new Date(clock).toISOString(),
    htmlUrl: `https://github.com/acme/widgets/pull/7#c${clock}`,
    ...(reviewState ? { reviewState } : {}),
  };
}

async function evaluate(
  files: string[],
  events: ApprovalEvent[],
  overrides: Partial<Omit<ApprovalInput, 'settings'>> & { settings?: Partial<ApproveSettings> } = {},
) {
  const { settings, ...rest } = overrides;
  return evaluateApproval({
    owners: await ownersFor(files),
    files,
    number: 7,
    author: 'contributor',
    body: '',
    htmlUrl: 'https://github.com/acme/widgets/pull/7',
    assignees: [],
    events,
    isBot: (login) => login === 'cutwater-bot',
    manuallyApproved: false,
    ...rest,
    settings: { ...DEFAULTS, ...settings },
    links: {
      linkUrl: 'https://github.com',
      commandHelpLink: DEFAULTS.commandHelpLink,
      prProcessLink: DEFAULTS.prProcessLink,
      org: 'acme',
      repo: 'widgets',
      branch: 'main',
    },
  });
}

describe('approval commands', () => {
  it('recognises /approve, /remove-approve and, when configured, /lgtm', () => {
    expect(isApprovalCommand('/approve', false)).toBe(true);
    expect(isApprovalCommand('looks fine\n/APPROVE no-issue', false)).toBe(true);
    expect(isApprovalCommand('/remove-approve', false)).toBe(true);
    expect(isApprovalCommand('/lgtm', false)).toBe(false);
    expect(isApprovalCommand('/lgtm', true)).toBe(true);
    expect(isApprovalCommand('> /approve', false)).toBe(false);
    expect(isApprovalCommand('please /approve', false)).toBe(false);
  });

  it('finds the issue a PR body links', () => {
    expect(findAssociatedIssue('Fixes #123', 'acme')).toBe(123);
    expect(findAssociatedIssue('See https://github.com/acme/other/issues/9', 'acme')).toBe(9);
    expect(findAssociatedIssue('No issue here', 'acme')).toBe(0);
  });

  it('orders comments and reviews by time', () => {
    const events = approvalEvents(
      [{ id: 1, body: '/approve', user: { login: 'a' }, created_at: '2024-01-01T00:02:00Z', updated_at: '' }],
      [{ id: 2, body: '', user: { login: 'a' }, state: 'CHANGES_REQUESTED', submitted_at: '2024-01-01T00:01:00Z' }],
      'https://github.com/acme/widgets/pull/7',
    );
    expect(events.map((event) => event.reviewState ?? event.body)).toEqual(['CHANGES_REQUESTED', '/approve']);
  });
});

describe('deciding approval', () => {
  it('leaves a PR unapproved when the approver covers only part of it, naming what is missing', async () => {
    const outcome = await evaluate(['api/handler.go', 'docs/guide.md'], [said('docs-lead', '/approve')]);
    expect(outcome.approved).toBe(false);
    expect([...outcome.approvers.unapprovedFiles()]).toEqual(['api']);
    const message = outcome.notification;
    expect(message.startsWith('[APPROVALNOTIFIER] This PR is **NOT APPROVED**')).toBe(true);
    expect(message).toContain('- **[api/OWNERS](https://github.com/acme/widgets/blob/main/api/OWNERS)**');
    expect(message).toContain('- ~~[docs/OWNERS](https://github.com/acme/widgets/blob/main/docs/OWNERS)~~ [docs-lead]');
    expect(message).toContain('/assign @api-lead');
    expect(message).toContain('<details open>');
    expect(message).toContain('<!-- META={"approvers":["api-lead"]} -->');
  });

  it('approves once every OWNERS file is covered', async () => {
    const outcome = await evaluate(['api/handler.go', 'docs/guide.md'], [said('docs-lead', '/approve'), said('api-lead', '/approve')]);
    expect(outcome.approved).toBe(true);
    expect(outcome.notification.startsWith('[APPROVALNOTIFIER] This PR is **APPROVED**')).toBe(true);
    expect(outcome.notification).not.toContain('<details open>');
  });

  it("lets each person's latest word stand", async () => {
    const cancelled = await evaluate(['api/a.go'], [said('api-lead', '/approve'), said('api-lead', '/approve cancel')]);
    expect(cancelled.approved).toBe(false);
    const removed = await evaluate(['api/a.go'], [said('api-lead', '/approve'), said('api-lead', '/remove-approve')]);
    expect(removed.approved).toBe(false);
    const again = await evaluate(['api/a.go'], [said('api-lead', '/approve cancel'), said('api-lead', '/approve')]);
    expect(again.approved).toBe(true);
  });

  it('ignores approvals from people who are not approvers of the files', async () => {
    expect((await evaluate(['api/a.go'], [said('docs-lead', '/approve')])).approved).toBe(false);
  });

  it('ignores the bot', async () => {
    expect((await evaluate(['api/a.go'], [said('cutwater-bot', '/approve')], { author: 'someone' })).approved).toBe(false);
  });

  it('counts the author as an approver of files they own, unless self-approval is required', async () => {
    expect((await evaluate(['api/a.go'], [], { author: 'api-lead' })).approved).toBe(true);
    expect((await evaluate(['api/a.go'], [], { author: 'api-lead', settings: { selfApproval: false } })).approved).toBe(false);
  });

  it('treats approving reviews as /approve and changes requested as cancel, unless review state is ignored', async () => {
    expect((await evaluate(['api/a.go'], [said('api-lead', '', 'APPROVED')])).approved).toBe(true);
    expect(
      (await evaluate(['api/a.go'], [said('api-lead', '/approve'), said('api-lead', '', 'CHANGES_REQUESTED')])).approved,
    ).toBe(false);
    expect(
      (await evaluate(['api/a.go'], [said('api-lead', '', 'APPROVED')], { settings: { reviewActsAsApprove: false } })).approved,
    ).toBe(false);
  });

  it('counts /lgtm as approval only with lgtm_acts_as_approve', async () => {
    expect((await evaluate(['api/a.go'], [said('api-lead', '/lgtm')])).approved).toBe(false);
    expect((await evaluate(['api/a.go'], [said('api-lead', '/lgtm')], { settings: { lgtmActsAsApprove: true } })).approved).toBe(true);
  });

  it('requires a linked issue when configured, unless an approver says no-issue', async () => {
    const settings = { issueRequired: true };
    const without = await evaluate(['api/a.go'], [said('api-lead', '/approve')], { settings });
    expect(without.approved).toBe(false);
    expect(without.notification).toContain('/approve no-issue');
    expect((await evaluate(['api/a.go'], [said('api-lead', '/approve')], { settings, body: 'Fixes #4' })).approved).toBe(true);
    expect((await evaluate(['api/a.go'], [said('api-lead', '/approve no-issue')], { settings })).approved).toBe(true);
  });

  it('keeps a hand-added label, saying the rules were bypassed', async () => {
    const outcome = await evaluate(['api/a.go'], [], { manuallyApproved: true });
    expect(outcome.approved).toBe(true);
    expect(outcome.notification).toContain('added by hand');
    expect(outcome.notification).toContain(HAND_APPROVAL_MARKER);
  });

  it('suggests assignees who can approve rather than new people', async () => {
    const outcome = await evaluate(['docs/a.md'], [], { assignees: ['writer'] });
    expect(outcome.approvers.assignedCCs()).toEqual(['writer']);
    expect(outcome.approvers.suggestedCCs()).toEqual([]);
    expect(outcome.notification).toContain('ask [writer](https://github.com/writer) for approval');
  });
});

describe('the notifier comment', () => {
  it('is created when missing, edited when changed, and left alone when current', () => {
    expect(planNotifierUpdate([], 'new')).toEqual({ create: 'new', remove: [] });
    expect(planNotifierUpdate([{ id: 5, body: 'old' }], 'new')).toEqual({ edit: { id: 5, body: 'new' }, remove: [] });
    expect(planNotifierUpdate([{ id: 5, body: 'new' }], 'new')).toEqual({ remove: [] });
  });

  it('keeps only the newest when there are duplicates', () => {
    expect(planNotifierUpdate([{ id: 1, body: 'a' }, { id: 2, body: 'b' }, { id: 3, body: 'c' }], 'c')).toEqual({ remove: [1, 2] });
  });
});
