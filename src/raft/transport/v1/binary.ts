/** Little-endian primitives of wire format version 1, with bounds checks that fail as values, not exceptions. */

const TWO_TO_THE_32 = 2 ** 32;

/** Grows as it is written; integers above Number.MAX_SAFE_INTEGER are a programmer error. */
export class BinaryWriter {
  private bytes = Buffer.allocUnsafe(256);
  private lengthBytes = 0;

  u8(value: number): this {
    this.reserve(1).writeUInt8(value, this.lengthBytes - 1);
    return this;
  }

  u32(value: number): this {
    this.reserve(4).writeUInt32LE(value, this.lengthBytes - 4);
    return this;
  }

  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Expected a non-negative safe integer, got ${value}`);
    const target = this.reserve(8);
    target.writeUInt32LE(value % TWO_TO_THE_32, this.lengthBytes - 8);
    target.writeUInt32LE(Math.floor(value / TWO_TO_THE_32), this.lengthBytes - 4);
    return this;
  }

  /** A u32 length, then the bytes. */
  bytesWithLength(value: Uint8Array): this {
    this.u32(value.byteLength);
    this.reserve(value.byteLength).set(value, this.lengthBytes - value.byteLength);
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.lengthBytes));
  }

  private reserve(count: number): Buffer {
    if (this.lengthBytes + count > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.lengthBytes + count));
      this.bytes.copy(grown, 0, 0, this.lengthBytes);
      this.bytes = grown;
    }
    this.lengthBytes += count;
    return this.bytes;
  }
}

/** Thrown inside a decoder only, and turned into a DecodeError value at its edge. */
export class DecodeFailure extends Error {
  override readonly name = 'DecodeFailure';
}

export class BinaryReader {
  private offsetBytes = 0;

  constructor(private readonly bytes: Buffer) {}

  get remainingBytes(): number {
    return this.bytes.length - this.offsetBytes;
  }

  u8(field: string): number {
    return this.take(1, field).readUInt8(0);
  }

  u32(field: string): number {
    return this.take(4, field).readUInt32LE(0);
  }

  u64(field: string): number {
    const bytes = this.take(8, field);
    const high = bytes.readUInt32LE(4);
    if (high > 0x1fffff) throw new DecodeFailure(`${field} exceeds the largest safe integer`);
    return high * TWO_TO_THE_32 + bytes.readUInt32LE(0);
  }

  boolean(field: string): boolean {
    const value = this.u8(field);
    if (value > 1) throw new DecodeFailure(`${field} must be 0 or 1, got ${value}`);
    return value === 1;
  }

  /** A u32 length, then that many bytes (copied, so that the frame buffer can go). */
  bytesWithLength(field: string): Uint8Array {
    const lengthBytes = this.u32(`${field} length`);
    return new Uint8Array(this.take(lengthBytes, field));
  }

  expectEnd(what: string): void {
    if (this.remainingBytes !== 0) throw new DecodeFailure(`${this.remainingBytes} bytes left over after the ${what}`);
  }

  private take(count: number, field: string): Buffer {
    if (count > this.remainingBytes) {
      throw new DecodeFailure(`${field} needs ${count} bytes at offset ${this.offsetBytes}, but only ${this.remainingBytes} remain`);
    }
    const bytes = this.bytes.subarray(this.offsetBytes, this.offsetBytes + count);
    this.offsetBytes += count;
    return bytes;
  }
}
