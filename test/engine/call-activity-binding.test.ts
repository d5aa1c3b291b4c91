import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHarness, FIXTURES } from './engine-harness.js';

/** zeebe:calledElement bindingType: which version of the called process a call activity starts. */
describe('call activity binding types', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
  /** The child process with another version tag and job type, so a new version of it is told apart. */
  const childWithTag = (versionTag: string) =>
    fixture('binding-child.bpmn').replace('value="v1"', `value="${versionTag}"`).replace('type="binding-child-work"', `type="work-${versionTag}"`);
  const changed = (xml: string) => xml.replace('<bpmn:process id="binding-child"', '<bpmn:process id="binding-child" name="changed"');
  const deployTogether = (...resources: [string, string][]) =>
    engine.write('DEPLOYMENT', 'CREATE', {
      resources: resources.map(([resourceName, xml]) => ({ resourceName, resource: Buffer.from(xml) })),
      tenantId: '<default>',
    });
  const calledVersion = (parentKey: bigint, callActivityId: string) => {
    const callKey = engine.elementInstanceKey(parentKey, callActivityId);
    const child = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'PROCESS' && value.parentElementInstanceKey === callKey);
    return child[0]?.value.version;
  };

  it('given the caller deployed with child v1 and child v2 deployed later, then latest calls v2, deployment and versionTag call v1', () => {
    // given
    engine.deploy('call-activity-binding.bpmn', 'binding-child.bpmn');
    deployTogether(['binding-child.bpmn', childWithTag('v2')]);
    // when
    const key = engine.createInstance('call-activity-binding', { childId: 'binding-child' });
    // then
    expect(calledVersion(key, 'call-latest')).toBe(2);
    expect(calledVersion(key, 'call-deployment')).toBe(1);
    expect(calledVersion(key, 'call-version-tag')).toBe(1);
    expect(engine.find('INCIDENT', 'CREATED')).toEqual([]);
  });

  it('given a version tag deployed again in a newer version, then versionTag calls the latest version with it', () => {
    // given
    engine.deploy('call-activity-binding.bpmn', 'binding-child.bpmn');
    deployTogether(['binding-child.bpmn', childWithTag('v2')]);
    deployTogether(['binding-child.bpmn', changed(childWithTag('v1'))]);
    // when
    const key = engine.createInstance('call-activity-binding', { childId: 'binding-child' });
    // then
    expect(calledVersion(key, 'call-latest')).toBe(3);
    expect(calledVersion(key, 'call-version-tag')).toBe(3);
    expect(calledVersion(key, 'call-deployment')).toBe(1);
  });

  it('given no version with the tag, then a CALLED_ELEMENT_ERROR incident names it, and resolves once one is deployed', async () => {
    // given a broker that deploys calls of processes deployed nowhere (as Zeebe does), and a child without the tag the caller asks for
    await engine.close();
    engine = await EngineHarness.create({ allowUnknownCalledProcess: true });
    engine.deploy('call-activity-binding.bpmn');
    deployTogether(['binding-child.bpmn', childWithTag('v2')]);
    // when
    const key = engine.createInstance('call-activity-binding', { childId: 'binding-child' });
    // then
    const incidents = engine.find('INCIDENT', 'CREATED');
    const tagIncident = incidents.find((incident) => incident.value.elementId === 'call-version-tag')!;
    expect(tagIncident.value).toMatchObject({
      errorType: 'CALLED_ELEMENT_ERROR',
      errorMessage:
        "Expected to call process with BPMN process id 'binding-child' and version tag 'v1', but no such process found. " +
        'To resolve this incident, deploy a process with the given process id and version tag.',
    });
    // and the caller was deployed without the child, so the deployment binding finds none either
    const deploymentIncident = incidents.find((incident) => incident.value.elementId === 'call-deployment')!;
    expect(deploymentIncident.value.errorType).toBe('CALLED_ELEMENT_ERROR');
    expect(deploymentIncident.value.errorMessage).toContain("Expected to call process with BPMN process id 'binding-child' with binding type 'deployment'");
    // when a version with the tag is deployed and the incident resolved
    engine.deploy('binding-child.bpmn');
    expect(engine.write('INCIDENT', 'RESOLVE', {}, tagIncident.key)?.intent).toBe('RESOLVED');
    // then the call activity calls it
    expect(calledVersion(key, 'call-version-tag')).toBe(2);
  });

  it('given a deployment where only the child changed, then the caller gets a new version too and its deployment binding calls the new child', () => {
    // given
    engine.deploy('call-activity-binding.bpmn', 'binding-child.bpmn');
    // when
    const second = deployTogether(['call-activity-binding.bpmn', fixture('call-activity-binding.bpmn')], ['binding-child.bpmn', changed(childWithTag('v1'))]);
    // then every process of the deployment is versioned together
    const metadata = (second?.value as any).processesMetadata;
    expect(metadata.map((entry: any) => [entry.bpmnProcessId, entry.version, entry.duplicate])).toEqual([
      ['call-activity-binding', 2, false],
      ['binding-child', 2, false],
    ]);
    const key = engine.createInstance('call-activity-binding', { childId: 'binding-child' });
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.processInstanceKey === key)[0].value.version).toBe(2);
    expect(calledVersion(key, 'call-deployment')).toBe(2);
    // and deploying both unchanged again keeps both versions and keys
    const third = deployTogether(['call-activity-binding.bpmn', fixture('call-activity-binding.bpmn')], ['binding-child.bpmn', changed(childWithTag('v1'))]);
    const thirdMetadata = (third?.value as any).processesMetadata;
    expect(thirdMetadata.map((entry: any) => [entry.version, entry.duplicate, entry.processDefinitionKey])).toEqual(
      metadata.map((entry: any) => [entry.version, true, entry.processDefinitionKey]),
    );
  });

  it('rejects an unknown binding type and a versionTag binding without a tag, naming both', () => {
    const xml = fixture('call-activity-binding.bpmn')
      .replace('bindingType="deployment"', 'bindingType="pinned"')
      .replace(' versionTag="v1"', '');
    const response = engine.deployXml('bad-binding.bpmn', xml);
    expect(response?.rejectionType).toBe('INVALID_ARGUMENT');
    expect(response?.rejectionReason).toContain("Element: call-deployment\n    - ERROR: Attribute 'bindingType' must be one of 'latest', 'deployment' or 'versionTag', but was 'pinned'");
    expect(response?.rejectionReason).toContain("Element: call-version-tag\n    - ERROR: Attribute 'versionTag' must be present and not empty when 'bindingType' is 'versionTag'");
  });
});
