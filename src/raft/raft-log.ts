import type { RaftEntry, RaftLogStorage, SnapshotMetadata } from './log-storage.js';
import { assertInvariant } from './raft-invariant.js';

/** The log writes of one Ready, in the order the caller applies them. */
export interface LogWrites {
  /** Remove every entry after this index first (undefined: remove nothing). */
  truncateAfterIndex: number | undefined;
  /** Then append these, consecutive from the end of the log. */
  entriesToAppend: RaftEntry[];
}

/**
 * Raft's view of the log: what the storage holds, overlaid with the writes decided since the last Ready (the caller
 * applies them to the storage when it drains that Ready), with the commit, apply and durability positions.
 *
 * While a received snapshot is being installed the view is the snapshot alone, whatever the storage still holds:
 * the caller replaces the log only once the snapshot is durable.
 */
export class RaftLog {
  snapshotIndex: number;
  snapshotTerm: number;
  commitIndex: number;
  /** The last entry handed out for applying. */
  appliedIndex: number;
  /** Every entry up to here is durable, as the log holds it now. */
  durableIndex: number;
  private pendingTruncateAfterIndex: number | undefined;
  private pendingEntries: RaftEntry[] = [];
  private installing: SnapshotMetadata | undefined;
  /** The storage's last index once the last Ready's writes were applied; checked before every input. */
  private expectedStorageLastIndex: number;

  constructor(
    private readonly storage: RaftLogStorage,
    snapshot: SnapshotMetadata,
    commitIndex: number,
    appliedIndex: number,
  ) {
    this.snapshotIndex = snapshot.index;
    this.snapshotTerm = snapshot.term;
    const lastIndex = storage.lastIndex;
    assertInvariant(storage.firstIndex <= snapshot.index + 1, () => `The log starts at ${storage.firstIndex}, after the snapshot at ${snapshot.index}: entries are missing`);
    assertInvariant(lastIndex >= snapshot.index, () => `The log ends at ${lastIndex}, before the snapshot at ${snapshot.index}; replace it with an empty log after the snapshot`);
    assertInvariant(appliedIndex >= snapshot.index && appliedIndex <= lastIndex, () => `The applied index ${appliedIndex} lies outside the snapshot ${snapshot.index} and the log end ${lastIndex}`);
    // After a restart everything the storage holds is durable. The stored commit index may lag (it is written lazily)
    // and entries applied were committed, so the commit index is at least the applied one.
    this.durableIndex = lastIndex;
    this.commitIndex = Math.min(Math.max(commitIndex, appliedIndex), lastIndex);
    this.appliedIndex = appliedIndex;
    this.expectedStorageLastIndex = lastIndex;
  }

  get lastIndex(): number {
    if (this.installing !== undefined) return this.installing.index;
    const pendingCount = this.pendingEntries.length;
    return pendingCount > 0 ? this.pendingEntries[pendingCount - 1].index : this.storedLastIndex;
  }

  get lastTerm(): number {
    return this.termAt(this.lastIndex) ?? 0;
  }

  /** The first entry that can be read; entries below were compacted into the snapshot. */
  get firstIndex(): number {
    return this.installing !== undefined ? this.installing.index + 1 : this.storage.firstIndex;
  }

  get installingSnapshot(): SnapshotMetadata | undefined {
    return this.installing;
  }

