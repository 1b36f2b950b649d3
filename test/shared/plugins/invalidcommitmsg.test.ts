import { describe, expect, it } from 'vitest';
import {
  closesIssue,
  findProblems,
  INVALID_COMMIT_MSG_LABEL,
  INVALID_COMMIT_MSG_MARKER,
  invalidCommitMsg,
  invalidCommitMsgFor,
  isFixupCommit,
} from '../../../shared/plugins/invalidcommitmsg';
import type { SeedCommit } from '../../support/fake-github';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const VALID_TITLE = 'Make widgets faster';

describe('invalidcommitmsg plugin', () => {
  async function start(
    options: { commits: SeedCommit[]; labels?: string[]; title?: string; settings?: string },
  ): Promise<PluginHarness> {
    const harness = await startPluginHarness({
      plugins: `plugins:\n  acme:\n    plugins: [invalidcommitmsg]\n${options.settings ?? ''}`,
      registry: [invalidCommitMsg],
    });
    harness.github.addPullRequest(REPO, {
      number: 5,
      author: 'contributor',
      title: options.title ?? VALID_TITLE,
      commits: options.commits,
      labels: options.labels ?? [],
    });
    return harness;
  }

  const opened = (title = VALID_TITLE, action: 'opened' | 'synchronize' | 'edited' | 'labeled' = 'opened') =>
    pullRequest(action, { number: 5, title });
  const notices = (harness: PluginHarness) =>
    harness.github.comments(REPO, 5).filter((comment) => comment.body.includes(INVALID_COMMIT_MSG_MARKER));

  it('labels a pull request whose commits would close issues, listing them in one comment', async () => {
    const harness = await start({
      commits: [{ sha: '1'.repeat(40), message: 'fixes k/k#9999' }, { message: 'Close k/k#9999' }, { message: 'resolved k/k#9999' }, { message: 'fine' }],
    });
    const outcome = await harness.deliver('pull_request', opened());
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 5)).toEqual([INVALID_COMMIT_MSG_LABEL]);
    const [notice, ...others] = notices(harness);
    expect(others).toEqual([]);
    expect(notice?.body).toContain(`[1111111](https://github.com/acme/widgets/commits/${'1'.repeat(40)}) fixes k/k#9999`);
    expect(notice?.body).toContain('Close k/k#9999');
    expect(notice?.body).toContain('resolved k/k#9999');
    expect(notice?.body).not.toContain(') fine');
  });

  it('leaves a pull request with valid commits and title alone', async () => {
    const harness = await start({ commits: [{ message: 'this is a valid message' }, { message: 'fixing k/k#9999' }] });
    await harness.deliver('pull_request', opened());
    expect(harness.github.labels(REPO, 5)).toEqual([]);
    expect(harness.github.comments(REPO, 5)).toEqual([]);
  });

  it('labels a pull request whose title would close an issue and suggests /retitle', async () => {
    const harness = await start({ commits: [{ message: 'this is a valid message' }], title: 'fixes #9999' });
    await harness.deliver('pull_request', opened('fixes #9999'));
    expect(harness.github.labels(REPO, 5)).toEqual([INVALID_COMMIT_MSG_LABEL]);
    expect(notices(harness)[0]?.body).toContain('/retitle');
  });

  it.each(['fixup! update tests', 'amend! update tests', 'squash! update tests'])('labels a temporary commit %j', async (message) => {
    const harness = await start({ commits: [{ message: 'real change' }, { message }] });
    await harness.deliver('pull_request', opened());
    expect(harness.github.labels(REPO, 5)).toEqual([INVALID_COMMIT_MSG_LABEL]);
    expect(notices(harness)[0]?.body).toContain('autosquash');
  });

  it('removes the label and its notice, and a notice Prow left, once the commits are fixed', async () => {
    const harness = await start({ commits: [{ message: 'fixes #1' }], labels: [INVALID_COMMIT_MSG_LABEL, 'lgtm'] });
    harness.github.addComment(REPO, 5, 'cutwater-bot', `${INVALID_COMMIT_MSG_MARKER}\nold notice`);
    harness.github.addComment(REPO, 5, 'cutwater-bot', '**The list of commits with invalid commit messages**:\n- abc');
    harness.github.addComment(REPO, 5, 'reviewer', `quoting ${INVALID_COMMIT_MSG_MARKER}`);
    harness.github.pushPullRequestHead(REPO, 5, { commits: [{ message: 'A clean change' }] });
    await harness.deliver('pull_request', opened(VALID_TITLE, 'synchronize'));
    expect(harness.github.labels(REPO, 5)).toEqual(['lgtm']);
    expect(harness.github.comments(REPO, 5).map((comment) => comment.user)).toEqual(['reviewer']);
  });

  it('keeps the label but replaces the notice while problems remain', async () => {
    const harness = await start({ commits: [{ message: 'fixes #1' }], labels: [INVALID_COMMIT_MSG_LABEL] });
    harness.github.addComment(REPO, 5, 'cutwater-bot', `${INVALID_COMMIT_MSG_MARKER}\nold notice`);
    await harness.deliver('pull_request', opened(VALID_TITLE, 'synchronize'));
    expect(harness.github.labels(REPO, 5)).toEqual([INVALID_COMMIT_MSG_LABEL]);
    const current = notices(harness);
    expect(current).toHaveLength(1);
    expect(current[0]?.body).toContain('fixes #1');
  });

  it('ignores actions that cannot change the commits or the title', async () => {
    const harness = await start({ commits: [{ message: 'fixes #1' }] });
    await harness.deliver('pull_request', opened(VALID_TITLE, 'labeled'));
    expect(harness.github.labels(REPO, 5)).toEqual([]);
  });

  it('skips the checks a repository disables', async () => {
    const settings = `invalid_commit_msg:\n- repos: [acme/widgets]\n  checks:\n  - name: fixupPrefix\n    disabled: true\n  - name: issueClosingKeywords\n    disabled: true\n`;
    const harness = await start({ commits: [{ message: 'fixup! fixes #1' }], title: 'fixes #2', settings });
    await harness.deliver('pull_request', opened('fixes #2'));
    expect(harness.github.labels(REPO, 5)).toEqual([]);
    expect(harness.github.comments(REPO, 5)).toEqual([]);
  });
});

