import { describe, expect, it } from 'vitest';
import { issueManagement, linkCommands, parseIssueRef, transferCommand, updateFixesLine } from '../../../shared/plugins/issue-management';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS_YAML = 'plugins:\n  acme:\n    plugins: [issue-management]\n';

async function start(): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS_YAML, registry: [issueManagement] });
  const { github } = harness;
  github.addRepo(REPO);
  github.addRepo('acme/gadgets');
  github.addOrgMember('acme', 'member');
  github.addPullRequest(REPO, { number: 7, author: 'member', body: 'Makes widgets faster.' });
  github.addIssue(REPO, { number: 12, author: 'someone', title: 'Widgets are slow' });
  github.addIssue(REPO, { number: 13, author: 'someone' });
  github.addIssue('acme/gadgets', { number: 3, author: 'someone' });
  github.addPullRequest('acme/gadgets', { number: 4, author: 'someone' });
  github.setFile(REPO, 'OWNERS', 'approvers:\n- lead\n');
  github.addCollaborator(REPO, 'lead');
  return harness;
}

async function comment(harness: PluginHarness, options: { number: number; commenter: string; body: string; isPR?: boolean; action?: 'created' | 'edited' }) {
  const outcome = await harness.deliver(
    'issue_comment',
    issueComment({ number: options.number, commenter: options.commenter, comment: options.body, isPR: options.isPR ?? true, ...(options.action ? { action: options.action } : {}) }),
  );
  expect(outcome.failed).toEqual([]);
}

function replies(harness: PluginHarness, number: number, repo = REPO): string[] {
  return harness.github.comments(repo, number).map((reply) => reply.body);
}

describe('the "Fixes" line (Prow\'s updateFixesLine cases)', () => {
  it.each([
    ['This is a PR body.', ['#12'], [], 'This is a PR body.\n\nFixes #12'],
    ['Fixes #1 #2', [], ['#2'], 'Fixes #1'],
    ['line1\nFixes #99\nline2', [], ['#99'], 'line1\nline2'],
    ['Fixes #7', ['#7'], [], 'Fixes #7'],
    ['line1\nline2', ['foo/bar#10'], [], 'line1\nline2\n\nFixes foo/bar#10'],
    ['line1\nFixes #1\nline3', ['#2', 'foo/bar#10'], [], 'line1\nFixes #1 #2 foo/bar#10\nline3'],
    ['Intro\r\nfixes #3\r\n', ['#4'], [], 'Intro\r\nFixes #3 #4\n'],
  ])('%j + %j - %j', (body, add, remove, expected) => {
    expect(updateFixesLine(body, add, remove)).toBe(expected);
  });
});

describe('issue references and commands', () => {
  it('reads numbers and org/repo#number, nothing else', () => {
    expect(parseIssueRef('42', 'acme', 'widgets')).toEqual({ org: 'acme', repo: 'widgets', number: 42 });
    expect(parseIssueRef('foo/bar#77', 'acme', 'widgets')).toEqual({ org: 'foo', repo: 'bar', number: 77 });
    for (const bad of ['x42', 'foo/bar', 'foo/bar/baz#1', 'foo/bar#x', 'abc']) expect(parseIssueRef(bad, 'acme', 'widgets')).toBeUndefined();
  });

  it('collects every /link-issue and /unlink-issue line, case-insensitively', () => {
    expect(linkCommands('/link-issue 101 102\n/LINK-ISSUE org/repo#3\n/unlink-issue 9')).toEqual({ link: ['101', '102', 'org/repo#3'], unlink: ['9'] });
    expect(linkCommands('/unlink-issue')).toEqual({ link: [], unlink: [] });
  });

  it('takes one /transfer destination', () => {
    expect(transferCommand('/transfer-issue gadgets')).toEqual({ destination: 'gadgets' });
    expect(transferCommand('/transfer gadgets ')).toEqual({ destination: 'gadgets' });
    expect(transferCommand('/transfer')).toHaveProperty('problem');
    expect(transferCommand('/transfer a\n/transfer b')).toHaveProperty('problem');
    expect(transferCommand('please /transfer a')).toBeUndefined();
  });
});

