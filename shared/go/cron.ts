import { parseGoDuration } from './duration';

/**
 * Prow schedules periodics with robfig/cron v3 (seconds optional, descriptors allowed), always
 * in UTC. Its grammar and day-matching rules differ from other cron dialects in ways schedules
 * depend on — `*` and `?` mark a day field "unrestricted" so day-of-month and day-of-week combine
 * by AND, otherwise by OR; `*\/1` keeps that mark, `*\/2` loses it; list items may be empty — so
 * this module implements robfig's rules rather than approximating them with another library.
 */
export interface CronSchedule {
  readonly expression: string;
  /** The first run strictly after `after`, or undefined when the schedule can never fire (`0 0 30 2 *`). */
  next(after: Date): Date | undefined;
}

export class CronError extends Error {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`invalid cron '${expression}': ${reason}`);
    this.name = 'CronError';
  }
}

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const SECOND: FieldRule = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldRule = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldRule = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldRule = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldRule = {
  name: 'month',
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DAY_OF_WEEK: FieldRule = {
  name: 'day of week',
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

/** A field's allowed values, plus robfig's "star" mark for `*` and `?` without a step > 1. */
interface FieldSet {
  readonly values: ReadonlySet<number>;
  readonly star: boolean;
}

interface Fields {
  readonly second: FieldSet;
  readonly minute: FieldSet;
  readonly hour: FieldSet;
  readonly dayOfMonth: FieldSet;
  readonly month: FieldSet;
  readonly dayOfWeek: FieldSet;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

export function parseProwCron(expression: string): CronSchedule {
  if (expression === '') throw new CronError(expression, 'empty');
  if (/^(CRON_)?TZ=/.test(expression)) {
    // Prow's horologium prefixes "TZ=UTC" itself, so a second zone makes the job never run.
    throw new CronError(expression, 'periodics run in UTC; remove the time-zone prefix and convert the times');
  }
  if (expression.startsWith('@every ')) {
    const everyMs = everyInterval(expression, expression.slice('@every '.length));
    return {
      expression,
      // robfig's ConstantDelaySchedule: whole seconds after the previous run.
      next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + everyMs),
    };
  }
  let spec = expression;
  if (spec.startsWith('@')) {
    const expanded = DESCRIPTORS[spec];
    if (!expanded) throw new CronError(expression, `unrecognized descriptor '${spec}'`);
    spec = expanded;
  }
  const parts = spec.split(/\s+/).filter((part) => part !== '');
  if (parts.length === 5) parts.unshift('0');
  else if (parts.length !== 6) {
    throw new CronError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`,
    );
  }
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = parts as [string, string, string, string, string, string];
  const fields: Fields = {
    second: parseField(expression, second, SECOND),
    minute: parseField(expression, minute, MINUTE),
    hour: parseField(expression, hour, HOUR),
    dayOfMonth: parseField(expression, dayOfMonth, DAY_OF_MONTH),
    month: parseField(expression, month, MONTH),
    dayOfWeek: parseField(expression, dayOfWeek, DAY_OF_WEEK),
  };
  return { expression, next: (after) => nextRun(fields, after) };
}

function everyInterval(expression: string, durationText: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(durationText);
  } catch (error) {
    throw new CronError(expression, (error as Error).message);
  }
  // robfig rounds @every down to whole seconds, and never below one second.
  return Math.max(1000, Math.floor(ms / 1000) * 1000);
}

function parseField(expression: string, field: string, rule: FieldRule): FieldSet {
  const values = new Set<number>();
  let star = false;
  // Empty list items are dropped, as robfig splits with strings.FieldsFunc.
  for (const item of field.split(',').filter((part) => part !== '')) {
    const rangeAndStep = item.split('/');
    if (rangeAndStep.length > 2) throw new CronError(expression, `${rule.name}: too many slashes in '${item}'`);
    const lowAndHigh = rangeAndStep[0]!.split('-');
    let start: number;
    let end: number;
    let itemStar = false;
    if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
      start = rule.min;
      end = rule.max;
      itemStar = true;
    } else {
      if (lowAndHigh.length > 2) throw new CronError(expression, `${rule.name}: too many hyphens in '${item}'`);
      start = fieldValue(expression, lowAndHigh[0]!, rule);
      end = lowAndHigh.length === 2 ? fieldValue(expression, lowAndHigh[1]!, rule) : start;
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
      step = parseGoInt(expression, rangeAndStep[1]!, rule);
      if (lowAndHigh.length === 1) end = rule.max;
      if (step > 1) itemStar = false;
    }
    if (start < rule.min) throw new CronError(expression, `${rule.name}: ${start} is below ${rule.min}`);
    if (end > rule.max) throw new CronError(expression, `${rule.name}: ${end} is beyond ${rule.max}`);
    if (start > end) throw new CronError(expression, `${rule.name}: range start ${start} is beyond end ${end}`);
    if (step === 0) throw new CronError(expression, `${rule.name}: step must be a positive number`);
    for (let value = start; value <= end; value += step) values.add(value);
    star ||= itemStar;
  }
  if (values.size === 0) throw new CronError(expression, `${rule.name}: no values in '${field}'`);
  return { values, star };
}

function fieldValue(expression: string, text: string, rule: FieldRule): number {
  const named = rule.names?.[text.toLowerCase()];
  return named ?? parseGoInt(expression, text, rule);
}

/** Go's strconv.Atoi (an optional sign, then digits), refusing negatives as robfig does. */
function parseGoInt(expression: string, text: string, rule: FieldRule): number {
  if (!/^[+-]?\d+$/.test(text)) throw new CronError(expression, `${rule.name}: '${text}' is not a number`);
  const value = Number(text);
  if (value < 0) throw new CronError(expression, `${rule.name}: negative number ${value} is not allowed`);
  return value;
}

const MAX_SEARCH_YEARS = 5;

/** robfig's SpecSchedule.Next, in UTC: roll the largest unmatched unit forward, then re-check. */
function nextRun(fields: Fields, after: Date): Date | undefined {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const yearLimit = t.getUTCFullYear() + MAX_SEARCH_YEARS;
  while (t.getUTCFullYear() <= yearLimit) {
    if (!fields.month.values.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(fields, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!fields.hour.values.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!fields.minute.values.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!fields.second.values.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      continue;
    }
    return t;
  }
  return undefined;
}

function dayMatches(fields: Fields, t: Date): boolean {
  const dayOfMonth = fields.dayOfMonth.values.has(t.getUTCDate());
  const dayOfWeek = fields.dayOfWeek.values.has(t.getUTCDay());
  if (fields.dayOfMonth.star || fields.dayOfWeek.star) return dayOfMonth && dayOfWeek;
  return dayOfMonth || dayOfWeek;
}
