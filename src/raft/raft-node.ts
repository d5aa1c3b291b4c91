import { Leader } from './leader.js';
import type { HardState, RaftEntry, RaftLogStorage, SnapshotMetadata, SnapshotSource } from './log-storage.js';
import {
  isFromLeader,
  type AppendRequest,
  type HeartbeatRequest,
  type PreVoteRequest,
  type RaftMessage,
  type SnapshotChunkRequest,
  type VoteRequest,
} from './messages.js';
import type { Progress } from './progress.js';
import { resolveRaftConfig, type RaftConfig, type RaftConfigInput, type ReplicaId } from './raft-config.js';
import { assertInvariant } from './raft-invariant.js';
import { RaftLog } from './raft-log.js';
import type { RaftRole, Ready, SoftState } from './ready.js';
import { SnapshotReceiver, type ReceivedSnapshotChunk } from './snapshot-receiver.js';
import { VoteTally } from './vote-tally.js';

export interface RaftNodeOptions {
  config: RaftConfigInput;
  storage: RaftLogStorage;
  snapshotSource: SnapshotSource;
  /** Uniform in [0, 1): spreads election timeouts. Injected, so that a simulation replays from its seed. */
  random: () => number;
  /** What the last run persisted; a new replica starts at term 0 without a vote. */
  hardState?: HardState;
  /** The latest durable snapshot; the storage's log continues after it (or overlaps it). */
  snapshot?: SnapshotMetadata;
  /** How far the state machine has applied the log (at least the snapshot); defaults to the snapshot's index. */
  appliedIndex?: number;
  /**
   * The log and snapshots were lost while the hard state survived (a wiped data directory). Such a replica may have
   * acknowledged entries it no longer holds, so it neither votes nor campaigns until it has caught up with a
   * leader of a later term than its own: its vote could otherwise elect a leader that lacks committed entries.
   * The node records this in its hard state (logLostInTerm), so later restarts need not say it again.
   */
  logLost?: boolean;
}

export type ProposeResult =
  | { accepted: true; firstIndex: number; lastIndex: number; term: number }
  | { accepted: false; reason: 'not-leader'; leaderId: ReplicaId | undefined }
  | { accepted: false; reason: 'uncommitted-size-exceeded'; uncommittedSizeBytes: number };

export interface RaftStatus extends SoftState {
  votedFor: ReplicaId | undefined;
  commitIndex: number;
  appliedIndex: number;
  durableIndex: number;
  lastIndex: number;
  lastTerm: number;
  snapshotIndex: number;
  recovering: boolean;
  installingSnapshot: SnapshotMetadata | undefined;
}

const NO_OP_PAYLOAD = new Uint8Array(0);

/**
 * One replica of a Raft group as a pure state machine (the etcd/raft design): inputs are tick, step, propose,
 * persisted, snapshotTaken and snapshotInstalled; after each, the caller drains ready() and does the IO it lists in
 * the order Ready documents. No clock, no randomness of its own, no IO: a seeded simulation replays it exactly.
 *
 * Pre-vote and check-quorum are always on: a replica cut off from the group never raises the term, a leader that
 * loses its quorum steps down, and a replica that heard from a leader within the election timeout ignores votes.
 */
export class RaftNode {
  readonly config: RaftConfig;
  private readonly log: RaftLog;
  private readonly snapshotSource: SnapshotSource;
  private readonly random: () => number;
  private term: number;
  private votedFor: ReplicaId | undefined;
  private role: RaftRole = 'follower';
  private leaderId: ReplicaId | undefined;
  private electionElapsedTicks = 0;
  private heartbeatElapsedTicks = 0;
  private randomizedElectionTimeoutTicks = 0;
  private leader: Leader | undefined;
  private votes: VoteTally | undefined;
  private readonly snapshotReceiver = new SnapshotReceiver();
  /** The leader whose snapshot is being installed, told once it is durable. */
  private snapshotLeaderId: ReplicaId | undefined;
  /** This term, the log matches the leader's up to here. */
  private verifiedIndex = 0;
  /** Entries up to here are committed, as far as this log matches the leader's. */
  private knownCommitIndex = 0;
  /** The highest match index sent to the leader this term. */
  private acknowledgedIndex = 0;
  /** While set (after a lost log): the term this replica had; it votes and campaigns again once it commits a later one. */
  private recoveryTerm: number | undefined;
  private messages: RaftMessage[] = [];
  private snapshotChunks: ReceivedSnapshotChunk[] = [];
  private snapshotToInstall: SnapshotMetadata | undefined;
  private lastHardState: HardState;
  private lastSoftState: SoftState;

