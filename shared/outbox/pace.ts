import { z } from 'zod';

/**
 * How fast one installation may write to GitHub. GitHub documents secondary limits for requests
 * that create content: no more than 80 a minute and 500 an hour per user or App installation,
 * beyond which it answers 403 or 429 and may ask for a wait of up to an hour. Every write request
 * the outbox writer makes counts, whatever it writes and however many outbox entries it joins:
 * GitHub counts requests. Windows slide, as GitHub's do: at any instant, no window may hold more
 * than its `max` requests sent within the `ms` before it.
 */
export interface WriteWindow {
  max: number;
  ms: number;
}

export interface WriteLimits {
  windows: WriteWindow[];
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** GitHub's documented secondary limits for content-creating requests. */
export const GITHUB_WRITE_LIMITS: WriteLimits = {
  windows: [
    { max: 80, ms: MINUTE_MS },
    { max: 500, ms: HOUR_MS },
  ],
};

const WRITES_SETTING = z
  .string()
  .trim()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().positive('must be at least 1'));

/**
 * The limits, with GITHUB_WRITES_PER_MINUTE and GITHUB_WRITES_PER_HOUR overriding GitHub's
 * defaults (GitHub Enterprise Server sets its own, and a deployment may want to leave headroom
 * for other tools writing as the same App). Throws naming the variable when one is not a
 * positive whole number.
 */
export function writeLimitsFromEnv(env: NodeJS.ProcessEnv): WriteLimits {
  const [perMinute, perHour] = [
    setting(env, 'GITHUB_WRITES_PER_MINUTE', 80),
    setting(env, 'GITHUB_WRITES_PER_HOUR', 500),
  ];
  return {
    windows: [
      { max: perMinute, ms: MINUTE_MS },
      { max: perHour, ms: HOUR_MS },
    ],
  };
}

function setting(env: NodeJS.ProcessEnv, name: string, otherwise: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return otherwise;
  const parsed = WRITES_SETTING.safeParse(raw);
  if (!parsed.success) {
    const problem = parsed.error.issues[0]?.message ?? 'is invalid';
    throw new Error(`${name} ${problem}: it is a number of write requests, like ${otherwise} (GitHub's limit), not "${raw}"`);
  }
  return parsed.data;
}

/**
 * The earliest time, at or after `now`, the next write request may go out: when every window
 * has room for one more, and GitHub's own "not before" (`blockedUntil`, from a rate-limit
 * answer) has passed. `sentAt` holds when earlier requests went out, in any order; a request
 * sent at `t` occupies a window of length `ms` until `t + ms`.
 */
export function nextSendAt(
  sentAt: readonly number[],
  blockedUntil: number | undefined,
  now: number,
  limits: WriteLimits,
): number {
  let earliest = Math.max(now, blockedUntil ?? now);
  const newestFirst = [...sentAt].sort((a, b) => b - a);
  for (const window of limits.windows) {
    // With `max` requests in the window, one more may go when the max-th newest leaves it.
    const blocking = newestFirst[window.max - 1];
    if (blocking !== undefined) earliest = Math.max(earliest, blocking + window.ms);
  }
  return earliest;
}

/** The times still inside the longest window at `now`: all the pace has to remember. */
export function recentSends(sentAt: readonly number[], now: number, limits: WriteLimits): number[] {
  const longest = Math.max(0, ...limits.windows.map((window) => window.ms));
  return sentAt.filter((time) => time > now - longest);
}

/**
 * The earliest times the next `count` requests may go out, one after another, each taking
 * `requestMs` and starting no earlier than `from`: what `nextSendAt` gives for each in turn, with
 * the ones planned before it counted as sent.
 */
export function plannedSends(
  sentAt: readonly number[],
  blockedUntil: number | undefined,
  from: number,
  limits: WriteLimits,
  requestMs: number,
  count: number,
): number[] {
  const planned: number[] = [];
  const window = [...sentAt];
  let free = from;
  for (let index = 0; index < count; index++) {
    const at = nextSendAt(window, blockedUntil, free, limits);
    planned.push(at);
    window.push(at);
    free = at + requestMs;
  }
  return planned;
}
