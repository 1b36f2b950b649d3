import type {
  JobVerdict,
  PoolAction,
  PoolDecision,
  PoolPull,
  PoolRun,
  PoolState,
  PullVerdict,
  RequiredJob,
  RunPull,
  RunRequest,
} from './model';
import { blockedByIssues, IN_MERGE_POOL, notMergeable } from './status-text';

/**
 * Cutwater's merge queue (`pool_policy: queue`): Prow's pool, made to keep moving when a PR that
 * passed on its own at an older base breaks the build at the current one.
 *
 * Tide runs one batch at a time, retries a failed batch as it was, and finds a breaking PR only
 * when its serial retests, one an hour in PR-number order, reach it. This queue instead tests a
 * *train* of cars: cumulative prefixes of the queue (the first n PRs, the first 2n, ...), side by
 * side at the current base, and then:
 *
 * - merges the longest car that passed, whatever its shorter cars did (a shorter car that failed
 *   beside a longer one that passed only flaked, since a breaking PR fails every car it is in);
 * - when cars fail, the shortest failing car holds the breaking PR. If only some of its jobs
 *   failed, those are run again once (a flake costs a job, not a search). Otherwise its PRs —
 *   the suspects — are each tested alone, reported on the PR, so the one that breaks the build
 *   fails where its author looks and Prow's filter drops it; cars that contain the failing car
 *   are cancelled, since they can only fail;
 * - meanwhile the train goes on with the rest of the queue, so one breaking PR holds up only its
 *   own few car-mates, not the pool;
 * - a car adds at least three PRs to the one before it, and a train under way grows only by a
 *   whole segment, so a quiet pool runs one car (as Prow runs one batch) and a busy one a few.
 *
 * Results carry across the queue's own merges: a car tested at base B on top of PRs the queue has
 * merged since (`PoolState.mergedOnto`) is a car of the rest at the current base. Everything is
 * derived from the runs each sync, so a crashed or restarted sync loses nothing. The figures
 * behind these choices are in docs/merge-pool.md (`npm run bench -- merge-pool`).
 */

/** Cars of the train in flight at once (PoolSettings.maxRunsInFlight overrides it). */
const DEFAULT_CARS_IN_FLIGHT = 4;
/**
 * The fewest PRs a car adds to the one before it. Each car costs a run; shorter segments find a
 * breaking PR among fewer suspects but cost more runs per PR merged.
 */
const MIN_SEGMENT = 3;

/** A car: a set of PRs, in order, tested on top of the current base, with its runs' latest results. */
interface Car {
  pulls: RunPull[];
  /** Latest run per job name. */
  latest: Map<string, PoolRun>;
  /** Runs per job name (to tell whether a failed job was already run again). */
  attempts: Map<string, number>;
  /** Whether one of its runs was the PR's own presubmit (reported on the PR), not a batch. */
  reportedOnPull: boolean;
}

type CarStatus = 'passed' | 'failed' | 'pending' | 'incomplete';

export interface Eligibility {
  /** PRs that pass the filter, in the pool's order. */
  kept: PoolPull[];
  /** Verdicts for PRs the filter dropped, by number. */
  dropped: PullVerdict[];
}

/**
 * The queue policy, over the same filter and ordering as Prow's policy (passed in, so that both
 * policies drop and order PRs the same way).
 */
export function queueDecision(state: PoolState, eligibility: Eligibility): PoolDecision {
  const kept = eligibility.kept;
  const byNumber = new Map(kept.map((pull) => [pull.number, pull]));
  const required = (numbers: readonly number[]): RequiredJob[] => unionOfJobs(numbers.map((n) => state.requiredJobs[n] ?? []));
  const cars = currentCars(state, byNumber);
  const statusOf = (car: Car): CarStatus => carStatus(car, required(car.pulls.map((p) => p.number)));

  const actions: PoolAction[] = [];
  let merging: RunPull[] = [];
  if (state.blockers.length > 0) {
    actions.push({
      kind: 'blocked',
      reason: `merging is blocked by ${state.blockers.map((b) => `#${b.number}`).join(', ')}`,
      blockers: state.blockers.map((b) => b.number),
    });
  } else {
    const passed = cars.filter((car) => statusOf(car) === 'passed').sort((a, b) => b.pulls.length - a.pulls.length);
    const best = passed[0];
    if (best) {
      merging = best.pulls;
      actions.push({
        kind: 'merge',
        pulls: best.pulls,
        batch: best.pulls.length > 1,
        reason: `${describe(best.pulls)} passed together at this base`,
      });
    } else {
      actions.push(...nextRuns(state, kept, cars, statusOf, required));
    }
  }
  if (actions.length === 0) actions.push({ kind: 'wait', reason: waitReason(cars, statusOf, kept) });
  return { actions, verdicts: [...verdictsFor(state, kept, cars, statusOf, merging), ...eligibility.dropped] };
}

