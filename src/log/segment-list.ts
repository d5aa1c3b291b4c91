import type { Segment } from './segment.js';

/** The segments of a log in index order, shared by the log and its readers. There is always at least one. */
export class SegmentList {
  /**
   * Bumped whenever entries the readers may have cached change or vanish (truncation, compaction, reset), so that
   * readers drop their read-ahead bytes.
   */
  generation = 0;
  private closed = false;

  constructor(private segments: Segment[]) {
    if (segments.length === 0) throw new Error('Invariant: a log has at least one segment');
  }

  get first(): Segment {
    return this.segments[0];
  }

  get last(): Segment {
    return this.segments[this.segments.length - 1];
  }

  get firstIndex(): number {
    return this.segments[0].firstIndex;
  }

  get lastIndex(): number {
    return this.last.lastIndex;
  }

  all(): readonly Segment[] {
    return this.segments;
  }

  /** The segment holding index, which must lie within firstIndex..lastIndex. */
  find(index: number): Segment {
    if (this.closed) throw new Error('The log is closed');
    const last = this.last;
    if (index >= last.firstIndex) return last;
    let low = 0;
    let high = this.segments.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segments[middle].firstIndex <= index) low = middle;
      else high = middle - 1;
    }
    return this.segments[low];
  }

  push(segment: Segment): void {
    if (segment.firstIndex !== this.lastIndex + 1) {
      throw new Error(`Invariant: a segment starting at ${segment.firstIndex} cannot follow entry ${this.lastIndex}`);
    }
    this.segments.push(segment);
  }

  /** Removes the segments that start after index, but never the first; returns them newest first. */
  removeAfter(index: number): Segment[] {
    let keptCount = this.segments.length;
    while (keptCount > 1 && this.segments[keptCount - 1].firstIndex > index) keptCount--;
    return this.segments.splice(keptCount).reverse();
  }

  /** Removes the segments whose entries all lie below index, but never the last; returns them oldest first. */
  removeBefore(index: number): Segment[] {
    let removableCount = 0;
    while (removableCount < this.segments.length - 1 && this.segments[removableCount].lastIndex < index) removableCount++;
    return this.segments.splice(0, removableCount);
  }

  /** Replaces every segment with one; returns the old ones. */
  replaceAll(segment: Segment): Segment[] {
    const removed = this.segments;
    this.segments = [segment];
    return removed;
  }

  close(): void {
    this.closed = true;
  }
}
