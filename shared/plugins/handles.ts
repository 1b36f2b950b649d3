import type { PluginGitHub } from './plugin-github';

/**
 * Probot-style bound operations: `context.issue.addLabels(['lgtm'])` instead of
 * `github.addLabels(org, repo, number, ['lgtm'])`. A handle is the plain reference (org, repo and,
 * for an issue, number) with every operation on that thing bound to it, so the reference travels
 * with the calls and a plugin cannot pair one PR's number with another repository.
 */

/** Operations whose first parameters are (owner, repo, number): they act on one issue or PR. */
const ISSUE_OPERATIONS = [
  'getPullRequest',
  'listPullRequestFiles',
  'listPullRequestCommits',
  'listReviews',
  'getIssue',
  'listIssueLabels',
  'listComments',
  'requestReviewers',
  'removeRequestedReviewers',
  'updateIssue',
  'addLabels',
  'removeLabel',
  'addAssignees',
  'removeAssignees',
  'createComment',
  'createIssueReaction',
  'createCommentReaction',
  'pinIssue',
  'unpinIssue',
  'transferIssue',
  'listIssueEvents',
  'listReviewComments',
  'createReview',
] as const satisfies readonly (keyof PluginGitHub)[];

/** Operations whose first parameters are (owner, repo): they act on the repository. */
const REPOSITORY_OPERATIONS = [
  'listRepoLabels',
  'listMilestones',
  'getCombinedStatus',
  'isCollaborator',
  'getFileContent',
  'listRepositoryFiles',
  'editComment',
  'deleteComment',
  'createStatus',
  'deleteBranch',
  'getRepository',
  'listBranches',
  'listTags',
  'getCommitTreeSha',
  'getCollaboratorPermission',
] as const satisfies readonly (keyof PluginGitHub)[];

type IssueOperation = (typeof ISSUE_OPERATIONS)[number];
type RepositoryOperation = (typeof REPOSITORY_OPERATIONS)[number];

type BoundToIssue<F> = F extends (owner: string, repo: string, number: number, ...rest: infer Rest) => infer Result
  ? (...rest: Rest) => Result
  : never;
type BoundToRepository<F> = F extends (owner: string, repo: string, ...rest: infer Rest) => infer Result
  ? (...rest: Rest) => Result
  : never;

export interface RepositoryRef {
  org: string;
  repo: string;
}

export interface IssueRef extends RepositoryRef {
  /** The issue's or pull request's number. */
  number: number;
}

export type IssueHandle = IssueRef & { readonly [Name in IssueOperation]: BoundToIssue<PluginGitHub[Name]> };

export type RepositoryHandle = RepositoryRef & {
  readonly [Name in RepositoryOperation]: BoundToRepository<PluginGitHub[Name]>;
} & {
  /** Another issue or PR of this repository. */
  issue(number: number): IssueHandle;
};

type AnyOperation = (...args: unknown[]) => unknown;

function bind<Name extends keyof PluginGitHub>(
  github: PluginGitHub,
  names: readonly Name[],
  leading: readonly (string | number)[],
): Record<Name, AnyOperation> {
  const bound = {} as Record<Name, AnyOperation>;
  for (const name of names) {
    const operation = github[name] as AnyOperation;
    bound[name] = (...rest) => operation(...leading, ...rest);
  }
  return bound;
}

export function issueHandle(github: PluginGitHub, ref: IssueRef): IssueHandle {
  const { org, repo, number } = ref;
  return { org, repo, number, ...bind(github, ISSUE_OPERATIONS, [org, repo, number]) } as IssueHandle;
}

export function repositoryHandle(github: PluginGitHub, ref: RepositoryRef): RepositoryHandle {
  const { org, repo } = ref;
  return {
    org,
    repo,
    ...bind(github, REPOSITORY_OPERATIONS, [org, repo]),
    issue: (number: number) => issueHandle(github, { org, repo, number }),
  } as RepositoryHandle;
}
