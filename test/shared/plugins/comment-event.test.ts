import { describe, expect, it } from 'vitest';
import { dropHtmlComments } from '../../../shared/plugins/comment-event';

/**
 * What of a comment GitHub shows, for commands that must not count when hidden in an HTML comment
 * (PR templates carry commented-out examples such as `<!-- /kind bug -->`).
 */

/** The rule as it was, a lazy regular expression: right wherever every comment is closed. */
const CLOSED_COMMENT = /<!--[\s\S]*?-->/g;

function randomText(random: () => number, length: number): string {
  const pieces = ['<!--', '-->', '<!', '--', '>', '-', '\n', '\r', ' ', 'a', '/kind bug'];
  let text = '';
  for (let index = 0; index < length; index++) text += pieces[Math.floor(random() * pieces.length)];
  return text;
}

/** A small seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('dropping HTML comments', () => {
  it('drops closed comments wherever they are, across lines', () => {
    expect(dropHtmlComments('a <!-- b --> c')).toBe('a  c');
    expect(dropHtmlComments('<!--\n/kind bug\n-->\n/kind feature')).toBe('\n/kind feature');
    expect(dropHtmlComments('<!----> x <!-- <!-- --> y')).toBe(' x  y');
  });

  it('hides the rest of the comment after a <!-- that starts a line and is never closed, as GitHub does', () => {
    expect(dropHtmlComments('/kind bug\n<!--\n/kind feature')).toBe('/kind bug\n');
    expect(dropHtmlComments('/kind bug\r<!-- /kind feature')).toBe('/kind bug\r');
    expect(dropHtmlComments('   <!-- indented up to three spaces\n/kind feature')).toBe('   ');
    // Mid-line, an unclosed <!-- is shown as text, and the lines after it with it.
    expect(dropHtmlComments('see <!-- here\n/kind feature')).toBe('see <!-- here\n/kind feature');
    // Four spaces make a code block, not an HTML block.
    expect(dropHtmlComments('    <!-- code\n/kind feature')).toBe('    <!-- code\n/kind feature');
    // A later unclosed <!-- that starts a line still hides what follows it.
    expect(dropHtmlComments('see <!-- here\n<!-- /kind feature')).toBe('see <!-- here\n');
  });

  it('agrees with the lazy expression on every text whose comments are closed', () => {
    const random = seeded(16);
    for (let round = 0; round < 3_000; round++) {
      const text = `${randomText(random, Math.floor(random() * 24))} -->`;
      expect(dropHtmlComments(text), JSON.stringify(text)).toBe(text.replace(CLOSED_COMMENT, ''));
    }
  });

  it('answers GitHub-sized adversarial comments correctly (a single pass, however many <!-- there are)', () => {
    const max = 65_536;
    expect(dropHtmlComments('<!--'.repeat(max / 4))).toBe('');
    expect(dropHtmlComments(`x${'<!--'.repeat(max / 4)}`)).toBe(`x${'<!--'.repeat(max / 4)}`);
    expect(dropHtmlComments(`${'<!---'.repeat(max / 5)}->`)).toBe('');
    expect(dropHtmlComments(`${'<!-- -->'.repeat(max / 8)}/kind bug`)).toBe('/kind bug');
    expect(dropHtmlComments(`/kind bug\n${'a<!--\n'.repeat(max / 6)}`)).toBe(`/kind bug\n${'a<!--\n'.repeat(max / 6)}`);
  });
});
