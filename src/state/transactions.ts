import type { Value } from '../protocol/index.js';
import { CleanSlot } from './clean-entries.js';
import type { PreviousSlot } from './column-trie.js';
import type { KeyPart } from './types.js';

/** What a write needs from its column once persisted, or when its transaction rolls back (StateColumn implements it). */
export interface SettlingColumn {
  settle(write: StateWrite): void;
  /** The transaction that made a prefix complete in memory rolled back (see StateColumn.loadPrefix). */
  forgetComplete(firstPart: KeyPart): void;
  /** The key as RocksDB stores it. */
  encodeKey(parts: readonly KeyPart[]): Buffer;
  /** Puts back what the overlay's slot for the key held before a write (a rollback). */
  restoreSlot(parts: readonly KeyPart[], previous: PreviousSlot): void;
}

/** The position of a write whose transaction is still open: no persist window reaches it. */
const UNCOMMITTED = Number.MAX_SAFE_INTEGER;

/**
 * One write (value undefined deletes), and the overlay's slot for its key until a later write or its persisting
 * replaces it: a slot holding a write is the key's unpersisted value (or deletion), so the write itself is the undo
 * entry, the deletion mark and the link to the next write of the key. Values are encoded only when persisted, and
 * only the last write of a key in a persisted window is, so short-lived entries (an element instance that starts and
 * ends between two persists) cost neither a value nor a key encoding.
 */
export class StateWrite {
  /** The position of the transaction that made it, once committed. */
  position = UNCOMMITTED;
  /** The next write of the key: a persist window holding both writes persists only the later (see supersededIn). */
  supersededBy: StateWrite | undefined = undefined;
  /** What the slot held before, while the transaction is open (a rollback puts it back). */
  previous: PreviousSlot = undefined;
  /** Whether RocksDB may hold the key before this write: a deletion of a key it never held needs no write. */
  existedBefore = true;
  /** The clean slot this write replaced in the overlay: emptied once the write is persisted. */
  replaced: CleanSlot | undefined = undefined;
  private encodedKey: Buffer | undefined = undefined;

  constructor(
    readonly column: SettlingColumn,
    readonly parts: readonly KeyPart[],
    readonly value: Value | undefined,
  ) {}

  /** The key as RocksDB stores it, encoded on first use. */
  get key(): Buffer {
    return (this.encodedKey ??= this.column.encodeKey(this.parts));
  }

  /**
   * True when a later write of the key is persisted in the same window (up to upToPosition): this one then needs no
   * write, and hands the later one what RocksDB held before it and the clean slot it replaced.
   */
  supersededIn(upToPosition: number): boolean {
    const next = this.supersededBy;
    if (next === undefined || next.position > upToPosition) return false;
    next.existedBefore = this.existedBefore;
    next.replaced = this.replaced;
    return true;
  }
}

/** A committed transaction waiting to be persisted: its log position and its writes in order. */
export interface SealedTransaction {
  position: number;
  writes: readonly StateWrite[];
}

const NO_WRITES: readonly StateWrite[] = Object.freeze([]);

/**
 * The open transaction (undo log and encoded writes) and the queue of sealed ones. Everything here is synchronous:
 * the engine calls it for every write of every command.
 */
export class Transactions {
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

  /** Records a write of the open transaction, which the overlay holds now in place of previous. */
  recordWrite(write: StateWrite, previous: PreviousSlot): void {
    write.previous = previous;
    if (previous instanceof StateWrite) previous.supersededBy = write;
    else if (previous instanceof CleanSlot) write.replaced = previous;
    this.writes.push(write);
  }

  /** Tells the column, should the open transaction roll back, that the prefix is not complete in memory. */
  onRollback(column: SettlingColumn, firstPart: KeyPart): void {
    this.rollbackNotes.push({ column, firstPart });
  }

  commit(position: number): void {
    if (!Number.isSafeInteger(position) || position <= this.lastCommittedPosition) {
      throw new RangeError(`Expected to commit a transaction at a position after ${this.lastCommittedPosition}, but got ${position}`);
    }
    for (const write of this.writes) {
      write.position = position;
      // The undo is done with: a slot's history must not stay reachable through the writes that followed.
      write.previous = undefined;
    }
    this.sealed.push({ position, writes: this.writes.length === 0 ? NO_WRITES : this.writes });
    this.sealedWriteCountValue += this.writes.length;
    this.lastCommittedPosition = position;
    this.reset();
  }

  rollback(): void {
    for (let index = this.writes.length - 1; index >= 0; index--) {
      const { column, parts, previous } = this.writes[index];
      column.restoreSlot(parts, previous);
      if (previous instanceof StateWrite) previous.supersededBy = undefined;
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
    if (this.writes.length > 0) this.writes = [];
    if (this.rollbackNotes.length > 0) this.rollbackNotes = [];
  }
}
