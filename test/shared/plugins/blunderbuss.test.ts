import { describe, expect, it } from 'vitest';
import {
  blunderbuss,
  blunderbussSettings,
  isAutoCcCommand,
  mentionsCc,
  selectReviewers,
  type BlunderbussSettings,
} from '../../../shared/plugins/blunderbuss';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { loadRepoOwners } from '../../../shared/owners/owners';

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

const OWNERS_FILES: Record<string, string> = {
  OWNERS: 'approvers: [root-approver]\nreviewers: [root-reviewer]\n',
  'api/OWNERS': 'approvers: [api-approver]\nreviewers: [api-one, api-two]\n',
  'docs/OWNERS': 'reviewers: [docs-reviewer]\n',
  'security/OWNERS': 'approvers: [sec-approver]\nrequired_reviewers: [security-officer]\n',
  'tools/OWNERS': 'options:\n  no_parent_owners: true\napprovers: [tools-approver]\n',
};

const first = () => 0;
const last = () => 0.999;

async function select(
  files: string[],
  options: { author?: string; random?: () => number; settings?: Partial<BlunderbussSettings> } = {},
): Promise<string[]> {
  return selectReviewers({
    owners: await loadRepoOwners({ readFile: async (file) => OWNERS_FILES[file], paths: files }),
    files,
    author: options.author ?? 'contributor',
    settings: { ...blunderbussSettings({}), ...options.settings },
    random: options.random ?? first,
  });
}

describe('choosing reviewers', () => {
  it('defaults to two reviewers', () => {
    expect(blunderbussSettings({}).requestCount).toBe(2);
    expect(blunderbussSettings({ blunderbuss: { request_count: 3, exclude_approvers: true } })).toMatchObject({
      requestCount: 3,
      excludeApprovers: true,
    });
  });

  it('draws one nearest reviewer from each OWNERS file the change touches', async () => {
    expect(await select(['api/server.go', 'docs/intro.md'])).toEqual(['api-one', 'docs-reviewer']);
    expect(await select(['api/server.go', 'docs/intro.md'], { random: last })).toEqual(['api-two', 'docs-reviewer']);
  });

  it('tops up from the nearest reviewers, then from reviewers further up', async () => {
    expect(await select(['api/server.go'])).toEqual(['api-one', 'api-two']);
    expect(await select(['api/server.go'], { settings: { requestCount: 3 } })).toEqual(['api-one', 'api-two', 'root-reviewer']);
  });

  it('never asks the author', async () => {
    expect(await select(['api/server.go'], { author: 'API-One' })).toEqual(['api-two', 'root-reviewer']);
  });

  it('falls back to approvers when reviewers run out, unless approvers are excluded', async () => {
    // tools/OWNERS names no reviewers, so no_parent_owners does not stop the search for them.
    expect(await select(['tools/build.sh'])).toEqual(['root-reviewer', 'tools-approver']);
    expect(await select(['tools/build.sh'], { settings: { excludeApprovers: true } })).toEqual(['root-reviewer']);
  });

  it('caps the request at max_request_count but always adds required reviewers', async () => {
    expect(await select(['api/a.go', 'docs/b.md', 'security/c.go'], { settings: { maxRequestCount: 1 } })).toEqual([
      'api-one',
      'security-officer',
    ]);
  });

  it('asks nobody when a request count of zero is configured', async () => {
    expect(await select(['api/a.go'], { settings: { requestCount: 0 } })).toEqual([]);
  });
});

describe('commands and opt-outs', () => {
  it('sees a /cc in the PR description', () => {
    expect(mentionsCc('Please review\n/cc @alice @bob')).toBe(true);
    expect(mentionsCc('/uncc @alice')).toBe(true);
    expect(mentionsCc('cc @alice')).toBe(false);
  });

  it('reads /auto-cc', () => {
    expect(isAutoCcCommand('/auto-cc')).toBe(true);
    expect(isAutoCcCommand('/auto-cc please')).toBe(false);
  });
});
