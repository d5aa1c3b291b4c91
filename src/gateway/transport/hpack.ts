import { huffmanDecode } from './huffman.js';

/** HPACK (RFC 7541): the header compression of HTTP/2, the decoding side in full and the small encoding side the server needs. */

/** The static table (RFC 7541, Appendix A); index 1 is STATIC_TABLE[0]. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'], [':scheme', 'http'],
  [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'],
  [':status', '404'], [':status', '500'], ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'], ['accept-language', ''],
  ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''],
  ['cache-control', ''], ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''],
  ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''],
  ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** Each dynamic table entry's size is its name's and value's octets plus this (RFC 7541, 4.1). */
const ENTRY_OVERHEAD = 32;

export class HpackError extends Error {}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes header blocks of one connection. The dynamic table keeps decoded strings, so a header the client sends
 * indexed (the same path, user agent, content type on every call) costs no allocation.
 */
export class HpackDecoder {
  /** Newest first. */
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private size = 0;
  private maxSize: number;
  /** The block being decoded and the read position in it. */
  private block: Buffer = EMPTY;
  private offset = 0;

  /** settingsMaxSize is the SETTINGS_HEADER_TABLE_SIZE this side announced: the largest table a client may ask for. */
  constructor(private readonly settingsMaxSize = 4096) {
    this.maxSize = settingsMaxSize;
  }

  /** Calls onHeader for each field of the block in order; an HpackError is a connection error (COMPRESSION_ERROR). */
  decode(block: Buffer, onHeader: (name: string, value: string) => void): void {
    this.block = block;
    this.offset = 0;
    let fieldsSeen = false;
    while (this.offset < block.length) {
      const first = block[this.offset];
      if ((first & 0x80) !== 0) {
        const index = this.integer(7);
        onHeader(this.name(index), this.value(index));
        fieldsSeen = true;
      } else if ((first & 0xc0) === 0x40) {
        const index = this.integer(6);
        const name = index === 0 ? this.literal() : this.name(index);
        const value = this.literal();
        this.insert(name, value);
        onHeader(name, value);
        fieldsSeen = true;
      } else if ((first & 0xe0) === 0x20) {
        if (fieldsSeen) throw new HpackError('Dynamic table size update after a header field');
        const size = this.integer(5);
        if (size > this.settingsMaxSize) throw new HpackError(`Dynamic table size ${size} exceeds the announced ${this.settingsMaxSize}`);
        this.maxSize = size;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001): same layout, nothing enters the table.
        const index = this.integer(4);
        const name = index === 0 ? this.literal() : this.name(index);
        onHeader(name, this.literal());
        fieldsSeen = true;
      }
    }
    this.block = EMPTY;
  }

  /** An HPACK integer with an n-bit prefix at the read position. */
  private integer(prefixBits: number): number {
    const block = this.block;
    const mask = (1 << prefixBits) - 1;
    let value = block[this.offset++] & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      if (this.offset >= block.length) throw new HpackError('Header block ends inside an integer');
      const byte = block[this.offset++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return value;
      // Beyond 2^28 nothing within this server's header size limit can be meant.
      if (shift > 28) throw new HpackError('Header integer too large');
    }
  }

  /** A string literal at the read position, plain or Huffman-coded. */
  private literal(): string {
    const block = this.block;
    if (this.offset >= block.length) throw new HpackError('Header block ends inside a string');
    const huffman = (block[this.offset] & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.offset;
    this.offset += length;
    if (this.offset > block.length) throw new HpackError('Header string runs past the end of its block');
    if (!huffman) return block.toString('latin1', start, this.offset);
    try {
      return huffmanDecode(block, start, this.offset);
    } catch (error) {
      throw new HpackError((error as Error).message);
    }
  }

  private name(index: number): string {
    if (index === 0) throw new HpackError('Header index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1][0];
    const name = this.names[index - STATIC_TABLE.length - 1];
    if (name === undefined) throw new HpackError(`Header index ${index} is past the tables`);
    return name;
  }

  private value(index: number): string {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1][1];
    return this.values[index - STATIC_TABLE.length - 1];
  }

  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(entrySize);
    // An entry larger than the whole table empties it and is not added (RFC 7541, 4.4).
    if (entrySize > this.maxSize) return;
    this.names.unshift(name);
    this.values.unshift(value);
    this.size += entrySize;
  }

  /** Drops the oldest entries until room bytes fit. */
  private evict(room: number): void {
    while (this.size + room > this.maxSize && this.names.length > 0) {
      this.size -= this.names.pop()!.length + this.values.pop()!.length + ENTRY_OVERHEAD;
    }
  }
}

/**
 * Encodes header fields as "literal without indexing" (RFC 7541, 6.2.2), names by static table index where one
 * exists, strings plain (no Huffman): the encoder keeps no state, so its blocks can be computed once and reused.
 * `:status: 200` is the one fully indexed field. Values must be ASCII (gRPC percent-encodes its messages).
 */
export function encodeHeaders(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: number[] = [];
  for (const [name, value] of fields) {
    if (name === ':status' && value === '200') {
      parts.push(0x88);
      continue;
    }
    const index = STATIC_TABLE.findIndex(([staticName]) => staticName === name) + 1;
    if (index > 0) {
      pushInteger(parts, index, 4, 0x00);
    } else {
      parts.push(0x00);
      pushString(parts, name);
    }
    pushString(parts, value);
  }
  return Buffer.from(parts);
}

function pushString(parts: number[], text: string): void {
  pushInteger(parts, text.length, 7, 0x00);
  for (let i = 0; i < text.length; i++) parts.push(text.charCodeAt(i) & 0xff);
}

function pushInteger(parts: number[], value: number, prefixBits: number, flags: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    parts.push(flags | value);
    return;
  }
  parts.push(flags | mask);
  value -= mask;
  while (value >= 0x80) {
    parts.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  parts.push(value);
}

/** A dynamic table size update to 0: what a block starts with after the client shrinks its table (RFC 7541, 4.2). */
export const TABLE_SIZE_ZERO = Buffer.from([0x20]);
