import { describe, expect, it } from 'vitest';
import {
  CLOSING_KEYWORD_MESSAGE,
  EMPTY_TITLE_MESSAGE,
  mentionsClosingKeyword,
  requestedTitle,
  titleProblem,
} from '../../../shared/plugins/retitle';

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
