import { describe, expect, it } from 'vitest';
import type { PoolAction, PoolDecision, PoolRun, PullVerdict } from '../../../shared/tide/model';
import { prowPolicy } from '../../../shared/tide/prow-policy';
import { BASE, batchRun, headOf, jobs, OLD_BASE, passing, poolState, pull, run } from '../../support/tide-state';

/**
 * Prow's merge pool, scenario by scenario. The scenarios are those of Prow's pkg/tide/tide_test.go
 * (TestFilterSubpool, TestAccumulate, TestAccumulateBatch, TestTakeAction, TestPickBatch,
 * TestPickBatchPrefersBatchesWithPreexistingJobs and the serial-retest tests), restated as whole
 * pool states and asserted on what the sync does and what each PR's verdict says.
 */

function action(decision: PoolDecision): PoolAction {
  expect(decision.actions).toHaveLength(1);
  return decision.actions[0] as PoolAction;
}

function verdict(decision: PoolDecision, number: number): PullVerdict {
  const found = decision.verdicts.find((v) => v.number === number);
  if (!found) throw new Error(`no verdict for #${number}`);
  return found;
}

/** Prow's accumulate buckets, with the PR being merged counted as the success it is. */
function bucketsOf(decision: PoolDecision): Record<string, number[]> {
  const buckets: Record<string, number[]> = {};
  for (const v of decision.verdicts) {
    const bucket = v.state === 'merging' ? 'success' : v.state;
    (buckets[bucket] ??= []).push(v.number);
  }
  for (const numbers of Object.values(buckets)) numbers.sort((a, b) => a - b);
  return buckets;
}

function summarize(a: PoolAction): string {
  switch (a.kind) {
    case 'merge':
      return `${a.batch ? 'MergeBatch' : 'Merge'} ${a.pulls.map((p) => p.number).join(',')}`;
    case 'trigger':
      return a.runs.map((r) => `${r.type === 'batch' ? 'TriggerBatch' : 'Trigger'} ${r.pulls.map((p) => p.number).join(',')} [${r.jobs.join(',')}]`).join('; ');
    case 'blocked':
      return `PoolBlocked ${a.blockers.join(',')}`;
    case 'cancel':
      return `Cancel ${a.runIds.join(',')}`;
    case 'wait':
      return 'Wait';
  }
}

