import { createHash } from 'node:crypto';
import type { DraftReview, GitHubClient, IssueComment, IssueWriteOptions, MergeOptions, ReactionContent, TrialMergeHead } from '../github/client';
import { fitComment } from '../github/comment-length';
import type { Logger } from '../log/logger';
import { commitSubject, issueSubject, type GitHubWrite, type OutboxStore, type OutboxWriteRequest } from '../store/outbox';
import { placeholderIdFor } from '../store/outbox-rules';
import type { WriterNudge } from './nudge';
import { overlayCombinedStatus, overlayComments, overlayIssue, overlayLabels, overlayPullRequest } from './overlay';

/**
 * A GitHubClient whose writes go into the outbox and whose reads see them: what plugins and the
 * reporter talk to. A write resolves once it is stored (milliseconds, durable), never after GitHub
 * answered, so no handler waits behind GitHub's pace; the installation's writer sends it
 * (shared/outbox/writer.ts), woken by `nudge`. Reads go to GitHub (through the ETag cache) with the
 * installation's unsent writes for that issue, PR or commit applied on top (overlay.ts).
 *
 * Each write's idempotency key is derived from `cause` (a delivery, a report), the write itself,
 * and how many identical writes this client made before: running the same cause again, as a
 * redelivered event or a re-run after a crash does, asks for the same keys, and the outbox stores
 * each once. So nothing is posted twice, without reading GitHub to check.
 */
export interface OutboxGitHubOptions {
  /** Reads go here; its writes are never called. */
  client: GitHubClient;
  outbox: OutboxStore;
  /** The installation key the writer sends under ("token", or the App installation's ID). */
  installation: string;
  /** What caused these writes, stable across re-runs of the same cause ("delivery <id>"). */
  cause: string;
  nudge: WriterNudge;
  log?: Logger;
}

export function outboxGitHub(options: OutboxGitHubOptions): GitHubClient {
  return new OutboxGitHub(options);
}

/** What this client last knew about one issue or PR, from its reads and its own writes. */
interface KnownIssue {
  labels?: Set<string>;
  assignees?: Set<string>;
  reviewers?: Set<string>;
}

class OutboxGitHub implements GitHubClient {
  private readonly occurrences = new Map<string, number>();
  private readonly known = new Map<string, KnownIssue>();
  /** Which issue each comment this client has seen belongs to: edits and deletes name only the comment. */
  private readonly commentIssues = new Map<number, number>();

  constructor(private readonly options: OutboxGitHubOptions) {}

  private get client(): GitHubClient {
    return this.options.client;
  }

  // Reads. The unsent entries are read before GitHub, so a write the writer sends in between is
  // seen in one or the other, never in neither.

  botLogin(): Promise<string> {
    return this.client.botLogin();
  }

  // Reads passed straight through: no pending write is shown in them (a label write not yet sent has no event).

  getCommitTreeSha(owner: string, repo: string, sha: string) {
    return this.client.getCommitTreeSha(owner, repo, sha);
  }

  listIssueEvents(owner: string, repo: string, number: number) {
    return this.client.listIssueEvents(owner, repo, number);
  }

  getCollaboratorPermission(owner: string, repo: string, login: string) {
    return this.client.getCollaboratorPermission(owner, repo, login);
  }

  listReviewComments(owner: string, repo: string, number: number) {
    return this.client.listReviewComments(owner, repo, number);
  }

  private unsent(subject: string) {
    return this.options.outbox.unsent(this.options.installation, subject);
  }

  private knownIssue(owner: string, repo: string, number: number): KnownIssue {
    const key = issueSubject(owner, repo, number);
    let known = this.known.get(key);
    if (!known) {
      known = {};
      this.known.set(key, known);
    }
    return known;
  }

  async getPullRequest(owner: string, repo: string, number: number) {
    const entries = await this.unsent(issueSubject(owner, repo, number));
    const pull = overlayPullRequest(await this.client.getPullRequest(owner, repo, number), entries);
    const known = this.knownIssue(owner, repo, number);
    known.labels = lowered(pull.labels.map((label) => label.name));
    known.assignees = lowered((pull.assignees ?? []).map((user) => user.login));
    known.reviewers = lowered((pull.requested_reviewers ?? []).map((user) => user.login));
    return pull;
  }

  async getIssue(owner: string, repo: string, number: number) {
    const entries = await this.unsent(issueSubject(owner, repo, number));
    const issue = overlayIssue(await this.client.getIssue(owner, repo, number), entries);
    const known = this.knownIssue(owner, repo, number);
    known.labels = lowered(issue.labels.map((label) => label.name));
    known.assignees = lowered(issue.assignees.map((user) => user.login));
    return issue;
  }

