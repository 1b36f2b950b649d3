import { z } from 'zod';
import { checkGoRegexp, pluginSection, type SectionReport } from '../config/plugin-section';
import type { PullRequestFile } from '../github/client';
import { deleteBotComments } from '../github/membership';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { Logger } from '../log/logger';
import { definePlugin } from './plugin';
import { formatResponse } from './respond';
import { githubLinkUrl } from './repo-owners';

/**
 * blockade (Prow's pkg/plugins/blockade): some paths of a repository must not change through pull
 * requests (vendored copies, frozen release files, content that moved elsewhere). A blockade names
 * them with regular expressions; a PR touching a blocked path that no exception matches gets the
 * `do-not-merge/blocked-paths` label, which Tide's queries exclude, and a comment listing the files
 * and why. When the PR no longer touches them, the label and the comment go.
 */

export const BLOCKED_PATHS_LABEL = 'do-not-merge/blocked-paths';

/** The sentence the notice is recognised by when it is pruned, so it must stay stable. */
export const BLOCKED_PATHS_NOTICE = `This pull request has been labelled \`${BLOCKED_PATHS_LABEL}\`: it changes files that are protected here.`;

/** How Prow's own notice reads, so that those left on a migrating repository's PRs are cleared too. */
const PROW_NOTICE_PHRASE = 'because PR changes a protected file';

/** Prow's explanation for a blockade that gives none, in our words. */
export const DEFAULT_EXPLANATION = 'These files are protected.';

// ---- plugins.yaml `blockades:` ----

export const BlockadeSchema = z.object({
  /** "org" or "org/repo". */
  repos: z.array(z.string()).optional(),
  /** Only PRs into branches it matches are checked; every branch when omitted. */
  branchregexp: z.string().optional(),
  /** Paths (from the repository root) that may not change. */
  blockregexps: z.array(z.string()).optional(),
  /** Paths that may change even though a block expression matches them. */
  exceptionregexps: z.array(z.string()).optional(),
  /** Shown to the author as the reason. */
  explanation: z.string().optional(),
});
export type BlockadeSettings = z.infer<typeof BlockadeSchema>;

/**
 * Prow fails to load a bad `branchregexp` and only logs a bad block or exception expression when
 * a PR comes; a blockade silently not applying leaves its paths unguarded, so all three are
 * problems here.
 */
function checkBlockades(entries: readonly BlockadeSettings[], report: SectionReport): void {
  entries.forEach((entry, index) => {
    if (entry.branchregexp !== undefined) checkGoRegexp(report, [index, 'branchregexp'], entry.branchregexp);
    for (const key of ['blockregexps', 'exceptionregexps'] as const) {
      (entry[key] ?? []).forEach((pattern, position) => checkGoRegexp(report, [index, key, position], pattern));
    }
  });
}

export const blockadeSection = pluginSection('blockades', z.array(BlockadeSchema), checkBlockades);

// ---- which files are blocked ----

export interface CompiledBlockade {
  block: GoRegexp[];
  exceptions: GoRegexp[];
  explanation: string;
}

function compileAll(patterns: readonly string[] | undefined, log: Logger): GoRegexp[] {
  const compiled: GoRegexp[] = [];
  for (const pattern of patterns ?? []) {
    try {
      compiled.push(compileGoRegexp(pattern));
    } catch (error) {
      // Only reachable with settings that skipped the loader's checks; Prow skips the expression too.
      log.warn('ignoring an invalid blockade expression', { pattern, error: String(error) });
    }
  }
  return compiled;
}

/** The blockades naming the repository (or its org) whose branch expression, if any, matches the base branch. */
export function applicableBlockades(
  entries: readonly BlockadeSettings[],
  org: string,
  repo: string,
  branch: string,
  log: Logger,
): CompiledBlockade[] {
  const applicable: CompiledBlockade[] = [];
  for (const entry of entries) {
    const repos = entry.repos ?? [];
    if (!repos.includes(org) && !repos.includes(`${org}/${repo}`)) continue;
    if (entry.branchregexp !== undefined && !compileAll([entry.branchregexp], log).some((pattern) => pattern.test(branch))) continue;
    const block = compileAll(entry.blockregexps, log);
    // A blockade with nothing to block is no blockade, as in Prow.
    if (block.length === 0) continue;
    applicable.push({ block, exceptions: compileAll(entry.exceptionregexps, log), explanation: entry.explanation || DEFAULT_EXPLANATION });
  }
  return applicable;
}

