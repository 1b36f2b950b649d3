import { describe, expect, it } from 'vitest';
import { HOLD_LABEL, holdLabelChange, holdRequest } from '../../../shared/plugins/hold';

describe('hold commands', () => {
  it('reads /hold, with or without a reason, as a hold', () => {
    expect(holdRequest('/hold')).toBe('hold');
    expect(holdRequest('/hold until the release is cut')).toBe('hold');
    expect(holdRequest('/HOLD')).toBe('hold');
  });

  it('reads /hold cancel, /unhold and /remove-hold as a release', () => {
    expect(holdRequest('/hold cancel')).toBe('release');
    expect(holdRequest('/hold   cancel now')).toBe('release');
    expect(holdRequest('/unhold')).toBe('release');
    expect(holdRequest('/remove-hold')).toBe('release');
  });

  it('lets a release win over a hold in the same comment', () => {
    expect(holdRequest('/hold\n/hold cancel')).toBe('release');
    expect(holdRequest('/unhold\n/hold')).toBe('release');
  });

  it('ignores look-alikes and commands that are not at the start of a line', () => {
    expect(holdRequest('/holding')).toBeUndefined();
    expect(holdRequest('please /hold')).toBeUndefined();
    expect(holdRequest('/hold cancelled')).toBe('hold');
    expect(holdRequest('> /hold\nquoted')).toBeUndefined();
  });
});

describe('hold label change', () => {
  it('adds the label only when it is missing', () => {
    expect(holdLabelChange('hold', [])).toEqual({ add: HOLD_LABEL });
    expect(holdLabelChange('hold', [HOLD_LABEL])).toBeUndefined();
  });

  it('removes the label only when it is there, whatever its case', () => {
    expect(holdLabelChange('release', ['DO-NOT-MERGE/HOLD'])).toEqual({ remove: HOLD_LABEL });
    expect(holdLabelChange('release', ['lgtm'])).toBeUndefined();
  });
});
