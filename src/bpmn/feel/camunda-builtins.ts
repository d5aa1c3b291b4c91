import { FeelFunction } from 'feelin';

/**
 * Built-in functions of Camunda's FEEL engine (feel-scala) that feelin does not have, given to every FEEL
 * evaluation as context entries. feelin has `string join`, `context put`, `context merge` and `distinct values`
 * already; `uuid` and `now`-like functions are left out on purpose, as results must not depend on when or where a
 * record is processed (replay). Parameter names follow Camunda's, so named
 * arguments (`get or else(value: x, default: 0)`) work too.
 */
export const CAMUNDA_BUILTINS: { readonly [name: string]: FeelFunction } = {
  // feelin passes a missing variable as null, so unlike Camunda, a variable that exists with the value null is
  // not defined either.
  'is defined': new FeelFunction((value: unknown) => value !== null && value !== undefined, ['value']),
  'get or else': new FeelFunction(
    (value: unknown, defaultValue: unknown) => value ?? defaultValue ?? null,
    ['value', 'default'],
  ),
  trim: new FeelFunction((text: unknown) => (typeof text === 'string' ? text.trim() : null), ['string']),
  'is empty': new FeelFunction((list: unknown) => (Array.isArray(list) ? list.length === 0 : null), ['list']),
  'is blank': new FeelFunction((text: unknown) => (typeof text === 'string' ? text.trim() === '' : null), ['string']),
  'to json': new FeelFunction((value: unknown) => toJsonText(value), ['value']),
  'from json': new FeelFunction((text: unknown) => fromJsonText(text), ['value']),
  partition: new FeelFunction((list: unknown, size: unknown) => partition(list, size), ['list', 'size']),
  'duplicate values': new FeelFunction((list: unknown) => duplicateValues(list), ['list']),
  extract: new FeelFunction((text: unknown, pattern: unknown) => extract(text, pattern), ['string', 'pattern']),
};

/** Camunda's `to json`: the value as JSON text; null for what JSON cannot hold (a function). */
function toJsonText(value: unknown): string | null {
  if (typeof value === 'function') return null;
  try {
    return JSON.stringify(value ?? null) ?? null;
  } catch {
    return null;
  }
}

/** Camunda's `from json`: the value JSON text describes, null for text that is not JSON. */
function fromJsonText(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Camunda's `partition`: the list cut into sublists of the given size (the last may be shorter). */
function partition(list: unknown, size: unknown): unknown[][] | null {
  if (!Array.isArray(list) || typeof size !== 'number' || !Number.isInteger(size) || size <= 0) return null;
  const parts: unknown[][] = [];
  for (let start = 0; start < list.length; start += size) parts.push(list.slice(start, start + size));
  return parts;
}

/** Camunda's `duplicate values`: each value that occurs more than once, once, in order of first occurrence. */
function duplicateValues(list: unknown): unknown[] | null {
  if (!Array.isArray(list)) return null;
  const seen = new Map<string, number>();
  const duplicates: unknown[] = [];
  for (const item of list) {
    const identity = toJsonText(item) ?? String(item);
    const count = (seen.get(identity) ?? 0) + 1;
    seen.set(identity, count);
    if (count === 2) duplicates.push(item);
  }
  return duplicates;
}

/** Camunda's `extract`: every match of a regular expression in the string; null for an invalid pattern. */
function extract(text: unknown, pattern: unknown): string[] | null {
  if (typeof text !== 'string' || typeof pattern !== 'string') return null;
  try {
    return Array.from(text.matchAll(new RegExp(pattern, 'gu')), (match) => match[0]);
  } catch {
    return null;
  }
}
