import { describe, expect, it } from 'vitest';
import { approve } from '../../../shared/plugins/approve';
import { issueComment, pullRequest, pullRequestReview } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

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
    const h = await start({ labels: ['approved'] });
    await h.deliver('pull_request', pullRequest('labeled', { number: 7, label: 'approved', sender: 'maintainer' }));
    expect(h.github.labels(REPO, 7)).toContain('approved');
    expect(notifiers(h)[0]?.body).toContain('added by hand');
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
