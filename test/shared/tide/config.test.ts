import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load';
import type { Config } from '../../../shared/config/model';
import {
  batchSizeLimitFor,
  blockerLabel,
  closestQueryMisses,
  contextPolicyFor,
  contextPolicyProblemsFor,
  failingContexts,
  isContextOptional,
  matchQuery,
  maxGoroutines,
  mergeBlocksPolicyFor,
  mergeCommitTemplateFor,
  mergeMethodFor,
  orgSearchQueriesFor,
  overwritePendingContextsFor,
  poolPolicyFor,
  poolSettingsFor,
  prioritizeExistingBatchesFor,
  priorityFor,
  prStatusBaseUrlFor,
  queriesFor,
  searchQueryFor,
  statusUpdatePeriodMs,
  syncPeriodMs,
  targetUrlFor,
  tideSummary,
  type TideQuery,
} from '../../../shared/tide/config';
import type { ContextPolicy, HeadContext, PoolPull } from '../../../shared/tide/model';
import { buildFromFiles, corpusPaths, expectLoaded, yaml } from '../../support/config';

/** Tide's config resolved for one pool, with Prow's meaning (pkg/config/tide.go, pkg/tide/status.go, github.go). */

function configOf(text: string, jobs?: string): Config {
  return expectLoaded(buildFromFiles({ config: yaml(text), ...(jobs ? { jobs: { 'jobs.yaml': yaml(jobs) } } : {}) }));
}

type TestPull = Pick<PoolPull, 'author' | 'labels' | 'milestone' | 'reviewDecision' | 'contexts' | 'mergeBlockedByGitHub'>;

function pull(overrides: Partial<TestPull> = {}): TestPull {
  return { author: 'batman', labels: [], contexts: [], ...overrides };
}

function descriptionOf(config: Config, pr: TestPull, branch = 'main', policy?: ContextPolicy): string | undefined {
  return closestQueryMisses(config, pr, 'org', 'repo', branch, policy).description;
}

describe('which queries apply to a repo (Prow’s TideQuery.ForRepo)', () => {
  const config = configOf(`
    tide:
      queries:
      - orgs: [org]
        excludedRepos: [org/excluded]
        labels: [lgtm]
      - repos: [org/excluded, other/repo]
        labels: [approved]
  `);

  it('takes an org query for every repo of the org but its excluded ones, and a repo query for its repos', () => {
    expect(queriesFor(config, 'org', 'repo').map((query) => query.labels)).toEqual([['lgtm']]);
    expect(queriesFor(config, 'org', 'excluded').map((query) => query.labels)).toEqual([['approved']]);
    expect(queriesFor(config, 'other', 'repo').map((query) => query.labels)).toEqual([['approved']]);
    expect(queriesFor(config, 'other', 'elsewhere')).toEqual([]);
  });
});

describe('matching one query', () => {
  const query: TideQuery = {
    repos: ['org/repo'],
    author: '@Batman',
    milestone: 'v1.0',
    labels: ['lgtm', 'approved,skip-review'],
    missingLabels: ['do-not-merge/hold', 'needs-rebase'],
    excludedBranches: ['legacy'],
    reviewApprovedRequired: true,
  };

  it('matches a PR that has everything, comparing logins as GitHub does', () => {
    const pr = pull({ author: 'BATMAN', milestone: 'v1.0', labels: ['lgtm', 'skip-review'], reviewDecision: 'APPROVED' });
    expect(matchQuery(query, pr, 'org', 'repo', 'main')).toEqual({
      matches: true,
      misses: { repoOutOfScope: false, labelsNeeded: [], labelsForbidden: [], reviewApprovalNeeded: false },
    });
  });

  it('says what is missing: labels (alternatives as "or"), forbidden labels, author, milestone, branch, review', () => {
    const pr = pull({ author: 'robin', labels: ['needs-rebase', 'do-not-merge/hold'], reviewDecision: 'CHANGES_REQUESTED' });
    expect(matchQuery(query, pr, 'org', 'repo', 'legacy')).toEqual({
      matches: false,
      misses: {
        repoOutOfScope: false,
        branch: 'excluded',
        author: 'batman',
        milestone: 'v1.0',
        labelsNeeded: ['lgtm', 'approved or skip-review'],
        labelsForbidden: ['do-not-merge/hold', 'needs-rebase'],
        reviewApprovalNeeded: true,
      },
    });
  });

  it('refuses a branch outside includedBranches, and a repo outside the query', () => {
    const included: TideQuery = { repos: ['org/repo'], includedBranches: ['main'] };
    expect(matchQuery(included, pull(), 'org', 'repo', 'dev').misses.branch).toBe('not-included');
    expect(matchQuery(included, pull(), 'org', 'repo', 'main').matches).toBe(true);
    expect(matchQuery(included, pull(), 'org', 'other', 'main')).toMatchObject({ matches: false, misses: { repoOutOfScope: true } });
  });
});

