import { describe, expect, it } from 'vitest';
import { closeDecision, lifecycleRequests, lifecycleSteps, reopenDecision } from '../../../shared/plugins/lifecycle';

describe('lifecycle commands', () => {
  it('reads setting and removing each state', () => {
    expect(lifecycleRequests('/lifecycle frozen\n/remove-lifecycle Stale\n/lifecycle active')).toEqual([
      { label: 'lifecycle/frozen', remove: false },
      { label: 'lifecycle/stale', remove: true },
      { label: 'lifecycle/active', remove: false },
    ]);
  });

  it('ignores unknown states and missing ones', () => {
    expect(lifecycleRequests('/lifecycle dormant\n/lifecycle\n/lifecycle  stale')).toEqual([]);
  });
});

describe('lifecycle steps', () => {
  it('replaces any other lifecycle label', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/rotten', remove: false }], false, ['lifecycle/stale', 'kind/bug'])).toEqual([
      { kind: 'change', add: ['lifecycle/rotten'], remove: ['lifecycle/stale'] },
    ]);
  });

  it('does nothing when the label is already set, or is absent for a removal', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/stale', remove: false }], false, ['lifecycle/stale'])).toEqual([]);
    expect(lifecycleSteps([{ label: 'lifecycle/stale', remove: true }], false, [])).toEqual([]);
  });

  it('removes a label that is present', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/stale', remove: true }], false, ['Lifecycle/Stale'])).toEqual([
      { kind: 'change', add: [], remove: ['lifecycle/stale'] },
    ]);
  });

  it('refuses to freeze a pull request, but lets one be unfrozen', () => {
    expect(lifecycleSteps([{ label: 'lifecycle/frozen', remove: false }], true, [])).toMatchObject([{ kind: 'refuse' }]);
    expect(lifecycleSteps([{ label: 'lifecycle/frozen', remove: true }], true, ['lifecycle/frozen'])).toMatchObject([
      { kind: 'change', remove: ['lifecycle/frozen'] },
    ]);
  });

  it('lets each request see the labels the previous one left', () => {
    const steps = lifecycleSteps(
      [
        { label: 'lifecycle/stale', remove: false },
        { label: 'lifecycle/stale', remove: true },
      ],
      false,
      [],
    );
    expect(steps).toEqual([
      { kind: 'change', add: ['lifecycle/stale'], remove: [] },
      { kind: 'change', add: [], remove: ['lifecycle/stale'] },
    ]);
  });
});

describe('/close', () => {
  const stranger = { isPR: false, isAuthor: false, isCollaborator: false, labels: [] };

  it('is for the author and collaborators while the issue is active', () => {
    expect(closeDecision('/close', stranger)).toMatchObject({ kind: 'refuse' });
    expect(closeDecision('/close', { ...stranger, isAuthor: true })).toMatchObject({ kind: 'close', notPlanned: false });
    expect(closeDecision('/close', { ...stranger, isCollaborator: true })).toMatchObject({ kind: 'close' });
  });

  it('is for anyone once the issue is stale or rotten', () => {
    expect(closeDecision('/close', { ...stranger, labels: ['lifecycle/rotten'] })).toMatchObject({ kind: 'close' });
    expect(closeDecision('/close', { ...stranger, labels: ['lifecycle/frozen'] })).toMatchObject({ kind: 'refuse' });
  });

  it('closes issues as not planned, but not pull requests', () => {
    expect(closeDecision('/close not-planned', { ...stranger, isAuthor: true })).toMatchObject({ kind: 'close', notPlanned: true });
    expect(closeDecision('/close not-planned', { ...stranger, isAuthor: true, isPR: true })).toMatchObject({ kind: 'refuse' });
    expect(closeDecision('/close', { ...stranger, isAuthor: true, isPR: true })).toMatchObject({ kind: 'close', message: 'PR closed.' });
  });

  it('ignores /close with other words after it', () => {
    expect(closeDecision('/close this please', { ...stranger, isAuthor: true })).toBeUndefined();
  });
});

describe('/reopen', () => {
  it('is for the author and collaborators', () => {
    expect(reopenDecision('/reopen', { isPR: false, isAuthor: false, isCollaborator: false })).toMatchObject({ kind: 'refuse' });
    expect(reopenDecision('/reopen', { isPR: true, isAuthor: true, isCollaborator: false })).toEqual({
      kind: 'reopen',
      message: 'PR reopened.',
    });
    expect(reopenDecision('/reopen', { isPR: false, isAuthor: false, isCollaborator: true })).toMatchObject({ kind: 'reopen' });
  });

  it('ignores comments without it', () => {
    expect(reopenDecision('/reopened', { isPR: false, isAuthor: true, isCollaborator: true })).toBeUndefined();
  });
});