describe('filterSubpool: which PRs are in the pool', () => {
  // TestFilterSubpool's pool: PR 1 runs pj-a, PR 2 runs pj-a and pj-b.
  const contextPolicy = { requiredContexts: ['pj-a', 'pj-b', 'other-a'], requiredIfPresentContexts: [], optionalContexts: ['tide', 'pj-c'], skipUnknownContexts: true };
  const requiredJobs = { 1: jobs('pj-a'), 2: jobs('pj-a', 'pj-b') };
  const allPassing = () => passing('pj-a', 'pj-b', 'other-a');

  it.each([
    { name: 'a mergeable PR with every required context passing (an optional one absent)', pulls: [pull(1, { contexts: allPassing() })], inPool: [1] },
    { name: 'a PR with a merge conflict', pulls: [pull(1, { contexts: allPassing(), mergeable: 'conflicting' })], inPool: [] },
    {
      name: 'a pending context that is not one of its Prow jobs',
      pulls: [pull(2, { contexts: [...passing('pj-a', 'pj-b'), { context: 'other-a', state: 'pending' }] })],
      inPool: [],
    },
    {
      name: 'a pending context of its own Prow job (Tide may be retesting it)',
      pulls: [pull(2, { contexts: [...passing('pj-a', 'other-a'), { context: 'pj-b', state: 'pending' }] })],
      inPool: [2],
    },
    {
      name: 'a failing context of its own Prow job',
      pulls: [pull(2, { contexts: [...passing('pj-a', 'other-a'), { context: 'pj-b', state: 'failure' }] })],
      inPool: [],
    },
    { name: 'a required context missing', pulls: [pull(2, { contexts: passing('pj-b', 'other-a') })], inPool: [] },
    {
      name: 'a failing unknown context when unknown contexts are skipped',
      pulls: [pull(2, { contexts: [...allPassing(), { context: 'unknown', state: 'failure' }] })],
      inPool: [2],
    },
    {
      name: "one PR failing a required context that is not a Prow job, the other passing",
      pulls: [
        pull(1, { contexts: [...passing('pj-a', 'pj-b'), { context: 'other-a', state: 'failure' }] }),
        pull(2, { contexts: [...allPassing(), ...passing('unknown')] }),
      ],
      inPool: [2],
    },
    { name: 'two passing PRs', pulls: [pull(1, { contexts: allPassing() }), pull(2, { contexts: allPassing() })], inPool: [1, 2] },
    {
      name: "a failing `tide` context (the pool's own status) and a failing optional one",
      pulls: [pull(1, { contexts: [...allPassing(), { context: 'tide', state: 'failure' }, { context: 'pj-c', state: 'error' }] })],
      inPool: [1],
    },
    { name: 'a draft', pulls: [pull(1, { contexts: allPassing(), draft: true })], inPool: [] },
    { name: 'a PR whose merge method labels contradict each other', pulls: [pull(1, { contexts: allPassing(), mergeMethodProblem: 'PR has conflicting merge method override labels' })], inPool: [] },
    { name: "a PR GitHub's branch protection blocks", pulls: [pull(1, { contexts: allPassing(), mergeBlockedByGitHub: true })], inPool: [] },
    { name: 'a PR whose mergeability GitHub has not computed yet', pulls: [pull(1, { contexts: allPassing(), mergeable: 'unknown' })], inPool: [1] },
  ])('$name', ({ pulls, inPool }) => {
    const decision = prowPolicy(poolState({ pulls, contextPolicy, requiredJobs }));
    const ranked = decision.verdicts.filter((v) => v.rank !== undefined).map((v) => v.number);
    expect(ranked).toEqual(inPool);
    for (const v of decision.verdicts) {
      if (!inPool.includes(v.number)) {
        expect(['excluded', 'failure']).toContain(v.state);
        expect(v.reasons.length).toBeGreaterThan(0);
      }
    }
  });

  it('says why each PR is out, in full and in the status', () => {
    const decision = prowPolicy(
      poolState({
        contextPolicy,
        requiredJobs,
        pulls: [
          pull(1, { contexts: allPassing(), mergeable: 'conflicting' }),
          pull(2, { contexts: [...passing('pj-a', 'other-a'), { context: 'pj-b', state: 'failure', description: 'Job failed.' }] }),
          pull(3, { contexts: [...passing('pj-a', 'pj-b'), { context: 'other-a', state: 'pending' }] }),
          pull(4, { contexts: passing('pj-b', 'other-a') }),
        ],
      }),
    );
    expect(verdict(decision, 1)).toMatchObject({
      state: 'excluded',
      summary: 'Not mergeable. PR has a merge conflict.',
      statusState: 'error',
      reasons: ['GitHub reports a merge conflict with main: the PR must be rebased.'],
    });
    expect(verdict(decision, 2)).toMatchObject({
      state: 'failure',
      summary: 'Not mergeable. Job pj-b has not succeeded.',
      statusState: 'pending',
      reasons: ['Context pj-b is failing on head head-2 ("Job failed.").'],
    });
    expect(verdict(decision, 3).state).toBe('excluded');
    expect(verdict(decision, 3).summary).toBe('Not mergeable. Job other-a has not succeeded.');
    expect(verdict(decision, 3).reasons[0]).toBe(
      'Context other-a is pending on head head-3 and is not one of its Prow jobs, so Tide cannot retest it or wait for it: it must pass first.',
    );
    expect(verdict(decision, 4)).toMatchObject({ state: 'excluded', summary: 'Not mergeable. Job pj-a has not succeeded.', reasons: ['Required context pj-a has not been reported on head head-4.'] });
    expect(action(decision)).toEqual({ kind: 'wait', reason: expect.stringContaining('No PR is in the merge pool') });
  });
});

