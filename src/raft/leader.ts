import type { SnapshotSource } from './log-storage.js';
import type { AppendAccepted, AppendRejected, HeartbeatResponse, RaftMessage, SnapshotChunkResponse } from './messages.js';
import { Progress } from './progress.js';
import { quorumSize, type RaftConfig, type ReplicaId } from './raft-config.js';
import { assertInvariant } from './raft-invariant.js';
import type { RaftLog } from './raft-log.js';

/** What a leader needs from its replica. The term is fixed: a new term makes the replica a follower, and drops the Leader. */
export interface LeaderContext {
  readonly config: RaftConfig;
  readonly log: RaftLog;
  readonly term: number;
  readonly snapshotSource: SnapshotSource;
  send(message: RaftMessage): void;
}

/**
 * The leader's half of Raft, alive for exactly one term: replication to each follower (probe, replicate, snapshot),
 * heartbeats, the commit rule and the check-quorum bookkeeping. A replica that steps down drops this object, so
 * nothing of an old leadership can append or send on afterwards.
 */
export class Leader {
  private readonly progress = new Map<ReplicaId, Progress>();
  /** Proposed payload bytes per proposal, oldest first, released as the commit index passes them. */
  private readonly uncommittedProposals: { lastIndex: number; sizeBytes: number }[] = [];
  private uncommittedSizeBytesValue = 0;
  private quorumCommitIndexValue = 0;

  constructor(private readonly context: LeaderContext) {
    const { config, log } = context;
    for (const replicaId of config.replicaIds) {
      if (replicaId !== config.replicaId) this.progress.set(replicaId, new Progress(log.lastIndex + 1, config.appendRequestsInFlightMax));
    }
  }

  get uncommittedSizeBytes(): number {
    return this.uncommittedSizeBytesValue;
  }

  progressOf(replicaId: ReplicaId): Progress | undefined {
    return this.progress.get(replicaId);
  }

  trackProposal(lastIndex: number, sizeBytes: number): void {
    this.uncommittedProposals.push({ lastIndex, sizeBytes });
    this.uncommittedSizeBytesValue += sizeBytes;
  }

  /** New entries to every follower that can take them; with commitChanged, an empty request carries the commit index. */
  broadcastAppend(commitChanged: boolean): void {
    for (const [replicaId, progress] of this.progress) this.sendAppends(replicaId, progress, commitChanged);
  }

  broadcastHeartbeat(): void {
    const { term, config } = this.context;
    for (const [replicaId, progress] of this.progress) {
      // Capped at the follower's match: a follower must never commit an entry it holds but has not matched.
      const leaderCommitIndex = Math.min(this.quorumCommitIndex, progress.matchIndex);
      this.context.send({ type: 'heartbeat-request', from: config.replicaId, to: replicaId, term, leaderCommitIndex });
    }
  }

  /** Check quorum: true when a quorum (this replica included) was heard from since the last call. */
  quorumActive(): boolean {
    let activeCount = 1;
    for (const progress of this.progress.values()) {
      if (progress.recentlyActive) activeCount++;
      progress.recentlyActive = false;
    }
    return activeCount >= quorumSize(this.context.config.replicaIds.length);
  }

  /**
   * The commit rule: the highest index a quorum holds durably, counting the leader's own log only as far as its
   * fsync reached, and only at an entry of the leader's term (Raft section 5.4.2). The local commit index follows
   * it as far as the leader's own log is durable, so that the leader never applies or records as committed what
   * its own disk could still lose. True when the group's commit index moved (followers should hear of it).
   */
  maybeCommit(): boolean {
    const { log, term, config } = this.context;
    const matchIndexes = [log.durableIndex];
    for (const progress of this.progress.values()) matchIndexes.push(progress.matchIndex);
    matchIndexes.sort((left, right) => right - left);
    const quorumIndex = matchIndexes[quorumSize(config.replicaIds.length) - 1];
    const moved = quorumIndex > this.quorumCommitIndexValue && log.termAt(quorumIndex) === term;
    if (moved) {
      this.quorumCommitIndexValue = quorumIndex;
      while (this.uncommittedProposals.length > 0 && this.uncommittedProposals[0].lastIndex <= quorumIndex) {
        this.uncommittedSizeBytesValue -= this.uncommittedProposals.shift()!.sizeBytes;
      }
    }
    const localCommitIndex = Math.min(this.quorumCommitIndexValue, log.durableIndex);
    if (localCommitIndex > log.commitIndex) log.commitTo(localCommitIndex);
    return moved;
  }

