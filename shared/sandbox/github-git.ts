/**
 * The fake GitHub's model of a repository's git history, as far as merging needs it: commits
 * with their parents and the files each changed, and branches pointing at commits. It answers the
 * one question merges ask — do two commits conflict — at the grain of files: the files changed on
 * one side since the two histories parted against those changed on the other. Two changes to one
 * file conflict, whatever lines they touch; that is coarser than git, and what tests of a merge
 * pool want (a conflict is something a test sets up, not something that happens by accident).
 */

import { createHash } from 'node:crypto';

interface CommitNode {
  parents: readonly string[];
  files: readonly string[];
  /** What the commit changed, in enough detail that equal details mean equal content (default: the file names). */
  content: string;
}

export class CommitGraph {
  private readonly commits = new Map<string, CommitNode>();
  /** Branch name (case-sensitive, as git's) → the commit it points at. */
  private readonly heads = new Map<string, string>();

  private readonly trees = new Map<string, string>();

  /** A commit made by a test or a route; an existing SHA keeps what it was first made with. */
  add(sha: string, parents: readonly string[], files: readonly string[], content?: string): void {
    if (this.commits.has(sha)) return;
    const unique = [...new Set(files)];
    this.commits.set(sha, { parents: [...parents], files: unique, content: content ?? [...unique].sort().join('\n') });
  }

  /**
   * The commit's tree SHA: derived from its parents' trees and what it changed, so a commit
   * remade on the same parent with the same change (an amend, a squash) has the same tree, and
   * one on another base or with other changes has another. Undefined for an unknown commit.
   */
  tree(sha: string): string | undefined {
    const known = this.trees.get(sha);
    if (known !== undefined) return known;
    const commit = this.commits.get(sha);
    if (!commit) return undefined;
    const parentTrees = commit.parents.map((parent) => this.tree(parent) ?? parent);
    const tree = createHash('sha1').update(`tree\0${parentTrees.join(',')}\0${commit.content}`).digest('hex');
    this.trees.set(sha, tree);
    return tree;
  }

  has(sha: string): boolean {
    return this.commits.has(sha);
  }

  branch(name: string): string | undefined {
    return this.heads.get(name);
  }

  /** Points a branch at a commit, creating the branch if need be. */
  setBranch(name: string, sha: string): void {
    if (!this.commits.has(sha)) throw new Error(`fake GitHub bug: branch ${name} set to unknown commit ${sha}`);
    this.heads.set(name, sha);
  }

  deleteBranch(name: string): boolean {
    return this.heads.delete(name);
  }

  branches(): Record<string, string> {
    return Object.fromEntries([...this.heads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Whether `sha` is `tip` or one of its ancestors. */
  contains(tip: string, sha: string): boolean {
    return this.ancestry(tip).has(sha);
  }

  /**
   * Whether merging `b` into `a` (or `a` into `b`) conflicts: some file changed by a commit only
   * `a` has is also changed by a commit only `b` has.
   */
  conflicts(a: string, b: string): boolean {
    const ofA = this.ancestry(a);
    const ofB = this.ancestry(b);
    const changedByA = this.filesOf(ofA, ofB);
    for (const file of this.filesOf(ofB, ofA)) {
      if (changedByA.has(file)) return true;
    }
    return false;
  }

  /** The commit and all its ancestors (those the graph knows). */
  private ancestry(tip: string): Set<string> {
    const seen = new Set<string>();
    const pending = [tip];
    for (let sha = pending.pop(); sha !== undefined; sha = pending.pop()) {
      if (seen.has(sha)) continue;
      const commit = this.commits.get(sha);
      if (!commit) continue;
      seen.add(sha);
      pending.push(...commit.parents);
    }
    return seen;
  }

  private filesOf(commits: Set<string>, excluding: Set<string>): Set<string> {
    const files = new Set<string>();
    for (const sha of commits) {
      if (excluding.has(sha)) continue;
      for (const file of this.commits.get(sha)?.files ?? []) files.add(file);
    }
    return files;
  }
}
