import { describe, expect, it } from 'vitest';
import type { Presubmit } from '../../../shared/config/model';
import { changedFilesOnce, fixedChangedFiles } from '../../../shared/jobs/changes';
import {
  availablePresubmits,
  type CommentSelectionInput,
  type ContextState,
  OK_TO_TEST,
  OK_TO_TEST_CANCEL,
  presubmitsForComment,
  RETEST,
  RETEST_REQUIRED,
  TEST_ALL,
  TEST_MANUAL_REQUIRED,
  unmatchedTestCommands,
} from '../../../shared/jobs/comment-commands';
import { triggerMatches } from '../../../shared/jobs/should-run';
import { countingFiles, failingFiles, names, presubmit, presubmits } from '../../support/jobs';

/**
 * Prow's presubmit commands: the trigger plugin's comment handling (pkg/plugins/trigger) and the
 * filters it builds (pkg/pjutil/filter.go), decided against jobs loaded through Cutwater's
 * config loader so the default `/test <name>` triggers are the real ones.
 */

const JOBS = presubmits(`
- name: unit
  always_run: true
- name: unit-integration
  always_run: true
- name: lint
  run_if_changed: '\\.go$'
- name: docs-check
  skip_if_only_changed: '\\.go$'
- name: e2e
- name: e2e-optional
  optional: true
- name: release-only
  always_run: true
  branches: ['^release-1\\.0$']
`);

/** Select from JOBS for `body` on master with a Go-only change, unless told otherwise. */
async function select(body: string, input: Partial<CommentSelectionInput> = {}, jobs: Presubmit[] = JOBS) {
  const selected = await presubmitsForComment(jobs, {
    body,
    baseRef: 'master',
    changedFiles: fixedChangedFiles(['pkg/server.go']),
    ...input,
  });
  return names(selected);
}

function contexts(failed: string[], all: string[]): () => Promise<ContextState> {
  return () => Promise.resolve({ failed: new Set(failed), all: new Set([...all, ...failed]) });
}

