import { describe, expect, it } from 'vitest';
import { GEESE } from '../../../shared/plugins/fun/geese';
import { goose, gooseFor, wantsGoose } from '../../../shared/plugins/goose';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [goose]
goose:
  key_path: /etc/unsplash-api/honk.txt
`;

async function start(): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [goose] });
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor' });
  return harness;
}

describe('goose plugin', () => {
  it('answers /honk with a goose picture', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/honk', commentId: 11 }));
    expect(outcome.failed).toEqual([]);
    const replies = github.comments(REPO, 5);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toMatch(/^@alice: \n```text\n/);
    expect(replies[0]?.body).toContain(gooseFor(11).trim());
  });

  it('ignores edited comments and look-alike commands', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/honk', action: 'edited' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/honk honk' }));
    expect(github.comments(REPO, 5)).toEqual([]);
  });
});

describe('geese', () => {
  it('recognises /honk alone on a line, in any case', () => {
    expect(wantsGoose('/honk')).toBe(true);
    expect(wantsGoose('first\n/HONK  \nlast')).toBe(true);
    expect(wantsGoose('/honking')).toBe(false);
  });

  it('varies the goose with the comment', () => {
    expect(new Set(GEESE.map((_, seed) => gooseFor(seed))).size).toBe(GEESE.length);
  });
});
