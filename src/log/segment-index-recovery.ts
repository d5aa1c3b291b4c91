import { readFile, readdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../files/durable-files.js';
import type { ResolvedLogOptions } from './log-options.js';
import { ENTRY_HEADER_BYTES, entryIndex, entryPayloadLength, entryStoredChecksum, entryTerm } from './segment-format.js';
import { decodeSegmentIndex, parseSegmentIndexFileName, segmentIndexPath, writeSegmentIndexFile, type SegmentIndex } from './segment-index-file.js';
import { readFully } from './segment-scanner.js';
import type { Segment } from './segment.js';
import type { TermIndex } from './term-index.js';

/**
 * How recovery uses the index files of sealed segments (format in segment-index-file.ts).
 *
 * Trade-off: a sealed segment whose index agrees with it is not checksummed entry by entry at open; only its header,
 * its length and its last entry are checked. Its entries are still checksummed when read back from the file
 * (stored-entry.ts), so damage inside it surfaces at read time as LogCorruptedError instead of at open.
 */

/** The index of a sealed segment when its file exists and agrees with the segment, otherwise undefined. */
export async function loadSegmentIndex(
  options: ResolvedLogOptions,
  handle: FileHandle,
  fileBytes: number,
  segmentPath: string,
  firstIndex: number,
  lastTermBefore: number,
): Promise<SegmentIndex | undefined> {
  const indexPath = segmentIndexPath(segmentPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(indexPath);
  } catch (error) {
    // No index (a log written before indexes existed, or a crash before it was written) is the ordinary case.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    options.onWarning(`Could not read the index file ${indexPath} (${(error as Error).message}); scanning the segment instead.`);
    return undefined;
  }
  const decoded = decodeSegmentIndex(bytes, firstIndex);
  if ('problem' in decoded) return ignore(options, indexPath, decoded.problem);
  const problem = await disagreement(decoded, handle, fileBytes, lastTermBefore);
  return problem === undefined ? decoded : ignore(options, indexPath, problem);
}

function ignore(options: ResolvedLogOptions, indexPath: string, problem: string): undefined {
  options.onWarning(`Ignored the index file ${indexPath} (${problem}); scanning the segment instead and writing a new index.`);
  return undefined;
}

/** Why an index that is sound on its own does not describe the segment file, or undefined when it does. */
async function disagreement(index: SegmentIndex, handle: FileHandle, fileBytes: number, lastTermBefore: number): Promise<string | undefined> {
  if (fileBytes !== index.segmentBytes) return `it was written for a segment of ${index.segmentBytes} bytes, the file has ${fileBytes}`;
  const lastIndex = index.firstIndex + index.offsets.length - 1;
  const lastOffsetBytes = index.offsets[index.offsets.length - 1];
  const header = Buffer.alloc(ENTRY_HEADER_BYTES);
  await readFully(handle, header, lastOffsetBytes);
  if (lastOffsetBytes + ENTRY_HEADER_BYTES + entryPayloadLength(header, 0) !== fileBytes) return 'the last entry does not end where the segment ends';
  if (entryIndex(header, 0) !== lastIndex || entryStoredChecksum(header, 0) !== index.lastEntryChecksum) {
    return `the segment holds another entry ${lastIndex} at byte ${lastOffsetBytes}`;
  }
  const lastTerm = index.termRuns[index.termRuns.length - 1].term;
  if (entryTerm(header, 0) !== lastTerm) return `the last entry has term ${entryTerm(header, 0)}, the index says ${lastTerm}`;
  if (!(index.termRuns[0].term >= lastTermBefore)) return `its first term is lower than the term ${lastTermBefore} before it`;
  return undefined;
}

/**
 * Writes the index of a segment recovery has just scanned, so that the next open need not scan it again. The
 * directory is fsynced once for all of them by removeStrayIndexFiles: until then a crash may only lose an index.
 */
export async function indexScannedSegment(options: ResolvedLogOptions, segment: Segment, terms: TermIndex): Promise<void> {
  try {
    await writeSegmentIndexFile(segment.path, segment.describeIndex(terms), options.fsync, false);
  } catch (error) {
    // The index only saves time: without it, the next open scans the segment again.
    options.onWarning(`Could not write the index file of log segment ${segment.path}: ${(error as Error).message}`);
  }
}

/**
 * Removes index files that must not be trusted later: the last segment's (entries will be appended to it), those of
 * segments that no longer exist (a crash during a deletion) and temporaries of an interrupted index write. Then
 * fsyncs the directory when recovery wrote or removed index files (`indexesWritten`).
 */
export async function removeStrayIndexFiles(options: ResolvedLogOptions, segments: readonly Segment[], indexesWritten: boolean): Promise<void> {
  const sealedFirstIndexes = new Set(segments.slice(0, -1).map((segment) => segment.firstIndex));
  let removed = indexesWritten;
  for (const name of await readdir(options.directory)) {
    const parsed = parseSegmentIndexFileName(name);
    if (parsed === undefined || (!parsed.temporary && sealedFirstIndexes.has(parsed.firstIndex))) continue;
    try {
      await unlink(path.join(options.directory, name));
      removed = true;
    } catch (error) {
      // Not fatal: the last segment is always scanned, and an index is checked against its segment before use.
      options.onWarning(`Could not remove the index file ${path.join(options.directory, name)}: ${(error as Error).message}`);
    }
  }
  if (removed && options.fsync) await fsyncDirectory(options.directory);
}
