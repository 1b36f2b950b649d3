import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HELP_GUIDELINES_URL,
  GOOD_FIRST_ISSUE_LABEL,
  GOOD_FIRST_ISSUE_MARKER,
  guidelinesMessage,
  HELP_WANTED_LABEL,
  HELP_WANTED_MARKER,
  helpAction,
} from '../../../shared/plugins/help';

describe('help commands', () => {
  it('/help adds help wanted and posts the guidelines', () => {
    expect(helpAction('/help', [])).toEqual({ add: [HELP_WANTED_LABEL], remove: [], post: 'help', prune: [] });
    expect(helpAction('/help', [HELP_WANTED_LABEL])).toBeUndefined();
  });

  it('/good-first-issue adds both labels, or only the missing one', () => {
    expect(helpAction('/good-first-issue', [])).toMatchObject({ add: [GOOD_FIRST_ISSUE_LABEL, HELP_WANTED_LABEL], post: 'good-first-issue' });
    expect(helpAction('/good-first-issue', [HELP_WANTED_LABEL])).toMatchObject({ add: [GOOD_FIRST_ISSUE_LABEL] });
    expect(helpAction('/good-first-issue', [GOOD_FIRST_ISSUE_LABEL, HELP_WANTED_LABEL])).toBeUndefined();
  });

  it('/remove-help removes both labels and their comments', () => {
    expect(helpAction('/remove-help', [HELP_WANTED_LABEL, GOOD_FIRST_ISSUE_LABEL])).toEqual({
      add: [],
      remove: [HELP_WANTED_LABEL, GOOD_FIRST_ISSUE_LABEL],
      prune: ['help', 'good-first-issue'],
    });
    expect(helpAction('/remove-help', [])).toBeUndefined();
  });

  it('/remove-good-first-issue keeps help wanted', () => {
    expect(helpAction('/remove-good-first-issue', [HELP_WANTED_LABEL, GOOD_FIRST_ISSUE_LABEL])).toEqual({
      add: [],
      remove: [GOOD_FIRST_ISSUE_LABEL],
      prune: ['good-first-issue'],
    });
  });

  it('ignores the commands with anything after them', () => {
    expect(helpAction('/help me', [])).toBeUndefined();
  });
});

describe('guidelines comment', () => {
  it('links the default guidelines', () => {
    const message = guidelinesMessage('help', undefined);
    expect(message.startsWith(HELP_WANTED_MARKER)).toBe(true);
    expect(message).toContain(DEFAULT_HELP_GUIDELINES_URL);
    expect(message).toContain('/remove-help');
  });

  it('links the good-first-issue section and shows the configured summary', () => {
    const message = guidelinesMessage('good-first-issue', {
      help_guidelines_url: 'https://example.com/help',
      help_guidelines_summary: '- has a clear description',
    });
    expect(message).toContain(GOOD_FIRST_ISSUE_MARKER);
    expect(message).toContain('https://example.com/help#good-first-issue');
    expect(message).toContain('- has a clear description');
  });
});
