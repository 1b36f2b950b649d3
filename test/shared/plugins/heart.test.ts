import { describe, expect, it } from 'vitest';
import { adoresComment, addsOwners, heart, heartReaction, HEART_REACTIONS } from '../../../shared/plugins/heart';
import type { SeedFile } from '../../support/fake-github';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [heart]
heart:
  adorees: [mirandachrist, alice]
  commentregexp: "^/lgtm"
owners:
  filenames:
    acme/widgets:
      owners: MAINTAINERS
      owners_aliases: MAINTAINER_ALIASES
`;

async function start(plugins = PLUGINS, files: SeedFile[] = []): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins, registry: [heart] });
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor', files });
  harness.github.addIssue(REPO, { number: 6, author: 'contributor' });
  return harness;
}

/** A comment by `user` that exists on GitHub, delivered as a new issue comment. */
async function commentBy(harness: PluginHarness, user: string, body: string, number = 5) {
  const { id } = harness.github.addComment(REPO, number, user, body);
  const outcome = await harness.deliver('issue_comment', issueComment({ number, commenter: user, comment: body, commentId: id, isPR: number === 5 }));
  return { id, outcome };
}

describe('heart plugin', () => {
  it('reacts to an adoree’s matching comment on a pull request', async () => {
    const harness = await start();
    const { id, outcome } = await commentBy(harness, 'alice', '/lgtm\nlovely');
    expect(outcome.failed).toEqual([]);
    expect(harness.github.reactions(REPO, { commentId: id })).toEqual([expect.stringMatching(/:(\+1|heart|hooray)$/)]);
    expect(harness.github.reactions(REPO, { commentId: id })[0]).toContain(`:${heartReaction(id)}`);
    expect(harness.github.comments(REPO, 5).map((comment) => comment.id)).toEqual([id]);
  });

  it('leaves alone comments by others, comments that do not match, and comments on issues', async () => {
    const harness = await start();
    const stranger = await commentBy(harness, 'mallory', '/lgtm');
    const unmatched = await commentBy(harness, 'alice', 'not yet');
    const onIssue = await commentBy(harness, 'alice', '/lgtm', 6);
    const wrongCase = await commentBy(harness, 'Alice', '/lgtm');
    for (const { id } of [stranger, unmatched, onIssue, wrongCase]) expect(harness.github.reactions(REPO, { commentId: id })).toEqual([]);
  });

  it('reacts to no comment when adorees or the expression is missing', async () => {
    const harness = await start(`
plugins:
  acme/widgets:
    plugins: [heart]
heart:
  adorees: [alice]
`);
    const { id } = await commentBy(harness, 'alice', 'anything');
    expect(harness.github.reactions(REPO, { commentId: id })).toEqual([]);
  });

  it('reacts to a new pull request that adds to an OWNERS file, by the repository’s file names', async () => {
    const harness = await start(PLUGINS, [{ filename: 'pkg/api/MAINTAINERS', additions: 2 }, { filename: 'README.md', additions: 1 }]);
    const outcome = await harness.deliver('pull_request', pullRequest('opened', { number: 5 }));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.reactions(REPO, 5)).toEqual([expect.stringContaining(`:${heartReaction(5)}`)]);
  });

  it('does not react to a pull request that only removes from OWNERS, or that is not newly opened', async () => {
    const harness = await start(PLUGINS, [{ filename: 'MAINTAINERS', additions: 0, deletions: 3 }, { filename: 'OWNERS', additions: 4 }]);
    await harness.deliver('pull_request', pullRequest('opened', { number: 5 }));
    expect(harness.github.reactions(REPO, 5)).toEqual([]);
    harness.github.pushPullRequestHead(REPO, 5, { files: [{ filename: 'MAINTAINER_ALIASES', additions: 1 }] });
    await harness.deliver('pull_request', pullRequest('synchronize', { number: 5 }));
    expect(harness.github.reactions(REPO, 5)).toEqual([]);
  });
});

describe('heart decisions', () => {
  const settings = { adorees: ['alice'], commentregexp: '.*' };

  it('adores only listed logins, exactly as written, with an expression set', () => {
    expect(adoresComment(settings, 'alice', 'hi')).toBe(true);
    expect(adoresComment(settings, 'bob', 'hi')).toBe(false);
    expect(adoresComment({ adorees: ['alice'] }, 'alice', 'hi')).toBe(false);
    expect(adoresComment({ commentregexp: '.*' }, 'alice', 'hi')).toBe(false);
    expect(adoresComment(undefined, 'alice', 'hi')).toBe(false);
  });

  it('sees additions to OWNERS and OWNERS_ALIASES in any directory', () => {
    const names = { owners: 'OWNERS', ownersAliases: 'OWNERS_ALIASES' };
    expect(addsOwners([{ filename: 'a/b/OWNERS', additions: 1 }], names)).toBe(true);
    expect(addsOwners([{ filename: 'OWNERS_ALIASES', additions: 1 }], names)).toBe(true);
    expect(addsOwners([{ filename: 'OWNERS.md', additions: 1 }], names)).toBe(false);
    expect(addsOwners([{ filename: 'OWNERS', additions: 0 }], names)).toBe(false);
  });

  it('picks among Prow’s three reactions', () => {
    expect(new Set([0, 1, 2].map(heartReaction))).toEqual(new Set(HEART_REACTIONS));
  });
});
