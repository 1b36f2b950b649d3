import { GitHubError } from '../github/client';
import { normLogin } from '../owners/owners';
import { definePlugin, type CommentContext } from './plugin';
import { loadOwnersForPaths } from './repo-owners';
import { echo, replyTo } from './respond';

/**
 * Prow's issue-management plugin (pkg/plugins/issue-management): `/link-issue` and
 * `/unlink-issue` edit the "Fixes" line of a pull request's description, so GitHub closes the
 * issues when it merges; `/pin-issue` and `/unpin-issue` pin an issue to its repository;
 * `/transfer-issue <repo>` moves an issue to another repository of the same org.
 */

// Prow's expressions: case-insensitive, one command per line; the first kind found wins.
const LINK = /^\/link-issue\s+(.+)$/gim;
const UNLINK = /^\/unlink-issue\s+(.+)$/gim;
const PIN = /^\/pin-issue\s*$/im;
const UNPIN = /^\/unpin-issue\s*$/im;
const TRANSFER = /^\/transfer(?:-issue)?(?: +(.*))?$/gim;
/** A description's "Fixes" line; `[^\n]` rather than `.`, which in JavaScript stops at a carriage return too. */
const FIXES_LINE = /^fixes\s+([^\n]*)$/i;

export interface IssueRef {
  org: string;
  repo: string;
  number: number;
}

function argumentsOf(body: string, command: RegExp): string[] {
  return [...body.matchAll(command)].flatMap((match) => (match[1] ?? '').split(/\s+/).filter(Boolean));
}

/** The issues named by `/link-issue` and `/unlink-issue` lines, as typed. */
export function linkCommands(body: string): { link: string[]; unlink: string[] } {
  return { link: argumentsOf(body, LINK), unlink: argumentsOf(body, UNLINK) };
}

