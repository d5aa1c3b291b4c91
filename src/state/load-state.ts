import { decodeValue } from '../protocol/index.js';
import { ColumnTrie } from './column-trie.js';
import { StateError } from './errors.js';
import { FORMAT_VERSION_KEY, POSITION_KEY, STATE_FORMAT_VERSION, isMetaKey } from './format.js';
import { decodeKey, decodeKeyParts, encodeColumnPrefix } from './key-codec.js';
import { readAllEntries, type RocksDatabase } from './rocksdb.js';

export interface LoadedState {
  tries: Map<string, ColumnTrie>;
  persistedPosition: number;
  /** True when the directory held nothing: the caller writes the meta entries of a new state. */
  isNew: boolean;
}

const LOAD_BATCH_SIZE_ENTRIES = 1000;

/**
 * Reads every entry of RocksDB into one trie per column, in key order (so a restarted state visits entries in key
 * order). Meta entries sort first, so the format version is checked before any data entry is decoded.
 */
export async function loadState(database: RocksDatabase, directory: string): Promise<LoadedState> {
  const loader = new StateLoader(directory);
  for await (const entries of readAllEntries(database, LOAD_BATCH_SIZE_ENTRIES)) {
    for (const [key, value] of entries) loader.add(key, value);
  }
  return loader.finish();
}

class StateLoader {
  private readonly tries = new Map<string, ColumnTrie>();
  private formatVersion: unknown;
  private position: unknown;
  private metaChecked = false;
  /** The column of the previous key: keys arrive sorted, so a column's keys arrive together. */
  private columnPrefix: Buffer | undefined;
  private trie: ColumnTrie | undefined;

  constructor(private readonly directory: string) {}

  add(key: Buffer, value: Buffer): void {
    try {
      if (isMetaKey(key)) return this.addMeta(key, value);
      if (!this.metaChecked) this.checkMeta();
      this.addData(key, value);
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError('STATE_CORRUPTED', `State directory ${this.directory} holds an entry that cannot be decoded (key ${key.toString('hex')}): ${(error as Error).message}`, {
        directory: this.directory,
      });
    }
  }

  finish(): LoadedState {
    const isNew = this.formatVersion === undefined && this.position === undefined && this.tries.size === 0;
    if (!isNew && !this.metaChecked) this.checkMeta();
    return { tries: this.tries, persistedPosition: isNew ? 0 : (this.position as number), isNew };
  }

  private addMeta(key: Buffer, value: Buffer): void {
    if (key.equals(FORMAT_VERSION_KEY)) this.formatVersion = decodeValue(value);
    else if (key.equals(POSITION_KEY)) this.position = decodeValue(value);
  }

  private addData(key: Buffer, value: Buffer): void {
    if (this.columnPrefix === undefined || !startsWith(key, this.columnPrefix)) this.switchColumn(key);
    const parts = decodeKeyParts(key, this.columnPrefix!.length);
    const trie = this.trie!;
    if (parts.length !== trie.keyLength) {
      throw new StateError('STATE_CORRUPTED', `State directory ${this.directory} holds key ${key.toString('hex')} with ${parts.length} parts in a column whose other keys have ${trie.keyLength}`, {
        directory: this.directory,
      });
    }
    trie.set(parts, decodeValue(value));
  }

  private switchColumn(key: Buffer): void {
    const { columnName, parts } = decodeKey(key);
    this.columnPrefix = encodeColumnPrefix(columnName);
    this.trie = this.tries.get(columnName);
    if (this.trie === undefined) {
      this.trie = new ColumnTrie(parts.length);
      this.tries.set(columnName, this.trie);
    }
  }

  private checkMeta(): void {
    const { directory, formatVersion, position } = this;
    if (formatVersion === undefined) {
      throw new StateError('STATE_FORMAT_MISMATCH', `State directory ${directory} holds data but no state format version: it was not written by Tributary's state`, { directory });
    }
    if (formatVersion !== STATE_FORMAT_VERSION) {
      throw new StateError(
        'STATE_FORMAT_MISMATCH',
        `State directory ${directory} was written in state format version ${String(formatVersion)}, but this build reads version ${STATE_FORMAT_VERSION}; ` +
          'restore it from a snapshot taken by this version, or delete it to rebuild the state from the log',
        { directory, foundFormatVersion: formatVersion, expectedFormatVersion: STATE_FORMAT_VERSION },
      );
    }
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
      throw new StateError('STATE_CORRUPTED', `State directory ${directory} has no valid position (found ${String(position)})`, { directory });
    }
    this.metaChecked = true;
  }
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length > prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
