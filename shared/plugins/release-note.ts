import { z } from 'zod';
import { deleteBotComments } from '../github/membership';
import { pluginSection } from '../config/plugin-section';
import { definePlugin } from './plugin';
import { formatNotice, formatResponse } from './respond';

/**
 * release-note (Prow's pkg/plugins/releasenote): every PR says in a ```release-note block of its
 * body what users should read about it, or NONE. The block decides one label of four, which
 * Tide's queries read: a note, an action-required note, no note, or "still needed" (which keeps
 * the PR from merging). `/release-note-none` stands in for an empty block.
 */

export const RELEASE_NOTE_LABEL = 'release-note';
export const RELEASE_NOTE_NONE_LABEL = 'release-note-none';
export const RELEASE_NOTE_ACTION_REQUIRED_LABEL = 'release-note-action-required';
export const RELEASE_NOTE_LABEL_NEEDED = 'do-not-merge/release-note-label-needed';
export const DEPRECATION_LABEL = 'kind/deprecation';

export const RELEASE_NOTE_LABELS: readonly string[] = [
  RELEASE_NOTE_NONE_LABEL,
  RELEASE_NOTE_ACTION_REQUIRED_LABEL,
  RELEASE_NOTE_LABEL_NEEDED,
  RELEASE_NOTE_LABEL,
];

export const DEFAULT_GUIDELINES_URL = 'https://git.k8s.io/community/contributors/guide/release-notes.md';

// ---- plugins.yaml `release_note:` ----

export const releaseNoteSection = pluginSection('release_note', z.object({ guidelines_url: z.string().optional() }));

// Prow's sentences, word for word: they are how the notices already on a migrating repository's
// PRs (Prow's and ours) are found again and removed once they no longer apply.
export function releaseNoteNeededNotice(guidelinesUrl: string): string {
  return `Adding the "${RELEASE_NOTE_LABEL_NEEDED}" label because no release-note block was detected, please follow our [release note process](${guidelinesUrl}) to remove it.`;
}
export const PARENT_RELEASE_NOTE_NOTICE = `All 'parent' PRs of a cherry-pick PR must have one of the "${RELEASE_NOTE_LABEL}" or "${RELEASE_NOTE_ACTION_REQUIRED_LABEL}" labels, or this PR must follow the standard/parent release note labeling requirement.`;
export const DEPRECATION_NOTICE = `Adding the "${RELEASE_NOTE_LABEL_NEEDED}" label and removing any existing "${RELEASE_NOTE_NONE_LABEL}" label because there is a "${DEPRECATION_LABEL}" label on the PR.`;

const NOTE_BLOCK = /(?:Release note\*\*:\s*(?:<!--[^<>]*-->\s*)?```(?:release-note)?|```release-note)(.+?)```/s;
const NONE_NOTE = /^\W*(?:none|no)\W*$/i;
const ACTION_REQUIRED = 'action required';
const CHERRY_PICK_OF = /Cherry pick of #(\d+) on release-\d+\.\d+./;

const RELEASE_NOTE_COMMAND = /^\/release-note\s*$/im;
const RELEASE_NOTE_EDIT_COMMAND = /^\/release-note-edit\s*$/im;
const RELEASE_NOTE_NONE_COMMAND = /^\/release-note-none\s*$/im;
const RELEASE_NOTE_ACTION_REQUIRED_COMMAND = /^\/release-note-action-required\s*$/im;

/** The text of the PR body's release-note block, trimmed; "" when there is none. */
export function releaseNoteOf(body: string): string {
  return NOTE_BLOCK.exec(body)?.[1]?.trim() ?? '';
}

/**
 * The label the body's block calls for, given the PR's labels. An empty block keeps a
 * `/release-note-none` already given; a deprecation always needs a real note.
 */
export function releaseNoteLabelFor(body: string, labels: ReadonlySet<string>): string {
  const note = releaseNoteOf(body).toLowerCase();
  const deprecation = labels.has(DEPRECATION_LABEL);
  if (note === '') {
    if (deprecation) return RELEASE_NOTE_LABEL_NEEDED;
    return labels.has(RELEASE_NOTE_NONE_LABEL) ? RELEASE_NOTE_NONE_LABEL : RELEASE_NOTE_LABEL_NEEDED;
  }
  if (NONE_NOTE.test(note)) return deprecation ? RELEASE_NOTE_LABEL_NEEDED : RELEASE_NOTE_NONE_LABEL;
  return note.includes(ACTION_REQUIRED) ? RELEASE_NOTE_ACTION_REQUIRED_LABEL : RELEASE_NOTE_LABEL;
}

/**
 * The PR body with its release-note block's content replaced by `note`, as `/release-note-edit`
 * does; undefined when the body has no block to replace.
 */
export function withReleaseNote(body: string, note: string): string | undefined {
  const match = NOTE_BLOCK.exec(body);
  const content = match?.[1];
  if (!match || content === undefined) return undefined;
  const contentStart = match.index + match[0].length - content.length - '```'.length;
  const contentEnd = contentStart + content.length;
  return `${body.slice(0, contentStart)}\r\n${note.trim()}\r\n${body.slice(contentEnd)}`;
}

