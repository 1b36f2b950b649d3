import type { Config } from '../config/model';
import { queriesFor } from '../tide/config';
import { definePlugin } from './plugin';

/**
 * Prow's testfreeze plugin (pkg/plugins/testfreeze): when a pull request is opened (or reopened)
 * against the default branch while the repository is in Test Freeze, say so on it. Prow checks
 * kubernetes/kubernetes alone, through a git ls-remote and prow.k8s.io; Cutwater checks every
 * repository the plugin is enabled for, through GitHub's branch and tag lists and its own config.
 *
 * Test Freeze (Prow's checker): the newest `release-X.Y` branch exists but no `vX.Y.0` tag does
 * yet. Code Freeze: Tide's queries for the repository exclude that release branch, or the next
 * one (the window between code freeze and the branch being cut).
 */

/** Marks the notice, so a reopened pull request is not told twice. */
export const TESTFREEZE_MARKER = '<!-- cutwater testfreeze notice -->';
const BUG_LABEL = 'kind/bug';

export interface FreezeState {
  inTestFreeze: boolean;
  inCodeFreeze: boolean;
  /** The release branch the freeze is about. */
  branch: string;
  /** The release it leads to, "vX.Y.0". */
  tag: string;
}

interface Version {
  major: number;
  minor: number;
}

const RELEASE_BRANCH = /^release-(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
/** A release tag: "v" optional, a plain X.Y.Z (pre-releases and builds are not the release). */
const RELEASE_TAG = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** The newest release branch by version, if any. */
export function latestReleaseBranch(branches: readonly string[]): (Version & { branch: string }) | undefined {
  let latest: (Version & { branch: string }) | undefined;
  for (const branch of branches) {
    const match = RELEASE_BRANCH.exec(branch);
    if (!match) continue;
    const version = { major: Number(match[1]), minor: Number(match[2]), branch };
    if (!latest || version.major > latest.major || (version.major === latest.major && version.minor > latest.minor)) latest = version;
  }
  return latest;
}

function excludedByTide(config: Config, org: string, repo: string, branch: string): boolean {
  return queriesFor(config, org, repo).some((query) => (query.excludedBranches ?? []).includes(branch));
}

/** The repository's freeze state from its branches and tags, or undefined when it has no release branch. */
export function freezeState(config: Config, org: string, repo: string, branches: readonly string[], tags: readonly string[]): FreezeState | undefined {
  const latest = latestReleaseBranch(branches);
  if (!latest) return undefined;
  const tag = `v${latest.major}.${latest.minor}.0`;
  const released = tags.some((name) => {
    const match = RELEASE_TAG.exec(name);
    return match !== null && Number(match[1]) === latest.major && Number(match[2]) === latest.minor && Number(match[3]) === 0;
  });
  if (!released) {
    return { inTestFreeze: true, inCodeFreeze: excludedByTide(config, org, repo, latest.branch), branch: latest.branch, tag };
  }
  if (excludedByTide(config, org, repo, latest.branch)) return { inTestFreeze: false, inCodeFreeze: true, branch: latest.branch, tag };
  const next = { branch: `release-${latest.major}.${latest.minor + 1}`, tag: `v${latest.major}.${latest.minor + 1}.0` };
  if (excludedByTide(config, org, repo, next.branch)) return { inTestFreeze: false, inCodeFreeze: true, ...next };
  return { inTestFreeze: false, inCodeFreeze: false, branch: latest.branch, tag };
}

export function freezeNotice(state: FreezeState, bugFix: boolean): string {
  const parts: string[] = [];
  if (state.inCodeFreeze) {
    parts.push(
      `This repository is in **Code Freeze** for the coming ${state.tag} release.`,
      bugFix
        ? `As a \`${BUG_LABEL}\` change this pull request may still go into ${state.tag}: have it reviewed and approved as usual, and make sure the release team knows about it.`
        : `Only approved exceptions go into ${state.tag} now: please do not set its milestone on this pull request without the release team's agreement.`,
    );
  }
  if (state.inTestFreeze) {
    if (parts.length > 0) parts.push('---');
    parts.push(
      `The repository is ${state.inCodeFreeze ? 'also ' : ''}in **Test Freeze**: \`${state.branch}\` has been cut but ${state.tag} is not released yet. ` +
        `Whatever merges into the default branch now is carried over to \`${state.branch}\` by fast-forward, so it ships in ${state.tag}.`,
    );
  }
  return [...parts, TESTFREEZE_MARKER].join('\n\n');
}

export const testfreeze = definePlugin('testfreeze', {
  description:
    'Tells pull requests opened against the default branch when the repository is in Test Freeze (its newest release-X.Y branch is cut, vX.Y.0 not yet tagged) or in Code Freeze (Tide leaves out the release branch).',
}).on(['pull_request.opened', 'pull_request.reopened'], async ({ event, issue, repository, config, org, repo, log }) => {
  const pull = event.payload.pull_request;
  if (pull.base.ref !== event.payload.repository.default_branch) return;
  let state: FreezeState | undefined;
  try {
    const [branches, tags] = await Promise.all([repository.listBranches(), repository.listTags()]);
    state = freezeState(
      config,
      org,
      repo,
      branches.map((branch) => branch.name),
      tags,
    );
  } catch (error) {
    // Prow logs and skips when it cannot tell; a notice is not worth failing the delivery.
    log.error('could not read the release branches and tags; no freeze notice', { error: String(error) });
    return;
  }
  if (!state || (!state.inTestFreeze && !state.inCodeFreeze)) return;
  const comments = await issue.listComments();
  if (comments.some((comment) => comment.body.includes(TESTFREEZE_MARKER))) return;
  const bugFix = pull.labels.some((label) => label.name === BUG_LABEL);
  await issue.createComment(freezeNotice(state, bugFix));
});
