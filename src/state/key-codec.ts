import type { KeyPart } from './types.js';

/**
 * Encodes key tuples so that RocksDB's bytewise order is the logical order of the tuples: parts compare left to
 * right, a shorter tuple sorts before its extensions, and within a part
 * - bigints (int64) and numbers (float64) compare by value: big-endian with the sign flipped (and, for negative
 *   numbers, every bit flipped), as FoundationDB's tuple layer does;
 * - strings compare by Unicode code point: UTF-8 with a 0x00 terminator, a 0x00 inside the string escaped as
 *   0x00 0xFF (a terminator sorts before any escaped byte, so "a" < "a\0" < "ab").
 * Each part starts with a type tag, so the encoding is self-describing: a restart decodes keys without knowing the
 * column's declaration. Parts of different types sort by tag (bigint < number < string).
 * The column name is the tuple's first part, which makes it the key's prefix.
 * A string with an unpaired surrogate encodes as if it held U+FFFD (UTF-8 cannot carry it); names and ids in keys
 * never hold one.
 */

const enum PartTag {
  BigInt = 0x10,
  Number = 0x20,
  String = 0x30,
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const ESCAPED_ZERO = 0xff;

/**
 * One scratch buffer reused by every encode call: the state is single-threaded and encoding is its hot path. It owns
 * its memory (not a slice of Node's pool) so that a DataView over it writes int64 parts without the temporary
 * bigints Buffer's writeBigInt64BE makes.
 */
let scratch = Buffer.allocUnsafeSlow(1024);
let scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
let scratchOffset = 0;

function ensureScratch(bytes: number): void {
  if (scratchOffset + bytes <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < scratchOffset + bytes) size *= 2;
  const grown = Buffer.allocUnsafeSlow(size);
  scratch.copy(grown, 0, 0, scratchOffset);
  scratch = grown;
  scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
}

/** The encoded prefix shared by every key of a column (the column name as a one-part tuple). */
export function encodeColumnPrefix(columnName: string): Buffer {
  scratchOffset = 0;
  writeString(columnName);
  return copyOutScratch();
}

/** Encodes `parts` after a column prefix into a fresh buffer. Throws TypeError/RangeError for parts it cannot order. */
export function encodeKey(columnPrefix: Buffer, parts: readonly KeyPart[]): Buffer {
  scratchOffset = 0;
  ensureScratch(columnPrefix.length);
  columnPrefix.copy(scratch, 0);
  scratchOffset = columnPrefix.length;
  for (let index = 0; index < parts.length; index++) writePart(parts[index], index);
  return copyOutScratch();
}

/** The encoded bytes in a buffer of their own: one allocation, no intermediate view (keys are a few dozen bytes). */
function copyOutScratch(): Buffer {
  const out = Buffer.allocUnsafe(scratchOffset);
  for (let i = 0; i < scratchOffset; i++) out[i] = scratch[i];
  return out;
}

/**
 * Throws the TypeError or RangeError encodeKey would throw for parts it cannot order, without encoding them: the
 * state checks a key when it is written and encodes it only if it reaches RocksDB.
 */
export function checkKeyParts(parts: readonly KeyPart[]): void {
  for (let index = 0; index < parts.length; index++) checkPart(parts[index], index);
}

function checkPart(part: KeyPart, index: number): void {
  switch (typeof part) {
    case 'bigint':
      if (part < INT64_MIN || part > INT64_MAX) throw new RangeError(`Key part ${part} is outside the int64 range`);
      return;
    case 'number':
      if (Number.isNaN(part)) throw new RangeError(`Key part ${index} is NaN, which has no order`);
      return;
    case 'string':
      return;
    default:
      throw new TypeError(`Key part ${index} must be a string, bigint or number, but was ${typeof part}`);
  }
}

function writePart(part: KeyPart, index: number): void {
  checkPart(part, index);
  switch (typeof part) {
    case 'bigint':
      return writeBigInt(part);
    case 'number':
      return writeNumber(part);
    default:
      return writeString(part as string);
  }
}

function writeBigInt(part: bigint): void {
  ensureScratch(9);
  scratch[scratchOffset] = PartTag.BigInt;
  scratchView.setBigInt64(scratchOffset + 1, part);
  scratch[scratchOffset + 1] ^= 0x80;
  scratchOffset += 9;
}

function writeNumber(part: number): void {
  ensureScratch(9);
  scratch[scratchOffset] = PartTag.Number;
  // -0 becomes 0: a Map (the in-memory copy) treats them as one key, so RocksDB must too.
  scratch.writeDoubleBE(part === 0 ? 0 : part, scratchOffset + 1);
  const first = scratchOffset + 1;
  if (scratch[first] & 0x80) {
    for (let i = first; i < first + 8; i++) scratch[i] = ~scratch[i] & 0xff;
  } else {
    scratch[first] ^= 0x80;
  }
  scratchOffset += 9;
}

function writeString(part: string): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit; an escaped 0x00 takes 2, so the bound holds with escaping too.
  ensureScratch(2 + part.length * 3);
  scratch[scratchOffset++] = PartTag.String;
  const start = scratchOffset;
  const written = scratch.write(part, start, 'utf8');
  scratchOffset = start + written;
  for (let i = start; i < scratchOffset; i++) {
    if (scratch[i] === 0) {
      scratchOffset = start;
      writeEscaped(Buffer.from(part, 'utf8'));
      break;
    }
  }
  scratch[scratchOffset++] = 0;
}