/** The PRs a cherry-pick's body names as its parents ("Cherry pick of #123 on release-1.30."). */
export function cherryPickParents(body: string): number[] {
  return body.split('\n').flatMap((line) => {
    const match = CHERRY_PICK_OF.exec(line);
    return match?.[1] ? [Number(match[1])] : [];
  });
}

export type ReleaseNoteCommand = 'release-note' | 'release-note-none' | 'release-note-action-required' | 'release-note-edit';

export function releaseNoteCommand(body: string): ReleaseNoteCommand | undefined {
  // Checked first: an edit's comment carries a release-note block, and maybe other commands' words.
  if (RELEASE_NOTE_EDIT_COMMAND.test(body)) return 'release-note-edit';
  if (RELEASE_NOTE_COMMAND.test(body)) return 'release-note';
  if (RELEASE_NOTE_NONE_COMMAND.test(body)) return 'release-note-none';
  if (RELEASE_NOTE_ACTION_REQUIRED_COMMAND.test(body)) return 'release-note-action-required';
  return undefined;
}

const DEPRECATED_COMMANDS_REPLY =
  `the \`/${RELEASE_NOTE_LABEL}\` and \`/${RELEASE_NOTE_ACTION_REQUIRED_LABEL}\` commands have been deprecated.\n` +
  'Please edit the `release-note` block in the PR body text to include the release note. If the release note requires ' +
  'additional action include the string `action required` in the release note. For example:\n' +
  '````\n```release-note\nSome release note with action required.\n```\n````';