  async listIssueLabels(owner: string, repo: string, number: number) {
    const entries = await this.unsent(issueSubject(owner, repo, number));
    const labels = overlayLabels(await this.client.listIssueLabels(owner, repo, number), entries);
    this.knownIssue(owner, repo, number).labels = lowered(labels);
    return labels;
  }

  async listComments(owner: string, repo: string, number: number) {
    const entries = await this.unsent(issueSubject(owner, repo, number));
    const [comments, bot] = await Promise.all([this.client.listComments(owner, repo, number), this.client.botLogin()]);
    const result = overlayComments(comments, entries, bot);
    for (const comment of result) this.commentIssues.set(comment.id, number);
    return result;
  }

  async getCombinedStatus(owner: string, repo: string, ref: string) {
    const [entries, combined] = await Promise.all([
      // A branch name has no pending statuses of its own; a SHA may.
      /^[0-9a-f]{40}$/i.test(ref) ? this.unsent(commitSubject(owner, repo, ref)) : Promise.resolve([]),
      this.client.getCombinedStatus(owner, repo, ref),
    ]);
    return overlayCombinedStatus(combined, entries);
  }

  listPullRequestFiles(owner: string, repo: string, number: number) {
    return this.client.listPullRequestFiles(owner, repo, number);
  }

  listPullRequestCommits(owner: string, repo: string, number: number) {
    return this.client.listPullRequestCommits(owner, repo, number);
  }
  listReviews(owner: string, repo: string, number: number) {
    return this.client.listReviews(owner, repo, number);
  }
  countSearchResults(query: string) {
    return this.client.countSearchResults(query);
  }
  listRepoLabels(owner: string, repo: string) {
    return this.client.listRepoLabels(owner, repo);
  }
  listMilestones(owner: string, repo: string) {
    return this.client.listMilestones(owner, repo);
  }
  isOrgMember(org: string, login: string) {
    return this.client.isOrgMember(org, login);
  }
  isCollaborator(owner: string, repo: string, login: string) {
    return this.client.isCollaborator(owner, repo, login);
  }
  isTeamMember(org: string, team: string, login: string) {
    return this.client.isTeamMember(org, team, login);
  }
  getFileContent(owner: string, repo: string, path: string, ref?: string) {
    return this.client.getFileContent(owner, repo, path, ref);
  }
  listRepositoryFiles(owner: string, repo: string, ref: string) {
    return this.client.listRepositoryFiles(owner, repo, ref);
  }
  searchIssues(query: string) {
    return this.client.searchIssues(query);
  }
  searchPullRequests(query: string) {
    return this.client.searchPullRequests(query);
  }
  getRepository(owner: string, repo: string) {
    return this.client.getRepository(owner, repo);
  }
  getBranchHeadSha(owner: string, repo: string, branch: string) {
    return this.client.getBranchHeadSha(owner, repo, branch);
  }
  listCheckRuns(owner: string, repo: string, ref: string) {
    return this.client.listCheckRuns(owner, repo, ref);
  }
  listBranches(owner: string, repo: string) {
    return this.client.listBranches(owner, repo);
  }
  listTags(owner: string, repo: string) {
    return this.client.listTags(owner, repo);
  }
  isTeamMemberById(teamId: number, login: string) {
    return this.client.isTeamMemberById(teamId, login);
  }
  isUserBusy(login: string) {
    return this.client.isUserBusy(login);
  }

  // Merges and trial merges go to GitHub at once, through the client's own write pacing, never
  // into the outbox: a merge must not wait behind comments, nor be coalesced or joined, and its
  // caller acts on GitHub's answer (the merge commit, a refusal, a conflict).

  mergePullRequest(owner: string, repo: string, number: number, options: MergeOptions) {
    return this.client.mergePullRequest(owner, repo, number, options);
  }
  trialMerge(owner: string, repo: string, baseSha: string, heads: readonly TrialMergeHead[]) {
    return this.client.trialMerge(owner, repo, baseSha, heads);
  }
  // A branch deletion is not about an issue (the outbox's subjects are issues and commits), cannot
  // be coalesced with anything, and repeating it is harmless: it goes at once, like a merge.
  deleteBranch(owner: string, repo: string, branch: string) {
    return this.client.deleteBranch(owner, repo, branch);
  }
  // Pinning and transferring are GraphQL mutations on no field the outbox models, and the plugin
  // answers the person with GitHub's outcome (pinned, or why not): they go at once too.
  pinIssue(owner: string, repo: string, number: number) {
    return this.client.pinIssue(owner, repo, number);
  }
  unpinIssue(owner: string, repo: string, number: number) {
    return this.client.unpinIssue(owner, repo, number);
  }
  transferIssue(owner: string, repo: string, number: number, destinationRepo: string) {
    return this.client.transferIssue(owner, repo, number, destinationRepo);
  }

  // Writes: stored, then the writer is nudged.