describe('the "Not mergeable." status against the closest query (Prow’s requirementDiff and expectedStatus)', () => {
  const twoQueries = `
    tide:
      queries:
      - repos: [org/repo]
        author: batman
        milestone: v1.0
        labels: [need-1, need-2, "need-a-very-super-duper-extra-not-short-at-all-label-name,need-3"]
        missingLabels: [forbidden-1, forbidden-2]
      - repos: [org/repo]
        author: batman
        milestone: v1.0
        labels: ["1", "2", "3", "4", "5", "6", "7"]
        missingLabels: [forbidden-1, forbidden-2]
  `;
  const config = configOf(twoQueries);
  const allNeeded = ['need-1', 'need-2', 'need-3'];

  it('names the missing labels of the closest query, sorted, trimmed to about 50 characters but at least one', () => {
    expect(descriptionOf(config, pull({ milestone: 'v1.0' }))).toBe('Not mergeable. Needs need-1, need-2 labels.');
    expect(descriptionOf(config, pull({ milestone: 'v1.0', labels: ['need-1', 'need-2'] }))).toBe(
      'Not mergeable. Needs need-a-very-super-duper-extra-not-short-at-all-label-name or need-3 label.',
    );
  });

  it('names forbidden labels once the needed ones are there, and only the first kind of miss', () => {
    expect(descriptionOf(config, pull({ milestone: 'v1.0', labels: [...allNeeded, 'forbidden-2', 'forbidden-1'] }))).toBe(
      'Not mergeable. Should not have forbidden-1, forbidden-2 labels.',
    );
    expect(descriptionOf(config, pull({ milestone: 'v1.0', labels: [...allNeeded, 'forbidden-1'] }))).toBe(
      'Not mergeable. Should not have forbidden-1 label.',
    );
    expect(descriptionOf(config, pull({ milestone: 'v1.0', labels: ['need-2', 'need-3', 'forbidden-1'] }))).toBe(
      'Not mergeable. Needs need-1 label.',
    );
  });

  it('keeps every miss, untrimmed and in order, for the PR’s page', () => {
    const result = closestQueryMisses(config, pull({ author: 'robin', labels: ['forbidden-1'] }), 'org', 'repo', 'main');
    expect(result.closest?.index).toBe(0);
    expect(result.closest?.reasons).toEqual([
      'Must be by author batman.',
      'Must be in milestone v1.0.',
      'Needs need-1, need-2, need-a-very-super-duper-extra-not-short-at-all-label-name or need-3 labels.',
      'Should not have forbidden-1 label.',
    ]);
    expect(result.evaluations.map((evaluation) => evaluation.distance)).toEqual([1104, 1108]);
  });

  it('with display_all_tide_queries_in_status, joins every query for the branch with OR', () => {
    const all = configOf(`${twoQueries}\n      display_all_tide_queries_in_status: true\n`);
    const pr = pull({ milestone: 'v1.0', labels: ['need-2', 'need-3', 'forbidden-1'] });
    expect(descriptionOf(all, pr)).toBe('Not mergeable. Needs need-1 label OR Needs 1, 2, 3, 4, 5, 6, 7 labels.');
  });

  it('with display_all_tide_queries_in_status, says when no query is for the PR’s branch', () => {
    const all = configOf(`
      tide:
        display_all_tide_queries_in_status: true
        queries:
        - repos: [org/repo]
          excludedBranches: [bad]
          labels: [lgtm]
        - repos: [org/repo]
          includedBranches: [main]
          labels: [good-to-go]
    `);
    expect(descriptionOf(all, pull(), 'bad')).toBe('Not mergeable. No Tide query for branch bad found.');
    expect(descriptionOf(all, pull(), 'main')).toBe('Not mergeable. Needs lgtm label OR Needs good-to-go label.');
  });

  it('prefers the query for the PR’s branch, and says when none allows it', () => {
    const branches = configOf(`
      tide:
        queries:
        - repos: [org/repo]
          excludedBranches: [bad]
        - repos: [org/repo]
          includedBranches: [bad]
          labels: ["1", "2", "3", "4", "5", "6", "7"]
    `);
    expect(descriptionOf(branches, pull(), 'bad')).toBe('Not mergeable. Needs 1, 2, 3, 4, 5, 6, 7 labels.');
    const onlyExcluded = configOf('tide:\n  queries:\n  - {repos: [org/repo], excludedBranches: [bad]}\n');
    expect(descriptionOf(onlyExcluded, pull(), 'bad')).toBe('Not mergeable. Merging to branch bad is forbidden.');
    const onlyIncluded = configOf('tide:\n  queries:\n  - {repos: [org/repo], includedBranches: [main]}\n');
    expect(descriptionOf(onlyIncluded, pull(), 'bad')).toBe('Not mergeable. Merging to branch bad is forbidden.');
  });

  it('names the author or milestone of the closest query', () => {
    const authors = configOf(`
      tide:
        queries:
        - {repos: [org/repo], author: batman, labels: [lgtm]}
        - {repos: [org/repo], author: penguin}
        - {repos: [org/other], milestone: v1.0}
    `);
    expect(descriptionOf(authors, pull({ author: 'robin' }))).toBe('Not mergeable. Must be by author penguin.');
    expect(closestQueryMisses(authors, pull(), 'org', 'other', 'main').description).toBe('Not mergeable. Must be in milestone v1.0.');
  });

  it('counts contexts that are not passing, under the context policy, after labels', () => {
    const jobs = configOf('tide:\n  queries:\n  - {repos: [org/repo], labels: [lgtm]}\n');
    const policy: ContextPolicy = { requiredContexts: ['required-job'], requiredIfPresentContexts: [], optionalContexts: ['optional-job'], skipUnknownContexts: false };
    const contexts: HeadContext[] = [
      { context: 'job-name', state: 'failure' },
      { context: 'other-job-name', state: 'pending' },
      { context: 'optional-job', state: 'failure' },
      { context: 'tide', state: 'pending' },
    ];
    expect(descriptionOf(jobs, pull({ contexts }), 'main', policy)).toBe('Not mergeable. Needs lgtm label.');
    expect(descriptionOf(jobs, pull({ labels: ['lgtm'], contexts }), 'main', policy)).toBe(
      'Not mergeable. Jobs job-name, other-job-name, required-job have not succeeded.',
    );
    expect(descriptionOf(jobs, pull({ labels: ['lgtm'], contexts: [{ context: 'job-name', state: 'error' }, { context: 'required-job', state: 'success' }] }), 'main', policy)).toBe(
      'Not mergeable. Job job-name has not succeeded.',
    );
    const passing = pull({ labels: ['lgtm'], contexts: [{ context: 'required-job', state: 'success' }, { context: 'tide', state: 'pending' }] });
    expect(closestQueryMisses(jobs, passing, 'org', 'repo', 'main', policy)).toMatchObject({ matched: true });
    expect(closestQueryMisses(jobs, passing, 'org', 'repo', 'main', policy).description).toBeUndefined();
  });

  it('asks for an approving review, and for GitHub’s block only under github_merge_blocks_policy: block', () => {
    const review = configOf('tide:\n  queries:\n  - {repos: [org/repo], reviewApprovedRequired: true}\n');
    expect(descriptionOf(review, pull({ reviewDecision: 'REVIEW_REQUIRED' }))).toBe(
      'Not mergeable. PullRequest is missing sufficient approving GitHub review(s)',
    );
    expect(closestQueryMisses(review, pull({ reviewDecision: 'APPROVED' }), 'org', 'repo', 'main').matched).toBe(true);

    const blocking = configOf('tide:\n  github_merge_blocks_policy: {org/repo: block}\n  queries:\n  - {repos: [org/repo, org/permitted]}\n');
    expect(descriptionOf(blocking, pull({ mergeBlockedByGitHub: true }))).toBe('Not mergeable. Blocked by GitHub (branch rulesets or protection)');
    expect(closestQueryMisses(blocking, pull({ mergeBlockedByGitHub: true }), 'org', 'permitted', 'main').matched).toBe(true);
  });

  it('says only "Not mergeable." when no query covers the repo', () => {
    expect(closestQueryMisses(config, pull(), 'org', 'elsewhere', 'main')).toEqual({ matched: false, description: 'Not mergeable.', evaluations: [] });
  });

  it('fits GitHub’s 140 characters', () => {
    const long = 'x'.repeat(150);
    const description = descriptionOf(configOf(`tide:\n  queries:\n  - {repos: [org/repo], labels: [${long}]}\n`), pull());
    expect(description).toBe(`Not mergeable. Needs ${long}`.slice(0, 137) + '...');
    expect(description).toHaveLength(140);
  });
});

