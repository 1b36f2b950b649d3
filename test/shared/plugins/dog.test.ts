import { describe, expect, it } from 'vitest';
import { dog, dogFor } from '../../../shared/plugins/dog';
import { DOGS, FINE_DOG, NOT_FINE_DOG, UNBEARABLE_DOG } from '../../../shared/plugins/fun/dogs';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [dog]
`;

async function start(): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [dog] });
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor' });
  return harness;
}

describe('dog plugin', () => {
  it.each(['/woof', '/bark', '/WOOF  ', 'hi\n/bark\nthere', '/this-is-fine', '/this-is-not-fine', '/this-is-unbearable'])(
    'answers %j with a dog picture',
    async (comment) => {
      const { github, deliver } = await start();
      const outcome = await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment }));
      expect(outcome.failed).toEqual([]);
      const replies = github.comments(REPO, 5);
      expect(replies).toHaveLength(1);
      expect(replies[0]?.body).toMatch(/^@alice: \n```text\n/);
    },
  );

  it('ignores edited comments and look-alike commands', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/woof', action: 'edited' }));
    for (const comment of ['/woofer', '/bark bark', 'a /woof', '/this-is-fine?', '/this-is']) {
      await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment }));
    }
    expect(github.comments(REPO, 5)).toEqual([]);
  });
});

describe('dog choice', () => {
  it('draws the famous dogs for their commands', () => {
    expect(dogFor('/this-is-fine', 0)).toBe(FINE_DOG);
    expect(dogFor('/this-is-not-fine', 0)).toBe(NOT_FINE_DOG);
    expect(dogFor('/this-is-unbearable', 0)).toBe(UNBEARABLE_DOG);
  });

  it('prefers /woof to a famous dog in the same comment, as Prow does', () => {
    expect(DOGS).toContain(dogFor('/this-is-fine\n/woof', 0));
  });

  it('varies the dog with the comment', () => {
    expect(new Set([0, 1, 2, 3].map((seed) => dogFor('/woof', seed))).size).toBe(4);
    expect(dogFor('/woof', 9)).toBe(dogFor('/bark', 9));
  });
});