  async addLabels(owner: string, repo: string, number: number, labels: string[]) {
    const known = await this.knowing(owner, repo, number, 'labels');
    await this.enqueue(
      labels.map((label) => ({ write: { kind: 'addLabel', owner, repo, number, label }, changesState: absent(known.labels, label) })),
    );
    for (const label of labels) known.labels?.add(label.toLowerCase());
  }

  async removeLabel(owner: string, repo: string, number: number, label: string) {
    const known = await this.knowing(owner, repo, number, 'labels');
    await this.enqueue([{ write: { kind: 'removeLabel', owner, repo, number, label }, changesState: present(known.labels, label) }]);
    known.labels?.delete(label.toLowerCase());
  }

  async addAssignees(owner: string, repo: string, number: number, logins: string[], options: { refusalNotice?: string } = {}) {
    const known = await this.knowing(owner, repo, number, 'assignees');
    await this.enqueue(
      logins.map((login) => ({
        write: { kind: 'addAssignee', owner, repo, number, login },
        changesState: absent(known.assignees, login),
        ...(options.refusalNotice !== undefined ? { refusalNotice: options.refusalNotice } : {}),
      })),
    );
    for (const login of logins) known.assignees?.add(login.toLowerCase());
    return [...(known.assignees ?? [])];
  }

  async removeAssignees(owner: string, repo: string, number: number, logins: string[]) {
    const known = await this.knowing(owner, repo, number, 'assignees');
    await this.enqueue(
      logins.map((login) => ({ write: { kind: 'removeAssignee', owner, repo, number, login }, changesState: present(known.assignees, login) })),
    );
    for (const login of logins) known.assignees?.delete(login.toLowerCase());
  }

  async requestReviewers(owner: string, repo: string, number: number, logins: string[], options: { refusalNotice?: string } = {}) {
    const known = await this.knowing(owner, repo, number, 'reviewers');
    await this.enqueue(
      logins.map((login) => ({
        write: { kind: 'requestReviewer', owner, repo, number, login },
        changesState: absent(known.reviewers, login),
        ...(options.refusalNotice !== undefined ? { refusalNotice: options.refusalNotice } : {}),
      })),
    );
    for (const login of logins) known.reviewers?.add(login.toLowerCase());
  }

  async removeRequestedReviewers(owner: string, repo: string, number: number, logins: string[]) {
    const known = await this.knowing(owner, repo, number, 'reviewers');
    await this.enqueue(
      logins.map((login) => ({
        write: { kind: 'removeRequestedReviewer', owner, repo, number, login },
        changesState: present(known.reviewers, login),
      })),
    );
    for (const login of logins) known.reviewers?.delete(login.toLowerCase());
  }

  async updateIssue(owner: string, repo: string, number: number, changes: Parameters<GitHubClient['updateIssue']>[3], options: IssueWriteOptions = {}) {
    const writes: WriteRequest[] = [];
    if (changes.title !== undefined) writes.push({ write: { kind: 'setTitle', owner, repo, number, title: changes.title } });
    if (changes.body !== undefined) writes.push({ write: { kind: 'setBody', owner, repo, number, body: changes.body } });
    if (changes.milestone !== undefined) writes.push({ write: { kind: 'setMilestone', owner, repo, number, milestone: changes.milestone } });
    if (changes.state !== undefined) {
      const reason = changes.stateReason ? { stateReason: changes.stateReason } : {};
      writes.push({ write: { kind: 'setState', owner, repo, number, state: changes.state, ...reason }, ...options });
    }
    await this.enqueue(writes);
  }

  async createComment(owner: string, repo: string, number: number, text: string): Promise<IssueComment> {
    // Cut here, before it is stored: the writer compares what it finds on GitHub with the stored body.
    const body = fitComment(text);
    const [request] = await this.enqueue([{ write: { kind: 'createComment', owner, repo, number, body } }]);
    const id = placeholderIdFor(request?.id ?? '');
    this.commentIssues.set(id, number);
    const at = new Date().toISOString();
    // What GitHub would answer, but under the placeholder ID until the writer creates it.
    return { id, body, user: { login: await this.client.botLogin(), type: 'Bot' }, created_at: at, updated_at: at };
  }

  async editComment(owner: string, repo: string, commentId: number, body: string) {
    const number = this.issueOfComment(owner, repo, commentId);
    await this.enqueue([{ write: { kind: 'editComment', owner, repo, number, commentId, body: fitComment(body) } }]);
  }

  async deleteComment(owner: string, repo: string, commentId: number) {
    const number = this.issueOfComment(owner, repo, commentId);
    await this.enqueue([{ write: { kind: 'deleteComment', owner, repo, number, commentId } }]);
  }

  async createIssueReaction(owner: string, repo: string, number: number, content: ReactionContent) {
    await this.enqueue([{ write: { kind: 'createReaction', owner, repo, number, content } }]);
  }

