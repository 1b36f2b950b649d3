import { describe, expect, it } from 'vitest';
import {
  blunderbuss,
  blunderbussSettings,
  isAutoCcCommand,
  mentionsCc,
  selectReviewers,
  type BlunderbussSettings,
} from '../../../shared/plugins/blunderbuss';
import { commitStatus, issueComment, pullRequest } from '../../support/payloads';
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

  async function start(plugins = PLUGINS, pr: { author?: string; draft?: boolean; headSha?: string } = {}): Promise<PluginHarness> {
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
      ...(pr.headSha ? { headSha: pr.headSha } : {}),
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

  it('with use_status_availability, passes over people whose GitHub status says busy', async () => {
    const h = await start(`${PLUGINS}blunderbuss:\n  use_status_availability: true\n`);
    h.github.setUserBusy('api-one', true);
    await h.deliver('pull_request', opened());
    expect(h.github.requestedReviewers(REPO, 9).sort()).toEqual(['api-two', 'root-reviewer']);
  });

  it('without use_status_availability, asks busy people too', async () => {
    const h = await start();
    h.github.setUserBusy('api-one', true);
    await h.deliver('pull_request', opened());
    expect(h.github.requestedReviewers(REPO, 9).sort()).toEqual(['api-one', 'api-two']);
  });

  describe('wait_for_status', () => {
    const HEAD = 'a'.repeat(40);
    const WAITING = `${PLUGINS}blunderbuss:
  wait_for_status:
    context: tide
    state: pending
    description: 'Not mergeable\\. Needs .*lgtm'
`;
    const tide = (options: { sha?: string; context?: string; state?: 'pending' | 'success'; description?: string } = {}) =>
      commitStatus({
        sha: options.sha ?? HEAD,
        context: options.context ?? 'tide',
        state: options.state ?? 'pending',
        description: options.description ?? 'Not mergeable. Needs lgtm label.',
      });

    it('does nothing when the PR opens, and requests reviews once the status is reached on its head', async () => {
      const h = await start(WAITING, { headSha: HEAD });
      await h.deliver('pull_request', opened());
      expect(h.github.requestedReviewers(REPO, 9)).toEqual([]);
      const outcome = await h.deliver('status', tide());
      expect(outcome.failed).toEqual([]);
      expect(h.github.requestedReviewers(REPO, 9).sort()).toEqual(['api-one', 'api-two']);
    });

    it('ignores other contexts, states, descriptions and commits', async () => {
      const h = await start(WAITING, { headSha: HEAD });
      await h.deliver('status', tide({ context: 'ci/unit' }));
      await h.deliver('status', tide({ state: 'success' }));
      await h.deliver('status', tide({ description: 'In merge pool.' }));
      await h.deliver('status', tide({ sha: 'b'.repeat(40) }));
      expect(h.github.requestedReviewers(REPO, 9)).toEqual([]);
    });

    it('leaves PRs that already have reviewers requested, and ignored authors', async () => {
      const h = await start(`${WAITING}  ignore_authors: [dependabot]\n`, { headSha: HEAD });
      await h.deliver('status', tide());
      const first = h.github.requestedReviewers(REPO, 9);
      await h.deliver('status', tide());
      const requests = h.github.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/requested_reviewers'));
      expect(first).toHaveLength(2);
      expect(requests).toHaveLength(1);

      h.github.addPullRequest(REPO, { number: 11, author: 'dependabot', headSha: 'c'.repeat(40), files: [{ filename: 'api/x.go' }] });
      await h.deliver('status', tide({ sha: 'c'.repeat(40) }));
      expect(h.github.requestedReviewers(REPO, 11)).toEqual([]);
    });
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
  options: { author?: string; random?: () => number; settings?: Partial<BlunderbussSettings>; isBusy?: (login: string) => Promise<boolean> } = {},
): Promise<string[]> {
  return selectReviewers({
    owners: await loadRepoOwners({ readFile: async (file) => OWNERS_FILES[file], paths: files }),
    files,
    author: options.author ?? 'contributor',
    settings: { ...blunderbussSettings({}), ...options.settings },
    random: options.random ?? first,
    ...(options.isBusy ? { isBusy: options.isBusy } : {}),
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

  it('draws past busy people, remembering them, and asks only required reviewers when all are busy', async () => {
    const asked: string[] = [];
    const busy = new Set(['api-one', 'docs-reviewer']);
    const isBusy = async (login: string) => {
      asked.push(login);
      return busy.has(login);
    };
    expect(await select(['api/a.go'], { isBusy })).toEqual(['api-two', 'root-reviewer']);
    expect(asked.filter((login) => login === 'api-one')).toHaveLength(1);
    expect(await select(['security/c.go'], { isBusy: async () => true })).toEqual(['security-officer']);
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
