import { CronExpressionParser } from 'cron-parser';
import { parseGoDuration } from './go-duration';

/**
 * Prow schedules periodics with robfig/cron (seconds optional, descriptors allowed) in UTC.
 * We check the expression against robfig's grammar — so a config Prow rejects is rejected here
 * too — and let cron-parser compute the run times.
 */
export interface CronSchedule {
  readonly expression: string;
  /** The first run strictly after `after`. */
  next(after: Date): Date;
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
  readonly names?: readonly string[];
}

const SECOND: FieldRule = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldRule = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldRule = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldRule = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldRule = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const DAY_OF_WEEK: FieldRule = {
  name: 'day of week',
  min: 0,
  max: 6,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

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
  let spec = expression.trim();
  let timeZone = 'UTC';
  const tzPrefix = /^(?:CRON_)?TZ=(\S+)\s+/.exec(spec);
  if (tzPrefix) {
    timeZone = tzPrefix[1]!;
    spec = spec.slice(tzPrefix[0].length);
    if (!isKnownTimeZone(timeZone)) throw new CronError(expression, `unknown time zone '${timeZone}'`);
  }
  if (spec.startsWith('@every ')) {
    const everyMs = everyInterval(expression, spec.slice('@every '.length).trim());
    return {
      expression,
      next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + everyMs),
    };
  }
  if (spec.startsWith('@')) {
    const expanded = DESCRIPTORS[spec.toLowerCase()];
    if (!expanded) throw new CronError(expression, `unrecognized descriptor '${spec}'`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/);
  let rules: FieldRule[];
  if (fields.length === 5) rules = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];
  else if (fields.length === 6) rules = [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];
  else
    throw new CronError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`,
    );
  for (const [index, field] of fields.entries()) checkField(expression, field, rules[index]!);
  const normalized = fields.map((field) => field.replaceAll('?', '*')).join(' ');
  return {
    expression,
    next: (after) =>
      CronExpressionParser.parse(normalized, { currentDate: after, tz: timeZone }).next().toDate(),
  };
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

function checkField(expression: string, field: string, rule: FieldRule): void {
  for (const part of field.split(',')) {
    const [range, step, ...extra] = part.split('/');
    if (extra.length > 0 || range === undefined || range === '') {
      throw new CronError(expression, `${rule.name}: malformed '${part}'`);
    }
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) {
      throw new CronError(expression, `${rule.name}: step '${step}' must be a positive number`);
    }
    if (range === '*' || range === '?') continue;
    const [low, high, ...more] = range.split('-');
    if (more.length > 0) throw new CronError(expression, `${rule.name}: malformed range '${range}'`);
    const start = fieldValue(expression, low!, rule);
    const end = high === undefined ? start : fieldValue(expression, high, rule);
    if (start > end) {
      throw new CronError(expression, `${rule.name}: range start ${start} is beyond end ${end}`);
    }
  }
}

function fieldValue(expression: string, text: string, rule: FieldRule): number {
  const named = rule.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (rule === MONTH ? 1 : 0);
  if (!/^\d+$/.test(text)) throw new CronError(expression, `${rule.name}: '${text}' is not a number`);
  const value = Number(text);
  if (value < rule.min || value > rule.max) {
    throw new CronError(expression, `${rule.name}: ${value} is outside ${rule.min}-${rule.max}`);
  }
  return value;
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
