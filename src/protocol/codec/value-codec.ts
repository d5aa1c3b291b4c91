import type { Value } from '../record.js';

/**
 * A compact tagged binary encoding of record values (JSON-like, plus bigint and bytes). It is part of the log
 * format: tags are append-only. Chosen over JSON because JSON cannot carry bigints without a slow replacer, and over
 * v8.serialize because V8's format is not readable by an older Node (a cluster may mix Node versions).
 */
const enum Tag {
  Null = 0,
  False = 1,
  True = 2,
  Int32 = 3,
  Float64 = 4,
  String = 5,
  BigInt = 6,
  Array = 7,
  Object = 8,
  Bytes = 9,
}

/**
 * Short strings, field names above all, are written and read by the loops below rather than by Buffer's UTF-8
 * methods: a call into Buffer costs more than the copy itself for a few bytes, and in a busy broker every record
 * carries a dozen field names (the last profile charged about 15 % of the broker's CPU to them). The bytes written
 * are exactly those of Buffer.write, so the log format does not change (the fixtures in fixtures/ pin it).
 */
const SHORT_STRING_LENGTH_MAX = 64;
/** Field names whose encoded bytes are kept; a value with more distinct names than this encodes the rest as it comes. */
const FIELD_NAME_CACHE_ENTRIES_MAX = 4096;
/** Slots of the table that makes decoded short strings one shared string each (power of two). */
const INTERNED_STRING_SLOTS = 4096;
/** Only strings this short are interned: field names and the repeated values (ids, types, tenants) are. */
const INTERNED_STRING_BYTES_MAX = 32;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** A typed array is in the machine's byte order; the fast int64 path copies its bytes only where that is little endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const int64Scratch = new BigInt64Array(1);
const int64ScratchBytes = new Uint8Array(int64Scratch.buffer);

/** The encoded form of each field name (u32 length, then UTF-8), shared by every writer. */
const fieldNameBytes = new Map<string, Uint8Array>();

function encodeFieldName(name: string): Uint8Array {
  const utf8 = Buffer.from(name, 'utf8');
  const encoded = new Uint8Array(4 + utf8.length);
  new DataView(encoded.buffer).setUint32(0, utf8.length, true);
  encoded.set(utf8, 4);
  if (fieldNameBytes.size < FIELD_NAME_CACHE_ENTRIES_MAX) fieldNameBytes.set(name, encoded);
  return encoded;
}

export class ByteWriter {
  buffer: Buffer;
  offset = 0;

  constructor(initialSizeBytes = 1024) {
    this.buffer = Buffer.allocUnsafe(initialSizeBytes);
  }

  ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.offset++] = value;
  }

  u16(value: number): void {
    this.ensure(2);
    this.buffer.writeUInt16LE(value, this.offset);
    this.offset += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value, this.offset);
    this.offset += 4;
  }

  i32(value: number): void {
    this.ensure(4);
    this.buffer.writeInt32LE(value, this.offset);
    this.offset += 4;
  }

  f64(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.offset);
    this.offset += 8;
  }

  i64(value: bigint): void {
    this.ensure(8);
    if (!LITTLE_ENDIAN) {
      this.buffer.writeBigInt64LE(value, this.offset);
      this.offset += 8;
      return;
    }
    // A BigInt64Array store wraps silently; Buffer's writer refused out-of-range values, and so does this one.
    if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`Expected an int64, but got ${value}`);
    int64Scratch[0] = value;
    const buffer = this.buffer;
    const offset = this.offset;
    for (let i = 0; i < 8; i++) buffer[offset + i] = int64ScratchBytes[i];
    this.offset = offset + 8;
  }

  string(value: string): void {
    const length = value.length;
    // A string's UTF-8 form is at most 3 bytes per UTF-16 unit; reserve that, write, then patch the length.
    this.ensure(4 + length * 3);
    if (length <= SHORT_STRING_LENGTH_MAX && this.asciiString(value)) return;
    const written = this.buffer.write(value, this.offset + 4, 'utf8');
    this.buffer.writeUInt32LE(written, this.offset);
    this.offset += 4 + written;
  }

  /** Writes value if it is ASCII (one byte per unit in UTF-8) and says whether it did; the caller reserved the room. */
  private asciiString(value: string): boolean {
    const buffer = this.buffer;
    const start = this.offset + 4;
    const length = value.length;
    for (let i = 0; i < length; i++) {
      const unit = value.charCodeAt(i);
      if (unit >= 0x80) return false;
      buffer[start + i] = unit;
    }
    buffer.writeUInt32LE(length, this.offset);
    this.offset = start + length;
    return true;
  }

  /** A field name: the same bytes as string(name), copied from a cache since the same few names recur. */
  fieldName(name: string): void {
    const encoded = fieldNameBytes.get(name) ?? encodeFieldName(name);
    const length = encoded.length;
    this.ensure(length);
    this.buffer.set(encoded, this.offset);
    this.offset += length;
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  /** A copy of what was written, so the writer can be reused. */
  toBuffer(): Buffer {
    const copy = Buffer.allocUnsafe(this.offset);
    this.buffer.copy(copy, 0, 0, this.offset);
    return copy;
  }
}

