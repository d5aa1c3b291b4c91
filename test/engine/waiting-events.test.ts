import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

/** Event-based gateways with a signal, receive tasks with boundary events, and how buffered messages correlate. */
describe('waiting for events', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const broadcast = (signalName: string) => engine.write('SIGNAL', 'BROADCAST', { signalName, variables: {}, tenantId: '<default>' });

  it('given an event-based gateway with message, signal and timer, when the signal comes first, then its path is taken and the others are closed', () => {
    // given
    engine.deploy('event-based-gateway-signal.bpmn');
    const key = engine.createInstance('event-based-gateway-signal', { orderId: 'o-1' });
    // when
    broadcast('orders-cancelled');
    // then
    const events = engine.elementEvents(key);
    expect(events).toContain('cancel-end:ELEMENT_COMPLETED');
    expect(events).not.toContain('payment:ELEMENT_ACTIVATING');
    expect(events).not.toContain('timeout:ELEMENT_ACTIVATING');
    expect(events.at(-1)).toBe('event-based-gateway-signal:ELEMENT_COMPLETED');
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    expect(engine.find('SIGNAL_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    // and a later signal or message finds nothing to trigger
    broadcast('orders-cancelled');
    engine.publishMessage('payment-received', 'o-1');
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.elementId === 'cancelled')).toHaveLength(1);
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CORRELATED')).toEqual([]);
  });

  it('given an event-based gateway with a signal, when the timer fires first, then the signal subscription is deleted', () => {
    engine.deploy('event-based-gateway-signal.bpmn');
    const key = engine.createInstance('event-based-gateway-signal', { orderId: 'o-2' });
    engine.advanceTime(3_600_000);
    expect(engine.elementEvents(key)).toContain('timed-out:ELEMENT_COMPLETED');
    expect(engine.find('SIGNAL_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
  });

  it('given a receive task with an interrupting timer boundary event, when the timer fires, then the task and its message subscriptions are closed', () => {
    engine.deploy('receive-task-boundary.bpmn');
    const key = engine.createInstance('receive-task-boundary', { orderId: 'o-3' });
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'CREATED')).toHaveLength(2);
    engine.advanceTime(10 * 60_000);
    const events = engine.elementEvents(key);
    expect(events).toContain('receive:ELEMENT_TERMINATED');
    expect(events).toContain('expired-end:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('receive-task-boundary:ELEMENT_COMPLETED');
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(2);
  });

  it('given a receive task with a non-interrupting message boundary event, then the reminder runs beside it and the confirmation completes it', () => {
    engine.deploy('receive-task-boundary.bpmn');
    const key = engine.createInstance('receive-task-boundary', { orderId: 'o-4' });
    engine.publishMessage('reminder', 'o-4');
    expect(engine.elementEvents(key)).toContain('reminded-end:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key)).not.toContain('receive:ELEMENT_TERMINATING');
    engine.publishMessage('confirmation', 'o-4');
    expect(engine.elementEvents(key)).toContain('end:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key).at(-1)).toBe('receive-task-boundary:ELEMENT_COMPLETED');
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
  });

  it('given a buffered message, then it correlates to one instance of a process only, not to a second one with the same key', () => {
    engine.deploy('message-catch.bpmn');
    engine.publishMessage('payment-received', 'o-5', { timeToLive: 60_000 });
    const first = engine.createInstance('message-catch', { orderId: 'o-5' });
    const second = engine.createInstance('message-catch', { orderId: 'o-5' });
    expect(engine.elementEvents(first).at(-1)).toBe('message-catch:ELEMENT_COMPLETED');
    expect(engine.elementEvents(second).at(-1)).not.toBe('message-catch:ELEMENT_COMPLETED');
  });

  it('given two instances waiting with the same key, when one message is published, then only one of them gets it', () => {
    engine.deploy('message-catch.bpmn');
    engine.createInstance('message-catch', { orderId: 'o-6' });
    engine.createInstance('message-catch', { orderId: 'o-6' });
    engine.publishMessage('payment-received', 'o-6');
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'CORRELATED')).toHaveLength(1);
  });

  it('given a living message with an id, then the same id is accepted for another correlation key', () => {
    engine.publishMessage('payment-received', 'o-7', { timeToLive: 60_000, messageId: 'm-7' });
    expect(engine.publishMessage('payment-received', 'o-8', { timeToLive: 60_000, messageId: 'm-7' })?.intent).toBe('PUBLISHED');
    expect(engine.publishMessage('payment-received', 'o-7', { timeToLive: 60_000, messageId: 'm-7' })?.rejectionType).toBe('ALREADY_EXISTS');
  });
});
