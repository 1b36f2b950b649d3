import { formatResponse } from '../github/reply';

/**
 * The cherry-picker's decisions, free of I/O (Prow's cmd/external-plugins/cherrypicker): which
 * branches a comment or a label asks for, who asked, and what the cherry-pick PR is called and
 * says. The plugin (shared/plugins/cherrypicker.ts) and the worker (worker.ts) both build on it.
 */

/** Prow's default prefix for labels that ask for a cherry-pick: `cherrypick/release-1.2`. */
export const DEFAULT_CHERRY_PICK_LABEL_PREFIX = 'cherrypick/';

/** A line starting `/cherrypick` or `/cherry-pick`, then one or more branches. */
const COMMAND = /^(?:\/cherrypick|\/cherry-pick)[ \t]+(\S.*)$/gm;

/**
 * The branches a comment asks for, each with the branches chained after it: `/cherrypick a b c`
 * picks onto `a` now and leaves `/cherrypick b c` in the new PR, so `b` follows once it merges.
 * A later line naming the same first branch replaces the earlier one, as in Prow.
 */
export function parseCherryPickCommands(body: string): Map<string, string[]> {
  const commands = new Map<string, string[]>();
  for (const match of body.matchAll(COMMAND)) {
    const [target, ...chain] = (match[1] ?? '').trim().split(/\s+/);
    if (target) commands.set(target, chain);
  }
  return commands;
}

/** The target branches the PR's labels ask for. */
export function labelTargets(labels: readonly string[], prefix: string): string[] {
  return labels.filter((label) => label.startsWith(prefix) && label.length > prefix.length).map((label) => label.slice(prefix.length));
}

/** The branch the cherry-pick is pushed to; its name is how a second request finds the first's PR. */
export function cherryPickBranch(number: number, target: string): string {
  return `cherry-pick-${number}-to-${target}`;
}

/**
 * "[target] title". A backport of a backport drops the marker of the branch it came from, so
 * picking "[release-9.9] Fix" onto release-9.8 gives "[release-9.8] Fix", not both markers.
 */
export function cherryPickTitle(title: string, base: string, target: string): string {
  const withoutBase = base ? title.replace(`[${base}] `, '') : title;
  return `[${target}] ${withoutBase}`;
}

/** The release note block in a PR body, as PR templates write it, or after "Release note**:". */
const RELEASE_NOTE = /(?:Release note\*\*:\s*(?:<!--[^<>]*-->\s*)?```(?:release-note)?|```release-note)([\s\S]+?)```/;

/** The parent's release note, re-fenced for the cherry-pick's body; "" when it has none. */
export function releaseNoteOf(body: string): string {
  const note = RELEASE_NOTE.exec(body)?.[1];
  return note === undefined ? '' : `\`\`\`release-note\n${note.trim()}\n\`\`\``;
}

/** `kind/bug` → `bug`, sorted and without repeats, for `/kind` lines in the cherry-pick's body. */
export function kindNames(labels: readonly string[]): string[] {
  const names = labels.filter((label) => label.startsWith('kind/')).map((label) => label.slice('kind/'.length));
  return [...new Set(names.filter((name) => name !== ''))].sort();
}

export interface CherryPickBodyInput {
  number: number;
  /** Who is assigned by `/assign`; undefined when assignments are not Prow's to make. */
  requester: string | undefined;
  releaseNote: string;
  chain: readonly string[];
  kinds: readonly string[];
}

/**
 * The cherry-pick PR's body, in Prow's order of elements, which other tooling reads: the
 * reference to the parent, `/assign`, the release note, the next `/cherrypick` of a chain, and
 * `/kind` lines so the kind labels follow.
 */
export function cherryPickBody(input: CherryPickBodyInput): string {
  const parts = [`This is an automated cherry-pick of #${input.number}`];
  if (input.requester) parts.push(`/assign ${input.requester}`);
  if (input.releaseNote) parts.push(input.releaseNote);
  if (input.chain.length > 0) parts.push(`/cherrypick ${input.chain.join(' ')}`);
  if (input.kinds.length > 0) parts.push([...input.kinds].sort().map((kind) => `/kind ${kind}`).join('\n'));
  return parts.join('\n\n');
}

/** One cherry-pick to make once the PR has merged. */
export interface MergeRequest {
  target: string;
  requester: string;
  chain: string[];
  /** Asked by a label rather than a comment (the answer says so). */
  viaLabel: boolean;
  /** The comment that asked, to quote in the answers. */
  comment?: { body: string; htmlUrl: string };
}

export interface MergedPullRequest {
  author: string;
  body: string;
  htmlUrl: string;
  comments: readonly { author: string; body: string; htmlUrl: string }[];
  labels: readonly string[];
  labelPrefix: string;
}

/**
 * Every cherry-pick asked for on a PR that has just merged: its body (as its author's comment),
 * its comments in order, then its labels (as the author's). One per target branch, the first to
 * ask for it being its requester; a chain given later for the same branch still counts.
 */
export function collectMergeRequests(pr: MergedPullRequest): MergeRequest[] {
  const byTarget = new Map<string, MergeRequest>();
  const speakers = [{ author: pr.author, body: pr.body, htmlUrl: pr.htmlUrl }, ...pr.comments];
  for (const comment of speakers) {
    for (const [target, chain] of parseCherryPickCommands(comment.body)) {
      const earlier = byTarget.get(target);
      if (earlier) {
        if (chain.length > 0) earlier.chain = chain;
        continue;
      }
      byTarget.set(target, { target, requester: comment.author, chain, viaLabel: false, comment: { body: comment.body, htmlUrl: comment.htmlUrl } });
    }
  }
  for (const target of labelTargets(pr.labels, pr.labelPrefix)) {
    if (!byTarget.has(target)) byTarget.set(target, { target, requester: pr.author, chain: [], viaLabel: true });
  }
  return [...byTarget.values()];
}

/**
 * An answer on the parent PR to whoever asked: quoting the comment that asked, or, for a label
 * (whose requester is the PR's author), saying that it is about the label.
 */
export function cherryPickAnswer(requester: string, message: string, comment?: { body: string; htmlUrl: string }): string {
  return comment ? formatResponse(requester, message, comment) : formatResponse(requester, `about the cherry-pick label: ${message}`);
}
