/**
 * Cron expressions for timer cycles, as Zeebe reads them (Spring's format): six fields, `second minute hour
 * day-of-month month day-of-week`, e.g. `0 0 9-17 * * MON-FRI`, or a macro (@yearly, @annually, @monthly, @weekly,
 * @daily, @midnight, @hourly). A field is `*` (or `?` for the days), a value, a range `a-b`, a step `a/n`, `a-b/n`
 * or `* /n`, or a comma list of those; months and weekdays may be named (JAN, MON), Sunday is 0 or 7. Day of month
 * takes `L` (last day), `L-n`, `nW` (the Monday to Friday nearest day n) and `LW` (the last Monday to Friday); day of
 * week takes `nL` (last such weekday of the month) and `n#k` (k-th one). Both day fields must match, as in Spring.
 * Times are in UTC. Pure functions: the caller gives "now".
 */

export type CronParse<T> = { ok: true; value: T } | { ok: false; message: string };

/** A day-of-month or day-of-week rule beyond plain values. */
type DayRule =
  | { kind: 'lastDayOfMonth'; offset: number }
  /** nW: day n if it is Monday to Friday, else the nearest such day in the same month. */
  | { kind: 'nearestWorkday'; day: number }
  /** LW: the last Monday to Friday of the month. */
  | { kind: 'lastWorkdayOfMonth' }
  | { kind: 'lastWeekdayOfMonth'; weekday: number }
  | { kind: 'nthWeekdayOfMonth'; weekday: number; nth: number };

export interface CronExpression {
  readonly text: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 is Sunday. */
  readonly daysOfWeek: ReadonlySet<number>;
  readonly dayOfMonthRules: readonly DayRule[];
  readonly dayOfWeekRules: readonly DayRule[];
}

const MACROS: { readonly [name: string]: string } = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The value the first name stands for. */
  namesFrom?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAY_NAMES, namesFrom: 0 },
];

/** Days to look ahead for the next match: 28 years hold every combination of weekday, date and leap year. */
const SEARCH_DAYS_MAX = 366 * 28 + 7;
const DAY_MS = 86_400_000;

/** Whether the text is meant as a cron expression (rather than an ISO 8601 repeating interval). */
export function looksLikeCron(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith('@') || /\s/.test(trimmed);
}

export function parseCron(text: string): CronParse<CronExpression> {
  const trimmed = text.trim();
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) return invalid(text, `unknown macro '${trimmed}'`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 6) return invalid(text, `expected 6 fields (second minute hour day-of-month month day-of-week), but found ${parts.length}`);
  const sets: number[][] = [];
  const rules: DayRule[][] = [[], [], [], [], [], []];
  for (let index = 0; index < FIELDS.length; index++) {
    const parsed = parseField(parts[index], FIELDS[index], rules[index]);
    if (typeof parsed === 'string') return invalid(text, parsed);
    sets.push(parsed);
  }
  const cron: CronExpression = {
    text: trimmed,
    seconds: sets[0],
    minutes: sets[1],
    hours: sets[2],
    daysOfMonth: new Set(sets[3]),
    months: new Set(sets[4]),
    daysOfWeek: new Set(sets[5].map((day) => day % 7)),
    dayOfMonthRules: rules[3],
    dayOfWeekRules: rules[5],
  };
  if (nextCronTime(cron, 0) === undefined) return invalid(text, 'it never fires (no such date)');
  return { ok: true, value: cron };
}

function invalid(text: string, reason: string): { ok: false; message: string } {
  return { ok: false, message: `Expected a cron expression (e.g. '0 0 9-17 * * MON-FRI'), but found '${text}': ${reason}` };
}

/** The values a field allows, sorted; or why it is invalid. Day rules (L, #) go to rules. */
function parseField(text: string, spec: FieldSpec, rules: DayRule[]): number[] | string {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const rule = parseDayRule(item.toUpperCase(), spec);
    if (typeof rule === 'string') return rule;
    if (rule) {
      rules.push(rule);
      continue;
    }
    const range = parseRange(item, spec);
    if (typeof range === 'string') return range;
    for (let value = range.from; value <= range.to; value += range.step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseDayRule(item: string, spec: FieldSpec): DayRule | undefined | string {
  if (spec.name === 'day-of-month') {
    const last = /^L(?:-(\d+))?$/.exec(item);
    if (last) return { kind: 'lastDayOfMonth', offset: Number(last[1] ?? 0) };
    if (item === 'LW') return { kind: 'lastWorkdayOfMonth' };
    const nearest = /^(\d+)W$/.exec(item);
    if (nearest) {
      const day = parseValue(nearest[1], spec);
      return typeof day === 'string' ? day : { kind: 'nearestWorkday', day };
    }
    if (item.includes('W')) return `invalid day-of-month '${item}': 'W' follows a single day (15W) or L (LW)`;
  }
  if (spec.name === 'day-of-week') {
    const last = /^(\w+)L$/.exec(item);
    const nth = /^(\w+)#([1-5])$/.exec(item);
    const weekday = last?.[1] ?? nth?.[1];
    if (weekday === undefined) return undefined;
    const value = parseValue(weekday, spec);
    if (typeof value === 'string') return value;
    return last ? { kind: 'lastWeekdayOfMonth', weekday: value % 7 } : { kind: 'nthWeekdayOfMonth', weekday: value % 7, nth: Number(nth![2]) };
  }
  return undefined;
}

function parseRange(item: string, spec: FieldSpec): { from: number; to: number; step: number } | string {
  const [rangeText, stepText, extra] = item.split('/');
  if (extra !== undefined || rangeText === '') return `invalid ${spec.name} '${item}'`;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? '1')) return `invalid step in ${spec.name} '${item}'`;
  const isDay = spec.name === 'day-of-month' || spec.name === 'day-of-week';
  if (rangeText === '*' || (rangeText === '?' && isDay)) return { from: spec.min, to: spec.max, step };
  const [fromText, toText, more] = rangeText.split('-');
  if (more !== undefined) return `invalid range in ${spec.name} '${item}'`;
  const from = parseValue(fromText, spec);
  if (typeof from === 'string') return from;
  const to = toText === undefined ? (stepText === undefined ? from : spec.max) : parseValue(toText, spec);
  if (typeof to === 'string') return to;
  if (from > to) return `the range '${rangeText}' of ${spec.name} goes backwards`;
  return { from, to, step };
}

