import { describe, expect, it } from 'vitest';
import { isWorkInProgressTitle, WORK_IN_PROGRESS_LABEL, wipLabelChange } from '../../../shared/plugins/wip';

describe('work-in-progress titles', () => {
  it.each(['WIP: faster widgets', '[WIP] faster widgets', 'wip faster widgets', '(wip) faster widgets', 'WIP-faster'])(
    'treats %j as in progress',
    (title) => expect(isWorkInProgressTitle(title)).toBe(true),
  );

  it.each(['Wipe the cache', 'Faster widgets (WIP)', 'WIP', '[[WIP]] two marks'])('does not treat %j as in progress', (title) =>
    expect(isWorkInProgressTitle(title)).toBe(false),
  );
});

describe('wip label change', () => {
  it('labels drafts and WIP titles that lack the label', () => {
    expect(wipLabelChange({ title: 'Faster', draft: true, labels: [] })).toBe('add');
    expect(wipLabelChange({ title: 'WIP: faster', draft: false, labels: ['lgtm'] })).toBe('add');
  });

  it('unlabels PRs that are neither', () => {
    expect(wipLabelChange({ title: 'Faster', draft: false, labels: [WORK_IN_PROGRESS_LABEL] })).toBe('remove');
  });

  it('leaves PRs alone when the label already matches', () => {
    expect(wipLabelChange({ title: 'WIP: faster', draft: true, labels: [WORK_IN_PROGRESS_LABEL] })).toBeUndefined();
    expect(wipLabelChange({ title: 'Faster', draft: false, labels: [] })).toBeUndefined();
  });
});
