import { subscriptionPartitionId, type Intent, type ValueType } from '../../protocol/index.js';
import type { Writers } from '../writers.js';

/**
 * Sends commands to a partition: to this one as a follow-up command of the batch, to another one as a side effect
 * that the broker delivers once the batch is durable (Zeebe's inter-partition command sender).
 */
export class CommandSender {
  constructor(
    private readonly partitionId: number,
    private readonly partitionCount: number,
    private readonly writers: Writers,
  ) {}

  /** The partition of the messages and message subscriptions of a correlation key. */
  messagePartitionOf(correlationKey: string): number {
    return subscriptionPartitionId(correlationKey, this.partitionCount);
  }

  /** Every partition but this one (partitions are numbered 1 to partitionCount). */
  otherPartitionIds(): number[] {
    const ids: number[] = [];
    for (let id = 1; id <= this.partitionCount; id++) if (id !== this.partitionId) ids.push(id);
    return ids;
  }

  send(partitionId: number, valueType: ValueType, intent: Intent, key: bigint, value: object): void {
    if (partitionId === this.partitionId) {
      this.writers.appendCommand(key, valueType, intent, value);
      return;
    }
    this.writers.sideEffect({ kind: 'send-command', partitionId, command: { valueType, intent, key, value } });
  }
}
