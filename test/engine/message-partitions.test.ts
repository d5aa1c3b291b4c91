import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subscriptionPartitionId, type Intent, type ValueType } from '../../src/protocol/index.js';
import { EngineHarness } from './engine-harness.js';

/**
 * Two partitions of a three-partition cluster, connected the way the broker connects them: commands one sends
 * another (as 'send-command' side effects) are written to the other. Messages meet their subscriptions on the
 * partition their correlation key hashes to, wherever the process instance lives.
 */
describe('message correlation across partitions', () => {
  const partitionCount = 3;
  let partitions: Map<number, EngineHarness>;
  let delivered: number;

  beforeEach(async () => {
    partitions = new Map();
    for (const partitionId of [1, 2, 3]) partitions.set(partitionId, await EngineHarness.create({ partitionId, partitionCount }));
    delivered = 0;
  });
  afterEach(async () => {
    for (const harness of partitions.values()) await harness.close();
  });

  /** Delivers every command sent between partitions until none is left. */
  function pump(): void {
    for (let round = 0; round < 100; round++) {
      let sent = 0;
      for (const harness of partitions.values()) {
        const effects = harness.sideEffects.splice(0);
        for (const effect of effects) {
          if (effect.kind !== 'send-command') continue;
          const { valueType, intent, key, value } = effect.command;
          partitions.get(effect.partitionId)!.write(valueType as ValueType, intent as Intent, value, key);
          sent++;
          delivered++;
        }
      }
      if (sent === 0) return;
    }
  }

  it('given an instance on partition 1 waiting for a key that hashes to another partition, when the message is published there, then it correlates', () => {
    // given a correlation key that does not hash to partition 1
    const correlationKey = ['a', 'b', 'c', 'd', 'e', 'f'].find((candidate) => subscriptionPartitionId(candidate, partitionCount) !== 1)!;
    const messagePartition = partitions.get(subscriptionPartitionId(correlationKey, partitionCount))!;
    const instancePartition = partitions.get(1)!;
    instancePartition.deploy('message-catch.bpmn');
    const key = instancePartition.createInstance('message-catch', { orderId: correlationKey });
    pump();
    expect(messagePartition.find('MESSAGE_SUBSCRIPTION', 'CREATED')).toHaveLength(1);
    expect(instancePartition.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CREATED')).toHaveLength(1);
    // when
    messagePartition.publishMessage('payment-received', correlationKey, { variables: { paid: true } });
    pump();
    // then
    expect(instancePartition.elementEvents(key).at(-1)).toBe('message-catch:ELEMENT_COMPLETED');
    expect(messagePartition.find('MESSAGE_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
    expect(delivered).toBeGreaterThanOrEqual(4);
  });
});
