import type { RaftEntry, RaftLogStorage } from './log-storage.js';
import { assertInvariant } from './raft-invariant.js';

/**
 * A log held in memory (etcd's MemoryStorage): for tests and the simulator, and the model of what a storage
 * adapter over SegmentedLog does with a Ready's writes.
 */
export class MemoryRaftLogStorage implements RaftLogStorage {
  private held: RaftEntry[] = [];
  private firstIndexValue = 1;

  get firstIndex(): number {
    return this.firstIndexValue;
  }

  get lastIndex(): number {
    return this.firstIndexValue + this.held.length - 1;
  }

  termAt(index: number): number | undefined {
    return this.held[index - this.firstIndexValue]?.term;
  }

  entryAt(index: number): RaftEntry | undefined {
    return this.held[index - this.firstIndexValue];
  }

  entries(fromIndex: number, toIndex: number, sizeBytesMax: number): RaftEntry[] {
    assertInvariant(fromIndex >= this.firstIndexValue && toIndex <= this.lastIndex, () => `Entries ${fromIndex}..${toIndex} lie outside the log ${this.firstIndexValue}..${this.lastIndex}`);
    const entries: RaftEntry[] = [];
    let sizeBytes = 0;
    for (let index = fromIndex; index <= toIndex; index++) {
      const entry = this.held[index - this.firstIndexValue];
      if (entries.length > 0 && sizeBytes + entry.payload.byteLength > sizeBytesMax) break;
      entries.push(entry);
      sizeBytes += entry.payload.byteLength;
    }
    return entries;
  }

  append(entries: readonly RaftEntry[]): void {
    for (const entry of entries) {
      assertInvariant(entry.index === this.lastIndex + 1, () => `Expected entry ${this.lastIndex + 1} next, got ${entry.index}`);
      this.held.push(entry);
    }
  }

  truncateAfter(index: number): void {
    assertInvariant(index >= this.firstIndexValue - 1, () => `Cannot truncate after ${index}: the log starts at ${this.firstIndexValue}`);
    if (index < this.lastIndex) this.held.length = index - this.firstIndexValue + 1;
  }

  /** Drops the entries before index (compaction); the last entry stays. */
  compactBefore(index: number): void {
    const dropCount = Math.min(index, this.lastIndex) - this.firstIndexValue;
    if (dropCount <= 0) return;
    this.held.splice(0, dropCount);
    this.firstIndexValue += dropCount;
  }

  /** An empty log whose next entry gets nextIndex (after installing a snapshot). */
  reset(nextIndex: number): void {
    this.held = [];
    this.firstIndexValue = nextIndex;
  }

  clone(): MemoryRaftLogStorage {
    const copy = new MemoryRaftLogStorage();
    copy.held = this.held.slice();
    copy.firstIndexValue = this.firstIndexValue;
    return copy;
  }
}