describe('the GitHub search (Prow’s TideQuery.Query and OrgQueries)', () => {
  it('writes the filters Prow writes, in its order, with the scope last', () => {
    const query: TideQuery = {
      orgs: ['org'],
      excludedRepos: ['org/skip'],
      author: 'bot',
      labels: ['lgtm', 'approved,skip-review'],
      missingLabels: ['do-not-merge/hold'],
      excludedBranches: ['old'],
      milestone: 'v1.0',
      reviewApprovedRequired: true,
    };
    expect(searchQueryFor(query)).toBe(
      'is:pr state:open archived:false author:"bot" -base:"old" label:"lgtm" label:"approved","skip-review" ' +
        '-label:"do-not-merge/hold" milestone:"v1.0" review:approved org:"org" -repo:"org/skip"',
    );
    expect(searchQueryFor({ repos: ['org/repo'], includedBranches: ['main', 'release-1.0'] })).toBe(
      'is:pr state:open archived:false base:"main" base:"release-1.0" repo:"org/repo"',
    );
  });

  it('splits the search per org for a GitHub App', () => {
    expect(orgSearchQueriesFor({ orgs: ['a'], excludedRepos: ['a/x'], repos: ['b/one', 'b/two', 'malformed'], labels: ['lgtm'] })).toEqual({
      a: 'is:pr state:open archived:false label:"lgtm" org:"a" -repo:"a/x"',
      b: 'is:pr state:open archived:false label:"lgtm" repo:"b/one" repo:"b/two"',
    });
  });
});

