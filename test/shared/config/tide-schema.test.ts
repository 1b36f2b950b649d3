import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/load';
import type { Config } from '../../../shared/config/model';
import { formatProblem } from '../../../shared/config/problems';
import { contextOptionsFor } from '../../../shared/config/tide-schema';
import { buildFromFiles, corpusPaths, expectLoaded, lineOf, yaml } from '../../support/config';

/**
 * The `tide:` section of config.yaml, checked as Prow checks it while loading (pkg/config/tide.go,
 * config.go `validateComponentConfig`, `parseTideMergeType`, `TideQuery.Validate`,
 * `TideContextPolicy.Validate`), each problem at `config.yaml:line`.
 */

function problemLines(config: string, strict = false): string[] {
  const result = buildFromFiles({ config }, strict);
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('the kubernetes/test-infra config', () => {
  let config: Config;

  beforeAll(async () => {
    config = expectLoaded(await loadConfig({ configPath: corpusPaths().configPath }, { strict: true }));
  });

  it('loads without a tide problem, even under --strict, and reads every setting', () => {
    const tide = config.prow.tide!;
    expect(tide.queries).toHaveLength(9);
    expect(Object.keys(tide.merge_method!)).toHaveLength(34);
    expect(tide.merge_method!['kubernetes-sigs/kro']).toBe('rebase');
    expect(tide.batch_size_limit).toEqual({ 'kubernetes/kubernetes': 15, 'kubernetes/enhancements': -1 });
    expect(tide.priority).toEqual([
      { labels: ['kind/flake', 'priority/critical-urgent'] },
      { labels: ['kind/failing-test', 'priority/critical-urgent'] },
      { labels: ['kind/bug', 'priority/critical-urgent'] },
    ]);
    expect(tide.sync_period).toBe('2m');
    expect(tide.blocker_label).toBe('tide/merge-blocker');
    expect([tide.squash_label, tide.rebase_label, tide.merge_label]).toEqual([
      'tide/merge-method-squash',
      'tide/merge-method-rebase',
      'tide/merge-method-merge',
    ]);
    expect(tide.pr_status_base_urls).toEqual({ '*': 'https://prow.k8s.io/pr' });
    expect(tide.queries![2]).toMatchObject({ repos: ['kubernetes/kubernetes'], milestone: 'v1.37', includedBranches: ['master', 'release-1.37'] });
    expect(contextOptionsFor(tide.context_options, 'kubernetes-sigs', 'kueue', 'main')['optional-contexts']).toEqual([
      'Header rules',
      'Pages changed',
      'Redirect rules',
      'deploy/netlify',
    ]);
  });
});

describe('tide section', () => {
  it('accepts every field Prow’s Tide struct has, under --strict', () => {
    const text = yaml(`
      tide:
        sync_period: 1m
        status_update_period: 30s
        max_goroutines: 10
        batch_size_limit: {"*": 5, org: 0, org/repo: -1}
        prioritize_existing_batches: {"*": false}
        github_merge_blocks_policy: {"*": permit, org/repo: block}
        queries:
        - orgs: [org]
          excludedRepos: [org/skip]
          author: bot
          labels: [lgtm, "approved,skip-review"]
          missingLabels: [do-not-merge/hold]
          excludedBranches: [legacy]
          milestone: v1
          reviewApprovedRequired: true
        - repos: [other/repo]
          includedBranches: [main]
        merge_method:
          org: squash
          other: {repo: rebase, "*": merge}
          third: {repo: {"^release-": merge, main: squash}}
          other/repo: merge
          other/repo@main: rebase
        merge_commit_template:
          org/repo:
            title: "{{ .Title }} (#{{ .Number }})"
            body: "{{ .Body }}"
        target_urls: {"*": "https://prow.example.com/tide"}
        pr_status_base_urls: {"*": "https://prow.example.com/pr"}
        blocker_label: merge-blocker
        squash_label: tide/squash
        rebase_label: tide/rebase
        merge_label: tide/merge
        context_options:
          skip-unknown-contexts: true
          required-contexts: [ci]
          required-if-present-contexts: [maybe]
          optional-contexts: [docs]
          optional-regex-contexts: ["^netlify/"]
          from-branch-protection: false
          overwrite-pending-contexts: true
          orgs:
            org:
              optional-contexts: [lint]
              repos:
                repo:
                  required-contexts: [e2e]
                  branches:
                    main: {optional-contexts: [slow]}
        priority:
        - labels: [priority/critical-urgent]
        display_all_tide_queries_in_status: true
        gerrit:
          queries: [{org: gerrit.example.com, repos: [a]}]
          ratelimit: 3
        pool_policy: {"*": tide, org: queue, org/repo: tide, org/repo@main: queue}
    `);
    expect(problemLines(text, true)).toEqual([]);
  });

  it('checks field types at their line', () => {
    const text = yaml(`
      tide:
        batch_size_limit:
          org/repo: fifteen
        queries:
        - repos: [org/repo]
          labels: lgtm
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:${lineOf(text, 'fifteen')}: tide.batch_size_limit["org/repo"]: Invalid input: expected number, received string`,
      `config.yaml:${lineOf(text, 'labels: lgtm')}: tide.queries[0].labels: Invalid input: expected array, received string`,
    ]);
  });

  it('reports a misspelt query field under --strict', () => {
    const text = yaml(`
      tide:
        queries:
        - repos: [org/repo]
          missing_labels: [hold]
    `);
    expect(problemLines(text, true)).toEqual([
      `config.yaml:${lineOf(text, 'missing_labels')}: unknown field "missing_labels" in tide.queries[0] (--strict)`,
    ]);
  });
});

