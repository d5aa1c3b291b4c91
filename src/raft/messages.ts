import type { RaftEntry } from './log-storage.js';
import type { ReplicaId } from './raft-config.js';

/**
 * Messages between the replicas of one Raft group. Every message carries the sender's term; a replica that sees a
 * higher term adopts it (except for pre-votes, which must not disturb anyone), and answers a lower one so that a
 * stale leader or candidate learns it is stale.
 */
interface MessageEnvelope {
  from: ReplicaId;
  to: ReplicaId;
  term: number;
}

/** "Would you vote for me in term?", sent before campaigning so that a replica cut off from the group does not raise the term. */
export interface PreVoteRequest extends MessageEnvelope {
  type: 'pre-vote-request';
  lastLogIndex: number;
  lastLogTerm: number;
}

/** term is the proposed term when granted, the responder's term when refused. */
export interface PreVoteResponse extends MessageEnvelope {
  type: 'pre-vote-response';
  granted: boolean;
}

export interface VoteRequest extends MessageEnvelope {
  type: 'vote-request';
  lastLogIndex: number;
  lastLogTerm: number;
}

export interface VoteResponse extends MessageEnvelope {
  type: 'vote-response';
  granted: boolean;
}

export interface AppendRequest extends MessageEnvelope {
  type: 'append-request';
  previousLogIndex: number;
  previousLogTerm: number;
  /** Consecutive entries from previousLogIndex + 1; empty when the request only carries the commit index. */
  entries: RaftEntry[];
  leaderCommitIndex: number;
}

/** Sent once the follower's log matches the leader's up to matchIndex and is durable up to it. */
export interface AppendAccepted extends MessageEnvelope {
  type: 'append-accepted';
  matchIndex: number;
}

/**
 * The follower has no entry at rejectedPreviousLogIndex with the requested term. The hint lets the leader skip a
 * whole term of conflicting entries in one round trip: hintIndex is the last entry at or before the rejected one
 * whose term is at most the requested term, hintTerm its term.
 */
export interface AppendRejected extends MessageEnvelope {
  type: 'append-rejected';
  rejectedPreviousLogIndex: number;
  hintIndex: number;
  hintTerm: number;
  /** The follower's last index: below the leader's match index only when the follower lost its log. */
  followerLastIndex: number;
}

/** Keeps followers from campaigning and carries the commit index, capped at what the follower is known to match. */
export interface HeartbeatRequest extends MessageEnvelope {
  type: 'heartbeat-request';
  leaderCommitIndex: number;
}

export interface HeartbeatResponse extends MessageEnvelope {
  type: 'heartbeat-response';
}

/** One chunk of a snapshot, for a follower that needs entries the leader has compacted away. */
export interface SnapshotChunkRequest extends MessageEnvelope {
  type: 'snapshot-chunk';
  snapshotIndex: number;
  snapshotTerm: number;
  offsetBytes: number;
  totalSizeBytes: number;
  bytes: Uint8Array;
}

/**
 * accepted: the chunk was taken, the follower now expects nextOffsetBytes. rejected: the chunk was not the one the
 * follower expects (it restarted, or chunks were lost or reordered); it wants nextOffsetBytes next. installed: the
 * follower holds the snapshot (installed and durable, or covered by its commit index already).
 */
export interface SnapshotChunkResponse extends MessageEnvelope {
  type: 'snapshot-chunk-response';
  snapshotIndex: number;
  snapshotTerm: number;
  outcome: 'accepted' | 'rejected' | 'installed';
  nextOffsetBytes: number;
}

export type RaftMessage =
  | PreVoteRequest
  | PreVoteResponse
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendAccepted
  | AppendRejected
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotChunkRequest
  | SnapshotChunkResponse;

export type RaftMessageType = RaftMessage['type'];

/** Messages only a leader sends: receiving one names the sender as the leader of its term. */
export function isFromLeader(message: RaftMessage): message is AppendRequest | HeartbeatRequest | SnapshotChunkRequest {
  return message.type === 'append-request' || message.type === 'heartbeat-request' || message.type === 'snapshot-chunk';
}