describe('/test <name>', () => {
  it('starts the named job', async () => {
    expect(await select('/test e2e')).toEqual(['e2e']);
  });

  it('finds the command on its own line among other text', async () => {
    const body = 'Thanks for the fix, looks good.\n\n/test e2e\n\nLet us see what CI says.';
    expect(await select(body)).toEqual(['e2e']);
  });

  it('accepts trailing spaces and Windows line endings', async () => {
    expect(await select('/test e2e   ')).toEqual(['e2e']);
    expect(await select('LGTM\r\n/test e2e\r\nthanks')).toEqual(['e2e']);
  });

  it('starts several jobs named in one command', async () => {
    expect(await select('/test e2e lint')).toEqual(['lint', 'e2e']);
  });

  it('accepts a trailing comma after a name', async () => {
    expect(await select('/test e2e,')).toEqual(['e2e']);
  });

  it('accepts names separated by a comma and a space', async () => {
    expect(await select('/test e2e, e2e-optional')).toEqual(['e2e', 'e2e-optional']);
  });

  it('does not split names joined by a bare comma', async () => {
    expect(await select('/test e2e,lint')).toEqual([]);
  });

  it('does not start a job whose name only starts with the given name', async () => {
    expect(await select('/test unit')).toEqual(['unit']);
    expect(await select('/test e2e')).not.toContain('e2e-optional');
  });

  it('does not start a job whose name is a prefix of the given name', async () => {
    expect(await select('/test unit-integration')).toEqual(['unit-integration']);
    expect(await select('/test e2e-optional')).toEqual(['e2e-optional']);
  });

  it('does not react to another case of the command', async () => {
    expect(await select('/TEST e2e')).toEqual([]);
    expect(await select('/Test e2e')).toEqual([]);
  });

  it('does not react to another case of the job name', async () => {
    expect(await select('/test E2E')).toEqual([]);
  });

  it('does not react to a command that does not start its line', async () => {
    expect(await select('please /test e2e')).toEqual([]);
    expect(await select(' /test e2e')).toEqual([]);
    expect(await select('> /test e2e')).toEqual([]);
  });

  it('does not react to a command glued to the name', async () => {
    expect(await select('/teste2e')).toEqual([]);
    expect(await select('/test-e2e')).toEqual([]);
  });

  it('starts the jobs of several commands in one comment, each once, in config order', async () => {
    expect(await select('/test e2e\n/test lint\n/test e2e')).toEqual(['lint', 'e2e']);
  });

  it('starts a named run_if_changed job whatever the changes, without listing them', async () => {
    const counter = countingFiles(['README.md']);
    expect(await select('/test lint', { changedFiles: counter.provider })).toEqual(['lint']);
    expect(counter.calls()).toBe(0);
  });

  it('starts a named skip_if_only_changed job even if every changed file matches', async () => {
    const changedFiles = fixedChangedFiles(['a.go']);
    expect(await select('/test docs-check', { changedFiles })).toEqual(['docs-check']);
  });

  it('does not list the changed files for a /test of an explicit job', async () => {
    const counter = countingFiles(['x.go']);
    expect(await select('/test e2e', { changedFiles: counter.provider })).toEqual(['e2e']);
    expect(counter.calls()).toBe(0);
  });

  it('does not start a job restricted to other branches', async () => {
    expect(await select('/test release-only')).toEqual([]);
    expect(await select('/test release-only', { baseRef: 'release-1.0' })).toEqual(['release-only']);
    expect(await select('/test release-only', { baseRef: 'release-1.00' })).toEqual([]);
  });

  it('treats a dot in a job name as a regexp wildcard, as Prow does with the default trigger', async () => {
    const jobs = presubmits('- name: e2e.gce');
    expect(await select('/test e2e.gce', {}, jobs)).toEqual(['e2e.gce']);
    expect(await select('/test e2e-gce', {}, jobs)).toEqual(['e2e.gce']);
  });

  it('ignores comments without any command', async () => {
    expect(await select('Nice weather today, right?')).toEqual([]);
    expect(await select('')).toEqual([]);
  });
});

describe('custom trigger and rerun_command', () => {
  const jobs = presubmits(`
- name: smoke
  trigger: '(?m)^/smoke(\\s+please)?\\s*$'
  rerun_command: /smoke
- name: preview
  trigger: '/deploy-preview'
  rerun_command: /deploy-preview
- name: unit
  always_run: true
`);

  it('starts a job by its own trigger', async () => {
    expect(await select('/smoke', {}, jobs)).toEqual(['smoke']);
    expect(await select('/smoke please', {}, jobs)).toEqual(['smoke']);
  });

  it('does not give a job with a custom trigger the default /test <name> trigger', async () => {
    expect(await select('/test smoke', {}, jobs)).toEqual([]);
  });

  it('matches an unanchored trigger anywhere in the comment', async () => {
    expect(await select('could someone /deploy-preview-now for me', {}, jobs)).toEqual(['preview']);
  });

  it('respects the anchors of an anchored trigger', async () => {
    expect(await select('/smoke now', {}, jobs)).toEqual([]);
    expect(await select('run /smoke', {}, jobs)).toEqual([]);
  });

  it('triggerMatches says which bodies a job answers', () => {
    const [smoke, preview] = jobs;
    const bodies = ['/smoke', 'x\n/smoke\ny', '/Smoke', '/smoke it'];
    expect(bodies.filter((body) => triggerMatches(smoke!, body))).toEqual(['/smoke', 'x\n/smoke\ny']);
    expect(triggerMatches(preview!, 'text /deploy-preview text')).toBe(true);
  });
});

