import { readSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../files/durable-files.js';
import type { LogEntry } from './log-entry.js';
import { OffsetTable } from './offset-table.js';
import { ENTRY_HEADER_BYTES, SEGMENT_HEADER_BYTES, encodeEntry, encodeSegmentHeader, entryStoredChecksum, segmentFileName } from './segment-format.js';
import { removeSegmentIndexFile, type SegmentIndex } from './segment-index-file.js';
import { decodeStoredEntry } from './stored-entry.js';
import type { TermIndex } from './term-index.js';
import type { WriteSlab } from './write-slab.js';

/** Encoded bytes waiting to be written: a stretch of a slab that goes to one stretch of the file. */
interface PendingRun {
  slab: Buffer;
  slabStart: number;
  fileOffset: number;
  lengthBytes: number;
  /** A flush has taken the run; later appends start a new run instead of growing this one. */
  frozen: boolean;
}

/** What one flush writes to one segment: one writev of `buffers` at `fileOffset`. */
export interface SegmentWrite {
  segment: Segment;
  runs: PendingRun[];
  buffers: Buffer[];
  fileOffset: number;
  lengthBytes: number;
}

/**
 * One segment file and what the log knows about it in memory: where each entry starts, and the encoded bytes not yet
 * written. Pending bytes always form the tail of the segment (everything before the first pending run is in the
 * file), so a read takes an entry from memory when it lies in a pending run and from the file otherwise.
 */
export class Segment {
  private lastIndexValue: number;
  private sizeBytesValue: number;
  private runs: PendingRun[] = [];

  private constructor(
    readonly path: string,
    readonly firstIndex: number,
    private readonly offsets: OffsetTable,
    sizeBytes: number,
    private handle: FileHandle | undefined,
  ) {
    this.lastIndexValue = firstIndex + offsets.length - 1;
    this.sizeBytesValue = sizeBytes;
  }

  /** A new, empty segment; its file is created by the first write, which starts with the header encoded here. */
  static create(directory: string, firstIndex: number, slab: WriteSlab): Segment {
    const segment = new Segment(path.join(directory, segmentFileName(firstIndex)), firstIndex, new OffsetTable(), 0, undefined);
    const at = slab.reserve(SEGMENT_HEADER_BYTES);
    encodeSegmentHeader(slab.buffer, at, firstIndex);
    segment.addPending(slab.buffer, at, SEGMENT_HEADER_BYTES);
    return segment;
  }

  /** A segment found on disk by recovery: every entry in it checked, or its offsets taken from its index file. */
  static recovered(filePath: string, firstIndex: number, handle: FileHandle, offsets: OffsetTable, sizeBytes: number): Segment {
    return new Segment(filePath, firstIndex, offsets, sizeBytes, handle);
  }

  /** firstIndex - 1 when the segment is empty. */
  get lastIndex(): number {
    return this.lastIndexValue;
  }

  get entryCount(): number {
    return this.offsets.length;
  }

  /** Size of the segment including entries not written yet. */
  get sizeBytes(): number {
    return this.sizeBytesValue;
  }

  get hasFile(): boolean {
    return this.handle !== undefined;
  }

  /** Where the bytes that are in the file end (pending bytes follow). */
  get fileEndBytes(): number {
    return this.runs.length > 0 ? this.runs[0].fileOffset : this.sizeBytesValue;
  }

  append(slab: WriteSlab, term: number, index: number, payload: Buffer): void {
    if (index !== this.lastIndexValue + 1) throw new Error(`Invariant: appended entry ${index} to a segment ending at ${this.lastIndexValue}`);
    const lengthBytes = ENTRY_HEADER_BYTES + payload.length;
    const at = slab.reserve(lengthBytes);
    encodeEntry(slab.buffer, at, term, index, payload);
    this.offsets.push(this.sizeBytesValue);
    this.addPending(slab.buffer, at, lengthBytes);
    this.lastIndexValue = index;
  }

  offsetOf(index: number): number {
    return this.offsets.at(index - this.firstIndex);
  }

  endOffsetOf(index: number): number {
    return index === this.lastIndexValue ? this.sizeBytesValue : this.offsets.at(index - this.firstIndex + 1);
  }

  /** The entry at index, which must lie in this segment. */
  readEntry(index: number): LogEntry {
    const offsetBytes = this.offsetOf(index);
    const lengthBytes = this.endOffsetOf(index) - offsetBytes;
    const run = this.pendingRunAt(offsetBytes);
    const expected = { file: this.path, offsetBytes, index, verifyChecksum: run === undefined };
    if (run !== undefined) return decodeStoredEntry(run.slab, run.slabStart + offsetBytes - run.fileOffset, lengthBytes, expected);
    return decodeStoredEntry(this.readFile(offsetBytes, lengthBytes), 0, lengthBytes, expected);
  }

  /** Reads bytes that are in the file, synchronously: reads must not wait behind an fsync. */
  readFile(offsetBytes: number, lengthBytes: number): Buffer {
    if (this.handle === undefined || offsetBytes + lengthBytes > this.fileEndBytes) {
      throw new Error(`Invariant: read of bytes ${offsetBytes}..${offsetBytes + lengthBytes} of ${this.path}, whose file ends at ${this.fileEndBytes}`);
    }
    const buffer = Buffer.allocUnsafe(lengthBytes);
    let readBytes = 0;
    while (readBytes < lengthBytes) {
      const count = readSync(this.handle.fd, buffer, readBytes, lengthBytes - readBytes, offsetBytes + readBytes);
      if (count === 0) throw new Error(`Unexpected end of ${this.path} at byte ${offsetBytes + readBytes}`);
      readBytes += count;
    }
    return buffer;
  }

  /**
   * What the index file of this segment records; only for a segment whose entries are all in the file (sealed, or
   * scanned by recovery). The last entry's stored checksum comes from the file, so the index vouches for those bytes.
   */
  describeIndex(terms: TermIndex): SegmentIndex {
    if (this.entryCount === 0 || this.fileEndBytes !== this.sizeBytesValue) {
      throw new Error(`Invariant: an index of ${this.path} asked for while it has ${this.entryCount} entries and bytes not written`);
    }
    const lastEntryHeader = this.readFile(this.offsetOf(this.lastIndexValue), ENTRY_HEADER_BYTES);
    return {
      firstIndex: this.firstIndex,
      segmentBytes: this.sizeBytesValue,
      offsets: this.offsets.toArray(),
      termRuns: terms.runsBetween(this.firstIndex, this.lastIndexValue),
      lastEntryChecksum: entryStoredChecksum(lastEntryHeader, 0),
    };
  }

  /** Forgets the entries after index (in this segment) in memory; truncateFile later cuts the file to match. */
  truncateAfter(index: number): void {
    const keptEntries = index - this.firstIndex + 1;
    if (keptEntries < 0 || keptEntries > this.entryCount) throw new Error(`Invariant: truncating ${this.path} after entry ${index}`);
    if (keptEntries === this.entryCount) return;
    const sizeBytes = this.offsets.at(keptEntries);
    this.offsets.truncate(keptEntries);
    this.lastIndexValue = index;
    this.sizeBytesValue = sizeBytes;
    this.runs = this.runs.filter((run) => run.fileOffset < sizeBytes);
    for (const run of this.runs) run.lengthBytes = Math.min(run.lengthBytes, sizeBytes - run.fileOffset);
  }

  /** Takes the pending bytes for a flush, or undefined when there are none. */
  takeWrite(): SegmentWrite | undefined {
    const runs = this.runs.filter((run) => !run.frozen);
    if (runs.length === 0) return undefined;
    for (const run of runs) run.frozen = true;
    const buffers = runs.map((run) => run.slab.subarray(run.slabStart, run.slabStart + run.lengthBytes));
    const lengthBytes = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    return { segment: this, runs, buffers, fileOffset: runs[0].fileOffset, lengthBytes };
  }

  /**
   * Writes what takeWrite took (creating the file first when needed) and fdatasyncs when asked. Resolves with
   * whether the file was created, because then the directory needs an fsync too.
   */
  async write(write: SegmentWrite, fsync: boolean): Promise<boolean> {
    const created = this.handle === undefined;
    // 'wx+' fails if the file exists: a stale file with our name would mean the log lost track of its own files.
    this.handle ??= await open(this.path, 'wx+');
    const { bytesWritten } = await this.handle.writev(write.buffers, write.fileOffset);
    if (bytesWritten !== write.lengthBytes) {
      throw new Error(`Short write to ${this.path}: ${bytesWritten} of ${write.lengthBytes} bytes at byte ${write.fileOffset} (is the disk full?)`);
    }
    if (fsync) await this.handle.datasync();
    const written = new Set(write.runs);
    this.runs = this.runs.filter((run) => !written.has(run));
    return created;
  }

  /**
   * Cuts the file to sizeBytes, captured when the entries were truncated in memory. A file that is shorter already
   * stays as it is: extending it would put zeros where entries not yet written belong.
   */
  async truncateFile(sizeBytes: number, fsync: boolean): Promise<void> {
    if (this.handle === undefined) return;
    // The index file describes the segment as it was sealed. It goes first, and durably, so that no crash can leave
    // it beside a segment that was cut (and may be appended to again).
    if ((await removeSegmentIndexFile(this.path)) && fsync) await fsyncDirectory(path.dirname(this.path));
    const { size } = await this.handle.stat();
    if (size <= sizeBytes) return;
    await this.handle.truncate(sizeBytes);
    if (fsync) await this.handle.datasync();
  }

  /** fdatasyncs what is in the file. */
  async sync(): Promise<void> {
    await this.handle?.datasync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  /**
   * Deletes the index file, then closes and deletes the segment file; the caller fsyncs the directory. Should a crash
   * keep the index and lose the segment, recovery removes the index it finds without its segment.
   */
  async delete(): Promise<void> {
    if (this.handle === undefined) return;
    await removeSegmentIndexFile(this.path);
    await this.close();
    await unlink(this.path);
  }

  private addPending(slab: Buffer, at: number, lengthBytes: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && !last.frozen && last.slab === slab && last.slabStart + last.lengthBytes === at) {
      last.lengthBytes += lengthBytes;
    } else {
      this.runs.push({ slab, slabStart: at, fileOffset: this.sizeBytesValue, lengthBytes, frozen: false });
    }
    this.sizeBytesValue += lengthBytes;
  }

  private pendingRunAt(offsetBytes: number): PendingRun | undefined {
    if (offsetBytes < this.fileEndBytes) return undefined;
    return this.runs.find((run) => offsetBytes >= run.fileOffset && offsetBytes < run.fileOffset + run.lengthBytes);
  }
}
