import { encodeKey } from './key-codec.js';

/**
 * The layout of keys and values in RocksDB. Bump it whenever that layout changes: a state directory written by
 * another version is refused at open (its data would be misread), and so is a snapshot of one.
 */
export const STATE_FORMAT_VERSION = 1;

/**
 * Meta entries (format version, position) live under their own first byte, 0x01, which sorts before every column
 * (column keys start with the string tag 0x30). So no column name can collide with them, and a full iteration
 * (open, snapshot) meets them first: it knows the format and position before it reads any data.
 */
export const META_PREFIX = Buffer.from([0x01]);
export const FORMAT_VERSION_KEY = encodeKey(META_PREFIX, ['formatVersion']);
export const POSITION_KEY = encodeKey(META_PREFIX, ['position']);

export function isMetaKey(key: Buffer): boolean {
  return key[0] === META_PREFIX[0];
}
