import { closeSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from '../state/crc32.js';

/**
 * The byte stream a leader sends to a follower that needs its snapshot (Raft's InstallSnapshot): one snapshot
 * directory as a flat archive, so that Raft can cut it into chunks at any offset. Version 1, all integers little-endian:
 *
 *   header (44 bytes)   magic "TRBSNAPA" | u16 format version (1) | u16 reserved (0) | u32 file count |
 *                       u64 Raft index | u64 Raft term | u64 record position | u32 CRC-32 of the 40 bytes before
 *   per file            u16 name length | name (UTF-8) | u64 size in bytes | u32 CRC-32 of the data |
 *                       u32 CRC-32 of this file header up to here | data
 *
 * Nothing follows the last file. The receiver checks every checksum, the count, the names and the total before it
 * writes a single file where a snapshot could be taken for a whole one.
 */
export const ARCHIVE_FORMAT_VERSION = 1;
const ARCHIVE_MAGIC = Buffer.from('TRBSNAPA', 'latin1');
const HEADER_SIZE_BYTES = 44;
const FILE_HEADER_FIXED_SIZE_BYTES = 2 + 8 + 4 + 4;
/** File names travel from another broker: only plain names, no paths. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
/** Files per snapshot at most: a bound on what a corrupted header can make the receiver do. */
export const ARCHIVE_FILE_COUNT_MAX = 100_000;
/** Bytes copied per read and write while unpacking. */
const COPY_BLOCK_SIZE_BYTES = 1024 * 1024;

export interface ArchivePosition {
  index: number;
  term: number;
  /** The record position the snapshot's state covers. */
  position: number;
}

export interface ArchiveFile {
  name: string;
  sizeBytes: number;
  crc32: number;
}

export class SnapshotArchiveError extends Error {
  override readonly name = 'SnapshotArchiveError';
}

export function isArchivableFileName(name: string): boolean {
  return FILE_NAME.test(name);
}

type Segment = { bytes: Buffer } | { path: string; sizeBytes: number };

/**
 * A snapshot directory laid out as the archive, read synchronously at any offset (Raft's SnapshotSource is
 * synchronous): headers live in memory, file data is read from disk on demand.
 */
export class ArchiveLayout {
  readonly totalSizeBytes: number;
  private readonly segments: Segment[] = [];
  private readonly segmentStarts: number[] = [];

  constructor(directory: string, at: ArchivePosition, files: readonly ArchiveFile[]) {
    let offset = 0;
    const add = (segment: Segment): void => {
      this.segments.push(segment);
      this.segmentStarts.push(offset);
      offset += 'bytes' in segment ? segment.bytes.length : segment.sizeBytes;
    };
    add({ bytes: encodeHeader(at, files.length) });
    for (const file of files) {
      add({ bytes: encodeFileHeader(file) });
      if (file.sizeBytes > 0) add({ path: join(directory, file.name), sizeBytes: file.sizeBytes });
    }
    this.totalSizeBytes = offset;
  }

  /** Up to sizeBytesMax bytes from offsetBytes; undefined when a file is gone or shorter than recorded. */
  read(offsetBytes: number, sizeBytesMax: number): Buffer | undefined {
    const endOffset = Math.min(this.totalSizeBytes, offsetBytes + sizeBytesMax);
    if (offsetBytes < 0 || offsetBytes > endOffset) return undefined;
    const result = Buffer.alloc(endOffset - offsetBytes);
    for (let segmentIndex = 0; segmentIndex < this.segments.length; segmentIndex++) {
      const start = this.segmentStarts[segmentIndex];
      const segment = this.segments[segmentIndex];
      const size = 'bytes' in segment ? segment.bytes.length : segment.sizeBytes;
      const from = Math.max(offsetBytes, start);
      const to = Math.min(endOffset, start + size);
      if (from >= to) continue;
      if ('bytes' in segment) segment.bytes.copy(result, from - offsetBytes, from - start, to - start);
      else if (!readFileRange(segment.path, from - start, result.subarray(from - offsetBytes, to - offsetBytes))) return undefined;
    }
    return result;
  }
}

function readFileRange(path: string, position: number, target: Buffer): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    let filled = 0;
    while (filled < target.length) {
      const count = readSync(descriptor, target, filled, target.length - filled, position + filled);
      if (count === 0) return false;
      filled += count;
    }
    return true;
  } finally {
    closeSync(descriptor);
  }
}

