import type { MemoryRaftLogStorage, RaftEntry, RaftStatus, ReplicaId } from '../../src/raft/index.js';
import { EMPTY_HISTORY_HASH, foldEntry } from './simulated-state-machine.js';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
}

/** What the checker reads of a running replica after every step. */
export interface ObservedReplica {
  replicaId: ReplicaId;
  status: RaftStatus;
  /** The replica's log as its disk holds it (page cache included). */
  log: MemoryRaftLogStorage;
}

interface Tracking {
  /** Highest commit index seen in this incarnation: it never goes down. */
  commitSeen: number;
  /** The log was compared with the committed history up to here. */
  matchedThrough: number;
  appliedThrough: number;
}

/**
 * Raft's safety properties, checked from the outside against one global history of committed entries:
 * - election safety: at most one leader per term;
 * - a committed entry is never overwritten or lost: every replica's log up to its commit index equals the history
 *   (log matching), the history never changes, no replica truncates below its commit index, and no replica drops
 *   an entry it acknowledged in its current term (short of a wiped disk);
 * - leader completeness: a new leader holds every entry committed in earlier terms;
 * - state machine safety: every replica applies exactly the history, in order, and snapshots restore its hash.
 */
export class SafetyChecker {
  private readonly leaderByTerm = new Map<number, ReplicaId>();
  /** The committed history, by index (slot 0 unused): the entry, and the term of the leader that committed it. */
  private readonly committed: (Pick<RaftEntry, 'term' | 'payload'> | undefined)[] = [undefined];
  private readonly committedInTerm: number[] = [0];
  /** historyHashes[i]: the state after applying entries 1..i. */
  private readonly historyHashes: number[] = [EMPTY_HISTORY_HASH];
  private readonly tracking = new Map<ReplicaId, Tracking>();
  /** Per replica: the highest index it told the leader of term it holds durably (append-accepted). */
  private readonly acknowledged = new Map<ReplicaId, { term: number; index: number }>();
  leaderElectionCount = 0;

  get committedLastIndex(): number {
    return this.committed.length - 1;
  }

  /** The committed entry at index, undefined beyond the history. */
  committedEntryAt(index: number): Pick<RaftEntry, 'term' | 'payload'> | undefined {
    return index >= 1 ? this.committed[index] : undefined;
  }

  committedPayloadAt(index: number): Uint8Array {
    const entry = this.committed[index];
    if (entry === undefined) throw new Error(`Simulator bug: entry ${index} is not committed`);
    return entry.payload;
  }

  /** A replica (re)started from its snapshot, whose state must be the history's at that index. */
  onStart(replicaId: ReplicaId, snapshotIndex: number, stateHash: number): void {
    this.checkSnapshotState(replicaId, snapshotIndex, stateHash);
    this.tracking.set(replicaId, { commitSeen: 0, matchedThrough: snapshotIndex, appliedThrough: snapshotIndex });
  }

  /** The replica acknowledged its log up to index to the leader of term, which may count it towards a commit. */
  onAcknowledged(replicaId: ReplicaId, term: number, index: number): void {
    const known = this.acknowledged.get(replicaId);
    if (known === undefined || term > known.term || (term === known.term && index > known.index)) this.acknowledged.set(replicaId, { term, index });
  }

  /** The replica lost its data directory: what it acknowledged is gone, and Raft must cope (it does not vote). */
  onDataLost(replicaId: ReplicaId): void {
    this.acknowledged.delete(replicaId);
  }

  /**
   * The replica drops every entry after index while in term. Within the term of an acknowledgement this must never
   * reach below it: that term's leader may have counted the entry as held by a quorum.
   */
  onDiscard(replicaId: ReplicaId, term: number, afterIndex: number): void {
    const known = this.acknowledged.get(replicaId);
    if (known !== undefined && known.term === term && afterIndex < known.index) {
      throw new SafetyViolation(`Replica ${replicaId} drops its entries after ${afterIndex} in term ${term}, though it acknowledged entries up to ${known.index} to the leader of that term`);
    }
  }

  onTruncate(replicaId: ReplicaId, afterIndex: number): void {
    const tracking = this.tracked(replicaId);
    if (afterIndex < tracking.commitSeen) {
      throw new SafetyViolation(`Replica ${replicaId} truncates its log after ${afterIndex}, below its commit index ${tracking.commitSeen}`);
    }
    tracking.matchedThrough = Math.min(tracking.matchedThrough, afterIndex);
  }

  /** A received snapshot was installed: the log restarts after it, the state is the snapshot's. */
  onSnapshotInstalled(replicaId: ReplicaId, snapshotIndex: number, stateHash: number): void {
    this.checkSnapshotState(replicaId, snapshotIndex, stateHash);
    const tracking = this.tracked(replicaId);
    tracking.matchedThrough = snapshotIndex;
    tracking.appliedThrough = snapshotIndex;
  }

