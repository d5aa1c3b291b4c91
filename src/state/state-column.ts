import { decodeValue, type Value } from '../protocol/index.js';
import type { ColumnTrie } from './column-trie.js';
import { decodeKeyParts, encodeKey } from './key-codec.js';
import type { RocksDatabase } from './rocksdb.js';
import type { Transactions } from './transactions.js';
import type { Column, KeyPart } from './types.js';
import { ABSENT, type ValueCache } from './value-cache.js';

/** The overlay's mark for a key deleted but not yet persisted. */
export const DELETED: Value = Object.freeze({ deleted: true }) as unknown as Value;

/** Entries read from RocksDB per page of a prefix visit: a visit that stops early reads little. */
const PREFIX_PAGE_ENTRIES = 64;
/** Bound on the first key parts remembered as absent from RocksDB; the memory is cleared when it is reached. */
const EMPTY_FIRST_PARTS_MAX = 100_000;

/**
 * A column in three tiers: the overlay (a trie of writes not yet in RocksDB, including the open transaction's),
 * a bounded cache of persisted values, and RocksDB itself, read synchronously. Memory so holds the recent working
 * set, not the whole state, and a restart opens RocksDB without loading it.
 *
 * Keys are encoded right away; values are encoded when persisted, so callers must treat a value they put as
 * immutable (put a new object to change it). Prefix visits see persisted entries in key order, then unpersisted
 * ones in the order they were written.
 */
export class StateColumn<K extends readonly KeyPart[], V extends Value> implements Column<K, V> {
  /**
   * First key parts known to have no entry in RocksDB (a visit found none, and none was persisted since). Most
   * reads of a fresh entity (the variables of a new scope, the children of a new element instance) then skip RocksDB.
   */
  private readonly emptyFirstParts = new Set<KeyPart>();
  /**
   * Where a visit of a first-part prefix may start in RocksDB: below it lie only entries already deleted (in the
   * overlay or in RocksDB). Queue-like prefixes (activatable jobs of a type) are consumed from their low end, and
   * without this every visit would wade through the tombstones of everything consumed before.
   */
  private readonly scanStarts = new Map<KeyPart, Buffer>();

  constructor(
    readonly name: string,
    private readonly overlay: ColumnTrie,
    private readonly keyPrefix: Buffer,
    private readonly transactions: Transactions,
    private readonly database: RocksDatabase,
    private readonly cache: ValueCache,
  ) {}

  get keyLength(): number {
    return this.overlay.keyLength;
  }

  get(...key: K): V | undefined {
    this.checkKeyLength(key);
    return this.read(key) as V | undefined;
  }

  has(...key: K): boolean {
    this.checkKeyLength(key);
    return this.read(key) !== undefined;
  }

  put(key: K, value: V): void {
    this.checkKeyLength(key);
    if (value === undefined) throw new TypeError(`Expected a value to put into column '${this.name}', but got undefined (use delete)`);
    // Encoding the key first: a key part RocksDB cannot order throws before anything changes.
    const encodedKey = encodeKey(this.keyPrefix, key);
    const keyCopy = key.slice();
    const previous = this.overlay.set(keyCopy, value);
    // Whether RocksDB has the key matters only when the window ends with a delete; rather than a read on every put,
    // an unknown key counts as existing (a delete of an absent key costs little). A key the overlay marks deleted
    // was known to exist.
    const existedBefore = previous !== undefined;
    this.transactions.recordWrite(this, this.overlay, keyCopy, previous, encodedKey, value, existedBefore || !this.knownAbsent(encodedKey));
  }

  delete(...key: K): void {
    this.checkKeyLength(key);
    const encodedKey = encodeKey(this.keyPrefix, key);
    if (this.read(key, encodedKey) === undefined) return;
    const keyCopy = key.slice();
    const previous = this.overlay.set(keyCopy, DELETED);
    this.transactions.recordWrite(this, this.overlay, keyCopy, previous, encodedKey, null, true);
  }