describe('/test all', () => {
  it('starts always_run jobs and the filtered jobs the changes select, not explicit ones', async () => {
    const goChange = await select('/test all', { changedFiles: fixedChangedFiles(['pkg/server.go']) });
    expect(goChange).toEqual(['unit', 'unit-integration', 'lint']);
    const docsChange = await select('/test all', { changedFiles: fixedChangedFiles(['README.md']) });
    expect(docsChange).toEqual(['unit', 'unit-integration', 'docs-check']);
  });

  it('includes jobs restricted to the base branch only on that branch', async () => {
    const selected = await select('/test all', { baseRef: 'release-1.0' });
    expect(selected).toEqual(['unit', 'unit-integration', 'lint', 'release-only']);
  });

  it('accepts a trailing comma or trailing words, but not a longer word', async () => {
    expect(await select('/test all,')).toEqual(['unit', 'unit-integration', 'lint']);
    expect(await select('/test all please')).toEqual(['unit', 'unit-integration', 'lint']);
    expect(await select('/test allofthem')).toEqual([]);
    expect(await select('/test all-jobs')).toEqual([]);
  });

  it('adds explicitly named jobs: /test all e2e', async () => {
    expect(await select('/test all e2e')).toEqual(['unit', 'unit-integration', 'lint', 'e2e']);
  });

  it('combines with a /test command on another line', async () => {
    const selected = await select('/test e2e-optional\n/test all');
    expect(selected).toEqual(['unit', 'unit-integration', 'lint', 'e2e-optional']);
  });

  it('does not start anything when every job needs an explicit trigger', async () => {
    expect(await select('/test all', {}, presubmits('- name: a\n- name: b'))).toEqual([]);
  });

  it('lists the changed files once for several filtered jobs', async () => {
    const counter = countingFiles(['pkg/x.go']);
    await select('/test all', { changedFiles: changedFilesOnce(counter.provider) });
    expect(counter.calls()).toBe(1);
  });

  it('fails when the files are needed and cannot be listed', async () => {
    const changedFiles = failingFiles('no listing');
    await expect(select('/test all', { changedFiles })).rejects.toThrow('no listing');
  });

  it('is not recognised out of place', async () => {
    expect(await select('please /test all')).toEqual([]);
    expect(await select('/TEST ALL')).toEqual([]);
  });
});

