import { describe, expect, it } from 'vitest';
import { branchesIntersect, runsAgainstBranch } from '../../../shared/config/branches';
import { changedFilesOnce, fixedChangedFiles, runsAgainstChanges } from '../../../shared/jobs/changes';
import {
  contextRequired,
  needsExplicitTrigger,
  postsubmitShouldRun,
  postsubmitsForPush,
  presubmitShouldRun,
  presubmitsForPullRequest,
  triggersConditionally,
} from '../../../shared/jobs/should-run';
import {
  countingFiles,
  failingFiles,
  names,
  postsubmit,
  postsubmits,
  presubmit,
  presubmits,
  problemsLoading,
} from '../../support/jobs';

/**
 * Prow's job selection (pkg/config/jobs.go: Brancher, RegexpChangeMatcher, Presubmit.ShouldRun,
 * Postsubmit.ShouldRun), checked case by case against jobs loaded through Cutwater's config
 * loader so that defaulting and regexp compilation are the real ones.
 */

/** A presubmit restricted by the given branches / skip_branches lists (YAML flow sequences). */
function brancher(lists: { branches?: string[]; skip_branches?: string[] }) {
  const lines = ['- name: branchy', '  always_run: true'];
  if (lists.branches) lines.push(`  branches: ${JSON.stringify(lists.branches)}`);
  if (lists.skip_branches) lines.push(`  skip_branches: ${JSON.stringify(lists.skip_branches)}`);
  return presubmit(lines.join('\n'));
}

function runsOn(lists: { branches?: string[]; skip_branches?: string[] }, branch: string): boolean {
  return runsAgainstBranch(brancher(lists), branch);
}

describe('branches and skip_branches (Brancher.ShouldRun)', () => {
  it('runs a job with neither list on every branch', () => {
    const job = brancher({});
    const branches = ['master', 'main', 'release-1.0', 'feature/with/slashes', ''];
    expect(branches.filter((branch) => !runsAgainstBranch(job, branch))).toEqual([]);
  });

  it('treats empty lists like absent ones', () => {
    expect(runsOn({ branches: [], skip_branches: [] }, 'anything')).toBe(true);
  });

  it('runs only on branches matching the branches list', () => {
    expect(runsOn({ branches: ['^master$'] }, 'master')).toBe(true);
    expect(runsOn({ branches: ['^master$'] }, 'release-1.11')).toBe(false);
  });

  it('matches a branches entry anywhere in the branch name when it is not anchored', () => {
    expect(runsOn({ branches: ['master'] }, 'master')).toBe(true);
    expect(runsOn({ branches: ['master'] }, 'old-master-backup')).toBe(true);
    expect(runsOn({ branches: ['master'] }, 'main')).toBe(false);
  });

  it('lets an unanchored release-1.2 also select release-1.20 and release-1x2 (a dot is a wildcard)', () => {
    const job = brancher({ branches: ['release-1.2'] });
    expect(runsAgainstBranch(job, 'release-1.2')).toBe(true);
    expect(runsAgainstBranch(job, 'release-1.20')).toBe(true);
    expect(runsAgainstBranch(job, 'release-1x2')).toBe(true);
    expect(runsAgainstBranch(job, 'release-1.1')).toBe(false);
  });

  it('honours anchors and escaped dots', () => {
    const job = brancher({ branches: ['^release-1\\.2$'] });
    expect(runsAgainstBranch(job, 'release-1.2')).toBe(true);
    expect(runsAgainstBranch(job, 'release-1.20')).toBe(false);
    expect(runsAgainstBranch(job, 'release-1x2')).toBe(false);
    expect(runsAgainstBranch(job, 'my-release-1.2')).toBe(false);
  });

  it('joins the entries of a list into one alternation', () => {
    const job = brancher({ branches: ['^main$', '^release-\\d+\\.\\d+$'] });
    expect(runsAgainstBranch(job, 'main')).toBe(true);
    expect(runsAgainstBranch(job, 'release-4.15')).toBe(true);
    expect(runsAgainstBranch(job, 'release-next')).toBe(false);
    expect(runsAgainstBranch(job, 'mainline')).toBe(false);
  });

  it('runs everywhere except on branches matching skip_branches', () => {
    const job = brancher({ skip_branches: ['^dependabot/'] });
    expect(runsAgainstBranch(job, 'dependabot/npm/lodash')).toBe(false);
    expect(runsAgainstBranch(job, 'main')).toBe(true);
    expect(runsAgainstBranch(job, 'feature/dependabot/tweak')).toBe(true);
  });

  it('matches a skip_branches entry anywhere in the name when it is not anchored', () => {
    expect(runsOn({ skip_branches: ['wip'] }, 'my-wip-branch')).toBe(false);
    expect(runsOn({ skip_branches: ['wip'] }, 'ready')).toBe(true);
  });

  it('lets skip_branches win over branches when both match', () => {
    const job = brancher({ branches: ['^release-'], skip_branches: ['^release-1\\.0$'] });
    expect(runsAgainstBranch(job, 'release-1.0')).toBe(false);
    expect(runsAgainstBranch(job, 'release-1.1')).toBe(true);
    expect(runsAgainstBranch(job, 'master')).toBe(false);
  });

  it('skips a branch listed in both lists', () => {
    const job = brancher({ branches: ['^hotfix$', '^main$'], skip_branches: ['^hotfix$'] });
    expect(runsAgainstBranch(job, 'hotfix')).toBe(false);
    expect(runsAgainstBranch(job, 'main')).toBe(true);
  });

  it('rejects a branch pattern Go cannot compile (a Perl lookahead) when loading', () => {
    const yaml = '- name: bad\n  always_run: true\n  branches: ["^(?!main)"]';
    const problems = problemsLoading('presubmits', yaml);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('branches');
  });
});

