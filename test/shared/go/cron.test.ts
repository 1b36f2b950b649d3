import { describe, expect, it } from 'vitest';
import { CronError, parseProwCron } from '../../../shared/go/cron';
import { formatGoDuration, GoDurationError, parseGoDuration } from '../../../shared/go/duration';
import { periodics, problemsLoading } from '../../support/jobs';

/**
 * Periodic schedules as Prow reads them: robfig/cron v3 with `SecondOptional | Minute | Hour |
 * Dom | Month | Dow | Descriptor`, evaluated in UTC (horologium prefixes every cron with
 * "TZ=UTC"); and durations as Go's time.ParseDuration / Duration.String handle them.
 */

/** A UTC time written "YYYY-MM-DD HH:MM:SS" (with optional ".mmm"), as a Date. */
function utc(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}

/** A Date as "YYYY-MM-DD HH:MM:SS" in UTC, with ".mmm" only when there are milliseconds. */
function show(date: Date): string {
  const iso = date.toISOString();
  const seconds = iso.slice(0, 19).replace('T', ' ');
  return date.getUTCMilliseconds() === 0 ? seconds : `${seconds}${iso.slice(19, 23)}`;
}

/** The next `count` run times of `expression` after `after`. */
function runs(expression: string, after: string, count = 3): string[] {
  const schedule = parseProwCron(expression);
  const out: string[] = [];
  let at = utc(after);
  for (let i = 0; i < count; i += 1) {
    const next = schedule.next(at);
    if (!next) throw new Error(`${expression} never runs after ${show(at)}`);
    at = next;
    out.push(show(at));
  }
  return out;
}