describe('the merge method (Prow’s OrgRepoBranchMergeMethod and prMergeMethod)', () => {
  const config = configOf(`
    tide:
      squash_label: tide/squash
      rebase_label: tide/rebase
      merge_label: tide/merge
      merge_method:
        org: squash
        org/shorthand: rebase
        org/shorthand@main: merge
        deep:
          repo:
            "^release-": rebase
            main: squash
          other: rebase
          "*": squash
  `);
  const method = (org: string, repo: string, branch: string, labels: string[] = []) => mergeMethodFor(config, org, repo, branch, labels);

  it('takes the most specific setting: org/repo@branch, branch regex, org/repo, repo, org, else merge', () => {
    expect(method('org', 'shorthand', 'main')).toEqual({ method: 'merge' });
    expect(method('org', 'shorthand', 'dev')).toEqual({ method: 'rebase' });
    expect(method('org', 'anything', 'main')).toEqual({ method: 'squash' });
    expect(method('deep', 'repo', 'release-1.2')).toEqual({ method: 'rebase' });
    // Branch keys are regexes matched anywhere in the name, as in Prow.
    expect(method('deep', 'repo', 'maintenance')).toEqual({ method: 'squash' });
    expect(method('deep', 'repo', 'feature')).toEqual({ method: 'merge' });
    expect(method('deep', 'other', 'main')).toEqual({ method: 'rebase' });
    expect(method('deep', 'unlisted', 'main')).toEqual({ method: 'squash' });
    expect(method('nowhere', 'repo', 'main')).toEqual({ method: 'merge' });
  });

  it('lets one of the squash, rebase and merge labels override it, and refuses two', () => {
    expect(method('org', 'anything', 'main', ['lgtm', 'tide/rebase'])).toEqual({ method: 'rebase' });
    expect(method('org', 'shorthand', 'main', ['tide/squash'])).toEqual({ method: 'squash' });
    expect(method('org', 'anything', 'main', ['tide/squash', 'lgtm', 'tide/merge'])).toEqual({
      problem: 'PR has conflicting merge method override labels',
    });
  });

  it('finds the merge commit template of the repo, else of its org', () => {
    const templates = configOf(`
      tide:
        merge_commit_template:
          org: {title: "{{ .Title }}"}
          org/repo: {title: "{{ .Title }} (#{{ .Number }})", body: "{{ .Body }}"}
    `);
    expect(mergeCommitTemplateFor(templates, 'org', 'repo')).toEqual({ title: '{{ .Title }} (#{{ .Number }})', body: '{{ .Body }}' });
    expect(mergeCommitTemplateFor(templates, 'org', 'other')).toEqual({ title: '{{ .Title }}' });
    expect(mergeCommitTemplateFor(templates, 'elsewhere', 'repo')).toEqual({});
  });
});