/** "123" (this repository) or "org/repo#123"; undefined for anything else. */
export function parseIssueRef(text: string, org: string, repo: string): IssueRef | undefined {
  if (/^[+-]?\d+$/.test(text)) return { org, repo, number: Number(text) };
  const match = /^([^/#]+)\/([^/#]+)#([+-]?\d+)$/.exec(text);
  if (!match) return undefined;
  return { org: match[1] ?? '', repo: match[2] ?? '', number: Number(match[3]) };
}

/** How the "Fixes" line names an issue: "#12" here, "org/repo#12" elsewhere. */
export function formatIssueRef(ref: IssueRef, org: string, repo: string): string {
  return ref.org === org && ref.repo === repo ? `#${ref.number}` : `${ref.org}/${ref.repo}#${ref.number}`;
}

/**
 * The description with its first "Fixes" line holding its issues less `remove`, plus `add`,
 * sorted; the line is dropped when none remain and appended (after a blank line) when there was none.
 */
export function updateFixesLine(body: string, add: readonly string[], remove: readonly string[]): string {
  const lines = body.split('\n');
  const index = lines.findIndex((line) => FIXES_LINE.test(line));
  const issues = new Set(index >= 0 ? (FIXES_LINE.exec(lines[index] ?? '')?.[1] ?? '').split(/\s+/).filter(Boolean) : []);
  for (const issue of remove) issues.delete(issue);
  for (const issue of add) issues.add(issue);
  if (issues.size === 0) {
    if (index >= 0) lines.splice(index, 1);
    return lines.join('\n');
  }
  const line = `Fixes ${[...issues].sort().join(' ')}`;
  if (index >= 0) lines[index] = line;
  else {
    if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
    lines.push(line);
  }
  return lines.join('\n');
}

/** The destination of the one `/transfer-issue` line; a problem when there are several, or none named. */
export function transferCommand(body: string): { destination: string } | { problem: string } | undefined {
  const matches = [...body.matchAll(TRANSFER)];
  if (matches.length === 0) return undefined;
  const destination = (matches[0]?.[1] ?? '').trim();
  if (matches.length !== 1 || !destination) {
    return { problem: 'Use `/transfer-issue` once per comment, naming one destination repository.' };
  }
  return { destination };
}

export const issueManagement = definePlugin('issue-management', {
  description: 'Commands to link issues to a pull request, pin and unpin issues, and move issues to another repository of the org.',
  commands: [
    {
      usage: '/link-issue <issue(s)>',
      description: 'Adds issues, of this repository or another, to the "Fixes" line of the pull request\'s description.',
      examples: ['/link-issue 1234', '/link-issue org/repo#789'],
      who: 'Org members',
    },
    {
      usage: '/unlink-issue <issue(s)>',
      description: 'Takes issues off the "Fixes" line of the pull request\'s description.',
      examples: ['/unlink-issue 1234', '/unlink-issue org/repo#789'],
      who: 'Org members',
    },
    {
      usage: '/pin-issue',
      description: 'Pins the issue to the repository.',
      examples: ['/pin-issue'],
      who: 'Approvers in the top-level OWNERS file',
    },
    {
      usage: '/unpin-issue',
      description: 'Unpins the issue from the repository.',
      examples: ['/unpin-issue'],
      who: 'Approvers in the top-level OWNERS file',
    },
    {
      usage: '/transfer[-issue] <destination repo in the same org>',
      description: 'Moves the issue to another repository of the same org.',
      examples: ['/transfer-issue kubectl', '/transfer test-infra'],
      who: 'Org members',
      featured: true,
    },
  ],
}).onComment(async (context) => {
  const { comment } = context;
  // An edit re-running a command would link, pin or move again.
  if (comment.action !== 'created') return;
  const { link, unlink } = linkCommands(comment.body);
  if (link.length > 0 || unlink.length > 0) return linkIssues(context, link, unlink);
  if (PIN.test(comment.body)) return pinOrUnpin(context, true);
  if (UNPIN.test(comment.body)) return pinOrUnpin(context, false);
  const transfer = transferCommand(comment.body);
  if (transfer) return transferIssue(context, transfer);
});

async function reply(context: CommentContext, message: string): Promise<void> {
  await context.issue.createComment(replyTo(context.comment, message));
}

async function linkIssues(context: CommentContext, link: readonly string[], unlink: readonly string[]): Promise<void> {
  const { comment, github, org, repo, issue } = context;
  if (!comment.isPR) return reply(context, '`/link-issue` and `/unlink-issue` work on pull requests only.');
  if (!(await github.isOrgMember(org, comment.author))) return reply(context, `Only members of the ${org} org can link or unlink issues.`);

  const problems: string[] = [];
  const toLink: string[] = [];
  for (const text of link) {
    const ref = parseIssueRef(text, org, repo);
    if (!ref) {
      problems.push(`**${echo(text)}** is not an issue reference: write an issue number (\`123\`) or \`org/repo#123\`.`);
      continue;
    }
    const problem = await linkProblem(context, ref);
    if (problem) problems.push(problem);
    else toLink.push(formatIssueRef(ref, org, repo));
  }
  // Unlinking needs no checks: whatever is on the line may come off it, even text that is not a reference.
  const toUnlink = unlink.map((text) => {
    const ref = parseIssueRef(text, org, repo);
    return ref ? formatIssueRef(ref, org, repo) : text;
  });

  const parts: string[] = [];
  if (toLink.length > 0 || toUnlink.length > 0) {
    const pull = await issue.getPullRequest();
    const before = pull.body ?? '';
    const after = updateFixesLine(before, toLink, toUnlink);
    if (after !== before) {
      await issue.updateIssue({ body: after });
      context.log.info('updated the Fixes line', { number: comment.number, linked: toLink, unlinked: toUnlink });
      parts.push('The "Fixes" line of the description is updated.');
    } else {
      parts.push('The description already says that; nothing changed.');
    }
  }
  if (problems.length > 0) {
    const lead = parts.length > 0 ? 'Some references were left out:' : 'No issue was linked:';
    parts.push([lead, ...problems.map((problem) => `* ${problem}`)].join('\n'));
  }
  await reply(context, parts.join('\n\n'));
}

function isNotFound(error: unknown): boolean {
  return error instanceof GitHubError && error.status === 404;
}

/** Why an issue cannot be linked: its repository or the issue is missing, or it is a pull request. */
async function linkProblem(context: CommentContext, ref: IssueRef): Promise<string | undefined> {
  const { github, org, repo } = context;
  const where = `${ref.org}/${ref.repo}`;
  if (ref.org !== org || ref.repo !== repo) {
    try {
      await github.getRepository(ref.org, ref.repo);
    } catch (error) {
      // Only GitHub's 404 means "no such repository"; anything else (a rate limit, an outage)
      // fails the delivery so that it is tried again, instead of telling the person it is missing.
      if (!isNotFound(error)) throw error;
      return `There is no repository **${echo(where)}** (or I cannot see it).`;
    }
  }
  try {
    const found = await github.getIssue(ref.org, ref.repo, ref.number);
    if (found.pull_request) return `**${echo(where)}#${ref.number}** is a pull request, not an issue.`;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    return `There is no issue **#${ref.number}** in **${echo(where)}**.`;
  }
  return undefined;
}

async function pinOrUnpin(context: CommentContext, pin: boolean): Promise<void> {
  const { comment, issue, repository, log } = context;
  const verb = pin ? 'pin' : 'unpin';
  if (comment.isPR) return reply(context, '`/pin-issue` and `/unpin-issue` work on issues only.');
  try {
    const { default_branch: defaultBranch } = await repository.getRepository();
    const owners = await loadOwnersForPaths(context, defaultBranch, []);
    if (!owners.topLevelApprovers().has(normLogin(comment.author))) {
      return reply(context, 'Only approvers listed in the top-level OWNERS file can pin or unpin issues here.');
    }
  } catch (error) {
    log.warn('could not read the top-level OWNERS approvers', { error: String(error) });
    return reply(context, `I could not tell whether ${comment.author} is an approver in the top-level OWNERS file, so nothing was ${verb}ned.`);
  }
  try {
    await (pin ? issue.pinIssue() : issue.unpinIssue());
  } catch (error) {
    log.error(`could not ${verb} the issue`, { number: comment.number, error: String(error) });
    return reply(context, `GitHub did not ${verb} issue #${comment.number}; please try again later.`);
  }
  await reply(context, pin ? `Issue #${comment.number} is now pinned to this repository.` : `Issue #${comment.number} is no longer pinned.`);
}

async function transferIssue(context: CommentContext, command: { destination: string } | { problem: string }): Promise<void> {
  const { comment, github, org, repo, issue, log } = context;
  if (comment.isPR) return reply(context, '`/transfer-issue` works on issues only, not on pull requests.');
  if ('problem' in command) return reply(context, command.problem);
  const destination = command.destination;
  try {
    await github.getRepository(org, destination);
  } catch (error) {
    log.warn('could not read the destination repository', { destination: `${org}/${destination}`, error: String(error) });
    return reply(context, `I could not find the repository **${echo(`${org}/${destination}`)}**, or could not reach GitHub; nothing was moved.`);
  }
  if (!(await github.isOrgMember(org, comment.author))) return reply(context, `Only members of the ${org} org can move issues.`);
  // GitHub shows the move on the issue itself; Prow adds no comment, and a failure is the plugin's error.
  await issue.transferIssue(destination);
  log.info('moved the issue', { by: comment.author, from: `${org}/${repo}#${comment.number}`, to: `${org}/${destination}` });
}
