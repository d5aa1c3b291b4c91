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
    if (!this.visitPersisted(encodeKey(this.keyPrefix, from), encodeKey(this.keyPrefix, to), visit)) return;
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
    const lower = encodeKey(this.keyPrefix, prefix);
    if (!this.visitPersisted(lower, upperBound(lower), visitor)) return;
    this.overlay.forEachWithPrefix(prefix, (value, key) => (value === DELETED ? true : visitor(value, key)));
  }

  /**
   * Visits persisted entries in [lower, upper) in key order, skipping those the overlay shadows (their newer value,
   * if any, is visited with the overlay); false when the visitor stopped. Reads RocksDB a page at a time.
   */
  private visitPersisted(lower: Buffer, upper: Buffer, visitor: (value: Value, key: KeyPart[]) => boolean | void): boolean {
    let after: Buffer | undefined;
    while (true) {
      const range = after ? { gt: after } : { gte: lower };
      const { rows } = this.database.querySync({ ...range, lt: upper, limit: PREFIX_PAGE_ENTRIES, keyEncoding: 'buffer', valueEncoding: 'buffer' });
      for (let index = 0; index < rows.length; index += 2) {
        const key = decodeKeyParts(rows[index], this.keyPrefix.length);
        if (this.overlay.get(key) !== undefined) continue;
        if (visitor(decodeValue(rows[index + 1]), key) === false) return false;
      }
      if (rows.length < PREFIX_PAGE_ENTRIES * 2) return true;
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