  /** The term of the entry at index; undefined beyond the log or compacted (the snapshot's own index stays known). */
  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    if (this.installing !== undefined) return index === this.installing.index ? this.installing.term : undefined;
    if (index > this.lastIndex || index < 0) return undefined;
    const pendingFirstIndex = this.pendingEntries.length > 0 ? this.pendingEntries[0].index : Infinity;
    if (index >= pendingFirstIndex) return this.pendingEntries[index - pendingFirstIndex].term;
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.storage.firstIndex) return undefined;
    return this.storage.termAt(index);
  }

  /**
   * Entries from fromIndex on, at most countMax of them and (beyond the first) sizeBytesMax payload bytes; undefined
   * when fromIndex was compacted away, empty beyond the end of the log.
   */
  entriesFrom(fromIndex: number, countMax: number, sizeBytesMax: number): RaftEntry[] | undefined {
    if (fromIndex < this.firstIndex) return undefined;
    const lastIndex = Math.min(this.lastIndex, fromIndex + countMax - 1);
    if (fromIndex > lastIndex) return [];
    const pendingFirstIndex = this.pendingEntries.length > 0 ? this.pendingEntries[0].index : Infinity;
    const entries = fromIndex < pendingFirstIndex ? this.storage.entries(fromIndex, Math.min(lastIndex, pendingFirstIndex - 1), sizeBytesMax) : [];
    let sizeBytes = entries.reduce((sum, entry) => sum + entry.payload.byteLength, 0);
    for (let index = Math.max(fromIndex, pendingFirstIndex); index <= lastIndex; index++) {
      if (entries.length > 0 && entries[entries.length - 1].index !== index - 1) break;
      const entry = this.pendingEntries[index - pendingFirstIndex];
      if (entries.length > 0 && sizeBytes + entry.payload.byteLength > sizeBytesMax) break;
      entries.push(entry);
      sizeBytes += entry.payload.byteLength;
    }
    return entries;
  }

  matchesTerm(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /** Raft's election restriction: a candidate's log must be at least as up to date as the voter's. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ownLastTerm = this.lastTerm;
    return lastTerm > ownLastTerm || (lastTerm === ownLastTerm && lastIndex >= this.lastIndex);
  }

  /** The index of the first entry that is not in the log with the same term, 0 when all of them are. */
  findConflict(entries: readonly RaftEntry[]): number {
    for (const entry of entries) {
      if (!this.matchesTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The last index at or below index whose term is at most term, stopping at the first compacted index: the
   * follower's hint and the leader's next probe after a rejection (etcd's findConflictByTerm).
   */
  findConflictByTerm(index: number, term: number): number {
    for (let candidate = Math.min(index, this.lastIndex); candidate > 0; candidate--) {
      const candidateTerm = this.termAt(candidate);
      if (candidateTerm === undefined || candidateTerm <= term) return candidate;
    }
    return 0;
  }

  /** Appends entries that continue the log (the leader's own proposals, or a follower's after a match). */
  append(entries: readonly RaftEntry[]): void {
    if (entries.length === 0) return;
    const first = entries[0];
    assertInvariant(first.index === this.lastIndex + 1, () => `Expected the next entry to append at ${this.lastIndex + 1}, got ${first.index}`);
    assertInvariant(first.index > this.commitIndex, () => `Refusing to append at ${first.index}, at or below the commit index ${this.commitIndex}`);
    let previousTerm = this.lastTerm;
    for (let position = 0; position < entries.length; position++) {
      const entry = entries[position];
      assertInvariant(entry.index === first.index + position, () => `Expected consecutive entries, got ${entry.index} after ${first.index + position - 1}`);
      assertInvariant(entry.term >= previousTerm, () => `Terms never decrease along the log: entry ${entry.index} has term ${entry.term} after ${previousTerm}`);
      previousTerm = entry.term;
      this.pendingEntries.push(entry);
    }
  }

  /** Removes every entry after index (a follower resolving a conflict with its leader). Committed entries never go. */
  truncateAfter(index: number): void {
    assertInvariant(index >= this.commitIndex, () => `Refusing to truncate after ${index}: entries up to ${this.commitIndex} are committed`);
    if (index >= this.lastIndex) return;
    const pendingFirstIndex = this.pendingEntries.length > 0 ? this.pendingEntries[0].index : this.lastIndex + 1;
    if (index >= pendingFirstIndex - 1) {
      this.pendingEntries.length = index - pendingFirstIndex + 1;
    } else {
      this.pendingEntries = [];
      this.pendingTruncateAfterIndex = index;
    }
    this.durableIndex = Math.min(this.durableIndex, index);
  }

  get hasPendingWrites(): boolean {
    return this.pendingTruncateAfterIndex !== undefined || this.pendingEntries.length > 0;
  }

  /** Hands the writes decided since the last Ready to the caller, who applies them before the next input. */
  takeWrites(): LogWrites {
    const writes = { truncateAfterIndex: this.pendingTruncateAfterIndex, entriesToAppend: this.pendingEntries };
    const lastIndex = this.lastIndex;
    this.pendingTruncateAfterIndex = undefined;
    this.pendingEntries = [];
    if (this.installing === undefined) this.expectedStorageLastIndex = lastIndex;
    return writes;
  }

  /** Every input starts here: the caller must have applied the last Ready's writes. */
  assertStorageApplied(): void {
    if (this.installing !== undefined) return;
    const storageLastIndex = this.storage.lastIndex;
    assertInvariant(
      this.pendingTruncateAfterIndex !== undefined || this.pendingEntries.length > 0 || storageLastIndex === this.expectedStorageLastIndex,
      () => `The storage ends at ${storageLastIndex}, but the writes of the last Ready end at ${this.expectedStorageLastIndex}: apply every Ready's log writes before the next input`,
    );
    assertInvariant(this.storage.firstIndex <= this.snapshotIndex + 1, () => `The storage starts at ${this.storage.firstIndex}, after the snapshot at ${this.snapshotIndex}: it was compacted past the snapshot`);
  }

  /** The storage reports entries durable up to upToIndex, as it holds them now. */
  persisted(upToIndex: number): void {
    if (this.installing !== undefined) return;
    // Entries after a pending truncation are new ones the storage has not seen: its durability says nothing about them.
    this.durableIndex = Math.max(this.durableIndex, Math.min(upToIndex, this.storedLastIndex));
  }

  commitTo(index: number): void {
    assertInvariant(index > this.commitIndex, () => `The commit index never goes backwards: ${this.commitIndex} to ${index}`);
    assertInvariant(index <= this.durableIndex, () => `Refusing to commit ${index} beyond the durable index ${this.durableIndex}`);
    this.commitIndex = index;
  }

  get hasEntriesToApply(): boolean {
    return this.installing === undefined && this.appliedIndex < this.commitIndex;
  }

  /** The next committed entries to apply, at most sizeBytesMax payload bytes beyond the first; marks them applied. */
  takeEntriesToApply(sizeBytesMax: number): RaftEntry[] {
    if (!this.hasEntriesToApply) return [];
    const entries = this.storage.entries(this.appliedIndex + 1, this.commitIndex, sizeBytesMax);
    assertInvariant(entries.length > 0 && entries[0].index === this.appliedIndex + 1, () => `The storage did not return committed entry ${this.appliedIndex + 1}`);
    this.appliedIndex = entries[entries.length - 1].index;
    return entries;
  }

  /** The application took a snapshot at index (term): entries up to it may be compacted from now on. */
  snapshotTaken(index: number, term: number): void {
    if (index <= this.snapshotIndex) return;
    assertInvariant(index <= this.appliedIndex, () => `A snapshot at ${index} covers entries not applied yet (applied up to ${this.appliedIndex})`);
    const termAtIndex = this.termAt(index);
    assertInvariant(termAtIndex === term, () => `A snapshot at ${index} with term ${term}, but the entry there has term ${termAtIndex}`);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /** A received snapshot replaces the log from now on, in Raft's view; the storage follows once it is durable. */
  beginInstall(snapshot: SnapshotMetadata): void {
    assertInvariant(snapshot.index > this.commitIndex, () => `Refusing to install a snapshot at ${snapshot.index}, at or below the commit index ${this.commitIndex}`);
    assertInvariant(!this.hasPendingWrites, () => 'A snapshot install started with log writes not handed to the caller');
    this.installing = { ...snapshot };
  }

  /** The snapshot is durable and the storage holds an empty log that continues after it. */
  finishInstall(snapshot: SnapshotMetadata): void {
    const installing = this.installing;
    assertInvariant(
      installing !== undefined && installing.index === snapshot.index && installing.term === snapshot.term,
      () => `snapshotInstalled(${snapshot.index}, ${snapshot.term}) does not match the snapshot being installed (${installing?.index}, ${installing?.term})`,
    );
    const storageLastIndex = this.storage.lastIndex;
    assertInvariant(
      storageLastIndex === snapshot.index && this.storage.firstIndex === snapshot.index + 1,
      () => `After installing the snapshot at ${snapshot.index} the log must be empty and continue at ${snapshot.index + 1}, it holds ${this.storage.firstIndex}..${storageLastIndex}`,
    );
    this.installing = undefined;
    this.snapshotIndex = snapshot.index;
    this.snapshotTerm = snapshot.term;
    this.commitIndex = snapshot.index;
    this.appliedIndex = snapshot.index;
    this.durableIndex = snapshot.index;
    this.expectedStorageLastIndex = snapshot.index;
  }

  /** The storage's last index once the pending truncation is applied, before the pending entries. */
  private get storedLastIndex(): number {
    const lastIndex = this.storage.lastIndex;
    return this.pendingTruncateAfterIndex === undefined ? lastIndex : Math.min(lastIndex, this.pendingTruncateAfterIndex);
  }
}