export const releaseNote = definePlugin('release-note', {
  description:
    "Gives pull requests a release-note label from the 'release-note' block of their body:\n```release-note\n<release note content>\n```\n" +
    `'${RELEASE_NOTE_LABEL}' for a note, '${RELEASE_NOTE_ACTION_REQUIRED_LABEL}' when the note contains 'action required', ` +
    `'${RELEASE_NOTE_NONE_LABEL}' for a note of 'NONE', and '${RELEASE_NOTE_LABEL_NEEDED}', which keeps the PR from merging, ` +
    `while the block is empty or missing (or says NONE on a PR labelled '${DEPRECATION_LABEL}'). A cherry-pick whose parent PRs all ` +
    'have a release note needs none of its own.',
  config: 'release_note.guidelines_url: the release note guidelines the notices link to.',
  commands: [
    {
      usage: '/release-note-edit',
      description:
        "Replaces the release note in the PR body's release-note block with the one in the comment's own release-note block; the labels follow the new note.",
      examples: ['/release-note-edit\n```release-note\nThe widget API now takes a context.\n```'],
      who: 'Org members.',
    },
    {
      usage: '/release-note-none',
      description: `Adds the '${RELEASE_NOTE_NONE_LABEL}' label: the PR needs no release note. Prefer writing NONE in the PR body's release-note block.`,
      examples: ['/release-note-none'],
      who: 'PR authors and org members.',
    },
  ],
})
  .settings(releaseNoteSection)
  .on('issue_comment.created', async ({ event, org, issue, github, log }) => {
    const { issue: pr, comment } = event.payload;
    if (pr.pull_request === undefined) return;
    const body = comment.body;
    const command = releaseNoteCommand(body);
    if (!command) return;
    const commenter = comment.user?.login ?? '';
    const reply = (message: string) => issue.createComment(formatResponse(commenter, message, { body, htmlUrl: comment.html_url }));
    if (command === 'release-note-edit') {
      // The edit fires pull_request.edited, whose handler below sets the labels from the new note.
      if (!(await github.isOrgMember(org, commenter))) {
        await reply('only org members may edit the release note.');
        return;
      }
      const note = releaseNoteOf(body);
      if (note === '') {
        await reply('`/release-note-edit` needs the new note in a release-note block of the same comment.');
        return;
      }
      const edited = withReleaseNote(pr.body ?? '', note);
      if (edited === undefined) {
        await reply('`/release-note-edit` needs a release-note block in the PR body to replace.');
        return;
      }
      await issue.updateIssue({ body: edited });
      log.info('edited the release note', { number: issue.number, by: commenter });
      return;
    }
    if (command !== 'release-note-none') {
      await reply(DEPRECATED_COMMANDS_REPLY);
      return;
    }
    const isAuthor = pr.user.login.toLowerCase() === commenter.toLowerCase();
    if (!isAuthor && !(await github.isOrgMember(org, commenter))) {
      await reply(`you can only set the release note label to ${RELEASE_NOTE_NONE_LABEL} if you are the PR author or an org member.`);
      return;
    }
    const labels = new Set((pr.labels ?? []).map((label) => label.name));
    const fromBlock = releaseNoteLabelFor(pr.body ?? '', labels);
    if (fromBlock === RELEASE_NOTE_LABEL || fromBlock === RELEASE_NOTE_ACTION_REQUIRED_LABEL) {
      await reply(
        `you can only set the release note label to ${RELEASE_NOTE_NONE_LABEL} if the release-note block in the PR body text is empty or "none".`,
      );
      return;
    }
    if (labels.has(DEPRECATION_LABEL)) {
      await reply(`you can not set the release note label to "${RELEASE_NOTE_NONE_LABEL}" because the PR has the label "${DEPRECATION_LABEL}".`);
      return;
    }
    if (!labels.has(RELEASE_NOTE_NONE_LABEL)) await issue.addLabels([RELEASE_NOTE_NONE_LABEL]);
    for (const label of RELEASE_NOTE_LABELS) {
      if (label !== RELEASE_NOTE_NONE_LABEL && labels.has(label)) await issue.removeLabel(label);
    }
    log.info('marked the pull request as needing no release note', { number: issue.number, by: commenter });
  })
  .on(
    ['pull_request.opened', 'pull_request.edited', 'pull_request.labeled', 'pull_request.ready_for_review'],
    async ({ event, issue, github, plugins, log }) => {
      const { pull_request: pr, action } = event.payload;
      // Only a release-note label's arrival can change the verdict; others would repeat notices.
      if (action === 'labeled' && !RELEASE_NOTE_LABELS.includes(event.payload.label?.name ?? '')) return;
      const guidelinesUrl = releaseNoteSection.read(plugins)?.guidelines_url || DEFAULT_GUIDELINES_URL;
      const neededNotice = releaseNoteNeededNotice(guidelinesUrl);
      const labels = new Set(await issue.listIssueLabels());
      const body = pr.body ?? '';

      /**
       * Whether the PR must carry its own note: it does unless it is a cherry-pick off master whose
       * parents all have a note. With `explain`, parents lacking one are named in a comment.
       */
      const mustFollowProcess = async (explain: boolean): Promise<boolean> => {
        if (pr.base.ref === 'master') return true;
        const parents = cherryPickParents(body);
        if (parents.length === 0) return true;
        const noteless: string[] = [];
        for (const parent of parents) {
          const parentLabels = await github.listIssueLabels(issue.org, issue.repo, parent).catch((error: unknown) => {
            log.warn('could not read the labels of a cherry-pick parent', { parent, error: String(error) });
            return undefined;
          });
          if (parentLabels && !parentLabels.includes(RELEASE_NOTE_LABEL) && !parentLabels.includes(RELEASE_NOTE_ACTION_REQUIRED_LABEL)) {
            noteless.push(`#${parent}`);
          }
        }
        if (noteless.length === 0) return false;
        if (explain && !labels.has(RELEASE_NOTE_LABEL_NEEDED)) {
          await issue.createComment(
            formatResponse(
              pr.user?.login ?? '',
              `${PARENT_RELEASE_NOTE_NOTICE}\n\nThe following parent PRs have neither the "${RELEASE_NOTE_LABEL}" nor the "${RELEASE_NOTE_ACTION_REQUIRED_LABEL}" labels: ${noteless.join(', ')}.`,
            ),
          );
        }
        return true;
      };

      const clearStaleNotices = async (): Promise<void> => {
        const done = [RELEASE_NOTE_LABEL, RELEASE_NOTE_ACTION_REQUIRED_LABEL, RELEASE_NOTE_NONE_LABEL].some((label) => labels.has(label));
        if ((await mustFollowProcess(false)) && !done) return;
        await deleteBotComments(github, issue, (text) => text.includes(neededNotice) || text.includes(PARENT_RELEASE_NOTE_NOTICE));
      };

      let wanted = releaseNoteLabelFor(body, labels);
      if (wanted === RELEASE_NOTE_LABEL_NEEDED) {
        if (pr.merged) return;
        if (!(await mustFollowProcess(true))) {
          if (labels.has(RELEASE_NOTE_LABEL_NEEDED)) {
            await issue.removeLabel(RELEASE_NOTE_LABEL_NEEDED);
            labels.delete(RELEASE_NOTE_LABEL_NEEDED);
          }
          await clearStaleNotices();
          return;
        }
        if (labels.has(DEPRECATION_LABEL)) {
          if (!labels.has(RELEASE_NOTE_LABEL_NEEDED)) await issue.createComment(formatNotice(DEPRECATION_NOTICE));
        } else {
          const comments = await issue.listComments();
          if (comments.some((comment) => RELEASE_NOTE_NONE_COMMAND.test(comment.body))) {
            wanted = RELEASE_NOTE_NONE_LABEL;
          } else if (!labels.has(RELEASE_NOTE_LABEL_NEEDED)) {
            await issue.createComment(formatNotice(neededNotice));
          }
        }
      }

      if (!labels.has(wanted)) {
        await issue.addLabels([wanted]);
        labels.add(wanted);
      }
      for (const label of RELEASE_NOTE_LABELS) {
        if (label !== wanted && labels.has(label)) {
          await issue.removeLabel(label);
          labels.delete(label);
        }
      }
      await clearStaleNotices();
      log.info('set the release note label', { number: issue.number, label: wanted });
    },
  );
