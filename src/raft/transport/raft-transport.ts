import type { RaftMessage } from '../messages.js';

/**
 * How the replicas of Raft groups reach each other: best effort, in order per connection, no acknowledgement. Raft
 * tolerates lost messages (it retries on ticks), so a full queue drops instead of blocking. Replica ids are node ids.
 */
export interface RaftTransport {
  send(groupId: number, message: RaftMessage): void;
  /** Receives the messages of groupId addressed to this node; returns the unsubscribe function. */
  subscribe(groupId: number, handler: (message: RaftMessage) => void): () => void;
}