function encodeHeader(at: ArchivePosition, fileCount: number): Buffer {
  const header = Buffer.alloc(HEADER_SIZE_BYTES);
  ARCHIVE_MAGIC.copy(header, 0);
  header.writeUInt16LE(ARCHIVE_FORMAT_VERSION, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt32LE(fileCount, 12);
  header.writeBigUInt64LE(BigInt(at.index), 16);
  header.writeBigUInt64LE(BigInt(at.term), 24);
  header.writeBigUInt64LE(BigInt(at.position), 32);
  header.writeUInt32LE(crc32(header.subarray(0, 40)), 40);
  return header;
}

function encodeFileHeader(file: ArchiveFile): Buffer {
  const name = Buffer.from(file.name, 'utf8');
  const header = Buffer.alloc(FILE_HEADER_FIXED_SIZE_BYTES + name.length);
  let offset = header.writeUInt16LE(name.length, 0);
  offset += name.copy(header, offset);
  offset = header.writeBigUInt64LE(BigInt(file.sizeBytes), offset);
  offset = header.writeUInt32LE(file.crc32, offset);
  header.writeUInt32LE(crc32(header.subarray(0, offset)), offset);
  return header;
}

/** Reads exact byte ranges of a received archive, in order. */
class ArchiveReader {
  offset = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly sizeBytes: number,
    private readonly describe: string,
  ) {}

  async exactly(length: number, what: string): Promise<Buffer> {
    if (this.offset + length > this.sizeBytes) throw this.corrupted(`ends inside ${what} at offset ${this.offset}`);
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, this.offset + filled);
      if (bytesRead === 0) throw this.corrupted(`ends inside ${what} at offset ${this.offset + filled}`);
      filled += bytesRead;
    }
    this.offset += length;
    return buffer;
  }

  corrupted(why: string): SnapshotArchiveError {
    return new SnapshotArchiveError(`The received snapshot ${this.describe} is corrupted: it ${why}`);
  }
}

export interface UnpackTarget {
  /** Called once the header is verified, before any file is written: where to put the files. */
  directoryFor(at: ArchivePosition): Promise<string>;
  /** Writes one file durably: its bytes come as blocks. */
  writeFile(directory: string, name: string, blocks: AsyncIterable<Buffer>): Promise<void>;
}

/**
 * Verifies and unpacks a complete archive file. expected is the snapshot Raft says it received; an archive of
 * another one, a checksum that does not match, a bad name or bytes beyond the last file throw SnapshotArchiveError.
 */
export async function unpackArchive(archivePath: string, expected: { index: number; term: number }, target: UnpackTarget): Promise<{ at: ArchivePosition; directory: string; files: ArchiveFile[] }> {
  const handle = await open(archivePath, 'r');
  try {
    const reader = new ArchiveReader(handle, (await handle.stat()).size, `at index ${expected.index} (term ${expected.term})`);
    const { at, fileCount } = parseHeader(await reader.exactly(HEADER_SIZE_BYTES, 'the header'), reader);
    if (at.index !== expected.index || at.term !== expected.term) {
      throw reader.corrupted(`holds the snapshot at index ${at.index} (term ${at.term})`);
    }
    const directory = await target.directoryFor(at);
    const files: ArchiveFile[] = [];
    const names = new Set<string>();
    for (let fileNumber = 0; fileNumber < fileCount; fileNumber++) {
      const file = await readFileHeader(reader);
      if (names.has(file.name)) throw reader.corrupted(`holds the file ${file.name} twice`);
      names.add(file.name);
      await target.writeFile(directory, file.name, copyVerified(reader, file));
      files.push(file);
    }
    if (reader.offset !== reader.sizeBytes) throw reader.corrupted(`has ${reader.sizeBytes - reader.offset} bytes after its last file`);
    return { at, directory, files };
  } finally {
    await handle.close();
  }
}

