const INITIAL_CAPACITY_ENTRIES = 1024;

/**
 * File offsets of a segment's entries, in index order. A Uint32Array that doubles when full keeps 4 bytes per entry
 * (a segment of 64 MiB holds up to about half a million small entries) instead of a boxed array.
 */
export class OffsetTable {
  private offsets: Uint32Array = new Uint32Array(INITIAL_CAPACITY_ENTRIES);
  private countEntries = 0;

  /** A table holding `offsets` (taken over, not copied), as loaded from a segment's index file. */
  static of(offsets: Uint32Array): OffsetTable {
    const table = new OffsetTable();
    table.offsets = offsets.length > 0 ? offsets : table.offsets;
    table.countEntries = offsets.length;
    return table;
  }

  get length(): number {
    return this.countEntries;
  }

  at(position: number): number {
    if (position < 0 || position >= this.countEntries) {
      throw new RangeError(`Offset table position ${position} outside 0..${this.countEntries - 1}`);
    }
    return this.offsets[position];
  }

  push(offsetBytes: number): void {
    if (this.countEntries === this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.countEntries++] = offsetBytes;
  }

  /** A copy of the offsets, for a segment's index file. */
  toArray(): Uint32Array {
    return this.offsets.slice(0, this.countEntries);
  }

  /** Keeps the first `count` offsets. */
  truncate(count: number): void {
    if (count < 0 || count > this.countEntries) throw new RangeError(`Cannot truncate ${this.countEntries} offsets to ${count}`);
    this.countEntries = count;
  }
}
