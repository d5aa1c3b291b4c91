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

describe('cron expressions', () => {
  it('finds the next time of ranges, steps, lists and names', () => {
    expect(next('0 0 9-17 * * MON-FRI')).toBe('2023-11-15T09:00:00.000Z');
    expect(next('0 */15 * * * *')).toBe('2023-11-14T22:15:00.000Z');
    expect(next('30 13,14 22 * * *')).toBe('2023-11-14T22:13:30.000Z');
    expect(next('10 13,14 22 * * *')).toBe('2023-11-14T22:14:10.000Z');
    expect(next('0 0 12 1 JAN,jul ?')).toBe('2024-01-01T12:00:00.000Z');
    expect(next('0 0 0 * * 7')).toBe('2023-11-19T00:00:00.000Z');
    expect(next('5/20 * * * * *')).toBe('2023-11-14T22:13:25.000Z');
  });

  it('is strictly after the given time', () => {
    expect(next('20 13 22 * * *')).toBe('2023-11-15T22:13:20.000Z');
  });

  it('knows the macros and the last days of a month', () => {
    expect(next('@daily')).toBe('2023-11-15T00:00:00.000Z');
    expect(next('@hourly')).toBe('2023-11-14T23:00:00.000Z');
    expect(next('@yearly')).toBe('2024-01-01T00:00:00.000Z');
    expect(next('0 0 0 L * *')).toBe('2023-11-30T00:00:00.000Z');
    expect(next('0 0 0 L-1 * *')).toBe('2023-11-29T00:00:00.000Z');
    expect(next('0 0 0 ? * FRIL')).toBe('2023-11-24T00:00:00.000Z');
    expect(next('0 0 0 ? * MON#1')).toBe('2023-12-04T00:00:00.000Z');
    expect(next('0 0 0 29 2 *')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('finds the Monday to Friday nearest a day of the month (nW), never in another month', () => {
    // Wednesday 15 November 2023 is a weekday itself
    expect(next('0 0 0 15W * *')).toBe('2023-11-15T00:00:00.000Z');
    // Saturday 18 November: the Friday before; Sunday 19 November: the Monday after
    expect(next('0 0 0 18W * *')).toBe('2023-11-17T00:00:00.000Z');
    expect(next('0 0 0 19W * *')).toBe('2023-11-20T00:00:00.000Z');
    // Saturday 1 June 2024: Monday the 3rd, not Friday 31 May
    expect(next('0 0 0 1W 6 *')).toBe('2024-06-03T00:00:00.000Z');
    // Sunday 30 June 2024, the last day: Friday the 28th, not Monday 1 July
    expect(next('0 0 0 30W 6 *')).toBe('2024-06-28T00:00:00.000Z');
    // no 31st in April: the next 31st is Friday 31 May
    expect(next('0 0 0 31W 4,5 *')).toBe('2024-05-31T00:00:00.000Z');
    // in a list beside plain days, and at a time of day
    expect(next('0 30 8 1,18W * *')).toBe('2023-11-17T08:30:00.000Z');
  });

  it('finds the last Monday to Friday of the month (LW)', () => {
    expect(next('0 0 0 LW * *')).toBe('2023-11-30T00:00:00.000Z');
    // Sunday 31 December 2023, Saturday 31 August 2024: the Friday before
    expect(next('0 0 0 LW 12 *')).toBe('2023-12-29T00:00:00.000Z');
    expect(next('0 0 0 lw AUG *')).toBe('2024-08-30T00:00:00.000Z');
  });

  it('rejects malformed expressions and ones that never fire, saying why', () => {
    const problem = (text: string) => {
      const parsed = parseCron(text);
      return parsed.ok ? undefined : parsed.message;
    };
    expect(problem('0 0 * * *')).toContain('expected 6 fields');
    expect(problem('0 60 * * * *')).toContain("minute '60' is out of range 0-59");
    expect(problem('0 0 0 * * XYZ')).toContain("invalid day-of-week 'XYZ'");
    expect(problem('0 0 0 30 2 *')).toContain('never fires');
    expect(problem('0 0 0 W * *')).toContain("invalid day-of-month 'W': 'W' follows a single day (15W) or L (LW)");
    expect(problem('0 0 0 1-15W * *')).toContain("invalid day-of-month '1-15W'");
    expect(problem('0 0 0 32W * *')).toContain("day-of-month '32' is out of range 1-31");
    expect(problem('0 0 0 ? * 5W')).toContain("invalid day-of-week '5W'");
    expect(problem('0 0 0 31W 2 *')).toContain('never fires');
    expect(problem('@often')).toContain("unknown macro '@often'");
    expect(problem('0 0 5-1 * * *')).toContain('goes backwards');
  });
});
