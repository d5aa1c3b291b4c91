import { ByteWriter, encodeValue, writeValue, type Value } from '../protocol/index.js';
import { ColumnTrie } from './column-trie.js';
import { StateError } from './errors.js';
import { FORMAT_VERSION_KEY, POSITION_KEY, STATE_FORMAT_VERSION } from './format.js';
import { encodeColumnPrefix } from './key-codec.js';
import { openMeta } from './open-meta.js';
import { openRocksDatabase, type RocksDatabase } from './rocksdb.js';
import { CHUNK_SIZE_BYTES_MAX_DEFAULT, SNAPSHOT_BUSY_FRACTION_DEFAULT, writeSnapshot, type SnapshotTarget } from './snapshot-writer.js';
import { StateColumn } from './state-column.js';
import { Transactions, type SealedTransaction, type StateWrite } from './transactions.js';
import { ValueCache } from './value-cache.js';
import { CleanEntries } from './clean-entries.js';
import type { Column, KeyPart, SnapshotMetadata } from './types.js';

export interface StateStoreOptions {
  directory: string;
  /** Bound on persisted values kept in memory (the unpersisted overlay comes on top). */
  cacheEntriesMax?: number;
  /** Writes committed transactions gather before persistWhenDue persists them (default PERSIST_WRITES_MIN_DEFAULT). */
  persistWritesMin?: number;
  /** The wall clock for snapshot timestamps; a simulation passes its own. */
  nowMs?: () => number;
}

export interface TakeSnapshotOptions {
  chunkSizeBytesMax?: number;
  /**
   * Persist committed transactions up to this position first (default: all of them). A leader that processes
   * ahead of its log's fsync passes the durable position, so the snapshot never covers records the log could lose.
   */
  persistUpTo?: number;
  /** The most of its thread's time the copy takes (default SNAPSHOT_BUSY_FRACTION_DEFAULT; 1: as fast as it can). */
  busyFractionMax?: number;
}

/**
 * A partition's state: columns of key/value entries in RocksDB, read synchronously through each column's overlay of
 * unpersisted writes and a bounded cache (see StateColumn), persisted one batch per persist call. Opening reads only
 * the meta entries, so a restart does not depend on the size of the state.
 *
 * Durability: batches are written without fsync. The log is the source of truth, and every batch carries the
 * position it covers, so after a power loss RocksDB recovers to some earlier, consistent position and the log
 * replays the rest. (The binding applies a batch synchronously on the calling thread; an fsync there would stall
 * the engine.)
 */
/**
 * Persisted entries kept in memory by default (about 50 MB of typical engine values): the working set of about ten
 * thousand active instances stays in memory, colder ones are read back from RocksDB (a synchronous read, ~10 µs).
 * The bound is also how long a deleted entry stays referenced (it leaves the eviction queue only at its turn), and
 * all of that ends up in the old generation: at 1,000 instances/s, 400,000 entries kept 120 MB alive on the
 * partition's thread and made each major garbage collection mark it (20,000: 26 MB).
 */
export const CACHE_ENTRIES_MAX_DEFAULT = 100_000;

/**
 * Writes gathered before the broker persists them (persistWhenDue). Persisting after every fsync (at 1,700
 * instances/s one batch of ~150 writes every ~2 ms) took a quarter of the partition thread's time: a RocksDB batch has
 * a fixed cost, and an element instance that starts and ends a few fsyncs apart was written and then deleted. With
 * 8,192 writes a window spans about 100 ms at that rate, most instances' entries never reach RocksDB, and one batch
 * blocks the thread for about 4 ms. A crash replays at most that many writes' worth of log.
 */
export const PERSIST_WRITES_MIN_DEFAULT = 8192;

/** State kept outside columns while a transaction runs, and written to its column when it commits. */
export interface TransactionListener {
  /** Writes what changed in the open transaction (to columns of the same store). */
  beforeCommit(): void;
  /** Forgets what changed in the transaction that was rolled back. */
  afterRollback(): void;
}