  onApply(replicaId: ReplicaId, entry: RaftEntry, term: number, stateHash: number): void {
    const tracking = this.tracked(replicaId);
    if (entry.index !== tracking.appliedThrough + 1) {
      throw new SafetyViolation(`Replica ${replicaId} applies entry ${entry.index} after ${tracking.appliedThrough}`);
    }
    this.observeCommitted(replicaId, entry.index, entry, term);
    tracking.appliedThrough = entry.index;
    if (stateHash !== this.historyHashes[entry.index]) {
      throw new SafetyViolation(`Replica ${replicaId} has a different state after applying entry ${entry.index} than the committed history`);
    }
  }

  onBecameLeader(replica: ObservedReplica): void {
    const { replicaId, status, log } = replica;
    this.checkSingleLeader(replicaId, status.term);
    this.leaderElectionCount++;
    // Leader completeness: every entry committed in an earlier term is in the new leader's log.
    for (let index = status.snapshotIndex + 1; index <= this.committedLastIndex; index++) {
      if (this.committedInTerm[index] >= status.term) continue;
      const entry = log.entryAt(index);
      if (entry === undefined || entry.term !== this.committed[index]!.term) {
        throw new SafetyViolation(
          `Replica ${replicaId} became leader of term ${status.term} without committed entry ${index} (term ${this.committed[index]!.term}, committed in term ${this.committedInTerm[index]}); it has ${entry === undefined ? 'nothing' : `term ${entry.term}`} there`,
        );
      }
    }
  }

  /** After every step: roles, commit indexes and logs of all running replicas. */
  afterStep(replicas: readonly ObservedReplica[]): void {
    for (const replica of replicas) {
      const { replicaId, status } = replica;
      if (status.role === 'leader') this.checkSingleLeader(replicaId, status.term);
      const tracking = this.tracked(replicaId);
      if (status.commitIndex < tracking.commitSeen) {
        throw new SafetyViolation(`Replica ${replicaId}'s commit index went back from ${tracking.commitSeen} to ${status.commitIndex}`);
      }
      tracking.commitSeen = status.commitIndex;
      if (status.commitIndex > tracking.matchedThrough) this.matchLog(replica, tracking);
    }
  }

  private matchLog(replica: ObservedReplica, tracking: Tracking): void {
    const { replicaId, status, log } = replica;
    for (let index = tracking.matchedThrough + 1; index <= status.commitIndex; index++) {
      const entry = log.entryAt(index);
      if (entry === undefined) {
        if (index <= status.snapshotIndex) continue;
        throw new SafetyViolation(`Replica ${replicaId} has commit index ${status.commitIndex} but no entry ${index} in its log`);
      }
      this.observeCommitted(replicaId, index, entry, status.term);
    }
    tracking.matchedThrough = status.commitIndex;
  }

  /** A replica holds entry at index as committed: it must be the history's, or extend it by one. */
  private observeCommitted(replicaId: ReplicaId, index: number, entry: Pick<RaftEntry, 'term' | 'payload'>, term: number): void {
    const known = this.committed[index];
    if (known !== undefined) {
      if (known === entry || (known.term === entry.term && samePayload(known.payload, entry.payload))) return;
      throw new SafetyViolation(
        `Committed entry ${index} was overwritten: replica ${replicaId} holds term ${entry.term} (${describePayload(entry.payload)}) where term ${known.term} (${describePayload(known.payload)}) was committed`,
      );
    }
    if (index !== this.committed.length) {
      throw new SafetyViolation(`Replica ${replicaId} holds entry ${index} as committed, but the history ends at ${this.committedLastIndex}`);
    }
    this.committed.push(entry);
    this.committedInTerm.push(term);
    this.historyHashes.push(foldEntry(this.historyHashes[index - 1], entry));
  }

  private checkSingleLeader(replicaId: ReplicaId, term: number): void {
    const leader = this.leaderByTerm.get(term);
    if (leader === undefined) this.leaderByTerm.set(term, replicaId);
    else if (leader !== replicaId) throw new SafetyViolation(`Two leaders in term ${term}: replicas ${leader} and ${replicaId}`);
  }

  private checkSnapshotState(replicaId: ReplicaId, snapshotIndex: number, stateHash: number): void {
    if (snapshotIndex > this.committedLastIndex) {
      throw new SafetyViolation(`Replica ${replicaId} holds a snapshot at ${snapshotIndex}, beyond the committed history (${this.committedLastIndex})`);
    }
    if (stateHash !== this.historyHashes[snapshotIndex]) {
      throw new SafetyViolation(`Replica ${replicaId}'s snapshot at ${snapshotIndex} does not hold the committed history's state`);
    }
  }

  private tracked(replicaId: ReplicaId): Tracking {
    const tracking = this.tracking.get(replicaId);
    if (tracking === undefined) throw new Error(`Simulator bug: replica ${replicaId} is not tracked`);
    return tracking;
  }
}

function samePayload(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let position = 0; position < left.byteLength; position++) if (left[position] !== right[position]) return false;
  return true;
}

function describePayload(payload: Uint8Array): string {
  return payload.byteLength === 0 ? 'no-op' : JSON.stringify(new TextDecoder().decode(payload.subarray(0, 24)));
}