export class ByteReader {
  offset: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    readonly end = buffer.length,
  ) {
    this.offset = offset;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.end) {
      throw new RangeError(`Truncated value: needed ${bytes} bytes at offset ${this.offset}, but only ${this.end - this.offset} remain`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.offset++];
  }

  u16(): number {
    this.need(2);
    const value = this.buffer.readUInt16LE(this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.buffer.readInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  i64(): bigint {
    this.need(8);
    const offset = this.offset;
    this.offset = offset + 8;
    if (!LITTLE_ENDIAN) return this.buffer.readBigInt64LE(offset);
    const buffer = this.buffer;
    for (let i = 0; i < 8; i++) int64ScratchBytes[i] = buffer[offset + i];
    return int64Scratch[0];
  }

  string(): string {
    const length = this.u32();
    this.need(length);
    const start = this.offset;
    this.offset = start + length;
    if (length <= INTERNED_STRING_BYTES_MAX) return internedString(this.buffer, start, length);
    return this.buffer.toString('utf8', start, start + length);
  }

  bytes(): Uint8Array {
    const length = this.u32();
    this.need(length);
    const value = Buffer.from(this.buffer.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }
}

export function writeValue(writer: ByteWriter, value: Value | undefined): void {
  if (value === null || value === undefined) return writer.u8(Tag.Null);
  switch (typeof value) {
    case 'boolean':
      return writer.u8(value ? Tag.True : Tag.False);
    case 'number':
      if ((value | 0) === value && !Object.is(value, -0)) {
        writer.u8(Tag.Int32);
        return writer.i32(value);
      }
      writer.u8(Tag.Float64);
      return writer.f64(value);
    case 'string':
      writer.u8(Tag.String);
      return writer.string(value);
    case 'bigint':
      writer.u8(Tag.BigInt);
      return writer.i64(value);
    default:
      return writeComposite(writer, value);
  }
}

function writeComposite(writer: ByteWriter, value: Value[] | Uint8Array | { [field: string]: Value | undefined }): void {
  if (Array.isArray(value)) {
    writer.u8(Tag.Array);
    writer.u32(value.length);
    for (const item of value) writeValue(writer, item);
    return;
  }
  if (value instanceof Uint8Array) {
    writer.u8(Tag.Bytes);
    return writer.bytes(value);
  }
  writer.u8(Tag.Object);
  const countOffset = writer.offset;
  writer.u32(0);
  let count = 0;
  for (const field in value) {
    const item = value[field];
    if (item === undefined) continue;
    writer.fieldName(field);
    writeValue(writer, item);
    count++;
  }
  writer.buffer.writeUInt32LE(count, countOffset);
}

/**
 * Decoded short strings, one per distinct byte sequence: a direct-mapped table indexed by a hash of the bytes, so a
 * field name read a million times is one string (less garbage, and V8 finds it as a property key at once). A slot
 * that collides is overwritten, which bounds the table whatever the input.
 */
const internedBytes: (Uint8Array | undefined)[] = new Array(INTERNED_STRING_SLOTS);
const internedStrings: string[] = new Array(INTERNED_STRING_SLOTS);

function internedString(buffer: Buffer, start: number, length: number): string {
  // A hash of the length and four bytes, not of all of them: the comparison below reads every byte anyway, and names
  // that share these bytes only take turns in one slot.
  const end = start + length - 1;
  let hash = Math.imul(length, 0x9e3779b1);
  if (length > 0) hash = Math.imul(hash ^ (buffer[start] | (buffer[end] << 8) | (buffer[start + (length >> 1)] << 16) | (buffer[end - (length >> 2)] << 24)), 0x85ebca6b);
  const slot = (hash ^ (hash >>> 15)) & (INTERNED_STRING_SLOTS - 1);
  const known = internedBytes[slot];
  if (known !== undefined && known.length === length && sameBytes(known, buffer, start)) return internedStrings[slot];
  const value = buffer.toString('utf8', start, start + length);
  const bytes = new Uint8Array(length);
  bytes.set(buffer.subarray(start, start + length));
  internedBytes[slot] = bytes;
  internedStrings[slot] = value;
  return value;
}

function sameBytes(known: Uint8Array, buffer: Buffer, start: number): boolean {
  for (let i = 0; i < known.length; i++) if (known[i] !== buffer[start + i]) return false;
  return true;
}

export function readValue(reader: ByteReader): Value {
  const tag = reader.u8();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Int32:
      return reader.i32();
    case Tag.Float64:
      return reader.f64();
    case Tag.String:
      return reader.string();
    case Tag.BigInt:
      return reader.i64();
    case Tag.Array: {
      const length = reader.u32();
      const items: Value[] = new Array(length);
      for (let i = 0; i < length; i++) items[i] = readValue(reader);
      return items;
    }
    case Tag.Object: {
      const count = reader.u32();
      const object: { [field: string]: Value } = {};
      for (let i = 0; i < count; i++) {
        const field = reader.string();
        object[field] = readValue(reader);
      }
      return object;
    }
    case Tag.Bytes:
      return reader.bytes();
    default:
      throw new RangeError(`Unknown value tag ${tag} at offset ${reader.offset - 1}`);
  }
}

/**
 * One writer for every encodeValue call: encoding is synchronous and calls nothing that could encode in turn, so
 * calls never overlap. After an unusually large value it is replaced, so that one big value does not pin its buffer.
 */
const SHARED_WRITER_BYTES_INITIAL = 4096;
const SHARED_WRITER_BYTES_KEPT_MAX = 1024 * 1024;
let sharedWriter = new ByteWriter(SHARED_WRITER_BYTES_INITIAL);

export function encodeValue(value: Value): Buffer {
  const writer = sharedWriter;
  writer.offset = 0;
  try {
    writeValue(writer, value);
    return writer.toBuffer();
  } finally {
    if (writer.buffer.length > SHARED_WRITER_BYTES_KEPT_MAX) sharedWriter = new ByteWriter(SHARED_WRITER_BYTES_INITIAL);
  }
}

export function decodeValue(buffer: Buffer): Value {
  const reader = new ByteReader(buffer);
  const value = readValue(reader);
  if (reader.offset !== buffer.length) throw new RangeError(`Trailing bytes after value: ${buffer.length - reader.offset}`);
  return value;
}
