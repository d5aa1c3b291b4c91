import type { SnapshotChunkRequest } from './messages.js';
import type { ReplicaId } from './raft-config.js';

/** A chunk of the snapshot being received, for the caller to write at offsetBytes of that snapshot's file. */
export interface ReceivedSnapshotChunk {
  snapshotIndex: number;
  snapshotTerm: number;
  /** 0 starts a new snapshot: the caller discards whatever it received before. */
  offsetBytes: number;
  totalSizeBytes: number;
  bytes: Uint8Array;
}

interface Transfer {
  term: number;
  leaderId: ReplicaId;
  snapshotIndex: number;
  snapshotTerm: number;
  totalSizeBytes: number;
  receivedOffsetBytes: number;
}

export type ChunkOutcome =
  | { kind: 'rejected'; expectedOffsetBytes: number }
  | { kind: 'accepted'; chunk: ReceivedSnapshotChunk; complete: boolean };

/**
 * The follower's side of InstallSnapshot: chunks are taken strictly in order, and only from the leader of the current
 * term. The transfer lives in memory only, so after a restart the follower expects offset 0 again and the leader,
 * told so by the rejection, starts the transfer over cleanly.
 */
export class SnapshotReceiver {
  private transfer: Transfer | undefined;

  receive(message: SnapshotChunkRequest): ChunkOutcome {
    // A chunk at offset 0 starts a new transfer, unless it repeats the first chunk of the current one (duplicated by
    // the network, or resent after a lost acknowledgement): then the follower keeps what it has and says where it is.
    if (message.offsetBytes === 0 && (this.transfer === undefined || !this.isSameSnapshot(this.transfer, message))) {
      this.transfer = {
        term: message.term,
        leaderId: message.from,
        snapshotIndex: message.snapshotIndex,
        snapshotTerm: message.snapshotTerm,
        totalSizeBytes: message.totalSizeBytes,
        receivedOffsetBytes: 0,
      };
    }
    const transfer = this.transfer;
    if (transfer === undefined || !this.isSameSnapshot(transfer, message)) return { kind: 'rejected', expectedOffsetBytes: 0 };
    const endOffsetBytes = message.offsetBytes + message.bytes.byteLength;
    if (message.offsetBytes !== transfer.receivedOffsetBytes || endOffsetBytes > transfer.totalSizeBytes) {
      return { kind: 'rejected', expectedOffsetBytes: transfer.receivedOffsetBytes };
    }
    transfer.receivedOffsetBytes = endOffsetBytes;
    const complete = endOffsetBytes === transfer.totalSizeBytes;
    if (complete) this.transfer = undefined;
    const chunk: ReceivedSnapshotChunk = {
      snapshotIndex: message.snapshotIndex,
      snapshotTerm: message.snapshotTerm,
      offsetBytes: message.offsetBytes,
      totalSizeBytes: message.totalSizeBytes,
      bytes: message.bytes,
    };
    return { kind: 'accepted', chunk, complete };
  }

  /** A new term or a new leader: whatever was received belongs to a transfer nobody continues. */
  abandon(): void {
    this.transfer = undefined;
  }

  private isSameSnapshot(transfer: Transfer, message: SnapshotChunkRequest): boolean {
    return (
      transfer.term === message.term &&
      transfer.leaderId === message.from &&
      transfer.snapshotIndex === message.snapshotIndex &&
      transfer.snapshotTerm === message.snapshotTerm &&
      transfer.totalSizeBytes === message.totalSizeBytes
    );
  }
}