  constructor(options: RaftNodeOptions) {
    this.config = resolveRaftConfig(options.config);
    this.snapshotSource = options.snapshotSource;
    this.random = options.random;
    const hardState = options.hardState ?? { term: 0, votedFor: undefined, commitIndex: 0 };
    const snapshot = options.snapshot ?? { index: 0, term: 0 };
    this.log = new RaftLog(options.storage, snapshot, hardState.commitIndex, options.appliedIndex ?? snapshot.index);
    this.term = hardState.term;
    this.votedFor = hardState.votedFor;
    this.recoveryTerm = options.logLost === true ? hardState.term : hardState.logLostInTerm;
    this.lastHardState = { ...hardState };
    this.resetElectionTimer();
    this.lastSoftState = this.softState();
  }

  get status(): RaftStatus {
    const log = this.log;
    // Fields spelled out: an object spread here made this getter a hundred times slower in V8.
    return {
      role: this.role,
      term: this.term,
      leaderId: this.leaderId,
      votedFor: this.votedFor,
      commitIndex: log.commitIndex,
      appliedIndex: log.appliedIndex,
      durableIndex: log.durableIndex,
      lastIndex: log.lastIndex,
      lastTerm: log.lastTerm,
      snapshotIndex: log.snapshotIndex,
      recovering: this.recoveryTerm !== undefined,
      installingSnapshot: log.installingSnapshot,
    };
  }

  /** The leader's view of a follower's replication; undefined on other roles. For diagnostics and tests. */
  progressOf(replicaId: ReplicaId): Readonly<Progress> | undefined {
    return this.leader?.progressOf(replicaId);
  }

  // ---- inputs ----

