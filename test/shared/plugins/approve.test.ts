import { describe, expect, it } from 'vitest';
import {
  approve,
  approvalEvents,
  approveSettingsFor,
  evaluateApproval,
  findAssociatedIssue,
  labelAddedByHuman,
  isApprovalCommand,
  planNotifierUpdate,
  type ApprovalEvent,
  type ApprovalInput,
  type ApproveSettings,
} from '../../../shared/plugins/approve';
import { issueComment, pullRequest, pullRequestReview, pullRequestReviewComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { loadRepoOwners, type RepoOwners } from '../../../shared/owners/owners';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [approve]
`;

describe('approve plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(options: { plugins?: string; files?: string[]; author?: string; labels?: string[] } = {}): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: options.plugins ?? PLUGINS, registry: [approve] });
    const { github } = harness;
    github.setFile(REPO, 'OWNERS', 'approvers: [root-lead]\n');
    github.setFile(REPO, 'api/OWNERS', 'approvers: [api-lead]\nreviewers: [api-reviewer]\n');
    github.setFile(REPO, 'docs/OWNERS', 'approvers: [docs-lead]\n');
    for (const login of ['root-lead', 'api-lead', 'docs-lead']) github.addCollaborator(REPO, login);
    github.addPullRequest(REPO, {
      number: 7,
      author: options.author ?? 'contributor',
      labels: options.labels ?? [],
      files: (options.files ?? ['api/handler.go', 'docs/guide.md']).map((filename) => ({ filename, additions: 3 })),
    });
    return harness;
  }

  /** A comment as GitHub has it, then its webhook. */
  async function comment(h: PluginHarness, commenter: string, body: string) {
    h.github.addComment(REPO, 7, commenter, body);
    return h.deliver('issue_comment', issueComment({ number: 7, commenter, comment: body }));
  }

  function notifiers(h: PluginHarness) {
    return h.github.comments(REPO, 7).filter((entry) => entry.body.startsWith('[APPROVALNOTIFIER]'));
  }

  it('leaves a partly approved PR unapproved and names the OWNERS files still needing approval', async () => {
    const h = await start();
    const outcome = await comment(h, 'docs-lead', '/approve');
    expect(outcome.failed).toEqual([]);
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
    const [notice, ...others] = notifiers(h);
    expect(others).toEqual([]);
    expect(notice?.user).toBe('cutwater-bot');
    expect(notice?.body).toMatch(/^\[APPROVALNOTIFIER\] This PR is \*\*NOT APPROVED\*\*/);
    expect(notice?.body).toContain('- **[api/OWNERS](https://github.com/acme/widgets/blob/main/api/OWNERS)**');
    expect(notice?.body).toContain('- ~~[docs/OWNERS](https://github.com/acme/widgets/blob/main/docs/OWNERS)~~ [docs-lead]');
    expect(notice?.body).toContain('/assign @api-lead');
  });

  it('approves once every OWNERS file is covered, editing the notification in place', async () => {
    const h = await start();
    await comment(h, 'docs-lead', '/approve');
    const first = notifiers(h)[0];
    await comment(h, 'api-lead', '/approve');
    expect(h.github.labels(REPO, 7)).toContain('approved');
    const after = notifiers(h);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).toBe(first?.id);
    expect(after[0]?.body).toMatch(/^\[APPROVALNOTIFIER\] This PR is \*\*APPROVED\*\*/);
  });

  it('removes the label when an approval is withdrawn', async () => {
    const h = await start({ files: ['api/handler.go'] });
    await comment(h, 'api-lead', '/approve');
    expect(h.github.labels(REPO, 7)).toContain('approved');
    await comment(h, 'api-lead', '/approve cancel');
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
    expect(notifiers(h)[0]?.body).toContain('**NOT APPROVED**');
  });

  it('lets an approver of a parent directory approve everything below it', async () => {
    const h = await start();
    await comment(h, 'root-lead', '/approve');
    expect(h.github.labels(REPO, 7)).toContain('approved');
  });

  it('does not count people listed in OWNERS who are not collaborators, unless the repo skips that check', async () => {
    const h = await start({ files: ['api/handler.go'] });
    h.github.setFile(REPO, 'api/OWNERS', 'approvers: [api-lead, former-lead]\n');
    await comment(h, 'former-lead', '/approve');
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
    await h.close();

    const skipping = await start({
      files: ['api/handler.go'],
      plugins: `${PLUGINS}owners:\n  skip_collaborators: [acme/widgets]\n`,
    });
    skipping.github.setFile(REPO, 'api/OWNERS', 'approvers: [api-lead, former-lead]\n');
    await comment(skipping, 'former-lead', '/approve');
    expect(skipping.github.labels(REPO, 7)).toContain('approved');
  });

  it('posts the notification when a PR opens, approving an author who owns every file', async () => {
    const h = await start({ files: ['api/handler.go'], author: 'api-lead' });
    const outcome = await h.deliver('pull_request', pullRequest('opened', { number: 7, author: 'api-lead' }));
    expect(outcome.failed).toEqual([]);
    expect(h.github.labels(REPO, 7)).toContain('approved');
    expect(notifiers(h)[0]?.body).toContain('title="Author self-approved">api-lead</a>');
  });

  it('makes authors approve explicitly with require_self_approval', async () => {
    const h = await start({
      files: ['api/handler.go'],
      author: 'api-lead',
      plugins: `${PLUGINS}approve:\n- repos: [acme/widgets]\n  require_self_approval: true\n`,
    });
    await h.deliver('pull_request', pullRequest('opened', { number: 7, author: 'api-lead' }));
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
    await comment(h, 'api-lead', '/approve');
    expect(h.github.labels(REPO, 7)).toContain('approved');
  });

  it('counts an approving review, and a changes-requested review as withdrawal', async () => {
    const h = await start({ files: ['api/handler.go'] });
    h.github.addReview(REPO, 7, { user: 'api-lead', state: 'APPROVED' });
    await h.deliver('pull_request_review', pullRequestReview({ number: 7, reviewer: 'api-lead', reviewState: 'approved' }));
    expect(h.github.labels(REPO, 7)).toContain('approved');
    h.github.addReview(REPO, 7, { user: 'api-lead', state: 'CHANGES_REQUESTED' });
    await h.deliver('pull_request_review', pullRequestReview({ number: 7, reviewer: 'api-lead', reviewState: 'changes_requested' }));
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
  });

  it('keeps an approved label a person added by hand, across later updates', async () => {
    const h = await start();
    h.github.addLabelAs(REPO, 7, 'approved', 'maintainer');
    await h.deliver('pull_request', pullRequest('labeled', { number: 7, label: 'approved', sender: 'maintainer' }));
    expect(h.github.labels(REPO, 7)).toContain('approved');
    expect(notifiers(h)[0]?.body).toContain('added by hand');
    await h.deliver('pull_request', pullRequest('synchronize', { number: 7 }));
    expect(h.github.labels(REPO, 7)).toContain('approved');
  });

  it("asks GitHub's issue events who added the label, whether or not the labeled event was seen", async () => {
    const h = await start();
    h.github.addLabelAs(REPO, 7, 'approved', 'maintainer');
    // Only the push is delivered: the events still tell a person added it.
    await h.deliver('pull_request', pullRequest('synchronize', { number: 7 }));
    expect(h.github.labels(REPO, 7)).toContain('approved');
    expect(h.github.requests.some((request) => request.method === 'GET' && request.path.endsWith('/issues/7/events'))).toBe(true);
  });

  it('removes the label on the next push once the bot was the last to add it', async () => {
    const h = await start({ files: ['api/handler.go'] });
    await comment(h, 'api-lead', '/approve');
    expect(h.github.labels(REPO, 7)).toContain('approved');
    expect(h.github.labelEvents(REPO, 7)).toEqual(['cutwater-bot:labeled:approved']);
    // The push adds a file nobody approved.
    h.github.pushPullRequestHead(REPO, 7, { files: [{ filename: 'api/handler.go' }, { filename: 'docs/guide.md' }] });
    await h.deliver('pull_request', pullRequest('synchronize', { number: 7 }));
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
  });

  it('counts /approve in an inline review comment', async () => {
    const h = await start({ files: ['api/handler.go'] });
    h.github.addReviewComment(REPO, 7, { user: 'api-lead', body: '/approve', path: 'api/handler.go' });
    const outcome = await h.deliver(
      'pull_request_review_comment',
      pullRequestReviewComment({ number: 7, commenter: 'api-lead', comment: '/approve', path: 'api/handler.go' }),
    );
    expect(outcome.failed).toEqual([]);
    expect(h.github.labels(REPO, 7)).toContain('approved');
    // A later push still finds the approval in the review comments.
    await h.deliver('pull_request', pullRequest('synchronize', { number: 7 }));
    expect(h.github.labels(REPO, 7)).toContain('approved');
  });

  it('removes an approved label the rules do not support when nobody added it by hand', async () => {
    const h = await start({ labels: ['approved'] });
    await h.deliver('pull_request', pullRequest('synchronize', { number: 7 }));
    expect(h.github.labels(REPO, 7)).not.toContain('approved');
  });

  it('keeps a single notification, deleting older duplicates', async () => {
    const h = await start();
    h.github.addComment(REPO, 7, 'cutwater-bot', '[APPROVALNOTIFIER] This PR is **NOT APPROVED**\n\nold');
    h.github.addComment(REPO, 7, 'cutwater-bot', '[APPROVALNOTIFIER] This PR is **NOT APPROVED**\n\nolder copy');
    await comment(h, 'docs-lead', '/approve');
    expect(notifiers(h)).toHaveLength(1);
  });

  it('ignores comments without approval commands and closed PRs', async () => {
    const h = await start();
    await comment(h, 'api-lead', 'looks good to me');
    h.github.addComment(REPO, 7, 'api-lead', '/approve');
    await h.deliver('issue_comment', issueComment({ number: 7, commenter: 'api-lead', comment: '/approve', state: 'closed' }));
    expect(h.github.comments(REPO, 7).filter((entry) => entry.user === 'cutwater-bot')).toEqual([]);
  });
});

const OWNERS_FILES = {
  OWNERS: 'approvers: [root-lead]\n',
  'api/OWNERS': 'approvers: [api-lead]\n',
  'docs/OWNERS': 'approvers: [docs-lead, writer]\n',
};

const DEFAULTS: ApproveSettings = approveSettingsFor({}, 'acme', 'widgets');

async function ownersFor(files: string[]): Promise<RepoOwners> {
  return loadRepoOwners({ readFile: async (file) => (OWNERS_FILES as Record<string, string>)[file], paths: files });
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

  it('tells who added a label last from the issue events', () => {
    const isBot = (login: string) => login === 'cutwater-bot';
    const labeled = (actor: string, name = 'approved') => ({ id: 1, event: 'labeled', actor: { login: actor }, label: { name }, created_at: '' });
    expect(labelAddedByHuman([], 'approved', isBot)).toBe(false);
    expect(labelAddedByHuman([labeled('maintainer')], 'approved', isBot)).toBe(true);
    expect(labelAddedByHuman([labeled('maintainer'), labeled('cutwater-bot')], 'approved', isBot)).toBe(false);
    expect(labelAddedByHuman([labeled('cutwater-bot'), labeled('maintainer', 'lgtm')], 'approved', isBot)).toBe(false);
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