  forEachWithPrefix(prefix: KeyPart[], visitor: (value: V, key: K) => boolean | void): void {
    this.checkPrefixLength(prefix);
    this.visit(prefix, visitor as unknown as (value: Value, key: KeyPart[]) => boolean | void);
  }

  forEachInRange(from: KeyPart[], to: KeyPart[], visitor: (value: V, key: K) => boolean | void): void {
    const visit = visitor as unknown as (value: Value, key: KeyPart[]) => boolean | void;
    if (this.visitPersisted(encodeKey(this.keyPrefix, from), encodeKey(this.keyPrefix, to), visit) === false) return;
    // The overlay holds only unpersisted writes: few enough to filter part by part.
    this.overlay.forEachWithPrefix([], (value, key) => {
      if (value === DELETED || compareKeys(key, from) < 0 || compareKeys(key, to) >= 0) return true;
      return visit(value, key);
    });
  }

  countWithPrefix(prefix: KeyPart[]): number {
    this.checkPrefixLength(prefix);
    let count = 0;
    this.visit(prefix, () => {
      count++;
    });
    return count;
  }

  /** After a persist: the overlay entry goes (unless written again since) and the cache keeps the value. */
  settle(key: readonly KeyPart[], encodedKey: Buffer, value: Value | null): void {
    if (value !== null) {
      this.emptyFirstParts.delete(key[0]);
      const start = this.scanStarts.get(key[0]);
      if (start !== undefined && encodedKey.compare(start) < 0) this.scanStarts.set(key[0], encodedKey);
    }
    const inOverlay = this.overlay.get(key);
    if (inOverlay !== (value ?? DELETED)) return;
    this.overlay.restore(key, undefined);
    this.cache.set(encodedKey.toString('latin1'), value ?? ABSENT);
  }

  /** True when the cache knows RocksDB lacks the key (no disk read). */
  private knownAbsent(encodedKey: Buffer): boolean {
    return this.cache.get(encodedKey.toString('latin1')) === ABSENT;
  }

  private read(key: readonly KeyPart[], encodedKey?: Buffer): Value | undefined {
    const pending = this.overlay.get(key);
    if (pending !== undefined) return pending === DELETED ? undefined : pending;
    if (key.length > 1 && this.emptyFirstParts.has(key[0])) return undefined;
    const encoded = encodedKey ?? encodeKey(this.keyPrefix, key);
    const id = encoded.toString('latin1');
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached === ABSENT ? undefined : cached;
    const stored = this.database._getManySync([encoded], {})[0];
    const value = stored === undefined ? undefined : decodeValue(stored);
    this.cache.set(id, value ?? ABSENT);
    return value;
  }

  private visit(prefix: readonly KeyPart[], visitor: (value: Value, key: KeyPart[]) => boolean | void): void {
    const firstPartOnly = prefix.length === 1 && this.overlay.keyLength > 1;
    if (!(firstPartOnly && this.emptyFirstParts.has(prefix[0]))) {
      const lower = encodeKey(this.keyPrefix, prefix);
      const upper = upperBound(lower);
      const start = firstPartOnly ? this.scanStarts.get(prefix[0]) : undefined;
      const live = { first: undefined as Buffer | undefined };
      const visited = this.visitPersisted(start ?? lower, upper, visitor, live);
      if (firstPartOnly) this.rememberScanStart(prefix[0], live.first ?? (visited === false ? undefined : upper));
      if (visited === false) return;
      if (visited === 0 && firstPartOnly && start === undefined) this.rememberEmpty(prefix[0]);
    }
    this.overlay.forEachWithPrefix(prefix, (value, key) => (value === DELETED ? true : visitor(value, key)));
  }

  /** After a rollback an entry deleted in the overlay may live again: forget every scan start. */
  forgetScanStarts(): void {
    this.scanStarts.clear();
  }

