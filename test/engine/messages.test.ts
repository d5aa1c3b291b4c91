import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subscriptionPartitionId } from '../../src/protocol/index.js';
import { EngineHarness } from './engine-harness.js';

describe('messages', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('given an instance waiting at a message catch event, when the message is published, then it correlates and the instance completes', () => {
    // given
    engine.deploy('message-catch.bpmn');
    const key = engine.createInstance('message-catch', { orderId: 'o-1' });
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CREATED')).toHaveLength(1);
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'CREATED')[0].value).toMatchObject({ messageName: 'payment-received', correlationKey: 'o-1' });
    // when
    const published = engine.publishMessage('payment-received', 'o-1', { variables: { amount: 42 } });
    // then
    expect(published?.intent).toBe('PUBLISHED');
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
    expect(engine.elementEvents(key).slice(-9)).toEqual([
      'wait-for-payment:ELEMENT_COMPLETING',
      'wait-for-payment:ELEMENT_COMPLETED',
      'to-end:SEQUENCE_FLOW_TAKEN',
      'end:ELEMENT_ACTIVATING',
      'end:ELEMENT_ACTIVATED',
      'end:ELEMENT_COMPLETING',
      'end:ELEMENT_COMPLETED',
      'message-catch:ELEMENT_COMPLETING',
      'message-catch:ELEMENT_COMPLETED',
    ]);
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'amount')[0].value.scopeKey).toBe(key);
  });

  it('given a message published with a time to live, when an instance subscribes later, then the buffered message correlates', () => {
    // given
    engine.deploy('message-catch.bpmn');
    engine.publishMessage('payment-received', 'o-2', { timeToLive: 60_000, variables: { early: true } });
    // when
    const key = engine.createInstance('message-catch', { orderId: 'o-2' });
    // then
    expect(engine.elementEvents(key)).toContain('message-catch:ELEMENT_COMPLETED');
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'early')).toHaveLength(1);
  });

  it('given a buffered message, when its time to live ends, then it expires and no longer correlates', () => {
    // given
    engine.deploy('message-catch.bpmn');
    engine.publishMessage('payment-received', 'o-3', { timeToLive: 1_000 });
    // when
    engine.advanceTime(1_500);
    const key = engine.createInstance('message-catch', { orderId: 'o-3' });
    // then
    expect(engine.find('MESSAGE', 'EXPIRED')).toHaveLength(1);
    expect(engine.elementEvents(key)).not.toContain('message-catch:ELEMENT_COMPLETED');
  });

  it('given a message without a time to live, then it expires at once', () => {
    engine.publishMessage('nobody-waits', 'x');
    expect(engine.find('MESSAGE').map((record) => record.intent)).toEqual(['PUBLISHED', 'EXPIRED']);
  });

  it('given a living message with an id, when another message with that id is published, then it is rejected as ALREADY_EXISTS', () => {
    // given
    engine.publishMessage('payment-received', 'o-4', { timeToLive: 60_000, messageId: 'm-1' });
    // when
    const again = engine.publishMessage('payment-received', 'o-4', { timeToLive: 60_000, messageId: 'm-1' });
    // then
    expect(again?.recordType).toBe('COMMAND_REJECTION');
    expect(again?.rejectionType).toBe('ALREADY_EXISTS');
    expect(again?.rejectionReason).toBe(
      "Expected to publish a new message with id 'm-1', but a message with that id was already published",
    );
    // and once the first expired, the id is free again
    engine.advanceTime(61_000);
    expect(engine.publishMessage('payment-received', 'o-4', { messageId: 'm-1' })?.intent).toBe('PUBLISHED');
  });

  it('given a receive task with an output mapping, when its message arrives, then the mapping decides what propagates', () => {
    // given
    engine.deploy('receive-task.bpmn');
    const key = engine.createInstance('receive-task', { orderId: 'o-5' });
    // when
    engine.publishMessage('confirmation', 'o-5', { variables: { status: 'ok' } });
    // then
    expect(engine.elementEvents(key)).toContain('receive-task:ELEMENT_COMPLETED');
    const propagated = engine.find('VARIABLE', 'CREATED', (value) => value.name === 'confirmationStatus');
    expect(propagated.map((record) => [record.value.scopeKey, record.value.value])).toEqual([[key, '"ok"']]);
  });

  it('given an interrupting message boundary event, when the message arrives, then the task is terminated and the boundary path taken', () => {
    // given
    engine.deploy('message-boundary-interrupting.bpmn');
    const key = engine.createInstance('message-boundary-interrupting', { orderId: 'o-6' });
    // when
    engine.publishMessage('cancel', 'o-6');
    // then
    const events = engine.elementEvents(key);
    expect(events).toContain('work:ELEMENT_TERMINATED');
    expect(events.indexOf('boundary:ELEMENT_ACTIVATING')).toBeGreaterThan(events.indexOf('work:ELEMENT_TERMINATED'));
    expect(events).toContain('boundary-end:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('message-boundary-interrupting:ELEMENT_COMPLETED');
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
  });

  it('given a non-interrupting message boundary event, when the message arrives twice, then the boundary path runs twice beside the task', () => {
    // given
    engine.deploy('message-boundary-non-interrupting.bpmn');
    const key = engine.createInstance('message-boundary-non-interrupting', { orderId: 'o-7' });
    // when
    engine.publishMessage('cancel', 'o-7');
    engine.publishMessage('cancel', 'o-7');
    // then
    const events = engine.elementEvents(key);
    expect(events.filter((event) => event === 'boundary-end:ELEMENT_COMPLETED')).toHaveLength(2);
    expect(events).not.toContain('work:ELEMENT_TERMINATED');
    // and when the task completes, its subscription is closed and the instance completes
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    expect(engine.elementEvents(key).at(-1)).toBe('message-boundary-non-interrupting:ELEMENT_COMPLETED');
  });

  it('given a waiting instance, when it is cancelled, then its message subscription is closed on both sides', () => {
    engine.deploy('message-catch.bpmn');
    const key = engine.createInstance('message-catch', { orderId: 'o-8' });
    engine.write('PROCESS_INSTANCE', 'CANCEL', {}, key);
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'DELETING')).toHaveLength(1);
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    engine.publishMessage('payment-received', 'o-8');
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'CORRELATING')).toHaveLength(0);
  });

  it('given a message start event, when messages are published, then one instance is active per correlation key', () => {
    // given
    engine.deploy('message-start.bpmn');
    expect(engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED')).toHaveLength(1);
    // when
    engine.publishMessage('order-placed', 'customer-1', { variables: { item: 'book' } });
    engine.publishMessage('order-placed', 'customer-1');
    engine.publishMessage('order-placed', 'customer-2');
    // then
    const started = engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED');
    expect(started.map((record) => record.value.correlationKey)).toEqual(['customer-1', 'customer-2']);
    const first = started[0].value.processInstanceKey;
    expect(engine.elementEvents(first).slice(0, 4)).toEqual([
      'message-start:ELEMENT_ACTIVATING',
      'message-start:ELEMENT_ACTIVATED',
      'order-placed:ELEMENT_ACTIVATING',
      'order-placed:ELEMENT_ACTIVATED',
    ]);
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'item')[0].value.scopeKey).toBe(first);
    // and once the first instance completes, the key is free for a new instance
    const jobKey = (engine.activateJobs('work', 1).value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    engine.publishMessage('order-placed', 'customer-1');
    expect(engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED')).toHaveLength(3);
  });

  it('given a buffered message waiting for an active instance of its correlation key, when that instance completes, then the message starts the next one', () => {
    // given
    engine.deploy('message-start.bpmn');
    engine.publishMessage('order-placed', 'customer-1');
    engine.publishMessage('order-placed', 'customer-1', { timeToLive: 60_000, variables: { second: true } });
    expect(engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
    // when
    const jobKey = (engine.activateJobs('work', 1).value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    // then
    const started = engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED');
    expect(started).toHaveLength(2);
    expect(started[1].value.variables).toEqual({ second: true });
  });

  it('given a process with only a message start event, then creating an instance is rejected', () => {
    engine.deploy('message-start.bpmn');
    const response = engine.write('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'message-start', version: -1, variables: {} });
    expect(response?.rejectionType).toBe('INVALID_STATE');
    expect(response?.rejectionReason).toBe('Expected to create instance of process with none start event, but there is no such event');
  });

  it('routes a correlation key to a partition as Zeebe does (Java String#hashCode over UTF-8 bytes)', () => {
    // Java: Math.abs("order-123".hashCode() % 3) + 1 == 2; "a".hashCode() == 97
    expect(subscriptionPartitionId('order-123', 3)).toBe(Math.abs(javaHash('order-123') % 3) + 1);
    expect(subscriptionPartitionId('a', 3)).toBe((97 % 3) + 1);
    expect(subscriptionPartitionId('', 5)).toBe(1);
    expect(subscriptionPartitionId('anything', 1)).toBe(1);
  });
});

function javaHash(text: string): number {
  let hash = 0;
  for (const char of text) hash = (Math.imul(31, hash) + char.charCodeAt(0)) | 0;
  return hash;
}
