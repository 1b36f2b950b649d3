/**
 * Go's `time.ParseDuration`, which Prow uses for `interval`, `minimum_interval`, `timeout`,
 * `grace_period`, `max_prowjob_age`… ("1h30m", "15m", "300ms", "2h0m0s"). Returns milliseconds.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const COMPONENT = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

export class GoDurationError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid duration '${input}': ${reason}`);
    this.name = 'GoDurationError';
  }
}

export function parseGoDuration(input: string): number {
  let text = input;
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text.startsWith('-') ? -1 : 1;
    text = text.slice(1);
  }
  if (text === '0') return 0;
  if (text === '') throw new GoDurationError(input, 'empty');
  let total = 0;
  COMPONENT.lastIndex = 0;
  let consumed = 0;
  while (consumed < text.length) {
    COMPONENT.lastIndex = consumed;
    const match = COMPONENT.exec(text);
    if (!match) {
      const rest = text.slice(consumed);
      const reason = /^[\d.]+$/.test(rest)
        ? `missing unit in '${rest}' (use h, m, s, ms…)`
        : `unknown unit or syntax at '${rest}'`;
      throw new GoDurationError(input, reason);
    }
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
    consumed = COMPONENT.lastIndex;
  }
  // Go keeps durations as int64 nanoseconds: about 2562047h at most.
  if (total * 1e6 > MAX_NANOSECONDS) throw new GoDurationError(input, 'too large for a Go duration');
  return sign * total;
}

const MAX_NANOSECONDS = 2 ** 63 - 1;

/**
 * A duration field of Prow's config as its YAML decoder reads it: a string such as "1h30m", or a
 * bare number, which Go takes as a `time.Duration` in nanoseconds. Returns milliseconds.
 */
export function parseGoDurationValue(value: string | number): number {
  return typeof value === 'number' ? value / 1e6 : parseGoDuration(value);
}

/** Go's `Duration.String()`: "2h0m0s", "15m0s", "1.5s", "300ms", "0s". */
export function formatGoDuration(milliseconds: number): string {
  if (milliseconds === 0) return '0s';
  const negative = milliseconds < 0;
  let ms = Math.abs(milliseconds);
  let out: string;
  if (ms < 1e-3) {
    out = `${trimFloat(ms * 1e6)}ns`;
  } else if (ms < 1) {
    out = `${trimFloat(ms * 1e3)}µs`;
  } else if (ms < 1000) {
    out = `${trimFloat(ms)}ms`;
  } else {
    const hours = Math.floor(ms / 3_600_000);
    ms -= hours * 3_600_000;
    const minutes = Math.floor(ms / 60_000);
    ms -= minutes * 60_000;
    const seconds = `${trimFloat(ms / 1000)}s`;
    out = hours > 0 ? `${hours}h${minutes}m${seconds}` : minutes > 0 ? `${minutes}m${seconds}` : seconds;
  }
  return negative ? `-${out}` : out;
}

function trimFloat(value: number): string {
  return String(Number(value.toFixed(9)));
}
