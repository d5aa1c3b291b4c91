import { createRequire } from 'node:module';

/**
 * A typed wrapper over the few parts of @nxtedition/rocksdb the state uses. The package ships no types, and its
 * abstract-level layer defaults to UTF-8 encodings that silently mangle binary keys, so every handle opened here uses
 * buffer encodings and nothing else in the state touches the package directly.
 */

export interface RocksBatch {
  put(key: Buffer, value: Buffer): void;
  del(key: Buffer): void;
  /** The binding applies the batch synchronously on the calling thread; the promise settles on the next tick. */
  write(options?: { sync?: boolean }): Promise<void>;
}

export interface RocksIterator {
  /** Up to `size` entries in key order; an empty array when the iterator is exhausted. */
  nextv(size: number): Promise<Array<[Buffer, Buffer]>>;
  close(): Promise<void>;
}

export interface RocksDatabase {
  readonly status: string;
  /** Synchronous point reads (the binding's own sync path, ~3 µs from the memtable); undefined where absent. */
  _getManySync(keys: Buffer[], options: object): Array<Buffer | undefined>;
  /** Synchronous range read: rows alternate key and value, in key order. */
  querySync(options: { gte?: Buffer; gt?: Buffer; lt: Buffer; limit: number; keyEncoding: 'buffer'; valueEncoding: 'buffer' }): { rows: Buffer[] };
  batch(): RocksBatch;
  /** RocksDB pins an implicit snapshot when the iterator is created: it never sees later writes. */
  iterator(options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }): RocksIterator;
  close(): Promise<void>;
}

interface RocksDatabaseInternal extends RocksDatabase {
  open(options: { createIfMissing: boolean }): Promise<void>;
}

interface RocksLevelConstructor {
  new (location: string, options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }): RocksDatabaseInternal;
}

const require = createRequire(import.meta.url);
const { RocksLevel } = require('@nxtedition/rocksdb') as { RocksLevel: RocksLevelConstructor };

/** Opens (creating if missing) the RocksDB database in `directory`. */
export async function openRocksDatabase(directory: string): Promise<RocksDatabase> {
  const database = new RocksLevel(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await database.open({ createIfMissing: true });
  return database;
}

/** Iterates every entry of the database in key order, in batches, without blocking the event loop for long. */
export async function* readAllEntries(database: RocksDatabase, batchSizeEntries = 1000): AsyncGenerator<Array<[Buffer, Buffer]>> {
  const iterator = database.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    while (true) {
      const entries = await iterator.nextv(batchSizeEntries);
      if (entries.length === 0) return;
      yield entries;
    }
  } finally {
    await iterator.close();
  }
}
