import type { Value } from '../protocol/index.js';
import { TOMBSTONE, type ColumnTrie } from './column-trie.js';
import { encodeKey } from './key-codec.js';
import type { Transactions } from './transactions.js';
import type { Column, KeyPart } from './types.js';

/**
 * A column bound to its in-memory trie and to the store's transactions. Reads come from memory; a write changes
 * memory at once (so the same transaction reads it), records how to undo it, and encodes the key right away; the
 * value is encoded when persisted, so callers must treat values they put as immutable (put a new object instead).
 *
 * An entry put during a forEachWithPrefix visit under the visited prefix may be visited too (Map iteration order).
 */
export class StateColumn<K extends readonly KeyPart[], V extends Value> implements Column<K, V> {
  constructor(
    readonly name: string,
    private readonly trie: ColumnTrie,
    private readonly keyPrefix: Buffer,
    private readonly transactions: Transactions,
  ) {}

  get keyLength(): number {
    return this.trie.keyLength;
  }

  get(...key: K): V | undefined {
    this.checkKeyLength(key);
    return this.trie.get(key) as V | undefined;
  }

  has(...key: K): boolean {
    this.checkKeyLength(key);
    return this.trie.get(key) !== undefined;
  }

  forEachWithPrefix(prefix: KeyPart[], visitor: (value: V, key: K) => boolean | void): void {
    this.checkPrefixLength(prefix);
    this.trie.forEachWithPrefix(prefix, visitor as unknown as (value: Value, key: KeyPart[]) => boolean | void);
  }

  countWithPrefix(prefix: KeyPart[]): number {
    this.checkPrefixLength(prefix);
    return this.trie.countWithPrefix(prefix);
  }

  put(key: K, value: V): void {
    this.checkKeyLength(key);
    if (value === undefined) throw new TypeError(`Expected a value to put into column '${this.name}', but got undefined (use delete)`);
    // Encoding the key first: a key part RocksDB cannot order throws before memory changes. The value is encoded
    // when persisted (the contract: a value put is never mutated afterwards).
    const encodedKey = encodeKey(this.keyPrefix, key);
    // A copy of the key, because rollback walks it again and the caller may reuse its array.
    const keyCopy = key.slice();
    const previous = this.trie.set(keyCopy, value);
    this.transactions.recordPut(this.trie, keyCopy, previous, encodedKey, value);
  }

  delete(...key: K): void {
    this.checkKeyLength(key);
    const previous = this.trie.remove(key);
    // Nothing to undo or persist when the key was absent: memory holds every entry RocksDB will have.
    if (previous === undefined || previous === TOMBSTONE) return;
    // A stored key was encodable when it was put, so encoding after the change cannot fail half-way.
    this.transactions.recordDelete(this.trie, key, previous, encodeKey(this.keyPrefix, key));
  }

  private checkKeyLength(key: readonly KeyPart[]): void {
    if (key.length !== this.trie.keyLength) {
      throw new TypeError(`Column '${this.name}' has keys of ${this.trie.keyLength} parts, but got ${key.length}`);
    }
  }

  private checkPrefixLength(prefix: readonly KeyPart[]): void {
    if (prefix.length > this.trie.keyLength) {
      throw new TypeError(`Column '${this.name}' has keys of ${this.trie.keyLength} parts, but got a prefix of ${prefix.length}`);
    }
  }
}