function parseValue(text: string, spec: FieldSpec): number | string {
  const nameIndex = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (nameIndex >= 0) return nameIndex + (spec.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) return `invalid ${spec.name} '${text}'`;
  const value = Number(text);
  if (value < spec.min || value > spec.max) return `${spec.name} '${text}' is out of range ${spec.min}-${spec.max}`;
  return value;
}

/** The first time strictly after afterMs (to the second) that the expression matches, or undefined when none. */
export function nextCronTime(cron: CronExpression, afterMs: number): number | undefined {
  const startSecondMs = Math.floor(afterMs / 1000) * 1000 + 1000;
  const firstDayMs = Math.floor(startSecondMs / DAY_MS) * DAY_MS;
  for (let day = 0; day < SEARCH_DAYS_MAX; day++) {
    const dayMs = firstDayMs + day * DAY_MS;
    if (!matchesDay(cron, new Date(dayMs))) continue;
    const fromSecondOfDay = day === 0 ? (startSecondMs - dayMs) / 1000 : 0;
    const secondOfDay = firstTimeOfDay(cron, fromSecondOfDay);
    if (secondOfDay !== undefined) return dayMs + secondOfDay * 1000;
  }
  return undefined;
}

function matchesDay(cron: CronExpression, date: Date): boolean {
  if (!cron.months.has(date.getUTCMonth() + 1)) return false;
  const dayOfMonth = cron.daysOfMonth.has(date.getUTCDate()) || cron.dayOfMonthRules.some((rule) => matchesRule(rule, date));
  const dayOfWeek = cron.daysOfWeek.has(date.getUTCDay()) || cron.dayOfWeekRules.some((rule) => matchesRule(rule, date));
  return dayOfMonth && dayOfWeek;
}

function matchesRule(rule: DayRule, date: Date): boolean {
  const day = date.getUTCDate();
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  if (rule.kind === 'lastDayOfMonth') return day === lastDay - rule.offset;
  if (rule.kind === 'nearestWorkday') return rule.day <= lastDay && day === nearestWorkday(rule.day, date, lastDay);
  if (rule.kind === 'lastWorkdayOfMonth') return day === nearestWorkday(lastDay, date, lastDay);
  if (date.getUTCDay() !== rule.weekday) return false;
  if (rule.kind === 'lastWeekdayOfMonth') return day + 7 > lastDay;
  return Math.ceil(day / 7) === rule.nth;
}

/**
 * The Monday to Friday nearest to day `target` of the month of `date`, never in another month: a Saturday moves to
 * the Friday before (to Monday the 3rd for the 1st), a Sunday to the Monday after (to Friday for the last day).
 */
function nearestWorkday(target: number, date: Date, lastDay: number): number {
  const weekday = (((date.getUTCDay() + target - date.getUTCDate()) % 7) + 7) % 7;
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === lastDay ? target - 2 : target + 1;
  return target;
}

/** The first second of the day at or after fromSecondOfDay that matches the time fields. */
function firstTimeOfDay(cron: CronExpression, fromSecondOfDay: number): number | undefined {
  const fromHour = Math.floor(fromSecondOfDay / 3600);
  const fromMinute = Math.floor((fromSecondOfDay % 3600) / 60);
  const fromSecond = fromSecondOfDay % 60;
  for (const hour of cron.hours) {
    if (hour < fromHour) continue;
    for (const minute of cron.minutes) {
      if (hour === fromHour && minute < fromMinute) continue;
      const earliest = hour === fromHour && minute === fromMinute ? fromSecond : 0;
      const second = cron.seconds.find((candidate) => candidate >= earliest);
      if (second !== undefined) return hour * 3600 + minute * 60 + second;
    }
  }
  return undefined;
}