describe('accumulate: results counted only at this base and head', () => {
  // TestAccumulate's first case: PRs 1-7 each require job1 and job2.
  it('takes the best result of each job and the worst over the jobs', () => {
    const runs = [
      run('job1', 'pending', { pulls: [2] }),
      run('job1', 'pending', { pulls: [3] }),
      run('job2', 'triggered', { pulls: [3] }),
      run('job1', 'failure', { pulls: [4] }),
      run('job2', 'pending', { pulls: [4] }),
      run('job1', 'pending', { pulls: [5] }),
      run('job2', 'failure', { pulls: [5] }),
      run('job2', 'pending', { pulls: [5] }),
      run('job1', 'success', { pulls: [6] }),
      run('job2', 'pending', { pulls: [6] }),
      run('job1', 'success', { pulls: [7] }),
      run('job2', 'success', { pulls: [7] }),
      run('job1', 'failure', { pulls: [7] }),
    ];
    const decision = prowPolicy(poolState({ pulls: [1, 2, 3, 4, 5, 6, 7].map((n) => pull(n)), required: jobs('job1', 'job2'), runs }));
    expect(bucketsOf(decision)).toEqual({ success: [7], pending: [3, 5, 6], missing: [1, 2, 4] });
    expect(verdict(decision, 4).jobs).toEqual([
      { job: 'job1', context: 'job1', state: 'failure', runId: runs[3]?.id },
      { job: 'job2', context: 'job2', state: 'pending', runId: runs[4]?.id },
    ]);
  });

  it.each([
    {
      name: 'a job that failed again after passing still passed (the best result counts)',
      runs: ['job1:success', 'job2:failure', 'job3:failure', 'job4:failure', 'job2:success', 'job3:success', 'job4:success', 'job1:failure'],
      bucket: 'success',
    },
    { name: 'a job that never passed makes the PR missing', runs: ['job1:success', 'job2:success', 'job3:success', 'job4:failure', 'job4:failure'], bucket: 'missing' },
    { name: 'all failing', runs: ['job1:failure', 'job2:failure', 'job3:failure', 'job4:failure'], bucket: 'missing' },
    { name: 'one job still running, the others passed', runs: ['job1:success', 'job2:success', 'job3:success', 'job4:failure', 'job4:pending'], bucket: 'pending' },
  ])('$name', ({ runs, bucket }) => {
    const pool = poolState({
      pulls: [pull(7)],
      required: jobs('job1', 'job2', 'job3', 'job4'),
      runs: runs.map((spec) => {
        const [job = '', state = ''] = spec.split(':');
        return run(job, state as PoolRun['state'], { pulls: [7] });
      }),
    });
    expect(bucketsOf(prowPolicy(pool))).toEqual({ [bucket]: [7] });
  });

  it('counts a run only at the PR’s current head and the pool’s current base', () => {
    const decision = prowPolicy(
      poolState({
        pulls: [pull(7, { headSha: 'new-7' }), pull(8, { headSha: 'new-8' }), pull(9)],
        required: jobs('job1'),
        runs: [
          run('job1', 'success', { pulls: [{ number: 7, sha: 'old-7' }] }),
          run('job1', 'failure', { pulls: [{ number: 7, sha: 'new-7' }] }),
          run('job1', 'failure', { pulls: [{ number: 8, sha: 'old-8' }] }),
          run('job1', 'success', { pulls: [{ number: 8, sha: 'new-8' }] }),
          run('job1', 'success', { pulls: [9], base: OLD_BASE }),
        ],
      }),
    );
    expect(bucketsOf(decision)).toEqual({ success: [8], missing: [7, 9] });
    expect(verdict(decision, 9).reasons[0]).toBe(`Job job1 has not run at base ${BASE.slice(0, 7)} with head head-9.`);
  });

  it('treats PRs without required jobs as passing', () => {
    expect(bucketsOf(prowPolicy(poolState({ pulls: [pull(7), pull(8)] })))).toEqual({ success: [7, 8] });
  });

  describe('results kept in status descriptions (the ProwJob may be gone)', () => {
    const described = (state: 'success' | 'failure', base: string) => ({ context: 'job1', state, description: `Job succeeded. BaseSHA:${base}` });
    it.each([
      { name: 'a successful context naming this base counts as a pass', context: described('success', BASE), runs: [], bucket: 'success' },
      { name: 'one naming another base does not', context: described('success', OLD_BASE), runs: [], bucket: 'missing' },
      { name: 'a failed context naming this base is no result', context: described('failure', BASE), runs: [], bucket: 'failure' },
      { name: 'a successful context beats a failed run', context: described('success', BASE), runs: [run('job1', 'failure', { pulls: [1] })], bucket: 'success' },
      { name: 'a skip-retest success passes at any base', context: { context: 'job1', state: 'success' as const, description: 'Passed [prow:skip-retest]' }, runs: [], bucket: 'success' },
    ])('$name', ({ context, runs, bucket }) => {
      const decision = prowPolicy(poolState({ pulls: [pull(1, { contexts: [context] })], required: jobs('job1'), runs }));
      expect(bucketsOf(decision)).toEqual({ [bucket]: [1] });
    });

    it('mixes results from contexts and runs', () => {
      const decision = prowPolicy(
        poolState({ pulls: [pull(1, { contexts: [described('success', BASE)] })], required: jobs('job1', 'job2'), runs: [run('job2', 'success', { pulls: [1] })] }),
      );
      expect(action(decision)).toMatchObject({ kind: 'merge', pulls: [{ number: 1, sha: headOf(1) }] });
    });
  });
});

