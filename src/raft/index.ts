export type { HardState, RaftEntry, RaftLogStorage, SnapshotChunk, SnapshotMetadata, SnapshotSource } from './log-storage.js';
export type {
  AppendAccepted,
  AppendRejected,
  AppendRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  PreVoteRequest,
  PreVoteResponse,
  RaftMessage,
  RaftMessageType,
  SnapshotChunkRequest,
  SnapshotChunkResponse,
  VoteRequest,
  VoteResponse,
} from './messages.js';
export type { RaftConfig, RaftConfigInput, ReplicaId } from './raft-config.js';
export { RAFT_CONFIG_DEFAULTS, quorumSize, resolveRaftConfig } from './raft-config.js';
export { RaftInvariantError } from './raft-invariant.js';
export type { RaftRole, Ready, SoftState } from './ready.js';
export type { ReceivedSnapshotChunk } from './snapshot-receiver.js';
export type { ReplicationState } from './progress.js';
export { RaftNode, type ProposeResult, type RaftNodeOptions, type RaftStatus } from './raft-node.js';
export { MemoryRaftLogStorage } from './memory-log-storage.js';
