import type { Value } from '../protocol/index.js';
import type { CleanEntryTracker, StateColumn } from './state-column.js';
import type { KeyPart } from './types.js';

/**
 * A persisted value kept in memory: the overlay's leaf for the key, and an entry of CleanEntries. When a later write
 * of the key is persisted the slot is emptied, so the replaced value is not held until the slot is evicted: values
 * of finished instances would otherwise live for 100,000 writes, all of them promoted to V8's old generation.
 */
export class CleanSlot {
  constructor(
    public column: StateColumn<readonly KeyPart[], Value> | undefined,
    public key: readonly KeyPart[] | undefined,
    public value: Value | undefined,
  ) {}

  empty(): void {
    this.column = undefined;
    this.key = undefined;
    this.value = undefined;
  }
}

/**
 * The persisted entries kept in memory, oldest first, across every column of a store. Past the bound the oldest
 * are evicted (they stay in RocksDB). A slot emptied since (its key written again) only leaves the queue.
 */
export class CleanEntries implements CleanEntryTracker {
  private entries: CleanSlot[] = [];
  private head = 0;

  constructor(private readonly entriesMax: number) {}

  add(column: StateColumn<readonly KeyPart[], Value>, key: readonly KeyPart[], value: Value): CleanSlot {
    const slot = new CleanSlot(column, key, value);
    this.entries.push(slot);
    return slot;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Evicts the oldest entries until the bound holds again. */
  evictOverflow(): void {
    if (this.size <= this.entriesMax) return;
    while (this.size > this.entriesMax) {
      const slot = this.entries[this.head];
      this.entries[this.head++] = undefined as unknown as CleanSlot;
      slot.column?.evictClean(slot);
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
