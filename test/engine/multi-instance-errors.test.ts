import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

/**
 * Errors thrown inside the inner instances of a multi-instance subprocess: the subprocess's own error event
 * subprocess catches them in the inner instance that threw; the boundary events belong to the multi-instance body.
 */
describe('errors in a multi-instance subprocess', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('multi-instance-subprocess-error.bpmn');
  });
  afterEach(async () => {
    await engine.close();
  });

  const throwError = (jobKey: bigint, errorCode: string) => engine.write('JOB', 'THROW_ERROR', { errorCode, errorMessage: '', variables: {} }, jobKey);

  it('given two inner instances, when one throws an error its event subprocess catches, then only that inner instance is handled and the body goes on', () => {
    // given
    const key = engine.createInstance('multi-instance-subprocess-error', { items: ['a', 'b'] });
    const batch = engine.activateJobs('item-work').value as any;
    const innerKeys = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'each' && value.bpmnElementType === 'SUB_PROCESS').map((record) => record.key);
    expect(innerKeys).toHaveLength(2);
    // when
    throwError(batch.jobKeys[0], 'FAILED');
    // then the event subprocess runs inside the inner instance of the job that threw
    const handler = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'item-handler');
    expect(handler).toHaveLength(1);
    expect(handler[0].value.flowScopeKey).toBe(innerKeys[0]);
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_COMPLETED', (value) => value.elementId === 'each' && value.bpmnElementType === 'SUB_PROCESS').map((record) => record.key)).toEqual([innerKeys[0]]);
    expect(engine.find('INCIDENT', 'CREATED')).toEqual([]);
    // and the body waits for the other inner instance, then completes
    expect(engine.elementEvents(key)).not.toContain('each:ELEMENT_TERMINATED');
    engine.write('JOB', 'COMPLETE', { variables: {} }, batch.jobKeys[1]);
    expect(engine.elementEvents(key).at(-1)).toBe('multi-instance-subprocess-error:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key)).toContain('end:ELEMENT_COMPLETED');
  });

  it('given an error only the boundary event catches, then the body is terminated and the boundary flow taken', () => {
    const key = engine.createInstance('multi-instance-subprocess-error', { items: ['a', 'b'] });
    const batch = engine.activateJobs('item-work').value as any;
    throwError(batch.jobKeys[1], 'FATAL');
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'item-handler')).toEqual([]);
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_TERMINATED', (value) => value.bpmnElementType === 'MULTI_INSTANCE_BODY')).toHaveLength(1);
    expect(engine.find('JOB', 'CANCELED').map((record) => record.key)).toContain(batch.jobKeys[0]);
    expect(engine.elementEvents(key)).toContain('fatal-end:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key)).not.toContain('end:ELEMENT_ACTIVATED');
    expect(engine.elementEvents(key).at(-1)).toBe('multi-instance-subprocess-error:ELEMENT_COMPLETED');
  });
});
