import { unlink } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { replaceFileAtomically } from '../files/durable-files.js';
import { ENTRY_HEADER_BYTES, SEGMENT_HEADER_BYTES, readUInt64, writeUInt64 } from './segment-format.js';
import type { TermRun } from './term-index.js';

/**
 * On-disk format of a sealed segment's index file, version 1. All integers are little endian.
 *
 * A segment is sealed once the log has rolled to the next one: no entry is appended to it again. Its index file sits
 * beside it with the same number (`00000000000000000001.idx` for `00000000000000000001.log`) and lets recovery skip
 * reading and checksumming every entry of the segment, so that restart time does not grow with the size of the log.
 *
 *   offset  size  field
 *        0     8  magic "TRIBIDX\0"
 *        8     4  u32 format version (1)
 *       12     4  u32 entry count n (at least 1)
 *       16     8  u64 index of the first entry (equals the number in the file name)
 *       24     8  u64 byte length of the segment file (header and every entry)
 *       32     8  u64 index of the last entry (first index + n - 1)
 *       40     4  u32 stored checksum of the last entry (the crc32 field of its entry header)
 *       44     4  u32 term run count r (at least 1)
 *       48    4n  u32 file offset of each entry, in index order
 *   48+4n    16r  term runs of this segment: u64 index where the run starts, u64 term; the first starts at the first index
 *  48+4n+16r   4  u32 crc32 of every byte before it
 *
 * The file is written to a temporary name, fsynced and renamed, so a crash leaves either no index or a whole one;
 * the checksum and the checks against the segment (its length, its last entry) catch anything else. An index that
 * fails a check is ignored and the segment scanned instead. Every change to a sealed segment removes its index first
 * (Segment.truncateFile, Segment.delete), so an index never describes bytes that were since cut or replaced. A change
 * to this layout is a new version; recovery ignores (and rewrites) versions it does not know.
 */
export const SEGMENT_INDEX_FORMAT_VERSION = 1;
export const SEGMENT_INDEX_MAGIC = Buffer.from('TRIBIDX\0', 'latin1');
const HEADER_BYTES = 48;
const TERM_RUN_BYTES = 16;
const CHECKSUM_BYTES = 4;
const TEMPORARY_SUFFIX = '.tmp';
const INDEX_FILE_NAME_PATTERN = /^(\d{20})\.idx(\.tmp)?$/;

/** What a sealed segment's index records. */
export interface SegmentIndex {
  firstIndex: number;
  segmentBytes: number;
  offsets: Uint32Array;
  termRuns: TermRun[];
  lastEntryChecksum: number;
}

/** The index file that belongs beside a segment file. */
export function segmentIndexPath(segmentPath: string): string {
  return segmentPath.replace(/\.log$/, '.idx');
}

/** The first index an index file (or its temporary) belongs to, or undefined when the name is not an index file's. */
export function parseSegmentIndexFileName(name: string): { firstIndex: number; temporary: boolean } | undefined {
  const match = INDEX_FILE_NAME_PATTERN.exec(name);
  if (match === null) return undefined;
  const firstIndex = Number(match[1]);
  return Number.isSafeInteger(firstIndex) ? { firstIndex, temporary: match[2] !== undefined } : undefined;
}

export function encodeSegmentIndex(index: SegmentIndex): Buffer {
  const entryCount = index.offsets.length;
  const bytes = Buffer.alloc(HEADER_BYTES + 4 * entryCount + TERM_RUN_BYTES * index.termRuns.length + CHECKSUM_BYTES);
  SEGMENT_INDEX_MAGIC.copy(bytes, 0);
  bytes.writeUInt32LE(SEGMENT_INDEX_FORMAT_VERSION, 8);
  bytes.writeUInt32LE(entryCount, 12);
  writeUInt64(bytes, 16, index.firstIndex);
  writeUInt64(bytes, 24, index.segmentBytes);
  writeUInt64(bytes, 32, index.firstIndex + entryCount - 1);
  bytes.writeUInt32LE(index.lastEntryChecksum, 40);
  bytes.writeUInt32LE(index.termRuns.length, 44);
  // One by one rather than copying the Uint32Array's memory, so that the file is little endian on any platform.
  for (let position = 0; position < entryCount; position++) bytes.writeUInt32LE(index.offsets[position], HEADER_BYTES + 4 * position);
  let at = HEADER_BYTES + 4 * entryCount;
  for (const run of index.termRuns) {
    writeUInt64(bytes, at, run.startIndex);
    writeUInt64(bytes, at + 8, run.term);
    at += TERM_RUN_BYTES;
  }
  bytes.writeUInt32LE(zlib.crc32(bytes.subarray(0, at)), at);
  return bytes;
}