function parseHeader(header: Buffer, reader: ArchiveReader): { at: ArchivePosition; fileCount: number } {
  if (!header.subarray(0, 8).equals(ARCHIVE_MAGIC)) throw reader.corrupted('does not start with the archive magic');
  // The version first: another version may lay out the rest of its header differently.
  const version = header.readUInt16LE(8);
  if (version !== ARCHIVE_FORMAT_VERSION) {
    throw new SnapshotArchiveError(`The received snapshot has archive format ${version}, but this build reads format ${ARCHIVE_FORMAT_VERSION}`);
  }
  if (header.readUInt32LE(40) !== crc32(header.subarray(0, 40))) throw reader.corrupted('has a header checksum that does not match');
  const fileCount = header.readUInt32LE(12);
  if (fileCount > ARCHIVE_FILE_COUNT_MAX) throw reader.corrupted(`claims ${fileCount} files, more than ${ARCHIVE_FILE_COUNT_MAX}`);
  const at = { index: safeNumber(header.readBigUInt64LE(16), reader), term: safeNumber(header.readBigUInt64LE(24), reader), position: safeNumber(header.readBigUInt64LE(32), reader) };
  return { at, fileCount };
}

async function readFileHeader(reader: ArchiveReader): Promise<ArchiveFile> {
  const nameLength = (await reader.exactly(2, 'a file header')).readUInt16LE(0);
  const rest = await reader.exactly(nameLength + FILE_HEADER_FIXED_SIZE_BYTES - 2, 'a file header');
  const covered = Buffer.concat([Buffer.from([nameLength & 0xff, nameLength >> 8]), rest.subarray(0, rest.length - 4)]);
  if (rest.readUInt32LE(rest.length - 4) !== crc32(covered)) throw reader.corrupted(`has a file header checksum that does not match at offset ${reader.offset - rest.length - 2}`);
  const name = rest.subarray(0, nameLength).toString('utf8');
  if (!isArchivableFileName(name)) throw reader.corrupted(`names a file ${JSON.stringify(name)}, which is not a plain file name`);
  const sizeBytes = safeNumber(rest.readBigUInt64LE(nameLength), reader);
  if (reader.offset + sizeBytes > reader.sizeBytes) throw reader.corrupted(`ends inside the file ${name}`);
  return { name, sizeBytes, crc32: rest.readUInt32LE(nameLength + 8) };
}

async function* copyVerified(reader: ArchiveReader, file: ArchiveFile): AsyncGenerator<Buffer> {
  let crc = 0;
  for (let copied = 0; copied < file.sizeBytes; ) {
    const block = await reader.exactly(Math.min(COPY_BLOCK_SIZE_BYTES, file.sizeBytes - copied), `the file ${file.name}`);
    crc = crc32(block, crc);
    copied += block.length;
    yield block;
  }
  if (crc !== file.crc32) throw reader.corrupted(`holds the file ${file.name} with checksum ${crc}, but its header records ${file.crc32}`);
}

function safeNumber(value: bigint, reader: ArchiveReader): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw reader.corrupted(`holds the number ${value}, beyond the safe integers`);
  return Number(value);
}

/** The size and CRC-32 of a file on disk, read in blocks. */
export async function describeFile(directory: string, name: string): Promise<ArchiveFile> {
  const handle = await open(join(directory, name), 'r');
  try {
    const buffer = Buffer.alloc(COPY_BLOCK_SIZE_BYTES);
    let crc = 0;
    let sizeBytes = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, sizeBytes);
      if (bytesRead === 0) break;
      crc = crc32(buffer.subarray(0, bytesRead), crc);
      sizeBytes += bytesRead;
    }
    return { name, sizeBytes, crc32: crc };
  } finally {
    await handle.close();
  }
}
