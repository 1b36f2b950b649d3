import { poolId, type HistoryActionName, type HistoryRecord, type PoolKey, type PoolRecord } from '../../shared/tide/model';

/**
 * Merge-pool records as a sync would store them (shared/tide/model.ts), for the store's contract
 * and the Tide pages' tests: one pool of acme/widgets:main with a PR of each state.
 */

export const WIDGETS_MAIN: PoolKey = { org: 'acme', repo: 'widgets', branch: 'main' };
export const BASE_SHA = 'b4se0000000000000000000000000000000000aa';

export function testPoolRecord(overrides: Partial<PoolRecord> = {}): PoolRecord {
  const key = overrides.key ?? WIDGETS_MAIN;
  const pr = (number: number, title: string, labels: string[] = ['lgtm', 'approved']) => ({
    number,
    title,
    author: `author${number}`,
    headSha: `head${number}`.padEnd(40, '0'),
    url: `https://github.com/${key.org}/${key.repo}/pull/${number}`,
    labels,
  });
  return {
    id: poolId(key),
    key,
    baseSha: BASE_SHA,
    policy: 'tide',
    actions: [{ kind: 'merge', pulls: [{ number: 1, sha: 'head1'.padEnd(40, '0') }], batch: false, reason: '#1 passes every required job at this base' }],
    pulls: [
      { ...pr(1, 'Passing change'), mergeable: 'mergeable' },
      pr(2, 'Pending change'),
      pr(3, 'Change missing a test run'),
      pr(4, 'Change with a failing job'),
      pr(5, 'Change without approval', ['lgtm']),
    ],
    verdicts: [
      {
        number: 1,
        state: 'merging',
        summary: 'In merge pool.',
        reasons: [],
        jobs: [{ job: 'unit', context: 'ci/unit', state: 'success', runId: 'run-1', url: 'https://status.example/view/run-1' }],
        rank: 1,
      },
      {
        number: 2,
        state: 'pending',
        summary: 'In merge pool.',
        reasons: ['ci/unit is still running at this base'],
        jobs: [{ job: 'unit', context: 'ci/unit', state: 'pending', runId: 'run-2' }],
        rank: 2,
      },
      {
        number: 3,
        state: 'missing',
        summary: 'In merge pool.',
        reasons: ['ci/unit has not run at this base'],
        jobs: [{ job: 'unit', context: 'ci/unit', state: 'missing' }],
        rank: 3,
      },
      {
        number: 4,
        state: 'failure',
        summary: 'Not mergeable. Job ci/unit has not succeeded.',
        reasons: ['ci/unit failed at this base'],
        jobs: [{ job: 'unit', context: 'ci/unit', state: 'failure', runId: 'run-4', url: 'https://status.example/view/run-4' }],
        rank: 4,
      },
      {
        number: 5,
        state: 'excluded',
        summary: 'Not mergeable. Needs approved label.',
        reasons: ['needs the approved label'],
        jobs: [],
      },
    ],
    runsInFlight: [
      {
        id: 'run-2',
        job: 'unit',
        context: 'ci/unit',
        type: 'presubmit',
        baseSha: BASE_SHA,
        pulls: [{ number: 2, sha: 'head2'.padEnd(40, '0') }],
        state: 'pending',
        createdAt: Date.UTC(2026, 10, 24, 11, 50),
        url: 'https://status.example/view/run-2',
      },
    ],
    blockers: [],
    syncedAt: Date.UTC(2026, 10, 24, 12, 0),
    ...overrides,
  };
}

let sequence = 0;

/** A record `at` the given time, with an id that sorts by time as the sync's do. */
export function testHistoryRecord(
  at: number,
  options: { key?: PoolKey; action?: HistoryActionName; pulls?: number[]; id?: string; error?: string; reason?: string } = {},
): HistoryRecord {
  const key = options.key ?? WIDGETS_MAIN;
  const pulls = options.pulls ?? [1];
  return {
    id: options.id ?? `${String(at).padStart(15, '0')}-${`${key.repo}-${key.branch}`.replace(/[^A-Za-z0-9]/g, '_')}-${++sequence}`,
    poolId: poolId(key),
    key,
    at,
    action: options.action ?? 'MERGE',
    baseSha: BASE_SHA,
    pulls: pulls.map((number) => ({ number, sha: `head${number}`.padEnd(40, '0'), title: `Change ${number}`, author: `author${number}` })),
    reason: options.reason ?? `merged ${pulls.map((number) => `#${number}`).join(', ')}`,
    ...(options.error ? { error: options.error } : {}),
  };
}
