import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LoadResult, loadConfig } from '../../../shared/config/load';
import { type ConfigProblem, formatProblem } from '../../../shared/config/problems';
import { buildFromFiles as check, lineOf, yaml } from '../../support/config';
import { useTempTrees } from '../../support/files';

/**
 * Broken configurations, each checked the way `cutwater checkconfig` reports them: which file,
 * which line, and a message that names what is wrong. Prow's pkg/config validation is the
 * reference for what counts as broken (and for what does not).
 */

function listed(problems: readonly ConfigProblem[]): string {
  return problems.length === 0 ? '(no problems)' : problems.map(formatProblem).join('\n');
}

interface Expected {
  readonly file: string;
  readonly line: number;
  /** Every pattern must match the message. */
  readonly message: readonly RegExp[];
}

/** Exactly these problems, in checkconfig's order (by file, then line). */
function expectProblems(result: LoadResult, expected: readonly Expected[]): void {
  const problems = result.ok ? [] : result.problems;
  expect(result.ok, `expected problems, but the config loaded`).toBe(false);
  expect(
    problems.map((problem) => `${problem.file}:${problem.line}`),
    `problems found:\n${listed(problems)}`,
  ).toEqual(expected.map((problem) => `${problem.file}:${problem.line}`));
  problems.forEach((problem, index) => {
    for (const pattern of expected[index]!.message) {
      expect(problem.message, `problem ${formatProblem(problem)}`).toMatch(pattern);
    }
  });
}

function expectValid(result: LoadResult): void {
  expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  expect(result.ok).toBe(true);
}

describe('duplicate job names', () => {
  it('rejects two presubmits with one name in one repo, at the second one', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-unit
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-unit
          spec: {containers: [{image: alpine, command: [make, test]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, '- name: pull-unit', 2), message: [/duplicate/i, /pull-unit/] },
    ]);
  });

  it('finds duplicates across two job-config files', () => {
    const first = yaml(`
      presubmits:
        org/repo:
        - name: pull-unit
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const second = yaml(`
      presubmits:
        org/repo:
        - name: other
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-unit
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/a.yaml': first, 'jobs/b.yaml': second } });
    expectProblems(result, [
      { file: 'jobs/b.yaml', line: lineOf(second, '- name: pull-unit'), message: [/duplicate/i, /pull-unit/] },
    ]);
  });

  it('rejects duplicate postsubmits and duplicate periodics', () => {
    const jobs = yaml(`
      postsubmits:
        org/repo:
        - name: post-deploy
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: post-deploy
          spec: {containers: [{image: alpine, command: [make]}]}
      periodics:
      - name: ci-nightly
        interval: 24h
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-nightly
        cron: "0 3 * * *"
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, '- name: post-deploy', 2), message: [/duplicate/i, /post-deploy/] },
      { file: 'jobs/repo.yaml', line: lineOf(jobs, '- name: ci-nightly', 2), message: [/duplicate/i, /ci-nightly/] },
    ]);
  });

  it('accepts one name for jobs whose branches cannot intersect (as Prow does)', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-unit
          branches: [main]
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-unit
          branches: [release-1.0]
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-lint
          branches: [main]
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-lint
          skip_branches: [main]
          spec: {containers: [{image: alpine, command: [make]}]}
      postsubmits:
        org/repo:
        - name: post-deploy
          branches: [main]
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: post-deploy
          branches: [release-1.0]
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': jobs } }));
  });

  it('rejects one name on branches that do intersect', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-unit
          branches: [main]
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-unit
          skip_branches: [release-1.0]
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, '- name: pull-unit', 2), message: [/duplicate/i, /pull-unit/] },
    ]);
  });

  it('accepts one name in two repos, and a presubmit and a postsubmit sharing a name', () => {
    const jobs = yaml(`
      presubmits:
        org/one:
        - name: unit
          spec: {containers: [{image: alpine, command: [make]}]}
        org/two:
        - name: unit
          spec: {containers: [{image: alpine, command: [make]}]}
      postsubmits:
        org/one:
        - name: unit
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': jobs } }));
  });
});

