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
export { SegmentedLogStorage } from './segmented-log-storage.js';
export { HardStateFile, HardStateCorruptedError, HARD_STATE_FORMAT_VERSION } from './hard-state-file.js';
export {
  RaftServer,
  RaftProposalError,
  type CommittedPosition,
  type RaftProposalFailure,
  type RaftServerOptions,
  type RaftSnapshotStore,
} from './raft-server.js';
export type { RaftTransport } from './transport/raft-transport.js';
export { TcpTransport, type PeerAddress, type TcpTransportOptions } from './transport/tcp-transport.js';
export { SYSTEM_TIMERS, type Timers } from './transport/timers.js';
export { decodeRaftMessage, encodeRaftMessage, readRaftMessage, validateRaftMessage, MESSAGE_FORMAT_VERSION } from './transport/v1/message-codec.js';
export { WIRE_FORMAT_VERSION } from './transport/v1/frame-codec.js';
