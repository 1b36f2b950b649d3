import { describe, expect, it } from 'vitest';
import {
  cherryPickParents,
  DEFAULT_GUIDELINES_URL,
  DEPRECATION_LABEL,
  DEPRECATION_NOTICE,
  RELEASE_NOTE_ACTION_REQUIRED_LABEL,
  RELEASE_NOTE_LABEL,
  RELEASE_NOTE_LABEL_NEEDED,
  RELEASE_NOTE_NONE_LABEL,
  releaseNote,
  releaseNoteLabelFor,
  releaseNoteNeededNotice,
  releaseNoteOf,
} from '../../../shared/plugins/release-note';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const block = (note: string) => `Some text\n\n\`\`\`release-note\n${note}\n\`\`\`\n`;

describe('release-note plugin', () => {
  async function start(options: { labels?: string[]; body?: string; settings?: string } = {}): Promise<PluginHarness> {
    const harness = await startPluginHarness({
      plugins: `plugins:\n  acme:\n    plugins: [release-note]\n${options.settings ?? ''}`,
      registry: [releaseNote],
    });
    harness.github.addPullRequest(REPO, { number: 9, author: 'contributor', body: options.body ?? '', labels: options.labels ?? [] });
    return harness;
  }

  const opened = (body: string, options: { labels?: string[]; baseRef?: string } = {}) =>
    pullRequest('opened', { number: 9, body, ...(options.labels ? { labels: options.labels } : {}), baseRef: options.baseRef ?? 'master' });
  const bodies = (harness: PluginHarness) => harness.github.comments(REPO, 9).map((comment) => comment.body);

  it.each([
    ['a note', block('Widgets are faster.'), RELEASE_NOTE_LABEL],
    ['NONE', block('NONE'), RELEASE_NOTE_NONE_LABEL],
    ['an action-required note', block('Action required: rename your widgets.'), RELEASE_NOTE_ACTION_REQUIRED_LABEL],
  ])('labels a pull request whose block holds %s', async (_, body, label) => {
    const harness = await start({ body, labels: [RELEASE_NOTE_LABEL_NEEDED] });
    const outcome = await harness.deliver('pull_request', opened(body));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 9)).toEqual([label]);
  });

  it('asks for a note once when the block is missing, and removes the request when one is written', async () => {
    const harness = await start();
    await harness.deliver('pull_request', opened(''));
    expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_LABEL_NEEDED]);
    expect(bodies(harness)).toHaveLength(1);
    expect(bodies(harness)[0]).toContain(releaseNoteNeededNotice(DEFAULT_GUIDELINES_URL));

    await harness.deliver('pull_request', { ...opened(''), action: 'edited' });
    expect(bodies(harness)).toHaveLength(1);

    await harness.deliver('pull_request', { ...opened(block('Widgets are faster.')), action: 'edited' });
    expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_LABEL]);
    expect(bodies(harness)).toEqual([]);
  });

  it('links the configured guidelines', async () => {
    const harness = await start({ settings: 'release_note:\n  guidelines_url: https://example.com/notes\n' });
    await harness.deliver('pull_request', opened(''));
    expect(bodies(harness)[0]).toContain('(https://example.com/notes)');
  });

  it('keeps /release-note-none given earlier when the block is empty', async () => {
    const harness = await start();
    harness.github.addComment(REPO, 9, 'contributor', '/release-note-none');
    await harness.deliver('pull_request', opened(''));
    expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_NONE_LABEL]);
    expect(bodies(harness)).toEqual(['/release-note-none']);
  });

  it('needs a real note on a deprecation, even when the block says NONE', async () => {
    const harness = await start({ labels: [DEPRECATION_LABEL, RELEASE_NOTE_NONE_LABEL] });
    await harness.deliver('pull_request', opened(block('NONE')));
    expect(harness.github.labels(REPO, 9).sort()).toEqual([RELEASE_NOTE_LABEL_NEEDED, DEPRECATION_LABEL].sort());
    expect(bodies(harness)[0]).toContain(DEPRECATION_NOTICE);
  });

  it('ignores labels other than the release-note ones', async () => {
    const harness = await start();
    await harness.deliver('pull_request', pullRequest('labeled', { number: 9, body: '', label: 'lgtm' }));
    expect(harness.github.labels(REPO, 9)).toEqual([]);
  });

  it('does not ask a merged pull request for a note', async () => {
    const harness = await start();
    const payload = opened('');
    (payload['pull_request'] as Record<string, unknown>)['merged'] = true;
    await harness.deliver('pull_request', { ...payload, action: 'edited' });
    expect(harness.github.labels(REPO, 9)).toEqual([]);
  });

  it('lets a cherry-pick whose parents all have notes go without one', async () => {
    const harness = await start({ labels: [RELEASE_NOTE_LABEL_NEEDED] });
    harness.github.addPullRequest(REPO, { number: 100, author: 'contributor', labels: [RELEASE_NOTE_LABEL] });
    await harness.deliver('pull_request', opened('Cherry pick of #100 on release-1.30.\n', { baseRef: 'release-1.30' }));
    expect(harness.github.labels(REPO, 9)).toEqual([]);
  });

  it('names the parents of a cherry-pick that lack a note', async () => {
    const harness = await start();
    harness.github.addPullRequest(REPO, { number: 100, author: 'contributor', labels: [RELEASE_NOTE_NONE_LABEL] });
    await harness.deliver('pull_request', opened('Cherry pick of #100 on release-1.30.\n', { baseRef: 'release-1.30' }));
    expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_LABEL_NEEDED]);
    expect(bodies(harness).some((body) => body.includes('#100'))).toBe(true);
  });

  describe('/release-note-edit', () => {
    const edit = (commenter: string, comment: string, body: string) => issueComment({ number: 9, commenter, comment, body });
    const newNote = '/release-note-edit\n```release-note\nWidgets now take a context.\n```';

    it("lets an org member replace the PR body's note, keeping the rest of the body", async () => {
      const body = `Fixes #3.\n\n\`\`\`release-note\nNONE\n\`\`\`\n\nMore words.`;
      const harness = await start({ body, labels: [RELEASE_NOTE_NONE_LABEL] });
      harness.github.addOrgMember('acme', 'maintainer');
      const outcome = await harness.deliver('issue_comment', edit('maintainer', newNote, body));
      expect(outcome.failed).toEqual([]);
      const edited = harness.github.issue(REPO, 9).body ?? '';
      expect(releaseNoteOf(edited)).toBe('Widgets now take a context.');
      expect(edited.startsWith('Fixes #3.')).toBe(true);
      expect(edited.endsWith('More words.')).toBe(true);
      // The edit's own pull_request event then relabels from the new note.
      await harness.deliver('pull_request', opened(edited, { labels: [RELEASE_NOTE_NONE_LABEL] }));
      expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_LABEL]);
    });

    it('refuses someone outside the org, and leaves the body alone', async () => {
      const body = block('NONE');
      const harness = await start({ body });
      await harness.deliver('issue_comment', edit('contributor', newNote, body));
      expect(harness.github.issue(REPO, 9).body).toBe(body);
      expect(bodies(harness)[0]).toContain('only org members may edit the release note');
    });

    it.each([
      ['the comment has no new note', '/release-note-edit', block('NONE'), 'needs the new note'],
      ['the PR body has no block to replace', newNote, 'No block here.', 'needs a release-note block in the PR body'],
    ])('explains what is missing when %s', async (_, comment, body, answer) => {
      const harness = await start({ body });
      harness.github.addOrgMember('acme', 'maintainer');
      await harness.deliver('issue_comment', edit('maintainer', comment, body));
      expect(harness.github.issue(REPO, 9).body).toBe(body);
      expect(bodies(harness)[0]).toContain(answer);
    });
  });

  describe('/release-note-none', () => {
    const command = (commenter: string, options: { body?: string; labels?: string[] } = {}) =>
      issueComment({ number: 9, commenter, comment: '/release-note-none', body: options.body ?? '', labels: options.labels ?? [] });

    it('lets the author mark the PR as needing no note, replacing other release-note labels', async () => {
      const harness = await start({ labels: [RELEASE_NOTE_LABEL_NEEDED] });
      await harness.deliver('issue_comment', command('contributor', { labels: [RELEASE_NOTE_LABEL_NEEDED] }));
      expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_NONE_LABEL]);
    });

    it('lets an org member do it too, but not a passer-by', async () => {
      const harness = await start();
      harness.github.addOrgMember('acme', 'maintainer');
      await harness.deliver('issue_comment', command('passer-by'));
      expect(harness.github.labels(REPO, 9)).toEqual([]);
      expect(bodies(harness)[0]).toContain('if you are the PR author or an org member');
      await harness.deliver('issue_comment', command('maintainer'));
      expect(harness.github.labels(REPO, 9)).toEqual([RELEASE_NOTE_NONE_LABEL]);
    });

    it('refuses when the block already holds a note', async () => {
      const harness = await start();
      await harness.deliver('issue_comment', command('contributor', { body: block('Widgets are faster.') }));
      expect(harness.github.labels(REPO, 9)).toEqual([]);
      expect(bodies(harness)[0]).toContain('is empty or "none"');
    });

    it('refuses on a deprecation', async () => {
      const harness = await start({ labels: [DEPRECATION_LABEL] });
      await harness.deliver('issue_comment', command('contributor', { labels: [DEPRECATION_LABEL] }));
      expect(harness.github.labels(REPO, 9)).toEqual([DEPRECATION_LABEL]);
      expect(bodies(harness)[0]).toContain(DEPRECATION_LABEL);
    });

    it.each(['/release-note', '/release-note-action-required'])('answers the deprecated %s with how to write the block', async (comment) => {
      const harness = await start();
      await harness.deliver('issue_comment', issueComment({ number: 9, commenter: 'contributor', comment }));
      expect(harness.github.labels(REPO, 9)).toEqual([]);
      expect(bodies(harness)[0]).toContain('have been deprecated');
    });
  });
});

describe('release-note decisions', () => {
  it('reads the block after "Release note**:" or a ```release-note fence', () => {
    expect(releaseNoteOf('**Release note**:\n<!-- write it -->\n```\nFaster.\n```')).toBe('Faster.');
    expect(releaseNoteOf('```release-note\r\n  Faster.\r\n```')).toBe('Faster.');
    expect(releaseNoteOf('```go\ncode\n```')).toBe('');
  });

  it('reads NONE and NO in any case and punctuation as no note', () => {
    for (const note of ['NONE', 'none.', '"None"', 'no', '- NO -']) {
      expect(releaseNoteLabelFor(block(note), new Set())).toBe(RELEASE_NOTE_NONE_LABEL);
    }
    expect(releaseNoteLabelFor(block('nothing'), new Set())).toBe(RELEASE_NOTE_LABEL);
  });

  it('finds cherry-pick parents line by line', () => {
    expect(cherryPickParents('Cherry pick of #1 on release-1.2.\nCherry pick of #22 on release-1.3.\nother')).toEqual([1, 22]);
  });
});
