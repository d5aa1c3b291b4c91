import type { Value } from '../protocol/index.js';
import type { ColumnTrie, PreviousSlot } from './column-trie.js';
import type { KeyPart } from './types.js';

/** What a write needs to settle its column's overlay once persisted (StateColumn implements it). */
export interface SettlingColumn {
  settle(key: readonly KeyPart[], encodedKey: Buffer, value: Value | null): void;
}

/**
 * One write of a committed transaction: the encoded key, the value (null deletes), and whether the key existed
 * before the write. Values are encoded only when persisted, and only the last write of a key in a persisted window
 * is encoded, so short-lived entries (an element instance that starts and ends between two fsyncs) cost nothing.
 */
export interface StateWrite {
  key: Buffer;
  value: Value | null;
  existedBefore: boolean;
  column: SettlingColumn;
  parts: readonly KeyPart[];
}

/** A committed transaction waiting to be persisted: its log position and its writes in order. */
export interface SealedTransaction {
  position: number;
  writes: readonly StateWrite[];
}

interface UndoEntry {
  trie: ColumnTrie;
  key: readonly KeyPart[];
  previous: PreviousSlot;
}

const NO_WRITES: readonly StateWrite[] = Object.freeze([]);

/**
 * The open transaction (undo log and encoded writes) and the queue of sealed ones. Everything here is synchronous:
 * the engine calls it for every write of every command.
 */
export class Transactions {
  private undoLog: UndoEntry[] = [];
  private writes: StateWrite[] = [];
  /**
   * Sealed, not yet persisted, oldest first. Bounded only by how far persist lags behind processing; the broker reads
   * pendingCount to apply back-pressure long before memory runs out.
   */
  private sealed: SealedTransaction[] = [];
  private lastCommittedPosition: number;

  constructor(persistedPosition: number) {
    this.lastCommittedPosition = persistedPosition;
  }

  get position(): number {
    return this.lastCommittedPosition;
  }

  get pendingCount(): number {
    return this.sealed.length;
  }

  /** Records a write of the open transaction (value null deletes) and how to undo it in the overlay. */
  recordWrite(
    column: SettlingColumn,
    trie: ColumnTrie,
    key: readonly KeyPart[],
    previous: PreviousSlot,
    encodedKey: Buffer,
    value: Value | null,
    existedBefore: boolean,
  ): void {
    this.undoLog.push({ trie, key, previous });
    this.writes.push({ key: encodedKey, value, existedBefore, column, parts: key });
  }

  commit(position: number): void {
    if (!Number.isSafeInteger(position) || position <= this.lastCommittedPosition) {
      throw new RangeError(`Expected to commit a transaction at a position after ${this.lastCommittedPosition}, but got ${position}`);
    }
    this.sealed.push({ position, writes: this.writes.length === 0 ? NO_WRITES : this.writes });
    this.lastCommittedPosition = position;
    this.reset();
  }

  rollback(): void {
    for (let index = this.undoLog.length - 1; index >= 0; index--) {
      const { trie, key, previous } = this.undoLog[index];
      trie.restore(key, previous);
    }
    this.reset();
  }

  /** How many sealed transactions, oldest first, have a position <= upToPosition. */
  countSealedUpTo(upToPosition: number): number {
    let count = 0;
    while (count < this.sealed.length && this.sealed[count].position <= upToPosition) count++;
    return count;
  }

  sealedTransactions(count: number): readonly SealedTransaction[] {
    return this.sealed.slice(0, count);
  }

  /** Forgets the oldest `count` sealed transactions once RocksDB has them. */
  dropSealed(count: number): void {
    this.sealed.splice(0, count);
  }

  private reset(): void {
    if (this.undoLog.length > 0) this.undoLog = [];
    if (this.writes.length > 0) this.writes = [];
  }
}
