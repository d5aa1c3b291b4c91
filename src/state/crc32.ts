import * as zlib from 'node:zlib';

/**
 * CRC-32 (the zlib/IEEE polynomial). Node has a native one since 20.15; older Node 20 releases get the table-driven
 * version below, which is slower but produces the same numbers, so snapshots move freely between them.
 */
type Crc32 = (data: Uint8Array, initial?: number) => number;

const native = (zlib as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;

function crc32Table(): Uint32Array {
  const result = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    result[byte] = crc >>> 0;
  }
  return result;
}

function crc32Portable(data: Uint8Array, initial = 0): number {
  table ??= crc32Table();
  let crc = ~initial >>> 0;
  for (let index = 0; index < data.length; index++) crc = table[(crc ^ data[index]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

export const crc32: Crc32 = native ?? crc32Portable;

/** Exposed for the test that checks both implementations agree. */
export const crc32ForTesting = { portable: crc32Portable, native };
