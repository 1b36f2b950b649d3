import { describe, expect, it } from 'vitest';
import {
  LGTM_REMOVED_NOTICE,
  lgtm,
  lgtmLabelChange,
  lgtmPermission,
  lgtmRequest,
  lgtmSettingsFor,
  NOT_COLLABORATOR_REPLY,
  NOT_IN_OWNERS_REPLY,
  SELF_LGTM_REPLY,
  treeHashIn,
  treeHashNotice,
  type LgtmPermissionInput,
} from '../../../shared/plugins/lgtm';
import { issueComment, pullRequest, pullRequestReview } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [lgtm]
`;

describe('lgtm plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(plugins = PLUGINS, labels: string[] = []): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins, registry: [lgtm] });
    harness.github.addCollaborator(REPO, 'reviewer');
    harness.github.addCollaborator(REPO, 'contributor');
    harness.github.setFile(REPO, 'OWNERS', 'approvers: [lead]\n');
    harness.github.setFile(REPO, 'api/OWNERS', 'reviewers: [api-reviewer]\n');
    harness.github.addPullRequest(REPO, { number: 3, author: 'contributor', labels, files: [{ filename: 'api/server.go' }] });
    return harness;
  }

  function say(h: PluginHarness, commenter: string, comment: string) {
    return h.deliver('issue_comment', issueComment({ number: 3, author: 'contributor', commenter, comment }));
  }

  function botComments(h: PluginHarness): string[] {
    return h.github.comments(REPO, 3).filter((entry) => entry.user === 'cutwater-bot').map((entry) => entry.body);
  }

  it('adds the label for a collaborator and assigns them', async () => {
    const h = await start();
    const outcome = await say(h, 'reviewer', '/lgtm');
    expect(outcome.failed).toEqual([]);
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(h.github.assignees(REPO, 3)).toEqual(['reviewer']);
    expect(botComments(h)).toEqual([]);
  });

  it('removes the label on /lgtm cancel', async () => {
    const h = await start(PLUGINS, ['lgtm']);
    await say(h, 'reviewer', '/lgtm cancel');
    expect(h.github.labels(REPO, 3)).toEqual([]);
  });

  it('refuses people who are not collaborators', async () => {
    const h = await start();
    await say(h, 'passer-by', '/lgtm');
    expect(h.github.labels(REPO, 3)).toEqual([]);
    expect(botComments(h)[0]).toMatch(/^@passer-by: only collaborators on this repository can change LGTM\./);
  });

  it('refuses the author their own LGTM but lets them withdraw one', async () => {
    const h = await start();
    await say(h, 'contributor', '/lgtm');
    expect(h.github.labels(REPO, 3)).toEqual([]);
    expect(botComments(h)[0]).toMatch(/^@contributor: pull request authors can't LGTM their own pull requests\./);
    h.github.addPullRequest(REPO, { number: 4, author: 'contributor', labels: ['lgtm'] });
    await h.deliver('issue_comment', issueComment({ number: 4, author: 'contributor', commenter: 'contributor', comment: '/lgtm cancel' }));
    expect(h.github.labels(REPO, 4)).toEqual([]);
  });

  it('removes the label when new commits arrive, and tidies the notice away on the next LGTM', async () => {
    const h = await start(PLUGINS, ['lgtm']);
    await h.deliver('pull_request', pullRequest('synchronize', { number: 3, author: 'contributor' }));
    expect(h.github.labels(REPO, 3)).toEqual([]);
    expect(botComments(h)).toEqual([LGTM_REMOVED_NOTICE]);
    await say(h, 'reviewer', '/lgtm');
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(botComments(h)).toEqual([]);
  });

  it("tidies away Prow's own notice of a removed LGTM too, on the next LGTM", async () => {
    const h = await start();
    h.github.addComment(REPO, 3, 'cutwater-bot', 'New changes are detected. LGTM label has been removed.');
    h.github.addComment(REPO, 3, 'reviewer', 'New changes are detected. LGTM label has been removed. (quoting)');
    await say(h, 'reviewer', '/lgtm');
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(botComments(h)).toEqual([]);
    expect(h.github.comments(REPO, 3).map((entry) => entry.user)).toContain('reviewer');
  });

  it('keeps the label on new commits from members of the sticky-LGTM team', async () => {
    const h = await start(`${PLUGINS}lgtm:\n- repos: [acme/widgets]\n  trusted_team_for_sticky_lgtm: Release Managers\n`, ['lgtm']);
    h.github.addTeamMember('acme', 'release-managers', 'contributor');
    await h.deliver('pull_request', pullRequest('synchronize', { number: 3, author: 'contributor' }));
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
  });

  it('treats reviews as LGTM only with review_acts_as_lgtm', async () => {
    const h = await start();
    await h.deliver('pull_request_review', pullRequestReview({ number: 3, author: 'contributor', reviewer: 'reviewer', reviewState: 'approved' }));
    expect(h.github.labels(REPO, 3)).toEqual([]);
    await h.close();

    const acting = await start(`${PLUGINS}lgtm:\n- repos: [acme]\n  review_acts_as_lgtm: true\n`);
    await acting.deliver('pull_request_review', pullRequestReview({ number: 3, author: 'contributor', reviewer: 'reviewer', reviewState: 'approved' }));
    expect(acting.github.labels(REPO, 3)).toEqual(['lgtm']);
    await acting.deliver('pull_request_review', pullRequestReview({ number: 3, author: 'contributor', reviewer: 'reviewer', reviewState: 'changes_requested' }));
    expect(acting.github.labels(REPO, 3)).toEqual([]);
  });

  it('lets OWNERS reviewers and approvers LGTM where the repo skips the collaborator check', async () => {
    const h = await start(`${PLUGINS}owners:\n  skip_collaborators: [acme/widgets]\n`);
    await say(h, 'reviewer', '/lgtm');
    expect(h.github.labels(REPO, 3)).toEqual([]);
    expect(botComments(h)[0]).toMatch(/^@reviewer: only the reviewers and approvers listed in the OWNERS files/);
    await say(h, 'api-reviewer', '/lgtm');
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(h.github.assignees(REPO, 3)).toEqual([]);
  });
});

describe('lgtm with store_tree_hash', () => {
  const TREE_PLUGINS = `${PLUGINS}lgtm:\n- repos: [acme/widgets]\n  store_tree_hash: true\n`;

  async function start(plugins = TREE_PLUGINS): Promise<PluginHarness> {
    const h = await startPluginHarness({ plugins, registry: [lgtm] });
    h.github.addCollaborator(REPO, 'reviewer');
    h.github.addCollaborator(REPO, 'contributor');
    h.github.addPullRequest(REPO, { number: 3, author: 'contributor', files: [{ filename: 'api/server.go', additions: 3 }] });
    return h;
  }

  function botComments(h: PluginHarness): string[] {
    return h.github.comments(REPO, 3).filter((entry) => entry.user === 'cutwater-bot').map((entry) => entry.body);
  }

  const say = (h: PluginHarness, commenter: string, comment: string) =>
    h.deliver('issue_comment', issueComment({ number: 3, author: 'contributor', commenter, comment }));
  const pushed = (h: PluginHarness, headSha: string) =>
    h.deliver('pull_request', pullRequest('synchronize', { number: 3, author: 'contributor', headSha, assignees: ['reviewer'] }));

  it("records the head's tree hash in Prow's notice when /lgtm adds the label", async () => {
    const h = await start();
    await say(h, 'reviewer', '/lgtm');
    const tree = h.github.treeOf(REPO, h.github.pullRequest(REPO, 3).headSha);
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(botComments(h)).toEqual([`LGTM label has been added.  <details>Git tree hash: ${tree}</details>`]);
  });

  it('keeps the label when the new head has the same tree (a squash), and removes it when the content changed', async () => {
    const h = await start();
    await say(h, 'reviewer', '/lgtm');
    // Amended with the same change on the same base: a new commit, the same tree.
    const squashed = h.github.pushPullRequestHead(REPO, 3);
    expect(h.github.treeOf(REPO, squashed)).toBe(treeHashIn(botComments(h)[0] ?? ''));
    await pushed(h, squashed);
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(botComments(h)).toHaveLength(1);

    const changed = h.github.pushPullRequestHead(REPO, 3, { files: [{ filename: 'api/server.go', additions: 5 }] });
    await pushed(h, changed);
    expect(h.github.labels(REPO, 3)).toEqual([]);
    expect(botComments(h).at(-1)).toBe(LGTM_REMOVED_NOTICE);
    // Prow asks the assignees to look again once the LGTM is gone.
    expect(h.github.requestedReviewers(REPO, 3)).toEqual(['reviewer']);
  });

  it("goes by the bot's newest notice and ignores others' look-alikes", async () => {
    const h = await start();
    h.github.addRepoLabels(REPO, ['lgtm']);
    const head = h.github.pullRequest(REPO, 3).headSha;
    const tree = h.github.treeOf(REPO, head);
    h.github.addComment(REPO, 3, 'cutwater-bot', treeHashNotice('0'.repeat(40)));
    h.github.addComment(REPO, 3, 'cutwater-bot', treeHashNotice(tree));
    h.github.addLabelAs(REPO, 3, 'lgtm', 'reviewer');
    await pushed(h, h.github.pushPullRequestHead(REPO, 3));
    expect(h.github.labels(REPO, 3)).toEqual(['lgtm']);

    const other = await start();
    other.github.addComment(REPO, 3, 'mallory', treeHashNotice(other.github.treeOf(REPO, other.github.pullRequest(REPO, 3).headSha)));
    other.github.addLabelAs(REPO, 3, 'lgtm', 'reviewer');
    await pushed(other, other.github.pushPullRequestHead(REPO, 3));
    expect(other.github.labels(REPO, 3)).toEqual([]);
  });

  it('removes the notice on /lgtm cancel', async () => {
    const h = await start();
    await say(h, 'reviewer', '/lgtm');
    expect(botComments(h)).toHaveLength(1);
    await say(h, 'reviewer', '/lgtm cancel');
    expect(h.github.labels(REPO, 3)).toEqual([]);
    expect(botComments(h)).toEqual([]);
  });

  it('records nothing without store_tree_hash, or for a sticky author', async () => {
    const plain = await start(PLUGINS);
    await say(plain, 'reviewer', '/lgtm');
    expect(botComments(plain)).toEqual([]);

    const sticky = await start(`${PLUGINS}lgtm:\n- repos: [acme/widgets]\n  store_tree_hash: true\n  trusted_team_for_sticky_lgtm: Leads\n`);
    sticky.github.addTeamMember('acme', 'leads', 'contributor');
    await say(sticky, 'reviewer', '/lgtm');
    expect(sticky.github.labels(REPO, 3)).toEqual(['lgtm']);
    expect(botComments(sticky)).toEqual([]);
  });
});

const REVIEWER: LgtmPermissionInput = {
  request: 'add',
  isAuthor: false,
  isAssignee: false,
  skipCollaborators: false,
  isCollaborator: true,
  listedInOwners: false,
};

describe('lgtm commands', () => {
  it('reads /lgtm and its cancel forms, whole lines only', () => {
    expect(lgtmRequest('/lgtm')).toBe('add');
    expect(lgtmRequest('Nice work!\n/LGTM  ')).toBe('add');
    expect(lgtmRequest('/lgtm no-issue')).toBe('add');
    expect(lgtmRequest('/lgtm cancel')).toBe('remove');
    expect(lgtmRequest('/remove-lgtm')).toBe('remove');
    expect(lgtmRequest('/lgtm but fix the typo')).toBeUndefined();
    expect(lgtmRequest('> /lgtm')).toBeUndefined();
    expect(lgtmRequest('I would /lgtm this')).toBeUndefined();
  });

  it('prefers /lgtm when a comment holds both, as Prow does', () => {
    expect(lgtmRequest('/lgtm cancel\n/lgtm')).toBe('add');
  });

  it('reads the repo entry before the org entry', () => {
    const config = { lgtm: [{ repos: ['acme'], review_acts_as_lgtm: true }, { repos: ['acme/widgets'], store_tree_hash: true }] };
    expect(lgtmSettingsFor(config, 'acme', 'widgets')).toEqual({ reviewActsAsLgtm: false, storeTreeHash: true, stickyLgtmTeam: undefined });
    expect(lgtmSettingsFor(config, 'acme', 'gears').reviewActsAsLgtm).toBe(true);
  });
});

describe('who may change LGTM', () => {
  it('refuses an author approving their own PR, but lets them cancel', () => {
    expect(lgtmPermission({ ...REVIEWER, isAuthor: true, isCollaborator: false })).toEqual({ allowed: false, reply: SELF_LGTM_REPLY });
    expect(lgtmPermission({ ...REVIEWER, request: 'remove', isAuthor: true, isCollaborator: false })).toEqual({ allowed: true, assignCommenter: false });
  });

  it('lets collaborators change it, assigning them when they are not yet assigned', () => {
    expect(lgtmPermission(REVIEWER)).toEqual({ allowed: true, assignCommenter: true });
    expect(lgtmPermission({ ...REVIEWER, isAssignee: true })).toEqual({ allowed: true, assignCommenter: false });
  });

  it('refuses people who are not collaborators, for cancel too', () => {
    expect(lgtmPermission({ ...REVIEWER, isCollaborator: false })).toEqual({ allowed: false, reply: NOT_COLLABORATOR_REPLY });
    expect(lgtmPermission({ ...REVIEWER, request: 'remove', isCollaborator: false })).toEqual({ allowed: false, reply: NOT_COLLABORATOR_REPLY });
  });

  it('asks OWNERS instead when the repo skips the collaborator check', () => {
    const skipping = { ...REVIEWER, skipCollaborators: true, isCollaborator: false };
    expect(lgtmPermission({ ...skipping, listedInOwners: true })).toEqual({ allowed: true, assignCommenter: false });
    expect(lgtmPermission(skipping)).toEqual({ allowed: false, reply: NOT_IN_OWNERS_REPLY });
  });
});

describe('the label change', () => {
  it('changes the label only when it is not already as asked', () => {
    expect(lgtmLabelChange('add', [])).toBe('add');
    expect(lgtmLabelChange('add', ['lgtm'])).toBeUndefined();
    expect(lgtmLabelChange('remove', ['lgtm', 'approved'])).toBe('remove');
    expect(lgtmLabelChange('remove', [])).toBeUndefined();
  });
});