describe('/link-issue and /unlink-issue', () => {
  it('lets an org member link issues here and elsewhere, writing the Fixes line', async () => {
    const harness = await start();
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 12 acme/gadgets#3' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.\n\nFixes #12 acme/gadgets#3');
    expect(replies(harness, 7)).toHaveLength(1);
    expect(replies(harness, 7)[0]).toContain('@member: The "Fixes" line of the description is updated.');

    await comment(harness, { number: 7, commenter: 'member', body: '/unlink-issue acme/gadgets#3' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.\n\nFixes #12');
    await comment(harness, { number: 7, commenter: 'member', body: '/unlink-issue 12' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.\n');
  });

  it('links and unlinks in one comment', async () => {
    const harness = await start();
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 12' });
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 13\n/unlink-issue 12' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.\n\nFixes #13');
  });

  it('says so when the description already says it', async () => {
    const harness = await start();
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 12' });
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 12' });
    expect(replies(harness, 7)[1]).toContain('already says that');
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.\n\nFixes #12');
  });

  it('lists the references it could not link, and links the rest', async () => {
    const harness = await start();
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 12 99 other/repo#1 acme/gadgets#4 abc' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.\n\nFixes #12');
    const [reply] = replies(harness, 7);
    expect(reply).toContain('Some references were left out');
    expect(reply).toContain('There is no issue **#99** in **acme/widgets**');
    expect(reply).toContain('There is no repository **other/repo**');
    expect(reply).toContain('**acme/gadgets#4** is a pull request');
    expect(reply).toContain('**abc** is not an issue reference');
  });

  it('fails the delivery, to be tried again, when GitHub cannot answer whether an issue exists', async () => {
    const harness = await start();
    harness.github.failNext('GET', /\/repos\/acme\/widgets\/issues\/12$/, { status: 500, body: { message: 'boom' } }, 10);
    const outcome = await harness.deliver('issue_comment', issueComment({ number: 7, commenter: 'member', comment: '/link-issue 12', isPR: true }));
    expect(outcome.failed).not.toEqual([]);
    // Nobody is told the issue is missing, and the description is untouched.
    expect(replies(harness, 7).join('\n')).not.toContain('There is no issue');
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.');
  });

  it('changes nothing when no reference is valid', async () => {
    const harness = await start();
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 99' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.');
    expect(replies(harness, 7)[0]).toContain('No issue was linked');
  });

  it('refuses people outside the org, and issues, and ignores edits', async () => {
    const harness = await start();
    await comment(harness, { number: 7, commenter: 'stranger', body: '/link-issue 12' });
    expect(replies(harness, 7)[0]).toContain('Only members of the acme org');
    await comment(harness, { number: 12, commenter: 'member', body: '/link-issue 13', isPR: false });
    expect(replies(harness, 12)[0]).toContain('work on pull requests only');
    await comment(harness, { number: 7, commenter: 'member', body: '/link-issue 12', action: 'edited' });
    expect(harness.github.issue(REPO, 7).body).toBe('Makes widgets faster.');
    expect(replies(harness, 7)).toHaveLength(1);
  });
});

describe('/pin-issue and /unpin-issue', () => {
  it('lets a top-level OWNERS approver pin and unpin an issue', async () => {
    const harness = await start();
    await comment(harness, { number: 12, commenter: 'lead', body: '/pin-issue', isPR: false });
    expect(harness.github.pinnedIssues(REPO)).toEqual([12]);
    expect(replies(harness, 12)[0]).toContain('Issue #12 is now pinned');
    await comment(harness, { number: 12, commenter: 'lead', body: '/unpin-issue', isPR: false });
    expect(harness.github.pinnedIssues(REPO)).toEqual([]);
    expect(replies(harness, 12)[1]).toContain('no longer pinned');
  });

  it('refuses anyone else, and pull requests', async () => {
    const harness = await start();
    await comment(harness, { number: 12, commenter: 'member', body: '/pin-issue', isPR: false });
    expect(harness.github.pinnedIssues(REPO)).toEqual([]);
    expect(replies(harness, 12)[0]).toContain('Only approvers listed in the top-level OWNERS file');
    await comment(harness, { number: 7, commenter: 'lead', body: '/pin-issue' });
    expect(replies(harness, 7)[0]).toContain('work on issues only');
  });

  it('says when GitHub refuses the pin', async () => {
    const harness = await start();
    for (const number of [20, 21, 22, 23]) harness.github.addIssue(REPO, { number, author: 'someone' });
    for (const number of [20, 21, 22]) await comment(harness, { number, commenter: 'lead', body: '/pin-issue', isPR: false });
    await comment(harness, { number: 23, commenter: 'lead', body: '/pin-issue', isPR: false });
    expect(harness.github.pinnedIssues(REPO)).toEqual([20, 21, 22]);
    expect(replies(harness, 23)[0]).toContain('GitHub did not pin issue #23');
  });
});

describe('/transfer-issue', () => {
  it('lets an org member move an issue to another repository of the org', async () => {
    const harness = await start();
    await comment(harness, { number: 12, commenter: 'member', body: '/transfer-issue gadgets', isPR: false });
    expect(harness.github.transfers()).toEqual([{ from: 'acme/widgets#12', to: 'acme/gadgets#5' }]);
    expect(harness.github.issue('acme/gadgets', 5).title).toBe('Widgets are slow');
  });

  it('refuses strangers, missing repositories, pull requests and unclear commands', async () => {
    const harness = await start();
    await comment(harness, { number: 12, commenter: 'stranger', body: '/transfer gadgets', isPR: false });
    await comment(harness, { number: 12, commenter: 'member', body: '/transfer-issue nowhere', isPR: false });
    await comment(harness, { number: 12, commenter: 'member', body: '/transfer-issue gadgets\n/transfer other', isPR: false });
    await comment(harness, { number: 12, commenter: 'member', body: '/transfer', isPR: false });
    await comment(harness, { number: 7, commenter: 'member', body: '/transfer gadgets' });
    expect(harness.github.transfers()).toEqual([]);
    const onIssue = replies(harness, 12);
    expect(onIssue[0]).toContain('Only members of the acme org can move issues');
    expect(onIssue[1]).toContain('could not find the repository **acme/nowhere**');
    expect(onIssue[2]).toContain('once per comment');
    expect(onIssue[3]).toContain('once per comment');
    expect(replies(harness, 7)[0]).toContain('works on issues only');
  });
});