describe('regular expressions (Go RE2 syntax)', () => {
  for (const [field, value] of [
    ['run_if_changed', '"^docs/(.*"'],
    ['skip_if_only_changed', '"[z-a]"'],
    ['branches', '["release-(1.0"]'],
    ['skip_branches', '["*"]'],
  ] as const) {
    it(`rejects a bad ${field} at its line`, () => {
      const jobs = yaml(`
        presubmits:
          org/repo:
          - name: pull-regex
            ${field}: ${value}
            spec: {containers: [{image: alpine, command: [make]}]}
      `);
      expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
        { file: 'jobs/repo.yaml', line: lineOf(jobs, `${field}:`), message: [/pull-regex/, new RegExp(field), /regex/i] },
      ]);
    });
  }

  it('rejects a bad trigger at its line', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-trigger
          trigger: "(?i)/retest(("
          rerun_command: /retest
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'trigger:'), message: [/pull-trigger/, /trigger/, /regex/i] },
    ]);
  });

  it('rejects JavaScript-only syntax that Go cannot compile (lookahead)', () => {
    const jobs = yaml(`
      postsubmits:
        org/repo:
        - name: post-not-vendor
          run_if_changed: "^(?!vendor/)"
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'run_if_changed:'), message: [/post-not-vendor/, /run_if_changed/] },
    ]);
  });

  it('accepts Go-only syntax that JavaScript would not (\\z, \\pL, (?i) flags)', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-go-syntax
          run_if_changed: '(?i)\\.go\\z|^\\pL+/'
          branches: ['(?i)^main\\z']
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': jobs } }));
  });
});

describe('periodic schedules', () => {
  for (const cron of ['61 * * * *', 'every day', '* * * 13 *', '@fortnightly']) {
    it(`rejects cron "${cron}" at its line`, () => {
      const jobs = yaml(`
        periodics:
        - name: ci-cron
          cron: "${cron}"
          spec: {containers: [{image: alpine, command: [make]}]}
      `);
      expectProblems(check({ jobs: { 'jobs/periodics.yaml': jobs } }), [
        { file: 'jobs/periodics.yaml', line: lineOf(jobs, 'cron:'), message: [/ci-cron/, /cron/] },
      ]);
    });
  }

  it("accepts robfig/cron's forms: 5 fields, optional seconds, descriptors, @every", () => {
    const jobs = yaml(`
      periodics:
      - name: ci-five
        cron: "5 */6 * * 1-5"
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-six
        cron: "30 5 */6 * * *"
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-daily
        cron: "@daily"
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-every
        cron: "@every 90m"
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-names
        cron: "0 9 * jan-mar mon"
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/periodics.yaml': jobs } }));
  });

  it('rejects cron together with interval', () => {
    const jobs = yaml(`
      periodics:
      - name: ci-both
        cron: "@daily"
        interval: 1h
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/periodics.yaml': jobs } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems, listed(problems)).toHaveLength(1);
    expect(problems[0]!.file).toBe('jobs/periodics.yaml');
    expect([lineOf(jobs, '- name: ci-both'), lineOf(jobs, 'cron:'), lineOf(jobs, 'interval:')]).toContain(problems[0]!.line);
    for (const pattern of [/ci-both/, /cron/, /interval/, /exclusive/]) expect(problems[0]!.message).toMatch(pattern);
  });

  it('rejects interval together with minimum_interval', () => {
    const jobs = yaml(`
      periodics:
      - name: ci-both
        interval: 1h
        minimum_interval: 2h
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/periodics.yaml': jobs } });
    expect(result.ok).toBe(false);
    expect(listed(result.problems)).toMatch(/ci-both.*minimum_interval|minimum_interval.*ci-both/);
  });

  it('rejects a periodic with neither cron nor interval, at the job', () => {
    const jobs = yaml(`
      periodics:
      - name: ci-never
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/periodics.yaml': jobs } }), [
      { file: 'jobs/periodics.yaml', line: lineOf(jobs, '- name: ci-never'), message: [/ci-never/, /cron/, /interval/] },
    ]);
  });

  for (const interval of ['1 hour', '90', 'soon', '-1h']) {
    it(`rejects interval "${interval}" at its line`, () => {
      const jobs = yaml(`
        periodics:
        - name: ci-interval
          interval: "${interval}"
          spec: {containers: [{image: alpine, command: [make]}]}
      `);
      expectProblems(check({ jobs: { 'jobs/periodics.yaml': jobs } }), [
        { file: 'jobs/periodics.yaml', line: lineOf(jobs, 'interval:'), message: [/ci-interval/, /interval/] },
      ]);
    });
  }
});

describe('triggering rules', () => {
  it('rejects run_if_changed together with skip_if_only_changed (presubmit and postsubmit)', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-both
          run_if_changed: '^src/'
          skip_if_only_changed: '^docs/'
          spec: {containers: [{image: alpine, command: [make]}]}
      postsubmits:
        org/repo:
        - name: post-both
          run_if_changed: '^src/'
          skip_if_only_changed: '^docs/'
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/repo.yaml': jobs } });
    expectProblems(result, [
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'skip_if_only_changed:', 1),
        message: [/pull-both/, /run_if_changed/, /skip_if_only_changed/, /exclusive/],
      },
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'skip_if_only_changed:', 2),
        message: [/post-both/, /run_if_changed/, /skip_if_only_changed/, /exclusive/],
      },
    ]);
  });

  it('rejects always_run together with run_if_changed or skip_if_only_changed', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-always
          always_run: true
          run_if_changed: '^src/'
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-always-skip
          always_run: true
          skip_if_only_changed: '^docs/'
          spec: {containers: [{image: alpine, command: [make]}]}
      postsubmits:
        org/repo:
        - name: post-always
          always_run: true
          run_if_changed: '^src/'
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'run_if_changed:', 1),
        message: [/pull-always\b/, /always_run/, /run_if_changed/],
      },
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'skip_if_only_changed:'),
        message: [/pull-always-skip/, /always_run/, /skip_if_only_changed/],
      },
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'run_if_changed:', 2),
        message: [/post-always/, /always_run/, /run_if_changed/],
      },
    ]);
  });

  it('accepts always_run: false with run_if_changed', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-changed
          always_run: false
          run_if_changed: '^src/'
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': jobs } }));
  });

  it('rejects a trigger without rerun_command, and a rerun_command without trigger', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-trigger-only
          trigger: '(?m)^/go\\s*$'
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-rerun-only
          rerun_command: /go
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'trigger:'), message: [/pull-trigger-only/, /trigger/, /rerun_command/] },
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'rerun_command:'),
        message: [/pull-rerun-only/, /trigger/, /rerun_command/],
      },
    ]);
  });

  it('rejects a rerun_command that its trigger does not match, at the rerun_command', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-mismatch
          trigger: '(?m)^/go$'
          rerun_command: /test pull-mismatch
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'rerun_command:'),
        message: [/pull-mismatch/, /rerun_command|rerun command/, /does not match/, /\/go/],
      },
    ]);
  });

  it('accepts a custom trigger that matches its rerun_command', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-custom
          trigger: '(?m)^/(go|retest-custom)\\s*$'
          rerun_command: /retest-custom
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': jobs } }));
  });
});

describe('GitHub contexts', () => {
  it('rejects two jobs reporting to one context, at the second', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-unit
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-unit-v2
          context: pull-unit
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'context: pull-unit'), message: [/pull-unit\b/, /pull-unit-v2/, /context/] },
    ]);
  });

  it('rejects two postsubmits sharing an explicit context', () => {
    const jobs = yaml(`
      postsubmits:
        org/repo:
        - name: post-a
          context: deploy
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: post-b
          context: deploy
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'context: deploy', 2), message: [/post-a/, /post-b/, /"deploy"/] },
    ]);
  });

  it('accepts one context for jobs on branches that cannot intersect, and in different repos', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-unit-main
          context: unit
          branches: [main]
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-unit-release
          context: unit
          branches: [release-1.0]
          spec: {containers: [{image: alpine, command: [make]}]}
        org/other:
        - name: pull-unit-other
          context: unit
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': jobs } }));
  });
});

