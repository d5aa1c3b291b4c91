import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RoundRobinJobStreams, type PendingResponse } from '../../src/engine/index.js';
import { Partition, type NewCommand } from '../../src/broker/partition.js';
import { PARTITION_SETTINGS_DEFAULTS } from '../../src/broker/partition-settings.js';
import type { Record } from '../../src/protocol/index.js';
import { tempDir } from '../support/temp-dir.js';
import { FIXTURES } from '../engine/engine-harness.js';

/** A partition on real disk with a listener that collects what it delivers. */
async function openPartition(directory: string, segmentSizeBytesMax?: number) {
  const responses: PendingResponse[] = [];
  const committed: Record[] = [];
  const partition = await Partition.open({
    partitionId: 1,
    directory,
    settings: { ...PARTITION_SETTINGS_DEFAULTS, segmentSizeBytesMax },
    clock: { nowMs: () => 1_700_000_000_000 },
    jobStreams: new RoundRobinJobStreams(),
    listener: {
      onResponse: (response) => responses.push(response),
      onSideEffect: () => {},
      onCommitted: (records) => committed.push(...records),
      onFailure: (error) => {
        throw error;
      },
    },
  });
  let nextRequestId = 1;
  const send = async (command: Omit<NewCommand, 'requestId'>): Promise<Record> => {
    const requestId = nextRequestId++;
    partition.submit({ ...command, requestId, requestStreamId: 0 });
    for (let attempt = 0; attempt < 500; attempt++) {
      const response = responses.find((candidate) => candidate.requestId === requestId);
      if (response) return response.record;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no response to request ${requestId}`);
  };
  return { partition, committed, send };
}

const deployCommand = (): Omit<NewCommand, 'requestId'> => ({
  valueType: 'DEPLOYMENT',
  intent: 'CREATE',
  key: -1n,
  value: { resources: [{ resourceName: 'one-task.bpmn', resource: readFileSync(join(FIXTURES, 'one-task.bpmn')) }], tenantId: '<default>' },
});
const createCommand = (): Omit<NewCommand, 'requestId'> => ({
  valueType: 'PROCESS_INSTANCE_CREATION',
  intent: 'CREATE',
  key: -1n,
  value: { bpmnProcessId: 'one-task', version: -1, variables: {}, tenantId: '<default>' },
});
const activateCommand = (): Omit<NewCommand, 'requestId'> => ({
  valueType: 'JOB_BATCH',
  intent: 'ACTIVATE',
  key: -1n,
  value: { type: 'work', worker: 'w', timeout: 60_000, maxJobsToActivate: 100, variables: [], tenantIds: [] },
});

describe('partition', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

  it('given acknowledged commands, when the partition reopens, then its state is back and positions go on', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await openPartition(dir.path);
    await first.send(deployCommand());
    const created = await first.send(createCommand());
    expect(created.intent).toBe('CREATED');
    const lastPosition = first.committed.at(-1)!.position;
    await first.partition.close();

    const second = await openPartition(dir.path);
    const batch = await second.send(activateCommand());
    expect((batch.value as any).jobKeys).toHaveLength(1);
    expect(second.committed[0].position).toBe(lastPosition + 1);
    await second.partition.close();
  });

  it('given a snapshot and a compacted log, when the state directory is lost, then it is rebuilt from the snapshot and the log', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await openPartition(dir.path, 8 * 1024);
    await first.send(deployCommand());
    for (let i = 0; i < 20; i++) await first.send(createCommand());
    await first.partition.snapshotAndCompact(Number.MAX_SAFE_INTEGER);
    expect(first.partition.log.firstIndex).toBeGreaterThan(1);
    for (let i = 0; i < 3; i++) await first.send(createCommand());
    await first.partition.close();
    rmSync(join(dir.path, 'state'), { recursive: true, force: true });

    const second = await openPartition(dir.path);
    const batch = await second.send(activateCommand());
    expect((batch.value as any).jobKeys).toHaveLength(23);
    await second.partition.close();
  });
});
