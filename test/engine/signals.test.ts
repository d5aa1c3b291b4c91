import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('signals', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('signal-events.bpmn', 'signal-start-and-throw.bpmn');
  });
  afterEach(async () => {
    await engine.close();
  });

  function broadcast(signalName: string, variables: object = {}) {
    return engine.write('SIGNAL', 'BROADCAST', { signalName, variables, tenantId: '<default>' });
  }

  it('given instances waiting at a signal catch event, when the signal is broadcast, then all of them go on', () => {
    // given
    const first = engine.createInstance('signal-events');
    const second = engine.createInstance('signal-events');
    // when
    const response = broadcast('go', { ready: true });
    // then
    expect(response?.intent).toBe('BROADCASTED');
    for (const key of [first, second]) expect(engine.elementEvents(key)).toContain('work:ELEMENT_ACTIVATED');
    expect(engine.find('SIGNAL_SUBSCRIPTION', 'DELETED')).toHaveLength(2);
  });

  it('given a signal boundary event, when the signal is broadcast, then the task is interrupted', () => {
    const key = engine.createInstance('signal-events');
    broadcast('go');
    broadcast('stop');
    const events = engine.elementEvents(key);
    expect(events).toContain('work:ELEMENT_TERMINATED');
    expect(events.at(-1)).toBe('signal-events:ELEMENT_COMPLETED');
    expect(events).toContain('stopped:ELEMENT_COMPLETED');
  });

  it('given a signal start event, when the signal is broadcast, then an instance starts, and its throw event reaches waiting instances', () => {
    const waiting = engine.createInstance('signal-events');
    broadcast('start-it');
    const started = engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.bpmnProcessId === 'signal-start-and-throw' && value.bpmnElementType === 'PROCESS');
    expect(started).toHaveLength(1);
    expect(engine.elementEvents(waiting)).toContain('work:ELEMENT_ACTIVATED');
  });
});
