/**
 * The merge-pool simulator's randomness: named, seeded generators, so that the stream of PRs
 * becoming ready is the same for every policy (and for every bad fraction: arrival times and
 * badness come from separate generators), while the draws that depend on what a policy does —
 * flakes, run lengths, conflicts — come from generators of their own and cannot shift the stream.
 */

export type Random = () => number;

/**
 * A generator in [0, 1) for one named purpose under one seed: sfc32, its 128-bit state filled by
 * splitmix32 from a hash of the seed and the name.
 */
export function seededRandom(seed: number, purpose: string): Random {
  let mix = hashText(`${seed}:${purpose}`);
  const splitmix = (): number => {
    mix = (mix + 0x9e3779b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let counter = splitmix();
  return () => {
    const result = (((a + b) >>> 0) + counter) >>> 0;
    counter = (counter + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + result) >>> 0;
    return result / 2 ** 32;
  };
}

/** FNV-1a: turns a seed and a purpose into one 32-bit word. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** An exponentially distributed wait with the given mean. */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/** Uniform in [centre × (1 − spread), centre × (1 + spread)). */
export function spread(random: Random, centre: number, fraction: number): number {
  return centre * (1 + fraction * (2 * random() - 1));
}

/** A PR becoming ready to merge (approved, labelled): the simulator's input. */
export interface ReadyPull {
  /** PR numbers follow the order in which PRs become ready. */
  number: number;
  /** Milliseconds since the simulation's start. */
  readyAt: number;
  /** Breaks the build at the current base: every run that includes it fails. */
  bad: boolean;
}

export interface StreamParams {
  arrivalsPerHour: number;
  badFraction: number;
  seed: number;
  /** Generate PRs becoming ready before this time (ms since the start). */
  untilMs: number;
}

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * HOUR_MS;

/** The first PR's number, so numbers look like a real repository's. */
const FIRST_NUMBER = 1_001;

/** PRs become ready as a Poisson process of rate λ per hour; each is bad with probability b. */
export function readyStream(params: StreamParams): ReadyPull[] {
  const arrivals = seededRandom(params.seed, 'arrivals');
  const badness = seededRandom(params.seed, 'badness');
  const stream: ReadyPull[] = [];
  if (params.arrivalsPerHour <= 0) return stream;
  const meanGap = HOUR_MS / params.arrivalsPerHour;
  for (let at = exponential(arrivals, meanGap); at < params.untilMs; at += exponential(arrivals, meanGap)) {
    stream.push({ number: FIRST_NUMBER + stream.length, readyAt: at, bad: badness() < params.badFraction });
  }
  return stream;
}
