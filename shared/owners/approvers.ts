import type { RepoOwners } from './owners';

/**
 * Prow's approvers package (pkg/plugins/approve/approvers): which OWNERS files a change needs an
 * approval from, whether the approvals given cover them, and whom to suggest for the rest.
 *
 * A changed file is approved when anyone listed as an approver for it (its nearest OWNERS file with
 * approvers, or any above it until `no_parent_owners`) has approved. The files needing approval are
 * grouped by that nearest OWNERS file, and a file whose parent directory's OWNERS file is also
 * needed is folded into the parent's: one approval from the parent covers both, as in Prow.
 */

export type ApprovalHow = 'Approved' | 'LGTM' | 'Author self-approved';

export interface Approval {
  /** As the person wrote it (case kept). */
  login: string;
  how: ApprovalHow;
  /** Link to where the approval was given. */
  reference: string;
  /** Approved with `/approve no-issue`. */
  noIssue: boolean;
}

/** A deterministic shuffle seed per PR keeps suggestions stable from one update to the next. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function intersectsCaseInsensitive(one: Iterable<string>, other: Iterable<string>): Set<string> {
  const lower = new Set([...other].map((item) => item.toLowerCase()));
  return new Set([...one].filter((item) => lower.has(item.toLowerCase())));
}

function intersectionSize(one: ReadonlySet<string> | undefined, other: ReadonlySet<string>): number {
  if (!one) return 0;
  let count = 0;
  for (const item of one) if (other.has(item)) count++;
  return count;
}

/** Go's filepath.Dir for repository paths, "." for a top-level file. */
function goDir(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

/** Prow's approvers.Owners: the changed files and the OWNERS files that must approve them. */
export class ChangeOwners {
  /** The files that need approval (Prow drops those auto-approved by `auto_approve_unowned_subfolders`). */
  readonly files: readonly string[];
  /** Every changed file, for "a PR without changes is never approved". */
  readonly allFiles: readonly string[];
  private readonly ownersSet: ReadonlySet<string>;

  constructor(
    readonly repo: RepoOwners,
    changedFiles: readonly string[],
    /** Seeds the shuffle of suggested approvers; Prow uses the PR number. */
    readonly seed: number,
  ) {
    this.allFiles = changedFiles;
    const owners = new Set<string>();
    const files: string[] = [];
    for (const file of changedFiles) {
      const ownersFile = repo.findApproverOwnersForFile(file);
      // Prow's test, kept as written: the file lies in a subdirectory below the OWNERS file's.
      if (goDir(goDir(file)).includes(ownersFile) && repo.isAutoApproveUnownedSubfolders(ownersFile)) continue;
      owners.add(ownersFile);
      files.push(file);
    }
    this.files = files;
    this.ownersSet = this.withoutSubdirectories(owners);
  }

  /** The OWNERS files (directories) whose approval the change needs. */
  ownersFiles(): Set<string> {
    return new Set(this.ownersSet);
  }

  /**
   * [a, a/b/c, d/e, d/e/f] → [a, d/e]: a parent's approval covers its subdirectories, except below
   * an OWNERS file with `no_parent_owners`.
   */
  private withoutSubdirectories(directories: Set<string>): Set<string> {
    for (const directory of [...directories].sort()) {
      let path = directory;
      while (!this.repo.isNoParentOwners(path) && path !== '') {
        const parent = goDir(path);
        path = parent === '.' ? '' : parent;
        if (directories.has(path)) {
          directories.delete(directory);
          break;
        }
      }
    }
    return directories;
  }

  private groupByOwnersFile(people: (file: string) => Set<string>): Map<string, Set<string>> {
    const grouped = new Map<string, Set<string>>();
    for (const file of this.files) {
      const ownersFile = this.repo.findApproverOwnersForFile(file);
      if (!this.ownersSet.has(ownersFile)) continue;
      const group = grouped.get(ownersFile) ?? new Set<string>();
      for (const login of people(file)) group.add(login);
      grouped.set(ownersFile, group);
    }
    return grouped;
  }

  /** OWNERS file → everyone who can approve it (including approvers higher up). */
  approversByOwnersFile(): Map<string, Set<string>> {
    return this.groupByOwnersFile((file) => this.repo.approvers(file).toSet());
  }

  /** OWNERS file → its own (nearest) approvers only. */
  leafApproversByOwnersFile(): Map<string, Set<string>> {
    return this.groupByOwnersFile((file) => this.repo.leafApprovers(file));
  }

  /** Person → the OWNERS files they can approve. */
  static reverse(byOwnersFile: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Set<string>> {
    const reversed = new Map<string, Set<string>>();
    for (const [ownersFile, people] of byOwnersFile) {
      for (const person of people) {
        const files = reversed.get(person) ?? new Set<string>();
        files.add(ownersFile);
        reversed.set(person, files);
      }
    }
    return reversed;
  }

  /** The nearest approvers of every needed OWNERS file, in an order shuffled per PR. */
  shuffledPotentialApprovers(): string[] {
    const everyone = [...new Set([...this.leafApproversByOwnersFile().values()].flatMap((people) => [...people]))].sort();
    const random = seededRandom(this.seed);
    for (let index = everyone.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [everyone[index], everyone[other]] = [everyone[other]!, everyone[index]!];
    }
    return everyone;
  }

  /** OWNERS files `approvers` alone would leave unapproved. */
  private unapprovedWith(approvers: Iterable<string>): Set<string> {
    const trial = new Approvers(this);
    for (const approver of approvers) trial.addApprover(approver, '', false);
    return trial.unapprovedFiles();
  }

  /** Greedy cover: approvers who together can approve every needed OWNERS file, most useful first. */
  suggestedApprovers(reverseMap: ReadonlyMap<string, ReadonlySet<string>>, potential: readonly string[]): Set<string> {
    const trial = new Approvers(this);
    while (!trial.requirementsMet()) {
      const unapproved = trial.unapprovedFiles();
      const current = trial.currentApprovers();
      let best: string | undefined;
      let bestCovered = 0;
      for (const candidate of potential) {
        const covered = intersectionSize(reverseMap.get(candidate), unapproved);
        if (covered > bestCovered && !current.has(candidate)) {
          best = candidate;
          bestCovered = covered;
        }
      }
      if (best === undefined) break;
      trial.addApprover(best, '', false);
    }
    return trial.currentApprovers();
  }

  /** Of the suggested approvers, those still useful given the people already approving (or assigned). */
  keepCoveringApprovers(
    reverseMap: ReadonlyMap<string, ReadonlySet<string>>,
    known: Iterable<string>,
    potential: readonly string[],
  ): Set<string> {
    const unapproved = this.unapprovedWith(known);
    const kept = new Set<string>();
    for (const suggested of [...this.suggestedApprovers(reverseMap, potential)].sort()) {
      if (intersectionSize(reverseMap.get(suggested), unapproved) > 0) kept.add(suggested);
    }
    return kept;
  }
}

/** Prow's approvers.Approvers: the approvals on a change and what they add up to. */
export class Approvers {
  private readonly approvals = new Map<string, Approval>();
  private readonly assignees = new Set<string>();
  /** The issue number the PR body references, 0 for none. */
  associatedIssue = 0;
  requireIssue = false;
  /** A person (not the bot) put the `approved` label on by hand, which overrides the rules. */
  manuallyApproved = false;

  constructor(readonly owners: ChangeOwners) {}

  /** A later approval replaces an earlier one, except that a no-issue approval is kept over a plain one. */
  private keepsEarlier(login: string, noIssue: boolean): boolean {
    const earlier = this.approvals.get(login.toLowerCase());
    return earlier !== undefined && earlier.noIssue && !noIssue;
  }

  private add(login: string, how: ApprovalHow, reference: string, noIssue: boolean): void {
    if (this.keepsEarlier(login, noIssue)) return;
    this.approvals.set(login.toLowerCase(), { login, how, reference, noIssue });
  }

  addApprover(login: string, reference: string, noIssue: boolean): void {
    this.add(login, 'Approved', reference, noIssue);
  }

  addLgtmer(login: string, reference: string, noIssue: boolean): void {
    this.add(login, 'LGTM', reference, noIssue);
  }

  addAuthorSelfApprover(login: string, reference: string, noIssue: boolean): void {
    this.add(login, 'Author self-approved', reference, noIssue);
  }

  removeApprover(login: string): void {
    this.approvals.delete(login.toLowerCase());
  }

  addAssignees(...logins: string[]): void {
    for (const login of logins) this.assignees.add(login.toLowerCase());
  }

  /** Lower-cased logins of everyone approving. */
  currentApprovers(): Set<string> {
    return new Set(this.approvals.keys());
  }

  private currentApproversCased(): Set<string> {
    return new Set([...this.approvals.values()].map((approval) => approval.login));
  }

  /** OWNERS files that still need an approval. */
  unapprovedFiles(): Set<string> {
    const unapproved = new Set<string>();
    const needed = this.owners.ownersFiles();
    const current = this.currentApproversCased();
    for (const file of this.owners.files) {
      const ownersFile = this.owners.repo.findApproverOwnersForFile(file);
      if (!needed.has(ownersFile)) continue;
      if (intersectsCaseInsensitive(this.owners.repo.approvers(file).toSet(), current).size === 0) {
        unapproved.add(ownersFile);
      }
    }
    return unapproved;
  }

  /** OWNERS file → who among the approvers so far can approve it (as they wrote their login). */
  filesApprovers(): Map<string, Set<string>> {
    const current = this.currentApproversCased();
    const result = new Map<string, Set<string>>();
    for (const [ownersFile, potential] of this.owners.approversByOwnersFile()) {
      result.set(ownersFile, intersectsCaseInsensitive(current, potential));
    }
    return result;
  }

  /** No-issue approvals from people who can approve at least one needed OWNERS file. */
  noIssueApprovers(): Map<string, Approval> {
    const reverseMap = ChangeOwners.reverse(this.owners.approversByOwnersFile());
    const result = new Map<string, Approval>();
    for (const [login, approval] of this.approvals) {
      if (approval.noIssue && (reverseMap.get(login)?.size ?? 0) > 0) result.set(login, approval);
    }
    return result;
  }

  /** A PR with no changed files is never approved. */
  areFilesApproved(): boolean {
    return (this.owners.files.length > 0 || this.owners.allFiles.length > 0) && this.unapprovedFiles().size === 0;
  }

  requirementsMet(): boolean {
    return (
      this.areFilesApproved() &&
      (!this.requireIssue || this.associatedIssue !== 0 || this.noIssueApprovers().size > 0)
    );
  }

  isApproved(): boolean {
    return this.requirementsMet() || this.manuallyApproved;
  }

  /** Approvals sorted by login. */
  listApprovals(): Approval[] {
    return [...this.approvals.keys()].sort().map((login) => this.approvals.get(login)!);
  }

  listNoIssueApprovals(): Approval[] {
    const noIssue = this.noIssueApprovers();
    return [...noIssue.keys()].sort().map((login) => noIssue.get(login)!);
  }

  /**
   * Whom to ask for approval: approvers nearest to the changes that cover what is still unapproved,
   * plus those already assigned who would help (assignees may be approvers higher up).
   */
  ccs(): string[] {
    const randomized = this.owners.shuffledPotentialApprovers();
    const current = this.currentApprovers();
    const approversAndAssignees = new Set([...current, ...this.assignees]);
    const leafReverseMap = ChangeOwners.reverse(this.owners.leafApproversByOwnersFile());
    const suggested = this.owners.keepCoveringApprovers(leafReverseMap, approversAndAssignees, randomized);
    const approversAndSuggested = new Set([...current, ...suggested]);
    const everyone = new Set([...approversAndSuggested, ...this.assignees]);
    const fullReverseMap = ChangeOwners.reverse(this.owners.approversByOwnersFile());
    const keepAssignees = this.owners.keepCoveringApprovers(fullReverseMap, approversAndSuggested, [...everyone].sort());
    return [...new Set([...suggested, ...keepAssignees])].sort();
  }

  isAssignee(login: string): boolean {
    return this.assignees.has(login.toLowerCase());
  }

  /** Suggested approvers who are already assigned. */
  assignedCCs(): string[] {
    return this.ccs().filter((login) => this.isAssignee(login));
  }

  /** Suggested approvers not yet assigned. */
  suggestedCCs(): string[] {
    return this.ccs().filter((login) => !this.isAssignee(login));
  }
}

