import { fsyncDirectory } from '../files/durable-files.js';
import { Pacer } from '../files/pacer.js';
import { FileChanges, deleteSegmentFiles } from './file-changes.js';
import { IoQueue } from './io-queue.js';
import type { LogEntry, LogReader } from './log-entry.js';
import { resolveLogOptions, type LogOptions, type ResolvedLogOptions } from './log-options.js';
import { SegmentedLogReader } from './log-reader.js';
import { recoverLog } from './recovery.js';
import { ENTRY_HEADER_BYTES } from './segment-format.js';
import { writeSegmentIndexFile } from './segment-index-file.js';
import { SegmentList } from './segment-list.js';
import { Segment } from './segment.js';
import type { TermIndex } from './term-index.js';
import { WriteSlab } from './write-slab.js';

/** The share of the time a compaction's file deletions take at most (see deleteCompacted). */
const COMPACTION_BUSY_FRACTION_MAX = 0.25;

/**
 * The partition log: an append-only sequence of entries (Raft term, index, opaque payload) in segment files.
 *
 * Appends only encode into memory; flush writes everything appended so far with one writev per segment and one
 * fdatasync (group commit), so the cost of a sync is shared by every entry appended while the previous one ran.
 * Everything on disk changes through one queue of file operations, in order; memory changes at once. Reads are
 * synchronous and see every appended entry, durable or not: durableIndex says which ones survive a crash.
 */
export class SegmentedLog {
  private readonly io: IoQueue;
  private readonly fileChanges: FileChanges;
  /** Deletions of compacted segments, one after the other and beside the write queue (see deleteBefore). */
  private compaction: Promise<void> = Promise.resolve();
  private durableIndexValue: number;
  private flushCountValue = 0;
  /** The flush that was asked for but has not started: later calls join it. */
  private queuedFlush: Promise<number> | undefined;
  /** The last index the running flush will make durable; truncateAfter lowers it. */
  private flushingUpToIndex: number | undefined;
  private closing: Promise<void> | undefined;
  /** Sealed segments (the log rolled past them) whose index file is not written yet; see writeIndexFiles. */
  private unindexed = new Set<Segment>();

  private constructor(
    private readonly options: ResolvedLogOptions,
    private readonly slab: WriteSlab,
    private readonly segments: SegmentList,
    private readonly terms: TermIndex,
  ) {
    this.io = new IoQueue((cause) => new Error(`The log in ${options.directory} stopped after a failed file operation; reopen it to recover`, { cause }));
    this.fileChanges = new FileChanges(options.directory, options.fsync);
    this.durableIndexValue = segments.lastIndex;
  }

  /** Opens the log in options.directory, creating the directory, and recovers it (see recovery.ts). */
  static async open(options: LogOptions): Promise<SegmentedLog> {
    const resolved = resolveLogOptions(options);
    const slab = new WriteSlab();
    const recovered = await recoverLog(resolved, slab);
    return new SegmentedLog(resolved, slab, new SegmentList(recovered.segments), recovered.terms);
  }

  /** The index of the first entry present; on an empty log, the index the next append gets. */
  get firstIndex(): number {
    return this.segments.firstIndex;
  }

  /** firstIndex - 1 on an empty log (0 on a new one). */
  get lastIndex(): number {
    return this.segments.lastIndex;
  }

  /** 0 on an empty log. */
  get lastTerm(): number {
    // The term index may still hold the run of entries that compaction deleted.
    return this.lastIndex >= this.firstIndex ? this.terms.lastTerm : 0;
  }

  /** The highest index written and fsynced (just written when fsync is off). */
  get durableIndex(): number {
    return this.durableIndexValue;
  }

  /** How many flushes wrote and synced something; group commit keeps it far below the number of entries. */
  get flushCount(): number {
    return this.flushCountValue;
  }

  /** Encodes an entry in memory and returns its index (lastIndex + 1). Never waits for the disk. */
  append(term: number, payload: Buffer): number {
    this.assertWritable();
    const lastTerm = this.lastTerm;
    if (!Number.isSafeInteger(term) || term < lastTerm) {
      throw new RangeError(`Expected a term of at least ${lastTerm} (the term of the last entry; terms never decrease), got ${term}`);
    }
    if (payload.length > this.options.entrySizeBytesMax) {
      throw new RangeError(`A log entry payload of ${payload.length} bytes exceeds entrySizeBytesMax (${this.options.entrySizeBytesMax} bytes)`);
    }
    const index = this.segments.lastIndex + 1;
    let segment = this.segments.last;
    if (segment.entryCount > 0 && segment.sizeBytes + ENTRY_HEADER_BYTES + payload.length > this.options.segmentSizeBytesMax) {
      // The segment rolled past is sealed: no entry is appended to it again, so it gets an index file once written.
      this.unindexed.add(segment);
      segment = Segment.create(this.options.directory, index, this.slab);
      this.segments.push(segment);
    }
    segment.append(this.slab, term, index, payload);
    this.terms.append(index, term);
    return index;
  }

