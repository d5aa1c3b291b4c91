import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RoundRobinJobStreams, type PendingResponse } from '../../engine/index.js';
import { TributaryError } from '../../errors.js';
import type { Record } from '../../protocol/index.js';
import { FIXTURES } from '../../../test/engine/engine-harness.js';
import { tempDir } from '../../../test/support/temp-dir.js';
import { MetricsRegistry } from '../metrics.js';
import { registerPartitionMetrics } from '../partition-metrics.js';
import { Partition, type NewCommand } from '../partition.js';

const LIMIT = 3;

/** A partition on real disk whose limit on commands in flight is fixed at LIMIT. */
async function openPartition(directory: string) {
  const responses: PendingResponse[] = [];
  const partition = await Partition.open({
    partitionId: 1,
    directory,
    clock: { nowMs: () => Date.now() },
    jobStreams: new RoundRobinJobStreams(),
    backpressure: { algorithm: 'fixed', limitMax: LIMIT },
    listener: { onResponse: (response) => responses.push(response), onSideEffect: () => {}, onCommitted: () => {}, onFailure: (error) => { throw error; } },
  });
  let nextRequestId = 1;
  const submit = (command: Omit<NewCommand, 'requestId'>): number => {
    const requestId = nextRequestId++;
    partition.submit({ ...command, requestId, requestStreamId: 0 });
    return requestId;
  };
  const answer = async (requestId: number): Promise<Record> => {
    for (let attempt = 0; attempt < 500; attempt++) {
      const response = responses.find((candidate) => candidate.requestId === requestId);
      if (response) return response.record;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no response to request ${requestId}`);
  };
  return { partition, submit, answer, send: (command: Omit<NewCommand, 'requestId'>) => answer(submit(command)) };
}

const command = (valueType: NewCommand['valueType'], intent: NewCommand['intent'], value: object, key = -1n): Omit<NewCommand, 'requestId'> =>
  ({ valueType, intent, key, value: value as NewCommand['value'] });
const deploy = () => command('DEPLOYMENT', 'CREATE', { resources: [{ resourceName: 'one-task.bpmn', resource: readFileSync(join(FIXTURES, 'one-task.bpmn')) }], tenantId: '<default>' });
const create = () => command('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'one-task', version: -1, variables: {}, tenantId: '<default>' });
const activate = () => command('JOB_BATCH', 'ACTIVATE', { type: 'work', worker: 'w', timeout: 60_000, maxJobsToActivate: 10, variables: [], tenantIds: [] });

function refusal(action: () => unknown): TributaryError | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return error as TributaryError;
  }
}

describe('partition back-pressure', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

  it('given its limit in flight, when more commands come, then new ones are RESOURCE_EXHAUSTED and job completions still accepted', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { partition, submit, answer, send } = await openPartition(dir.path);
    await send(deploy());
    for (let i = 0; i < 2; i++) await send(create());
    const jobKeys = ((await send(activate())).value as { jobKeys: bigint[] }).jobKeys;
    expect(jobKeys).toHaveLength(2);

    // Given: LIMIT commands submitted in one turn of the event loop, none answered yet.
    const accepted = Array.from({ length: LIMIT }, () => submit(create()));
    // When: one more new command, then a job completion and a job failure.
    const refused = refusal(() => submit(create()));
    const completion = submit(command('JOB', 'COMPLETE', { variables: {} }, jobKeys[0]));
    const failure = submit(command('JOB', 'FAIL', { retries: 0, errorMessage: 'no', retryBackoff: 0, variables: {} }, jobKeys[1]));

    // Then: the new command is refused with a clear error; everything accepted is answered.
    expect(refused).toBeInstanceOf(TributaryError);
    expect(refused?.code).toBe('RESOURCE_EXHAUSTED');
    expect(refused?.message).toMatch(/partition 1 is overloaded \(3 commands in flight\)/);
    for (const requestId of accepted) expect((await answer(requestId)).intent).toBe('CREATED');
    expect((await answer(completion)).intent).toBe('COMPLETED');
    expect((await answer(failure)).intent).toBe('FAILED');
    // And once the commands in flight were answered, new commands are accepted again.
    expect((await send(create())).intent).toBe('CREATED');

    const registry = new MetricsRegistry();
    registerPartitionMetrics(registry, () => [partition]);
    const metrics = registry.exposition();
    expect(metrics).toContain('tributary_backpressure_limit_commands{partition="1"} 3');
    expect(metrics).toContain('tributary_backpressure_in_flight_commands{partition="1"} 0');
    expect(metrics).toContain('tributary_backpressure_rejected_commands_total{partition="1"} 1');
    await partition.close();
  });
});
