import type { Value } from '../protocol/index.js';

/** Marks a key known to be absent from RocksDB, so repeated misses do not go to disk. */
export const ABSENT: unique symbol = Symbol('absent');

type Cached = Value | typeof ABSENT;

/**
 * A bounded cache of values read from (or persisted to) RocksDB, by encoded key, in two generations: new entries go
 * to the young one; when it is full it becomes the old one and the previous old one is dropped whole; a hit in the
 * old generation moves the entry back to the young one. This approximates LRU without deleting single entries from
 * large Maps, which V8 makes slow to iterate. It holds only values RocksDB has: unpersisted writes live in overlays.
 */
export class ValueCache {
  private young = new Map<string, Cached>();
  private old = new Map<string, Cached>();
  private readonly generationEntriesMax: number;

  constructor(readonly entriesMax: number) {
    this.generationEntriesMax = Math.max(1, Math.floor(entriesMax / 2));
  }

  get(id: string): Cached | undefined {
    const young = this.young.get(id);
    if (young !== undefined) return young;
    const old = this.old.get(id);
    if (old !== undefined) this.set(id, old);
    return old;
  }

  set(id: string, value: Cached): void {
    this.young.set(id, value);
    if (this.young.size >= this.generationEntriesMax) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(id: string): void {
    this.young.delete(id);
    this.old.delete(id);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
