import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import type { Record } from '../../src/protocol/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';
import { EngineHarness } from './engine-harness.js';

const HOUR_MS = 60 * 60_000;

function create(harness: EngineHarness, idempotencyKey: string | undefined, intent: 'CREATE' | 'CREATE_WITH_AWAITING_RESULT' = 'CREATE'): Record | undefined {
  return harness.write('PROCESS_INSTANCE_CREATION', intent, { bpmnProcessId: 'one-task', version: -1, variables: { n: 1 }, tenantId: '<default>', ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
}

function startedInstances(harness: EngineHarness): bigint[] {
  return harness.find('PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', (value) => value.bpmnElementType === 'PROCESS').map((record) => record.key);
}

describe('idempotent process instance creation', () => {
  it('a second creation with the same idempotency key within the window answers with the first instance and starts none', async () => {
    // given
    const harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn');
    const first = create(harness, 'orders-0-41');
    const recordsBefore = harness.records.length;

    // when
    harness.nowMs += HOUR_MS - 1;
    const second = create(harness, 'orders-0-41');

    // then
    expect(first?.recordType).toBe('EVENT');
    expect(second).toMatchObject({ recordType: 'EVENT', valueType: 'PROCESS_INSTANCE_CREATION', intent: 'CREATED', key: first?.key });
    expect((second?.value as any).processInstanceKey).toBe((first?.value as any).processInstanceKey);
    expect(harness.records.slice(recordsBefore).map((record) => `${record.recordType} ${record.valueType} ${record.intent}`)).toEqual(['COMMAND PROCESS_INSTANCE_CREATION CREATE']);
    expect(startedInstances(harness)).toEqual([first?.key]);
    await harness.close();
  });

  it('other keys, no key, and the same key after the window each start an instance', async () => {
    // given
    const harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn');
    const first = create(harness, 'orders-0-1');

    // when
    const other = create(harness, 'orders-0-2');
    const withoutKey = [create(harness, undefined), create(harness, undefined)];
    harness.nowMs += HOUR_MS;
    const afterWindow = create(harness, 'orders-0-1');
    const duplicateOfNew = create(harness, 'orders-0-1');

    // then
    const keys = [first, other, ...withoutKey, afterWindow].map((record) => record?.key);
    expect(new Set(keys).size).toBe(5);
    expect(duplicateOfNew?.key).toBe(afterWindow?.key);
    expect(startedInstances(harness)).toEqual(keys);
    expect(harness.find('PROCESS_INSTANCE_CREATION', 'CREATED').map((record) => record.value.idempotencyKeyExpiresAtMs)).toEqual([
      1_700_000_000_000 + HOUR_MS,
      1_700_000_000_000 + HOUR_MS,
      undefined,
      undefined,
      1_700_000_000_000 + 2 * HOUR_MS,
    ]);
    await harness.close();
  });

  it('a duplicate that awaits the result is rejected with ALREADY_EXISTS naming the first instance', async () => {
    // given
    const harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn');
    const first = create(harness, 'orders-0-7');

    // when
    const second = create(harness, 'orders-0-7', 'CREATE_WITH_AWAITING_RESULT');

    // then
    expect(second).toMatchObject({ recordType: 'COMMAND_REJECTION', rejectionType: 'ALREADY_EXISTS' });
    expect(second?.rejectionReason).toBe(
      `Expected to create an instance for idempotency key 'orders-0-7', but instance '${first?.key}' was created for it already; its result cannot be awaited again`,
    );
    expect(startedInstances(harness)).toEqual([first?.key]);
    await harness.close();
  });

  it('replaying the records rebuilds the keys, so a duplicate after a restart still finds the first instance', async () => {
    // given
    const harness = await EngineHarness.create();
    harness.deploy('one-task.bpmn');
    const first = create(harness, 'orders-0-9');
    harness.nowMs += HOUR_MS;
    create(harness, 'orders-0-10');
    const dir = tempDir();
    const store = await StateStore.open({ directory: dir.path });
    const replayed = new Engine({ partitionId: 1, store });

    // when
    for (const record of harness.records) {
      replayed.replay(record);
      replayed.endReplayedEntry(record.position);
    }

    // then the expired key was forgotten by the later creation, the live one is there, in both engines
    for (const engine of [harness.engine, replayed]) {
      expect(engine.state.idempotency.getCreation('<default>', 'orders-0-9')).toBeUndefined();
      expect(engine.state.idempotency.getCreation('<default>', 'orders-0-10')).toMatchObject({ bpmnProcessId: 'one-task', expiresAtMs: 1_700_000_000_000 + 2 * HOUR_MS });
    }
    expect(first?.key).toBeDefined();
    await store.close();
    dir.remove();
    await harness.close();
  });
});