const POD = 'spec: {containers: [{image: alpine, command: [make]}]}';
const JOBS = `
  presubmits:
    org/repo:
    - {name: always, always_run: true, ${POD}}
    - {name: conditional, run_if_changed: '^docs/', ${POD}}
    - {name: manual, ${POD}}
    - {name: opt, always_run: true, optional: true, ${POD}}
    - {name: quiet, always_run: true, skip_report: true, ${POD}}
    - {name: release-only, always_run: true, branches: [release], ${POD}}
`;

describe('the context policy (Prow’s GetTideContextPolicy)', () => {
  const config = configOf(
    `
      tide:
        context_options:
          required-contexts: [global-ci]
          orgs:
            org:
              optional-contexts: [netlify]
              skip-unknown-contexts: true
              repos:
                repo:
                  required-if-present-contexts: [maybe]
                  optional-regex-contexts: ["^docs/"]
                  overwrite-pending-contexts: true
                  branches:
                    main:
                      required-contexts: [main-only]
    `,
    JOBS,
  );

  it('merges global, org, repo and branch options with the contexts of the branch’s jobs', () => {
    expect(contextPolicyFor(config, 'org', 'repo', 'main', ['extra'])).toEqual({
      requiredContexts: ['always', 'extra', 'global-ci', 'main-only'],
      requiredIfPresentContexts: ['conditional', 'manual', 'maybe'],
      optionalContexts: ['netlify', 'opt', 'quiet'],
      skipUnknownContexts: true,
      optionalContextPatterns: ['^docs/'],
    });
    expect(contextPolicyFor(config, 'org', 'repo', 'release').requiredContexts).toEqual(['always', 'global-ci', 'release-only']);
    expect(contextPolicyFor(config, 'other', 'repo', 'main')).toEqual({
      requiredContexts: ['global-ci'],
      requiredIfPresentContexts: [],
      optionalContexts: [],
      skipUnknownContexts: false,
    });
    expect(overwritePendingContextsFor(config, 'org', 'repo', 'main')).toBe(true);
    expect(overwritePendingContextsFor(config, 'org', 'other', 'main')).toBe(false);
  });

  it('decides which contexts count as Prow’s IsOptional does, and which fail', () => {
    const policy = contextPolicyFor(config, 'org', 'repo', 'main');
    expect(['docs/preview', 'netlify', 'unknown-bot'].map((context) => isContextOptional(policy, context))).toEqual([true, true, true]);
    expect(['always', 'maybe'].map((context) => isContextOptional(policy, context))).toEqual([false, false]);
    const strict = contextPolicyFor(config, 'other', 'repo', 'main');
    expect(isContextOptional(strict, 'unknown-bot')).toBe(false);

    const contexts: HeadContext[] = [
      { context: 'always', state: 'pending' },
      { context: 'maybe', state: 'failure' },
      { context: 'docs/preview', state: 'failure' },
      { context: 'tide', state: 'pending' },
      { context: 'main-only', state: 'success' },
    ];
    // global-ci is required and absent; conditional is only required if present.
    expect(failingContexts(policy, contexts)).toEqual(['always', 'global-ci', 'maybe']);
  });

  it('adds the branch-protection required contexts with from-branch-protection, as the branchprotector would set them', () => {
    const protectedConfig = configOf(
      `
        branch-protection:
          orgs:
            org:
              protect: true
              required_status_checks: {contexts: [EasyCLA]}
              repos:
                repo:
                  require_manually_triggered_jobs: true
                  branches:
                    legacy: {protect: false}
        tide:
          context_options:
            orgs:
              org: {from-branch-protection: true}
      `,
      JOBS,
    );
    const main = contextPolicyFor(protectedConfig, 'org', 'repo', 'main');
    expect(main.requiredContexts).toEqual(['EasyCLA', 'always', 'manual']);
    expect(main.requiredIfPresentContexts).toEqual(['conditional']);
    // An unprotected branch with required jobs has no usable policy: Prow goes on without it.
    const legacy = contextPolicyFor(protectedConfig, 'org', 'repo', 'legacy');
    expect(legacy.requiredContexts).toEqual(['always']);
    expect(legacy.requiredIfPresentContexts).toEqual(['conditional', 'manual']);
    // Without from-branch-protection, branch protection is not read.
    const ignoring = configOf(`branch-protection: {orgs: {org: {protect: true, required_status_checks: {contexts: [EasyCLA]}}}}\n`, JOBS);
    expect(contextPolicyFor(ignoring, 'org', 'repo', 'main').requiredContexts).toEqual(['always']);
  });

  it('finds, as Prow’s checkconfig does, a job context that the options call optional', () => {
    const clash = configOf('tide:\n  context_options:\n    orgs:\n      org: {optional-contexts: [always]}\n', JOBS);
    expect(contextPolicyProblemsFor(clash)).toEqual([
      { org: 'org', repo: 'repo', branch: 'release', message: 'contexts "always" are listed as required and optional: keep each in one list' },
    ]);
    expect(contextPolicyProblemsFor(config)).toEqual([]);
  });
});

