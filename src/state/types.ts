import type { Value } from '../protocol/index.js';

/**
 * The state's public contract. Reads are synchronous (served from memory); writes go to memory at once and are
 * collected into one RocksDB write batch per processed command, persisted once the log has made that command's
 * records durable.
 */

/** One part of a composite key. bigint for entity keys, string for names, number for small integers. */
export type KeyPart = string | bigint | number;

/** A column: a named map from composite keys (tuples of parts, fixed length per column) to values. */
export interface ReadonlyColumn<K extends readonly KeyPart[], V extends Value> {
  get(...key: K): V | undefined;
  has(...key: K): boolean;
  /**
   * Visits entries whose key starts with the given prefix (fewer parts than the key), in insertion order in memory
   * (key order after a restart). Returning false from the visitor stops the visit.
   */
  forEachWithPrefix(prefix: KeyPart[], visitor: (value: V, key: K) => boolean | void): void;
  /** How many entries have keys that start with the prefix. */
  countWithPrefix(prefix: KeyPart[]): number;
  /**
   * Visits entries with from <= key < to (compared part by part; shorter tuples sort first): persisted entries in key
   * order, then unpersisted ones. Returning false stops the visit.
   */
  forEachInRange(from: KeyPart[], to: KeyPart[], visitor: (value: V, key: K) => boolean | void): void;
}

export interface Column<K extends readonly KeyPart[], V extends Value> extends ReadonlyColumn<K, V> {
  /** Stores a value. The value must not be mutated afterwards: put a new object to change it. */
  put(key: K, value: V): void;
  delete(...key: K): void;
}

export interface SnapshotMetadata {
  /** The log position the snapshot covers: every record up to and including it is reflected. */
  position: number;
  directory: string;
  sizeBytes: number;
  chunkCount: number;
  createdAtMs: number;
}
