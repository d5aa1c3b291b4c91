import type { SegmentedLog } from '../log/index.js';
import type { StateStore } from '../state/index.js';
import type { CommandLimiter } from './backpressure/index.js';
import type { SubmittingPartition } from './local-broker-client.js';

/** What the broker needs of a partition: a single broker's Partition, or a replica in a cluster. */
export interface BrokerPartition extends SubmittingPartition {
  readonly log: SegmentedLog;
  readonly store: StateStore;
  readonly pendingCommandCount: number;
  /** The adaptive limit on commands in flight (back-pressure). */
  readonly backpressure: CommandLimiter;
  /** Log entries up to this index are committed (durable on a quorum): exporters read up to here. */
  readonly committedIndex: number;
  /** Takes a snapshot and compacts the log below it, never past exportedPosition. */
  snapshotAndCompact(exportedPosition: number): Promise<void>;
  close(): Promise<void>;
}
