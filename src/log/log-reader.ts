import type { LogEntry, LogReader } from './log-entry.js';
import type { SegmentList } from './segment-list.js';
import type { Segment } from './segment.js';
import { decodeStoredEntry } from './stored-entry.js';

/** How much a reader reads from a file at once: sequential readers (exporters, replication) read many entries. */
const READ_AHEAD_BYTES = 256 * 1024;

/**
 * A forward cursor that reads ahead from segment files, so that reading many small entries costs one read syscall
 * per READ_AHEAD_BYTES instead of one per entry. Each read-ahead goes into a new buffer, so payloads handed out
 * before stay valid.
 */
export class SegmentedLogReader implements LogReader {
  private window: Buffer | undefined;
  private windowSegment: Segment | undefined;
  private windowStartBytes = 0;
  private windowGeneration = -1;

  constructor(
    private readonly segments: SegmentList,
    private nextIndex: number,
  ) {
    assertIndex(nextIndex);
  }

  seek(index: number): void {
    assertIndex(index);
    this.nextIndex = index;
  }

  /**
   * Throws a RangeError when the cursor lies below the first entry: those entries were deleted by compaction, and
   * reporting the end of the log instead would leave the caller waiting for entries that never come.
   */
  next(): LogEntry | undefined {
    const index = this.nextIndex;
    if (index > this.segments.lastIndex) return undefined;
    if (index < this.segments.firstIndex) {
      throw new RangeError(`The reader is at entry ${index}, but the log starts at entry ${this.segments.firstIndex}: the entries before it were deleted`);
    }
    const segment = this.segments.find(index);
    const offsetBytes = segment.offsetOf(index);
    const endBytes = segment.endOffsetOf(index);
    const entry = endBytes <= segment.fileEndBytes ? this.readAhead(segment, index, offsetBytes, endBytes) : segment.readEntry(index);
    this.nextIndex = index + 1;
    return entry;
  }

  private readAhead(segment: Segment, index: number, offsetBytes: number, endBytes: number): LogEntry {
    const windowEndBytes = this.windowStartBytes + (this.window?.length ?? 0);
    const covered =
      this.windowSegment === segment &&
      this.windowGeneration === this.segments.generation &&
      offsetBytes >= this.windowStartBytes &&
      endBytes <= windowEndBytes;
    if (!covered) {
      const lengthBytes = Math.max(endBytes - offsetBytes, Math.min(READ_AHEAD_BYTES, segment.fileEndBytes - offsetBytes));
      this.window = segment.readFile(offsetBytes, lengthBytes);
      this.windowSegment = segment;
      this.windowStartBytes = offsetBytes;
      this.windowGeneration = this.segments.generation;
    }
    const expected = { file: segment.path, offsetBytes, index, verifyChecksum: true };
    return decodeStoredEntry(this.window!, offsetBytes - this.windowStartBytes, endBytes - offsetBytes, expected);
  }
}

function assertIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`Expected a log index (an integer of at least 0), got ${index}`);
}