describe('invalidcommitmsg decisions', () => {
  it('finds closing keywords followed by an issue reference, in any case', () => {
    expect(closesIssue('Fixes #12')).toBe(true);
    expect(closesIssue('closes: kubernetes/kubernetes#12')).toBe(true);
    expect(closesIssue('RESOLVE #3')).toBe(true);
    expect(closesIssue('fixing #12')).toBe(false);
    expect(closesIssue('fixes issue 12')).toBe(false);
  });

  it('finds temporary commits by their subject only', () => {
    expect(isFixupCommit('fixup! update tests')).toBe(true);
    expect(isFixupCommit('update tests\n\nfixup! later')).toBe(false);
  });

  it('reports a commit that is both a fixup and closes an issue under both checks', () => {
    const commit = { sha: 'a'.repeat(40), message: 'fixup! fixes #123', parents: ['b'.repeat(40)] };
    const problems = findProblems('ok', [commit], {});
    expect(problems.closingCommits).toEqual([commit]);
    expect(problems.fixupCommits).toEqual([commit]);
  });

  it('prefers the entry naming the repository over the one naming its org', () => {
    const entries = [
      { repos: ['acme'], checks: [{ name: 'fixupPrefix', disabled: true }] },
      { repos: ['acme/widgets'], checks: [] },
    ];
    expect(invalidCommitMsgFor(entries, 'acme', 'widgets')).toBe(entries[1]);
    expect(invalidCommitMsgFor(entries, 'acme', 'gadgets')).toBe(entries[0]);
    expect(invalidCommitMsgFor(entries, 'other', 'x')).toEqual({});
  });
});
