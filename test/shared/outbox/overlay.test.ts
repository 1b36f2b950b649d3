import { describe, expect, it } from 'vitest';
import type { CombinedStatus, Issue, IssueComment } from '../../../shared/github/client';
import { overlayCombinedStatus, overlayComments, overlayIssue, overlayLabels } from '../../../shared/outbox/overlay';
import { subjectOf, type GitHubWrite, type OutboxEntry } from '../../../shared/store/outbox';

let seq = 0;
function entry(write: GitHubWrite, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  seq += 1;
  return {
    id: `w${seq}`,
    installation: 'token',
    cause: 'test',
    write,
    subject: subjectOf(write),
    resource: `r${seq}`,
    priority: 0,
    seq,
    state: 'pending',
    enqueuedAt: Date.UTC(2026, 11, 4, 12, 0, seq),
    attempts: 0,
    ...extra,
  };
}

const on = { owner: 'acme', repo: 'widgets', number: 7 } as const;

describe('what readers see with writes still in the outbox', () => {
  it('shows a pending label as present and a pending removal as gone, whatever the case', () => {
    const labels = overlayLabels(
      ['Kind/Bug', 'lgtm'],
      [entry({ kind: 'addLabel', ...on, label: 'do-not-merge/hold' }), entry({ kind: 'removeLabel', ...on, label: 'kind/bug' })],
    );
    expect(labels).toEqual(['lgtm', 'do-not-merge/hold']);
  });

  it('applies writes in the order they were queued: an add then a remove leaves the label off', () => {
    const labels = overlayLabels([], [entry({ kind: 'addLabel', ...on, label: 'x' }), entry({ kind: 'removeLabel', ...on, label: 'x' })]);
    expect(labels).toEqual([]);
  });

  it('applies pending assignees, title and state to an issue', () => {
    const issue: Issue = {
      number: 7,
      title: 'old',
      body: null,
      state: 'open',
      user: { login: 'alice' },
      labels: [],
      assignees: [{ login: 'bob' }],
      html_url: 'https://github.com/acme/widgets/issues/7',
    };
    const seen = overlayIssue(issue, [
      entry({ kind: 'addAssignee', ...on, login: 'carol' }),
      entry({ kind: 'removeAssignee', ...on, login: 'BOB' }),
      entry({ kind: 'setTitle', ...on, title: 'new' }),
      entry({ kind: 'setState', ...on, state: 'closed' }),
      entry({ kind: 'setBody', ...on, body: 'Fixes #3' }),
    ]);
    expect(seen.assignees.map((user) => user.login)).toEqual(['carol']);
    expect(seen.body).toBe('Fixes #3');
    expect(seen.title).toBe('new');
    expect(seen.state).toBe('closed');
  });

  it("lists a comment still to be posted as the bot's, under its placeholder, with later edits and deletes applied", () => {
    const existing: IssueComment[] = [
      { id: 11, body: 'first', user: { login: 'alice' }, created_at: '2026-12-04T10:00:00Z', updated_at: '2026-12-04T10:00:00Z' },
      { id: 12, body: 'old notice', user: { login: 'cutwater[bot]' }, created_at: '2026-12-04T10:01:00Z', updated_at: '2026-12-04T10:01:00Z' },
    ];
    const seen = overlayComments(
      existing,
      [
        entry({ kind: 'createComment', ...on, body: 'new notice' }, { placeholderId: -42 }),
        entry({ kind: 'editComment', ...on, commentId: 11, body: 'edited' }),
        entry({ kind: 'deleteComment', ...on, commentId: 12 }),
      ],
      'cutwater[bot]',
    );
    expect(seen.map((comment) => [comment.id, comment.body, comment.user.login])).toEqual([
      [11, 'edited', 'alice'],
      [-42, 'new notice', 'cutwater[bot]'],
    ]);
  });

  it('does not list a created comment twice when GitHub already has it', () => {
    const existing: IssueComment[] = [
      { id: 99, body: 'hello', user: { login: 'cutwater[bot]' }, created_at: '2026-12-04T10:00:00Z', updated_at: '2026-12-04T10:00:00Z' },
    ];
    const seen = overlayComments(existing, [entry({ kind: 'createComment', ...on, body: 'hello' }, { placeholderId: -5, commentId: 99, state: 'sending' })], 'cutwater[bot]');
    expect(seen.map((comment) => comment.id)).toEqual([99]);
  });

  it('puts a pending status in place of the one it supersedes and recomputes the combined state', () => {
    const combined: CombinedStatus = {
      state: 'pending',
      sha: 'a'.repeat(40),
      statuses: [
        { state: 'pending', context: 'ci/unit' },
        { state: 'success', context: 'ci/lint' },
      ],
    };
    const status = { owner: 'acme', repo: 'widgets', sha: 'a'.repeat(40) } as const;
    const success = overlayCombinedStatus(combined, [entry({ kind: 'createStatus', ...status, context: 'ci/unit', state: 'success' })]);
    expect(success.state).toBe('success');
    expect(success.statuses).toHaveLength(2);
    const failed = overlayCombinedStatus(combined, [entry({ kind: 'createStatus', ...status, context: 'ci/e2e', state: 'error' })]);
    expect(failed.state).toBe('failure');
    expect(failed.statuses.map((s) => s.context)).toEqual(['ci/unit', 'ci/lint', 'ci/e2e']);
  });
});
