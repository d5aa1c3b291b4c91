import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '../files/durable-files.js';
import { LogCorruptedError } from './log-corrupted-error.js';
import type { ResolvedLogOptions } from './log-options.js';
import { OffsetTable } from './offset-table.js';
import { SEGMENT_HEADER_BYTES, decodeSegmentHeader, parseSegmentFileName } from './segment-format.js';
import { indexScannedSegment, loadSegmentIndex, removeStrayIndexFiles } from './segment-index-recovery.js';
import { intactEntryFollows, readFully, scanSegmentEntries, type EntryScan } from './segment-scanner.js';
import { Segment } from './segment.js';
import { TermIndex } from './term-index.js';
import type { WriteSlab } from './write-slab.js';

export interface RecoveredLog {
  /** At least one segment, in index order; the last may be empty. */
  segments: Segment[];
  terms: TermIndex;
}

interface SegmentFile {
  path: string;
  firstIndex: number;
}

/**
 * Opens every segment in the directory and checks every entry, except in sealed segments (all but the last) whose
 * index file agrees with them: those are taken from the index, so that restart time does not grow with the size of
 * the log (see segment-index-recovery.ts for what that trades). A torn tail (an incomplete or checksum-failing last
 * entry of the last segment with nothing intact after it) is what a crash during a write leaves: no flush covering it
 * resolved, so it was never acknowledged, and it is cut off. Anything else means bytes that were written completely
 * have changed or gone, which may have been acknowledged, so recovery refuses with LogCorruptedError.
 *
 * The last segment is the only one that can be torn because a flush fdatasyncs a segment before it writes any byte
 * of the next one.
 */
export async function recoverLog(options: ResolvedLogOptions, slab: WriteSlab): Promise<RecoveredLog> {
  await createDirectory(options);
  const files = await listSegmentFiles(options.directory);
  const terms = new TermIndex();
  const segments: Segment[] = [];
  const written = { indexes: false };
  try {
    for (const [position, file] of files.entries()) {
      const previous = segments[segments.length - 1];
      const isLast = position === files.length - 1;
      const segment = await recoverSegment(options, file, { isLast, previous, terms, written });
      if (segment !== undefined) segments.push(segment);
    }
    // The last segment may hold entries that are in the page cache only (the process died during a flush).
    if (options.fsync) await segments[segments.length - 1]?.sync();
    await removeStrayIndexFiles(options, segments, written.indexes);
  } catch (error) {
    await Promise.allSettled(segments.map((segment) => segment.close()));
    throw error;
  }
  if (segments.length === 0) segments.push(Segment.create(options.directory, files[0]?.firstIndex ?? 1, slab));
  return { segments, terms };
}

/** Creates the directory with any missing parents, and fsyncs each parent so that the new names are durable. */
async function createDirectory(options: ResolvedLogOptions): Promise<void> {
  const firstCreated = await mkdir(options.directory, { recursive: true });
  if (firstCreated === undefined || !options.fsync) return;
  const directory = path.resolve(options.directory);
  for (let created = directory; created.startsWith(path.resolve(firstCreated)); created = path.dirname(created)) {
    await fsyncDirectory(path.dirname(created));
  }
}

async function listSegmentFiles(directory: string): Promise<SegmentFile[]> {
  const files: SegmentFile[] = [];
  for (const name of await readdir(directory)) {
    const firstIndex = parseSegmentFileName(name);
    if (firstIndex !== undefined) files.push({ path: path.join(directory, name), firstIndex });
  }
  return files.sort((left, right) => left.firstIndex - right.firstIndex);
}

interface SegmentContext {
  isLast: boolean;
  previous: Segment | undefined;
  terms: TermIndex;
  /** Set once recovery wrote an index file, whose name the directory fsync at the end makes durable. */
  written: { indexes: boolean };
}

