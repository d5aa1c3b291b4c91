import type { Value } from '../protocol/index.js';
import type { CleanSlot } from './clean-entries.js';
import type { ColumnTrie, PreviousSlot } from './column-trie.js';
import type { KeyPart } from './types.js';

/** What a write needs from its column once persisted, or when its transaction rolls back (StateColumn implements it). */
export interface SettlingColumn {
  settle(write: StateWrite): void;
  /** The transaction that made a prefix complete in memory rolled back (see StateColumn.loadPrefix). */
  forgetComplete(firstPart: KeyPart): void;
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
  /** A deletion's mark in the overlay (null for a put): the one its settling may remove. */
  mark: Value | null;
  /** The clean slot this write replaced in the overlay: emptied once the write is persisted. */
  replaced: CleanSlot | undefined;
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
  private rollbackNotes: { column: SettlingColumn; firstPart: KeyPart }[] = [];
  private writes: StateWrite[] = [];
  /**
   * Sealed, not yet persisted, oldest first: the persist window (StateStore.persistWhenDue) plus what processing ran
   * ahead of the log's fsync, which back-pressure bounds.
   */
  private sealed: SealedTransaction[] = [];
  /** Writes of the sealed transactions (before coalescing): how much a persist call would have to write. */
  private sealedWriteCountValue = 0;
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

  get sealedWriteCount(): number {
    return this.sealedWriteCountValue;
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
    mark: Value | null = null,
    replaced: CleanSlot | undefined = undefined,
  ): void {
    this.undoLog.push({ trie, key, previous });
    this.writes.push({ key: encodedKey, value, existedBefore, column, parts: key, mark, replaced });
  }

  /** Tells the column, should the open transaction roll back, that the prefix is not complete in memory. */
  onRollback(column: SettlingColumn, firstPart: KeyPart): void {
    this.rollbackNotes.push({ column, firstPart });
  }

  commit(position: number): void {
    if (!Number.isSafeInteger(position) || position <= this.lastCommittedPosition) {
      throw new RangeError(`Expected to commit a transaction at a position after ${this.lastCommittedPosition}, but got ${position}`);
    }
    this.sealed.push({ position, writes: this.writes.length === 0 ? NO_WRITES : this.writes });
    this.sealedWriteCountValue += this.writes.length;
    this.lastCommittedPosition = position;
    this.reset();
  }

  rollback(): void {
    for (let index = this.undoLog.length - 1; index >= 0; index--) {
      const { trie, key, previous } = this.undoLog[index];
      trie.restore(key, previous);
    }
    for (const { column, firstPart } of this.rollbackNotes) column.forgetComplete(firstPart);
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
    for (let index = 0; index < count; index++) this.sealedWriteCountValue -= this.sealed[index].writes.length;
    this.sealed.splice(0, count);
  }

  private reset(): void {
    if (this.undoLog.length > 0) this.undoLog = [];
    if (this.writes.length > 0) this.writes = [];
    if (this.rollbackNotes.length > 0) this.rollbackNotes = [];
  }
}
