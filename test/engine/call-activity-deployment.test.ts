import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './engine-harness.js';

/** As in Zeebe, a called process need not be deployed before the process that calls it. */
describe('a call activity of a process that is not deployed yet', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const parent = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="calls-later" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="called-child" /></bpmn:extensionElements></bpmn:callActivity>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

  it('given a static processId that is deployed nowhere, then the deployment is accepted, and the incident resolves once it is deployed', () => {
    // when
    const deployed = engine.deployXml('calls-later.bpmn', parent);
    // then
    expect(deployed).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
    const key = engine.createInstance('calls-later');
    const [incident] = engine.find('INCIDENT', 'CREATED');
    expect(incident.value).toMatchObject({ errorType: 'CALLED_ELEMENT_ERROR', elementId: 'call' });
    engine.deploy('called-child.bpmn');
    expect(engine.write('INCIDENT', 'RESOLVE', {}, incident.key)?.intent).toBe('RESOLVED');
    const batch = engine.activateJobs('child-work').value as any;
    engine.write('JOB', 'COMPLETE', { variables: {} }, batch.jobKeys[0]);
    expect(engine.elementEvents(key).at(-1)).toBe('calls-later:ELEMENT_COMPLETED');
  });
});