/** The recovered segment, or undefined when the file was a torn creation of the last segment and is now deleted. */
async function recoverSegment(options: ResolvedLogOptions, file: SegmentFile, context: SegmentContext): Promise<Segment | undefined> {
  const handle = await open(file.path, 'r+');
  let closeOnExit = true;
  try {
    const fileBytes = (await handle.stat()).size;
    if (!(await checkHeader(handle, fileBytes, file, context))) {
      closeOnExit = false;
      await handle.close();
      await unlink(file.path);
      await fsyncDirectory(options.directory);
      options.onWarning(`Deleted log segment ${file.path}: its header is incomplete, left by a crash while the segment was created.`);
      return undefined;
    }
    if (!context.isLast) {
      const index = await loadSegmentIndex(options, handle, fileBytes, file.path, file.firstIndex, context.terms.lastTerm);
      if (index !== undefined) {
        for (const run of index.termRuns) context.terms.append(run.startIndex, run.term);
        closeOnExit = false;
        return Segment.recovered(file.path, file.firstIndex, handle, OffsetTable.of(index.offsets), fileBytes);
      }
    }
    const scan = await scanSegmentEntries(handle, fileBytes, file.firstIndex, context.terms, context.terms.lastTerm);
    if (scan.damage !== undefined) await truncateTornTail(options, handle, fileBytes, file, scan, context.isLast);
    if (!context.isLast && scan.offsets.length === 0) {
      throw new LogCorruptedError(file.path, SEGMENT_HEADER_BYTES, file.firstIndex, 'the segment is empty, but only the last segment may be; refusing to start.');
    }
    closeOnExit = false;
    const segment = Segment.recovered(file.path, file.firstIndex, handle, scan.offsets, scan.validBytes);
    if (!context.isLast) {
      await indexScannedSegment(options, segment, context.terms);
      context.written.indexes = true;
    }
    return segment;
  } finally {
    if (closeOnExit) await handle.close();
  }
}

/** True when the header is sound; false for a torn header of the last segment; throws on anything else. */
async function checkHeader(handle: FileHandle, fileBytes: number, file: SegmentFile, context: SegmentContext): Promise<boolean> {
  const header = Buffer.alloc(Math.min(fileBytes, SEGMENT_HEADER_BYTES));
  await readFully(handle, header, 0);
  const decoded = decodeSegmentHeader(header);
  const refuse = (offsetBytes: number, index: number, problem: string): never => {
    throw new LogCorruptedError(file.path, offsetBytes, index, `${problem}; refusing to start.`);
  };
  if (decoded.problem !== undefined) {
    const mayBeTorn = context.isLast && decoded.problem !== 'unknown version';
    if (mayBeTorn && !(await intactEntryFollows(handle, fileBytes, 0, file.firstIndex))) return false;
    refuse(0, file.firstIndex, decoded.detail);
  } else if (decoded.firstIndex !== file.firstIndex) {
    refuse(16, file.firstIndex, `the header says the segment starts at entry ${decoded.firstIndex}, but its name says ${file.firstIndex}`);
  }
  const expectedFirstIndex = context.previous === undefined ? file.firstIndex : context.previous.lastIndex + 1;
  if (file.firstIndex !== expectedFirstIndex) {
    refuse(0, expectedFirstIndex, `the segment starts at entry ${file.firstIndex}, but the previous segment ends at entry ${expectedFirstIndex - 1} (is a segment file missing?)`);
  }
  return true;
}

async function truncateTornTail(
  options: ResolvedLogOptions,
  handle: FileHandle,
  fileBytes: number,
  file: SegmentFile,
  scan: EntryScan,
  isLast: boolean,
): Promise<void> {
  const damage = scan.damage!;
  const refuse = (explanation: string): never => {
    throw new LogCorruptedError(file.path, damage.offsetBytes, damage.index, `${damage.detail}; refusing to start. ${explanation}`);
  };
  if (!isLast) refuse('Only the last segment can end in a torn write, so this is damage to data that was written completely.');
  if (damage.kind === 'index' || damage.kind === 'term') refuse('The entry itself is intact, so this is not a torn write.');
  if (await intactEntryFollows(handle, fileBytes, damage.offsetBytes, damage.index)) {
    refuse('The entries after it are intact, so this is not a torn write.');
  }
  await handle.truncate(scan.validBytes);
  if (options.fsync) await handle.datasync();
  options.onWarning(
    `Truncated a torn write at the end of log segment ${file.path}: ${fileBytes - scan.validBytes} bytes from byte ` +
      `${damage.offsetBytes} (entry ${damage.index}: ${damage.detail}), left by a crash during a write that was never acknowledged.`,
  );
}