describe('accumulateBatch: batches at this base, by their exact pulls', () => {
  const fooBarBaz = jobs('foo', 'bar', 'baz');
  const allJobs = (state: PoolRun['state'], pulls: number[]) => ['foo', 'bar', 'baz'].map((job) => batchRun(job, state, pulls));

  it.each([
    { name: 'a batch of one PR whose every job passed merges', runs: allJobs('success', [2]), expected: 'MergeBatch 2' },
    { name: 'a passing batch of two', runs: allJobs('success', [1, 2]), expected: 'MergeBatch 1,2' },
    {
      name: 'a passing batch despite earlier failures of the same batch and of one at an old head',
      runs: [
        ...allJobs('success', [1, 2]),
        batchRun('foo', 'failure', [1, 2]),
        batchRun('baz', 'failure', [1, 2]),
        batchRun('foo', 'failure', [{ number: 1, sha: 'c' }, 2]),
      ],
      expected: 'MergeBatch 1,2',
    },
    {
      name: 'a passing batch while another is pending (the passing one merges)',
      runs: [batchRun('foo', 'pending', [1]), batchRun('bar', 'success', [1]), batchRun('baz', 'success', [1]), ...allJobs('success', [2])],
      expected: 'MergeBatch 2',
    },
    {
      name: 'a passing batch with a PR that left the pool is ignored; a pending one too',
      pulls: [pull(2)],
      runs: [batchRun('foo', 'pending', [1, 2]), ...allJobs('success', [1, 2]), run('foo', 'success', { pulls: [2] }), run('bar', 'success', { pulls: [2] }), run('baz', 'success', { pulls: [2] })],
      expected: 'Merge 2',
    },
  ])('$name', ({ runs, pulls, expected }) => {
    const decision = prowPolicy(poolState({ pulls: pulls ?? [pull(1), pull(2)], required: fooBarBaz, runs }));
    expect(summarize(action(decision))).toBe(expected);
  });

  it('does not merge a batch missing a job that one of its PRs alone requires', () => {
    const decision = prowPolicy(
      poolState({ pulls: [pull(1), pull(2)], requiredJobs: { 1: fooBarBaz, 2: [...fooBarBaz, ...jobs('boo')] }, runs: allJobs('success', [1, 2]) }),
    );
    // Prow retries that batch on the job it lacks.
    expect(summarize(action(decision))).toBe('TriggerBatch 1,2 [boo]');
    const withBoo = prowPolicy(
      poolState({ pulls: [pull(1), pull(2)], requiredJobs: { 1: fooBarBaz, 2: [...fooBarBaz, ...jobs('boo')] }, runs: [...allJobs('success', [1, 2]), batchRun('boo', 'success', [1, 2])] }),
    );
    expect(summarize(action(withBoo))).toBe('MergeBatch 1,2');
  });

  it('holds serial merges while a batch runs, and names the batch', () => {
    const decision = prowPolicy(
      poolState({
        pulls: [pull(1), pull(2), pull(3)],
        required: jobs('foo'),
        runs: [batchRun('foo', 'pending', [1, 2]), run('foo', 'success', { pulls: [3] })],
      }),
    );
    expect(action(decision)).toEqual({ kind: 'wait', reason: `Waiting for batch #1, #2 to finish at base ${BASE.slice(0, 7)}; #3 passed but merging now would waste the batch's result.` });
    expect(verdict(decision, 3).state).toBe('success');
    expect(verdict(decision, 3).reasons).toContain('Waiting for batch #1, #2 to finish: merging now would move the base under it and waste its result.');
    expect(verdict(decision, 1).reasons).toContain(`It is in batch #1, #2, still running at base ${BASE.slice(0, 7)}.`);
  });
});

