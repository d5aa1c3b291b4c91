import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { subscriptionPartitionId, type Intent, type ValueType } from '../../src/protocol/index.js';
import { EngineHarness, FIXTURES } from './engine-harness.js';

/**
 * Message start events on a three-partition cluster: a message is published on the partition its correlation key
 * hashes to, so every partition has the message start events of a process's latest version.
 */
describe('message start events across partitions', () => {
  const partitionCount = 3;
  let partitions: Map<number, EngineHarness>;

  beforeEach(async () => {
    partitions = new Map();
    for (const partitionId of [1, 2, 3]) partitions.set(partitionId, await EngineHarness.create({ partitionId, partitionCount }));
  });
  afterEach(async () => {
    for (const harness of partitions.values()) await harness.close();
  });

  /** Delivers every command sent between partitions until none is left, as the broker does. */
  function pump(): void {
    for (let round = 0; round < 100; round++) {
      let sent = 0;
      for (const harness of partitions.values()) {
        for (const effect of harness.sideEffects.splice(0)) {
          if (effect.kind !== 'send-command') continue;
          const { valueType, intent, key, value } = effect.command;
          partitions.get(effect.partitionId)!.write(valueType as ValueType, intent as Intent, value, key);
          sent++;
        }
      }
      if (sent === 0) return;
    }
  }

  it('given a message start event deployed on partition 1, when a message is published on another partition, then it starts an instance there', () => {
    // given
    const correlationKey = ['a', 'b', 'c', 'd', 'e', 'f'].find((candidate) => subscriptionPartitionId(candidate, partitionCount) !== 1)!;
    const messagePartition = partitions.get(subscriptionPartitionId(correlationKey, partitionCount))!;
    partitions.get(1)!.deploy('message-start.bpmn');
    pump();
    expect(messagePartition.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED')).toHaveLength(1);
    // when
    messagePartition.publishMessage('order-placed', correlationKey);
    // then
    expect(messagePartition.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
    expect(messagePartition.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'PROCESS')).toHaveLength(1);
  });

  it('given the latest version deleted, then every partition closes its message start event and opens the previous version\'s', () => {
    // given two versions, distributed
    const first = partitions.get(1)!;
    first.deploy('message-start.bpmn');
    const xml = readFileSync(join(FIXTURES, 'message-start.bpmn'), 'utf8').replace('id="end"', 'id="end" name="v2"');
    const second = (first.deployXml('message-start.bpmn', xml)?.value as any).processesMetadata[0];
    pump();
    // when
    first.write('RESOURCE_DELETION', 'DELETE', { resourceKey: second.processDefinitionKey, tenantId: '<default>' });
    pump();
    // then
    for (const harness of partitions.values()) {
      const created = harness.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED').map((record) => record.value.processDefinitionKey);
      const deleted = harness.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'DELETED').map((record) => record.value.processDefinitionKey);
      expect(created.length).toBe(3);
      expect(created[0]).toBe(created[2]);
      expect(deleted).toEqual([created[0], second.processDefinitionKey]);
      expect(harness.find('TIMER', 'CREATED')).toEqual([]);
    }
  });

  it('given a partition whose latest version lost its message start subscription (data of an older build), then its repair commands open it once', () => {
    // given a distributed deployment, and partition 2 as an older build left it
    partitions.get(1)!.deploy('message-start.bpmn');
    pump();
    for (const harness of partitions.values()) expect(harness.engine.repairCommands()).toEqual([]);
    const second = partitions.get(2)!;
    const [subscription] = second.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED');
    second.engine.state.subscriptions.removeMessageStartSubscription(subscription.value);
    // when the partition writes its repair commands, twice (as two leaders in a row would)
    const repairs = second.engine.repairCommands();
    expect(repairs.map((repair) => [repair.valueType, repair.intent])).toEqual([['DEPLOYMENT', 'DISTRIBUTE']]);
    for (const repair of [...repairs, ...repairs]) second.write(repair.valueType, repair.intent, repair.value, repair.key);
    // then the subscription is open again, once, and a message published there starts an instance
    expect(second.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED').map((record) => record.value)).toEqual([subscription.value, subscription.value]);
    expect(second.engine.repairCommands()).toEqual([]);
    const correlationKey = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find((candidate) => subscriptionPartitionId(candidate, partitionCount) === 2)!;
    second.publishMessage('order-placed', correlationKey);
    expect(second.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'PROCESS')).toHaveLength(1);
  });
});
