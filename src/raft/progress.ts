import { Inflights } from './inflights.js';

/**
 * How a leader replicates to one follower.
 * - probe: the leader does not know where the follower's log matches; one AppendRequest at a time, until it hears back.
 * - replicate: the follower matches; AppendRequests stream ahead of acknowledgements, bounded by appendRequestsInFlightMax.
 * - snapshot: the follower needs entries the leader compacted away; the leader sends its snapshot in chunks.
 */
export type ReplicationState = 'probe' | 'replicate' | 'snapshot';

export interface SnapshotTransfer {
  snapshotIndex: number;
  snapshotTerm: number;
  /** Unknown until the first chunk was read. */
  totalSizeBytes: number | undefined;
  /** Where the next chunk to send starts. */
  nextChunkOffsetBytes: number;
  /** The follower has every byte before this offset. */
  acknowledgedOffsetBytes: number;
  /** acknowledgedOffsetBytes at the last heartbeat: no progress in between means chunks were lost. */
  acknowledgedOffsetBytesAtHeartbeat: number;
  sentFinalChunk: boolean;
}

export class Progress {
  /** The follower's log matches the leader's, durably, up to here. */
  matchIndex = 0;
  /** The next entry to send. */
  nextIndex: number;
  state: ReplicationState = 'probe';
  /** In probe: an AppendRequest is out; the next waits for an answer or a heartbeat response. */
  probeSent = false;
  /** The highest commit index an AppendRequest carried to this follower. */
  sentCommitIndex = 0;
  /** Heard from since the last check-quorum round. */
  recentlyActive = false;
  readonly inflights: Inflights;
  snapshotTransfer: SnapshotTransfer | undefined;

  constructor(nextIndex: number, appendRequestsInFlightMax: number) {
    this.nextIndex = nextIndex;
    this.inflights = new Inflights(appendRequestsInFlightMax);
  }

  get paused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full;
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    this.state = 'probe';
    this.nextIndex = this.matchIndex + 1;
    this.probeSent = false;
    this.inflights.reset();
    this.snapshotTransfer = undefined;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.nextIndex = this.matchIndex + 1;
    this.inflights.reset();
    this.snapshotTransfer = undefined;
  }

  becomeSnapshot(transfer: SnapshotTransfer): void {
    this.state = 'snapshot';
    this.inflights.reset();
    this.snapshotTransfer = transfer;
  }

  /** An acknowledgement up to index; false when it tells nothing new (duplicated or reordered). */
  maybeUpdate(index: number): boolean {
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    if (index <= this.matchIndex) return false;
    this.matchIndex = index;
    this.probeSent = false;
    return true;
  }

  /**
   * A rejection of the AppendRequest after rejectedIndex; false when it is stale (it answers a request sent before
   * the last change of course). nextProbeIndex is the leader's guess where the logs still match.
   */
  maybeDecreaseTo(rejectedIndex: number, nextProbeIndex: number): boolean {
    if (this.state === 'replicate') {
      if (rejectedIndex <= this.matchIndex) return false;
      this.becomeProbe();
      return true;
    }
    if (this.state !== 'probe' || this.nextIndex - 1 !== rejectedIndex) return false;
    this.nextIndex = Math.max(Math.min(rejectedIndex, nextProbeIndex + 1), this.matchIndex + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** The follower lost entries it had acknowledged (its disk was wiped): start over from what it holds. */
  forgetMatchBeyond(followerLastIndex: number): void {
    this.matchIndex = Math.min(this.matchIndex, followerLastIndex);
    this.state = 'probe';
    this.nextIndex = this.matchIndex + 1;
    this.probeSent = false;
    this.inflights.reset();
    this.snapshotTransfer = undefined;
  }
}
