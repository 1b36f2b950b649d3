import { describe, expect, it } from 'vitest';
import { JOKES } from '../../../shared/plugins/fun/jokes';
import { jokeFor, wantsJoke, yuks } from '../../../shared/plugins/yuks';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [yuks]
`;

async function start(): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [yuks] });
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor' });
  harness.github.addIssue(REPO, { number: 6, author: 'contributor' });
  return harness;
}

describe('yuks plugin', () => {
  it('answers /joke with a joke from its own collection, addressed to the commenter', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/joke', commentId: 42 }));
    expect(outcome.failed).toEqual([]);
    const [reply, ...others] = github.comments(REPO, 5);
    expect(others).toEqual([]);
    expect(reply?.body).toMatch(/^@alice: /);
    expect(reply?.body).toContain(jokeFor(42));
    expect(JOKES).toContain(jokeFor(42));
  });

  it('tells jokes on issues too', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 6, commenter: 'alice', comment: 'hmm\n/joke \nthanks', isPR: false }));
    expect(github.comments(REPO, 6)).toHaveLength(1);
  });

  it('says nothing to an edited comment or one without the command', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/joke', action: 'edited' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: 'tell me a /joke' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/joke please' }));
    expect(github.comments(REPO, 5)).toEqual([]);
  });
});

describe('jokes', () => {
  it('recognises /joke alone on a line, in any case', () => {
    expect(wantsJoke('/joke')).toBe(true);
    expect(wantsJoke('/JOKE\r\n')).toBe(true);
    expect(wantsJoke('first\n/joke')).toBe(true);
    expect(wantsJoke('/jokes')).toBe(false);
    expect(wantsJoke(' /joke')).toBe(false);
  });

  it('varies with the comment and repeats for the same one', () => {
    expect(jokeFor(7)).toBe(jokeFor(7));
    expect(new Set([0, 1, 2, 3, 4].map(jokeFor)).size).toBe(5);
  });

  it('keeps the jokes plain text, so none can break the reply', () => {
    for (const joke of JOKES) expect(joke).toMatch(/^[\w?'!.,:; -]+$/);
  });
});
