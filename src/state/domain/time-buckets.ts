import type { Column } from '../types.js';

/** Time indexes bucket entries by whole seconds, so a checker visits only the buckets that have come due. */
export function bucketOf(timeMs: number): number {
  return Math.floor(timeMs / 1000);
}

/** Visits every entry of a [bucket, key] -> timeMs index that is due at untilMs, however old; false stops. */
export function visitDue(
  column: Column<[number, bigint], number>,
  untilMs: number,
  visitor: (key: bigint, timeMs: number) => boolean | void,
): void {
  column.forEachInRange([Number.MIN_SAFE_INTEGER], [bucketOf(untilMs) + 1], (timeMs, key) => {
    if (timeMs > untilMs) return true;
    return visitor(key[1], timeMs) !== false;
  });
}