  /**
   * Writes every entry appended so far and fdatasyncs; resolves with durableIndex. A call made while a flush runs
   * joins the next one, so any number of callers share one write and one sync.
   */
  flush(): Promise<number> {
    this.assertOpen();
    this.queuedFlush ??= this.enqueueIo(() => this.writeAppended());
    return this.queuedFlush;
  }

  /** append and flush: resolves with the entry's index once it is durable. */
  appendDurably(term: number, payload: Buffer): Promise<number> {
    const index = this.append(term, payload);
    return this.flush().then(() => index);
  }

  termAt(index: number): number | undefined {
    return this.contains(index) ? this.terms.termAt(index) : undefined;
  }

  /** The entry at index (from the file or from memory), undefined outside firstIndex..lastIndex. */
  read(index: number): LogEntry | undefined {
    return this.contains(index) ? this.segments.find(index).readEntry(index) : undefined;
  }

  /** A forward reader starting at fromIndex; it sees entries appended later. */
  reader(fromIndex: number): LogReader {
    this.assertOpen();
    return new SegmentedLogReader(this.segments, fromIndex);
  }

  /**
   * Removes every entry after index (Raft conflict resolution). Memory changes at once, so the next append gets
   * index + 1; the promise resolves once the files are cut, after the flush in flight.
   */
  truncateAfter(index: number): Promise<void> {
    this.assertWritable();
    if (!Number.isSafeInteger(index) || index < this.firstIndex - 1) {
      throw new RangeError(`Cannot truncate the log after entry ${index}: it starts at entry ${this.firstIndex}, the entries before were deleted`);
    }
    if (index < this.lastIndex) {
      // Newest first, so that a crash in between leaves a log without gaps.
      this.fileChanges.delete(this.segments.removeAfter(index));
      const kept = this.segments.last;
      kept.truncateAfter(index);
      this.fileChanges.truncate(kept, kept.sizeBytes);
      this.terms.truncateAfter(index);
      this.durableIndexValue = Math.min(this.durableIndexValue, index);
      if (this.flushingUpToIndex !== undefined) this.flushingUpToIndex = Math.min(this.flushingUpToIndex, index);
      this.segments.generation++;
    }
    return this.enqueueIo(async () => {});
  }

  /**
   * Deletes the segments whose entries all lie below index (compaction). The segment holding lastIndex stays, so
   * firstIndex moves to the start of the oldest segment kept.
   */
  deleteBefore(index: number): Promise<void> {
    this.assertWritable();
    if (!Number.isSafeInteger(index)) throw new RangeError(`Expected a log index, got ${index}`);
    const removed = this.segments.removeBefore(index);
    if (removed.length === 0) return this.compaction;
    this.terms.deleteBefore(this.firstIndex);
    this.segments.generation++;
    // Off the write queue: unlinking hundreds of megabytes took 150-200 ms that every group commit queued behind it
    // would have waited for. Only the file operations queued before now may still touch these segments (later
    // flushes take their writes from the segments kept), so the deletion waits for those and nothing else.
    const earlierFileOperations = this.enqueueIo(async () => {});
    this.compaction = this.compaction
      .catch(() => undefined)
      .then(() => earlierFileOperations)
      .then(() => this.deleteCompacted(removed));
    return this.compaction;
  }

  /**
   * Deletes compacted segments paced, at most COMPACTION_BUSY_FRACTION_MAX of the time: a segment's deletion took
   * ~17 ms here, and a snapshot that deleted 70 of them back to back (1.4 s) raised the p99 of the commands processed
   * meanwhile from ~20 to 50-70 ms. A closing log deletes the rest without pauses.
   */
  private deleteCompacted(removed: Segment[]): Promise<void> {
    const pacer = new Pacer(COMPACTION_BUSY_FRACTION_MAX);
    const between = (): Promise<void> => (this.closing === undefined ? pacer.pace() : Promise.resolve());
    return deleteSegmentFiles(removed, this.options.directory, this.options.fsync, between);
  }