export class StateStore {
  private readonly columns = new Map<string, StateColumn<readonly KeyPart[], Value>>();
  private readonly transactionListeners: TransactionListener[] = [];
  private readonly transactions: Transactions;
  private persistedPositionValue: number;
  /** Persist calls run one after another, in call order; this is the tail of that chain. */
  private persistChain: Promise<void> = Promise.resolve();
  private readonly snapshotsInFlight = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    readonly directory: string,
    private readonly database: RocksDatabase,
    persistedPosition: number,
    private readonly nowMs: () => number,
    private readonly cache: ValueCache,
    private readonly cleanEntries: CleanEntries,
    private readonly persistWritesMin: number,
  ) {
    this.persistedPositionValue = persistedPosition;
    this.transactions = new Transactions(persistedPosition);
  }

  static async open(options: StateStoreOptions): Promise<StateStore> {
    const persistWritesMin = options.persistWritesMin ?? PERSIST_WRITES_MIN_DEFAULT;
    if (!Number.isSafeInteger(persistWritesMin) || persistWritesMin < 0) {
      throw new TypeError(`Expected persistWritesMin to be a whole number >= 0, but got ${persistWritesMin}`);
    }
    const database = await openRocksDatabase(options.directory);
    try {
      const meta = openMeta(database, options.directory);
      if (meta.isNew) await writeInitialMeta(database);
      const entriesMax = options.cacheEntriesMax ?? CACHE_ENTRIES_MAX_DEFAULT;
      const cache = new ValueCache(entriesMax);
      return new StateStore(options.directory, database, meta.persistedPosition, options.nowMs ?? Date.now, cache, new CleanEntries(entriesMax), persistWritesMin);
    } catch (error) {
      await database.close();
      throw error;
    }
  }

  /** Declares a column; declaring it again with the same key length returns the same column. */
  column<K extends readonly KeyPart[], V extends Value>(name: string, keyLength: number): Column<K, V> {
    if (!Number.isSafeInteger(keyLength) || keyLength < 1) throw new TypeError(`Column '${name}' needs a key of at least one part, but got keyLength ${keyLength}`);
    const existing = this.columns.get(name);
    if (existing !== undefined) {
      this.checkKeyLength(name, existing.keyLength, keyLength);
      return existing as unknown as Column<K, V>;
    }
    const overlay = new ColumnTrie(keyLength);
    const column = new StateColumn<K, V>(name, overlay, encodeColumnPrefix(name), this.transactions, this.database, this.cache, this.cleanEntries);
    this.columns.set(name, column as unknown as StateColumn<readonly KeyPart[], Value>);
    return column;
  }

  get position(): number {
    return this.transactions.position;
  }

  get persistedPosition(): number {
    return this.persistedPositionValue;
  }

  /** Committed transactions not yet in RocksDB: what a crash would make the log replay. */
  get pendingTransactionCount(): number {
    return this.transactions.pendingCount;
  }

  /**
   * Lets state that changes many times in a transaction (the key counter, the processed position) be written once,
   * just before the transaction commits: one write instead of one per change.
   */
  addTransactionListener(listener: TransactionListener): void {
    this.transactionListeners.push(listener);
  }

  commitTransaction(position: number): void {
    for (const listener of this.transactionListeners) listener.beforeCommit();
    this.transactions.commit(position);
  }

  rollbackTransaction(): void {
    this.transactions.rollback();
    for (const column of this.columns.values()) column.forgetScanStarts();
    for (const listener of this.transactionListeners) listener.afterRollback();
  }

  persist(upToPosition: number): Promise<void> {
    if (this.closed) return Promise.reject(closedError(this.directory));
    const run = this.persistChain.then(() => this.writeSealed(upToPosition));
    // A failed batch leaves its transactions queued for the next call; the chain itself goes on.
    this.persistChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Persists like persist, but only once the committed transactions hold persistWritesMin writes, so RocksDB gets
   * few large batches in which short-lived entries cancel out (see PERSIST_WRITES_MIN_DEFAULT). What waits stays in
   * the overlay, readable as before; snapshots and close persist everything.
   */
  persistWhenDue(upToPosition: number): Promise<void> {
    if (this.transactions.sealedWriteCount < this.persistWritesMin) return Promise.resolve();
    return this.persist(upToPosition);
  }

  /**
   * Persists every committed transaction, then copies RocksDB into a snapshot. The caller must only call it when the
   * log holds every committed transaction durably (as for persist): the snapshot may cover all of them.
   * `directory` may be a function of the position the snapshot turns out to cover.
   */
  async takeSnapshot(directory: SnapshotTarget, options: TakeSnapshotOptions = {}): Promise<SnapshotMetadata> {
    if (this.closed) throw closedError(this.directory);
    const snapshot = this.persist(options.persistUpTo ?? this.position).then(() =>
      writeSnapshot(this.database, directory, {
        chunkSizeBytesMax: options.chunkSizeBytesMax ?? CHUNK_SIZE_BYTES_MAX_DEFAULT,
        nowMs: this.nowMs,
        isAborted: () => this.closed,
        busyFractionMax: options.busyFractionMax ?? SNAPSHOT_BUSY_FRACTION_DEFAULT,
      }),
    );
    this.snapshotsInFlight.add(snapshot);
    try {
      return await snapshot;
    } finally {
      this.snapshotsInFlight.delete(snapshot);
    }
  }

  /**
   * Waits for persists under way, drops a snapshot under way (at its next batch of entries), then closes RocksDB.
   * Committed but unpersisted transactions are dropped.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.persistChain;
    await Promise.allSettled([...this.snapshotsInFlight]);
    await this.database.close();
  }

  private async writeSealed(upToPosition: number): Promise<void> {
    const count = this.transactions.countSealedUpTo(upToPosition);
    if (count === 0) return;
    const sealed = this.transactions.sealedTransactions(count);
    const batch = this.database.batch();
    const position = sealed[count - 1].position;
    const writes = coalesceWrites(sealed, position);
    for (const write of writes) {
      if (write.value !== undefined) batch.put(write.key, encodeValueCopy(write.value));
      else if (write.existedBefore) batch.del(write.key);
    }
    batch.put(POSITION_KEY, encodeValue(position));
    await batch.write();
    for (const write of writes) write.column.settle(write);
    this.cleanEntries.evictOverflow();
    this.transactions.dropSealed(count);
    this.persistedPositionValue = position;
  }

  private checkKeyLength(name: string, storedKeyLength: number, declaredKeyLength: number): void {
    if (storedKeyLength === declaredKeyLength) return;
    throw new StateError('COLUMN_MISMATCH', `Column '${name}' holds keys of ${storedKeyLength} parts, but is declared with ${declaredKeyLength}`, {
      directory: this.directory,
      column: name,
    });
  }
}

async function writeInitialMeta(database: RocksDatabase): Promise<void> {
  const batch = database.batch();
  batch.put(FORMAT_VERSION_KEY, encodeValue(STATE_FORMAT_VERSION));
  batch.put(POSITION_KEY, encodeValue(0));
  await batch.write({ sync: true });
}

function closedError(directory: string): StateError {
  return new StateError('STATE_CLOSED', `Expected the state in ${directory} to be open, but it was closed`, { directory });
}

/**
 * The net effect of a window of transactions, one write per key: the last value, whether the key existed before
 * the window, and the clean slot the window replaced. A key created and deleted inside the window needs no write at
 * all. Each write knows the next write of its key (StateWrite.supersededBy), so this takes no lookup per write.
 */
function coalesceWrites(sealed: readonly SealedTransaction[], upToPosition: number): StateWrite[] {
  const lastWrites: StateWrite[] = [];
  for (const { writes } of sealed) {
    for (const write of writes) if (!write.supersededIn(upToPosition)) lastWrites.push(write);
  }
  return lastWrites;
}

/** One writer reused for every value: encoding is on the hot path, and the result is copied out at once. */
const valueWriter = new ByteWriter(4096);

function encodeValueCopy(value: Value): Buffer {
  valueWriter.offset = 0;
  writeValue(valueWriter, value);
  return valueWriter.toBuffer();
}
