import { describe, expect, it } from 'vitest';
import { cat, catReply, catRequest } from '../../../shared/plugins/cat';
import { CAT_CATEGORIES, CATS, GRUMPY_CAT } from '../../../shared/plugins/fun/cats';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [cat]
cat:
  key_path: /etc/cat-api/api-key
`;

async function start(): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [cat] });
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor' });
  return harness;
}

function firstLineOf(art: string): string {
  return art.replace(/^\n+/, '').split('\n')[0]!;
}

describe('cat plugin', () => {
  it.each(['/meow', '/meow \r', '/meowvie', '/meow clothes', '/meowvie space', 'hello\n/MEOW\nbye'])(
    'answers %j with a cat picture',
    async (comment) => {
      const { github, deliver } = await start();
      const outcome = await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment }));
      expect(outcome.failed).toEqual([]);
      const replies = github.comments(REPO, 5);
      expect(replies).toHaveLength(1);
      expect(replies[0]?.body).toMatch(/^@alice: \n```text\n/);
    },
  );

  it('answers an unknown category with the categories it knows', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/meow error' }));
    const body = github.comments(REPO, 5)[0]?.body ?? '';
    expect(body).toContain('Bad category.');
    expect(body).toContain(CAT_CATEGORIES.join(', '));
  });

  it('ignores edited comments and look-alike commands', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/meow', action: 'edited' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/meowing' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: 'say /meow' }));
    expect(github.comments(REPO, 5)).toEqual([]);
  });
});

describe('cat requests', () => {
  it('reads the category and whether a movie was asked for, from the first /meow line', () => {
    expect(catRequest('/meow')).toEqual({ category: '', movie: false });
    expect(catRequest('/meowvie')).toEqual({ category: '', movie: true });
    expect(catRequest('/meow  hats  ')).toEqual({ category: 'hats', movie: false });
    expect(catRequest('/meowvie clothes\n/meow space')).toEqual({ category: 'clothes', movie: true });
    expect(catRequest('/meowx')).toBeUndefined();
  });

  it('answers "no" and "grumpy" with the grumpy cat', () => {
    for (const category of ['no', 'grumpy', 'GRUMPY']) {
      expect(catReply({ category, movie: false }, 0)).toContain(firstLineOf(GRUMPY_CAT));
    }
  });

  it('draws a cat of the category asked for, whatever its case', () => {
    const hatCat = CATS.find((candidate) => candidate.categories.includes('hats'))!;
    expect(catReply({ category: 'Hats', movie: false }, 5)).toContain(firstLineOf(hatCat.art));
  });

  it('puts a movie cat on a strip of film', () => {
    const still = catReply({ category: 'boxes', movie: false }, 0);
    const movie = catReply({ category: 'boxes', movie: true }, 0);
    expect(movie).not.toBe(still);
    expect(movie).toContain('[] o ');
  });

  it('varies the cat with the comment', () => {
    const replies = new Set([0, 1, 2, 3].map((seed) => catReply({ category: '', movie: false }, seed)));
    expect(replies.size).toBe(4);
  });
});
