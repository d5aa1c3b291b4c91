import type { Value } from '../protocol/index.js';
import type { CleanEntryTracker, StateColumn } from './state-column.js';
import type { KeyPart } from './types.js';

interface CleanEntry {
  column: StateColumn<readonly KeyPart[], Value>;
  key: readonly KeyPart[];
  value: Value;
}

/**
 * The persisted entries kept in memory, oldest first, across every column of a store. Past the bound the oldest
 * are evicted (they stay in RocksDB). An entry written again since it was counted is skipped at eviction: its
 * newer value has an entry of its own.
 */
export class CleanEntries implements CleanEntryTracker {
  private entries: CleanEntry[] = [];
  private head = 0;

  constructor(private readonly entriesMax: number) {}

  add(column: StateColumn<readonly KeyPart[], Value>, key: readonly KeyPart[], value: Value): void {
    this.entries.push({ column, key, value });
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Evicts the oldest entries until the bound holds again. */
  evictOverflow(): void {
    if (this.size <= this.entriesMax) return;
    while (this.size > this.entriesMax) {
      const entry = this.entries[this.head];
      this.entries[this.head++] = undefined as unknown as CleanEntry;
      entry.column.evictClean(entry.key, entry.value);
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
