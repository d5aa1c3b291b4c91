import { describe, expect, test } from 'vitest';
import type { CommandRequest } from '../gateway/broker-client.js';
import type { ReadonlyExporterPositionState } from '../state/domain/index.js';
import { LogExporterPositionStore } from './exporter-director-positions.js';

/** The partition as the store sees it: commands are applied to a map after a short delay, as committing takes. */
function fakePartition() {
  const positions = new Map<string, number>();
  const sent: CommandRequest[] = [];
  const state: ReadonlyExporterPositionState = {
    getPosition: (exporterId) => positions.get(exporterId),
    forEachPosition: (visitor) => positions.forEach((position, exporterId) => visitor(exporterId, position)),
  };
  const sendCommand = async (command: CommandRequest) => {
    sent.push(command);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const value = command.value as { exporterId: string; position: number };
    if (command.intent === 'UPDATE_POSITION') positions.set(value.exporterId, value.position);
    else positions.delete(value.exporterId);
  };
  return { positions, sent, state, sendCommand };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LogExporterPositionStore', () => {
  test('writes the latest acknowledged position once per interval, and nothing while no position moves', async () => {
    // given
    const partition = fakePartition();
    const store = await LogExporterPositionStore.open({ partitionId: 1, state: () => partition.state, sendCommand: partition.sendCommand, writeIntervalMs: 40 });

    // when many acknowledgements arrive within one interval
    for (let position = 1; position <= 50; position++) store.set('kafka', position);
    await sleep(150);

    // then one command stores the last of them, and idle intervals write nothing
    expect(partition.sent.map((command) => [command.valueType, command.intent, command.value])).toEqual([['EXPORTER', 'UPDATE_POSITION', { exporterId: 'kafka', position: 50 }]]);
    expect(store.get('kafka')).toBe(50);
    await sleep(150);
    expect(partition.sent).toHaveLength(1);
    await store.close();
  });

  test('resumes from the position in the state, and drops the positions of exporters no longer configured', async () => {
    // given positions a former leader stored
    const partition = fakePartition();
    partition.positions.set('kafka', 7);
    partition.positions.set('json-lines', 9);
    const store = await LogExporterPositionStore.open({ partitionId: 1, state: () => partition.state, sendCommand: partition.sendCommand, writeIntervalMs: 40 });

    // when
    await store.retainOnly(['kafka']);

    // then
    expect(store.get('kafka')).toBe(7);
    expect(partition.positions).toEqual(new Map([['kafka', 7]]));
    expect(store.get('json-lines')).toBe(-1);
    await store.close();
  });

  test('writes what is acknowledged when flushed, and nothing once closed', async () => {
    const partition = fakePartition();
    const store = await LogExporterPositionStore.open({ partitionId: 1, state: () => partition.state, sendCommand: partition.sendCommand, writeIntervalMs: 60_000 });
    store.set('kafka', 3);
    await store.flush();
    expect(partition.positions.get('kafka')).toBe(3);
    await store.close();
    store.set('kafka', 4);
    await store.flush();
    expect(partition.sent).toHaveLength(1);
  });
});