/** What to start (or cancel) when nothing can merge yet. */
function nextRuns(
  state: PoolState,
  kept: readonly PoolPull[],
  cars: readonly Car[],
  statusOf: (car: Car) => CarStatus,
  required: (numbers: readonly number[]) => RequiredJob[],
): PoolAction[] {
  const actions: PoolAction[] = [];
  const requests: RunRequest[] = [];
  const pending = cars.filter((car) => statusOf(car) === 'pending');
  // A PR that failed alone at this base breaks the build by itself: its own failing contexts will
  // drop it from the pool, and until they do no car takes it, nor needs narrowing down for it.
  const failedAlone = new Set(
    cars.filter((car) => car.pulls.length === 1 && statusOf(car) === 'failed').map((car) => car.pulls[0]?.number ?? 0),
  );
  const failed = cars
    .filter((car) => car.pulls.length > 1 && statusOf(car) === 'failed' && !car.pulls.some((pull) => failedAlone.has(pull.number)))
    .sort((a, b) => a.pulls.length - b.pulls.length);
  const queue = kept.filter((pull) => !failedAlone.has(pull.number) && headPasses(pull, state.requiredJobs[pull.number] ?? []));
  const limit = carLimit(state, queue.length);
  const inFlight = state.settings.maxRunsInFlight ?? DEFAULT_CARS_IN_FLIGHT;
  /**
   * The jobs a wanted car still needs: all of them when it was never tested, the missing ones when
   * only some ran at this base (an author's rerun of one job makes such a car), none otherwise.
   */
  const stillNeeded = (pulls: readonly RunPull[]): string[] => {
    const jobs = required(pulls.map((p) => p.number)).map((j) => j.job);
    const car = cars.find((candidate) => sameNumbers(candidate.pulls, pulls));
    if (!car) return jobs;
    return jobs.filter((job) => !car.latest.has(job));
  };
  const want = (pulls: RunPull[]) => {
    const jobs = stillNeeded(pulls);
    if (jobs.length > 0) requests.push(request(pulls, jobs));
  };
  const request = (pulls: RunPull[], jobs: string[]): RunRequest => ({
    type: pulls.length === 1 ? 'presubmit' : 'batch',
    baseSha: state.baseSha,
    pulls,
    jobs,
  });

  const culprit = failed[0];
  // The suspects of the shortest failing car sit out while they are narrowed down; the train goes
  // on with the rest of the queue meanwhile, so one breaking PR holds up only its own car.
  const suspects = new Set(culprit?.pulls.map((pull) => pull.number) ?? []);
  if (culprit) {
    const failedJobs = [...culprit.latest.values()].filter((run) => run.state !== 'success').map((run) => run.job);
    const retried = failedJobs.some((job) => (culprit.attempts.get(job) ?? 0) > 1);
    const partly = failedJobs.length < culprit.latest.size;
    if (partly && !retried) {
      // Most likely a flake: the failed jobs again, at this base, cost a fraction of a run.
      requests.push(request(culprit.pulls, uniqueSorted(failedJobs)));
    } else {
      // Containing the failing car, these can only fail.
      const doomed = pending.filter((car) => car.pulls.length > culprit.pulls.length && startsWith(car.pulls, culprit.pulls));
      if (doomed.length > 0) {
        actions.push({
          kind: 'cancel',
          runIds: doomed.flatMap((car) => [...car.latest.values()].filter((run) => isActive(run)).map((run) => run.id)),
          reason: `${describe(culprit.pulls)} failed together, so every car containing them would fail too`,
        });
      }
      // Each suspect alone, reported on the PR: the one that breaks the build fails where its
      // author looks and leaves the pool; the others pass and rejoin the queue.
      for (const pull of culprit.pulls) want([pull]);
    }
  }
  const train = queue.filter((pull) => !suspects.has(pull.number));
  const trainCars = pending.filter((car) => car.pulls.length > 1 && !car.pulls.some((pull) => suspects.has(pull.number)));
  if (trainCars.length < inFlight && train.length > 0) {
    // Lengthen the train from the longest car under way (or start one), within the limit.
    const longest = [...trainCars].sort((a, b) => b.pulls.length - a.pulls.length)[0];
    const base: RunPull[] = longest ? [...longest.pulls] : [];
    const rest = train.filter((pull) => !base.some((p) => p.number === pull.number)).map(toRunPull);
    const room = Math.max(0, limit - base.length);
    const free = inFlight - trainCars.length;
    // A train under way is lengthened only by a whole segment: one new PR per car would cost a
    // run per PR; it waits for the next car instead.
    if (room > 0 && rest.length > 0 && (base.length === 0 || Math.min(room, rest.length) >= MIN_SEGMENT)) {
      const adding = rest.slice(0, room);
      // No more cars than segments of MIN_SEGMENT PRs: a short queue is one car, as Prow's batch.
      const cars = Math.max(1, Math.min(free, Math.floor(adding.length / MIN_SEGMENT)));
      const step = Math.max(1, Math.ceil(adding.length / cars));
      for (let taken = step; ; taken += step) {
        want([...base, ...adding.slice(0, Math.min(taken, adding.length))]);
        if (taken >= adding.length) break;
      }
    }
  }
  // A PR found breaking the build inside a batch has not failed where its author looks: its own
  // presubmits are run at this base, so its contexts say so (and if they pass, it merges alone).
  for (const car of cars) {
    const only = car.pulls[0];
    if (car.pulls.length !== 1 || !only || car.reportedOnPull || statusOf(car) !== 'failed') continue;
    requests.push(request([only], required([only.number]).map((j) => j.job)));
  }
  // PRs whose own presubmits have not passed at their head are tested alone, one at a time, as Prow
  // retests them: a car takes only PRs whose contexts are green.
  const untested = kept.filter((pull) => !headPasses(pull, state.requiredJobs[pull.number] ?? []));
  const serialUnderWay = cars.some((car) => car.pulls.length === 1 && statusOf(car) === 'pending');
  const first = untested.find((pull) => !cars.some((car) => car.pulls.length === 1 && car.pulls[0]?.number === pull.number));
  if (first && !serialUnderWay && (state.requiredJobs[first.number] ?? []).length > 0) {
    const jobs = missingOrFailedJobs(first, state.requiredJobs[first.number] ?? []);
    if (jobs.length > 0) requests.push(request([toRunPull(first)], jobs));
  }
  if (requests.length > 0) {
    actions.push({
      kind: 'trigger',
      runs: requests,
      reason: culprit
        ? `${describe(culprit.pulls)} failed together; narrowing down which of them breaks the build`
        : 'testing the queue in cumulative cars at this base',
    });
  }
  return actions;
}

