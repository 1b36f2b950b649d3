import type { HeadContext, PoolPull, PoolRun, PoolState, RequiredJob, RunState } from '../../shared/tide/model';

/**
 * Builders for merge-pool states: a pool of acme/widgets:main at BASE, PRs whose heads are
 * `head-<number>`, and runs named after what they test, so a test states only what matters to it.
 */

export const BASE = 'b'.repeat(40);
export const OLD_BASE = 'a'.repeat(40);

export function headOf(number: number): string {
  return `head-${number}`;
}

export function jobs(...names: string[]): RequiredJob[] {
  return names.map((name) => ({ job: name, context: name }));
}

export function passing(...contexts: string[]): HeadContext[] {
  return contexts.map((context) => ({ context, state: 'success' }));
}

export function pull(number: number, overrides: Partial<PoolPull> = {}): PoolPull {
  return {
    number,
    author: `author-${number}`,
    title: `Change ${number}`,
    headSha: headOf(number),
    url: `https://github.com/acme/widgets/pull/${number}`,
    labels: [],
    mergeable: 'mergeable',
    contexts: [],
    ...overrides,
  };
}

let runCounter = 0;

interface RunOptions {
  type?: PoolRun['type'];
  base?: string;
  /** Heads default to the PRs' current heads. */
  pulls?: (number | { number: number; sha: string })[];
  createdAt?: number;
  createdByTide?: boolean;
  id?: string;
}

/** A run of `job` (its context too) in `state`, presubmit of one PR or batch of several. */
export function run(job: string, state: RunState, options: RunOptions = {}): PoolRun {
  runCounter += 1;
  const pulls = (options.pulls ?? [1]).map((p) => (typeof p === 'number' ? { number: p, sha: headOf(p) } : p));
  return {
    id: options.id ?? `${job}-${runCounter}`,
    job,
    context: job,
    type: options.type ?? (pulls.length > 1 ? 'batch' : 'presubmit'),
    baseSha: options.base ?? BASE,
    pulls,
    state,
    createdAt: options.createdAt ?? runCounter,
    ...(options.createdByTide !== undefined ? { createdByTide: options.createdByTide } : {}),
  };
}

/** A batch run, even of one PR. */
export function batchRun(job: string, state: RunState, pulls: RunOptions['pulls'], options: Omit<RunOptions, 'pulls' | 'type'> = {}): PoolRun {
  return run(job, state, { ...options, pulls, type: 'batch' });
}

/** Each PR requires `required` (default: none); the context policy is Prow's empty default. */
export function poolState(overrides: Partial<PoolState> & { required?: RequiredJob[] } = {}): PoolState {
  const { required = [], ...rest } = overrides;
  const pulls = rest.pulls ?? [];
  return {
    key: { org: 'acme', repo: 'widgets', branch: 'main' },
    baseSha: BASE,
    pulls,
    contextPolicy: { requiredContexts: [], requiredIfPresentContexts: [], optionalContexts: [], skipUnknownContexts: false },
    requiredJobs: Object.fromEntries(pulls.map((p) => [p.number, required])),
    runs: [],
    mergedOnto: [],
    blockers: [],
    settings: { batchSizeLimit: 0, priority: [], policy: 'tide' },
    now: 1_700_000_000_000,
    ...rest,
  };
}
