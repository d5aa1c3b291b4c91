import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHarness, FIXTURES } from './engine-harness.js';

/**
 * A call activity whose static called process is deployed nowhere is rejected at deploy time (issue 6); the
 * broker's allowUnknownCalledProcess restores Zeebe's behaviour, an incident when the call activity runs.
 */
describe('deploying a call activity', () => {
  let engine: EngineHarness;
  afterEach(async () => {
    await engine.close();
  });

  const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
  const parent = (calledElement: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="calls-later" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub" />
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="sub-start" />
      <bpmn:sequenceFlow id="f2" sourceRef="sub-start" targetRef="call" />
      <bpmn:callActivity id="call"><bpmn:extensionElements>${calledElement}</bpmn:extensionElements></bpmn:callActivity>
      <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="sub-end" />
      <bpmn:endEvent id="sub-end" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f4" sourceRef="sub" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
  const callsChild = parent('<zeebe:calledElement processId="called-child" />');
  const deployTogether = (...resources: [string, string][]) =>
    engine.write('DEPLOYMENT', 'CREATE', {
      resources: resources.map(([resourceName, xml]) => ({ resourceName, resource: Buffer.from(xml) })),
      tenantId: '<default>',
    });

  it('given a static processId deployed nowhere, then the deployment is rejected naming the call activity and the process', async () => {
    // given
    engine = await EngineHarness.create();
    // when
    const response = engine.deployXml('calls-later.bpmn', callsChild);
    // then
    expect(response).toMatchObject({ recordType: 'COMMAND_REJECTION', rejectionType: 'INVALID_ARGUMENT' });
    expect(response?.rejectionReason).toBe(
      "Expected to deploy new resources, but encountered the following errors:\n'calls-later.bpmn':\n- Element: call\n    - ERROR: " +
        "Expected the called process 'called-child' to be deployed already or in the same deployment, but it is neither. " +
        'Deploy it first or together with this process (or use a FEEL expression for the processId)',
    );
    expect(engine.find('PROCESS', 'CREATED')).toEqual([]);
  });

  it('given the called process in the same deployment, then both are deployed and the call runs', async () => {
    // given
    engine = await EngineHarness.create();
    // when
    const response = deployTogether(['calls-later.bpmn', callsChild], ['called-child.bpmn', fixture('called-child.bpmn')]);
    // then
    expect(response).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
    engine.createInstance('calls-later');
    expect(engine.find('INCIDENT', 'CREATED')).toEqual([]);
    expect((engine.activateJobs('child-work').value as any).jobKeys).toHaveLength(1);
  });

  it('given the called process as a YAML definition in the same deployment, then both are deployed', async () => {
    // given
    engine = await EngineHarness.create();
    const yaml = readFileSync(join(FIXTURES, '..', 'yaml', 'yaml-order.yaml'), 'utf8');
    // when
    const response = deployTogether(['calls-later.bpmn', parent('<zeebe:calledElement processId="yaml-order" />')], ['yaml-order.yaml', yaml]);
    // then
    expect(response).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
  });

  it('given the called process deployed before, then the caller is deployed', async () => {
    // given
    engine = await EngineHarness.create();
    engine.deploy('called-child.bpmn');
    // when
    const response = engine.deployXml('calls-later.bpmn', callsChild);
    // then
    expect(response).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
  });

  it('given a FEEL processId, then the deployment is accepted and an unknown process is an incident at run time', async () => {
    // given
    engine = await EngineHarness.create();
    // when
    const response = engine.deployXml('calls-later.bpmn', parent('<zeebe:calledElement processId="=childId" />'));
    // then
    expect(response).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
    engine.createInstance('calls-later', { childId: 'nowhere' });
    expect(engine.find('INCIDENT', 'CREATED')[0]?.value).toMatchObject({ errorType: 'CALLED_ELEMENT_ERROR', elementId: 'call' });
  });

  it("given bindingType 'deployment' and the called process deployed only before, then the deployment is rejected", async () => {
    // given
    engine = await EngineHarness.create();
    engine.deploy('called-child.bpmn');
    // when
    const response = engine.deployXml('calls-later.bpmn', parent('<zeebe:calledElement processId="called-child" bindingType="deployment" />'));
    // then
    expect(response?.rejectionType).toBe('INVALID_ARGUMENT');
    expect(response?.rejectionReason).toContain(
      "- Element: call\n    - ERROR: Expected the called process 'called-child' to be in the same deployment, since its bindingType is 'deployment', but it is not",
    );
  });

  it("given bindingType 'versionTag', then only a process with that version tag, deployed or in the deployment, is accepted", async () => {
    // given binding-child with version tag v1
    engine = await EngineHarness.create();
    engine.deploy('binding-child.bpmn');
    const callsTag = (tag: string) => parent(`<zeebe:calledElement processId="binding-child" bindingType="versionTag" versionTag="${tag}" />`);
    // when
    const v2 = engine.deployXml('calls-later.bpmn', callsTag('v2'));
    const v2WithChild = deployTogether(['calls-later.bpmn', callsTag('v2')], ['binding-child.bpmn', fixture('binding-child.bpmn').replace('value="v1"', 'value="v2"')]);
    const v1 = engine.deployXml('calls-later.bpmn', callsTag('v1'));
    // then
    expect(v2?.rejectionReason).toContain("ERROR: Expected a process 'binding-child' with version tag 'v2' to be deployed already or in the same deployment, but there is none");
    expect(v2WithChild).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
    expect(v1).toMatchObject({ recordType: 'EVENT', intent: 'CREATED' });
  });

  it('given a model with several bad elements and an unknown called process, then one rejection names every problem in document order', async () => {
    // given
    engine = await EngineHarness.create();
    // when
    const response = engine.deploy('bad-models.bpmn');
    // then
    const reason = response?.rejectionReason ?? '';
    const named = ['Element: choose', 'Element: wait-for-payment', 'Element: cool-down', 'Element: deadline', "Element: ship\n    - ERROR: Expected the called process 'shipping-not-deployed-yet'"];
    expect(named.map((text) => reason.indexOf(text))).toEqual(named.map((text) => reason.indexOf(text)).sort((a, b) => a - b));
    expect(named.every((text) => reason.includes(text))).toBe(true);
  });

  it('given a broker that allows unknown called processes, then the deployment is accepted, and the incident resolves once the process is deployed', async () => {
    // given
    engine = await EngineHarness.create({ allowUnknownCalledProcess: true });
    // when
    const deployed = engine.deployXml('calls-later.bpmn', callsChild);
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