export function isBlocked(blockade: CompiledBlockade, path: string): boolean {
  return blockade.block.some((pattern) => pattern.test(path)) && !blockade.exceptions.some((pattern) => pattern.test(path));
}

/** Blocked files by explanation, explanations in the order of the blockades; empty when nothing is blocked. */
export function blockedFiles(files: readonly PullRequestFile[], blockades: readonly CompiledBlockade[]): Map<string, PullRequestFile[]> {
  const blocked = new Map<string, PullRequestFile[]>();
  for (const blockade of blockades) {
    for (const file of files) {
      if (!isBlocked(blockade, file.filename)) continue;
      const list = blocked.get(blockade.explanation) ?? [];
      // Two blockades with one explanation list a file they both block once.
      if (!list.includes(file)) list.push(file);
      blocked.set(blockade.explanation, list);
    }
  }
  return blocked;
}

export function blockedSummary(blocked: ReadonlyMap<string, readonly PullRequestFile[]>, linkOf: (path: string) => string): string {
  const sections = [...blocked].map(([explanation, files]) =>
    [`**${explanation}**`, ...files.map((file) => `- [${file.filename}](${linkOf(file.filename)})`)].join('\n'),
  );
  return ['#### Why this pull request is blocked', ...sections].join('\n\n');
}

export function isBlockedPathsNotice(body: string): boolean {
  return body.includes(BLOCKED_PATHS_NOTICE) || body.includes(PROW_NOTICE_PHRASE);
}

// ---- the plugin ----

export const blockade = definePlugin('blockade', {
  description:
    `Keeps pull requests that change protected files from merging: a PR touching a file that a blockade's block expressions match, ` +
    `and none of its exception expressions, gets the '${BLOCKED_PATHS_LABEL}' label and a comment listing those files and why. ` +
    'Both go once the PR no longer touches them. Pull requests are checked when opened, reopened or pushed to.',
  config:
    'Reads `blockades`: a list of entries, each with `repos` (org or org/repo), `blockregexps` (paths from the repository root ' +
    'that may not change), `exceptionregexps` (paths that may change all the same), `explanation` (the reason shown to the author) ' +
    'and optionally `branchregexp` (only PRs into matching branches are checked). The expressions use Go syntax.',
})
  .settings(blockadeSection)
  .on(
    ['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize'],
    async (context) => {
      const { event, org, repo, issue, github, plugins, log } = context;
      const pr = event.payload.pull_request;
      const labels = await issue.listIssueLabels();
      const labelled = labels.some((name) => name.toLowerCase() === BLOCKED_PATHS_LABEL);
      const blockades = applicableBlockades(blockadeSection.read(plugins) ?? [], org, repo, pr.base.ref, log);
      // Without the label, any notice was pruned with it: nothing to do and nothing to read.
      if (blockades.length === 0 && !labelled) return;

      const blocked = blockades.length === 0 ? new Map<string, PullRequestFile[]>() : blockedFiles(await issue.listPullRequestFiles(), blockades);
      if (blocked.size > 0 && !labelled) {
        const base = `${githubLinkUrl(context)}/${org}/${repo}/blob/${pr.head.sha}/`;
        const linkOf = (path: string) => base + path.split('/').map(encodeURIComponent).join('/');
        log.info('pull request changes protected files; labelling it', { number: issue.number, reasons: [...blocked.keys()] });
        await issue.addLabels([BLOCKED_PATHS_LABEL]);
        await issue.createComment(formatResponse(pr.user?.login ?? '', `${BLOCKED_PATHS_NOTICE}\n\n${blockedSummary(blocked, linkOf)}`));
      } else if (blocked.size === 0 && labelled) {
        await issue.removeLabel(BLOCKED_PATHS_LABEL);
        const deleted = await deleteBotComments(github, issue, isBlockedPathsNotice);
        log.info('pull request no longer changes protected files; removed the label', { number: issue.number, deletedNotices: deleted });
      }
    },
  );
