import { describe, expect, it } from 'vitest';
import { PONIES } from '../../../shared/plugins/fun/ponies';
import { findPony, MAX_PONIES, pony, ponyReply, ponyRequests } from '../../../shared/plugins/pony';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [pony]
`;

async function start(): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: PLUGINS, registry: [pony] });
  harness.github.addPullRequest(REPO, { number: 5, author: 'contributor' });
  return harness;
}

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('pony plugin', () => {
  it('answers /pony with a pony picture in a code block', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/pony', commentId: 3 }));
    expect(outcome.failed).toEqual([]);
    const [reply, ...others] = github.comments(REPO, 5);
    expect(others).toEqual([]);
    const chosen = findPony('', 3)!;
    expect(reply?.body).toMatch(/^@alice: /);
    expect(reply?.body).toContain(`${chosen.name}:\n\`\`\`text\n`);
  });

  it('draws the pony a comment names', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/pony marigold' }));
    expect(github.comments(REPO, 5)[0]?.body).toContain('Marigold:\n```text');
  });

  it('says so when no pony has the name asked for', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/pony Nobody In Particular' }));
    const body = github.comments(REPO, 5)[0]?.body ?? '';
    expect(body).toContain("Couldn't find a pony matching given tag(s).");
    expect(body).not.toContain('```text');
  });

  it('answers every /pony line of a comment in one reply, up to five', async () => {
    const { github, deliver } = await start();
    const comment = Array.from({ length: 7 }, () => '/pony').join('\n');
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment }));
    const replies = github.comments(REPO, 5);
    expect(replies).toHaveLength(1);
    expect(countOf(replies[0]!.body, '```text')).toBe(MAX_PONIES);
  });

  it('ignores edited comments and look-alike commands', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/pony', action: 'edited' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: '/ponies' }));
    await deliver('issue_comment', issueComment({ number: 5, commenter: 'alice', comment: 'a /pony' }));
    expect(github.comments(REPO, 5)).toEqual([]);
  });
});

describe('pony requests', () => {
  it('reads the name after /pony, trimmed, and "" for none', () => {
    expect(ponyRequests('/pony')).toEqual(['']);
    expect(ponyRequests('/PONY   Juniper  ')).toEqual(['Juniper']);
    expect(ponyRequests('/pony Clover\ntext\n/pony')).toEqual(['Clover', '']);
    expect(ponyRequests('/ponyClover')).toEqual([]);
  });

  it('finds ponies by name whatever the case', () => {
    expect(findPony('clover', 0)?.name).toBe('Clover');
    expect(findPony('Twilight', 0)).toBeUndefined();
  });

  it('gives each plain /pony line of a comment a different pony', () => {
    const reply = ponyReply('/pony\n/pony\n/pony', 0) ?? '';
    const names = PONIES.filter((candidate) => reply.includes(`${candidate.name}:`));
    expect(names).toHaveLength(3);
  });

  it('answers the named ponies it has when some are unknown', () => {
    const reply = ponyReply('/pony Nobody\n/pony Pebble', 0) ?? '';
    expect(reply).toContain('Pebble:');
    expect(reply).not.toContain("Couldn't find");
  });
});
