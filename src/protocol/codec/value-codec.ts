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
    this.buffer.writeBigInt64LE(value, this.offset);
    this.offset += 8;
  }

  string(value: string): void {
    // A string's UTF-8 form is at most 3 bytes per UTF-16 unit; reserve that, write, then patch the length.
    this.ensure(4 + value.length * 3);
    const written = this.buffer.write(value, this.offset + 4, 'utf8');
    this.buffer.writeUInt32LE(written, this.offset);
    this.offset += 4 + written;
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  /** A copy of what was written, so the writer can be reused. */
  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.offset));
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
    const value = this.buffer.readBigInt64LE(this.offset);
    this.offset += 8;
    return value;
  }

  string(): string {
    const length = this.u32();
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
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
    writer.string(field);
    writeValue(writer, item);
    count++;
  }
  writer.buffer.writeUInt32LE(count, countOffset);
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

export function encodeValue(value: Value): Buffer {
  const writer = new ByteWriter(256);
  writeValue(writer, value);
  return writer.toBuffer();
}

export function decodeValue(buffer: Buffer): Value {
  const reader = new ByteReader(buffer);
  const value = readValue(reader);
  if (reader.offset !== buffer.length) throw new RangeError(`Trailing bytes after value: ${buffer.length - reader.offset}`);
  return value;
}