describe('tide queries, as Prow’s TideQuery.Validate', () => {
  it('reports each problem of a query at its line', () => {
    const text = yaml(`
      tide:
        queries:
        - orgs: [org, org/repo, ""]
          repos: [org/dup, lonely, other/repo, other/repo]
          excludedRepos: [third/repo, org/skip]
          labels: [lgtm, hold, lgtm]
          missingLabels: [hold]
          includedBranches: [main]
          excludedBranches: [old]
        - author: bot
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:${lineOf(text, '- orgs:')}: tide.queries[0].orgs[1]: "org/repo" is not an org name: list org/repo entries under repos`,
      `config.yaml:${lineOf(text, '- orgs:')}: tide.queries[0].orgs[2]: an org cannot be empty`,
      `config.yaml:${lineOf(text, 'repos: [org/dup')}: tide.queries[0].repos[0]: "org/dup" is already included through org "org"`,
      `config.yaml:${lineOf(text, 'repos: [org/dup')}: tide.queries[0].repos[1]: "lonely" is not of the form org/repo`,
      `config.yaml:${lineOf(text, 'repos: [org/dup')}: tide.queries[0].repos[3]: repos lists "other/repo" more than once`,
      `config.yaml:${lineOf(text, 'excludedRepos')}: tide.queries[0].excludedRepos[0]: "third/repo" has no effect: org "third" is not in this query's orgs`,
      `config.yaml:${lineOf(text, 'labels: [lgtm')}: tide.queries[0].labels: labels "hold" are both required (labels) and forbidden (missingLabels)`,
      `config.yaml:${lineOf(text, 'labels: [lgtm')}: tide.queries[0].labels[2]: labels lists "lgtm" more than once`,
      `config.yaml:${lineOf(text, 'excludedBranches')}: tide.queries[0].excludedBranches: includedBranches and excludedBranches are both set, so excludedBranches has no effect: keep one`,
      `config.yaml:${lineOf(text, '- author: bot')}: tide.queries[1]: a query needs orgs or repos to search in`,
    ]);
  });
});

describe('merge methods and templates', () => {
  it('accepts merge, squash and rebase in every form, and reports anything else with what to write', () => {
    const text = yaml(`
      tide:
        merge_method:
          org: fast-forward
          other:
            repo: squash-merge
            branchy:
              "release-(": merge
              main: ff
          org/repo@main: Squash
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:${lineOf(text, 'org: fast-forward')}: tide.merge_method.org: "fast-forward" is not a merge method: use merge, squash or rebase`,
      `config.yaml:${lineOf(text, 'repo: squash-merge')}: tide.merge_method.other.repo: "squash-merge" is not a merge method: use merge, squash or rebase`,
      expect.stringMatching(
        new RegExp(`^config\\.yaml:${lineOf(text, 'release-(')}: tide\\.merge_method\\.other\\.branchy\\["release-\\("\\]: branch invalid regex 'release-\\(': missing`),
      ),
      `config.yaml:${lineOf(text, 'main: ff')}: tide.merge_method.other.branchy.main: "ff" is not a merge method: use merge, squash or rebase`,
      `config.yaml:${lineOf(text, 'Squash')}: tide.merge_method["org/repo@main"]: "Squash" is not a merge method: use merge, squash or rebase`,
    ]);
  });

  it('parses merge commit templates as Prow does, at load', () => {
    const text = yaml(`
      tide:
        merge_commit_template:
          org/repo:
            title: "{{ .Title }"
    `);
    expect(problemLines(text)).toEqual([
      expect.stringMatching(new RegExp(`^config\\.yaml:${lineOf(text, 'title:')}: tide\\.merge_commit_template\\["org/repo"\\]\\.title: cannot parse the commit title template: `)),
    ]);
  });

  it('refuses two merge-method labels with one name', () => {
    const text = yaml(`
      tide:
        squash_label: tide/method
        rebase_label: tide/rebase
        merge_label: tide/method
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:${lineOf(text, 'merge_label')}: tide.merge_label: squash_label and merge_label are both "tide/method": a PR with that label could not say which merge method it wants`,
    ]);
  });
});