describe('/retest and /retest-required', () => {
  // unit passed; e2e, lint and e2e-optional failed; unit-integration and docs-check never reported.
  const state = contexts(['e2e', 'lint', 'e2e-optional'], ['unit']);

  it('/retest reruns failed jobs and starts automatic jobs that never reported', async () => {
    const changedFiles = fixedChangedFiles(['README.md']);
    const selected = await select('/retest', { contexts: state, changedFiles });
    expect(selected).toEqual(['unit-integration', 'lint', 'docs-check', 'e2e', 'e2e-optional']);
  });

  it('/retest reruns a failed run_if_changed job even when the files no longer select it', async () => {
    const selected = await select('/retest', {
      contexts: contexts(['lint'], ['unit', 'unit-integration', 'docs-check']),
      changedFiles: fixedChangedFiles(['README.md']),
    });
    expect(selected).toEqual(['lint']);
  });

  it('/retest starts a never-reported filtered job only when the files select it', async () => {
    const ran = contexts([], ['unit', 'unit-integration']);
    const goChange = fixedChangedFiles(['pkg/a.go']);
    const docsChange = fixedChangedFiles(['docs/a.md']);
    expect(await select('/retest', { contexts: ran, changedFiles: goChange })).toEqual(['lint']);
    expect(await select('/retest', { contexts: ran, changedFiles: docsChange })).toEqual(['docs-check']);
  });

  it('/retest does not rerun passing or pending jobs, nor start explicit jobs that never ran', async () => {
    const selected = await select('/retest', {
      contexts: contexts([], ['unit', 'unit-integration', 'lint', 'docs-check']),
    });
    expect(selected).toEqual([]);
  });

  it('/retest matches jobs by their context, not by their name', async () => {
    const jobs = presubmits(`
- name: build
  context: ci/build
- name: test
  always_run: true
  context: ci/test
`);
    const byContext = contexts(['ci/build'], ['ci/test']);
    const byName = contexts(['build'], ['test']);
    expect(await select('/retest', { contexts: byContext }, jobs)).toEqual(['build']);
    expect(await select('/retest', { contexts: byName }, jobs)).toEqual(['test']);
  });

  it('/retest does not rerun a failed job on a branch it does not run on', async () => {
    const selected = await select('/retest', {
      contexts: contexts(['release-only'], ['unit', 'unit-integration', 'lint', 'docs-check']),
    });
    expect(selected).toEqual([]);
  });

  it('/retest-required reruns failed required jobs but not failed optional ones', async () => {
    const changedFiles = fixedChangedFiles(['README.md']);
    const selected = await select('/retest-required', { contexts: state, changedFiles });
    expect(selected).toEqual(['unit-integration', 'lint', 'docs-check', 'e2e']);
  });

  it('/retest-required does not start a never-run optional job either', async () => {
    const jobs = presubmits(`
- name: opt
  always_run: true
  optional: true
- name: req
  always_run: true
`);
    expect(await select('/retest-required', { contexts: contexts([], []) }, jobs)).toEqual(['req']);
    expect(await select('/retest', { contexts: contexts([], []) }, jobs)).toEqual(['opt', 'req']);
  });

  it('accepts trailing whitespace and a carriage return', async () => {
    const failedE2e = contexts(['e2e'], []);
    expect(await select('/retest \r', { contexts: failedE2e })).toContain('e2e');
    expect(await select('ok then\n/retest-required  \r\nbye', { contexts: failedE2e })).toContain('e2e');
  });

  it('does nothing with trailing words, another case, or text before it', async () => {
    const ask = (body: string) => select(body, { contexts: contexts(['e2e'], []) });
    expect(await ask('/retest e2e')).toEqual([]);
    expect(await ask('/retest please')).toEqual([]);
    expect(await ask('/Retest')).toEqual([]);
    expect(await ask('please /retest')).toEqual([]);
  });

  it('asks for the statuses only when the comment holds a retest command', async () => {
    let asked = 0;
    const spy = () => {
      asked += 1;
      return Promise.resolve({ failed: new Set<string>(), all: new Set<string>() });
    };
    await select('/test all\n/test e2e\n/ok-to-test', { contexts: spy, honorOkToTest: true });
    expect(asked).toBe(0);
    await select('/retest', { contexts: spy });
    expect(asked).toBeGreaterThan(0);
  });

  it('fails when the statuses cannot be read for a retest', async () => {
    const broken = () => Promise.reject(new Error('statuses unavailable'));
    await expect(select('/retest', { contexts: broken })).rejects.toThrow('statuses unavailable');
  });

  it('combines with /test all and /test <name> in one comment (union, config order)', async () => {
    const selected = await select('/test e2e-optional\n/test all\n/retest', {
      contexts: contexts(['e2e'], ['unit', 'unit-integration', 'lint']),
      changedFiles: fixedChangedFiles(['README.md']),
    });
    expect(selected).toEqual(['unit', 'unit-integration', 'docs-check', 'e2e', 'e2e-optional']);
  });
});

describe('/test-manual-required', () => {
  it('starts required jobs that need an explicit trigger, and nothing else', async () => {
    const changedFiles = fixedChangedFiles(['x.go', 'y.md']);
    expect(await select('/test-manual-required', { changedFiles })).toEqual(['e2e']);
  });

  it('still respects branches', async () => {
    const jobs = presubmits("- name: manual-release\n  branches: ['^release-']\n- name: manual-any");
    expect(await select('/test-manual-required', {}, jobs)).toEqual(['manual-any']);
  });

  it('does nothing with trailing words', async () => {
    expect(await select('/test-manual-required e2e')).toEqual([]);
  });
});