/** The most PRs in one car: Prow's `batch_size_limit` (0: no limit; negative: one PR at a time). */
function carLimit(state: PoolState, queued: number): number {
  const limit = state.settings.batchSizeLimit;
  if (limit < 0) return 1;
  if (limit === 0) return Math.max(1, queued);
  return limit;
}

/**
 * The pool's runs as cars at the current base: a run counts if it was made at the current base,
 * or at an earlier one whose merges since (by this pool) are exactly its first pulls, and if each of
 * its remaining pulls is still in the pool at the head it tested.
 */
function currentCars(state: PoolState, byNumber: ReadonlyMap<number, PoolPull>): Car[] {
  const cars = new Map<string, Car>();
  for (const run of [...state.runs].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))) {
    const onTop = effectivePulls(state, run);
    if (!onTop || onTop.length === 0) continue;
    if (!onTop.every((pull) => byNumber.get(pull.number)?.headSha === pull.sha)) continue;
    const key = onTop.map((pull) => pull.number).join(',');
    const car = cars.get(key) ?? { pulls: onTop, latest: new Map(), attempts: new Map(), reportedOnPull: false };
    cars.set(key, car);
    if (run.type === 'presubmit') car.reportedOnPull = true;
    car.latest.set(run.job, run);
    car.attempts.set(run.job, (car.attempts.get(run.job) ?? 0) + 1);
  }
  return [...cars.values()];
}

/** A run's pulls that are not yet merged, when its base leads to the current one through the pool's own merges. */
export function effectivePulls(state: Pick<PoolState, 'baseSha' | 'mergedOnto'>, run: Pick<PoolRun, 'baseSha' | 'pulls'>): RunPull[] | undefined {
  if (run.baseSha === state.baseSha) return run.pulls;
  const mergedSince: number[] = [];
  let sha = state.baseSha;
  for (let i = state.mergedOnto.length - 1; i >= 0; i--) {
    const merge = state.mergedOnto[i];
    if (!merge || merge.toSha !== sha) return undefined;
    mergedSince.unshift(...merge.pulls);
    sha = merge.fromSha;
    if (sha === run.baseSha) break;
  }
  if (sha !== run.baseSha) return undefined;
  if (mergedSince.length > run.pulls.length) return undefined;
  for (let i = 0; i < mergedSince.length; i++) if (run.pulls[i]?.number !== mergedSince[i]) return undefined;
  return run.pulls.slice(mergedSince.length);
}

