import { decodeValue } from '../protocol/index.js';
import { StateError } from './errors.js';
import { FORMAT_VERSION_KEY, POSITION_KEY, STATE_FORMAT_VERSION } from './format.js';
import type { RocksDatabase } from './rocksdb.js';

export interface StateMeta {
  persistedPosition: number;
  /** True when the directory held nothing: the caller writes the meta entries of a new state. */
  isNew: boolean;
}

/**
 * Reads the state's meta entries (format version, position) and checks them before any data is read. Data is not
 * loaded: columns read RocksDB on demand.
 */
export function openMeta(database: RocksDatabase, directory: string): StateMeta {
  const [formatVersionBytes, positionBytes] = database._getManySync([FORMAT_VERSION_KEY, POSITION_KEY], {});
  if (formatVersionBytes === undefined) {
    const anyEntry = database.querySync({ gte: Buffer.alloc(0), lt: Buffer.from([0xff, 0xff]), limit: 1, keyEncoding: 'buffer', valueEncoding: 'buffer' });
    if (anyEntry.rows.length === 0) return { persistedPosition: 0, isNew: true };
    throw new StateError('STATE_FORMAT_MISMATCH', `State directory ${directory} holds data but no state format version: it was not written by Tributary's state`, { directory });
  }
  const formatVersion = decodeValue(formatVersionBytes);
  if (formatVersion !== STATE_FORMAT_VERSION) {
    throw new StateError(
      'STATE_FORMAT_MISMATCH',
      `State directory ${directory} was written in state format version ${String(formatVersion)}, but this build reads version ${STATE_FORMAT_VERSION}; ` +
        'restore it from a snapshot taken by this version, or delete it to rebuild the state from the log',
      { directory, foundFormatVersion: formatVersion, expectedFormatVersion: STATE_FORMAT_VERSION },
    );
  }
  const position = positionBytes === undefined ? undefined : decodeValue(positionBytes);
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    throw new StateError('STATE_CORRUPTED', `State directory ${directory} has no valid position (found ${String(position)})`, { directory });
  }
  return { persistedPosition: position, isNew: false };
}
