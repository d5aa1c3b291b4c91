import { FeelDate, FeelDateTime, FeelDuration, FeelTime } from 'feelin';

/** Zeebe's names for the type of an expression's result, as its messages use them. */
export type ResultType = 'NULL' | 'BOOLEAN' | 'NUMBER' | 'STRING' | 'ARRAY' | 'OBJECT' | 'UNKNOWN';

export type JsonConversion = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Turns what feelin returns into a value that can be stored as a variable (JSON): temporal values become their
 * ISO text, as Zeebe stores them; functions and ranges cannot be stored.
 */
export function toJsonValue(value: unknown): JsonConversion {
  if (value === null || value === undefined) {
    return { ok: true, value: null };
  }
  if (typeof value === 'number') {
    return { ok: true, value: Number.isFinite(value) ? value : null };
  }
  if (typeof value !== 'object') {
    return typeof value === 'function' ? notStorable('a function') : { ok: true, value };
  }
  if (isTemporal(value)) {
    return { ok: true, value: value.toString() };
  }
  if (Array.isArray(value)) {
    return convertList(value);
  }
  if (isPlainObject(value)) {
    return convertContext(value);
  }
  return notStorable(`a ${value.constructor?.name ?? 'value'}`);
}

export function resultTypeOf(value: unknown): ResultType {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number' || typeof value === 'bigint') return 'NUMBER';
  if (typeof value === 'string') return 'STRING';
  if (Array.isArray(value)) return 'ARRAY';
  return isPlainObject(value) ? 'OBJECT' : 'UNKNOWN';
}

export function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isTemporal(value: object): boolean {
  return (
    value instanceof FeelDate ||
    value instanceof FeelTime ||
    value instanceof FeelDateTime ||
    value instanceof FeelDuration
  );
}

function convertList(list: unknown[]): JsonConversion {
  const converted: unknown[] = [];
  for (const item of list) {
    const result = toJsonValue(item);
    if (!result.ok) return result;
    converted.push(result.value);
  }
  return { ok: true, value: converted };
}

function convertContext(context: { [key: string]: unknown }): JsonConversion {
  const entries: [string, unknown][] = [];
  for (const [key, entry] of Object.entries(context)) {
    const result = toJsonValue(entry);
    if (!result.ok) return result;
    entries.push([key, result.value]);
  }
  return { ok: true, value: Object.fromEntries(entries) };
}

function notStorable(what: string): JsonConversion {
  return { ok: false, reason: `the result is ${what}, which cannot be stored as a variable` };
}