function carStatus(car: Car, jobs: readonly RequiredJob[]): CarStatus {
  let missing = false;
  let pending = false;
  let failed = false;
  for (const job of jobs) {
    const run = car.latest.get(job.job);
    if (!run) missing = true;
    else if (isActive(run)) pending = true;
    else if (run.state !== 'success') failed = true;
  }
  if (pending) return 'pending';
  if (failed) return 'failed';
  if (missing) return 'incomplete';
  return 'passed';
}

function isActive(run: PoolRun): boolean {
  return run.state === 'triggered' || run.state === 'pending';
}

/** Whether the PR's own contexts of its required jobs are green at its head (Prow's `isPassingTests`). */
function headPasses(pull: PoolPull, jobs: readonly RequiredJob[]): boolean {
  return jobs.every((job) => pull.contexts.some((context) => context.context === job.context && context.state === 'success'));
}

function missingOrFailedJobs(pull: PoolPull, jobs: readonly RequiredJob[]): string[] {
  return jobs
    .filter((job) => !pull.contexts.some((context) => context.context === job.context && context.state === 'success'))
    .map((job) => job.job);
}

function unionOfJobs(lists: readonly (readonly RequiredJob[])[]): RequiredJob[] {
  const byName = new Map<string, RequiredJob>();
  for (const list of lists) for (const job of list) byName.set(job.job, job);
  return [...byName.values()].sort((a, b) => a.job.localeCompare(b.job));
}

function toRunPull(pull: PoolPull): RunPull {
  return { number: pull.number, sha: pull.headSha };
}

function sameNumbers(a: readonly RunPull[], b: readonly RunPull[]): boolean {
  return a.length === b.length && a.every((pull, i) => pull.number === b[i]?.number);
}

function startsWith(longer: readonly RunPull[], prefix: readonly RunPull[]): boolean {
  return prefix.every((pull, i) => longer[i]?.number === pull.number);
}

function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function describe(pulls: readonly RunPull[]): string {
  return pulls.length === 1 ? `#${pulls[0]?.number}` : `${pulls.map((p) => `#${p.number}`).join(', ')}`;
}

function waitReason(cars: readonly Car[], statusOf: (car: Car) => CarStatus, kept: readonly PoolPull[]): string {
  const pending = cars.filter((car) => statusOf(car) === 'pending');
  if (pending.length > 0) return `waiting for ${pending.length} car(s) under way`;
  if (kept.length === 0) return 'no PR is ready to merge';
  return 'waiting for the PRs’ own tests';
}

function verdictsFor(
  state: PoolState,
  kept: readonly PoolPull[],
  cars: readonly Car[],
  statusOf: (car: Car) => CarStatus,
  merging: readonly RunPull[],
): PullVerdict[] {
  return kept.map((pull, index) => {
    const jobs = state.requiredJobs[pull.number] ?? [];
    const mine = cars.filter((car) => car.pulls.some((p) => p.number === pull.number));
    const alone = mine.find((car) => car.pulls.length === 1);
    const jobVerdicts: JobVerdict[] = jobs.map((job) => {
      const run = alone?.latest.get(job.job);
      return { job: job.job, context: job.context, state: run?.state ?? 'missing', ...(run ? { runId: run.id } : {}), ...(run?.url ? { url: run.url } : {}) };
    });
    const reasons: string[] = [];
    let poolState: PullVerdict['state'] = 'missing';
    if (merging.some((p) => p.number === pull.number)) {
      poolState = 'merging';
      reasons.push(`merging now with ${describe(merging)}`);
    } else if (mine.some((car) => statusOf(car) === 'pending')) {
      poolState = 'pending';
      const car = mine.find((c) => statusOf(c) === 'pending');
      if (car) reasons.push(`being tested together with ${describe(car.pulls)}`);
    } else if (mine.some((car) => statusOf(car) === 'failed')) {
      poolState = 'failure';
      const car = [...mine].filter((c) => statusOf(c) === 'failed').sort((a, b) => a.pulls.length - b.pulls.length)[0];
      if (car) reasons.push(`${describe(car.pulls)} failed together at this base; narrowing down which PR breaks it`);
    } else if (!headPasses(pull, jobs)) {
      reasons.push('its own required jobs have not all passed at its head yet');
    } else {
      reasons.push('waiting for a car: earlier PRs in the queue are being tested first');
    }
    if (state.blockers.length > 0) reasons.unshift(`merging is blocked by ${state.blockers.map((b) => `#${b.number}`).join(', ')}`);
    const blocked = state.blockers.length > 0;
    return {
      number: pull.number,
      state: poolState,
      summary: blocked ? notMergeable(blockedByIssues(state.blockers.map((b) => b.number))) : IN_MERGE_POOL,
      statusState: blocked ? 'error' : 'success',
      reasons,
      jobs: jobVerdicts,
      rank: index + 1,
    };
  });
}
