import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('call activities', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('call-activity.bpmn', 'called-child.bpmn');
  });
  afterEach(async () => {
    await engine.close();
  });

  function childOf(parentKey: bigint) {
    return engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'PROCESS' && value.parentProcessInstanceKey === parentKey)[0];
  }

  it('given a call activity with a FEEL process id, then the child gets the parent variables and returns its own', () => {
    // given
    const key = engine.createInstance('call-activity', { childId: 'called-child', orderId: 'o-1' });
    const child = childOf(key);
    expect(child.value).toMatchObject({ bpmnProcessId: 'called-child', parentElementInstanceKey: engine.elementInstanceKey(key, 'call') });
    // when the child's job completes
    const batch = engine.activateJobs('child-work').value as any;
    expect(batch.jobs[0].variables).toEqual({ childId: 'called-child', orderId: 'o-1' });
    engine.write('JOB', 'COMPLETE', { variables: { shipped: true } }, batch.jobKeys[0]);
    // then the child completes, then the call activity, then the parent, which has the child's variable
    expect(engine.elementEvents(child.key).at(-1)).toBe('called-child:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key).at(-1)).toBe('call-activity:ELEMENT_COMPLETED');
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'shipped' && value.scopeKey === key)).toHaveLength(1);
  });

  it('given a running child, when the parent is cancelled, then the child is terminated with it', () => {
    const key = engine.createInstance('call-activity', { childId: 'called-child' });
    const child = childOf(key);
    engine.write('PROCESS_INSTANCE', 'CANCEL', {}, key);
    expect(engine.elementEvents(child.key).at(-1)).toBe('called-child:ELEMENT_TERMINATED');
    expect(engine.elementEvents(key).slice(-2)).toEqual(['call:ELEMENT_TERMINATED', 'call-activity:ELEMENT_TERMINATED']);
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
  });

  it('given an error thrown in the child, then the error boundary event of the call activity catches it', () => {
    const key = engine.createInstance('call-activity', { childId: 'called-child' });
    const jobKey = (engine.activateJobs('child-work').value as any).jobKeys[0];
    engine.write('JOB', 'THROW_ERROR', { errorCode: 'CHILD_FAILED', errorMessage: '', variables: {} }, jobKey);
    expect(engine.elementEvents(key)).toContain('failed-end:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key).at(-1)).toBe('call-activity:ELEMENT_COMPLETED');
  });

  it('given an unknown called process, then an incident names it', () => {
    engine.createInstance('call-activity', { childId: 'missing' });
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident.value).toMatchObject({
      errorType: 'CALLED_ELEMENT_ERROR',
      errorMessage: "Expected process with BPMN process id 'missing' to be deployed, but not found.",
    });
  });
});
