import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('event subprocesses', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  function complete(type: string): void {
    const jobKey = (engine.activateJobs(type).value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
  }

  it('given an error event subprocess, when a worker throws its error, then the task is terminated and the handler runs', () => {
    // given
    engine.deploy('event-subprocess-error.bpmn');
    const key = engine.createInstance('event-subprocess-error');
    // when
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    engine.write('JOB', 'THROW_ERROR', { errorCode: 'FAILED', errorMessage: '', variables: { cause: 'x' } }, jobKey);
    // then
    const events = engine.elementEvents(key);
    expect(events).toContain('work:ELEMENT_TERMINATED');
    expect(events.indexOf('handler:ELEMENT_ACTIVATING')).toBeGreaterThan(events.indexOf('work:ELEMENT_TERMINATED'));
    complete('handle');
    expect(engine.elementEvents(key).at(-1)).toBe('event-subprocess-error:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key)).not.toContain('end:ELEMENT_ACTIVATING');
  });

  it('given a non-interrupting message event subprocess, when the message arrives, then the handler runs beside the task', () => {
    engine.deploy('event-subprocess-message-non-interrupting.bpmn');
    const key = engine.createInstance('event-subprocess-message-non-interrupting', { orderId: 'o-1' });
    engine.publishMessage('update', 'o-1');
    expect(engine.elementEvents(key)).toContain('handle:ELEMENT_ACTIVATED');
    expect(engine.elementEvents(key)).not.toContain('work:ELEMENT_TERMINATED');
    complete('handle');
    complete('work');
    expect(engine.elementEvents(key).at(-1)).toBe('event-subprocess-message-non-interrupting:ELEMENT_COMPLETED');
    expect(engine.find('MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
  });

  it('given an interrupting timer event subprocess, when it fires, then the task is terminated and the handler completes the process', () => {
    engine.deploy('event-subprocess-timer-interrupting.bpmn');
    const key = engine.createInstance('event-subprocess-timer-interrupting');
    engine.advanceTime(60_000);
    expect(engine.elementEvents(key)).toContain('work:ELEMENT_TERMINATED');
    complete('handle');
    expect(engine.elementEvents(key).at(-1)).toBe('event-subprocess-timer-interrupting:ELEMENT_COMPLETED');
  });

  it('given an interrupting signal event subprocess, when the signal is broadcast, then it takes over the process', () => {
    engine.deploy('event-subprocess-signal.bpmn');
    const key = engine.createInstance('event-subprocess-signal');
    engine.write('SIGNAL', 'BROADCAST', { signalName: 'abort', variables: {}, tenantId: '<default>' });
    expect(engine.elementEvents(key)).toContain('work:ELEMENT_TERMINATED');
    expect(engine.elementEvents(key)).toContain('handle:ELEMENT_ACTIVATED');
  });
});
