import { describe, expect, it } from 'vitest';
import { blunderbuss } from '../../../shared/plugins/blunderbuss';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [blunderbuss]
`;

describe('blunderbuss plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(plugins = PLUGINS, pr: { author?: string; draft?: boolean } = {}): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins, registry: [blunderbuss] });
    const { github } = harness;
    github.setFile(REPO, 'OWNERS', 'approvers: [root-lead]\nreviewers: [root-reviewer]\n');
    github.setFile(REPO, 'api/OWNERS', 'approvers: [api-lead]\nreviewers: [api-one, api-two]\n');
    github.setFile(REPO, 'security/OWNERS', 'approvers: [root-lead]\nrequired_reviewers: [security-officer]\n');
    for (const login of ['root-lead', 'root-reviewer', 'api-lead', 'api-one', 'api-two', 'security-officer']) {
      github.addCollaborator(REPO, login);
    }
    github.addPullRequest(REPO, {
      number: 9,
      author: pr.author ?? 'contributor',
      draft: pr.draft ?? false,
      files: [{ filename: 'api/server.go', additions: 40 }],
    });
    return harness;
  }

  function opened(options: { author?: string; body?: string; draft?: boolean } = {}) {
    return pullRequest('opened', { number: 9, author: options.author ?? 'contributor', body: options.body ?? '', draft: options.draft ?? false });
  }

  it('requests reviews from the OWNERS reviewers of the changed files when a PR opens', async () => {
    const h = await start();
    const outcome = await h.deliver('pull_request', opened());
    expect(outcome.failed).toEqual([]);
    expect(h.github.requestedReviewers(REPO, 9).sort()).toEqual(['api-one', 'api-two']);
  });

  it('never asks the author, topping up from reviewers further up', async () => {
    const h = await start(PLUGINS, { author: 'api-one' });
    await h.deliver('pull_request', opened({ author: 'api-one' }));
    expect(h.github.requestedReviewers(REPO, 9).sort()).toEqual(['api-two', 'root-reviewer']);
  });

  it('always adds required reviewers', async () => {
    const h = await start();
    h.github.addPullRequest(REPO, { number: 10, author: 'contributor', files: [{ filename: 'security/policy.yaml' }] });
    await h.deliver('pull_request', pullRequest('opened', { number: 10, author: 'contributor' }));
    expect(h.github.requestedReviewers(REPO, 10)).toContain('security-officer');
  });

  it('leaves PRs alone that /cc reviewers, drafts when configured, and ignored authors', async () => {
    const h = await start(`${PLUGINS}blunderbuss:\n  ignore_drafts: true\n  ignore_authors: [dependabot]\n`, { draft: true });
    await h.deliver('pull_request', opened({ body: 'Fixes a bug.\n/cc @root-lead' }));
    await h.deliver('pull_request', opened({ draft: true }));
    await h.deliver('pull_request', opened({ author: 'dependabot' }));
    expect(h.github.requestedReviewers(REPO, 9)).toEqual([]);
  });

  it('requests reviews on /auto-cc', async () => {
    const h = await start(`${PLUGINS}blunderbuss:\n  request_count: 1\n`);
    await h.deliver('issue_comment', issueComment({ number: 9, author: 'contributor', commenter: 'anyone', comment: '/auto-cc' }));
    const requested = h.github.requestedReviewers(REPO, 9);
    expect(requested).toHaveLength(1);
    expect(['api-one', 'api-two']).toContain(requested[0]);
  });
});