describe('--strict: fields Prow does not know', () => {
  const jobs = yaml(`
    presubmits:
      org/repo:
      - name: pull-typo
        run_if_change: '^src/'
        spec:
          containers:
          - image: alpine
            command: [make]
            imagePullPolicyy: Always
    prow_ignored:
      owner: some-tool
      anything: [1, 2, {deep: true}]
  `);
  const config = yaml(`
    plank:
      max_goroutines: 20
      job_url_templat: https://example.com
    prow_ignored: {note: kept for tools}
    pod_namespace: test-pods
  `);

  it('rejects unknown fields in jobs, pod specs and config.yaml under --strict, with their lines', () => {
    expectProblems(check({ config, jobs: { 'jobs/repo.yaml': jobs } }, true), [
      { file: 'config.yaml', line: lineOf(config, 'job_url_templat'), message: [/unknown field/, /job_url_templat/] },
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'run_if_change:'), message: [/unknown field/, /run_if_change\b/] },
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'imagePullPolicyy'), message: [/unknown field/, /imagePullPolicyy/] },
    ]);
  });

  it('accepts the same files without --strict (Prow ignores unknown fields)', () => {
    expectValid(check({ config, jobs: { 'jobs/repo.yaml': jobs } }, false));
  });

  it('accepts Go-style field names in any case under --strict', () => {
    const mixedCase = yaml(`
      presubmits:
        org/repo:
        - Name: pull-case
          ALWAYS_RUN: true
          spec:
            containers:
            - Image: alpine
              Command: [make]
    `);
    expectValid(check({ jobs: { 'jobs/repo.yaml': mixedCase } }, true));
  });
});

