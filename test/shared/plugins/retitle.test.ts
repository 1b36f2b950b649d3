import { describe, expect, it } from 'vitest';
import {
  retitle,
  CLOSING_KEYWORD_MESSAGE,
  EMPTY_TITLE_MESSAGE,
  mentionsClosingKeyword,
  requestedTitle,
  titleProblem,
} from '../../../shared/plugins/retitle';
import { yaml } from '../../support/config';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';

describe('retitle plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(extra = ''): Promise<PluginHarness> {
    harness = await startPluginHarness({
      plugins: yaml(`
        plugins:
          acme/widgets:
            plugins: [retitle]
      `) + extra,
      registry: [retitle],
    });
    harness.github.addPullRequest(REPO, { number: 1, author: 'contributor', title: 'wip stuff' });
    harness.github.addIssue(REPO, { number: 2, author: 'reporter', title: 'it broke' });
    return harness;
  }

  it('lets a collaborator retitle a pull request', async () => {
    const { github, deliver } = await start();
    github.addCollaborator(REPO, 'maintainer');
    const outcome = await deliver('issue_comment', issueComment({ number: 1, commenter: 'maintainer', comment: '/retitle Make widgets faster' }));
    expect(outcome.failed).toEqual([]);
    expect(github.issue(REPO, 1).title).toBe('Make widgets faster');
    expect(github.comments(REPO, 1)).toEqual([]);
  });

  it('lets an org member retitle an issue', async () => {
    const { github, deliver } = await start();
    github.addOrgMember('acme', 'member');
    await deliver('issue_comment', issueComment({ number: 2, isPR: false, commenter: 'member', comment: '/retitle Widgets crash on start' }));
    expect(github.issue(REPO, 2).title).toBe('Widgets crash on start');
  });

  it('refuses someone who is neither a member nor a collaborator, telling them why', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 1, commenter: 'passer-by', comment: '/retitle Mine now' }));
    expect(github.issue(REPO, 1).title).toBe('wip stuff');
    const [reply] = github.comments(REPO, 1);
    expect(reply?.body).toMatch(/^@passer-by: Only trusted users/);
    expect(reply?.body).toContain('> /retitle Mine now');
  });

  it('does not count collaborators as trusted when the trigger config says only org members', async () => {
    const { github, deliver } = await start(yaml(`
      triggers:
      - repos: [acme]
        only_org_members: true
    `));
    github.addCollaborator(REPO, 'maintainer');
    await deliver('issue_comment', issueComment({ number: 1, commenter: 'maintainer', comment: '/retitle Nope' }));
    expect(github.issue(REPO, 1).title).toBe('wip stuff');
    expect(github.comments(REPO, 1)).toHaveLength(1);
  });

  it('refuses an empty title and one that would close an issue', async () => {
    const { github, deliver } = await start();
    github.addCollaborator(REPO, 'maintainer');
    await deliver('issue_comment', issueComment({ number: 1, commenter: 'maintainer', comment: '/retitle' }));
    await deliver('issue_comment', issueComment({ number: 1, commenter: 'maintainer', comment: '/retitle Fixes #7' }));
    expect(github.issue(REPO, 1).title).toBe('wip stuff');
    const replies = github.comments(REPO, 1).map((comment) => comment.body);
    expect(replies[0]).toMatch(/^@maintainer: A title cannot be empty/);
    expect(replies[1]).toMatch(/^@maintainer: A title cannot contain \[keywords that close issues/);
  });

  it('ignores closed issues unless allow_closed_issues is set', async () => {
    const closedComment = () =>
      issueComment({ number: 2, isPR: false, state: 'closed', commenter: 'member', comment: '/retitle Renamed' });
    const first = await start();
    first.github.addOrgMember('acme', 'member');
    await first.deliver('issue_comment', closedComment());
    expect(first.github.issue(REPO, 2).title).toBe('it broke');
    expect(first.github.comments(REPO, 2)).toEqual([]);
    await first.close();

    const second = await start('retitle:\n  allow_closed_issues: true\n');
    second.github.addOrgMember('acme', 'member');
    await second.deliver('issue_comment', closedComment());
    expect(second.github.issue(REPO, 2).title).toBe('Renamed');
  });

  it('does not act on edited comments', async () => {
    const { github, deliver } = await start();
    github.addCollaborator(REPO, 'maintainer');
    await deliver('issue_comment', issueComment({ number: 1, action: 'edited', commenter: 'maintainer', comment: '/retitle Edited' }));
    expect(github.issue(REPO, 1).title).toBe('wip stuff');
  });
});

describe('/retitle parsing', () => {
  it('takes the rest of the line as the new title, trimmed', () => {
    expect(requestedTitle('/retitle   Make widgets faster  ')).toBe('Make widgets faster');
    expect(requestedTitle('Looks off.\n/RETITLE Better title\nthanks')).toBe('Better title');
  });

  it('reads a bare /retitle as an empty title, so it can be refused', () => {
    expect(requestedTitle('/retitle')).toBe('');
  });

  it('ignores comments without the command, look-alikes and quoted commands', () => {
    expect(requestedTitle('please /retitle this')).toBeUndefined();
    expect(requestedTitle('/retitles foo')).toBeUndefined();
    expect(requestedTitle('> /retitle quoted')).toBeUndefined();
  });

  it('uses the first command when there are several', () => {
    expect(requestedTitle('/retitle one\n/retitle two')).toBe('one');
  });
});

describe('title checks', () => {
  it('refuses an empty title', () => {
    expect(titleProblem('')).toBe(EMPTY_TITLE_MESSAGE);
  });

  it('refuses titles that would close an issue on merge, as GitHub reads the keywords', () => {
    for (const title of ['Fixes #12', 'close #1', 'Resolved: #3', 'fix acme/widgets#44', 'Prefix #5']) {
      expect(mentionsClosingKeyword(title), title).toBe(true);
      expect(titleProblem(title)).toBe(CLOSING_KEYWORD_MESSAGE);
    }
  });

  it('accepts titles that merely mention fixes or issue numbers', () => {
    for (const title of ['Fix flaky test', 'Follow-up to #12', 'closing the gap', 'fixes#12']) {
      expect(mentionsClosingKeyword(title), title).toBe(false);
      expect(titleProblem(title)).toBeUndefined();
    }
  });
});
