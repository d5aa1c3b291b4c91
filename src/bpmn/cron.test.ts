import { describe, expect, it } from 'vitest';
import { nextCronTime, parseCron } from './cron.js';

/** 2023-11-14T22:13:20Z, a Tuesday. */
const NOW_MS = 1_700_000_000_000;

function next(text: string, afterMs = NOW_MS): string | undefined {
  const parsed = parseCron(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const time = nextCronTime(parsed.value, afterMs);
  return time === undefined ? undefined : new Date(time).toISOString();
}

function problem(text: string): string | undefined {
  const parsed = parseCron(text);
  return parsed.ok ? undefined : parsed.message;
}

/** One expression and the first time it fires after NOW_MS (Tuesday 2023-11-14T22:13:20Z). */
type NextTimeCase = [name: string, expression: string, nextTime: string];

const rangesStepsListsAndNames: NextTimeCase[] = [
  ['a range of hours on the weekdays MON-FRI', '0 0 9-17 * * MON-FRI', '2023-11-15T09:00:00.000Z'],
  ['every 15 minutes (*/15)', '0 */15 * * * *', '2023-11-14T22:15:00.000Z'],
  ['a list of minutes whose second is still ahead in this minute', '30 13,14 22 * * *', '2023-11-14T22:13:30.000Z'],
  ['a list of minutes whose second has passed in this minute', '10 13,14 22 * * *', '2023-11-14T22:14:10.000Z'],
  ['month names in either case and ? as the day of the week', '0 0 12 1 JAN,jul ?', '2024-01-01T12:00:00.000Z'],
  ['day of the week 7, which is Sunday', '0 0 0 * * 7', '2023-11-19T00:00:00.000Z'],
  ['a step of seconds from a start (5/20)', '5/20 * * * * *', '2023-11-14T22:13:25.000Z'],
  ['exactly the given time, so strictly after it is a day later', '20 13 22 * * *', '2023-11-15T22:13:20.000Z'],
];

const macrosAndLastDays: NextTimeCase[] = [
  ['the @daily macro', '@daily', '2023-11-15T00:00:00.000Z'],
  ['the @hourly macro', '@hourly', '2023-11-14T23:00:00.000Z'],
  ['the @yearly macro', '@yearly', '2024-01-01T00:00:00.000Z'],
  ['the last day of the month (L)', '0 0 0 L * *', '2023-11-30T00:00:00.000Z'],
  ['the day before the last day of the month (L-1)', '0 0 0 L-1 * *', '2023-11-29T00:00:00.000Z'],
  ['the last Friday of the month (FRIL)', '0 0 0 ? * FRIL', '2023-11-24T00:00:00.000Z'],
  ['the first Monday of the month (MON#1)', '0 0 0 ? * MON#1', '2023-12-04T00:00:00.000Z'],
  ['29 February, which waits for a leap year', '0 0 0 29 2 *', '2024-02-29T00:00:00.000Z'],
];

/** nW: the Monday to Friday nearest day n, never in another month. */
const nearestWeekdays: NextTimeCase[] = [
  ['Wednesday 15 November 2023, a weekday itself', '0 0 0 15W * *', '2023-11-15T00:00:00.000Z'],
  ['Saturday 18 November 2023: the Friday before', '0 0 0 18W * *', '2023-11-17T00:00:00.000Z'],
  ['Sunday 19 November 2023: the Monday after', '0 0 0 19W * *', '2023-11-20T00:00:00.000Z'],
  ['Saturday 1 June 2024: Monday the 3rd, not Friday 31 May', '0 0 0 1W 6 *', '2024-06-03T00:00:00.000Z'],
  ['Sunday 30 June 2024, the last day: Friday the 28th, not Monday 1 July', '0 0 0 30W 6 *', '2024-06-28T00:00:00.000Z'],
  ['the 31st of April or May: April has none, so Friday 31 May', '0 0 0 31W 4,5 *', '2024-05-31T00:00:00.000Z'],
  ['18W in a list beside a plain day, at a time of day', '0 30 8 1,18W * *', '2023-11-17T08:30:00.000Z'],
];

/** LW: the last Monday to Friday of the month. */
const lastWeekdays: NextTimeCase[] = [
  ['November 2023, which ends on a Thursday', '0 0 0 LW * *', '2023-11-30T00:00:00.000Z'],
  ['December 2023, which ends on a Sunday: the Friday before', '0 0 0 LW 12 *', '2023-12-29T00:00:00.000Z'],
  ['August 2024 in lower case, which ends on a Saturday: the Friday before', '0 0 0 lw AUG *', '2024-08-30T00:00:00.000Z'],
];

const rejections: [name: string, expression: string, reason: string][] = [
  ['five fields', '0 0 * * *', 'expected 6 fields'],
  ['minute 60', '0 60 * * * *', "minute '60' is out of range 0-59"],
  ['an unknown day name', '0 0 0 * * XYZ', "invalid day-of-week 'XYZ'"],
  ['30 February', '0 0 0 30 2 *', 'never fires'],
  ['W without a day', '0 0 0 W * *', "invalid day-of-month 'W': 'W' follows a single day (15W) or L (LW)"],
  ['W after a range', '0 0 0 1-15W * *', "invalid day-of-month '1-15W'"],
  ['W after day 32', '0 0 0 32W * *', "day-of-month '32' is out of range 1-31"],
  ['W in the day of the week', '0 0 0 ? * 5W', "invalid day-of-week '5W'"],
  ['the weekday nearest 31 February', '0 0 0 31W 2 *', 'never fires'],
  ['an unknown macro', '@often', "unknown macro '@often'"],
  ['a backwards range of hours', '0 0 5-1 * * *', 'goes backwards'],
];

describe('cron expressions', () => {
  // Rows are tuples so that %s prints each name in full (vitest shortens $name values to 40 characters).
  describe.each<[title: string, cases: NextTimeCase[]]>([
    ['ranges, steps, lists and names', rangesStepsListsAndNames],
    ['macros and the last days of a month', macrosAndLastDays],
    ['the Monday to Friday nearest a day of the month (nW), never in another month', nearestWeekdays],
    ['the last Monday to Friday of the month (LW)', lastWeekdays],
  ])('%s', (_title, cases) => {
    it.each(cases)('given %s (%s), when the next time is asked, then it is %s', (_name, expression, nextTime) => {
      expect(next(expression)).toBe(nextTime);
    });
  });

  describe('malformed expressions and ones that never fire', () => {
    it.each(rejections)('given %s (%s), when parsed, then it is rejected saying %s', (_name, expression, reason) => {
      expect(problem(expression)).toContain(reason);
    });
  });
});