describe('pod specs', () => {
  it('rejects a pod the Kubernetes schema rejects (containerPort "eighty"), at the field', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-port
          spec:
            containers:
            - image: nginx
              command: [nginx]
              ports:
              - containerPort: eighty
    `);
    // Not only under --strict: Go cannot decode a word into an int32 at all.
    for (const strict of [false, true]) {
      expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }, strict), [
        {
          file: 'jobs/repo.yaml',
          line: lineOf(jobs, 'containerPort: eighty'),
          message: [/pull-port/, /containerPort/, /integer/],
        },
      ]);
    }
  });

  it('rejects an env var without a name (required by the Kubernetes schema)', () => {
    const jobs = yaml(`
      periodics:
      - name: ci-env
        interval: 1h
        spec:
          containers:
          - image: alpine
            command: [make]
            env:
            - value: orphan
    `);
    const result = check({ jobs: { 'jobs/periodics.yaml': jobs } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(listed(problems)).toMatch(/ci-env.*name/);
    expect(problems.map((problem) => problem.line)).toContain(lineOf(jobs, '- value: orphan'));
  });

  it('rejects a Prow-reserved env var (JOB_NAME) in a presubmit, at the env entry', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-env
          spec:
            containers:
            - image: alpine
              command: [make]
              env:
              - name: GOPROXY
                value: https://proxy.golang.org
              - name: JOB_NAME
                value: mine
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, '- name: JOB_NAME'),
        message: [/pull-env/, /JOB_NAME/, /reserved|set by Prow/],
      },
    ]);
  });

  it('reserves variables by job type, as Prow does (PULL_NUMBER for presubmits only, REPO_OWNER not for periodics)', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-number
          spec: {containers: [{image: alpine, command: [make], env: [{name: PULL_NUMBER, value: "1"}]}]}
      postsubmits:
        org/repo:
        - name: post-owner
          spec: {containers: [{image: alpine, command: [make], env: [{name: REPO_OWNER, value: me}]}]}
        - name: post-number
          spec: {containers: [{image: alpine, command: [make], env: [{name: PULL_NUMBER, value: "1"}]}]}
      periodics:
      - name: ci-owner
        interval: 1h
        spec:
          containers:
          - {image: alpine, command: [make], env: [{name: REPO_OWNER, value: me}, {name: PULL_NUMBER, value: "1"}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'name: PULL_NUMBER', 1), message: [/pull-number/, /PULL_NUMBER/] },
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'name: REPO_OWNER', 1), message: [/post-owner/, /REPO_OWNER/] },
    ]);
  });

  it('rejects several containers without decoration, and a kubernetes job without a spec', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-two
          spec:
            containers:
            - {name: a, image: alpine, command: [make]}
            - {name: b, image: alpine, command: [make]}
        - name: pull-nospec
          always_run: true
    `);
    const result = check({ jobs: { 'jobs/repo.yaml': jobs } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.find((problem) => /pull-two/.test(problem.message))?.line, listed(problems)).toBeGreaterThanOrEqual(
      lineOf(jobs, '- name: pull-two'),
    );
    expect(problems.find((problem) => /pull-two/.test(problem.message))?.message).toMatch(/decorat/);
    expect(problems.find((problem) => /pull-nospec/.test(problem.message))?.line, listed(problems)).toBe(
      lineOf(jobs, '- name: pull-nospec'),
    );
  });

  it('accepts decorate: true without Prow utility images, since the runner decorates jobs itself', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-decorated
          decorate: true
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/repo.yaml': jobs } });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("keeps Prow's remaining decoration rules: legacy paths need a default org/repo; OAuth and SSH clone secrets exclude each other", () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-legacy-paths
          decorate: true
          decoration_config:
            gcs_configuration: {bucket: logs, path_strategy: legacy}
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-two-secrets
          decorate: true
          decoration_config:
            oauth_token_secret: {name: token, key: oauth}
            ssh_key_secrets: [ssh-key]
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'gcs_configuration:'),
        message: [/pull-legacy-paths/, /default_org and default_repo/],
      },
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'oauth_token_secret:') - 1,
        message: [/pull-two-secrets/, /mutually exclusive/],
      },
    ]);
  });
});

