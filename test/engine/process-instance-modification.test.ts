import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';
import { EngineHarness } from './engine-harness.js';

interface Activate {
  elementId: string;
  ancestorScopeKey?: bigint;
  variableInstructions?: { variables: object; elementId: string }[];
}

describe('process instance modification', () => {
  let engine: EngineHarness;
  beforeEach(async () => {
    engine = await EngineHarness.create();
    engine.deploy('modification.bpmn');
  });
  afterEach(async () => {
    await engine.close();
  });

  function modify(processInstanceKey: bigint, activate: Activate[], terminate: bigint[] = []) {
    const activateInstructions = activate.map((instruction) => ({
      elementId: instruction.elementId,
      ancestorScopeKey: instruction.ancestorScopeKey ?? -1n,
      variableInstructions: instruction.variableInstructions ?? [],
      ancestorScopeKeys: [],
    }));
    const terminateInstructions = terminate.map((elementInstanceKey) => ({ elementInstanceKey }));
    const value = { processInstanceKey, activateInstructions, terminateInstructions, tenantId: '<default>' };
    return engine.write('PROCESS_INSTANCE_MODIFICATION', 'MODIFY', value, processInstanceKey)!;
  }

  function completeJob(type: string, variables: object = {}): void {
    const batch = engine.activateJobs(type).value as any;
    expect(batch.jobKeys).toHaveLength(1);
    engine.write('JOB', 'COMPLETE', { variables }, batch.jobKeys[0]);
  }

  it('given an instance waiting at a message catch event, when the token is moved on to the next task, then the instance goes on and completes', () => {
    // given
    const key = engine.createInstance('modification', { orderId: 'o-1', items: [1] });
    completeJob('a');
    const b = engine.elementInstanceKey(key, 'B');
    // when
    const response = modify(key, [{ elementId: 'C' }], [b]);
    // then
    expect(response).toMatchObject({ recordType: 'EVENT', valueType: 'PROCESS_INSTANCE_MODIFICATION', intent: 'MODIFIED', key });
    expect(response.value).toMatchObject({ processInstanceKey: key, terminateInstructions: [{ elementInstanceKey: b }] });
    expect((response.value as any).activateInstructions[0]).toMatchObject({ elementId: 'C', ancestorScopeKeys: [key] });
    expect(engine.elementEvents(key)).toEqual(expect.arrayContaining(['C:ELEMENT_ACTIVATED', 'B:ELEMENT_TERMINATED']));
    expect(engine.find('PROCESS_MESSAGE_SUBSCRIPTION', 'DELETED')).toHaveLength(1);
    completeJob('c');
    completeJob('d');
    completeJob('e');
    expect(engine.elementEvents(key).at(-1)).toBe('modification:ELEMENT_COMPLETED');
  });

  it('given an element inside a subprocess that is not active, when it is activated, then the subprocess is created with the variables of each scope', () => {
    // given
    const key = engine.createInstance('modification', { orderId: 'o-2', items: [] });
    const a = engine.elementInstanceKey(key, 'A');
    // when
    const response = modify(
      key,
      [
        {
          elementId: 'D',
          variableInstructions: [
            { variables: { global: 1 }, elementId: '' },
            { variables: { inSub: 2 }, elementId: 'sub' },
            { variables: { inTask: 3 }, elementId: 'D' },
          ],
        },
      ],
      [a],
    );
    // then
    const sub = engine.elementInstanceKey(key, 'sub');
    const d = engine.elementInstanceKey(key, 'D');
    expect((response.value as any).activateInstructions[0].ancestorScopeKeys).toEqual([key, sub]);
    expect(engine.elementEvents(key)).toEqual(expect.arrayContaining(['sub:ELEMENT_ACTIVATING', 'sub:ELEMENT_ACTIVATED', 'D:ELEMENT_ACTIVATED', 'A:ELEMENT_TERMINATED']));
    expect(engine.elementEvents(key)).not.toContain('sub-start:ELEMENT_ACTIVATED');
    const scopes = Object.fromEntries(engine.find('VARIABLE', 'CREATED').map((record) => [record.value.name, record.value.scopeKey]));
    expect(scopes).toMatchObject({ global: key, inSub: sub, inTask: d });
    // the subprocess completes with its task, and the instance goes on past it
    completeJob('d');
    expect(engine.elementEvents(key)).toContain('sub:ELEMENT_COMPLETED');
    expect(engine.elementEvents(key).at(-1)).toBe('modification:ELEMENT_COMPLETED');
  });

  it('given a second activation of an active element, then both instances run and the instance waits for both', () => {
    const key = engine.createInstance('modification', { orderId: 'o-3', items: [] });
    modify(key, [{ elementId: 'A' }]);
    expect(engine.find('JOB', 'CREATED')).toHaveLength(2);
    const batch = engine.activateJobs('a').value as any;
    engine.write('JOB', 'COMPLETE', { variables: {} }, batch.jobKeys[0]);
    engine.write('JOB', 'COMPLETE', { variables: {} }, batch.jobKeys[1]);
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'B')).toHaveLength(2);
  });

  it('given a multi-instance subprocess, when it is activated, then its body runs one instance per item and the instance completes', () => {
    const key = engine.createInstance('modification', { orderId: 'o-10', items: ['x', 'y'] });
    modify(key, [{ elementId: 'mi-sub' }], [engine.elementInstanceKey(key, 'A')]);
    expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'MULTI_INSTANCE_BODY')).toHaveLength(1);
    const batch = engine.activateJobs('e').value as any;
    expect(batch.jobKeys).toHaveLength(2);
    for (const jobKey of batch.jobKeys) engine.write('JOB', 'COMPLETE', { variables: {} }, jobKey);
    expect(engine.elementEvents(key).at(-1)).toBe('modification:ELEMENT_COMPLETED');
  });

  it('given an element inside an event subprocess, when it is activated, then the event subprocess is created and completes with it', () => {
    // given
    engine.deploy('event-subprocess-message-non-interrupting.bpmn');
    const key = engine.createInstance('event-subprocess-message-non-interrupting', { orderId: 'o-11' });
    // when
    modify(key, [{ elementId: 'handle' }]);
    // then
    expect(engine.elementEvents(key)).toEqual(expect.arrayContaining(['handler:ELEMENT_ACTIVATED', 'handle:ELEMENT_ACTIVATED']));
    completeJob('handle');
    expect(engine.elementEvents(key)).toContain('handler:ELEMENT_COMPLETED');
    completeJob('work');
    expect(engine.elementEvents(key).at(-1)).toBe('event-subprocess-message-non-interrupting:ELEMENT_COMPLETED');
  });

  it('given the last active element of the instance, when it is terminated, then the process instance is terminated', () => {
    const key = engine.createInstance('modification', { orderId: 'o-4' });
    const a = engine.elementInstanceKey(key, 'A');
    modify(key, [], [a]);
    expect(engine.elementEvents(key).slice(-2)).toEqual(['A:ELEMENT_TERMINATED', 'modification:ELEMENT_TERMINATED']);
    expect(engine.find('JOB', 'CANCELED')).toHaveLength(1);
    expect(engine.find('TIMER', 'CANCELED')).toHaveLength(1);
  });

  it('given the last task of a subprocess, when it is terminated, then the subprocess is terminated and the instance with it', () => {
    const key = engine.createInstance('modification', { orderId: 'o-5' });
    modify(key, [{ elementId: 'D' }], [engine.elementInstanceKey(key, 'A')]);
    modify(key, [], [engine.elementInstanceKey(key, 'D')]);
    expect(engine.elementEvents(key).slice(-3)).toEqual(['D:ELEMENT_TERMINATED', 'sub:ELEMENT_TERMINATED', 'modification:ELEMENT_TERMINATED']);
  });

  it('given two active instances of a subprocess, then an activation inside it must name one, and does with its ancestor key', () => {
    const key = engine.createInstance('modification', { orderId: 'o-6' });
    modify(key, [{ elementId: 'D' }, { elementId: 'sub' }]);
    const subs = engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'sub').map((record) => record.key);
    expect(subs).toHaveLength(2);
    const rejection = modify(key, [{ elementId: 'D' }]);
    expect(rejection).toMatchObject({ recordType: 'COMMAND_REJECTION', rejectionType: 'INVALID_ARGUMENT' });
    expect(rejection.rejectionReason).toContain("flow scope with more than one active instance: 'D'");
    const accepted = modify(key, [{ elementId: 'D', ancestorScopeKey: subs[1] }]);
    expect((accepted.value as any).activateInstructions[0].ancestorScopeKeys).toEqual([subs[1]]);
  });

  it('given modifications, when the records are replayed, then the element instances and their tokens are the same', async () => {
    // given
    const key = engine.createInstance('modification', { orderId: 'o-9', items: [1, 2] });
    modify(key, [{ elementId: 'D' }, { elementId: 'C' }], [engine.elementInstanceKey(key, 'A')]);
    completeJob('c');
    // when
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });
    for (const record of engine.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }
    // then
    const keys = [...new Set(engine.records.map((record) => record.key))];
    expect(keys.map((instanceKey) => replayed.state.elementInstances.getInstance(instanceKey))).toEqual(
      keys.map((instanceKey) => engine.engine.state.elementInstances.getInstance(instanceKey)),
    );
    expect(engine.engine.state.elementInstances.getInstance(key)?.activeSequenceFlows).toBe(0);
    await store.close();
    dir.remove();
  });

  describe('rejections', () => {
    it('given an unknown process instance, then NOT_FOUND', () => {
      const rejection = modify(2251799813685999n, [{ elementId: 'A' }]);
      expect(rejection).toMatchObject({
        recordType: 'COMMAND_REJECTION',
        rejectionType: 'NOT_FOUND',
        rejectionReason: "Expected to modify process instance but no process instance found with key '2251799813685999'",
      });
    });

    it.each([
      ['an unknown element', [{ elementId: 'nope' }], "activate instructions with an element that could not be found: 'nope'"],
      ['an element inside a multi-instance subprocess', [{ elementId: 'E' }], "activate instructions for elements that are nested in a multi-instance activity: 'E'"],
      ['a boundary event and a start event', [{ elementId: 'a-timeout' }, { elementId: 'start' }], "activate instructions for elements that are unsupported: 'a-timeout', 'start'"],
      ['variables for an unknown scope', [{ elementId: 'C', variableInstructions: [{ variables: {}, elementId: 'ghost' }] }], "variable instructions with a scope element id that could not be found: 'ghost'"],
      ['variables for a scope that is not a flow scope of the element', [{ elementId: 'C', variableInstructions: [{ variables: {}, elementId: 'sub' }] }], "variable instructions with a scope element that doesn't belong to the activating element's flow scope: 'sub'"],
      ['an unknown ancestor', [{ elementId: 'D', ancestorScopeKey: 2251799813685999n }], "activate instructions with an ancestor scope key that does not exist, or is not in an active state: '2251799813685999'"],
    ])('given activate instructions with %s, then INVALID_ARGUMENT naming them and nothing changes', (_case, activate, reason) => {
      const key = engine.createInstance('modification', { orderId: 'o-7' });
      const before = engine.records.length;
      const rejection = modify(key, activate as Activate[]);
      expect(rejection).toMatchObject({ recordType: 'COMMAND_REJECTION', rejectionType: 'INVALID_ARGUMENT' });
      expect(rejection.rejectionReason.startsWith(`Expected to modify instance of process 'modification' but it contains one or more ${reason}`)).toBe(true);
      expect(engine.records.slice(before).map((record) => record.recordType)).toEqual(['COMMAND', 'COMMAND_REJECTION']);
    });

    it('given a terminate instruction with an unknown key, then INVALID_ARGUMENT and the valid activation is not applied either', () => {
      const key = engine.createInstance('modification', { orderId: 'o-8' });
      const rejection = modify(key, [{ elementId: 'C' }], [key, 2251799813685999n]);
      expect(rejection).toMatchObject({
        rejectionType: 'INVALID_ARGUMENT',
        rejectionReason: `Expected to modify instance of process 'modification' but it contains one or more terminate instructions with an element instance key that could not be found: '${key}', '2251799813685999'`,
      });
      expect(engine.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.elementId === 'C')).toHaveLength(0);
    });
  });
});
