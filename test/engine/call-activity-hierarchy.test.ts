import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('call activities across levels and variable propagation', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const instancesOf = (bpmnProcessId: string) =>
    engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'PROCESS' && value.bpmnProcessId === bpmnProcessId);
  const completeJob = (type: string, variables: object) => {
    const batch = engine.activateJobs(type).value as any;
    engine.write('JOB', 'COMPLETE', { variables }, batch.jobKeys[0]);
    return batch.jobs[0];
  };

  it('given three levels of called processes, when the top instance is cancelled, then every level terminates, innermost first', () => {
    // given
    engine.deploy('call-activity-levels.bpmn');
    const top = engine.createInstance('level-top');
    const [middle] = instancesOf('level-middle');
    const [bottom] = instancesOf('level-bottom');
    expect(middle.value.parentProcessInstanceKey).toBe(top);
    expect(bottom.value.parentProcessInstanceKey).toBe(middle.key);
    // when
    expect(engine.write('PROCESS_INSTANCE', 'CANCEL', {}, top)?.intent).toBe('ELEMENT_TERMINATING');
    // then
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    const terminated = engine.find('PROCESS_INSTANCE', 'ELEMENT_TERMINATED', (value) => value.bpmnElementType === 'PROCESS').map((record) => record.value.bpmnProcessId);
    expect(terminated).toEqual(['level-bottom', 'level-middle', 'level-top']);
    expect(engine.elementEvents(top).slice(-2)).toEqual(['call-middle:ELEMENT_TERMINATED', 'level-top:ELEMENT_TERMINATED']);
    expect(engine.engine.state.elementInstances.getInstance(bottom.key)).toBeUndefined();
  });

  it('given three levels, when the boundary timer of the top call activity fires, then the levels below terminate and the top goes on', () => {
    engine.deploy('call-activity-levels.bpmn');
    const top = engine.createInstance('level-top');
    engine.advanceTime(60 * 60_000);
    const terminated = engine.find('PROCESS_INSTANCE', 'ELEMENT_TERMINATED', (value) => value.bpmnElementType === 'PROCESS').map((record) => record.value.bpmnProcessId);
    expect(terminated).toEqual(['level-bottom', 'level-middle']);
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
    expect(engine.elementEvents(top)).toContain('call-middle:ELEMENT_TERMINATED');
    expect(engine.elementEvents(top).slice(-3)).toEqual(['top-timed-out:ELEMENT_COMPLETED', 'level-top:ELEMENT_COMPLETING', 'level-top:ELEMENT_COMPLETED']);
  });

  it('given three levels, when a called instance is cancelled, then it is rejected, naming the root instance', () => {
    engine.deploy('call-activity-levels.bpmn');
    const top = engine.createInstance('level-top');
    const [bottom] = instancesOf('level-bottom');
    const rejection = engine.write('PROCESS_INSTANCE', 'CANCEL', {}, bottom.key);
    expect(rejection?.rejectionType).toBe('INVALID_STATE');
    expect(rejection?.rejectionReason).toBe(
      `Expected to cancel a process instance with key '${bottom.key}', but it is created by a parent process instance. Cancel the root process instance '${top}' instead.`,
    );
  });

  it('given three levels, when the innermost job completes, then every level completes in turn', () => {
    engine.deploy('call-activity-levels.bpmn');
    const top = engine.createInstance('level-top');
    completeJob('bottom-work', { depth: 3 });
    expect(engine.elementEvents(top).at(-1)).toBe('level-top:ELEMENT_COMPLETED');
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'depth' && value.scopeKey === top)).toHaveLength(1);
  });

  it('given propagateAllChildVariables true, false with an output mapping and false alone, then only what each allows reaches the parent', () => {
    // given
    engine.deploy('call-activity-propagation.bpmn');
    const key = engine.createInstance('propagation-parent');
    // when each child completes with its own variables
    completeJob('propagation-work', { firstResult: 1 });
    completeJob('propagation-work', { secondResult: 2, secondOther: 'x' });
    completeJob('propagation-work', { thirdResult: 3 });
    // then the parent sees the first child's variables, the mapped one of the second and nothing of the third
    const job = engine.activateJobs('propagation-check').value as any;
    expect(job.jobs[0].variables).toEqual({ firstResult: 1, mapped: 2 });
    const parentVariables = engine.find('VARIABLE', 'CREATED', (value) => value.scopeKey === key).map((record) => record.value.name);
    expect(parentVariables.sort()).toEqual(['firstResult', 'mapped']);
  });
});
