import type { SegmentedLog } from '../log/index.js';
import type { RaftEntry, RaftLogStorage } from './log-storage.js';
import { assertInvariant } from './raft-invariant.js';
import type { Ready } from './ready.js';

/** Ranges longer than this are read through a read-ahead reader. */
const READ_AHEAD_ENTRIES_MIN = 32;

/**
 * The Raft core's view of a SegmentedLog. Reads are synchronous (the log keeps terms in memory as runs, so termAt is
 * a binary search over the handful of leader changes, and entries come from the files or the write buffer without
 * waiting). Writes change the log in memory at once; their file operations queue behind each other, so the next
 * flush covers them, and durability is reported separately with durableIndex.
 */
export class SegmentedLogStorage implements RaftLogStorage {
  constructor(readonly log: SegmentedLog) {}

  get firstIndex(): number {
    return this.log.firstIndex;
  }

  get lastIndex(): number {
    return this.log.lastIndex;
  }

  /** Every entry up to here survives a crash; report it to the node with persisted(). */
  get durableIndex(): number {
    return this.log.durableIndex;
  }

  termAt(index: number): number | undefined {
    return this.log.termAt(index);
  }

  entries(fromIndex: number, toIndex: number, sizeBytesMax: number): RaftEntry[] {
    assertInvariant(
      fromIndex >= this.firstIndex && toIndex <= this.lastIndex && fromIndex <= toIndex,
      () => `Entries ${fromIndex}..${toIndex} lie outside the log ${this.firstIndex}..${this.lastIndex}`,
    );
    // A reader reads ahead in large blocks, which pays off for long ranges (catch-up) but not for the few entries a
    // Ready usually applies or sends; those are read one by one.
    const reader = toIndex - fromIndex + 1 > READ_AHEAD_ENTRIES_MIN ? this.log.reader(fromIndex) : undefined;
    const entries: RaftEntry[] = [];
    let sizeBytes = 0;
    for (let index = fromIndex; index <= toIndex; index++) {
      const entry = reader === undefined ? this.log.read(index) : reader.next();
      assertInvariant(entry !== undefined && entry.index === index, () => `The log did not return entry ${index}`);
      if (entries.length > 0 && sizeBytes + entry.payload.byteLength > sizeBytesMax) break;
      entries.push(entry);
      sizeBytes += entry.payload.byteLength;
    }
    return entries;
  }

  /**
   * Step 1 of a Ready: the truncation, then the appends, in memory now. The file operations run in order behind any
   * flush in flight; a failure among them makes every later log operation fail, so the next flush reports it.
   */
  applyReadyStorage(ready: Pick<Ready, 'truncateAfterIndex' | 'entriesToAppend'>): void {
    if (ready.truncateAfterIndex !== undefined) this.log.truncateAfter(ready.truncateAfterIndex).catch(ignoreReportedLater);
    for (const entry of ready.entriesToAppend) {
      const index = this.log.append(entry.term, toBuffer(entry.payload));
      assertInvariant(index === entry.index, () => `The Ready's entry ${entry.index} landed at ${index} in the log`);
    }
  }

  /** Writes everything applied so far and syncs it: resolves with the durable index (group commit). */
  flush(): Promise<number> {
    return this.log.flush();
  }

  /**
   * Step 5 of a Ready: the log after an installed snapshot at snapshotIndex is empty and continues at
   * snapshotIndex + 1. Resolves once that is durable.
   */
  async replaceWithEmptyLogAfter(snapshotIndex: number): Promise<void> {
    const truncated = this.log.truncateAfter(this.log.firstIndex - 1);
    const reset = this.log.reset(snapshotIndex + 1);
    await Promise.all([truncated, reset]);
  }

  /** Compaction: drops whole segments below index (the caller keeps index at or below its snapshot's index + 1). */
  compactBefore(index: number): Promise<void> {
    return this.log.deleteBefore(index);
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function ignoreReportedLater(): void {}
