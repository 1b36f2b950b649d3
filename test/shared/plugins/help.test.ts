import { describe, expect, it } from 'vitest';
import {
  GOOD_FIRST_ISSUE_MARKER,
  help,
  HELP_WANTED_MARKER,
  DEFAULT_HELP_GUIDELINES_URL,
  GOOD_FIRST_ISSUE_LABEL,
  guidelinesMessage,
  HELP_WANTED_LABEL,
  helpAction,
} from '../../../shared/plugins/help';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [help]
`;
const ISSUE = 21;

describe('help plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(options: { labels?: string[]; plugins?: string } = {}): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: options.plugins ?? PLUGINS, registry: [help] });
    harness.github.addIssue(REPO, { number: ISSUE, author: 'reporter', labels: options.labels ?? [] });
    return harness;
  }

  const command = (comment: string) => issueComment({ number: ISSUE, commenter: 'passer-by', comment, isPR: false });

  it('/help marks the issue and posts the guidelines', async () => {
    const { github, deliver } = await start();
    const outcome = await deliver('issue_comment', command('/help'));
    expect(outcome.failed).toEqual([]);
    expect(github.labels(REPO, ISSUE)).toEqual(['help wanted']);
    const [guidelines] = github.comments(REPO, ISSUE);
    expect(guidelines?.body).toMatch(new RegExp(`^@passer-by: ${HELP_WANTED_MARKER}`));
    expect(guidelines?.body).toContain('https://git.k8s.io/community/contributors/guide/help-wanted.md');
  });

  it('/good-first-issue adds both labels and links the configured guidelines', async () => {
    const { github, deliver } = await start({
      plugins: `${PLUGINS}help:\n  help_guidelines_url: https://example.com/contributing\n  help_guidelines_summary: Small and well described.\n`,
    });
    await deliver('issue_comment', command('/good-first-issue'));
    expect(github.labels(REPO, ISSUE).sort()).toEqual(['good first issue', 'help wanted']);
    const [guidelines] = github.comments(REPO, ISSUE);
    expect(guidelines?.body).toContain(GOOD_FIRST_ISSUE_MARKER);
    expect(guidelines?.body).toContain('https://example.com/contributing#good-first-issue');
    expect(guidelines?.body).toContain('Small and well described.');
  });

  it('/remove-help removes both labels and deletes the guidelines the bot posted, and only those', async () => {
    const { github, deliver } = await start();
    await deliver('issue_comment', command('/good-first-issue'));
    github.addComment(REPO, ISSUE, 'reporter', `Quoting the bot: ${GOOD_FIRST_ISSUE_MARKER}`);
    await deliver('issue_comment', command('/remove-help'));
    expect(github.labels(REPO, ISSUE)).toEqual([]);
    expect(github.comments(REPO, ISSUE).map((comment) => comment.user)).toEqual(['reporter']);
  });

  it("/remove-help deletes the guidelines Prow posted too", async () => {
    const { github, deliver } = await start({ labels: ['help wanted', 'good first issue'] });
    github.addComment(REPO, ISSUE, 'cutwater-bot', '@someone: \n\tThis request has been marked as needing help from a contributor.\n\nPlease ensure…');
    github.addComment(REPO, ISSUE, 'cutwater-bot', '@someone: \n\tThis request has been marked as suitable for new contributors.\n\nPlease ensure…');
    await deliver('issue_comment', command('/remove-help'));
    expect(github.labels(REPO, ISSUE)).toEqual([]);
    expect(github.comments(REPO, ISSUE)).toEqual([]);
  });

  it("/remove-good-first-issue deletes only Prow's good-first-issue guidelines", async () => {
    const { github, deliver } = await start({ labels: ['help wanted', 'good first issue'] });
    github.addComment(REPO, ISSUE, 'cutwater-bot', 'This request has been marked as needing help from a contributor.');
    github.addComment(REPO, ISSUE, 'cutwater-bot', 'This request has been marked as suitable for new contributors.');
    await deliver('issue_comment', command('/remove-good-first-issue'));
    expect(github.comments(REPO, ISSUE).map((comment) => comment.body)).toEqual(['This request has been marked as needing help from a contributor.']);
  });

  it('/remove-good-first-issue keeps help wanted', async () => {
    const { github, deliver } = await start({ labels: ['help wanted', 'good first issue'] });
    await deliver('issue_comment', command('/remove-good-first-issue'));
    expect(github.labels(REPO, ISSUE)).toEqual(['help wanted']);
  });

  it('is for issues, not pull requests', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 22, author: 'contributor' });
    await deliver('issue_comment', issueComment({ number: 22, commenter: 'passer-by', comment: '/help', isPR: true }));
    expect(github.labels(REPO, 22)).toEqual([]);
    expect(github.comments(REPO, 22)).toEqual([]);
  });
});

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
