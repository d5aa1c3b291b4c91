import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('error events, scopes and tasks', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  function throwFromWorker(type: string, errorCode: string, variables: object = {}) {
    const jobKey = (engine.activateJobs(type).value as any).jobKeys[0];
    return engine.write('JOB', 'THROW_ERROR', { errorCode, errorMessage: 'from worker', variables }, jobKey);
  }

  it('given an error boundary event with a code, when a worker throws that code, then the error is caught', () => {
    // given
    engine.deploy('error-boundary.bpmn');
    const key = engine.createInstance('error-boundary');
    // when
    const thrown = throwFromWorker('work', 'NOT_FOUND', { reason: 'gone' });
    // then
    expect(thrown?.intent).toBe('ERROR_THROWN');
    const events = engine.elementEvents(key);
    expect(events).toContain('work:ELEMENT_TERMINATED');
    expect(events).toContain('boundary-end:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('error-boundary:ELEMENT_COMPLETED');
    expect(engine.find('INCIDENT', 'CREATED')).toHaveLength(0);
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'reason')).toHaveLength(1);
  });

  it('given an error boundary event with another code, when a worker throws, then an incident is raised', () => {
    engine.deploy('error-boundary.bpmn');
    engine.createInstance('error-boundary');
    throwFromWorker('work', 'OTHER');
    const incidents = engine.find('INCIDENT', 'CREATED');
    expect(incidents.map((record) => record.value.errorType)).toEqual(['UNHANDLED_ERROR_EVENT']);
  });

  it('given a catch-all error boundary event, when a worker throws any code, then the error is caught', () => {
    engine.deploy('error-boundary-catch-all.bpmn');
    const key = engine.createInstance('error-boundary-catch-all');
    throwFromWorker('work', 'ANYTHING');
    expect(engine.elementEvents(key)).toContain('boundary-end:ELEMENT_COMPLETED');
  });

  it('given an error end event in a subprocess, then the boundary event on the subprocess catches it', () => {
    engine.deploy('error-end-subprocess.bpmn');
    const key = engine.createInstance('error-end-subprocess');
    const events = engine.elementEvents(key);
    expect(events).toContain('reject:ELEMENT_TERMINATED');
    expect(events).toContain('check:ELEMENT_TERMINATED');
    expect(events).toContain('rejected-end:ELEMENT_COMPLETED');
    expect(events).not.toContain('end:ELEMENT_ACTIVATING');
    expect(events.at(-1)).toBe('error-end-subprocess:ELEMENT_COMPLETED');
  });

  it('given an uncaught error end event, then an incident is raised on it', () => {
    engine.deploy('error-end-uncaught.bpmn');
    engine.createInstance('error-end-uncaught');
    const incident = engine.find('INCIDENT', 'CREATED')[0];
    expect(incident.value).toMatchObject({ errorType: 'UNHANDLED_ERROR_EVENT', elementId: 'reject' });
    expect(incident.value.errorMessage).toBe(
      "Expected to throw an error event with the code 'REJECTED', but it was not caught. No error events are available in the scope.",
    );
  });

  it('given an embedded subprocess, then its elements run inside it with its local variables, and it completes', () => {
    engine.deploy('subprocess.bpmn');
    const key = engine.createInstance('subprocess');
    const subKey = engine.elementInstanceKey(key, 'sub');
    const batch = engine.activateJobs('work').value as any;
    expect(batch.jobs[0].variables).toEqual({ local: 1 });
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'work')[0].value.flowScopeKey).toBe(subKey);
    engine.write('JOB', 'COMPLETE', { variables: { done: true } }, batch.jobKeys[0]);
    const events = engine.elementEvents(key);
    expect(events.slice(-11)).toEqual([
      'sub-end:ELEMENT_COMPLETING',
      'sub-end:ELEMENT_COMPLETED',
      'sub:ELEMENT_COMPLETING',
      'sub:ELEMENT_COMPLETED',
      'to-end:SEQUENCE_FLOW_TAKEN',
      'end:ELEMENT_ACTIVATING',
      'end:ELEMENT_ACTIVATED',
      'end:ELEMENT_COMPLETING',
      'end:ELEMENT_COMPLETED',
      'subprocess:ELEMENT_COMPLETING',
      'subprocess:ELEMENT_COMPLETED',
    ]);
    // the subprocess's local variable stays in it; the job's variable propagates to the process
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'done')[0].value.scopeKey).toBe(key);
  });

  it('given a cancelled instance inside a subprocess, then the subprocess and its task are terminated', () => {
    engine.deploy('subprocess.bpmn');
    const key = engine.createInstance('subprocess');
    engine.write('PROCESS_INSTANCE', 'CANCEL', {}, key);
    const events = engine.elementEvents(key);
    expect(events.slice(-6)).toEqual([
      'subprocess:ELEMENT_TERMINATING',
      'sub:ELEMENT_TERMINATING',
      'work:ELEMENT_TERMINATING',
      'work:ELEMENT_TERMINATED',
      'sub:ELEMENT_TERMINATED',
      'subprocess:ELEMENT_TERMINATED',
    ]);
  });

  it('given a terminate end event, then the other branches are terminated and the process completes', () => {
    engine.deploy('terminate-end.bpmn');
    const key = engine.createInstance('terminate-end');
    const events = engine.elementEvents(key);
    expect(events).toContain('terminate:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('terminate-end:ELEMENT_COMPLETED');
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
  });

  it('given a script task, then its FEEL result is set as the result variable', () => {
    engine.deploy('script-task.bpmn');
    const key = engine.createInstance('script-task', { items: [1, 2, 3] });
    expect(engine.elementEvents(key).at(-1)).toBe('script-task:ELEMENT_COMPLETED');
    expect(engine.find('VARIABLE', 'CREATED', (value) => value.name === 'total').map((record) => record.value.value)).toEqual(['6']);
  });

  it('given a throw link event, then the flow goes on at the catch link event of its name', () => {
    engine.deploy('link-events.bpmn');
    const key = engine.createInstance('link-events');
    expect(engine.elementEvents(key).slice(-12)).toEqual([
      'jump:ELEMENT_COMPLETED',
      'land:ELEMENT_ACTIVATING',
      'land:ELEMENT_ACTIVATED',
      'land:ELEMENT_COMPLETING',
      'land:ELEMENT_COMPLETED',
      'to-end:SEQUENCE_FLOW_TAKEN',
      'end:ELEMENT_ACTIVATING',
      'end:ELEMENT_ACTIVATED',
      'end:ELEMENT_COMPLETING',
      'end:ELEMENT_COMPLETED',
      'link-events:ELEMENT_COMPLETING',
      'link-events:ELEMENT_COMPLETED',
    ]);
  });

  it('given manual and undefined tasks and a none throw event, then they pass through', () => {
    engine.deploy('pass-through-tasks.bpmn');
    const key = engine.createInstance('pass-through-tasks');
    expect(engine.elementEvents(key)).toContain('manual:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key)).toContain('throw:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key).at(-1)).toBe('pass-through-tasks:ELEMENT_COMPLETED');
  });

  it('given send, business rule and user tasks, then each is a job; the user task with Zeebe\'s job type and headers', () => {
    engine.deploy('job-tasks.bpmn');
    const key = engine.createInstance('job-tasks');
    for (const type of ['send', 'rule']) {
      const batch = engine.activateJobs(type).value as any;
      engine.write('JOB', 'COMPLETE', { variables: {} }, batch.jobKeys[0]);
    }
    const review = engine.activateJobs('io.camunda.zeebe:userTask').value as any;
    expect(review.jobs[0].customHeaders).toEqual({
      'io.camunda.zeebe:assignee': 'demo',
      'io.camunda.zeebe:candidateGroups': '["sales","support"]',
    });
    engine.write('JOB', 'COMPLETE', { variables: {} }, review.jobKeys[0]);
    expect(engine.elementEvents(key).at(-1)).toBe('job-tasks:ELEMENT_COMPLETED');
  });
});
