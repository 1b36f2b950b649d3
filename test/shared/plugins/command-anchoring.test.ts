import { describe, expect, it } from 'vitest';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

/**
 * Every Prow command regexp is anchored `(?m)^/…`: a command must start its line. An indented
 * `  /hold` is prose (or Markdown code) and does nothing; the same line unindented acts. Each row
 * checks both, so a plugin that trims leading whitespace fails here.
 */

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [label, hold, lifecycle, assign, help, lgtm, stage, shrug, retitle, skip]
`;
const NUMBER = 7;

interface Row {
  plugin: string;
  command: string;
  isPR: boolean;
  commenter?: string;
}

const ROWS: Row[] = [
  { plugin: 'label', command: '/area infra', isPR: false },
  { plugin: 'label', command: '/kind bug', isPR: true },
  { plugin: 'label', command: '/label api-review', isPR: true },
  { plugin: 'hold', command: '/hold', isPR: true },
  { plugin: 'lifecycle', command: '/lifecycle stale', isPR: false },
  { plugin: 'lifecycle', command: '/close', isPR: false },
  { plugin: 'assign', command: '/assign', isPR: false },
  { plugin: 'assign', command: '/cc @bob', isPR: true },
  { plugin: 'help', command: '/help', isPR: false },
  { plugin: 'lgtm', command: '/lgtm', isPR: true },
  { plugin: 'stage', command: '/stage beta', isPR: false },
  { plugin: 'shrug', command: '/shrug', isPR: false },
  { plugin: 'retitle', command: '/retitle A better title', isPR: false },
];

/** What a person sees on the issue or PR: labels, people, state, title and the bot's replies. */
function visible(harness: PluginHarness, isPR: boolean): unknown {
  const { github } = harness;
  return {
    labels: github.labels(REPO, NUMBER).sort(),
    assignees: github.assignees(REPO, NUMBER),
    reviewers: isPR ? github.requestedReviewers(REPO, NUMBER) : [],
    issue: github.issue(REPO, NUMBER),
    comments: github.comments(REPO, NUMBER).length,
  };
}

async function start(isPR: boolean): Promise<PluginHarness> {
  const harness = await startPluginHarness({ plugins: `${PLUGINS}label:\n  additional_labels: [api-review]\n` });
  harness.github.addRepoLabels(REPO, ['area/infra', 'kind/bug', 'api-review']);
  harness.github.addCollaborator(REPO, 'alice');
  harness.github.addCollaborator(REPO, 'bob');
  if (isPR) harness.github.addPullRequest(REPO, { number: NUMBER, author: 'contributor', title: 'A title' });
  else harness.github.addIssue(REPO, { number: NUMBER, author: 'contributor', title: 'A title' });
  return harness;
}

describe('commands must start their line, as in Prow', () => {
  it.each(ROWS)('$plugin: an indented $command does nothing, an unindented one acts', async ({ command, isPR, commenter = 'alice' }) => {
    const harness = await start(isPR);
    const say = (text: string) => harness.deliver('issue_comment', issueComment({ number: NUMBER, author: 'contributor', commenter, comment: text, isPR }));
    const before = visible(harness, isPR);

    for (const indented of [`  ${command}`, `\t${command}`, `Some words first\n   ${command}`]) {
      const outcome = await say(indented);
      expect(outcome.failed).toEqual([]);
      expect(visible(harness, isPR)).toEqual(before);
    }

    await say(command);
    expect(visible(harness, isPR)).not.toEqual(before);
  });
});