describe('/ok-to-test', () => {
  it('does nothing unless the caller honours it', async () => {
    expect(await select('/ok-to-test')).toEqual([]);
    expect(await select('/ok-to-test', { honorOkToTest: false })).toEqual([]);
  });

  it('when honoured, starts what /test all starts', async () => {
    const files = fixedChangedFiles(['README.md']);
    const okToTest = await select('/ok-to-test', { honorOkToTest: true, changedFiles: files });
    expect(okToTest).toEqual(await select('/test all', { changedFiles: files }));
    const amid = await select('looks safe\n/ok-to-test \r', { honorOkToTest: true, changedFiles: files });
    expect(amid).toEqual(['unit', 'unit-integration', 'docs-check']);
  });

  it('is not /ok-to-test cancel, nor /ok-to-test with text after it, nor text before it', async () => {
    expect(await select('/ok-to-test cancel', { honorOkToTest: true })).toEqual([]);
    expect(await select('/ok-to-test now', { honorOkToTest: true })).toEqual([]);
    expect(await select('not /ok-to-test', { honorOkToTest: true })).toEqual([]);
  });
});

describe('command regexps', () => {
  const cases: { name: string; regexp: { test(input: string): boolean }; yes: string[]; no: string[] }[] = [
    {
      name: 'TEST_ALL',
      regexp: TEST_ALL,
      yes: ['/test all', '/test all,', '/test all e2e', 'hi\n/test all\nbye', '/test all\r\n'],
      no: ['/test allx', '/test al', ' /test all', 'x /test all', '/Test all', '/test  all', '/test all,e2e'],
    },
    {
      name: 'RETEST',
      regexp: RETEST,
      yes: ['/retest', '/retest  ', '/retest \r', 'a\n/retest\nb'],
      no: ['/retest x', '/retest-required', ' /retest', '/RETEST', 'please /retest'],
    },
    {
      name: 'RETEST_REQUIRED',
      regexp: RETEST_REQUIRED,
      yes: ['/retest-required', '/retest-required \r\n', 'x\n/retest-required'],
      no: ['/retest', '/retest-required now', '/retest-requiredx'],
    },
    {
      name: 'TEST_MANUAL_REQUIRED',
      regexp: TEST_MANUAL_REQUIRED,
      yes: ['/test-manual-required', '/test-manual-required\t'],
      no: ['/test-manual-required e2e', '/test manual-required', 'go /test-manual-required'],
    },
    {
      name: 'OK_TO_TEST',
      regexp: OK_TO_TEST,
      yes: ['/ok-to-test', 'great\n/ok-to-test \r', '/ok-to-test\n/lgtm'],
      no: ['/ok-to-test cancel', 'not /ok-to-test', '/OK-TO-TEST', '/ok-to-testing'],
    },
    {
      name: 'OK_TO_TEST_CANCEL',
      regexp: OK_TO_TEST_CANCEL,
      yes: ['/ok-to-test cancel', '/ok-to-test   cancel  ', 'x\n/ok-to-test cancel\r\ny'],
      no: ['/ok-to-test', '/ok-to-test cancelled', '/ok-to-testcancel', ' /ok-to-test cancel'],
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name} matches exactly the commands Prow's regexp does`, () => {
      expect(testCase.yes.filter((body) => !testCase.regexp.test(body))).toEqual([]);
      expect(testCase.no.filter((body) => testCase.regexp.test(body))).toEqual([]);
    });
  }
});

