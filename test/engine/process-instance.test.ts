import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('process instances', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('given a deployed one-task process, when its job is completed, then the instance completes', () => {
    // given
    const deployed = engine.deploy('one-task.bpmn');
    expect(deployed?.intent).toBe('CREATED');
    const key = engine.createInstance('one-task', { orderId: 'o-1' });
    // when
    const batch = engine.activateJobs('work');
    const jobKey = (batch.value as any).jobKeys[0];
    expect((batch.value as any).jobs[0].variables).toEqual({ orderId: 'o-1' });
    expect((batch.value as any).jobs[0].customHeaders).toEqual({ purpose: 'test' });
    const completed = engine.write('JOB', 'COMPLETE', { variables: { paid: true } }, jobKey);
    // then
    expect(completed?.intent).toBe('COMPLETED');
    expect(engine.elementEvents(key)).toEqual([
      'one-task:ELEMENT_ACTIVATING',
      'one-task:ELEMENT_ACTIVATED',
      'start:ELEMENT_ACTIVATING',
      'start:ELEMENT_ACTIVATED',
      'start:ELEMENT_COMPLETING',
      'start:ELEMENT_COMPLETED',
      'f1:SEQUENCE_FLOW_TAKEN',
      'work:ELEMENT_ACTIVATING',
      'work:ELEMENT_ACTIVATED',
      'work:ELEMENT_COMPLETING',
      'work:ELEMENT_COMPLETED',
      'f2:SEQUENCE_FLOW_TAKEN',
      'end:ELEMENT_ACTIVATING',
      'end:ELEMENT_ACTIVATED',
      'end:ELEMENT_COMPLETING',
      'end:ELEMENT_COMPLETED',
      'one-task:ELEMENT_COMPLETING',
      'one-task:ELEMENT_COMPLETED',
    ]);
    const created = engine.find('VARIABLE', 'CREATED').map((record) => [record.value.name, record.value.value]);
    expect(created).toEqual([
      ['orderId', '"o-1"'],
      ['paid', 'true'],
    ]);
    expect(engine.engine.state.elementInstances.getInstance(key)).toBeUndefined();
  });

  it('given an identical redeploy, then the version stays; a changed file becomes the next version', () => {
    const first = engine.deploy('one-task.bpmn');
    const again = engine.deploy('one-task.bpmn');
    const firstMeta = (first!.value as any).processesMetadata[0];
    const againMeta = (again!.value as any).processesMetadata[0];
    expect(againMeta.version).toBe(1);
    expect(againMeta.duplicate).toBe(true);
    expect(againMeta.processDefinitionKey).toBe(firstMeta.processDefinitionKey);
  });

  it('given an exclusive gateway, then the flow whose condition is true is taken', () => {
    engine.deploy('exclusive-gateway.bpmn');
    const big = engine.createInstance('exclusive', { amount: 500 });
    const small = engine.createInstance('exclusive', { amount: 5 });
    expect(engine.elementEvents(big)).toContain('endBig:ELEMENT_COMPLETED');
    expect(engine.elementEvents(small)).toContain('endSmall:ELEMENT_COMPLETED');
    expect(engine.elementEvents(small)).toContain('exclusive:ELEMENT_COMPLETED');
  });

  it('given an exclusive gateway where no condition holds, then an incident is raised and resolving retries it', () => {
    engine.deploy('exclusive-gateway.bpmn');
    const key = engine.createInstance('exclusive', {});
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident.value.errorType).toBe('CONDITION_ERROR');
    expect(incident.value.elementId).toBe('gw');
    // when the variable is set and the incident resolved
    engine.write('VARIABLE_DOCUMENT', 'UPDATE', { scopeKey: key, variables: { amount: 7 }, updateSemantics: 'PROPAGATE' });
    const resolved = engine.write('INCIDENT', 'RESOLVE', {}, incident.key);
    expect(resolved?.intent).toBe('RESOLVED');
    expect(engine.elementEvents(key)).toContain('endSmall:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key).at(-1)).toBe('exclusive:ELEMENT_COMPLETED');
  });

  it('given a parallel fork and join, then the instance completes only after both branches', () => {
    engine.deploy('parallel.bpmn');
    const key = engine.createInstance('parallel');
    const jobA = (engine.activateJobs('a').value as any).jobKeys[0];
    const jobB = (engine.activateJobs('b').value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobA);
    expect(engine.elementEvents(key)).not.toContain('join:ELEMENT_ACTIVATING');
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobB);
    const events = engine.elementEvents(key);
    expect(events.filter((event) => event === 'join:ELEMENT_ACTIVATED')).toHaveLength(1);
    expect(events.at(-1)).toBe('parallel:ELEMENT_COMPLETED');
  });

  it('given input and output mappings, then job variables stay local and only mapped values propagate', () => {
    engine.deploy('mappings.bpmn');
    const key = engine.createInstance('mappings', { taskType: 'pay', order: { total: 42 } });
    const batch = engine.activateJobs('pay');
    const job = (batch.value as any).jobs[0];
    expect(job.variables.amount).toBe(42);
    expect(job.retries).toBe(2);
    engine.write('JOB', 'COMPLETE', { variables: { receipt: 'r-9', internal: 'x' } }, (batch.value as any).jobKeys[0]);
    const rootVariables = engine.find('VARIABLE', undefined, (value) => value.scopeKey === key);
    const order = rootVariables.filter((record) => record.value.name === 'order').at(-1);
    expect(JSON.parse(order!.value.value)).toEqual({ total: 42, receipt: 'r-9' });
    expect(rootVariables.some((record) => record.value.name === 'internal')).toBe(false);
  });

  it('given a running instance, when it is cancelled, then its job is cancelled and it terminates', () => {
    engine.deploy('one-task.bpmn');
    const key = engine.createInstance('one-task');
    const response = engine.write('PROCESS_INSTANCE', 'CANCEL', {}, key);
    expect(response?.recordType).toBe('EVENT');
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
    expect(engine.elementEvents(key).slice(-4)).toEqual([
      'one-task:ELEMENT_TERMINATING',
      'work:ELEMENT_TERMINATING',
      'work:ELEMENT_TERMINATED',
      'one-task:ELEMENT_TERMINATED',
    ]);
    expect(engine.activateJobs('work').value.jobKeys).toEqual([]);
  });

  it('rejects an unknown process id and an unknown instance with NOT_FOUND', () => {
    const created = engine.write('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'nope', version: -1, variables: {} });
    expect(created?.recordType).toBe('COMMAND_REJECTION');
    expect(created?.rejectionType).toBe('NOT_FOUND');
    expect(created?.rejectionReason).toBe("Expected to find process definition with process ID 'nope', but none found");
    const cancelled = engine.write('PROCESS_INSTANCE', 'CANCEL', {}, 2251799813685999n);
    expect(cancelled?.rejectionType).toBe('NOT_FOUND');
  });

  it('rejects a deployment with invalid BPMN, naming every problem', () => {
    const response = engine.deploy('all-problems.bpmn');
    expect(response?.recordType).toBe('COMMAND_REJECTION');
    expect(response?.rejectionType).toBe('INVALID_ARGUMENT');
    expect(response?.rejectionReason).toContain("'all-problems.bpmn'");
    expect(response?.rejectionReason).toContain('ERROR');
  });
});
