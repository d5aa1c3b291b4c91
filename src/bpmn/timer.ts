/**
 * ISO 8601 timer values as Zeebe reads them: durations (P1DT2H, PT0.5S), dates with a zone offset
 * (2030-01-01T10:00:00Z) and repeating intervals (R3/PT10S, R/P1D, R2/2030-01-01T10:00:00Z/PT1H). Pure functions:
 * the caller gives "now".
 */
import { looksLikeCron, parseCron, type CronExpression } from './cron.js';

export type TimerParse<T> = { ok: true; value: T } | { ok: false; message: string };

/** A duration: calendar parts (years, months) are added on the calendar, the rest as milliseconds. */
export interface IsoDuration {
  years: number;
  months: number;
  milliseconds: number;
}

/** A repeating interval; repetitions -1 means forever (R/ without a count). */
export interface IsoCycle {
  repetitions: number;
  duration: IsoDuration;
  /** An explicit start, when the cycle names one. */
  startMs?: number;
  /** A cron expression instead of an interval (Zeebe's cron cycles): repeats forever, at the times it matches. */
  cron?: CronExpression;
}

const DURATION_PATTERN =
  /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})(?:\[[^\]]+\])?$/;

export function parseDuration(text: string): TimerParse<IsoDuration> {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match || text.trim() === 'P' || text.trim().endsWith('T')) {
    return { ok: false, message: `Expected a duration in ISO 8601 format (e.g. 'PT10S'), but found '${text}'` };
  }
  const number = (index: number) => Number((match[index] ?? '0').replace(',', '.'));
  const sign = match[1] ? -1 : 1;
  const milliseconds =
    ((number(4) * 7 + number(5)) * 86_400_000 + number(6) * 3_600_000 + number(7) * 60_000 + number(8) * 1000) * sign;
  return { ok: true, value: { years: number(2) * sign, months: number(3) * sign, milliseconds: Math.round(milliseconds) } };
}

export function parseDate(text: string): TimerParse<number> {
  const trimmed = text.trim();
  const withoutZoneId = trimmed.replace(/\[[^\]]+\]$/, '');
  const timeMs = DATE_PATTERN.test(trimmed) ? Date.parse(withoutZoneId) : Number.NaN;
  if (Number.isNaN(timeMs)) {
    return { ok: false, message: `Expected a date time in ISO 8601 format with a zone (e.g. '2030-01-01T10:00:00Z'), but found '${text}'` };
  }
  return { ok: true, value: timeMs };
}

export function parseCycle(text: string): TimerParse<IsoCycle> {
  if (looksLikeCron(text)) {
    const cron = parseCron(text);
    if (!cron.ok) return cron;
    return { ok: true, value: { repetitions: -1, duration: { years: 0, months: 0, milliseconds: 0 }, cron: cron.value } };
  }
  const parts = text.trim().split('/');
  const repetitionsMatch = /^R(\d*)$/.exec(parts[0] ?? '');
  if (!repetitionsMatch || parts.length < 2 || parts.length > 3) {
    const expected = "a repeating interval in ISO 8601 format (e.g. 'R3/PT10S') or a cron expression (e.g. '0 0 9-17 * * MON-FRI')";
    return { ok: false, message: `Expected ${expected}, but found '${text}'` };
  }
  const repetitions = repetitionsMatch[1] === '' ? -1 : Number(repetitionsMatch[1]);
  let startMs: number | undefined;
  let durationText = parts[1];
  if (parts.length === 3) {
    const start = parseDate(parts[1]);
    if (!start.ok) return start;
    startMs = start.value;
    durationText = parts[2];
  }
  const duration = parseDuration(durationText);
  if (!duration.ok) return duration;
  return { ok: true, value: { repetitions, duration: duration.value, startMs } };
}

/** The time a duration after fromMs; years and months move along the UTC calendar. */
export function addDuration(fromMs: number, duration: IsoDuration): number {
  if (duration.years === 0 && duration.months === 0) return fromMs + duration.milliseconds;
  const date = new Date(fromMs);
  date.setUTCMonth(date.getUTCMonth() + Math.trunc(duration.years * 12 + duration.months));
  return date.getTime() + duration.milliseconds;
}

/** Checks the text of a static timer value of the given kind; returns why it is invalid, or undefined. */
export function checkTimerText(kind: 'date' | 'duration' | 'cycle', text: string): string | undefined {
  const parsed = kind === 'date' ? parseDate(text) : kind === 'duration' ? parseDuration(text) : parseCycle(text);
  return parsed.ok ? undefined : parsed.message;
}
