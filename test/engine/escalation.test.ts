import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

describe('escalation events', () => {
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

  it('given a non-interrupting escalation boundary event on a subprocess, when the subprocess throws, then both paths go on', () => {
    // given
    engine.deploy('escalation-boundary-non-interrupting.bpmn');
    // when
    const key = engine.createInstance('escalation-boundary-non-interrupting');
    // then
    const escalated = engine.find('ESCALATION', 'ESCALATED');
    expect(escalated.map((record) => record.value)).toEqual([
      expect.objectContaining({ escalationCode: 'LATE', throwElementId: 'throw', catchElementId: 'caught', processInstanceKey: key }),
    ]);
    const events = engine.elementEvents(key);
    expect(events).toContain('throw:ELEMENT_COMPLETED');
    expect(events).toContain('work:ELEMENT_ACTIVATED');
    expect(events).toContain('notify:ELEMENT_ACTIVATED');
    complete('notify');
    complete('work');
    expect(engine.elementEvents(key).at(-1)).toBe('escalation-boundary-non-interrupting:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key)).toContain('end:ELEMENT_COMPLETED');
  });

  it('given an interrupting catch-all boundary event, when an escalation end event throws a FEEL code, then the subprocess is terminated', () => {
    engine.deploy('escalation-boundary-interrupting.bpmn');
    const key = engine.createInstance('escalation-boundary-interrupting', { code: 'TOO_LATE' });
    expect(engine.find('ESCALATION', 'ESCALATED').map((record) => record.value.escalationCode)).toEqual(['TOO_LATE']);
    const events = engine.elementEvents(key);
    expect(events).toContain('work:ELEMENT_TERMINATED');
    expect(events).toContain('escalate:ELEMENT_TERMINATED');
    expect(events).toContain('sub:ELEMENT_TERMINATED');
    expect(events).not.toContain('escalate:ELEMENT_COMPLETED');
    expect(events).not.toContain('end:ELEMENT_ACTIVATING');
    expect(events).toContain('handled:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('escalation-boundary-interrupting:ELEMENT_COMPLETED');
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
  });

  it('given an escalation code that fails to evaluate, then an incident is raised on the throw event', () => {
    engine.deploy('escalation-boundary-interrupting.bpmn');
    engine.createInstance('escalation-boundary-interrupting', { code: 42 });
    expect(engine.find('INCIDENT', 'CREATED').map((record) => [record.value.errorType, record.value.elementId])).toEqual([
      ['EXTRACT_VALUE_ERROR', 'escalate'],
    ]);
    expect(engine.find('ESCALATION')).toHaveLength(0);
  });

  it('given escalation event subprocesses, then a non-interrupting one runs beside the flow and an interrupting one takes over', () => {
    engine.deploy('escalation-event-subprocess.bpmn');
    const key = engine.createInstance('escalation-event-subprocess');
    // the non-interrupting one started beside the task
    let events = engine.elementEvents(key);
    expect(events).toContain('on-late:ELEMENT_ACTIVATED');
    expect(events).toContain('throw:ELEMENT_COMPLETED');
    expect(events).toContain('work:ELEMENT_ACTIVATED');
    complete('work');
    // the escalation end event is caught by the interrupting one, which terminates what still runs
    events = engine.elementEvents(key);
    expect(engine.find('ESCALATION', 'ESCALATED').map((record) => record.value.catchElementId)).toEqual(['late-start', 'stop-start']);
    expect(events).toContain('notify:ELEMENT_TERMINATED');
    expect(events).toContain('stop-end:ELEMENT_TERMINATED');
    expect(events).toContain('stopped:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('escalation-event-subprocess:ELEMENT_COMPLETED');
  });

  it('given no catch event, when escalations are thrown, then they are not escalated, no incident is raised and the flow goes on', () => {
    engine.deploy('escalation-uncaught.bpmn');
    const key = engine.createInstance('escalation-uncaught');
    const notEscalated = engine.find('ESCALATION', 'NOT_ESCALATED');
    expect(notEscalated.map((record) => [record.value.throwElementId, record.value.catchElementId])).toEqual([
      ['throw', ''],
      ['end', ''],
    ]);
    expect(engine.find('INCIDENT', 'CREATED')).toHaveLength(0);
    expect(engine.elementEvents(key).at(-1)).toBe('escalation-uncaught:ELEMENT_COMPLETED');
  });

  it('given a called process that throws an escalation, then the boundary event of its call activity catches it', () => {
    engine.deploy('escalation-call-activity.bpmn');
    const key = engine.createInstance('escalation-call-activity');
    expect(engine.find('ESCALATION', 'ESCALATED').map((record) => record.value.catchElementId)).toEqual(['caught']);
    const events = engine.elementEvents(key);
    expect(events).toContain('call:ELEMENT_TERMINATED');
    expect(events).toContain('handled:ELEMENT_COMPLETED');
    expect(events.at(-1)).toBe('escalation-call-activity:ELEMENT_COMPLETED');
  });

  it('given a multi-instance subprocess, then each inner instance escalates to the boundary event of the body', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:escalation id="late" escalationCode="LATE" />
  <bpmn:process id="mi" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub" />
    <bpmn:subProcess id="sub">
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item" /></bpmn:extensionElements>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:startEvent id="sub-start" />
      <bpmn:sequenceFlow id="f2" sourceRef="sub-start" targetRef="throw" />
      <bpmn:intermediateThrowEvent id="throw"><bpmn:escalationEventDefinition escalationRef="late" /></bpmn:intermediateThrowEvent>
    </bpmn:subProcess>
    <bpmn:boundaryEvent id="caught" attachedToRef="sub" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="late" /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="sub" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
    expect(engine.deployXml('mi-escalation.bpmn', xml)?.intent).toBe('CREATED');
    const key = engine.createInstance('mi', { items: [1, 2] });
    expect(engine.find('ESCALATION', 'ESCALATED').map((record) => record.value.catchElementId)).toEqual(['caught', 'caught']);
    expect(engine.elementEvents(key).filter((event) => event === 'caught:ELEMENT_COMPLETED')).toHaveLength(2);
    expect(engine.elementEvents(key).at(-1)).toBe('mi:ELEMENT_COMPLETED');
  });

  it('given an escalation boundary event on a task, then deploying it is rejected naming the event', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:boundaryEvent id="on-task" attachedToRef="work"><bpmn:escalationEventDefinition /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="on-task" targetRef="end" />
    <bpmn:intermediateThrowEvent id="no-code"><bpmn:escalationEventDefinition /></bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="end" />
    <bpmn:subProcess id="first" triggeredByEvent="true">
      <bpmn:startEvent id="first-start" isInterrupting="false"><bpmn:escalationEventDefinition /></bpmn:startEvent>
    </bpmn:subProcess>
    <bpmn:subProcess id="second" triggeredByEvent="true">
      <bpmn:startEvent id="second-start" isInterrupting="false"><bpmn:escalationEventDefinition /></bpmn:startEvent>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>`;
    const response = engine.deployXml('bad-escalation.bpmn', xml);
    expect(response?.recordType).toBe('COMMAND_REJECTION');
    expect(response?.rejectionReason).toContain('Element: on-task');
    expect(response?.rejectionReason).toContain('Escalation boundary events must be attached to a subprocess or a call activity');
    expect(response?.rejectionReason).toContain('Element: no-code');
    expect(response?.rejectionReason).toContain('EscalationCode must be present and not empty');
    expect(response?.rejectionReason).toContain('Element: second-start');
    expect(response?.rejectionReason).toContain('Multiple escalation catch events without an escalationCode (catch-all) are not supported on the same scope');
  });

  it('given variable mappings on escalation events, then the throw event sees its input mappings and no variables travel with the escalation', () => {
    // given a throw event whose escalation code reads a local variable of its input mapping, and catch events with
    // output mappings (as in Zeebe, an escalation carries no variables: the catch events map what their scope sees)
    engine.deploy('escalation-variables.bpmn');
    // when
    const key = engine.createInstance('escalation-variables', { level: 1 });
    complete('work');
    // then the code was evaluated with the input mapping, and the output mappings of throw and catch events applied
    expect(engine.find('ESCALATION', 'ESCALATED').map((record) => [record.value.escalationCode, record.value.catchElementId])).toEqual([
      ['LEVEL_2', 'caught'],
      ['DONE', 'done-start'],
    ]);
    const variables = new Map(engine.find('VARIABLE').map((record) => [record.value.name, [record.intent, record.value.value]]));
    expect(variables.get('thrownLevel')).toEqual(['CREATED', '2']);
    expect(variables.get('handledLevel')).toEqual(['CREATED', '10']);
    expect(variables.get('doneNote')).toEqual(['CREATED', '"seen 2"']);
    expect(variables.get('state')).toEqual(['CREATED', '"finished"']);
    // and the local variables of the throw events stayed local: the catch events did not get them
    const raised = engine.find('VARIABLE', 'CREATED', (value) => value.name === 'raised');
    expect(raised.map((record) => record.value.scopeKey)).toEqual([engine.elementInstanceKey(key, 'throw')]);
    expect(engine.elementEvents(key).at(-1)).toBe('escalation-variables:ELEMENT_COMPLETED');
  });
});
