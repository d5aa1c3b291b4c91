import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness, FIXTURES } from './engine-harness.js';

describe('timers', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('given an instance at a timer catch event, when the duration has passed, then the timer fires and the instance completes', () => {
    // given
    engine.deploy('timer-catch.bpmn');
    const key = engine.createInstance('timer-catch');
    const created = engine.find('TIMER', 'CREATED')[0];
    expect(created.value).toMatchObject({ dueDate: engine.nowMs + 10_000, targetElementId: 'wait', repetitions: 1 });
    // when the clock has not reached the due date, nothing fires
    engine.advanceTime(9_000);
    expect(engine.find('TIMER', 'TRIGGERED')).toHaveLength(0);
    // when it has
    engine.advanceTime(1_000);
    // then
    expect(engine.find('TIMER', 'TRIGGERED')).toHaveLength(1);
    expect(engine.elementEvents(key).at(-1)).toBe('timer-catch:ELEMENT_COMPLETED');
  });

  it('given an interrupting timer boundary event, when it fires, then the task is terminated and the boundary path taken', () => {
    engine.deploy('timer-boundary-interrupting.bpmn');
    const key = engine.createInstance('timer-boundary-interrupting');
    engine.advanceTime(60_000);
    const events = engine.elementEvents(key);
    expect(events).toContain('work:ELEMENT_TERMINATED');
    expect(events).toContain('boundary-end:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('timer-boundary-interrupting:ELEMENT_COMPLETED');
  });

  it('given a non-interrupting timer cycle on a task, then it fires as often as the cycle says, and the task goes on', () => {
    engine.deploy('timer-boundary-non-interrupting.bpmn');
    const key = engine.createInstance('timer-boundary-non-interrupting');
    engine.advanceTime(10_000);
    engine.advanceTime(10_000);
    engine.advanceTime(10_000);
    expect(engine.find('TIMER', 'TRIGGERED')).toHaveLength(2);
    expect(engine.elementEvents(key).filter((event) => event === 'boundary-end:ELEMENT_COMPLETED')).toHaveLength(2);
    expect(engine.elementEvents(key)).not.toContain('work:ELEMENT_TERMINATED');
  });

  it('given a task with a timer boundary event, when the task completes first, then the timer is cancelled', () => {
    engine.deploy('timer-boundary-interrupting.bpmn');
    engine.createInstance('timer-boundary-interrupting');
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    engine.advanceTime(60_000);
    expect(engine.find('TIMER', 'TRIGGERED')).toHaveLength(0);
  });

  it('given a timer start event with a cycle, then it starts an instance per repetition', () => {
    engine.deploy('timer-start-cycle.bpmn');
    engine.advanceTime(1_000);
    engine.advanceTime(1_000);
    engine.advanceTime(1_000);
    const started = engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.bpmnElementType === 'PROCESS');
    expect(started).toHaveLength(2);
    expect(engine.elementEvents(started[0].key).slice(2, 4)).toEqual(['every-second:ELEMENT_ACTIVATING', 'every-second:ELEMENT_ACTIVATED']);
  });

  it('given a timer start event with a date in the past, then it starts one instance at once', () => {
    engine.deploy('timer-start-date.bpmn');
    engine.advanceTime(0);
    engine.advanceTime(5_000);
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.bpmnElementType === 'PROCESS')).toHaveLength(1);
  });

  it('given a new version of a process with a timer start event, then the old version\'s timer is cancelled', () => {
    engine.deploy('timer-start-cycle.bpmn');
    const xml = readFileSync(join(FIXTURES, 'timer-start-cycle.bpmn'), 'utf8').replace('R2/PT1S', 'R3/PT1S');
    engine.deployXml('timer-start-cycle.bpmn', xml);
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    expect(engine.find('TIMER', 'CREATED')).toHaveLength(2);
  });

  it('given an event-based gateway, when the timer fires first, then the timer path is taken and the message subscription closed', () => {
    engine.deploy('event-based-gateway.bpmn');
    const key = engine.createInstance('event-based-gateway', { orderId: 'o-1' });
    engine.advanceTime(3_600_000);
    const events = engine.elementEvents(key);
    expect(events).toContain('wait:ELEMENT_COMPLETED');
    expect(events).toContain('timeout:ELEMENT_COMPLETED');
    expect(events).toContain('timed-out:ELEMENT_COMPLETED');
    expect(events).not.toContain('payment:ELEMENT_ACTIVATING');
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
  });

  it('given an event-based gateway, when the message arrives first, then the message path is taken and the timer cancelled', () => {
    engine.deploy('event-based-gateway.bpmn');
    const key = engine.createInstance('event-based-gateway', { orderId: 'o-2' });
    engine.publishMessage('payment-received', 'o-2', { variables: { paid: true } });
    const events = engine.elementEvents(key);
    expect(events).toContain('paid:ELEMENT_COMPLETED');
    expect(events).not.toContain('timeout:ELEMENT_ACTIVATING');
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'paid')).toHaveLength(1);
  });
});