function writeEscaped(utf8: Buffer): void {
  for (const byte of utf8) {
    scratch[scratchOffset++] = byte;
    if (byte === 0) scratch[scratchOffset++] = ESCAPED_ZERO;
  }
}

const numberScratch = Buffer.allocUnsafeSlow(8);
const numberScratchView = new DataView(numberScratch.buffer, numberScratch.byteOffset, 8);

/** Decodes a whole key: the column name followed by the key's parts. */
export function decodeKey(key: Buffer): { columnName: string; parts: KeyPart[] } {
  const reader = { offset: 0 };
  const columnName = readPart(key, reader);
  if (typeof columnName !== 'string') throw new RangeError(`Key ${key.toString('hex')} does not start with a column name`);
  const parts: KeyPart[] = [];
  while (reader.offset < key.length) parts.push(readPart(key, reader));
  return { columnName, parts };
}

/** Decodes the parts of a key whose column prefix is known, starting right after it. */
export function decodeKeyParts(key: Buffer, offset: number): KeyPart[] {
  const reader = { offset };
  const parts: KeyPart[] = [];
  while (reader.offset < key.length) parts.push(readPart(key, reader));
  return parts;
}

function readPart(key: Buffer, reader: { offset: number }): KeyPart {
  const tag = key[reader.offset++];
  switch (tag) {
    case PartTag.BigInt:
      readEightBytes(key, reader);
      numberScratch[0] ^= 0x80;
      return numberScratchView.getBigInt64(0);
    case PartTag.Number:
      readEightBytes(key, reader);
      return readOrderedDouble();
    case PartTag.String:
      return readString(key, reader);
    default:
      throw new RangeError(`Key ${key.toString('hex')} has an unknown part tag ${tag} at offset ${reader.offset - 1}`);
  }
}

function readEightBytes(key: Buffer, reader: { offset: number }): void {
  if (reader.offset + 8 > key.length) throw new RangeError(`Key ${key.toString('hex')} is truncated at offset ${reader.offset}`);
  for (let i = 0; i < 8; i++) numberScratch[i] = key[reader.offset + i];
  reader.offset += 8;
}

/** Undoes writeNumber's flips on the bytes in numberScratch. */
function readOrderedDouble(): number {
  if (numberScratch[0] & 0x80) {
    numberScratch[0] ^= 0x80;
  } else {
    for (let i = 0; i < 8; i++) numberScratch[i] = ~numberScratch[i] & 0xff;
  }
  return numberScratch.readDoubleBE(0);
}

function readString(key: Buffer, reader: { offset: number }): string {
  const start = reader.offset;
  let end = key.indexOf(0, start);
  while (end !== -1 && key[end + 1] === ESCAPED_ZERO) end = key.indexOf(0, end + 2);
  if (end === -1) throw new RangeError(`Key ${key.toString('hex')} has an unterminated string at offset ${start}`);
  reader.offset = end + 1;
  const raw = key.subarray(start, end);
  return raw.includes(0) ? unescape(raw).toString('utf8') : raw.toString('utf8');
}

function unescape(raw: Buffer): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    bytes.push(raw[i]);
    if (raw[i] === 0) i++;
  }
  return Buffer.from(bytes);
}
