import { peekFirstPosition } from '../protocol/index.js';

/** What the search needs of the log: its index range and a synchronous read. */
export interface PositionedLog {
  readonly firstIndex: number;
  readonly lastIndex: number;
  read(index: number): { payload: Buffer } | undefined;
}

/**
 * The index of the log entry that holds a record position: the last entry whose first position is <= position.
 * Entries hold consecutive positions in increasing order, so a binary search over first positions finds it.
 * Returns firstIndex when the position lies before the log's start, and undefined for an empty log. Entries with an
 * empty payload (the no-op a new Raft leader writes) hold no records; the search looks past them.
 */
export function findEntryIndexForPosition(log: PositionedLog, position: number): number | undefined {
  if (log.lastIndex < log.firstIndex) return undefined;
  let low = log.firstIndex;
  let high = log.lastIndex;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const first = firstPositionAtOrAfter(log, middle, high);
    if (first === undefined || first > position) high = middle - 1;
    else low = middle;
  }
  return low;
}

/** The first record position of the first non-empty entry in fromIndex..toIndex, if any. */
function firstPositionAtOrAfter(log: PositionedLog, fromIndex: number, toIndex: number): number | undefined {
  for (let index = fromIndex; index <= toIndex; index++) {
    const entry = log.read(index);
    if (!entry) throw new Error(`Expected log entry ${index} between ${log.firstIndex} and ${log.lastIndex}, but it is missing`);
    if (entry.payload.byteLength > 0) return peekFirstPosition(entry.payload);
  }
  return undefined;
}
