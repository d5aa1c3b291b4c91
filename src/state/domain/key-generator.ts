import { encodeKey } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

/**
 * Generates this partition's keys. Like Zeebe's, it is the one piece of state a processor writes directly (a key
 * is needed before the event that carries it exists); replay restores it from the keys of replayed records.
 */
export class KeyGenerator {
  private readonly column: Column<[string], bigint>;
  private nextLocalKey: bigint;

  constructor(
    store: StateStore,
    private readonly partitionId: number,
  ) {
    this.column = store.column<[string], bigint>('key-generator', 1);
    this.nextLocalKey = this.column.get('next') ?? 1n;
  }

  /** Re-reads the counter from state after a rolled back transaction. */
  reload(): void {
    this.nextLocalKey = this.column.get('next') ?? 1n;
  }

  nextKey(): bigint {
    const key = encodeKey(this.partitionId, this.nextLocalKey);
    this.nextLocalKey += 1n;
    this.column.put(['next'], this.nextLocalKey);
    return key;
  }

  /** Replay: makes sure keys already used by replayed records are never handed out again. */
  setKeyIfHigher(key: bigint): void {
    if (key < 0n || key >> 51n !== BigInt(this.partitionId)) return;
    const local = key & ((1n << 51n) - 1n);
    if (local >= this.nextLocalKey) {
      this.nextLocalKey = local + 1n;
      this.column.put(['next'], this.nextLocalKey);
    }
  }
}
