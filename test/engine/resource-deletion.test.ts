import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHarness, FIXTURES } from './engine-harness.js';

describe('resource deletion', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const processKeyOf = (deployment: { value: unknown } | undefined): bigint =>
    (deployment?.value as any).processesMetadata[0].processDefinitionKey;
  const deleteResource = (resourceKey: bigint) => engine.write('RESOURCE_DELETION', 'DELETE', { resourceKey, tenantId: '<default>' });

  it('given a process with a running instance, when it is deleted, then the instance runs on and no new one starts', () => {
    // given
    const processKey = processKeyOf(engine.deploy('one-task.bpmn'));
    const running = engine.createInstance('one-task');
    // when
    const response = deleteResource(processKey);
    // then
    expect(response?.recordType).toBe('EVENT');
    expect(response?.intent).toBe('DELETED');
    expect(engine.find('PROCESS').map((record) => record.intent)).toEqual(['CREATED', 'DELETING', 'DELETED']);
    expect(engine.find('PROCESS', 'DELETED')[0].key).toBe(processKey);
    const byId = engine.write('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'one-task', version: -1, variables: {}, tenantId: '<default>' });
    expect(byId?.rejectionType).toBe('NOT_FOUND');
    const byKey = engine.write('PROCESS_INSTANCE_CREATION', 'CREATE', { processDefinitionKey: processKey, variables: {}, tenantId: '<default>' });
    expect(byKey?.rejectionType).toBe('NOT_FOUND');
    // and the running instance still completes
    const jobKey = (engine.activateJobs('work').value as any).jobKeys[0];
    engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    expect(engine.elementEvents(running).at(-1)).toBe('one-task:ELEMENT_COMPLETED');
  });

  it('given two versions, when the latest is deleted, then the previous is the latest and versions are not reused', () => {
    // given
    engine.deploy('one-task.bpmn');
    const xml = readFileSync(join(FIXTURES, 'one-task.bpmn'), 'utf8').replace('purpose', 'purpose2');
    const second = processKeyOf(engine.deployXml('one-task.bpmn', xml));
    // when
    deleteResource(second);
    // then
    const created = engine.write('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'one-task', version: -1, variables: {}, tenantId: '<default>' });
    expect((created?.value as any).version).toBe(1);
    const third = engine.deployXml('one-task.bpmn', xml);
    expect((third?.value as any).processesMetadata[0].version).toBe(3);
  });

  it('given an unknown key, then the deletion is rejected with NOT_FOUND', () => {
    const response = deleteResource(2251799813685999n);
    expect(response?.rejectionType).toBe('NOT_FOUND');
    expect(response?.rejectionReason).toBe('Expected to delete resource but no resource found with key `2251799813685999`');
    expect(engine.find('PROCESS', 'DELETED')).toEqual([]);
  });
});
