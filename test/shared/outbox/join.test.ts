import { describe, expect, it } from 'vitest';
import { joinIntoRequests } from '../../../shared/outbox/join';
import { subjectOf, type GitHubWrite, type OutboxEntry } from '../../../shared/store/outbox';
import { newOutboxEntry } from '../../../shared/store/outbox-rules';

let seq = 0;
function entry(id: string, write: GitHubWrite, state: OutboxEntry['state'] = 'sending'): OutboxEntry {
  return { ...newOutboxEntry({ id, installation: 'token', write, cause: 'test' }, ++seq, 0), state };
}

const on = (number: number) => ({ owner: 'acme', repo: 'widgets', number });
const label = (id: string, name: string, number = 1, kind: 'addLabel' | 'removeLabel' = 'addLabel') => entry(id, { kind, ...on(number), label: name });
const ids = (requests: ReturnType<typeof joinIntoRequests>) => requests.map((request) => `${request.kind}: ${request.entries.map((each) => each.id).join(' ')}`);

describe('joinIntoRequests', () => {
  it('joins what GitHub takes in one request, per issue, each request where its first write was', () => {
    const requests = joinIntoRequests([
      label('a', 'lgtm'),
      entry('s', { kind: 'createStatus', owner: 'acme', repo: 'widgets', sha: 'f'.repeat(40), context: 'ci', state: 'success' }),
      label('b', 'approved'),
      label('c', 'lgtm', 2),
      label('r1', 'needs-rebase', 1, 'removeLabel'),
      label('r2', 'do-not-merge/hold', 1, 'removeLabel'),
      entry('p1', { kind: 'addAssignee', ...on(1), login: 'bob' }),
      entry('p2', { kind: 'removeAssignee', ...on(1), login: 'carol' }),
      entry('p3', { kind: 'addAssignee', ...on(1), login: 'dave' }),
      entry('t', { kind: 'setTitle', ...on(1), title: 'New' }),
      entry('st', { kind: 'setState', ...on(1), state: 'closed' }),
      entry('c1', { kind: 'createComment', ...on(1), body: 'one' }),
      entry('c2', { kind: 'createComment', ...on(1), body: 'two' }),
    ]);
    expect(ids(requests)).toEqual([
      'addLabels: a b',
      'createStatus: s',
      'addLabels: c',
      'removeLabel: r1',
      'removeLabel: r2',
      'addAssignees: p1 p3',
      'removeAssignees: p2',
      'updateIssue: t st',
      'createComment: c1',
      'createComment: c2',
    ]);
  });

  it('does not move a write forward past another write to the same label or person', () => {
    // A writer stopped while adding lgtm; since then lgtm was removed, and another label added.
    const requests = joinIntoRequests([label('add', 'lgtm'), label('remove', 'lgtm', 1, 'removeLabel'), label('again', 'lgtm'), label('other', 'kind/bug')]);
    expect(ids(requests)).toEqual(['addLabels: add', 'removeLabel: remove', 'addLabels: again other']);
  });

  it('finds the subject of an entry by issue, so the same number in another repository is another request', () => {
    const elsewhere = entry('x', { kind: 'addLabel', owner: 'acme', repo: 'gadgets', number: 1, label: 'lgtm' });
    expect(subjectOf(elsewhere.write)).toBe('acme/gadgets#1');
    expect(ids(joinIntoRequests([label('a', 'lgtm'), elsewhere]))).toEqual(['addLabels: a', 'addLabels: x']);
  });
});
