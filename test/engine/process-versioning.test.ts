import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHarness, FIXTURES } from './engine-harness.js';

/** Process versions: redeploys, creation by version, and which version's start events are open after a deletion. */
describe('process versioning and deletion', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
  });
  afterEach(async () => {
    await engine.close();
  });

  const v2Xml = () => readFileSync(join(FIXTURES, 'start-events-versioned.bpmn'), 'utf8').replace('id="end"', 'id="end" name="v2"');
  const metadataOf = (deployment: { value: unknown } | undefined) => (deployment?.value as any).processesMetadata[0];
  const create = (version: number) =>
    engine.write('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'one-task', version, variables: {}, tenantId: '<default>' });
  /** Starts instances by message, signal and timer; returns the version each started instance has. */
  const startByEvents = () => {
    const before = engine.records.length;
    engine.publishMessage('start-versioned', '');
    engine.write('SIGNAL', 'BROADCAST', { signalName: 'start-versioned-signal', variables: {}, tenantId: '<default>' });
    engine.advanceTime(60 * 60_000);
    return engine.records
      .slice(before)
      .filter((record) => record.valueType === 'PROCESS_INSTANCE' && record.intent === 'ELEMENT_ACTIVATED' && (record.value as any).bpmnElementType === 'START_EVENT')
      .map((record) => `${(record.value as any).elementId}@${(record.value as any).version}`);
  };

  it('given two versions, then an instance is created from the latest or from the version asked for', () => {
    engine.deploy('one-task.bpmn');
    engine.deployXml('one-task.bpmn', readFileSync(join(FIXTURES, 'one-task.bpmn'), 'utf8').replace('purpose', 'purpose2'));
    expect((create(-1)?.value as any).version).toBe(2);
    expect((create(1)?.value as any).version).toBe(1);
    expect(create(3)?.rejectionReason).toBe("Expected to find process definition with process ID 'one-task' and version '3', but none found");
  });

  it('given a second version with start events, then only its start events are open', () => {
    // given
    engine.deploy('start-events-versioned.bpmn');
    expect(metadataOf(engine.deployXml('start-events-versioned.bpmn', v2Xml())).version).toBe(2);
    // when, then
    expect(startByEvents()).toEqual(['by-message@2', 'by-signal@2', 'by-timer@2']);
  });

  it('given the latest version is deleted, then its start events close and those of the previous version open again', () => {
    // given
    const first = metadataOf(engine.deploy('start-events-versioned.bpmn'));
    const second = metadataOf(engine.deployXml('start-events-versioned.bpmn', v2Xml()));
    // when
    const deleted = engine.write('RESOURCE_DELETION', 'DELETE', { resourceKey: second.processDefinitionKey, tenantId: '<default>' });
    // then
    expect(deleted?.intent).toBe('DELETED');
    expect(engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'DELETED').map((record) => record.value.processDefinitionKey)).toEqual([
      first.processDefinitionKey,
      second.processDefinitionKey,
    ]);
    expect(engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED').at(-1)?.value.processDefinitionKey).toBe(first.processDefinitionKey);
    expect(engine.find('SIGNAL_SUBSCRIPTION', 'CREATED').at(-1)?.value.processDefinitionKey).toBe(first.processDefinitionKey);
    expect(engine.find('TIMER', 'CREATED').at(-1)?.value.processDefinitionKey).toBe(first.processDefinitionKey);
    expect(startByEvents()).toEqual(['by-message@1', 'by-signal@1', 'by-timer@1']);
  });

  it('given an older version is deleted, then the start events of the latest stay open and nothing reopens', () => {
    // given
    const first = metadataOf(engine.deploy('start-events-versioned.bpmn'));
    engine.deployXml('start-events-versioned.bpmn', v2Xml());
    const createdBefore = engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED').length;
    // when
    engine.write('RESOURCE_DELETION', 'DELETE', { resourceKey: first.processDefinitionKey, tenantId: '<default>' });
    // then
    expect(engine.find('MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED')).toHaveLength(createdBefore);
    expect(startByEvents()).toEqual(['by-message@2', 'by-signal@2', 'by-timer@2']);
  });

  it('given the only version is deleted, then its start events close and nothing starts', () => {
    const only = metadataOf(engine.deploy('start-events-versioned.bpmn'));
    engine.write('RESOURCE_DELETION', 'DELETE', { resourceKey: only.processDefinitionKey, tenantId: '<default>' });
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
    expect(engine.find('SIGNAL_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    expect(startByEvents()).toEqual([]);
  });
});
