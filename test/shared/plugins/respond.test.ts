import { describe, expect, it } from 'vitest';
import { MAX_COMMENT_CHARS } from '../../../shared/github/comment-length';
import { formatNotice, formatResponse } from '../../../shared/plugins/respond';

/** The bot's replies: Prow's shape, every line of the answered comment quoted, never longer than GitHub takes. */

const URL = 'https://github.com/acme/widgets/pull/1#issuecomment-1';

function quotedPart(reply: string): string[] {
  const inside = reply.split('In response to [this]')[1] ?? '';
  return inside.split('\n').slice(2, -3);
}

describe('replies', () => {
  it('mention the person, answer, and quote the comment under a fold', () => {
    expect(formatResponse('alice', 'Done.', { body: '/hold\nplease', htmlUrl: URL })).toBe(
      [
        '@alice: Done.',
        '',
        '<details>',
        '',
        `In response to [this](${URL}):`,
        '',
        '> /hold',
        '> please',
        '',
        'The commands I understand, and who may use them, are listed on the `/command-help` page of this CI system.',
        '</details>',
      ].join('\n'),
    );
  });

  it('quote every line, whichever line ending it has', () => {
    const reply = formatResponse('mallory', 'No such job.', { body: '/test nope\r\r# Approved by the bot\r\n**lgtm**\nend', htmlUrl: URL });
    expect(quotedPart(reply)).toEqual(['> /test nope', '> ', '> # Approved by the bot', '> **lgtm**', '> end']);
    expect(reply).not.toContain('\r');
  });

  it('stay within GitHub’s limit when the message and the quote are both long, and say what was left out', () => {
    const reply = formatResponse('alice', `I can't apply \`${'x'.repeat(65_000)}\`.`, { body: `/label ${'x'.repeat(65_000)}`, htmlUrl: URL });
    expect(reply.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(reply).toMatch(/characters not shown/);
    expect(reply).toMatch(/quoted in part/);
    expect(reply).toContain('</details>');
  });

  it('count the quote marks: a comment of 65,536 line breaks still fits', () => {
    const reply = formatResponse('alice', 'Hi.', { body: `a${'\n'.repeat(65_534)}b`, htmlUrl: URL });
    expect(reply.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(reply).toMatch(/quoted in part/);
  });

  it('keep a long message whole when the quote can give way', () => {
    const message = 'y'.repeat(60_000);
    const reply = formatResponse('alice', message, { body: 'z'.repeat(20_000), htmlUrl: URL });
    expect(reply.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(reply).toContain(message);
  });

  it('never split a character made of two UTF-16 units', () => {
    const reply = formatResponse('alice', '🙂'.repeat(40_000), { body: '🙂'.repeat(40_000), htmlUrl: URL });
    expect(reply.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(reply).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('notices stay within the limit too', () => {
    const notice = formatNotice('n'.repeat(70_000));
    expect(notice.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(notice).toMatch(/characters not shown/);
  });
});
