import type { HardState, RaftEntry, SnapshotMetadata } from './log-storage.js';
import type { RaftMessage } from './messages.js';
import type { ReplicaId } from './raft-config.js';
import type { ReceivedSnapshotChunk } from './snapshot-receiver.js';

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** What the broker needs to know to start or stop processing: never persisted. */
export interface SoftState {
  role: RaftRole;
  term: number;
  leaderId: ReplicaId | undefined;
}

/**
 * Everything a RaftNode decided since the last Ready, as IO for the caller to do in this order:
 *
 * 1. Storage writes. Remove the entries after truncateAfterIndex (when set), then append entriesToAppend; write
 *    snapshotChunks into the snapshot being received (offset 0 starts a new one). Apply them before the next input:
 *    the node reads the log back through RaftLogStorage. Durability may come later: flush, then report the
 *    storage's durable index with persisted().
 * 2. hardState, when set. When hardStateMustSync it must be durable before any message of this Ready is sent (a vote
 *    or a new term must survive a crash); otherwise it may be written lazily.
 * 3. messages, to their replicas, in order. Nothing here waits for step 1's flush: the node holds back what depends
 *    on it (a follower's acknowledgement) until persisted() says the entries are durable.
 * 4. committedEntries, applied to the state machine in order.
 * 5. snapshotToInstall, when set: make the received snapshot durable, replace the state with it, replace the log
 *    with an empty one that continues after snapshotToInstall.index, then call snapshotInstalled().
 */
export interface Ready {
  truncateAfterIndex: number | undefined;
  entriesToAppend: RaftEntry[];
  snapshotChunks: ReceivedSnapshotChunk[];
  hardState: HardState | undefined;
  hardStateMustSync: boolean;
  messages: RaftMessage[];
  committedEntries: RaftEntry[];
  snapshotToInstall: SnapshotMetadata | undefined;
  /** Set when the role, term or leader changed. */
  softState: SoftState | undefined;
}
