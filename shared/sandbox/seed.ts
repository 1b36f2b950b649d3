import type { Config } from '../config/model';
import type { FakeGitHub } from './github-server';

/**
 * What the sandbox GitHub starts with, read from the config: a repository for every org/repo that
 * has jobs, plugins or a Tide query; the sandbox user a member of each org and the approver in a
 * root OWNERS file, so that `/lgtm`, `/approve`, `/hold` and `/test` work for them as for a
 * maintainer; and the labels plugins put on PRs, since some (`/label`) add only labels that exist.
 */

/** Labels in-tree plugins and Prow's usual config use; GitHub makes any other on first use. */
export const SANDBOX_LABELS: readonly string[] = [
  'lgtm',
  'approved',
  'do-not-merge/hold',
  'do-not-merge/work-in-progress',
  'do-not-merge/invalid-owners-file',
  'needs-rebase',
  'needs-ok-to-test',
  'ok-to-test',
  'size/XS',
  'size/S',
  'size/M',
  'size/L',
  'size/XL',
  'size/XXL',
  'lifecycle/stale',
  'lifecycle/rotten',
  'lifecycle/frozen',
  'help wanted',
  'good first issue',
  'kind/bug',
  'kind/feature',
  'kind/documentation',
];

/** An org named in the config without a repository still gets one to try things on. */
const ORG_ONLY_REPO = 'sandbox';

export interface SeededRepository {
  fullName: string;
  defaultBranch: string;
}

export function sandboxRepositories(config: Config): SeededRepository[] {
  const branches = new Map<string, Set<string>>();
  const add = (fullName: string, named: readonly string[] = []) => {
    const set = branches.get(fullName) ?? new Set<string>();
    for (const branch of named) set.add(branch);
    branches.set(fullName, set);
  };
  for (const [repo, jobs] of [...config.presubmits, ...config.postsubmits]) {
    add(repo, jobs.flatMap((job) => literalBranches(job.branches)));
  }
  const orgs = new Set<string>();
  for (const key of Object.keys(config.plugins?.plugins ?? {})) {
    if (key.includes('/')) add(key);
    else orgs.add(key);
  }
  for (const query of config.prow.tide?.queries ?? []) {
    for (const repo of query.repos ?? []) add(repo);
    for (const org of query.orgs ?? []) orgs.add(org);
  }
  for (const org of orgs) {
    if (![...branches.keys()].some((repo) => repo.split('/')[0] === org)) add(`${org}/${ORG_ONLY_REPO}`);
  }
  return [...branches].map(([fullName, named]) => ({ fullName, defaultBranch: defaultBranchOf(named) }));
}

/** `main`, unless the jobs name branches and `main` is not among them (then `master`, or the first). */
function defaultBranchOf(named: ReadonlySet<string>): string {
  if (named.size === 0 || named.has('main')) return 'main';
  if (named.has('master')) return 'master';
  return [...named][0] ?? 'main';
}

/** Branch entries that are plain names (Prow's are regexps; `^release-1.2$` counts as a name). */
function literalBranches(branches: readonly string[] | undefined): string[] {
  return (branches ?? []).map((branch) => branch.replace(/^\^/, '').replace(/\$$/, '')).filter((branch) => /^[\w./-]+$/.test(branch));
}

export function seedSandbox(github: FakeGitHub, config: Config, user: string): SeededRepository[] {
  const repositories = sandboxRepositories(config);
  for (const { fullName, defaultBranch } of repositories) {
    const org = fullName.split('/')[0] ?? fullName;
    github.addRepo(fullName, { defaultBranch });
    github.addOrgMember(org, user);
    github.addCollaborator(fullName, user, 'admin');
    github.addRepoLabels(fullName, [...SANDBOX_LABELS]);
    github.setFile(fullName, 'OWNERS', `# Made by the sandbox GitHub: you approve and review everything.\napprovers:\n- ${user}\nreviewers:\n- ${user}\n`);
    github.setFile(fullName, 'README.md', `# ${fullName}\n\nA repository of the sandbox GitHub (cutwater local without credentials).\n`);
  }
  return repositories;
}