describe('takeAction: one action per sync, in Prow’s order', () => {
  const foo = jobs('foo');
  /** A pool of the given PR numbers in Prow's buckets (serial results at this base). */
  function buckets(spec: { successes?: number[]; pendings?: number[]; nones?: number[]; batchPending?: number[]; batchMerges?: number[] }) {
    const { successes = [], pendings = [], nones = [], batchPending = [], batchMerges = [] } = spec;
    const numbers = [...new Set([...successes, ...pendings, ...nones, ...batchPending, ...batchMerges])];
    const runs = [
      ...successes.map((n) => run('foo', 'success', { pulls: [n] })),
      ...pendings.map((n) => run('foo', 'pending', { pulls: [n], createdByTide: true })),
      ...(batchPending.length > 0 ? [batchRun('foo', 'pending', batchPending)] : []),
      ...(batchMerges.length > 0 ? [batchRun('foo', 'success', batchMerges)] : []),
    ];
    return poolState({ pulls: numbers.map((n) => pull(n)), required: foo, runs });
  }

  it.each([
    { name: 'pending batch, pending serial: nothing to do', pool: buckets({ batchPending: [0, 2], pendings: [1] }), expected: 'Wait' },
    { name: 'pending batch, successful serial: no merge under a running batch', pool: buckets({ batchPending: [0, 2], successes: [1] }), expected: 'Wait' },
    { name: 'pending batch, only missing PRs: retest one serially', pool: buckets({ batchPending: [0, 1, 2] }), expected: 'Trigger 0 [foo]' },
    { name: 'no pending batch: start a batch of the missing PRs', pool: buckets({ pendings: [0], nones: [1, 2, 3] }), expected: 'TriggerBatch 0,1,2,3 [foo]' },
    { name: 'one PR: no batch, a serial retest', pool: buckets({ nones: [0] }), expected: 'Trigger 0 [foo]' },
    { name: 'a passing PR merges', pool: buckets({ successes: [0], nones: [1, 2, 3] }), expected: 'Merge 0' },
    { name: 'a passing batch merges before a passing PR', pool: buckets({ successes: [0, 1], pendings: [2, 3], nones: [4, 5], batchMerges: [6, 7, 8] }), expected: 'MergeBatch 6,7,8' },
    { name: 'no jobs at all: merge the lowest number', pool: poolState({ pulls: [pull(5), pull(4)] }), expected: 'Merge 4' },
    { name: 'no PRs: wait', pool: poolState(), expected: 'Wait' },
  ])('$name', ({ pool, expected }) => {
    expect(summarize(action(prowPolicy(pool)))).toBe(expected);
  });

  it('runs only the jobs a PR needs that have not passed or are not running', () => {
    const pool = poolState({ pulls: [pull(1)], required: jobs('foo', 'bar', 'baz'), runs: [run('foo', 'success'), run('bar', 'failure')] });
    const decision = prowPolicy(pool);
    expect(action(decision)).toEqual({
      kind: 'trigger',
      runs: [{ type: 'presubmit', baseSha: BASE, pulls: [{ number: 1, sha: headOf(1) }], jobs: ['bar', 'baz'] }],
      reason: `Retesting #1 at base ${BASE.slice(0, 7)}: jobs bar, baz have not passed there.`,
    });
    expect(verdict(decision, 1).reasons).toEqual([
      `Job bar failed at base ${BASE.slice(0, 7)} with head head-1; Tide retests it.`,
      `Job baz has not run at base ${BASE.slice(0, 7)} with head head-1.`,
      `Tide is retesting it now at base ${BASE.slice(0, 7)} (bar, baz).`,
    ]);
  });

  it('creates one job per context: shards reporting one context run once', () => {
    const pool = poolState({ pulls: [pull(1)], required: [{ job: 'e2e-shard-1', context: 'e2e' }, { job: 'e2e-shard-2', context: 'e2e' }] });
    expect(summarize(action(prowPolicy(pool)))).toBe('Trigger 1 [e2e-shard-1]');
  });

  describe('a batch already tested at this base (nonFailedBatchForJobAndRefsExists)', () => {
    const fooBar = jobs('foo', 'bar');
    const pulls = [pull(1), pull(2), pull(3)];
    it.each([
      { name: 'its running job is not started again', state: 'pending' as const, expected: 'TriggerBatch 1,3,2 [foo]' },
      { name: 'its passed job is not started again', state: 'success' as const, expected: 'TriggerBatch 1,3,2 [foo]' },
      { name: 'its failed job runs again in a new batch', state: 'failure' as const, expected: 'TriggerBatch 1,2,3 [foo,bar]' },
    ])('$name', ({ state, expected }) => {
      const pool = poolState({ pulls, required: fooBar, runs: [batchRun('bar', state, [1, 3, 2])] });
      expect(summarize(action(prowPolicy(pool)))).toBe(expected);
    });
  });

  it('blocks the pool while a blocker issue is open, and says so on every PR', () => {
    const decision = prowPolicy(
      poolState({
        pulls: [pull(1), pull(2, { mergeable: 'conflicting' }), pull(3, { contexts: [{ context: 'unit', state: 'failure' }] })],
        blockers: [
          { number: 123, title: 'Release freeze', url: 'https://github.com/acme/widgets/issues/123' },
          { number: 456, title: 'CI is broken', url: 'https://github.com/acme/widgets/issues/456' },
        ],
      }),
    );
    expect(action(decision)).toEqual({ kind: 'blocked', blockers: [123, 456], reason: 'Merging is blocked by issues #123 (Release freeze), #456 (CI is broken).' });
    expect(verdict(decision, 1)).toMatchObject({ state: 'success', summary: 'Not mergeable. Merging is blocked by issues 123, 456.', statusState: 'error' });
    expect(verdict(decision, 1).reasons[0]).toBe('Merging is blocked by issue #123 (Release freeze), issue #456 (CI is broken); Tide merges nothing in main until they are closed.');
    // GitHub's refusal comes first, then the blocker, then the failing jobs (Prow's expectedStatus).
    expect(verdict(decision, 2).summary).toBe('Not mergeable. PR has a merge conflict.');
    expect(verdict(decision, 3).summary).toBe('Not mergeable. Merging is blocked by issues 123, 456.');
  });

  it('merges only a passing PR whose head contexts all passed (isPassingTests)', () => {
    const pool = poolState({
      pulls: [pull(1, { contexts: [{ context: 'foo', state: 'pending' }] }), pull(2, { contexts: passing('foo') })],
      required: jobs('foo'),
      runs: [run('foo', 'success', { pulls: [1] }), run('foo', 'success', { pulls: [2] })],
    });
    const decision = prowPolicy(pool);
    expect(summarize(action(decision))).toBe('Merge 2');
    expect(verdict(decision, 1).reasons).toContain('Its head shows foo not passed yet; Tide merges only a PR whose head contexts all passed.');
  });
});

