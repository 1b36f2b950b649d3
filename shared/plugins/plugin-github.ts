import type { GitHubClient } from '../github/client';
import { fitComment } from '../github/comment-length';

/**
 * The GitHub a plugin sees: the reads and writes plugins make, nothing else (no installation
 * tokens, no commit statuses of other components' making, no pacing knobs). Reads and writes are
 * separate interfaces because they will be served differently: writes are about to go through a
 * durable, coalescing outbox, and reads will then see the writes still pending in it. So a write
 * resolves to nothing a plugin could act on; a plugin awaits it only to learn that it failed.
 *
 * The signatures are the GitHubClient's, so the membership helpers in shared/github take either.
 */
export type PluginGitHubReads = Pick<
  GitHubClient,
  | 'botLogin'
  | 'getPullRequest'
  | 'listPullRequestFiles'
  | 'listPullRequestCommits'
  | 'searchIssues'
  | 'listReviews'
  | 'countSearchResults'
  | 'getIssue'
  | 'listIssueLabels'
  | 'listRepoLabels'
  | 'listMilestones'
  | 'listComments'
  | 'getCombinedStatus'
  | 'isOrgMember'
  | 'isCollaborator'
  | 'isTeamMember'
  | 'getFileContent'
  | 'listRepositoryFiles'
  | 'getRepository'
  | 'listBranches'
  | 'listTags'
  | 'getCommitTreeSha'
  | 'listIssueEvents'
  | 'getCollaboratorPermission'
  | 'listReviewComments'
  | 'isUserBusy'
>;

/** GitHub's writes, each resolving to nothing (see PluginGitHubReads). */
export type PluginGitHubWrites = {
  [Name in
    | 'requestReviewers'
    | 'removeRequestedReviewers'
    | 'updateIssue'
    | 'addLabels'
    | 'removeLabel'
    | 'addAssignees'
    | 'removeAssignees'
    | 'createComment'
    | 'editComment'
    | 'deleteComment'
    | 'createIssueReaction'
    | 'createCommentReaction'
    | 'createStatus'
    | 'deleteBranch'
    | 'pinIssue'
    | 'unpinIssue'
    | 'transferIssue'
    | 'createReview']: (...args: Parameters<GitHubClient[Name]>) => Promise<void>;
};

export type PluginGitHub = PluginGitHubReads & PluginGitHubWrites;

/**
 * The plugin-facing view of a full client: a new object holding only those operations, so a plugin
 * cannot reach past its interface even with a cast.
 */
export function pluginGitHubOf(client: GitHubClient): PluginGitHub {
  return {
    botLogin: () => client.botLogin(),
    getPullRequest: (owner, repo, number) => client.getPullRequest(owner, repo, number),
    listPullRequestFiles: (owner, repo, number) => client.listPullRequestFiles(owner, repo, number),
    listPullRequestCommits: (owner, repo, number) => client.listPullRequestCommits(owner, repo, number),
    searchIssues: (query) => client.searchIssues(query),
    listReviews: (owner, repo, number) => client.listReviews(owner, repo, number),
    countSearchResults: (query) => client.countSearchResults(query),
    getIssue: (owner, repo, number) => client.getIssue(owner, repo, number),
    listIssueLabels: (owner, repo, number) => client.listIssueLabels(owner, repo, number),
    listRepoLabels: (owner, repo) => client.listRepoLabels(owner, repo),
    listMilestones: (owner, repo) => client.listMilestones(owner, repo),
    listComments: (owner, repo, number) => client.listComments(owner, repo, number),
    getCombinedStatus: (owner, repo, ref) => client.getCombinedStatus(owner, repo, ref),
    isOrgMember: (org, login) => client.isOrgMember(org, login),
    isCollaborator: (owner, repo, login) => client.isCollaborator(owner, repo, login),
    isTeamMember: (org, team, login) => client.isTeamMember(org, team, login),
    getFileContent: (owner, repo, path, ref) => client.getFileContent(owner, repo, path, ref),
    listRepositoryFiles: (owner, repo, ref) => client.listRepositoryFiles(owner, repo, ref),
    getRepository: (owner, repo) => client.getRepository(owner, repo),
    listBranches: (owner, repo) => client.listBranches(owner, repo),
    listTags: (owner, repo) => client.listTags(owner, repo),
    getCommitTreeSha: (owner, repo, sha) => client.getCommitTreeSha(owner, repo, sha),
    listIssueEvents: (owner, repo, number) => client.listIssueEvents(owner, repo, number),
    getCollaboratorPermission: (owner, repo, login) => client.getCollaboratorPermission(owner, repo, login),
    listReviewComments: (owner, repo, number) => client.listReviewComments(owner, repo, number),
    isUserBusy: (login) => client.isUserBusy(login),

    requestReviewers: (owner, repo, number, logins, options) => client.requestReviewers(owner, repo, number, logins, options),
    removeRequestedReviewers: (owner, repo, number, logins) =>
      client.removeRequestedReviewers(owner, repo, number, logins),
    updateIssue: (owner, repo, number, changes, options) => client.updateIssue(owner, repo, number, changes, options),
    addLabels: (owner, repo, number, labels) => client.addLabels(owner, repo, number, labels),
    removeLabel: (owner, repo, number, label) => client.removeLabel(owner, repo, number, label),
    addAssignees: async (owner, repo, number, logins, options) => void (await client.addAssignees(owner, repo, number, logins, options)),
    removeAssignees: (owner, repo, number, logins) => client.removeAssignees(owner, repo, number, logins),
    // Replies are built to fit (respond.ts); any other comment a plugin writes is cut to fit here.
    createComment: async (owner, repo, number, body) => void (await client.createComment(owner, repo, number, fitComment(body))),
    editComment: (owner, repo, id, body) => client.editComment(owner, repo, id, fitComment(body)),
    deleteComment: (owner, repo, id) => client.deleteComment(owner, repo, id),
    createIssueReaction: (owner, repo, number, content) => client.createIssueReaction(owner, repo, number, content),
    createCommentReaction: (owner, repo, number, commentId, content) => client.createCommentReaction(owner, repo, number, commentId, content),
    createStatus: (owner, repo, sha, status) => client.createStatus(owner, repo, sha, status),
    deleteBranch: async (owner, repo, branch) => void (await client.deleteBranch(owner, repo, branch)),
    pinIssue: (owner, repo, number) => client.pinIssue(owner, repo, number),
    unpinIssue: (owner, repo, number) => client.unpinIssue(owner, repo, number),
    transferIssue: async (owner, repo, number, destinationRepo) => void (await client.transferIssue(owner, repo, number, destinationRepo)),
    createReview: (owner, repo, number, review) => client.createReview(owner, repo, number, review),
  };
}