  /** One unit of logical time: drives election timeouts, heartbeats and check-quorum. */
  tick(): void {
    this.log.assertStorageApplied();
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(message: RaftMessage): void {
    this.log.assertStorageApplied();
    assertInvariant(message.to === this.config.replicaId, () => `Replica ${this.config.replicaId} got a message for ${message.to}`);
    if (message.from === this.config.replicaId || !this.config.replicaIds.includes(message.from)) return;
    if (message.term > this.term) {
      if (!this.acceptHigherTerm(message)) return;
    } else if (message.term < this.term) {
      this.answerLowerTerm(message);
      return;
    }
    this.dispatch(message);
  }

  /** Appends payloads as entries of the leader's term; refused on other roles and beyond the uncommitted bound. */
  propose(payloads: readonly Uint8Array[]): ProposeResult {
    this.log.assertStorageApplied();
    if (this.role !== 'leader') return { accepted: false, reason: 'not-leader', leaderId: this.leaderId };
    if (payloads.length === 0) throw new RangeError('Expected at least one payload to propose');
    let sizeBytes = 0;
    for (const payload of payloads) {
      if (payload.byteLength === 0) throw new RangeError('Expected non-empty payloads: an empty payload is the no-op entry of a new leader');
      sizeBytes += payload.byteLength;
    }
    const leader = this.leader!;
    const uncommittedSizeBytes = leader.uncommittedSizeBytes;
    if (uncommittedSizeBytes > 0 && uncommittedSizeBytes + sizeBytes > this.config.uncommittedSizeBytesMax) {
      return { accepted: false, reason: 'uncommitted-size-exceeded', uncommittedSizeBytes };
    }
    const firstIndex = this.log.lastIndex + 1;
    this.log.append(payloads.map((payload, position) => ({ index: firstIndex + position, term: this.term, payload })));
    const lastIndex = firstIndex + payloads.length - 1;
    leader.trackProposal(lastIndex, sizeBytes);
    leader.broadcastAppend(false);
    return { accepted: true, firstIndex, lastIndex, term: this.term };
  }

  /**
   * The storage's durable index, read when called (not remembered from before a later truncation): every entry up to
   * it, as the log holds it now, survives a crash.
   */
  persisted(upToIndex: number): void {
    this.log.assertStorageApplied();
    this.log.persisted(upToIndex);
    if (this.role === 'leader') {
      if (this.leader!.maybeCommit()) this.leader!.broadcastAppend(true);
      return;
    }
    this.advanceFollowerCommit();
    if (this.leaderId !== undefined) this.acknowledge(this.leaderId, false);
  }

  /** The application durably took a snapshot at index (term) of its applied state; the caller may compact up to it. */
  snapshotTaken(index: number, term: number): void {
    this.log.assertStorageApplied();
    this.log.snapshotTaken(index, term);
  }

  /** The received snapshot (Ready.snapshotToInstall) is durable, the state replaced and the log emptied after it. */
  snapshotInstalled(index: number, term: number): void {
    this.log.finishInstall({ index, term });
    this.snapshotToInstall = undefined;
    this.knownCommitIndex = Math.max(this.knownCommitIndex, index);
    this.verifiedIndex = Math.max(this.verifiedIndex, index);
    this.acknowledgedIndex = Math.max(this.acknowledgedIndex, index);
    const to = this.leaderId ?? this.snapshotLeaderId;
    this.snapshotLeaderId = undefined;
    if (to !== undefined) this.sendSnapshotResponse(to, { index, term }, 'installed', 0);
    this.leaveRecoveryIfCaughtUp();
  }

  // ---- output ----

  hasReady(): boolean {
    return (
      this.log.hasPendingWrites ||
      this.snapshotChunks.length > 0 ||
      this.messages.length > 0 ||
      this.log.hasEntriesToApply ||
      this.snapshotToInstall !== undefined ||
      !sameHardState(this.hardState(), this.lastHardState) ||
      !sameSoftState(this.softState(), this.lastSoftState)
    );
  }

  /** Everything decided since the last call, as IO to do in the order Ready documents. */
  ready(): Ready {
    const writes = this.log.takeWrites();
    const hardState = this.hardState();
    const hardStateChanged = !sameHardState(hardState, this.lastHardState);
    const hardStateMustSync =
      hardState.term !== this.lastHardState.term ||
      hardState.votedFor !== this.lastHardState.votedFor ||
      hardState.logLostInTerm !== this.lastHardState.logLostInTerm;
    const softState = this.softState();
    const softStateChanged = !sameSoftState(softState, this.lastSoftState);
    const ready: Ready = {
      truncateAfterIndex: writes.truncateAfterIndex,
      entriesToAppend: writes.entriesToAppend,
      snapshotChunks: this.snapshotChunks,
      hardState: hardStateChanged ? hardState : undefined,
      hardStateMustSync,
      messages: this.messages,
      committedEntries: this.log.takeEntriesToApply(this.config.applySizeBytesMax),
      snapshotToInstall: this.snapshotToInstall,
      softState: softStateChanged ? softState : undefined,
    };
    this.lastHardState = hardState;
    this.lastSoftState = softState;
    this.snapshotChunks = [];
    this.messages = [];
    this.snapshotToInstall = undefined;
    return ready;
  }

  // ---- time ----

  private tickElection(): void {
    this.electionElapsedTicks++;
    if (this.electionElapsedTicks < this.randomizedElectionTimeoutTicks) return;
    if (this.recoveryTerm !== undefined || this.log.installingSnapshot !== undefined) return;
    this.becomePreCandidate();
  }

  private tickLeader(): void {
    this.electionElapsedTicks++;
    this.heartbeatElapsedTicks++;
    if (this.electionElapsedTicks >= this.config.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (!this.leader!.quorumActive()) {
        this.becomeFollower(this.term, undefined);
        return;
      }
    }
    if (this.heartbeatElapsedTicks >= this.config.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      this.leader!.broadcastHeartbeat();
      this.leader!.retransmitStalledSnapshots();
    }
  }

  private resetElectionTimer(): void {
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    const timeoutTicks = this.config.electionTimeoutTicks;
    this.randomizedElectionTimeoutTicks = timeoutTicks + Math.floor(this.random() * timeoutTicks);
  }

  /** Heard from a leader within the election timeout: votes are ignored so that a rejoining replica cannot depose it. */
  private get inLease(): boolean {
    return this.leaderId !== undefined && this.electionElapsedTicks < this.config.electionTimeoutTicks;
  }

  // ---- terms and roles ----

  /** A message from a later term; false when it is ignored. */
  private acceptHigherTerm(message: RaftMessage): boolean {
    if ((message.type === 'pre-vote-request' || message.type === 'vote-request') && this.inLease) return false;
    // A pre-vote asks about a term nobody is in yet: it changes nothing, and neither does a granted answer.
    if (message.type === 'pre-vote-request') return true;
    if (message.type === 'pre-vote-response' && message.granted) return true;
    this.becomeFollower(message.term, isFromLeader(message) ? message.from : undefined);
    return true;
  }

  /** A message from an earlier term: answered when that tells a stale leader or pre-candidate about the newer term. */
  private answerLowerTerm(message: RaftMessage): void {
    const envelope = { from: this.config.replicaId, to: message.from, term: this.term };
    if (isFromLeader(message)) this.send({ ...envelope, type: 'heartbeat-response' });
    else if (message.type === 'pre-vote-request') this.send({ ...envelope, type: 'pre-vote-response', granted: false });
  }

  private dispatch(message: RaftMessage): void {
    switch (message.type) {
      case 'pre-vote-request':
      case 'vote-request':
        return this.handleVoteRequest(message);
      case 'pre-vote-response':
        // Only a grant for the term this round proposes counts; anything else is a refusal.
        if (this.role === 'pre-candidate') this.recordVote(message.from, message.granted && message.term === this.term + 1);
        return;
      case 'vote-response':
        if (this.role === 'candidate') this.recordVote(message.from, message.granted);
        return;
      case 'append-request':
      case 'heartbeat-request':
      case 'snapshot-chunk':
        return this.handleLeaderMessage(message);
      case 'append-accepted':
        return this.leader?.handleAppendAccepted(message);
      case 'append-rejected':
        return this.leader?.handleAppendRejected(message);
      case 'heartbeat-response':
        return this.leader?.handleHeartbeatResponse(message);
      case 'snapshot-chunk-response':
        return this.leader?.handleSnapshotChunkResponse(message);
    }
  }

  private becomeFollower(term: number, leaderId: ReplicaId | undefined): void {
    assertInvariant(term >= this.term, () => `The term never goes backwards: ${this.term} to ${term}`);
    if (term > this.term) {
      this.term = term;
      this.votedFor = undefined;
      this.verifiedIndex = 0;
      this.acknowledgedIndex = 0;
      this.snapshotReceiver.abandon();
    }
    this.role = 'follower';
    this.leaderId = leaderId;
    this.leader = undefined;
    this.votes = undefined;
    this.resetElectionTimer();
  }

  private becomePreCandidate(): void {
    this.role = 'pre-candidate';
    this.leaderId = undefined;
    this.resetElectionTimer();
    this.startElection('pre-vote-request', this.term + 1);
  }

  private becomeCandidate(): void {
    this.term++;
    this.votedFor = this.config.replicaId;
    this.verifiedIndex = 0;
    this.acknowledgedIndex = 0;
    this.snapshotReceiver.abandon();
    this.role = 'candidate';
    this.leaderId = undefined;
    this.resetElectionTimer();
    this.startElection('vote-request', this.term);
  }

  private startElection(type: 'pre-vote-request' | 'vote-request', term: number): void {
    this.votes = new VoteTally(this.config.replicaIds.length);
    const lastLogIndex = this.log.lastIndex;
    const lastLogTerm = this.log.lastTerm;
    for (const replicaId of this.config.replicaIds) {
      if (replicaId !== this.config.replicaId) this.send({ type, from: this.config.replicaId, to: replicaId, term, lastLogIndex, lastLogTerm });
    }
    this.recordVote(this.config.replicaId, true);
  }

  private recordVote(from: ReplicaId, granted: boolean): void {
    const votes = this.votes!;
    votes.record(from, granted);
    const result = votes.result;
    if (result === 'lost') this.becomeFollower(this.term, undefined);
    else if (result === 'won' && this.role === 'pre-candidate') this.becomeCandidate();
    else if (result === 'won') this.becomeLeader();
  }

  private becomeLeader(): void {
    assertInvariant(this.role === 'candidate', () => `Only a candidate becomes leader, not a ${this.role}`);
    this.role = 'leader';
    this.leaderId = this.config.replicaId;
    this.votes = undefined;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.leader = new Leader({
      config: this.config,
      log: this.log,
      term: this.term,
      snapshotSource: this.snapshotSource,
      send: (message) => this.send(message),
    });
    // Committing an entry of its own term commits everything before it (Raft section 5.4.2): a no-op does that now.
    this.log.append([{ index: this.log.lastIndex + 1, term: this.term, payload: NO_OP_PAYLOAD }]);
    this.leader.broadcastAppend(false);
  }

  // ---- voting ----

  private handleVoteRequest(message: PreVoteRequest | VoteRequest): void {
    const preVote = message.type === 'pre-vote-request';
    const canVote =
      this.votedFor === message.from ||
      (this.votedFor === undefined && this.leaderId === undefined) ||
      (preVote && message.term > this.term);
    const granted = canVote && this.recoveryTerm === undefined && this.log.isUpToDate(message.lastLogIndex, message.lastLogTerm);
    const envelope = { from: this.config.replicaId, to: message.from };
    if (preVote) {
      this.send({ ...envelope, type: 'pre-vote-response', term: granted ? message.term : this.term, granted });
      return;
    }
    if (granted) {
      this.votedFor = message.from;
      this.electionElapsedTicks = 0;
    }
    // Ready marks the new vote as hard state to sync before this answer is sent.
    this.send({ ...envelope, type: 'vote-response', term: this.term, granted });
  }

  // ---- following ----

  private handleLeaderMessage(message: AppendRequest | HeartbeatRequest | SnapshotChunkRequest): void {
    assertInvariant(this.role !== 'leader', () => `Two leaders in term ${this.term}: ${this.config.replicaId} and ${message.from}`);
    assertInvariant(
      this.leaderId === undefined || this.leaderId === message.from,
      () => `Two leaders in term ${this.term}: ${this.leaderId} and ${message.from}`,
    );
    if (this.role !== 'follower' || this.leaderId === undefined) this.becomeFollower(this.term, message.from);
    this.electionElapsedTicks = 0;
    if (message.type === 'append-request') this.handleAppendRequest(message);
    else if (message.type === 'heartbeat-request') this.handleHeartbeat(message);
    else this.handleSnapshotChunk(message);
  }

  private handleAppendRequest(message: AppendRequest): void {
    // While a snapshot is being installed the log is about to be replaced: the leader retries afterwards.
    if (this.log.installingSnapshot !== undefined) return;
    let { previousLogIndex, previousLogTerm, entries } = message;
    assertInvariant(
      entries.every((entry, position) => entry.index === previousLogIndex + 1 + position),
      () => `An AppendRequest after entry ${previousLogIndex} carries entries ${entries.map((entry) => entry.index).join(', ')}`,
    );
    const commitIndex = this.log.commitIndex;
    if (previousLogIndex < commitIndex) {
      // The request starts inside the committed prefix: its entries there are the committed ones, skip them.
      const skipCount = commitIndex - previousLogIndex;
      if (entries.length <= skipCount) {
        this.verifiedIndex = Math.max(this.verifiedIndex, commitIndex);
        this.acknowledge(message.from, true);
        return;
      }
      const lastSkipped = entries[skipCount - 1];
      assertInvariant(
        this.log.termAt(lastSkipped.index) === lastSkipped.term,
        () => `The leader's entry ${lastSkipped.index} has term ${lastSkipped.term}, but the committed one here has term ${this.log.termAt(lastSkipped.index)}`,
      );
      previousLogIndex = commitIndex;
      previousLogTerm = lastSkipped.term;
      entries = entries.slice(skipCount);
    }
    if (!this.log.matchesTerm(previousLogIndex, previousLogTerm)) {
      this.rejectAppend(message.from, previousLogIndex, previousLogTerm);
      return;
    }
    this.appendFromLeader(entries);
    const lastNewIndex = previousLogIndex + entries.length;
    this.verifiedIndex = Math.max(this.verifiedIndex, lastNewIndex);
    this.knownCommitIndex = Math.max(this.knownCommitIndex, Math.min(message.leaderCommitIndex, lastNewIndex));
    this.advanceFollowerCommit();
    // Entries not durable yet are acknowledged by persisted(); otherwise answer now (the leader may be probing).
    this.acknowledge(message.from, lastNewIndex <= this.log.durableIndex);
  }

  /** Appends what the log lacks; a conflicting suffix (uncommitted entries of an older term) goes first. */
  private appendFromLeader(entries: readonly RaftEntry[]): void {
    const conflictIndex = this.log.findConflict(entries);
    if (conflictIndex === 0) return;
    assertInvariant(conflictIndex > this.log.commitIndex, () => `Entry ${conflictIndex} conflicts with the leader's, but it is committed (commit index ${this.log.commitIndex})`);
    if (conflictIndex <= this.log.lastIndex) this.log.truncateAfter(conflictIndex - 1);
    this.log.append(entries.slice(conflictIndex - entries[0].index));
  }

  private rejectAppend(leaderId: ReplicaId, previousLogIndex: number, previousLogTerm: number): void {
    const hintIndex = this.log.findConflictByTerm(previousLogIndex, previousLogTerm);
    this.send({
      type: 'append-rejected',
      from: this.config.replicaId,
      to: leaderId,
      term: this.term,
      rejectedPreviousLogIndex: previousLogIndex,
      hintIndex,
      hintTerm: this.log.termAt(hintIndex) ?? 0,
      followerLastIndex: this.log.lastIndex,
    });
  }

  /** Tells the leader how far this log matches its own durably; only beyond the last answer, unless forced. */
  private acknowledge(leaderId: ReplicaId, force: boolean): void {
    const matchIndex = Math.min(this.log.durableIndex, this.verifiedIndex);
    if (matchIndex <= this.acknowledgedIndex && !force) return;
    this.acknowledgedIndex = Math.max(this.acknowledgedIndex, matchIndex);
    this.send({ type: 'append-accepted', from: this.config.replicaId, to: leaderId, term: this.term, matchIndex });
  }

  private handleHeartbeat(message: HeartbeatRequest): void {
    this.knownCommitIndex = Math.max(this.knownCommitIndex, message.leaderCommitIndex);
    this.advanceFollowerCommit();
    this.send({ type: 'heartbeat-response', from: this.config.replicaId, to: message.from, term: this.term });
  }

  /** A follower commits what the leader committed, as far as its own log matches and is durable. */
  private advanceFollowerCommit(): void {
    if (this.log.installingSnapshot !== undefined) return;
    const commitIndex = Math.min(this.knownCommitIndex, this.log.durableIndex);
    if (commitIndex > this.log.commitIndex) this.log.commitTo(commitIndex);
    this.leaveRecoveryIfCaughtUp();
  }

  /**
   * A replica that lost its log may vote again once it holds, committed, an entry of a term later than the one it
   * had: that entry's leader held every entry committed before (leader completeness), and so does this log now.
   */
  private leaveRecoveryIfCaughtUp(): void {
    if (this.recoveryTerm === undefined) return;
    if ((this.log.termAt(this.log.commitIndex) ?? 0) > this.recoveryTerm) this.recoveryTerm = undefined;
  }

  // ---- receiving snapshots ----

  private handleSnapshotChunk(message: SnapshotChunkRequest): void {
    if (this.log.installingSnapshot !== undefined) return;
    const snapshot = { index: message.snapshotIndex, term: message.snapshotTerm };
    if (snapshot.index <= this.log.commitIndex) {
      this.sendSnapshotResponse(message.from, snapshot, 'installed', message.totalSizeBytes);
      return;
    }
    if (this.log.matchesTerm(snapshot.index, snapshot.term)) {
      // The log holds the snapshot's last entry, so everything up to it is the committed history already. Installing
      // would throw away the entries after it, which this replica may have acknowledged: a quorum could lose them.
      this.snapshotReceiver.abandon();
      this.verifiedIndex = Math.max(this.verifiedIndex, snapshot.index);
      this.knownCommitIndex = Math.max(this.knownCommitIndex, snapshot.index);
      this.advanceFollowerCommit();
      this.sendSnapshotResponse(message.from, snapshot, 'installed', message.totalSizeBytes);
      return;
    }
    const outcome = this.snapshotReceiver.receive(message);
    if (outcome.kind === 'rejected') {
      this.sendSnapshotResponse(message.from, snapshot, 'rejected', outcome.expectedOffsetBytes);
      return;
    }
    this.snapshotChunks.push(outcome.chunk);
    if (!outcome.complete) {
      this.sendSnapshotResponse(message.from, snapshot, 'accepted', message.offsetBytes + message.bytes.byteLength);
      return;
    }
    // The answer waits for snapshotInstalled: the leader must not count on a snapshot that is not durable.
    this.log.beginInstall(snapshot);
    this.snapshotToInstall = snapshot;
    this.snapshotLeaderId = message.from;
  }

  private sendSnapshotResponse(to: ReplicaId, snapshot: SnapshotMetadata, outcome: 'accepted' | 'rejected' | 'installed', nextOffsetBytes: number): void {
    this.send({
      type: 'snapshot-chunk-response',
      from: this.config.replicaId,
      to,
      term: this.term,
      snapshotIndex: snapshot.index,
      snapshotTerm: snapshot.term,
      outcome,
      nextOffsetBytes,
    });
  }

  // ---- helpers ----

  private send(message: RaftMessage): void {
    this.messages.push(message);
  }

  private hardState(): HardState {
    const hardState: HardState = { term: this.term, votedFor: this.votedFor, commitIndex: this.log.commitIndex };
    if (this.recoveryTerm !== undefined) hardState.logLostInTerm = this.recoveryTerm;
    return hardState;
  }

  private softState(): SoftState {
    return { role: this.role, term: this.term, leaderId: this.leaderId };
  }
}

function sameHardState(left: HardState, right: HardState): boolean {
  return (
    left.term === right.term &&
    left.votedFor === right.votedFor &&
    left.commitIndex === right.commitIndex &&
    left.logLostInTerm === right.logLostInTerm
  );
}

function sameSoftState(left: SoftState, right: SoftState): boolean {
  return left.role === right.role && left.term === right.term && left.leaderId === right.leaderId;
}