  /** Makes an empty log start at nextIndex (after a snapshot was installed on an empty replica). */
  reset(nextIndex: number): Promise<void> {
    this.assertWritable();
    if (this.lastIndex >= this.firstIndex) {
      throw new Error(`Cannot reset a log that holds entries ${this.firstIndex}..${this.lastIndex}; only an empty log starts over`);
    }
    if (!Number.isSafeInteger(nextIndex) || nextIndex < 1) throw new RangeError(`Expected a log index of at least 1, got ${nextIndex}`);
    this.fileChanges.delete(this.segments.replaceAll(Segment.create(this.options.directory, nextIndex, this.slab)));
    this.terms.clear();
    this.durableIndexValue = nextIndex - 1;
    this.segments.generation++;
    // The flush creates the new segment file, so the new first index survives a restart.
    return this.flush().then(() => undefined);
  }

  /** Flushes what was appended, then closes the files. Later calls (except read-only getters) throw. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      const flushed = this.io.failure === undefined ? this.flush() : Promise.resolve(0);
      this.segments.close();
      const closed = this.io.enqueue(() => this.closeFiles(), { evenAfterFailure: true });
      // allSettled, so that the files get closed even when the last flush fails, and its error still reaches the caller.
      this.closing = Promise.allSettled([flushed, closed, this.compaction]).then((results) => {
        for (const result of results) if (result.status === 'rejected') throw result.reason;
      });
    }
    return this.closing;
  }

  private async writeAppended(): Promise<number> {
    this.queuedFlush = undefined;
    const writes = this.segments.all().flatMap((segment) => segment.takeWrite() ?? []);
    if (writes.length === 0) return this.durableIndexValue;
    this.flushingUpToIndex = this.lastIndex;
    // One segment after the other, each synced before the next gets a byte: then only the last can be torn.
    for (const write of writes) {
      const created = await write.segment.write(write, this.options.fsync);
      if (created && this.options.fsync) await fsyncDirectory(this.options.directory);
    }
    this.flushCountValue++;
    this.durableIndexValue = Math.max(this.durableIndexValue, this.flushingUpToIndex);
    this.flushingUpToIndex = undefined;
    this.scheduleIndexFiles();
    return this.durableIndexValue;
  }

  /**
   * Sealed segments get their index file in a file operation of their own after the flush that wrote their last
   * bytes, so that the flush resolves first.
   */
  private scheduleIndexFiles(): void {
    if (this.unindexed.size === 0) return;
    // Its failure is the queue's (a failed truncation or deletion before it); the next operation reports it.
    this.enqueueIo(() => this.writeIndexFiles()).catch(() => undefined);
  }

  /**
   * Writes the index files of the sealed segments whose bytes are all written. What they say is taken from memory
   * before the first await, when it matches the files. A change made later to one of these segments (truncation,
   * deletion, compaction) runs after this operation and removes the index first, so none is left describing another
   * file. Segments that were truncated (and so became the last) or deleted meanwhile need no index.
   */
  private async writeIndexFiles(): Promise<void> {
    const last = this.segments.last;
    const present = new Set(this.segments.all());
    const ready: Segment[] = [];
    for (const segment of this.unindexed) {
      if (segment === last || !present.has(segment)) {
        this.unindexed.delete(segment);
      } else if (segment.hasFile && segment.fileEndBytes === segment.sizeBytes) {
        ready.push(segment);
        this.unindexed.delete(segment);
      }
    }
    // Each one described (reading its last entry) before the first await, while memory and files agree.
    const writes = ready.map((segment) => {
      try {
        const index = segment.describeIndex(this.terms);
        return () => writeSegmentIndexFile(segment.path, index, this.options.fsync, true);
      } catch (error) {
        return () => Promise.reject(error as Error);
      }
    });
    for (const [position, write] of writes.entries()) {
      // The index only saves time at the next open: a failure is a warning, and recovery scans the segment instead.
      await write().catch((error: unknown) => {
        this.options.onWarning(`Could not write the index file of log segment ${ready[position].path}: ${(error as Error).message}`);
      });
    }
  }

  /** Every file operation first applies the truncations and deletions made in memory before it started. */
  private enqueueIo<T>(operation: () => Promise<T>): Promise<T> {
    return this.io.enqueue(async () => {
      await this.fileChanges.apply();
      return operation();
    });
  }

  private async closeFiles(): Promise<void> {
    if (this.io.failure === undefined) {
      await this.fileChanges.apply();
      // The last flush may have sealed a segment after close was called, so its index operation queued behind this one.
      await this.writeIndexFiles();
    } else {
      await this.fileChanges.closeFiles();
    }
    await Promise.all(this.segments.all().map((segment) => segment.close()));
  }

  private contains(index: number): boolean {
    return Number.isSafeInteger(index) && index >= this.segments.firstIndex && index <= this.segments.lastIndex;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new Error(`The log in ${this.options.directory} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    const failure = this.io.failure;
    if (failure !== undefined) throw failure;
  }
}