describe('pool settings', () => {
  const config = configOf(`
    tide:
      sync_period: 2m
      max_goroutines: 5
      blocker_label: merge-blocker
      batch_size_limit: {"*": 5, org: 10, org/repo: -1}
      prioritize_existing_batches: {org/repo: false}
      github_merge_blocks_policy: {org: block}
      priority:
      - labels: [kind/flake, priority/critical-urgent]
      - labels: [kind/bug]
      target_url: https://prow.example.com/tide
      pr_status_base_urls: {"*": https://prow.example.com/pr, org/repo: https://other.example.com/pr}
      pool_policy: {"*": tide, org: queue, org/repo: tide, org/repo@main: queue}
  `);
  const empty = configOf('');

  it('reads batch_size_limit by org/repo, then org, then "*" (0, no limit, when unset)', () => {
    expect(batchSizeLimitFor(config, 'org', 'repo')).toBe(-1);
    expect(batchSizeLimitFor(config, 'org', 'other')).toBe(10);
    expect(batchSizeLimitFor(config, 'elsewhere', 'repo')).toBe(5);
    expect(batchSizeLimitFor(empty, 'org', 'repo')).toBe(0);
  });

  it('chooses the pool policy by the most specific of org/repo@branch, org/repo, org and "*"; tide by default', () => {
    expect(poolPolicyFor(config, 'org', 'repo', 'main')).toBe('queue');
    expect(poolPolicyFor(config, 'org', 'repo', 'dev')).toBe('tide');
    expect(poolPolicyFor(config, 'org', 'other', 'dev')).toBe('queue');
    expect(poolPolicyFor(config, 'elsewhere', 'repo', 'main')).toBe('tide');
    expect(poolPolicyFor(empty, 'org', 'repo', 'main')).toBe('tide');
    expect(poolSettingsFor(config, { org: 'org', repo: 'other', branch: 'main' })).toEqual({
      batchSizeLimit: 10,
      priority: [{ labels: ['kind/flake', 'priority/critical-urgent'] }, { labels: ['kind/bug'] }],
      policy: 'queue',
    });
  });

  it('reads the periods, labels, URLs and per-repo switches with Prow’s defaults', () => {
    expect([syncPeriodMs(config), statusUpdatePeriodMs(config), maxGoroutines(config)]).toEqual([120_000, 120_000, 5]);
    expect([syncPeriodMs(empty), statusUpdatePeriodMs(empty), maxGoroutines(empty)]).toEqual([60_000, 60_000, 20]);
    expect(statusUpdatePeriodMs(configOf('tide: {sync_period: 2m, status_update_period: 30s}'))).toBe(30_000);
    expect([blockerLabel(config), blockerLabel(empty)]).toEqual(['merge-blocker', undefined]);
    expect(priorityFor(empty)).toEqual([]);
    expect([prioritizeExistingBatchesFor(config, 'org', 'repo'), prioritizeExistingBatchesFor(config, 'org', 'other')]).toEqual([false, true]);
    expect([mergeBlocksPolicyFor(config, 'org', 'repo'), mergeBlocksPolicyFor(config, 'other', 'repo')]).toEqual(['block', 'permit']);
    expect(targetUrlFor(config, 'org', 'repo')).toBe('https://prow.example.com/tide');
    expect(targetUrlFor(empty, 'org', 'repo')).toBeUndefined();
    expect([prStatusBaseUrlFor(config, 'org', 'repo'), prStatusBaseUrlFor(config, 'org', 'other')]).toEqual([
      'https://other.example.com/pr',
      'https://prow.example.com/pr',
    ]);
  });
});