  async createCommentReaction(owner: string, repo: string, number: number, commentId: number, content: ReactionContent) {
    await this.enqueue([{ write: { kind: 'createReaction', owner, repo, number, commentId, content } }]);
  }

  async createStatus(owner: string, repo: string, sha: string, status: Parameters<GitHubClient['createStatus']>[3]) {
    await this.enqueue([
      {
        write: {
          kind: 'createStatus',
          owner,
          repo,
          sha,
          context: status.context,
          state: status.state,
          ...(status.description !== undefined ? { description: status.description } : {}),
          ...(status.target_url !== undefined ? { targetUrl: status.target_url } : {}),
        },
      },
    ]);
  }

  async createReview(owner: string, repo: string, number: number, review: DraftReview) {
    await this.enqueue([
      {
        write: {
          kind: 'createReview',
          owner,
          repo,
          number,
          body: fitComment(review.body),
          event: review.event,
          comments: review.comments.map((comment) => ({ ...comment, body: fitComment(comment.body) })),
          ...(review.commitId === undefined ? {} : { commitId: review.commitId }),
        },
      },
    ]);
  }

  /**
   * What this client knows of one set (labels, assignees, reviewers) of an issue, reading it
   * (through the overlay) when it has not yet: whether a write changes what GitHub shows decides
   * whether a later write undoing it cancels both (shared/store/outbox-rules.ts). Reads are cheap
   * (usually a 304); without the answer only the last of such a pair would be sent.
   */
  private async knowing(owner: string, repo: string, number: number, set: keyof KnownIssue): Promise<KnownIssue> {
    const known = this.knownIssue(owner, repo, number);
    if (known[set]) return known;
    try {
      if (set === 'labels') await this.listIssueLabels(owner, repo, number);
      else if (set === 'assignees') await this.getIssue(owner, repo, number);
      else await this.getPullRequest(owner, repo, number);
    } catch (error) {
      this.options.log?.debug('could not read the issue before writing; the write will replace rather than cancel', {
        subject: issueSubject(owner, repo, number),
        error: (error as Error).message,
      });
    }
    return known;
  }

  private issueOfComment(owner: string, repo: string, commentId: number): number {
    const number = this.commentIssues.get(commentId);
    if (number === undefined) {
      // Every caller lists an issue's comments before editing or deleting one; the outbox needs
      // the issue to show the change to later readers of that issue.
      throw new Error(`comment ${commentId} in ${owner}/${repo} was not listed through this client, so its issue is unknown`);
    }
    return number;
  }

  private async enqueue(writes: readonly WriteRequest[]): Promise<OutboxWriteRequest[]> {
    if (writes.length === 0) return [];
    const { installation, cause, outbox, nudge } = this.options;
    const requests = writes.map(({ write, ...rest }): OutboxWriteRequest => ({
      id: this.keyFor(write),
      installation,
      write,
      cause,
      ...definedOnly(rest),
    }));
    const outcome = await outbox.enqueue(requests);
    this.options.log?.debug('GitHub writes queued', {
      installation,
      cause,
      writes: requests.map((request) => request.write.kind),
      ...outcome,
    });
    nudge(installation);
    return requests;
  }

  /** Stable across re-runs of the cause: the cause, the write, and its occurrence in this run. */
  private keyFor(write: GitHubWrite): string {
    const content = JSON.stringify([this.options.cause, write]);
    const occurrence = this.occurrences.get(content) ?? 0;
    this.occurrences.set(content, occurrence + 1);
    const digest = createHash('sha256').update(`${content}#${occurrence}`).digest('hex').slice(0, 32);
    return `${write.kind}-${digest}`;
  }
}

interface WriteRequest {
  write: GitHubWrite;
  changesState?: boolean | undefined;
  refusalNotice?: string;
  confirmation?: string;
}

function definedOnly(fields: Omit<WriteRequest, 'write'>): Partial<OutboxWriteRequest> {
  const result: Partial<OutboxWriteRequest> = {};
  if (fields.changesState !== undefined) result.changesState = fields.changesState;
  if (fields.refusalNotice !== undefined) result.refusalNotice = fields.refusalNotice;
  if (fields.confirmation !== undefined) result.confirmation = fields.confirmation;
  return result;
}

function lowered(names: readonly string[]): Set<string> {
  return new Set(names.map((name) => name.toLowerCase()));
}

/** Whether adding `name` changes what GitHub shows, when this client has read the set; else unknown. */
function absent(known: Set<string> | undefined, name: string): boolean | undefined {
  return known ? !known.has(name.toLowerCase()) : undefined;
}

function present(known: Set<string> | undefined, name: string): boolean | undefined {
  return known ? known.has(name.toLowerCase()) : undefined;
}