describe('availablePresubmits (what /test ? lists)', () => {
  it('lists /test all jobs by name, and the commands of required and optional jobs', async () => {
    const available = await availablePresubmits(JOBS, 'master', fixedChangedFiles(['README.md']));
    expect(available).toEqual({
      testAll: ['docs-check', 'unit', 'unit-integration'],
      required: ['/test docs-check', '/test e2e', '/test lint', '/test unit', '/test unit-integration'],
      optional: ['/test e2e-optional'],
    });
  });

  it('adds jobs restricted to the base branch on that branch', async () => {
    const available = await availablePresubmits(JOBS, 'release-1.0', fixedChangedFiles(['pkg/a.go']));
    expect(available.testAll).toEqual(['lint', 'release-only', 'unit', 'unit-integration']);
    expect(available.required).toContain('/test release-only');
  });

  it('lists a rerun command shared by several jobs once, and custom commands as written', async () => {
    const jobs = presubmits(`
- name: first
  always_run: true
  trigger: /rerun_command
  rerun_command: /rerun_command
- name: second
  always_run: true
  trigger: /command_foo
  rerun_command: /command_foo
- name: third
  trigger: /rerun_command
  rerun_command: /rerun_command
`);
    const available = await availablePresubmits(jobs, 'master', fixedChangedFiles([]));
    expect(available).toEqual({
      testAll: ['first', 'second'],
      required: ['/command_foo', '/rerun_command'],
      optional: [],
    });
  });

  it('lists nothing when no job can run on the branch', async () => {
    const jobs = presubmits("- name: rel\n  always_run: true\n  branches: ['^release-']");
    expect(await availablePresubmits(jobs, 'master', fixedChangedFiles([]))).toEqual({
      testAll: [],
      required: [],
      optional: [],
    });
  });

  it('does not list the files when no job on the branch needs them', async () => {
    const counter = countingFiles(['x']);
    const jobs = presubmits('- name: a\n  always_run: true\n- name: b');
    await availablePresubmits(jobs, 'master', counter.provider);
    expect(counter.calls()).toBe(0);
  });
});

describe('unmatchedTestCommands (what to answer with the job list)', () => {
  it('reports /test ? and a bare /test', () => {
    expect(unmatchedTestCommands(JOBS, '/test ?')).toEqual(['/test ?']);
    expect(unmatchedTestCommands(JOBS, '/test')).toEqual(['/test']);
    expect(unmatchedTestCommands(JOBS, '/test   ')).toEqual(['/test']);
  });

  it('reports /test? without a space, which Prow also answers with the job list', () => {
    expect(unmatchedTestCommands(JOBS, '/test?')).toEqual(['/test?']);
  });

  it('reports a bare /test followed by a question mark on the next line as a bare /test', () => {
    expect(unmatchedTestCommands(JOBS, '/test \r\n?')).toEqual(['/test']);
  });

  it('reports a /test of names no job answers', () => {
    expect(unmatchedTestCommands(JOBS, '/test FOO')).toEqual(['/test FOO']);
    const body = 'hello\n/test nosuchjob other\nbye';
    expect(unmatchedTestCommands(JOBS, body)).toEqual(['/test nosuchjob other']);
  });

  it('reports nothing for a /test of a known job, /test all, or text without commands', () => {
    expect(unmatchedTestCommands(JOBS, '/test e2e')).toEqual([]);
    expect(unmatchedTestCommands(JOBS, '/test unknown e2e')).toEqual([]);
    expect(unmatchedTestCommands(JOBS, '/test all')).toEqual([]);
    expect(unmatchedTestCommands(JOBS, '/test all, e2e')).toEqual([]);
    expect(unmatchedTestCommands(JOBS, 'just a comment')).toEqual([]);
  });

  it('ignores commands that do not start their line or have another case', () => {
    expect(unmatchedTestCommands(JOBS, 'please /test ?')).toEqual([]);
    expect(unmatchedTestCommands(JOBS, '/TEST FOO')).toEqual([]);
  });

  it('reports each unmatched /test line of a comment', () => {
    expect(unmatchedTestCommands(JOBS, '/test ?\n/test e2e\n/test nope')).toEqual(['/test ?', '/test nope']);
  });

  it('does not count a prefix of a job name as naming it', () => {
    expect(unmatchedTestCommands(JOBS, '/test uni')).toEqual(['/test uni']);
    expect(unmatchedTestCommands([presubmit('- name: e2e-long')], '/test e2e')).toEqual(['/test e2e']);
  });
});