  private rememberScanStart(firstPart: KeyPart, start: Buffer | undefined): void {
    if (start === undefined) return;
    if (this.scanStarts.size >= EMPTY_FIRST_PARTS_MAX) this.scanStarts.clear();
    this.scanStarts.set(firstPart, start);
  }

  private rememberEmpty(firstPart: KeyPart): void {
    if (this.emptyFirstParts.size >= EMPTY_FIRST_PARTS_MAX) this.emptyFirstParts.clear();
    this.emptyFirstParts.add(firstPart);
  }

  /**
   * Visits persisted entries in [lower, upper) in key order, skipping those the overlay shadows (their newer value,
   * if any, is visited with the overlay). Reads RocksDB a page at a time. Returns false when the visitor stopped,
   * else how many persisted entries the range held (0: none).
   */
  private visitPersisted(
    lower: Buffer,
    upper: Buffer,
    visitor: (value: Value, key: KeyPart[]) => boolean | void,
    live: { first: Buffer | undefined } = { first: undefined },
  ): false | number {
    let after: Buffer | undefined;
    let found = 0;
    while (true) {
      const range = after ? { gt: after } : { gte: lower };
      const { rows } = this.database.querySync({ ...range, lt: upper, limit: PREFIX_PAGE_ENTRIES, keyEncoding: 'buffer', valueEncoding: 'buffer' });
      found += rows.length / 2;
      for (let index = 0; index < rows.length; index += 2) {
        const key = decodeKeyParts(rows[index], this.keyPrefix.length);
        const pending = this.overlay.get(key);
        // An entry deleted in the overlay is dead; any other is live (visited here, or with the overlay).
        if (pending !== DELETED && live.first === undefined) live.first = rows[index];
        if (pending !== undefined) continue;
        if (visitor(decodeValue(rows[index + 1]), key) === false) return false;
      }
      if (rows.length < PREFIX_PAGE_ENTRIES * 2) return found;
      after = rows[rows.length - 2];
    }
  }

  private checkKeyLength(key: readonly KeyPart[]): void {
    if (key.length !== this.overlay.keyLength) {
      throw new TypeError(`Column '${this.name}' has keys of ${this.overlay.keyLength} parts, but got ${key.length}`);
    }
  }

  private checkPrefixLength(prefix: readonly KeyPart[]): void {
    if (prefix.length > this.overlay.keyLength) {
      throw new TypeError(`Column '${this.name}' has keys of ${this.overlay.keyLength} parts, but the prefix has ${prefix.length}`);
    }
  }
}

/** The smallest byte string above every string that starts with `prefix`. */
function upperBound(prefix: Buffer): Buffer {
  const bound = Buffer.from(prefix);
  for (let index = bound.length - 1; index >= 0; index--) {
    if (bound[index] < 0xff) {
      bound[index]++;
      return bound.subarray(0, index + 1);
    }
  }
  return Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

const PART_TYPE_ORDER = { bigint: 0, number: 1, string: 2 } as const;

/** Compares key tuples in the order their encodings sort in RocksDB (see key-codec.ts). */
export function compareKeys(a: readonly KeyPart[], b: readonly KeyPart[]): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a[index];
    const right = b[index];
    if (left === right) continue;
    const leftType = PART_TYPE_ORDER[typeof left as 'bigint' | 'number' | 'string'];
    const rightType = PART_TYPE_ORDER[typeof right as 'bigint' | 'number' | 'string'];
    if (leftType !== rightType) return leftType - rightType;
    if (typeof left === 'string') return compareCodePoints(left, right as string);
    return (left as number | bigint) < (right as number | bigint) ? -1 : 1;
  }
  return a.length - b.length;
}

function compareCodePoints(left: string, right: string): number {
  const leftPoints = [...left];
  const rightPoints = [...right];
  for (let index = 0; index < Math.min(leftPoints.length, rightPoints.length); index++) {
    const difference = leftPoints[index].codePointAt(0)! - rightPoints[index].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return leftPoints.length - rightPoints.length;
}
