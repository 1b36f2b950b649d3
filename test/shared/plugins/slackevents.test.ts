import { describe, expect, it } from 'vitest';
import { mentionedChannels, mergeWarningFor, slackevents } from '../../../shared/plugins/slackevents';
import type { SlackMessage } from '../../../shared/reporter/slack';
import { issueComment, push } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const PLUGINS_YAML = [
  'plugins:',
  '  acme:',
  '    plugins: [slackevents]',
  'slack:',
  '  mentionchannels: [sig-testing, releases]',
  '  mergewarnings:',
  '  - repos: [acme/widgets]',
  '    channels: [widgets-alerts, ops]',
  '    exempt_users: [merge-bot]',
  '    exempt_branches:',
  '      dev: [alice]',
  '  - repos: [acme]',
  '    channels: [acme-alerts]',
  '',
].join('\n');

async function start(withSlack = true): Promise<{ harness: PluginHarness; sent: SlackMessage[] }> {
  const sent: SlackMessage[] = [];
  const harness = await startPluginHarness({
    plugins: PLUGINS_YAML,
    registry: [slackevents],
    ...(withSlack ? { slack: async (message: SlackMessage) => void sent.push(message) } : {}),
  });
  harness.github.addRepo('acme/widgets');
  harness.github.addPullRequest('acme/widgets', { number: 7, author: 'contributor' });
  return { harness, sent };
}

async function deliver(harness: PluginHarness, name: string, payload: Record<string, unknown>) {
  const outcome = await harness.deliver(name, payload);
  expect(outcome.failed).toEqual([]);
}

describe('merge warnings', () => {
  it('warns the repository\'s channels when someone pushes by hand', async () => {
    const { harness, sent } = await start();
    await deliver(harness, 'push', push({ pusher: 'bob', ref: 'refs/heads/main' }));
    expect(sent.map((message) => message.channel)).toEqual(['widgets-alerts', 'ops']);
    expect(sent[0]?.text).toMatch(/^\*Warning:\* bob \(<@bob>\) pushed 1 commit\(s\) to main directly/);
  });

  it('says when a push was forced, or made or deleted a branch', async () => {
    const { harness, sent } = await start();
    await deliver(harness, 'push', { ...push({ pusher: 'bob' }), forced: true });
    await deliver(harness, 'push', push({ pusher: 'bob', deleted: true }));
    await deliver(harness, 'push', { ...push({ pusher: 'bob', ref: 'refs/heads/new' }), created: true });
    const texts = sent.filter((message) => message.channel === 'ops').map((message) => message.text);
    expect(texts[0]).toContain('*force*-pushed');
    expect(texts[1]).toContain('deleted the branch main');
    expect(texts[2]).toContain('created the branch new');
  });

  it('leaves exempt people alone, everywhere or on their branch', async () => {
    const { harness, sent } = await start();
    await deliver(harness, 'push', push({ pusher: 'Merge-Bot' }));
    await deliver(harness, 'push', push({ pusher: 'alice', ref: 'refs/heads/dev' }));
    expect(sent).toEqual([]);
    await deliver(harness, 'push', push({ pusher: 'alice', ref: 'refs/heads/main' }));
    expect(sent).toHaveLength(2);
  });

  it('falls back to the org\'s entry, and does nothing for repositories without one', async () => {
    expect(mergeWarningFor([{ repos: ['acme'], channels: ['a'] }, { repos: ['acme/x'], channels: ['b'] }], 'acme', 'x')?.channels).toEqual(['b']);
    expect(mergeWarningFor([{ repos: ['acme'], channels: ['a'] }], 'other', 'x')).toBeUndefined();
    const { harness, sent } = await start();
    await deliver(harness, 'push', push({ pusher: 'bob', repo: 'acme/gadgets' }));
    expect(sent.map((message) => message.channel)).toEqual(['acme-alerts']);
  });

  it('posts nothing, and does not fail, when Slack is not configured', async () => {
    const { harness } = await start(false);
    await deliver(harness, 'push', push({ pusher: 'bob' }));
    expect(harness.log.entries.some((entry) => String(entry.message).includes('Slack is not configured'))).toBe(true);
  });
});

describe('channel mentions', () => {
  it('finds configured channels named as #channel or as a SIG team', () => {
    expect(mentionedChannels('cc @acme/sig-testing-bugs and #releases, not #random or issue #12', ['sig-testing', 'releases'])).toEqual([
      'sig-testing',
      'releases',
    ]);
  });

  it('repeats a new comment on the channels it mentions', async () => {
    const { harness, sent } = await start();
    await deliver(harness, 'issue_comment', issueComment({ number: 7, commenter: 'carol', comment: 'Heads up #releases' }));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.channel).toBe('releases');
    expect(sent[0]?.text).toContain('releases was mentioned by carol (<@carol>) on GitHub');
    expect(sent[0]?.text).toContain('>>>Heads up #releases');
  });

  it('ignores edits, the bot\'s own comments and channels not configured', async () => {
    const { harness, sent } = await start();
    await deliver(harness, 'issue_comment', issueComment({ number: 7, commenter: 'carol', comment: '#releases', action: 'edited' }));
    await deliver(harness, 'issue_comment', issueComment({ number: 7, commenter: 'cutwater-bot', comment: '#releases' }));
    await deliver(harness, 'issue_comment', issueComment({ number: 7, commenter: 'carol', comment: '#random' }));
    expect(sent).toEqual([]);
  });
});
