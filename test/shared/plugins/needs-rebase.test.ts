import { afterEach, describe, expect, it } from 'vitest';
import {
  createNeedsRebasePlugin,
  NEEDS_REBASE_LABEL,
  NEEDS_REBASE_NOTICE,
  needsRebaseNotice,
  DEPENDABOT_LOGIN,
  rebaseAction,
} from '../../../shared/plugins/needs-rebase';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { isBotAccount } from '../../../shared/github/membership';
import { formatNotice } from '../../../shared/plugins/respond';

const REPO = 'acme/widgets';
const HEAD = 'a'.repeat(40);

describe('needs-rebase plugin', () => {
  let harness: PluginHarness | undefined;
  let waits: number[] = [];
  afterEach(() => {
    waits = [];
  });

  async function start(): Promise<PluginHarness> {
    const plugin = createNeedsRebasePlugin({
      sleep: (milliseconds) => {
        waits.push(milliseconds);
        return Promise.resolve();
      },
    });
    // Configured as Prow configures it, as an external plugin; Cutwater serves it in-process.
    harness = await startPluginHarness({
      plugins: `external_plugins:\n  ${REPO}:\n  - name: needs-rebase\n    events: [issue_comment, pull_request]\n`,
      registry: [plugin],
    });
    return harness;
  }

  const pushed = (number = 1) => pullRequest('synchronize', { number, headSha: HEAD });

  it('labels a conflicted pull request and tells the author once', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: false });
    const outcome = await deliver('pull_request', pushed());
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, 1)).toEqual([NEEDS_REBASE_LABEL]);
    expect(github.comments(REPO, 1).map((comment) => comment.body)).toEqual([needsRebaseNotice('contributor')]);

    await deliver('pull_request', pushed());
    expect(github.comments(REPO, 1)).toHaveLength(1);
  });

  it('removes the label and its own notice once the pull request merges cleanly, keeping other comments', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: true, labels: [NEEDS_REBASE_LABEL, 'lgtm'] });
    github.addComment(REPO, 1, 'cutwater-bot', needsRebaseNotice('contributor'));
    github.addComment(REPO, 1, 'reviewer', `Quoting the bot: ${NEEDS_REBASE_NOTICE}`);
    await deliver('pull_request', pushed());
    expect(github.labels(REPO, 1)).toEqual(['lgtm']);
    expect(github.comments(REPO, 1).map((comment) => comment.user)).toEqual(['reviewer']);
  });

  it("removes Prow's own needs-rebase notice too once the pull request merges cleanly", async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: true, labels: [NEEDS_REBASE_LABEL] });
    github.addComment(REPO, 1, 'cutwater-bot', 'PR needs rebase.\n\n<details>\n\nInstructions for interacting with me using PR comments are available here.\n</details>');
    await deliver('pull_request', pushed());
    expect(github.labels(REPO, 1)).toEqual([]);
    expect(github.comments(REPO, 1)).toEqual([]);
  });

  it('leaves everything alone while GitHub keeps computing mergeability', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: null, labels: [NEEDS_REBASE_LABEL] });
    await deliver('pull_request', pushed());
    expect(github.labels(REPO, 1)).toEqual([NEEDS_REBASE_LABEL]);
    expect(github.comments(REPO, 1)).toEqual([]);
    expect(waits).toEqual([3_000, 6_000]);
  });

  it('asks again when GitHub has not decided yet, and acts on the answer', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: false });
    const current = (await (
      await fetch(`${github.url}/repos/${REPO}/pulls/1`, { headers: { authorization: 'token test-token' } })
    ).json()) as Record<string, unknown>;
    github.failNext('GET', /\/repos\/acme\/widgets\/pulls\/1$/, { status: 200, body: { ...current, mergeable: null } });
    await deliver('pull_request', pushed());
    expect(waits).toEqual([3_000]);
    expect(github.labels(REPO, 1)).toEqual([NEEDS_REBASE_LABEL]);
  });

  it('rechecks when someone comments on the pull request, but not on issues', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: false });
    github.addIssue(REPO, { number: 2, author: 'reporter' });
    await deliver('issue_comment', issueComment({ number: 1, commenter: 'reviewer', comment: 'any news?' }));
    expect(github.labels(REPO, 1)).toEqual([NEEDS_REBASE_LABEL]);
    await deliver('issue_comment', issueComment({ number: 2, isPR: false, commenter: 'reviewer', comment: 'hm' }));
    expect(github.labels(REPO, 2)).toEqual([]);
  });

  it('leaves a pull request alone once its head has moved on, for the newer push to judge', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: 'b'.repeat(40), mergeable: false });
    await deliver('pull_request', pushed());
    expect(github.labels(REPO, 1)).toEqual([]);
  });

  it('ignores closed pull requests', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'contributor', headSha: HEAD, mergeable: false });
    await deliver('pull_request', pullRequest('opened', { number: 1, headSha: HEAD, state: 'closed' }));
    expect(github.labels(REPO, 1)).toEqual([]);
  });
});

describe('needs-rebase decision', () => {
  it('labels a conflicted pull request that is not labelled yet', () => {
    expect(rebaseAction(false, false)).toBe('add');
  });

  it('clears the label from a pull request that can be merged again', () => {
    expect(rebaseAction(true, true)).toBe('remove');
  });

  it('leaves a pull request whose label already matches alone', () => {
    expect(rebaseAction(false, true)).toBe('none');
    expect(rebaseAction(true, false)).toBe('none');
  });

  it('changes nothing while GitHub is still computing mergeability', () => {
    expect(rebaseAction(null, false)).toBe('none');
    expect(rebaseAction(null, true)).toBe('none');
  });
});

describe('needs-rebase notice', () => {
  it('explains the conflict to people, with the command help folded away', () => {
    const notice = needsRebaseNotice('contributor');
    expect(notice.startsWith(NEEDS_REBASE_NOTICE)).toBe(true);
    expect(notice).toContain('<details>');
  });

  it('tells Dependabot to rebase in its own terms', () => {
    const notice = needsRebaseNotice(DEPENDABOT_LOGIN);
    expect(notice.split('\n')[0]).toBe('rebase');
    expect(notice).not.toContain(NEEDS_REBASE_NOTICE);
  });

  it('formats a notice as message first, footer folded', () => {
    expect(formatNotice('Hello.').split('\n').slice(0, 3)).toEqual(['Hello.', '', '<details>']);
  });
});

describe('recognising the bot', () => {
  it('treats a GitHub App user and its [bot] login, in any case, as the same account', () => {
    expect(isBotAccount('cutwater-bot', 'cutwater-bot')).toBe(true);
    expect(isBotAccount('cutwater[bot]', 'cutwater')).toBe(true);
    expect(isBotAccount('cutwater', 'Cutwater[bot]')).toBe(true);
    expect(isBotAccount('cutwater-bot', 'someone')).toBe(false);
  });
});