describe('job fields', () => {
  it('rejects a wrong type at its line, naming the field and the expected type', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-types
          always_run: sometimes
          max_concurrency: many
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'always_run:'), message: [/pull-types/, /always_run/, /boolean/] },
      {
        file: 'jobs/repo.yaml',
        line: lineOf(jobs, 'max_concurrency:'),
        message: [/pull-types/, /max_concurrency/, /number|int/],
      },
    ]);
  });

  it('rejects an invalid job name and a negative max_concurrency', () => {
    const jobs = yaml(`
      periodics:
      - name: "ci nightly!"
        interval: 1h
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-negative
        interval: 1h
        max_concurrency: -1
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/periodics.yaml': jobs } }), [
      { file: 'jobs/periodics.yaml', line: lineOf(jobs, 'ci nightly!'), message: [/ci nightly!/, /name/] },
      { file: 'jobs/periodics.yaml', line: lineOf(jobs, 'max_concurrency:'), message: [/ci-negative/, /max_concurrency/] },
    ]);
  });

  it('rejects a job named "." or "..", which Prow\'s pattern admits but which would name no directory of results', () => {
    const jobs = yaml(`
      periodics:
      - name: ".."
        interval: 1h
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: "."
        interval: 1h
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: "..."
        interval: 1h
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    expectProblems(check({ jobs: { 'jobs/periodics.yaml': jobs } }), [
      { file: 'jobs/periodics.yaml', line: lineOf(jobs, 'name: ".."'), message: [/"\.\."/, /cannot be/] },
      { file: 'jobs/periodics.yaml', line: lineOf(jobs, 'name: "."'), message: [/"\."/, /cannot be/] },
    ]);
  });

  it('rejects presubmits that are not a list under their repo', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
          name: pull-not-a-list
    `);
    expectProblems(check({ jobs: { 'jobs/repo.yaml': jobs } }), [
      { file: 'jobs/repo.yaml', line: lineOf(jobs, 'org/repo:'), message: [/org\/repo/, /list/] },
    ]);
  });
});

describe('presets', () => {
  it('rejects two presets selecting on one label:value pair, at the second', () => {
    const jobs = yaml(`
      presets:
      - labels: {preset-cloud: "true"}
        env: [{name: CLOUD, value: a}]
      - labels:
          preset-cloud: "true"
        env: [{name: OTHER, value: b}]
    `);
    expectProblems(check({ jobs: { 'jobs/presets.yaml': jobs } }), [
      { file: 'jobs/presets.yaml', line: lineOf(jobs, 'preset-cloud: "true"', 2), message: [/preset/, /preset-cloud:true/] },
    ]);
  });

  it('finds duplicate preset pairs between config.yaml and a job file', () => {
    const config = yaml(`
      presets:
      - labels: {preset-cloud: "true"}
        env: [{name: CLOUD, value: a}]
    `);
    const jobs = yaml(`
      presets:
      - labels: {preset-cloud: "true"}
        env: [{name: CLOUD, value: b}]
    `);
    const result = check({ config, jobs: { 'jobs/presets.yaml': jobs } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems, listed(problems)).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/preset-cloud:true/);
    expect([`config.yaml:${lineOf(config, 'preset-cloud')}`, `jobs/presets.yaml:${lineOf(jobs, 'preset-cloud')}`]).toContain(
      `${problems[0]!.file}:${problems[0]!.line}`,
    );
  });

  it('rejects a preset env var that the job already sets, naming the job and the variable', () => {
    const jobs = yaml(`
      presets:
      - labels: {preset-cloud: "true"}
        env: [{name: CLOUD, value: preset}]
      presubmits:
        org/repo:
        - name: pull-preset-clash
          labels: {preset-cloud: "true"}
          spec:
            containers:
            - image: alpine
              command: [make]
              env: [{name: CLOUD, value: mine}]
    `);
    const result = check({ jobs: { 'jobs/repo.yaml': jobs } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems, listed(problems)).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/pull-preset-clash/);
    expect(problems[0]!.message).toMatch(/CLOUD/);
    expect([lineOf(jobs, '- name: pull-preset-clash'), lineOf(jobs, 'spec:'), lineOf(jobs, 'env: [{name: CLOUD')]).toContain(
      problems[0]!.line,
    );
  });
});

describe('config.yaml', () => {
  it('rejects default_decoration_configs together with default_decoration_config_entries', () => {
    const config = yaml(`
      plank:
        default_decoration_config_entries:
        - config: {timeout: 1h}
        default_decoration_configs:
          '*': {timeout: 2h}
    `);
    expectProblems(check({ config }), [
      {
        file: 'config.yaml',
        line: lineOf(config, 'default_decoration_configs:'),
        message: [/default_decoration_configs/, /default_decoration_config_entries/, /exclusive/],
      },
    ]);
  });

  it('rejects a wrong type in config.yaml at its line', () => {
    const config = yaml(`
      pod_namespace: test-pods
      plank:
        max_goroutines: lots
    `);
    expectProblems(check({ config }), [
      { file: 'config.yaml', line: lineOf(config, 'max_goroutines'), message: [/plank\.max_goroutines/] },
    ]);
  });
});

describe('YAML syntax', () => {
  it('reports a syntax error at the line of the mistake, and still checks the other files', () => {
    const broken = yaml(`
      presubmits:
        org/repo:
        - name: pull-fine
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-broken
         always_run: true
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const other = yaml(`
      periodics:
      - name: ci-no-schedule
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/a.yaml': broken, 'jobs/b.yaml': other } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    const inBroken = problems.filter((problem) => problem.file === 'jobs/a.yaml');
    expect(inBroken.length, listed(problems)).toBeGreaterThan(0);
    for (const problem of inBroken) {
      expect(problem.line, listed(problems)).toBe(lineOf(broken, 'always_run: true'));
      expect(problem.message).toMatch(/YAML/);
    }
    expect(problems.some((problem) => problem.file === 'jobs/b.yaml' && /ci-no-schedule/.test(problem.message))).toBe(true);
  });

  it('reports an unclosed flow mapping in config.yaml', () => {
    const config = 'pod_namespace: test-pods\nplank: {max_goroutines: 20\nlog_level: debug\n';
    const result = check({ config });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.file).toBe('config.yaml');
      expect([2, 3, 4]).toContain(problem.line);
      expect(problem.message).toMatch(/YAML/);
    }
  });

  it('rejects a duplicate key (sigs.k8s.io/yaml refuses them)', () => {
    const jobs = yaml(`
      presubmits:
        org/repo:
        - name: pull-dup-key
          always_run: true
          always_run: false
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const result = check({ jobs: { 'jobs/repo.yaml': jobs } });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((problem) => problem.line), listed(problems)).toContain(lineOf(jobs, 'always_run: false'));
  });

  it('rejects a job-config file that is not a mapping', () => {
    const jobs = '- name: a list at the top\n';
    expectProblems(check({ jobs: { 'jobs/list.yaml': jobs } }), [
      { file: 'jobs/list.yaml', line: 1, message: [/mapping/] },
    ]);
  });
});