/** Decodes and checks an index file on its own (not yet against the segment); a problem is a value, not a throw. */
export function decodeSegmentIndex(bytes: Buffer, firstIndex: number): SegmentIndex | { problem: string } {
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) return { problem: `it is incomplete (${bytes.length} bytes)` };
  if (!bytes.subarray(0, 8).equals(SEGMENT_INDEX_MAGIC)) return { problem: 'it does not start with the index magic bytes' };
  const checksumAt = bytes.length - CHECKSUM_BYTES;
  if (zlib.crc32(bytes.subarray(0, checksumAt)) !== bytes.readUInt32LE(checksumAt)) return { problem: 'checksum mismatch' };
  const version = bytes.readUInt32LE(8);
  if (version !== SEGMENT_INDEX_FORMAT_VERSION) return { problem: `unknown index format version ${version}` };
  const entryCount = bytes.readUInt32LE(12);
  const runCount = bytes.readUInt32LE(44);
  if (bytes.length !== HEADER_BYTES + 4 * entryCount + TERM_RUN_BYTES * runCount + CHECKSUM_BYTES) {
    return { problem: `its length ${bytes.length} does not fit ${entryCount} entries and ${runCount} term runs` };
  }
  const index: SegmentIndex = {
    firstIndex: readUInt64(bytes, 16),
    segmentBytes: readUInt64(bytes, 24),
    offsets: new Uint32Array(entryCount),
    termRuns: [],
    lastEntryChecksum: bytes.readUInt32LE(40),
  };
  for (let position = 0; position < entryCount; position++) index.offsets[position] = bytes.readUInt32LE(HEADER_BYTES + 4 * position);
  for (let at = HEADER_BYTES + 4 * entryCount; at < checksumAt; at += TERM_RUN_BYTES) {
    index.termRuns.push({ startIndex: readUInt64(bytes, at), term: readUInt64(bytes, at + 8) });
  }
  const problem = checkConsistent(index, firstIndex, readUInt64(bytes, 32));
  return problem === undefined ? index : { problem };
}

/** The invariants of a sealed segment that the index claims; the checksum alone does not prove them. */
function checkConsistent(index: SegmentIndex, firstIndex: number, lastIndex: number): string | undefined {
  const { offsets, termRuns } = index;
  if (index.firstIndex !== firstIndex) return `it belongs to a segment starting at entry ${index.firstIndex}`;
  if (offsets.length === 0 || lastIndex !== firstIndex + offsets.length - 1) return 'its entry count does not match its last index';
  if (offsets[0] !== SEGMENT_HEADER_BYTES) return 'its first entry does not follow the segment header';
  for (let position = 1; position < offsets.length; position++) {
    if (offsets[position] < offsets[position - 1] + ENTRY_HEADER_BYTES) return `its offset of entry ${firstIndex + position} is out of order`;
  }
  if (index.segmentBytes < offsets[offsets.length - 1] + ENTRY_HEADER_BYTES) return 'its last entry does not fit the segment length';
  if (termRuns.length === 0 || termRuns[0].startIndex !== firstIndex) return 'its first term run does not start at the first entry';
  for (let position = 1; position < termRuns.length; position++) {
    const [before, run] = [termRuns[position - 1], termRuns[position]];
    if (!(run.startIndex > before.startIndex && run.startIndex <= lastIndex && run.term > before.term)) return 'its term runs are out of order';
  }
  return undefined;
}

/**
 * Writes the index crash-safely under the temporary name that recovery removes when a crash leaves it behind. The
 * directory is fsynced unless `syncDirectory` is false (recovery writes many and fsyncs the directory once after all of
 * them); with `fsync` off (the broker's fsync switch) nothing is fsynced.
 */
export async function writeSegmentIndexFile(segmentPath: string, index: SegmentIndex, fsync: boolean, syncDirectory: boolean): Promise<void> {
  const finalPath = segmentIndexPath(segmentPath);
  await replaceFileAtomically(finalPath, encodeSegmentIndex(index), { fsync, syncDirectory, temporaryPath: finalPath + TEMPORARY_SUFFIX });
}

/** Removes a segment's index file; resolves with whether there was one. */
export async function removeSegmentIndexFile(segmentPath: string): Promise<boolean> {
  try {
    await unlink(segmentIndexPath(segmentPath));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