  /** What the group has committed as far as this leader knows: at least the local commit index. */
  get quorumCommitIndex(): number {
    return Math.max(this.quorumCommitIndexValue, this.context.log.commitIndex);
  }

  handleAppendAccepted(message: AppendAccepted): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentlyActive = true;
    assertInvariant(message.matchIndex <= this.context.log.lastIndex, () => `Replica ${message.from} acknowledged entry ${message.matchIndex}, beyond the leader's log`);
    if (!progress.maybeUpdate(message.matchIndex)) return;
    if (progress.state === 'probe') progress.becomeReplicate();
    else if (progress.state === 'snapshot' && progress.matchIndex >= progress.snapshotTransfer!.snapshotIndex) progress.becomeReplicate();
    else if (progress.state === 'replicate') progress.inflights.freeTo(message.matchIndex);
    if (this.maybeCommit()) this.broadcastAppend(true);
    // A follower that was paused when the commit index moved hears of it now, even without new entries.
    else this.sendAppends(message.from, progress, progress.sentCommitIndex < this.quorumCommitIndex);
  }

  handleAppendRejected(message: AppendRejected): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentlyActive = true;
    if (message.followerLastIndex < progress.matchIndex) {
      progress.forgetMatchBeyond(message.followerLastIndex);
      this.sendAppends(message.from, progress, true);
      return;
    }
    const nextProbeIndex = message.hintTerm > 0 ? this.context.log.findConflictByTerm(message.hintIndex, message.hintTerm) : message.hintIndex;
    if (progress.maybeDecreaseTo(message.rejectedPreviousLogIndex, nextProbeIndex)) this.sendAppends(message.from, progress, true);
  }

  handleHeartbeatResponse(message: HeartbeatResponse): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentlyActive = true;
    progress.probeSent = false;
    // An acknowledgement may have been lost: free a slot so that replication cannot stall on it.
    if (progress.state === 'replicate' && progress.inflights.full) progress.inflights.freeFirstOne();
    if (progress.matchIndex < this.context.log.lastIndex) this.sendAppends(message.from, progress, true);
  }

  handleSnapshotChunkResponse(message: SnapshotChunkResponse): void {
    const progress = this.progress.get(message.from);
    if (progress === undefined) return;
    progress.recentlyActive = true;
    if (message.outcome === 'installed') {
      progress.maybeUpdate(message.snapshotIndex);
      if (progress.state === 'snapshot') progress.becomeProbe();
      this.sendAppends(message.from, progress, true);
      return;
    }
    const transfer = progress.snapshotTransfer;
    if (progress.state !== 'snapshot' || transfer === undefined) return;
    if (transfer.snapshotIndex !== message.snapshotIndex || transfer.snapshotTerm !== message.snapshotTerm) return;
    if (message.outcome === 'accepted') {
      transfer.acknowledgedOffsetBytes = Math.max(transfer.acknowledgedOffsetBytes, message.nextOffsetBytes);
      transfer.nextChunkOffsetBytes = Math.max(transfer.nextChunkOffsetBytes, transfer.acknowledgedOffsetBytes);
    } else {
      // The follower wants another offset: after its restart 0, after lost chunks the first one missing.
      transfer.acknowledgedOffsetBytes = message.nextOffsetBytes;
      transfer.nextChunkOffsetBytes = message.nextOffsetBytes;
      transfer.sentFinalChunk = false;
    }
    this.sendSnapshotChunks(message.from, progress);
  }

  /** On every heartbeat: a transfer that made no progress since the last one lost chunks; resend from the gap. */
  retransmitStalledSnapshots(): void {
    for (const [replicaId, progress] of this.progress) {
      const transfer = progress.snapshotTransfer;
      if (progress.state !== 'snapshot' || transfer === undefined) continue;
      if (transfer.acknowledgedOffsetBytes === transfer.acknowledgedOffsetBytesAtHeartbeat) {
        transfer.nextChunkOffsetBytes = transfer.acknowledgedOffsetBytes;
        transfer.sentFinalChunk = false;
        this.sendSnapshotChunks(replicaId, progress);
      }
      transfer.acknowledgedOffsetBytesAtHeartbeat = transfer.acknowledgedOffsetBytes;
    }
  }

  /** One AppendRequest in probe; in replicate as many as the in-flight bound allows (pipelining). */
  private sendAppends(replicaId: ReplicaId, progress: Progress, sendIfEmpty: boolean): void {
    let sentCount = 0;
    while (!progress.paused && sentCount <= this.context.config.appendRequestsInFlightMax) {
      if (!this.sendAppend(replicaId, progress, sendIfEmpty && sentCount === 0)) return;
      sentCount++;
      if (progress.state !== 'replicate') return;
    }
  }

  private sendAppend(replicaId: ReplicaId, progress: Progress, sendIfEmpty: boolean): boolean {
    const { log, term, config } = this.context;
    const previousLogIndex = progress.nextIndex - 1;
    const previousLogTerm = log.termAt(previousLogIndex);
    const entries = log.entriesFrom(progress.nextIndex, config.appendEntriesCountMax, config.appendSizeBytesMax);
    if (previousLogTerm === undefined || entries === undefined) {
      this.startSnapshot(replicaId, progress);
      return false;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const leaderCommitIndex = this.quorumCommitIndex;
    progress.sentCommitIndex = Math.max(progress.sentCommitIndex, leaderCommitIndex);
    this.context.send({
      type: 'append-request',
      from: config.replicaId,
      to: replicaId,
      term,
      previousLogIndex,
      previousLogTerm,
      entries,
      leaderCommitIndex,
    });
    if (progress.state === 'replicate' && entries.length > 0) {
      const lastIndex = entries[entries.length - 1].index;
      progress.nextIndex = lastIndex + 1;
      progress.inflights.add(lastIndex);
    } else if (progress.state === 'probe') {
      progress.probeSent = true;
    }
    return true;
  }

  private startSnapshot(replicaId: ReplicaId, progress: Progress): void {
    const { log } = this.context;
    assertInvariant(
      log.snapshotIndex > 0 && log.firstIndex <= log.snapshotIndex + 1,
      () => `Replica ${replicaId} needs entry ${progress.nextIndex}, compacted away, but the latest snapshot is at ${log.snapshotIndex} and the log starts at ${log.firstIndex}`,
    );
    progress.becomeSnapshot({
      snapshotIndex: log.snapshotIndex,
      snapshotTerm: log.snapshotTerm,
      totalSizeBytes: undefined,
      nextChunkOffsetBytes: 0,
      acknowledgedOffsetBytes: 0,
      acknowledgedOffsetBytesAtHeartbeat: 0,
      sentFinalChunk: false,
    });
    this.sendSnapshotChunks(replicaId, progress);
  }

  private sendSnapshotChunks(replicaId: ReplicaId, progress: Progress): void {
    const { config, term, snapshotSource, log } = this.context;
    const transfer = progress.snapshotTransfer!;
    const windowBytes = config.snapshotChunksInFlightMax * config.snapshotChunkSizeBytes;
    for (let chunkCount = 0; chunkCount < config.snapshotChunksInFlightMax && !transfer.sentFinalChunk; chunkCount++) {
      if (transfer.nextChunkOffsetBytes - transfer.acknowledgedOffsetBytes >= windowBytes) return;
      const chunk = snapshotSource.read(transfer.snapshotIndex, transfer.snapshotTerm, transfer.nextChunkOffsetBytes, config.snapshotChunkSizeBytes);
      if (chunk === undefined) {
        // A newer snapshot replaced this one while it was being sent: send the newer one from the start.
        assertInvariant(
          transfer.snapshotIndex !== log.snapshotIndex || transfer.snapshotTerm !== log.snapshotTerm,
          () => `The snapshot source cannot read the latest snapshot (${log.snapshotIndex}, ${log.snapshotTerm})`,
        );
        this.startSnapshot(replicaId, progress);
        return;
      }
      transfer.totalSizeBytes = chunk.totalSizeBytes;
      this.context.send({
        type: 'snapshot-chunk',
        from: config.replicaId,
        to: replicaId,
        term,
        snapshotIndex: transfer.snapshotIndex,
        snapshotTerm: transfer.snapshotTerm,
        offsetBytes: transfer.nextChunkOffsetBytes,
        totalSizeBytes: chunk.totalSizeBytes,
        bytes: chunk.bytes,
      });
      transfer.nextChunkOffsetBytes += chunk.bytes.byteLength;
      transfer.sentFinalChunk = transfer.nextChunkOffsetBytes >= chunk.totalSizeBytes;
    }
  }
}