describe('plugins.yaml', () => {
  it('rejects an unknown plugin name at its line', () => {
    const plugins = yaml(`
      plugins:
        org/repo:
          plugins:
          - trigger
          - lgtm
          - tirgger
    `);
    expectProblems(check({ plugins }), [
      { file: 'plugins.yaml', line: lineOf(plugins, '- tirgger'), message: [/unknown plugin/, /tirgger/] },
    ]);
  });

  it('accepts a plugins.yaml of known plugins', () => {
    const plugins = yaml(`
      plugins:
        org:
          plugins: [trigger, lgtm, approve, hold]
    `);
    const result = check({ plugins });
    expectValid(result);
    expect(result.ok && result.config.plugins?.plugins?.org?.plugins).toEqual(['trigger', 'lgtm', 'approve', 'hold']);
  });
});

describe('every problem is reported', () => {
  it('lists each broken job of each file in one run, sorted by file and line', () => {
    const first = yaml(`
      presubmits:
        org/repo:
        - name: pull-bad-regex
          run_if_changed: "(("
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-good
          spec: {containers: [{image: alpine, command: [make]}]}
        - name: pull-bad-rerun
          rerun_command: /go
          spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const second = yaml(`
      periodics:
      - name: ci-bad-cron
        cron: "99 * * * *"
        spec: {containers: [{image: alpine, command: [make]}]}
      - name: ci-bad-interval
        interval: forever
        spec: {containers: [{image: alpine, command: [make]}]}
    `);
    const plugins = 'plugins:\n  org: [trigger, no-such-plugin]\n';
    expectProblems(check({ jobs: { 'jobs/a.yaml': first, 'jobs/b.yaml': second }, plugins }), [
      { file: 'jobs/a.yaml', line: lineOf(first, 'run_if_changed:'), message: [/pull-bad-regex/] },
      { file: 'jobs/a.yaml', line: lineOf(first, 'rerun_command:'), message: [/pull-bad-rerun/] },
      { file: 'jobs/b.yaml', line: lineOf(second, 'cron:'), message: [/ci-bad-cron/] },
      { file: 'jobs/b.yaml', line: lineOf(second, 'interval:'), message: [/ci-bad-interval/] },
      { file: 'plugins.yaml', line: 2, message: [/no-such-plugin/] },
    ]);
  });
});

describe('job-config files on disk', () => {
  const tree = useTempTrees('config-validation');

  const job = (name: string) =>
    `presubmits:\n  org/repo:\n  - name: ${name}\n    spec: {containers: [{image: alpine, command: [make]}]}\n`;

  it('rejects two job-config files with one basename in different directories', async () => {
    const root = tree({
      'config.yaml': '',
      'jobs/team-a/jobs.yaml': job('pull-a'),
      'jobs/team-b/jobs.yaml': job('pull-b'),
    });
    const result = await loadConfig({ configPath: path.join(root, 'config.yaml'), jobConfigPath: path.join(root, 'jobs') });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems, listed(problems)).toHaveLength(1);
    expect(problems[0]!.file).toBe(path.join(root, 'jobs/team-b/jobs.yaml'));
    expect(problems[0]!.line).toBe(0);
    expect(problems[0]!.message).toMatch(/duplicate/i);
    expect(problems[0]!.message).toMatch(/jobs\.yaml/);
    expect(problems[0]!.message).toContain(path.join(root, 'jobs/team-a/jobs.yaml'));
  });

  it('reports a YAML error with the real path of the file on disk', async () => {
    const root = tree({ 'config.yaml': 'pod_namespace: [\n', 'jobs/ok.yaml': job('pull-ok') });
    const result = await loadConfig({ configPath: path.join(root, 'config.yaml'), jobConfigPath: path.join(root, 'jobs') });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem.file).toBe(path.join(root, 'config.yaml'));
  });

  it('reports a config.yaml that cannot be read', async () => {
    const root = tree({ 'jobs/ok.yaml': job('pull-ok') });
    const result = await loadConfig({ configPath: path.join(root, 'missing.yaml'), jobConfigPath: path.join(root, 'jobs') });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((problem) => problem.file)).toEqual([path.join(root, 'missing.yaml')]);
    expect(problems[0]!.message).toMatch(/ENOENT|not found|no such file/i);
  });
});