describe('pickHighestPriorityPR: which passing PR merges first', () => {
  const priority = [
    { labels: ['kind/failing-test'] },
    { labels: ['area/deflake'] },
    { labels: ['kind/bug', 'priority/critical-urgent'] },
    { labels: ['kind/feature,kind/enhancement,kind/undefined'] },
  ];

  it('merges the highest priority, and tells the others why not', () => {
    const pulls = [pull(5), pull(3), pull(6, { labels: ['kind/bug'] }), pull(7, { labels: ['area/deflake'] }), pull(9, { labels: ['kind/failing-test'] }), pull(10, { labels: ['kind/bug', 'priority/critical-urgent'] })];
    const decision = prowPolicy(poolState({ pulls, settings: { batchSizeLimit: 0, priority, policy: 'tide' } }));
    expect(summarize(action(decision))).toBe('Merge 9');
    expect(verdict(decision, 9)).toMatchObject({ state: 'merging', rank: 1, reasons: [] });
    expect(decision.verdicts.map((v) => v.number)).toEqual([9, 7, 10, 3, 5, 6]);
    expect(verdict(decision, 7).reasons).toEqual(['PR #9 was chosen first (higher priority); once it merges, the base moves and this PR needs its jobs again there.']);
    expect(verdict(decision, 5).reasons[0]).toMatch(/^PR #9 was chosen first \(higher priority\)/);
  });

  it('among equals, the lowest number', () => {
    const decision = prowPolicy(poolState({ pulls: [pull(7, { labels: ['area/deflake'] }), pull(6, { labels: ['area/deflake'] }), pull(1, { labels: ['area/deflake'] })], settings: { batchSizeLimit: 0, priority, policy: 'tide' } }));
    expect(summarize(action(decision))).toBe('Merge 1');
    expect(verdict(decision, 6).reasons[0]).toMatch(/^PR #1 was chosen first \(lower number\)/);
  });

  it('retests the highest-priority missing PR serially', () => {
    const decision = prowPolicy(
      poolState({ pulls: [pull(3), pull(8, { labels: ['kind/failing-test'] })], required: jobs('foo'), settings: { batchSizeLimit: -1, priority, policy: 'tide' } }),
    );
    expect(summarize(action(decision))).toBe('Trigger 8 [foo]');
    expect(verdict(decision, 3).reasons).toContain('PR #8 was chosen for the serial retest first (higher priority).');
  });
});

describe('pickBatch: which PRs are tested together', () => {
  it('takes the oldest PRs whose heads passed, up to batch_size_limit (TestPickBatch)', () => {
    const ok = () => passing('my-presubmit');
    const pool = poolState({
      pulls: [
        pull(1, { contexts: ok() }),
        pull(2, { contexts: ok() }),
        // A trial merge would find this one conflicting; GitHub already says so.
        pull(3, { contexts: ok(), mergeable: 'conflicting' }),
        pull(4, { contexts: ok() }),
        pull(5, { contexts: ok() }),
        // Its context is pending from a run someone else started: not a candidate.
        pull(6, { contexts: [{ context: 'my-presubmit', state: 'pending' }] }),
        pull(7, { contexts: [{ context: 'my-presubmit', state: 'failure' }] }),
        pull(8, { contexts: ok() }),
        pull(9, { contexts: ok() }),
      ],
      required: jobs('my-presubmit'),
      runs: [run('my-presubmit', 'pending', { pulls: [6] })],
      settings: { batchSizeLimit: 5, priority: [{ labels: ['urgent'] }], policy: 'tide' },
    });
    const decision = prowPolicy(pool);
    expect(summarize(action(decision))).toBe('TriggerBatch 1,2,4,5,8 [my-presubmit]');
    expect(verdict(decision, 9).reasons).toContain('Not in batch #1, #2, #4, #5, #8: a batch holds at most 5 PRs, taken in PR-number order.');
    expect(verdict(decision, 6).reasons).toContain('It cannot join a batch or be retested while my-presubmit on its head is pending from a run Tide did not start.');
    expect(verdict(decision, 1).reasons).toContain(`Tide is starting batch #1, #2, #4, #5, #8 with it at base ${BASE.slice(0, 7)} (my-presubmit).`);
  });

  it('starts no batch when batches are disabled (negative limit)', () => {
    const pool = poolState({ pulls: [pull(1), pull(2)], required: jobs('foo'), settings: { batchSizeLimit: -1, priority: [], policy: 'tide' } });
    expect(summarize(action(prowPolicy(pool)))).toBe('Trigger 1 [foo]');
  });

  describe('an existing batch at this base is tried again (pickBatchWithPreexistingTests)', () => {
    // Each batch passed foo and failed bar, so none passes and Prow picks one to retry on bar.
    const fooBar = jobs('foo', 'bar');
    const fivePulls = () => [1, 2, 3, 4, 5].map((n) => pull(n));
    const partlyFailed = (pulls: (number | { number: number; sha: string })[], extraFoo = 0) => [
      batchRun('foo', 'success', pulls),
      ...Array.from({ length: extraFoo }, () => batchRun('foo', 'success', pulls)),
      batchRun('bar', 'failure', pulls),
    ];

    it.each([
      { name: 'a partly failed batch is retried on its failed job only', runs: partlyFailed([1, 2, 3, 4]), expected: 'TriggerBatch 1,2,3,4 [bar]' },
      {
        name: 'not when one of its PRs is no longer a candidate',
        pulls: [pull(1, { contexts: [{ context: 'foo', state: 'pending' }] }), ...[2, 3, 4, 5].map((n) => pull(n))],
        runs: [...partlyFailed([1, 2, 3, 4]), run('foo', 'pending', { pulls: [1] })],
        expected: 'TriggerBatch 2,3,4,5 [foo,bar]',
      },
      { name: 'not when it is bigger than the limit', runs: partlyFailed([1, 2, 3, 4]), limit: 3, expected: 'TriggerBatch 1,2,3 [foo,bar]' },
      { name: 'not when one of its PRs has a new head', runs: partlyFailed([{ number: 1, sha: 'old' }, 2, 3, 4]), expected: 'TriggerBatch 1,2,3,4,5 [foo,bar]' },
      { name: 'not when every job of it failed', runs: [batchRun('foo', 'failure', [1, 2, 3, 4]), batchRun('bar', 'failure', [1, 2, 3, 4])], expected: 'TriggerBatch 1,2,3,4,5 [foo,bar]' },
      {
        name: 'a batch with passed jobs before one with running jobs',
        runs: [...partlyFailed([1, 2]), batchRun('foo', 'pending', [3, 4])],
        expected: 'TriggerBatch 1,2 [bar]',
      },
      { name: 'the batch with the most passed jobs', runs: [...partlyFailed([1, 2, 3, 4]), ...partlyFailed([3, 4], 1)], expected: 'TriggerBatch 3,4 [bar]' },
      {
        name: 'the batch with the most running jobs when none passed',
        runs: [batchRun('foo', 'pending', [1, 2, 3, 4]), batchRun('bar', 'failure', [1, 2, 3, 4]), batchRun('foo', 'pending', [3, 4]), batchRun('foo', 'pending', [3, 4]), batchRun('bar', 'failure', [3, 4])],
        expected: 'TriggerBatch 3,4 [bar]',
      },
    ])('$name', ({ pulls, runs, limit, expected }) => {
      const pool = poolState({ pulls: pulls ?? fivePulls(), required: fooBar, runs, settings: { batchSizeLimit: limit ?? 0, priority: [], policy: 'tide' } });
      expect(summarize(action(prowPolicy(pool)))).toBe(expected);
    });

    it('says which batch is retried and why the others wait', () => {
      const decision = prowPolicy(poolState({ pulls: fivePulls(), required: fooBar, runs: partlyFailed([1, 2, 3, 4]) }));
      expect(action(decision).reason).toBe(`Retrying batch #1, #2, #3, #4 at base ${BASE.slice(0, 7)} (job bar).`);
      expect(verdict(decision, 2).reasons).toContain(`Batch #1, #2, #3, #4 failed job bar at base ${BASE.slice(0, 7)}.`);
      expect(verdict(decision, 5).reasons).toContain('Not in batch #1, #2, #3, #4: Tide finishes a batch it already tested before it starts another.');
    });
  });

  it('counts a PR Tide is retesting serially as a batch candidate', () => {
    // TestBatchPickingConsidersPRThatIsCurrentlyBeingSeriallyRetested
    const pool = poolState({
      pulls: [pull(1, { contexts: [{ context: 'mandatory-job', state: 'pending' }] }), pull(2, { contexts: passing('mandatory-job') })],
      required: jobs('mandatory-job'),
      contextPolicy: { requiredContexts: ['mandatory-job'], requiredIfPresentContexts: [], optionalContexts: [], skipUnknownContexts: false },
      runs: [run('mandatory-job', 'pending', { pulls: [1], createdByTide: true })],
    });
    expect(summarize(action(prowPolicy(pool)))).toBe('TriggerBatch 1,2 [mandatory-job]');
    // The same pending run started by someone else keeps #1 out of batches: Prow waits for it.
    const notTides = { ...pool, runs: [run('mandatory-job', 'pending', { pulls: [1] })] };
    expect(summarize(action(prowPolicy(notTides)))).toBe('Wait');
  });

  it('retests serially at a new base a PR whose retest at the old base is still running', () => {
    // TestSerialRetestingConsidersPRThatIsCurrentlyBeingSRetested
    const pool = poolState({
      pulls: [pull(1, { contexts: [{ context: 'mandatory-job', state: 'pending' }] })],
      required: jobs('mandatory-job'),
      contextPolicy: { requiredContexts: ['mandatory-job'], requiredIfPresentContexts: [], optionalContexts: [], skipUnknownContexts: false },
      runs: [run('mandatory-job', 'pending', { pulls: [1], createdByTide: true, base: OLD_BASE })],
    });
    expect(summarize(action(prowPolicy(pool)))).toBe('Trigger 1 [mandatory-job]');
  });
});

describe('the tide status and the verdict', () => {
  it('says "In merge pool." once every required job passed at this base, alone or in a batch', () => {
    const decision = prowPolicy(
      poolState({
        pulls: [pull(1), pull(2), pull(3)],
        required: jobs('unit', 'e2e'),
        runs: [run('unit', 'success', { pulls: [1], id: 'unit-1', createdAt: 1 }), run('e2e', 'success', { pulls: [1] }), batchRun('unit', 'success', [2, 3]), batchRun('e2e', 'pending', [2, 3])],
      }),
    );
    expect(verdict(decision, 1)).toMatchObject({ summary: 'In merge pool.', statusState: 'success' });
    expect(verdict(decision, 1).jobs[0]).toEqual({ job: 'unit', context: 'unit', state: 'success', runId: 'unit-1' });
    expect(verdict(decision, 2)).toMatchObject({ summary: 'Not mergeable. Retesting: e2e', statusState: 'pending' });
  });

  it('counts retested jobs when their names do not fit', () => {
    const names = Array.from({ length: 8 }, (_, i) => `pull-widgets-integration-suite-${i}`);
    const decision = prowPolicy(poolState({ pulls: [pull(1), pull(2)], required: jobs(...names) }));
    expect(verdict(decision, 1).summary).toBe('Not mergeable. Retesting 8 jobs.');
  });

  it('lists failing jobs up to a budget and always stays within 140 characters', () => {
    const long = 'x'.repeat(200);
    const decision = prowPolicy(
      poolState({
        pulls: [
          pull(1, { contexts: ['lint', 'unit', 'integration-tests', 'e2e-gce-ubuntu-containerd'].map((context) => ({ context, state: 'failure' as const })) }),
          pull(2, { contexts: [{ context: long, state: 'failure' }] }),
        ],
      }),
    );
    expect(verdict(decision, 1).summary).toBe('Not mergeable. Jobs e2e-gce-ubuntu-containerd, integration-tests, lint have not succeeded.');
    expect(verdict(decision, 2).summary).toHaveLength(140);
    expect(verdict(decision, 2).summary.endsWith('...')).toBe(true);
  });

  it('gives every PR a verdict: the pool in order, then the PRs out of it', () => {
    const decision = prowPolicy(poolState({ pulls: [pull(4, { mergeable: 'conflicting' }), pull(3), pull(2)], required: jobs('unit') }));
    expect(decision.verdicts.map((v) => [v.number, v.state, v.rank])).toEqual([
      [2, 'missing', 1],
      [3, 'missing', 2],
      [4, 'excluded', undefined],
    ]);
  });

  it('decides the same way whatever order the runs come in', () => {
    const runs = [run('foo', 'success', { pulls: [1, 2] }), run('foo', 'failure', { pulls: [1, 2] }), run('bar', 'success', { pulls: [1, 2] }), run('foo', 'success', { pulls: [3] }), run('bar', 'pending', { pulls: [3] })];
    const pool = poolState({ pulls: [pull(1), pull(2), pull(3)], required: jobs('foo', 'bar', 'baz'), runs });
    const first = prowPolicy(pool);
    expect(prowPolicy({ ...pool, runs: [...runs].reverse() })).toEqual(first);
    expect(prowPolicy(pool)).toEqual(first);
  });
});
