import { describe, expect, it } from 'vitest';
import { dropCodeBlocks } from '../../../shared/plugins/trigger-rules';

/**
 * Prow's `markdown.DropCodeBlock`: a `/test` inside a fenced code block is an example, not a
 * command. Its rule, as Prow's pattern states it, is the oracle here; the function must give the
 * same answer on any text, and one pass over it however the fences are arranged.
 */

/** Prow's pattern in JavaScript: right, but a fence never closed makes it scan to the end from every line. */
const PROW_PATTERN = /^```[\s\S]*?(?:\n```\n|\n```$)|^~~~[\s\S]*?(?:\n~~~\n|\n~~~$)/gm;

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('dropping fenced code blocks', () => {
  it('drops a block from its opening fence to its closing fence line', () => {
    expect(dropCodeBlocks('Run this:\n```\n/test all\n```\n/retest')).toBe('Run this:\n/retest');
    expect(dropCodeBlocks('~~~sh\n/test all\n~~~')).toBe('');
    expect(dropCodeBlocks('```\n/test all\n~~~\n/retest')).toBe('```\n/test all\n~~~\n/retest');
  });

  it('agrees with Prow’s pattern on every text', () => {
    const random = seeded(4);
    const pieces = ['```', '~~~', '`', '~', '\n', '\r', '\r\n', '\u2028', ' ', 'a', '/test all'];
    for (let round = 0; round < 5_000; round++) {
      let text = '';
      const length = Math.floor(random() * 20);
      for (let index = 0; index < length; index++) text += pieces[Math.floor(random() * pieces.length)];
      expect(dropCodeBlocks(text), JSON.stringify(text)).toBe(text.replace(PROW_PATTERN, ''));
    }
  });

  it('answers GitHub-sized adversarial comments correctly', () => {
    const lines = 65_536 / 5;
    // Fences never closed: every line opens one, none closes.
    expect(dropCodeBlocks('```a\n'.repeat(lines))).toBe('```a\n'.repeat(lines));
    // Every other line closes the one before.
    expect(dropCodeBlocks('```\n'.repeat(lines * 2) + '/retest')).toBe('/retest');
    expect(dropCodeBlocks(`${'~~~b\n'.repeat(lines)}~~~\n/retest`)).toBe('/retest');
  });
});