describe('the kubernetes/test-infra tide config, resolved', () => {
  let config: Config;

  beforeAll(async () => {
    config = expectLoaded(await loadConfig({ configPath: corpusPaths().configPath }));
  });

  it('applies its queries, merge methods, batch sizes and priorities where Prow would', () => {
    expect(queriesFor(config, 'kubernetes', 'kubernetes')).toHaveLength(2);
    expect(queriesFor(config, 'kubernetes', 'test-infra')).toHaveLength(3);
    expect(queriesFor(config, 'kubernetes-sigs', 'lwkd')).toEqual([]);
    expect(mergeMethodFor(config, 'kubernetes-sigs', 'kro', 'main', [])).toEqual({ method: 'rebase' });
    expect(mergeMethodFor(config, 'kubernetes', 'kubernetes', 'master', ['tide/merge-method-squash'])).toEqual({ method: 'squash' });
    expect(batchSizeLimitFor(config, 'kubernetes', 'kubernetes')).toBe(15);
    expect(batchSizeLimitFor(config, 'kubernetes', 'enhancements')).toBe(-1);
    expect(batchSizeLimitFor(config, 'kubernetes', 'test-infra')).toBe(0);
    expect(priorityFor(config)).toHaveLength(3);
    expect(syncPeriodMs(config)).toBe(120_000);
    expect(prStatusBaseUrlFor(config, 'kubernetes', 'kubernetes')).toBe('https://prow.k8s.io/pr');
    expect(searchQueryFor(queriesFor(config, 'kubernetes', 'test-infra')[1]!)).toBe(
      'is:pr state:open archived:false author:"k8s-ci-robot" label:"skip-review" label:"cncf-cla: yes" -label:"do-not-merge" ' +
        '-label:"do-not-merge/blocked-paths" -label:"do-not-merge/contains-merge-commits" -label:"do-not-merge/hold" ' +
        '-label:"do-not-merge/invalid-commit-message" -label:"do-not-merge/invalid-owners-file" ' +
        '-label:"do-not-merge/release-note-label-needed" -label:"do-not-merge/work-in-progress" repo:"kubernetes/test-infra"',
    );
    expect(tideSummary(config)).toBe(
      "tide: 9 queries over 4 orgs and 7 repos, 34 merge_method entries, 2 batch_size_limit entries, 3 priority levels, sync every 2m0s, Prow's algorithm everywhere",
    );
  });

  it('tells a kubernetes/kubernetes PR on master what the milestone query wants', () => {
    const pr = pull({ author: 'someone', labels: ['lgtm', 'approved', 'cncf-cla: yes'] });
    expect(closestQueryMisses(config, pr, 'kubernetes', 'kubernetes', 'master').description).toBe('Not mergeable. Must be in milestone v1.37.');
    expect(closestQueryMisses(config, { ...pr, milestone: 'v1.37' }, 'kubernetes', 'kubernetes', 'master').matched).toBe(true);
    expect(closestQueryMisses(config, { ...pr, labels: ['lgtm'] }, 'kubernetes', 'kubernetes', 'release-1.36').description).toBe(
      'Not mergeable. Needs approved, cncf-cla: yes labels.',
    );
  });
});
