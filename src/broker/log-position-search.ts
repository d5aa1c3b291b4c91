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
 * Returns firstIndex when the position lies before the log's start, and undefined for an empty log.
 */
export function findEntryIndexForPosition(log: PositionedLog, position: number): number | undefined {
  if (log.lastIndex < log.firstIndex) return undefined;
  let low = log.firstIndex;
  let high = log.lastIndex;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const entry = log.read(middle);
    if (!entry) throw new Error(`Expected log entry ${middle} between ${log.firstIndex} and ${log.lastIndex}, but it is missing`);
    if (peekFirstPosition(entry.payload) <= position) low = middle;
    else high = middle - 1;
  }
  return low;
}