describe('branchesIntersect (Brancher.Intersects)', () => {
  type Lists = { branches?: string[]; skip_branches?: string[] };
  const cases: { name: string; a: Lists; b: Lists; intersect: boolean }[] = [
    { name: 'both run on every branch', a: {}, b: {}, intersect: true },
    { name: 'one runs on every branch', a: {}, b: { branches: ['^stable$'] }, intersect: true },
    { name: 'every branch vs a skip list', a: {}, b: { skip_branches: ['main'] }, intersect: true },
    {
      name: 'disjoint branch lists',
      a: { branches: ['main'] },
      b: { branches: ['develop'] },
      intersect: false,
    },
    {
      name: 'branch lists sharing one entry',
      a: { branches: ['main', 'release-1.0'] },
      b: { branches: ['release-1.0', 'release-2.0'] },
      intersect: true,
    },
    {
      name: 'two branch lists are compared as strings, not as regexps',
      a: { branches: ['^release-.*$'] },
      b: { branches: ['release-1.0'] },
      intersect: false,
    },
    {
      name: 'a skipped branch vs the same branch listed',
      a: { skip_branches: ['main'] },
      b: { branches: ['main'] },
      intersect: false,
    },
    {
      name: 'a skip list covering every listed branch',
      a: { skip_branches: ['x', 'y', 'z'] },
      b: { branches: ['y'] },
      intersect: false,
    },
    {
      name: 'a skip regexp covering every listed branch',
      a: { skip_branches: ['release-\\d+\\.\\d+'] },
      b: { branches: ['release-2.3', 'release-2.4'] },
      intersect: false,
    },
    {
      name: 'a skip regexp missing one listed branch',
      a: { skip_branches: ['release-\\d+\\.\\d+'] },
      b: { branches: ['release-2.3', 'main'] },
      intersect: true,
    },
    {
      name: 'two skip lists, even identical ones',
      a: { skip_branches: ['main'] },
      b: { skip_branches: ['main'] },
      intersect: true,
    },
    {
      name: 'two disjoint skip lists',
      a: { skip_branches: ['a', 'b'] },
      b: { skip_branches: ['c', 'd'] },
      intersect: true,
    },
    {
      // Prow tests the listed branches against the other job only: this job's own skip list is
      // not applied to its own branches.
      name: "branches+skip vs skip: the listed branch 'dev' is not tested against its own skip list",
      a: { branches: ['main', 'dev'], skip_branches: ['dev'] },
      b: { skip_branches: ['main'] },
      intersect: true,
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.intersect ? 'intersect' : 'do not intersect'} (both ways)`, () => {
      const a = brancher(testCase.a);
      const b = brancher(testCase.b);
      expect(branchesIntersect(a, b)).toBe(testCase.intersect);
      expect(branchesIntersect(b, a)).toBe(testCase.intersect);
    });
  }

  it('lets two presubmits share a name when their branches cannot overlap, but not otherwise', () => {
    const shard = (branches: string) => `
- name: sharded
  always_run: true
  branches: ${branches}
- name: sharded
  always_run: true
  branches: [release-1.0]
`;
    expect(problemsLoading('presubmits', shard('[main]'))).toEqual([]);
    const problems = problemsLoading('presubmits', shard('[main, release-1.0]'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('sharded');
  });
});

describe('run_if_changed and skip_if_only_changed (RunsAgainstChanges)', () => {
  const runIfGo = presubmit("- name: go\n  run_if_changed: '^(cmd|pkg)/.*\\.go$'");
  const skipIfDocs = presubmit("- name: code\n  skip_if_only_changed: '^docs/|\\.md$|(^|/)OWNERS$'");
  const changes = (job: typeof runIfGo, files: string[]) => runsAgainstChanges(job.matchers.changes!, files);

  it('compiles the filter with its kind', () => {
    expect(runIfGo.matchers.changes?.kind).toBe('run_if_changed');
    expect(skipIfDocs.matchers.changes?.kind).toBe('skip_if_only_changed');
  });

  it('run_if_changed: an empty change list does not trigger', () => {
    expect(changes(runIfGo, [])).toBe(false);
  });

  it('run_if_changed: no file matching does not trigger', () => {
    expect(changes(runIfGo, ['README.md', 'docs/pkg/x.go', 'hack/tool.sh'])).toBe(false);
  });

  it('run_if_changed: one matching file among others triggers', () => {
    expect(changes(runIfGo, ['README.md', 'pkg/util/strings.go', 'docs/a.md'])).toBe(true);
  });

  it('run_if_changed: every file matching triggers', () => {
    expect(changes(runIfGo, ['cmd/main.go', 'pkg/a/b.go'])).toBe(true);
  });

  it('run_if_changed: the pattern is matched as written, so anchors count', () => {
    expect(changes(runIfGo, ['vendor/pkg/x.go'])).toBe(false);
    expect(changes(runIfGo, ['pkg/x.gone'])).toBe(false);
  });

  it('run_if_changed: an unanchored pattern matches anywhere in the path', () => {
    const job = presubmit("- name: shell\n  run_if_changed: '\\.sh'");
    expect(changes(job, ['scripts/build.sh'])).toBe(true);
    expect(changes(job, ['scripts/build.shell-notes.txt'])).toBe(true);
    expect(changes(job, ['scripts/build.py'])).toBe(false);
  });

  it('skip_if_only_changed: an empty change list does not trigger', () => {
    expect(changes(skipIfDocs, [])).toBe(false);
  });

  it('skip_if_only_changed: every file matching does not trigger', () => {
    expect(changes(skipIfDocs, ['docs/intro.txt', 'README.md', 'pkg/OWNERS', 'OWNERS'])).toBe(false);
  });

  it('skip_if_only_changed: one file not matching triggers', () => {
    expect(changes(skipIfDocs, ['docs/intro.txt', 'README.md', 'main.go'])).toBe(true);
  });

  it('skip_if_only_changed: no file matching triggers', () => {
    expect(changes(skipIfDocs, ['main.go'])).toBe(true);
  });

  it('skip_if_only_changed: anchors count (./docs is not docs/)', () => {
    expect(changes(skipIfDocs, ['./docs/intro.txt'])).toBe(true);
    expect(changes(skipIfDocs, ['docs/generated.go'])).toBe(false);
    expect(changes(skipIfDocs, ['NOT_OWNERS'])).toBe(true);
  });

  it('uses Go regexp syntax: inline flags work', () => {
    const job = presubmit("- name: readme\n  run_if_changed: '(?i)^readme'");
    expect(changes(job, ['ReadMe.txt'])).toBe(true);
    expect(changes(job, ['docs/readme'])).toBe(false);
  });

  it('rejects a filter Go cannot compile (backreference) when loading', () => {
    const problems = problemsLoading('presubmits', "- name: bad\n  run_if_changed: '(a)\\1'");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('run_if_changed');
  });

  it('rejects a presubmit with both always_run and run_if_changed', () => {
    const problems = problemsLoading('presubmits', "- name: both\n  always_run: true\n  run_if_changed: 'x'");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('run_if_changed');
  });

  it('rejects a job with both run_if_changed and skip_if_only_changed', () => {
    const yaml = "- name: both\n  run_if_changed: 'x'\n  skip_if_only_changed: 'y'";
    const problems = problemsLoading('presubmits', yaml);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('skip_if_only_changed');
  });
});

describe('how a presubmit is triggered (NeedsExplicitTrigger, TriggersConditionally, ...)', () => {
  const jobs = presubmits(`
- name: always
  always_run: true
- name: on-go
  run_if_changed: '\\.go$'
- name: not-docs
  skip_if_only_changed: '^docs/'
- name: manual
- name: manual-optional
  optional: true
- name: silent
  skip_report: true
  always_run: true
`);
  const byName = (name: string) => jobs.find((job) => job.name === name)!;

  it('needs an explicit trigger only without always_run and without a file filter', () => {
    expect(names(jobs.filter(needsExplicitTrigger))).toEqual(['manual', 'manual-optional']);
  });

  it('triggers conditionally unless always_run', () => {
    const conditional = names(jobs.filter(triggersConditionally));
    expect(conditional).toEqual(['on-go', 'not-docs', 'manual', 'manual-optional']);
  });

  it('requires the context unless the job is optional or does not report', () => {
    expect(names(jobs.filter(contextRequired))).toEqual(['always', 'on-go', 'not-docs', 'manual']);
  });

  it('defaults the context to the job name and keeps an explicit one', () => {
    const custom = presubmit('- name: unit\n  always_run: true\n  context: ci/unit-tests');
    expect(byName('on-go').context).toBe('on-go');
    expect(custom.context).toBe('ci/unit-tests');
  });

  it('defaults trigger and rerun_command to /test <name>', () => {
    const job = byName('manual');
    expect(job.rerun_command).toBe('/test manual');
    expect(job.trigger).toBe('(?m)^/test( | .* )manual,?($|\\s.*)');
  });

  it('keeps a custom trigger and rerun_command', () => {
    const job = presubmit("- name: smoke\n  trigger: '(?m)^/smoke\\s*$'\n  rerun_command: /smoke");
    expect(job.trigger).toBe('(?m)^/smoke\\s*$');
    expect(job.rerun_command).toBe('/smoke');
  });

  it('rejects a trigger without a rerun_command, and a rerun_command its trigger does not match', () => {
    expect(problemsLoading('presubmits', "- name: half\n  trigger: '^/half$'")).toHaveLength(1);
    const yaml = "- name: odd\n  trigger: '^/odd$'\n  rerun_command: /even";
    const mismatch = problemsLoading('presubmits', yaml);
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toContain('rerun_command');
  });
});

describe('presubmitShouldRun (Presubmit.ShouldRun)', () => {
  const jobs = presubmits(`
- name: always
  always_run: true
- name: always-not-on-master
  always_run: true
  skip_branches: ['^master$']
- name: only-on-stable
  always_run: true
  branches: ['^stable$']
- name: manual
- name: manual-not-on-master
  skip_branches: ['^master$']
- name: on-file
  run_if_changed: '^file$'
- name: skip-file-suffix
  skip_if_only_changed: 'file$'
`);
  const job = (name: string) => jobs.find((candidate) => candidate.name === name)!;

  async function decide(name: string, files: string[], forced: boolean, defaults: boolean, ref = 'master') {
    const counter = countingFiles(files);
    const run = await presubmitShouldRun(job(name), ref, counter.provider, forced, defaults);
    return { run, fetched: counter.calls() };
  }

  it('does not run a job skipped on the base branch, even if always_run', async () => {
    expect(await decide('always-not-on-master', [], false, false)).toEqual({ run: false, fetched: 0 });
  });

  it('does not run a job skipped on the base branch even when forced with defaults', async () => {
    expect(await decide('manual-not-on-master', [], true, true)).toEqual({ run: false, fetched: 0 });
  });

  it('does not run a job restricted to other branches', async () => {
    const onRelease = await decide('only-on-stable', [], false, false, 'release-1.11');
    expect(onRelease).toEqual({ run: false, fetched: 0 });
    const onStable = await decide('only-on-stable', [], false, false, 'stable');
    expect(onStable).toEqual({ run: true, fetched: 0 });
  });

  it('runs an always_run job without looking at the files', async () => {
    expect(await decide('always', ['unrelated'], false, false)).toEqual({ run: true, fetched: 0 });
  });

  it('does not run an explicit-only job unless forced or defaulted, and never asks for files', async () => {
    expect(await decide('manual', ['file'], false, false)).toEqual({ run: false, fetched: 0 });
    expect(await decide('manual', [], false, true)).toEqual({ run: true, fetched: 0 });
    expect(await decide('manual', [], true, false)).toEqual({ run: true, fetched: 0 });
  });

  it('runs a forced run_if_changed job whatever the files, without fetching them', async () => {
    expect(await decide('on-file', ['something-else'], true, false)).toEqual({ run: true, fetched: 0 });
  });

  it('run_if_changed not matching: does not run by default', async () => {
    expect(await decide('on-file', ['something'], false, false)).toEqual({ run: false, fetched: 1 });
  });

  it('run_if_changed not matching: runs when the default says so', async () => {
    expect(await decide('on-file', ['something'], false, true)).toEqual({ run: true, fetched: 1 });
  });

  it('run_if_changed matching: runs', async () => {
    expect(await decide('on-file', ['other', 'file'], false, false)).toEqual({ run: true, fetched: 1 });
  });

  it('run_if_changed with no changed files: does not run', async () => {
    expect(await decide('on-file', [], false, false)).toEqual({ run: false, fetched: 1 });
  });

  it('skip_if_only_changed with every file matching: does not run by default', async () => {
    const files = ['onefile', 'two-file', 'pkg/three_file'];
    expect(await decide('skip-file-suffix', files, false, false)).toEqual({ run: false, fetched: 1 });
  });

  it('skip_if_only_changed with every file matching: runs when the default says so', async () => {
    const files = ['onefile', 'two-file', 'pkg/three_file'];
    expect(await decide('skip-file-suffix', files, false, true)).toEqual({ run: true, fetched: 1 });
  });

  it('skip_if_only_changed with one file not matching: runs', async () => {
    const files = ['onefile', 'two-file', 'pkg/three_file.go'];
    expect(await decide('skip-file-suffix', files, false, false)).toEqual({ run: true, fetched: 1 });
  });

  it('fails when the changed files cannot be listed and the job needs them', async () => {
    const broken = failingFiles('boom');
    await expect(presubmitShouldRun(job('on-file'), 'master', broken, false, false)).rejects.toThrow('boom');
    const skipping = job('skip-file-suffix');
    await expect(presubmitShouldRun(skipping, 'master', broken, false, true)).rejects.toThrow('boom');
  });

  it('does not fail on a broken file listing when the job does not need it', async () => {
    expect(await presubmitShouldRun(job('always'), 'master', failingFiles(), false, false)).toBe(true);
    expect(await presubmitShouldRun(job('on-file'), 'master', failingFiles(), true, false)).toBe(true);
  });
});

describe('postsubmitShouldRun (Postsubmit.ShouldRun)', () => {
  const jobs = postsubmits(`
- name: plain
- name: always-true
  always_run: true
- name: always-false
  always_run: false
- name: on-file
  run_if_changed: '^file$'
- name: on-file-always-false
  run_if_changed: '^file$'
  always_run: false
- name: skip-suffix
  skip_if_only_changed: 'file$'
- name: skip-suffix-always-false
  skip_if_only_changed: 'file$'
  always_run: false
- name: always-true-skipped-on-master
  always_run: true
  skip_branches: [master]
- name: always-false-on-something
  always_run: false
  branches: [something]
- name: only-on-something
  branches: [something]
- name: not-on-master
  skip_branches: [master]
`);
  const job = (name: string) => jobs.find((candidate) => candidate.name === name)!;

  async function decide(name: string, files: string[], branch = 'master') {
    const counter = countingFiles(files);
    const run = await postsubmitShouldRun(job(name), branch, counter.provider);
    return { run, fetched: counter.calls() };
  }

  it('keeps always_run unset, true and false apart when loading', () => {
    const alwaysRun = ['plain', 'always-true', 'always-false'].map((name) => job(name).always_run);
    expect(alwaysRun).toEqual([undefined, true, false]);
  });

  it('runs a job with no always_run and no filter (postsubmits default to running)', async () => {
    expect(await decide('plain', [])).toEqual({ run: true, fetched: 0 });
  });

  it('runs a job with always_run: true', async () => {
    expect(await decide('always-true', [])).toEqual({ run: true, fetched: 0 });
  });

  it('does not run a job with always_run: false and no filter', async () => {
    expect(await decide('always-false', ['anything'])).toEqual({ run: false, fetched: 0 });
  });

  it('runs on the listed branch and not elsewhere', async () => {
    expect(await decide('only-on-something', [], 'something')).toEqual({ run: true, fetched: 0 });
    expect(await decide('only-on-something', [], 'release-1.11')).toEqual({ run: false, fetched: 0 });
  });

  it('runs on a branch that is not skipped and not on the skipped one', async () => {
    expect(await decide('not-on-master', [], 'other')).toEqual({ run: true, fetched: 0 });
    expect(await decide('not-on-master', [], 'master')).toEqual({ run: false, fetched: 0 });
  });

  it('does not run on a skipped branch even with always_run: true', async () => {
    expect(await decide('always-true-skipped-on-master', ['file'])).toEqual({ run: false, fetched: 0 });
  });

  it('does not run with always_run: false even on its own branch', async () => {
    const onItsBranch = await decide('always-false-on-something', ['file'], 'something');
    expect(onItsBranch).toEqual({ run: false, fetched: 0 });
  });

  it('run_if_changed decides: matching runs, not matching does not, no files does not', async () => {
    expect(await decide('on-file', ['file'])).toEqual({ run: true, fetched: 1 });
    expect(await decide('on-file', ['something'])).toEqual({ run: false, fetched: 1 });
    expect(await decide('on-file', [])).toEqual({ run: false, fetched: 1 });
  });

  it('run_if_changed matching runs even with always_run: false', async () => {
    expect(await decide('on-file-always-false', ['file'])).toEqual({ run: true, fetched: 1 });
    expect(await decide('on-file-always-false', ['nope'])).toEqual({ run: false, fetched: 1 });
  });

  it('skip_if_only_changed decides: all files matching skips, one other runs, none skips', async () => {
    const allMatching = await decide('skip-suffix', ['onefile', 'two-file', 'pkg/three_file']);
    expect(allMatching).toEqual({ run: false, fetched: 1 });
    expect(await decide('skip-suffix', ['onefile', 'pkg/three_file.go'])).toEqual({ run: true, fetched: 1 });
    expect(await decide('skip-suffix', [])).toEqual({ run: false, fetched: 1 });
  });

  it('skip_if_only_changed with a non-matching file runs even with always_run: false', async () => {
    expect(await decide('skip-suffix-always-false', ['main.go'])).toEqual({ run: true, fetched: 1 });
  });

  it('fails when the changed files cannot be listed and the job needs them', async () => {
    const broken = failingFiles('list failed');
    await expect(postsubmitShouldRun(job('on-file'), 'master', broken)).rejects.toThrow('list failed');
    await expect(postsubmitShouldRun(job('skip-suffix'), 'master', broken)).rejects.toThrow('list failed');
  });
});

describe('postsubmitsForPush', () => {
  const jobs = postsubmits(`
- name: build
- name: docs-site
  run_if_changed: '^docs/'
- name: go-tests
  skip_if_only_changed: '^docs/|\\.md$'
- name: release-publish
  branches: ['^release-']
- name: nightly-only
  always_run: false
`);

  it('selects, in config order, the jobs a docs-only push to main starts', async () => {
    const files = fixedChangedFiles(['docs/index.md', 'README.md']);
    const selected = await postsubmitsForPush(jobs, 'main', files);
    expect(names(selected)).toEqual(['build', 'docs-site']);
  });

  it('selects the jobs a code push to a release branch starts', async () => {
    const selected = await postsubmitsForPush(jobs, 'release-2.0', fixedChangedFiles(['pkg/a.go']));
    expect(names(selected)).toEqual(['build', 'go-tests', 'release-publish']);
  });

  it('asks for the changed files once however many jobs filter on them', async () => {
    const counter = countingFiles(['docs/x.md', 'main.go']);
    const selected = await postsubmitsForPush(jobs, 'main', changedFilesOnce(counter.provider));
    expect(names(selected)).toEqual(['build', 'docs-site', 'go-tests']);
    expect(counter.calls()).toBe(1);
  });

  it('never asks for the changed files when no job on the branch filters on them', async () => {
    const counter = countingFiles(['main.go']);
    const unfiltered = jobs.filter((job) => !job.matchers.changes);
    const selected = await postsubmitsForPush(unfiltered, 'release-3.1', changedFilesOnce(counter.provider));
    expect(names(selected)).toEqual(['build', 'release-publish']);
    expect(counter.calls()).toBe(0);
  });

  it('does not ask for the files for jobs excluded by branch', async () => {
    const yaml = "- name: rel-docs\n  branches: ['^release-']\n  run_if_changed: '^docs/'";
    const filteredOnRelease = postsubmits(yaml);
    const counter = countingFiles(['docs/a']);
    expect(await postsubmitsForPush(filteredOnRelease, 'main', counter.provider)).toEqual([]);
    expect(counter.calls()).toBe(0);
  });
});

describe('presubmitsForPullRequest (what opening or updating a pull request starts)', () => {
  const jobs = presubmits(`
- name: unit
  always_run: true
- name: go-lint
  run_if_changed: '\\.go$'
- name: not-only-docs
  skip_if_only_changed: '^docs/'
- name: e2e-manual
- name: optional-always
  always_run: true
  optional: true
- name: release-only
  always_run: true
  branches: ['^release-']
`);

  it('starts always_run jobs and the filtered jobs the files select, not explicit-only ones', async () => {
    const selected = await presubmitsForPullRequest(jobs, 'main', fixedChangedFiles(['cmd/main.go']));
    expect(names(selected)).toEqual(['unit', 'go-lint', 'not-only-docs', 'optional-always']);
  });

  it('skips filtered jobs the files do not select', async () => {
    const selected = await presubmitsForPullRequest(jobs, 'main', fixedChangedFiles(['docs/guide.md']));
    expect(names(selected)).toEqual(['unit', 'optional-always']);
  });

  it('adds jobs restricted to the base branch', async () => {
    const files = fixedChangedFiles(['docs/guide.md']);
    const selected = await presubmitsForPullRequest(jobs, 'release-1.0', files);
    expect(names(selected)).toEqual(['unit', 'optional-always', 'release-only']);
  });

  it('with an empty change list starts only always_run jobs', async () => {
    const selected = await presubmitsForPullRequest(jobs, 'main', fixedChangedFiles([]));
    expect(names(selected)).toEqual(['unit', 'optional-always']);
  });

  it('never asks for the files when no job needs them', async () => {
    const counter = countingFiles(['x.go']);
    const unfiltered = jobs.filter((job) => !job.matchers.changes);
    const selected = await presubmitsForPullRequest(unfiltered, 'main', changedFilesOnce(counter.provider));
    expect(names(selected)).toEqual(['unit', 'optional-always']);
    expect(counter.calls()).toBe(0);
  });

  it('asks for the files at most once for several filtered jobs', async () => {
    const counter = countingFiles(['x.go']);
    await presubmitsForPullRequest(jobs, 'main', changedFilesOnce(counter.provider));
    expect(counter.calls()).toBe(1);
  });

  it('fails when the files are needed and cannot be listed', async () => {
    const broken = failingFiles('no files');
    await expect(presubmitsForPullRequest(jobs, 'main', broken)).rejects.toThrow('no files');
  });
});

describe('changed files providers', () => {
  it('fixedChangedFiles returns the given files', async () => {
    expect(await fixedChangedFiles(['a', 'b'])()).toEqual(['a', 'b']);
  });

  it('changedFilesOnce does not fetch until asked', () => {
    const counter = countingFiles(['a']);
    changedFilesOnce(counter.provider);
    expect(counter.calls()).toBe(0);
  });

  it('changedFilesOnce fetches once for sequential and concurrent calls', async () => {
    const counter = countingFiles(['a', 'b']);
    const files = changedFilesOnce(counter.provider);
    const [first, second] = await Promise.all([files(), files()]);
    const third = await files();
    expect(first).toEqual(['a', 'b']);
    expect(second).toEqual(['a', 'b']);
    expect(third).toEqual(['a', 'b']);
    expect(counter.calls()).toBe(1);
  });

  it('changedFilesOnce asks again after a failure (Prow only keeps a successful listing)', async () => {
    let calls = 0;
    const files = changedFilesOnce(() => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('flaky')) : Promise.resolve(['c']);
    });
    await expect(files()).rejects.toThrow('flaky');
    expect(await files()).toEqual(['c']);
    expect(await files()).toEqual(['c']);
    expect(calls).toBe(2);
  });
});

describe('jobs loaded for a repository', () => {
  it('keeps presubmits of other repositories apart', () => {
    expect(names(presubmits('- name: a\n  always_run: true', 'other/repo'))).toEqual(['a']);
  });

  it('exposes the branch lists it compiled from', () => {
    const job = postsubmit('- name: p\n  branches: [main]\n  skip_branches: [tmp]');
    expect(job.branches).toEqual(['main']);
    expect(job.skip_branches).toEqual(['tmp']);
    expect(job.matchers.branches?.source).toBe('main');
    expect(job.matchers.skipBranches?.source).toBe('tmp');
  });
});
