import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('multi-instance activities', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('multi-instance-parallel.bpmn', 'multi-instance-sequential.bpmn');
  });
  afterEach(async () => {
    await engine.close();
  });

  function completeNext(packed: string): any {
    const batch = engine.activateJobs('pack', 1).value as any;
    engine.write('JOB', 'COMPLETE', { variables: { packed } }, batch.jobKeys[0]);
    return batch.jobs[0].variables;
  }

  it('given a parallel multi-instance task, then one job per item runs at once and the output collection is in item order', () => {
    // given
    const key = engine.createInstance('multi-instance-parallel', { items: ['a', 'b', 'c'] });
    const bodies = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'MULTI_INSTANCE_BODY');
    expect(bodies).toHaveLength(1);
    const batch = engine.activateJobs('pack', 10).value as any;
    expect(batch.jobs.map((job: any) => [job.variables.item, job.variables.loopCounter])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    // when they complete out of order
    for (const index of [2, 0, 1]) engine.write('JOB', 'COMPLETE', { variables: { packed: `packed-${batch.jobs[index].variables.item}` } }, batch.jobKeys[index]);
    // then
    expect(engine.elementEvents(key).at(-1)).toBe('multi-instance-parallel:ELEMENT_COMPLETED');
    const results = engine.find('VARIABLE', undefined, (value) => value.name === 'results' && value.scopeKey === key);
    expect(results.at(-1)?.value.value).toBe('["packed-a","packed-b","packed-c"]');
    expect(engine.elementEvents(key).filter((event) => event === 'to-end:SEQUENCE_FLOW_TAKEN')).toHaveLength(1);
  });

  it('given a sequential multi-instance task with a completion condition, then items run one after the other until it is met', () => {
    const key = engine.createInstance('multi-instance-sequential', { items: [1, 2, 3, 4] });
    expect(completeNext('ok')).toMatchObject({ item: 1, loopCounter: 1 });
    expect(completeNext('stop')).toMatchObject({ item: 2, loopCounter: 2 });
    expect(engine.elementEvents(key).at(-1)).toBe('multi-instance-sequential:ELEMENT_COMPLETED');
    expect(engine.find('JOB', 'CREATED')).toHaveLength(2);
  });

  it('given an empty input collection, then the body completes at once', () => {
    const key = engine.createInstance('multi-instance-parallel', { items: [] });
    expect(engine.elementEvents(key).at(-1)).toBe('multi-instance-parallel:ELEMENT_COMPLETED');
  });

  it('given an input collection that is not a list, then an incident is raised', () => {
    engine.createInstance('multi-instance-parallel', { items: 'abc' });
    expect(engine.find('INCIDENT', 'CREATED')[0].value.errorMessage).toBe("Expected result of the expression 'items' to be 'ARRAY', but was 'STRING'.");
  });

  it('given a running multi-instance task, when the instance is cancelled, then every inner instance is terminated', () => {
    const key = engine.createInstance('multi-instance-parallel', { items: [1, 2] });
    engine.write('PROCESS_INSTANCE', 'CANCEL', {}, key);
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(2);
    expect(engine.elementEvents(key).at(-1)).toBe('multi-instance-parallel:ELEMENT_TERMINATED');
  });
});