describe('tide settings Prow checks at load', () => {
  it('reports mutually exclusive URLs, a status URL map without "*", bad periods and goroutines', () => {
    const text = yaml(`
      tide:
        sync_period: 1d
        status_update_period: 0s
        max_goroutines: -3
        target_url: https://a.example.com
        target_urls: {"*": https://b.example.com}
        pr_status_base_urls: {org: https://c.example.com}
        github_merge_blocks_policy: {org: deny}
    `);
    expect(problemLines(text)).toEqual([
      expect.stringMatching(new RegExp(`^config\\.yaml:${lineOf(text, 'sync_period')}: tide\\.sync_period: invalid duration '1d'`)),
      `config.yaml:${lineOf(text, 'status_update_period')}: tide.status_update_period: 0s must be a positive duration such as 1m`,
      `config.yaml:${lineOf(text, 'max_goroutines')}: tide.max_goroutines: -3 is not a positive number (leave it out for Prow's 20)`,
      `config.yaml:${lineOf(text, 'target_url:')}: tide.target_url: target_url and target_urls are mutually exclusive: put the URL in target_urls under "*"`,
      `config.yaml:${lineOf(text, 'pr_status_base_urls')}: tide.pr_status_base_urls: pr_status_base_urls needs a default entry "*"`,
      `config.yaml:${lineOf(text, 'deny')}: tide.github_merge_blocks_policy.org: "deny" is not a policy: use ignore, permit or block`,
    ]);
  });

  it('refuses pr_status_base_url beside pr_status_base_urls', () => {
    const text = yaml(`
      tide:
        pr_status_base_url: https://a.example.com
        pr_status_base_urls: {"*": https://b.example.com}
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:2: tide.pr_status_base_url: pr_status_base_url and pr_status_base_urls are both set: put the URL in pr_status_base_urls under "*"`,
    ]);
  });

  it('accepts any batch_size_limit, as Prow does: negative numbers all disable batches', () => {
    expect(problemLines('tide:\n  batch_size_limit: {"*": -5, org/repo: 0}\n')).toEqual([]);
  });
});

describe('context_options, as Prow’s TideContextPolicy.Validate for every level', () => {
  it('reports a context listed as two kinds where the contradiction is written, once', () => {
    const text = yaml(`
      tide:
        context_options:
          required-contexts: [ci]
          orgs:
            org:
              optional-contexts: [ci]
              repos:
                repo:
                  required-if-present-contexts: [maybe]
                  branches:
                    main:
                      optional-contexts: [maybe]
                other:
                  required-contexts: [e2e]
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:${lineOf(text, 'optional-contexts: [ci]')}: tide.context_options.orgs.org.optional-contexts: contexts "ci" are listed as required and optional: keep each in one list`,
      `config.yaml:${lineOf(text, 'optional-contexts: [maybe]')}: tide.context_options.orgs.org.repos.repo.branches.main.optional-contexts: contexts "maybe" are listed as optional and required-if-present: keep each in one list`,
    ]);
  });

  it('compiles optional regexes and refuses one that would make a required context optional', () => {
    const text = yaml(`
      tide:
        context_options:
          required-contexts: [netlify/build]
          optional-regex-contexts: ["^netlify/", "deploy("]
    `);
    expect(problemLines(text)).toEqual([
      "config.yaml:4: tide.context_options.optional-regex-contexts: invalid regex 'deploy(': missing closing ): `deploy(`",
      `config.yaml:4: tide.context_options.optional-regex-contexts: optional regex '^netlify/' matches required context "netlify/build": narrow the regex`,
    ]);
  });
});

describe('pool_policy, Cutwater’s extension', () => {
  it('takes tide or queue for an org, repo, branch or "*"', () => {
    const text = yaml(`
      tide:
        pool_policy:
          org/repo@main: queue
          org/repo/extra: tide
          org: fastest
    `);
    expect(problemLines(text)).toEqual([
      `config.yaml:${lineOf(text, 'extra')}: tide.pool_policy["org/repo/extra"]: "org/repo/extra" is not a pool: use "org", "org/repo", "org/repo@branch" or "*"`,
      `config.yaml:${lineOf(text, 'org: fastest')}: tide.pool_policy.org: "fastest" is not a pool policy: use tide (Prow's algorithm) or queue`,
    ]);
  });
});