describe('parseProwCron: accepted expressions and their run times (UTC)', () => {
  it('5 fields: minute hour day-of-month month day-of-week, seconds fixed at 0', () => {
    const next = runs('30 2 * * *', '2024-03-10 01:00:00');
    expect(next).toEqual(['2024-03-10 02:30:00', '2024-03-11 02:30:00', '2024-03-12 02:30:00']);
  });

  it('6 fields: a leading seconds field', () => {
    const at15s = runs('15 10 * * * *', '2024-01-01 00:00:00');
    expect(at15s).toEqual(['2024-01-01 00:10:15', '2024-01-01 01:10:15', '2024-01-01 02:10:15']);
    const every30s = runs('*/30 * * * * *', '2024-01-01 00:00:10');
    expect(every30s).toEqual(['2024-01-01 00:00:30', '2024-01-01 00:01:00', '2024-01-01 00:01:30']);
  });

  it('computes in UTC, whatever the local time zone', () => {
    expect(runs('0 9 * * *', '2024-07-01 08:59:00', 1)).toEqual(['2024-07-01 09:00:00']);
    const leapDay = runs('0 0 * * *', '2024-02-28 23:59:59', 2);
    expect(leapDay).toEqual(['2024-02-29 00:00:00', '2024-03-01 00:00:00']);
  });

  it('returns the first run strictly after the given time', () => {
    expect(runs('0 12 * * *', '2024-01-01 12:00:00', 1)).toEqual(['2024-01-02 12:00:00']);
    expect(runs('0 12 * * *', '2024-01-01 11:59:59.500', 1)).toEqual(['2024-01-01 12:00:00']);
  });

  it('ranges with steps: 3-23/8 is 3, 11, 19', () => {
    const next = runs('0 3-23/8 * * *', '2024-01-01 04:00:00');
    expect(next).toEqual(['2024-01-01 11:00:00', '2024-01-01 19:00:00', '2024-01-02 03:00:00']);
  });

  it('a start with a step, N/step, runs from N to the end of the range', () => {
    const next = runs('5/20 * * * *', '2024-01-01 00:10:00');
    expect(next).toEqual(['2024-01-01 00:25:00', '2024-01-01 00:45:00', '2024-01-01 01:05:00']);
  });

  it('a step larger than the range keeps only its start', () => {
    const next = runs('*/100 * * * *', '2024-01-01 00:00:00', 2);
    expect(next).toEqual(['2024-01-01 01:00:00', '2024-01-01 02:00:00']);
  });

  it('lists, and business hours on weekdays', () => {
    const businessHours = runs('*/15 9-17 * * 1-5', '2024-01-05 17:50:00');
    expect(businessHours).toEqual(['2024-01-08 09:00:00', '2024-01-08 09:15:00', '2024-01-08 09:30:00']);
    const twiceOnFirsts = runs('0 0,12 1 */2 *', '2024-01-01 06:00:00');
    expect(twiceOnFirsts).toEqual(['2024-01-01 12:00:00', '2024-03-01 00:00:00', '2024-03-01 12:00:00']);
  });

  it('month and day names, in any case, alone and in ranges', () => {
    const weekdaysOfQ1 = runs('0 0 * JAN-mar MON-fri', '2024-03-29 00:00:00');
    expect(weekdaysOfQ1).toEqual(['2025-01-01 00:00:00', '2025-01-02 00:00:00', '2025-01-03 00:00:00']);
    const sundays = runs('0 9 * * Sun', '2024-01-01 00:00:00', 2);
    expect(sundays).toEqual(['2024-01-07 09:00:00', '2024-01-14 09:00:00']);
    expect(runs('0 0 1 dec *', '2024-01-01 00:00:00', 1)).toEqual(['2024-12-01 00:00:00']);
  });

  it('? means the same as *', () => {
    const mondays = runs('0 0 ? * mon', '2024-01-01 00:00:00');
    expect(mondays).toEqual(['2024-01-08 00:00:00', '2024-01-15 00:00:00', '2024-01-22 00:00:00']);
    expect(runs('? ? ? ? ?', '2024-01-15 00:00:05', 1)).toEqual(['2024-01-15 00:01:00']);
  });

  it('tabs and repeated spaces separate fields', () => {
    expect(runs('0\t9  * *\t*', '2024-01-05 10:00:00', 1)).toEqual(['2024-01-06 09:00:00']);
  });

  it('day of month and day of week both restricted: either one matching is enough', () => {
    // The 13th of the month or any Friday.
    const next = runs('0 0 13 * 5', '2024-01-01 00:00:00');
    expect(next).toEqual(['2024-01-05 00:00:00', '2024-01-12 00:00:00', '2024-01-13 00:00:00']);
    const everyDay = runs('0 0 1-31 * 1', '2024-01-01 00:00:00', 2);
    expect(everyDay).toEqual(['2024-01-02 00:00:00', '2024-01-03 00:00:00']);
    const everyDayToo = runs('0 0 1 * 0-6', '2024-01-01 00:00:00', 2);
    expect(everyDayToo).toEqual(['2024-01-02 00:00:00', '2024-01-03 00:00:00']);
  });

  it('a day field written as * or ? leaves the other one in charge', () => {
    const firstsOnly = runs('0 0 1 * ?', '2024-01-01 00:00:00', 2);
    expect(firstsOnly).toEqual(['2024-02-01 00:00:00', '2024-03-01 00:00:00']);
  });

  // robfig keeps the "star" mark of `*/1` (only a step above 1 drops it), and a starred day field
  // makes the two day fields combine with AND instead of OR.
  it('*/1 in day of week is a wildcard: "0 0 1 * */1" runs on the 1st only', () => {
    const firsts = runs('0 0 1 * */1', '2024-01-01 00:00:00', 2);
    expect(firsts).toEqual(['2024-02-01 00:00:00', '2024-03-01 00:00:00']);
  });

  it('*/1 in day of month is a wildcard: "0 0 */1 * 1" runs on Mondays only', () => {
    const mondaysOnly = runs('0 0 */1 * 1', '2024-01-01 00:00:00', 2);
    expect(mondaysOnly).toEqual(['2024-01-08 00:00:00', '2024-01-15 00:00:00']);
  });

  it('*/2 in a day field is a restriction (robfig drops the star for a step above 1)', () => {
    // The 1st, or a Sunday, Tuesday, Thursday or Saturday.
    const next = runs('0 0 1 * */2', '2024-01-01 00:00:00');
    expect(next).toEqual(['2024-01-02 00:00:00', '2024-01-04 00:00:00', '2024-01-06 00:00:00']);
  });

  it('the 31st skips shorter months; 29 February waits for a leap year', () => {
    const thirtyFirsts = runs('0 0 31 * *', '2024-02-01 00:00:00', 2);
    expect(thirtyFirsts).toEqual(['2024-03-31 00:00:00', '2024-05-31 00:00:00']);
    expect(runs('0 0 0 29 2 *', '2024-03-01 00:00:00', 1)).toEqual(['2028-02-29 00:00:00']);
  });

  it('empty entries in a list are ignored, as robfig splits lists with FieldsFunc', () => {
    const halfHours = runs('0,,30 * * * *', '2024-01-01 00:00:00', 2);
    expect(halfHours).toEqual(['2024-01-01 00:30:00', '2024-01-01 01:00:00']);
  });

  it('accepts a plus sign before a number, as strconv.Atoi in Go does', () => {
    expect(runs('+5 * * * *', '2024-01-01 00:00:00', 2)).toEqual([
      '2024-01-01 00:05:00',
      '2024-01-01 01:05:00',
    ]);
  });

  it('accepts an impossible date: robfig parses it and just never runs it', () => {
    expect(parseProwCron('0 0 30 2 *').next(new Date('2024-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('refuses a time-zone prefix, which makes Prow silently never schedule the job', () => {
    expect(() => parseProwCron('TZ=Asia/Tokyo 0 9 * * *')).toThrow(/UTC/);
  });
});

describe('parseProwCron: descriptors', () => {
  const cases: [string, string, string[]][] = [
    ['@yearly', '2024-06-01 00:00:00', ['2025-01-01 00:00:00', '2026-01-01 00:00:00']],
    ['@annually', '2024-06-01 00:00:00', ['2025-01-01 00:00:00', '2026-01-01 00:00:00']],
    ['@monthly', '2024-01-15 10:00:00', ['2024-02-01 00:00:00', '2024-03-01 00:00:00']],
    ['@weekly', '2024-01-01 10:00:00', ['2024-01-07 00:00:00', '2024-01-14 00:00:00']],
    ['@daily', '2024-01-01 10:00:00', ['2024-01-02 00:00:00', '2024-01-03 00:00:00']],
    ['@midnight', '2024-01-01 10:00:00', ['2024-01-02 00:00:00', '2024-01-03 00:00:00']],
    ['@hourly', '2024-01-01 10:20:30', ['2024-01-01 11:00:00', '2024-01-01 12:00:00']],
  ];
  for (const [descriptor, after, expected] of cases) {
    it(`${descriptor} runs at ${expected.join(', ')} after ${after}`, () => {
      expect(runs(descriptor, after, 2)).toEqual(expected);
    });
  }

  it('@every <duration> runs at a fixed delay from the given time, truncated to the second', () => {
    const every10m = runs('@every 10m', '2024-01-01 00:00:05.700');
    expect(every10m).toEqual(['2024-01-01 00:10:05', '2024-01-01 00:20:05', '2024-01-01 00:30:05']);
    const every90m = runs('@every 1h30m', '2024-01-01 00:00:00', 2);
    expect(every90m).toEqual(['2024-01-01 01:30:00', '2024-01-01 03:00:00']);
  });

  it('@every rounds the delay down to whole seconds and never below one second', () => {
    const next = runs('@every 1500ms', '2024-01-01 00:00:05.700', 2);
    expect(next).toEqual(['2024-01-01 00:00:06', '2024-01-01 00:00:07']);
    expect(runs('@every 10ms', '2024-01-01 00:00:00', 1)).toEqual(['2024-01-01 00:00:01']);
  });

  it('rejects descriptors robfig does not know, and @every without a valid Go duration', () => {
    for (const expression of ['@reboot', '@fortnightly', '@every', '@every 1d', '@every 10']) {
      expect(() => parseProwCron(expression), expression).toThrow(CronError);
    }
  });

  it('rejects whitespace around a descriptor or doubled after @every (robfig does not trim them)', () => {
    for (const expression of [' @daily', '@every  10m', '@every 10m ']) {
      expect(() => parseProwCron(expression), JSON.stringify(expression)).toThrow(CronError);
    }
  });

  it('rejects descriptors in another case (robfig compares them exactly)', () => {
    for (const expression of ['@Daily', '@HOURLY']) {
      expect(() => parseProwCron(expression), expression).toThrow(CronError);
    }
  });
});

describe('parseProwCron: rejected expressions', () => {
  const invalid: [string, string][] = [
    ['61 minutes', '61 * * * *'],
    ['minute 60', '60 * * * *'],
    ['second 60 in 6 fields', '60 * * * * *'],
    ['hour 24', '0 24 * * *'],
    ['day of month 0', '0 0 0 * *'],
    ['day of month 32', '0 0 32 * *'],
    ['month 0', '0 0 * 0 *'],
    ['month 13', '0 0 * 13 *'],
    ['day of week 7 (robfig stops at 6)', '0 0 * * 7'],
    ['day-of-week range up to 7', '0 0 * * 1-7'],
    ['4 fields', '* * * *'],
    ['7 fields', '* * * * * * *'],
    ['an empty expression', ''],
    ['L (last day)', '0 0 L * *'],
    ['W (nearest weekday)', '0 0 15W * *'],
    ['# (nth weekday)', '0 0 * * 5#3'],
    ['L in day of week', '0 0 * * 5L'],
    ['a reversed range', '5-1 * * * *'],
    ['a reversed named range', '0 0 * * fri-mon'],
    ['a step of 0', '*/0 * * * *'],
    ['a negative number', '-5 * * * *'],
    ['two hyphens', '1-2-3 * * * *'],
    ['two slashes', '*/5/2 * * * *'],
    ['a non-numeric step', '*/x * * * *'],
    ['a full day name', '0 0 * * monday'],
    ['a month name in the day-of-week field', '0 0 * * jan'],
    ['a day name in the month field', '0 0 * mon *'],
    ['a name in the day-of-month field', '0 0 mon * *'],
    ['words', 'every day at noon'],
  ];
  for (const [what, expression] of invalid) {
    it(`rejects ${what}: ${JSON.stringify(expression)}`, () => {
      expect(() => parseProwCron(expression)).toThrow(CronError);
    });
  }

  it('names the expression in the error', () => {
    expect(() => parseProwCron('0 0 * * 7')).toThrow("'0 0 * * 7'");
  });
});

describe('periodics in the job config', () => {
  it('compiles cron, interval and minimum_interval', () => {
    const [hourly, every, atLeast] = periodics(`
- name: hourly
  cron: '5 * * * *'
- name: every
  interval: 1h30m
- name: at-least
  minimum_interval: 45m
`);
    const next = hourly!.schedule?.next(utc('2024-01-01 00:10:00'));
    expect(next && show(next)).toBe('2024-01-01 01:05:00');
    expect(every!.intervalMs).toBe(5_400_000);
    expect(atLeast!.minimumIntervalMs).toBe(2_700_000);
  });

  it('rejects an invalid cron, an invalid interval, and more than one trigger', () => {
    expect(problemsLoading('periodics', "- name: p\n  cron: '0 0 * * 7'")).toHaveLength(1);
    expect(problemsLoading('periodics', '- name: p\n  interval: 1d')).toHaveLength(1);
    expect(problemsLoading('periodics', "- name: p\n  interval: '10'")).toHaveLength(1);
    expect(problemsLoading('periodics', "- name: p\n  cron: '@daily'\n  interval: 1h")).toHaveLength(1);
    expect(problemsLoading('periodics', '- name: p')).toHaveLength(1);
  });
});

describe('parseGoDuration (time.ParseDuration, in milliseconds)', () => {
  const valid: [string, number][] = [
    ['1h30m', 5_400_000],
    ['2h0m0s', 7_200_000],
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['15m', 900_000],
    ['90s', 90_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['1h1h', 7_200_000],
    ['1m1h', 3_660_000],
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['0s', 0],
    ['-1.5s', -1500],
    ['+2m', 120_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['1h2m3s4ms', 3_723_004],
  ];
  for (const [text, ms] of valid) {
    it(`parses ${JSON.stringify(text)} as ${ms} ms`, () => {
      expect(parseGoDuration(text)).toBe(ms);
    });
  }

  const invalid: [string, string][] = [
    ['a number without unit', '10'],
    ['days (Go has no d unit)', '1d'],
    ['weeks', '2w'],
    ['the empty string', ''],
    ['a lone sign', '-'],
    ['a lone dot', '.'],
    ['an upper-case unit', '1H'],
    ['a space between components', '1h 30m'],
    ['leading whitespace', ' 1h'],
    ['exponent notation', '1e3s'],
    ['a unit without a number', 'h'],
    ['two signs', '--1s'],
    ['zero with leading zeros and no unit', '00'],
  ];
  for (const [what, text] of invalid) {
    it(`rejects ${what}: ${JSON.stringify(text)}`, () => {
      expect(() => parseGoDuration(text)).toThrow(GoDurationError);
    });
  }

  it('rejects a duration beyond what Go can hold (about 2562047h)', () => {
    expect(() => parseGoDuration('3000000h')).toThrow(GoDurationError);
  });
});

describe("formatGoDuration (Go's Duration.String)", () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [300, '300ms'],
    [1000, '1s'],
    [1001, '1.001s'],
    [1500, '1.5s'],
    [61_000, '1m1s'],
    [900_000, '15m0s'],
    [5_400_000, '1h30m0s'],
    [7_200_000, '2h0m0s'],
    [3_600_500, '1h0m0.5s'],
    [-90_000, '-1m30s'],
    [86_400_000, '24h0m0s'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} ms as ${text}`, () => {
      expect(formatGoDuration(ms)).toBe(text);
    });
  }

  it('formats a fractional millisecond count above one millisecond in ms', () => {
    expect(formatGoDuration(1.5)).toBe('1.5ms');
  });

  it('formats durations under a millisecond in µs and ns, as Go does', () => {
    expect(formatGoDuration(0.5)).toBe('500µs');
    expect(formatGoDuration(0.000_001)).toBe('1ns');
  });

  it('round-trips what it parses', () => {
    for (const text of ['1h30m0s', '2h0m0s', '300ms', '1m1s', '1.5s']) {
      expect(formatGoDuration(parseGoDuration(text))).toBe(text);
    }
  });
});
