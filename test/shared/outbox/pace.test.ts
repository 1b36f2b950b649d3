import { describe, expect, it } from 'vitest';
import { GITHUB_WRITE_LIMITS, HOUR_MS, MINUTE_MS, nextSendAt, recentSends, writeLimitsFromEnv, type WriteLimits } from '../../../shared/outbox/pace';

const NOW = 1_700_000_000_000;

/** Sends as fast as the pace allows, `count` times, from `start`: when each request goes out. */
function sendAsFastAsAllowed(count: number, start: number, limits: WriteLimits): number[] {
  const sent: number[] = [];
  let now = start;
  for (let index = 0; index < count; index++) {
    now = nextSendAt(sent, undefined, now, limits);
    sent.push(now);
  }
  return sent;
}

/** The most requests any window of `ms` holds, checked at every send. */
function busiestWindow(sent: readonly number[], ms: number): number {
  return Math.max(...sent.map((at) => sent.filter((other) => other > at - ms && other <= at).length));
}

describe('nextSendAt', () => {
  it('lets a request go at once while every window has room', () => {
    expect(nextSendAt([], undefined, NOW, GITHUB_WRITE_LIMITS)).toBe(NOW);
    const earlier = Array.from({ length: 79 }, (_, index) => NOW - 30_000 + index);
    expect(nextSendAt(earlier, undefined, NOW, GITHUB_WRITE_LIMITS)).toBe(NOW);
  });

  it('holds the 81st request of a minute until the oldest of the 80 leaves the window', () => {
    const burst = Array.from({ length: 80 }, (_, index) => NOW - 10_000 + index * 10);
    expect(nextSendAt(burst, undefined, NOW, GITHUB_WRITE_LIMITS)).toBe(NOW - 10_000 + MINUTE_MS);
  });

  it('holds the 501st request of an hour even when each minute had room', () => {
    // 500 requests spread over the last 50 minutes, 10 a minute.
    const spread = Array.from({ length: 500 }, (_, index) => NOW - 50 * MINUTE_MS + index * 6_000);
    expect(nextSendAt(spread, undefined, NOW, GITHUB_WRITE_LIMITS)).toBe(NOW - 50 * MINUTE_MS + HOUR_MS);
  });

  it('waits for GitHub’s own “not before” when that is later than the windows allow', () => {
    expect(nextSendAt([], NOW + 3_000, NOW, GITHUB_WRITE_LIMITS)).toBe(NOW + 3_000);
    expect(nextSendAt([], NOW - 3_000, NOW, GITHUB_WRITE_LIMITS)).toBe(NOW);
  });

  it('does not care in which order the times are given', () => {
    const limits: WriteLimits = { windows: [{ max: 2, ms: 1_000 }] };
    expect(nextSendAt([NOW - 100, NOW - 900, NOW - 500], undefined, NOW, limits)).toBe(NOW - 500 + 1_000);
  });

  it('never lets a burst exceed any window, and sends as soon as the windows allow', () => {
    const limits: WriteLimits = { windows: [{ max: 5, ms: 1_000 }, { max: 12, ms: 10_000 }] };
    const sent = sendAsFastAsAllowed(40, NOW, limits);
    expect(busiestWindow(sent, 1_000)).toBe(5);
    expect(busiestWindow(sent, 10_000)).toBe(12);
    // The first five go at once; the sixth when the first leaves the one-second window.
    expect(sent.slice(0, 6)).toEqual([NOW, NOW, NOW, NOW, NOW, NOW + 1_000]);
    // Thirteen in ten seconds is one too many: the 13th waits for the 1st to leave the long window.
    expect(sent[12]).toBe(NOW + 10_000);
  });
});

describe('recentSends', () => {
  it('keeps only what the longest window still counts', () => {
    expect(recentSends([NOW - HOUR_MS - 1, NOW - HOUR_MS, NOW - HOUR_MS + 1, NOW], NOW, GITHUB_WRITE_LIMITS)).toEqual([
      NOW - HOUR_MS + 1,
      NOW,
    ]);
  });
});

describe('writeLimitsFromEnv', () => {
  it('defaults to GitHub’s documented limits: 80 a minute, 500 an hour', () => {
    expect(writeLimitsFromEnv({})).toEqual(GITHUB_WRITE_LIMITS);
    expect(writeLimitsFromEnv({ GITHUB_WRITES_PER_MINUTE: ' ' })).toEqual(GITHUB_WRITE_LIMITS);
  });

  it('takes either limit from the environment', () => {
    expect(writeLimitsFromEnv({ GITHUB_WRITES_PER_MINUTE: '30', GITHUB_WRITES_PER_HOUR: ' 400 ' })).toEqual({
      windows: [
        { max: 30, ms: MINUTE_MS },
        { max: 400, ms: HOUR_MS },
      ],
    });
  });

  it('refuses a value that is not a positive whole number, naming the variable', () => {
    expect(() => writeLimitsFromEnv({ GITHUB_WRITES_PER_MINUTE: 'fast' })).toThrow(
      /^GITHUB_WRITES_PER_MINUTE must be a whole number: .*not "fast"$/,
    );
    expect(() => writeLimitsFromEnv({ GITHUB_WRITES_PER_HOUR: '0' })).toThrow(/^GITHUB_WRITES_PER_HOUR must be at least 1/);
    expect(() => writeLimitsFromEnv({ GITHUB_WRITES_PER_HOUR: '2.5' })).toThrow(/GITHUB_WRITES_PER_HOUR must be a whole number/);
  });
});
