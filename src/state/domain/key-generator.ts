import { encodeKey } from '../../protocol/index.js';
import type { StateStore, TransactionListener } from '../index.js';
import type { Column } from '../types.js';

/**
 * Generates this partition's keys. Like Zeebe's, it is the one piece of state a processor writes directly (a key
 * is needed before the event that carries it exists); replay restores it from the keys of replayed records.
 * The counter is written once per transaction, as it commits (a command makes several keys); a rollback reads the
 * committed counter back.
 */
export class KeyGenerator implements TransactionListener {
  private readonly column: Column<[string], bigint>;
  private nextLocalKey: bigint;
  /** Whether nextLocalKey moved in the open transaction. */
  private moved = false;

  constructor(
    store: StateStore,
    private readonly partitionId: number,
  ) {
    this.column = store.column<[string], bigint>('key-generator', 1);
    this.nextLocalKey = this.column.get('next') ?? 1n;
    store.addTransactionListener(this);
  }

  beforeCommit(): void {
    if (!this.moved) return;
    this.column.put(['next'], this.nextLocalKey);
    this.moved = false;
  }

  afterRollback(): void {
    this.nextLocalKey = this.column.get('next') ?? 1n;
    this.moved = false;
  }

  nextKey(): bigint {
    const key = encodeKey(this.partitionId, this.nextLocalKey);
    this.nextLocalKey += 1n;
    this.moved = true;
    return key;
  }

  /** Replay: makes sure keys already used by replayed records are never handed out again. */
  setKeyIfHigher(key: bigint): void {
    if (key < 0n || key >> 51n !== BigInt(this.partitionId)) return;
    const local = key & ((1n << 51n) - 1n);
    if (local >= this.nextLocalKey) {
      this.nextLocalKey = local + 1n;
      this.moved = true;
    }
  }
}
