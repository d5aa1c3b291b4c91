import * as zlib from 'node:zlib';

/**
 * On-disk format of a log segment, version 1. All integers are little endian.
 *
 * A segment file is named by the index of its first entry, zero-padded to 20 digits (`00000000000000000001.log`),
 * so a directory listing sorts segments in log order. It starts with a 32-byte header:
 *
 *   offset  size  field
 *        0     8  magic "TRIBLOG\0"
 *        8     4  u32 format version (1)
 *       12     4  u32 reserved (0)
 *       16     8  u64 index of the first entry (equals the number in the file name)
 *       24     4  u32 crc32 of bytes 0..24
 *       28     4  u32 reserved (0)
 *
 * Entries follow back to back, each a 24-byte entry header and the payload:
 *
 *   offset  size  field
 *        0     4  u32 payload length in bytes
 *        4     4  u32 crc32 of bytes 8..(24 + payload length): term, index and payload
 *        8     8  u64 Raft term
 *       16     8  u64 log index
 *       24     n  payload (opaque bytes)
 *
 * Term, index and payload are adjacent so that one crc32 call covers them. u64 fields hold integers up to
 * Number.MAX_SAFE_INTEGER. A change to any of this is a new format version; readers refuse versions they do not know.
 */
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const ENTRY_HEADER_BYTES = 24;
export const SEGMENT_MAGIC = Buffer.from('TRIBLOG\0', 'latin1');

const SEGMENT_FILE_NAME_PATTERN = /^(\d{20})\.log$/;
const TWO_TO_THE_32 = 2 ** 32;
/** The high 32 bits of an integer up to Number.MAX_SAFE_INTEGER fit in 21 bits. */
const SAFE_HIGH_WORD_MAX = 2 ** 21 - 1;

// A namespace import, so that an older Node.js gets this clear message instead of a link error.
if (typeof zlib.crc32 !== 'function') {
  throw new Error('The log needs zlib.crc32, which Node.js has since version 20.15; please upgrade Node.js.');
}
const crc32 = zlib.crc32;

export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, '0')}.log`;
}

/** The first index a segment file name stands for, or undefined when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_FILE_NAME_PATTERN.exec(name);
  if (match === null) return undefined;
  const firstIndex = Number(match[1]);
  return Number.isSafeInteger(firstIndex) ? firstIndex : undefined;
}

export function encodeSegmentHeader(target: Buffer, at: number, firstIndex: number): void {
  SEGMENT_MAGIC.copy(target, at);
  target.writeUInt32LE(SEGMENT_FORMAT_VERSION, at + 8);
  target.writeUInt32LE(0, at + 12);
  writeUInt64(target, at + 16, firstIndex);
  target.writeUInt32LE(crc32(target.subarray(at, at + 24)), at + 24);
  target.writeUInt32LE(0, at + 28);
}

export type SegmentHeaderProblem = 'incomplete' | 'bad magic' | 'header checksum mismatch' | 'unknown version';
export type SegmentHeaderResult =
  | { firstIndex: number; problem?: undefined }
  | { problem: SegmentHeaderProblem; detail: string };

/** Decodes the header at the start of `bytes`; damage is a value because recovery decides what it means. */
export function decodeSegmentHeader(bytes: Buffer): SegmentHeaderResult {
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    return { problem: 'incomplete', detail: `the header is incomplete (${bytes.length} of ${SEGMENT_HEADER_BYTES} bytes)` };
  }
  if (!bytes.subarray(0, 8).equals(SEGMENT_MAGIC)) {
    return { problem: 'bad magic', detail: 'the file does not start with the segment magic bytes "TRIBLOG\\0"' };
  }
  if (crc32(bytes.subarray(0, 24)) !== bytes.readUInt32LE(24)) {
    return { problem: 'header checksum mismatch', detail: 'segment header checksum mismatch' };
  }
  const version = bytes.readUInt32LE(8);
  if (version !== SEGMENT_FORMAT_VERSION) {
    return { problem: 'unknown version', detail: `unknown segment format version ${version} (this build reads version ${SEGMENT_FORMAT_VERSION})` };
  }
  return { firstIndex: readUInt64(bytes, 16) };
}

/** Writes one complete entry (header and payload) at `at`; the caller reserved entryBytes(payload.length). */
export function encodeEntry(target: Buffer, at: number, term: number, index: number, payload: Buffer): void {
  target.writeUInt32LE(payload.length, at);
  writeUInt64(target, at + 8, term);
  writeUInt64(target, at + 16, index);
  payload.copy(target, at + ENTRY_HEADER_BYTES);
  target.writeUInt32LE(entryChecksum(target, at, payload.length), at + 4);
}

export function entryBytes(payloadBytes: number): number {
  return ENTRY_HEADER_BYTES + payloadBytes;
}

export function entryPayloadLength(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at);
}

export function entryStoredChecksum(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at + 4);
}

export function entryTerm(bytes: Buffer, at: number): number {
  return readUInt64(bytes, at + 8);
}

export function entryIndex(bytes: Buffer, at: number): number {
  return readUInt64(bytes, at + 16);
}

/** The checksum an entry should carry; the whole entry must lie in `bytes`. */
export function entryChecksum(bytes: Buffer, at: number, payloadBytes: number): number {
  return crc32(bytes.subarray(at + 8, at + ENTRY_HEADER_BYTES + payloadBytes));
}

export function writeUInt64(target: Buffer, at: number, value: number): void {
  target.writeUInt32LE(value >>> 0, at);
  target.writeUInt32LE(Math.floor(value / TWO_TO_THE_32), at + 4);
}

/** Reads a u64; values above Number.MAX_SAFE_INTEGER (never written by us) read as NaN so that checks fail. */
export function readUInt64(bytes: Buffer, at: number): number {
  const high = bytes.readUInt32LE(at + 4);
  if (high > SAFE_HIGH_WORD_MAX) return Number.NaN;
  return high * TWO_TO_THE_32 + bytes.readUInt32LE(at);
}
