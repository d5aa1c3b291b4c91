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
import { PARTITION_SETTINGS_DEFAULTS } from '../partition-settings.js';

const LIMIT = 3;

/** A partition on real disk whose limit on commands in flight is fixed at LIMIT. */
async function openPartition(directory: string) {
  const responses: PendingResponse[] = [];
  const committed: Record[] = [];
  const partition = await Partition.open({
    partitionId: 1,
    directory,
    clock: { nowMs: () => Date.now() },
    jobStreams: new RoundRobinJobStreams(),
    settings: { ...PARTITION_SETTINGS_DEFAULTS, backpressure: { algorithm: 'fixed', limitMax: LIMIT } },
    listener: { onResponse: (response) => responses.push(response), onSideEffect: () => {}, onCommitted: (records) => committed.push(...records), onFailure: (error) => { throw error; } },
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
  /** Waits until count instances were created (their creations are durable), and gives their keys. */
  const createdInstances = async (count: number): Promise<bigint[]> => {
    for (let attempt = 0; attempt < 500; attempt++) {
      const keys = committed.filter((record) => record.valueType === 'PROCESS_INSTANCE_CREATION' && record.intent === 'CREATED').map((record) => record.key);
      if (keys.length >= count) return keys;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`fewer than ${count} instances were created`);
  };
  const metric = (name: string): number => {
    const registry = new MetricsRegistry();
    registerPartitionMetrics(registry, () => [partition]);
    const line = registry.exposition().split('\n').find((candidate) => candidate.startsWith(`${name}{partition="1"} `));
    return Number(line?.split(' ')[1]);
  };
  return { partition, submit, answer, createdInstances, metric, send: (command: Omit<NewCommand, 'requestId'>) => answer(submit(command)) };
}

const command = (valueType: NewCommand['valueType'], intent: NewCommand['intent'], value: object, key = -1n): Omit<NewCommand, 'requestId'> =>
  ({ valueType, intent, key, value: value as NewCommand['value'] });
const deploy = () => command('DEPLOYMENT', 'CREATE', { resources: [{ resourceName: 'one-task.bpmn', resource: readFileSync(join(FIXTURES, 'one-task.bpmn')) }], tenantId: '<default>' });
const create = () => command('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId: 'one-task', version: -1, variables: {}, tenantId: '<default>' });
const createAwaitingResult = (bpmnProcessId = 'one-task') =>
  command('PROCESS_INSTANCE_CREATION', 'CREATE_WITH_AWAITING_RESULT', { bpmnProcessId, version: -1, variables: {}, fetchVariables: [], tenantId: '<default>' });
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

  it('given creations awaiting their result fill the limit, then new commands are refused until the instances complete, and activating and completing their jobs is accepted', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { partition, submit, answer, createdInstances, metric, send } = await openPartition(dir.path);
    await send(deploy());

    // Given: LIMIT creations awaiting their result, durable (their instances wait at the service task).
    const awaiting = Array.from({ length: LIMIT }, () => submit(createAwaitingResult()));
    await createdInstances(LIMIT);
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(LIMIT);
    expect(metric('tributary_backpressure_awaiting_result_commands')).toBe(LIMIT);

    // When: a new command comes, it is refused: the unanswered creations hold the slots.
    expect(refusal(() => submit(create()))?.code).toBe('RESOURCE_EXHAUSTED');

    // Then: the worker still activates and completes the jobs, and each completion answers its creation.
    const jobKeys = ((await send(activate())).value as { jobKeys: bigint[] }).jobKeys;
    expect(jobKeys).toHaveLength(LIMIT);
    for (const jobKey of jobKeys) expect((await send(command('JOB', 'COMPLETE', { variables: {} }, jobKey))).intent).toBe('COMPLETED');
    for (const requestId of awaiting) expect((await answer(requestId)).valueType).toBe('PROCESS_INSTANCE_RESULT');
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(0);
    expect((await send(create())).intent).toBe('CREATED');
    await partition.close();
  });

  it('given a creation awaiting its result, when its instance is cancelled or its request times out, then its slot is free again', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { partition, submit, createdInstances, metric, send } = await openPartition(dir.path);
    await send(deploy());
    submit(createAwaitingResult());
    const timedOut = submit(createAwaitingResult());
    const [cancelledKey] = await createdInstances(2);
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(2);

    // When: the first instance is cancelled (its request is never answered, as in Zeebe).
    expect((await send(command('PROCESS_INSTANCE', 'CANCEL', {}, cancelledKey))).intent).toBe('ELEMENT_TERMINATING');
    // Then: its slot is free.
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(1);

    // When: the second one's request times out at the broker; then its slot is free too, and counted once only.
    partition.onResultRequestTimedOut(timedOut);
    partition.onResultRequestTimedOut(timedOut);
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(0);
    expect(metric('tributary_backpressure_awaiting_result_commands')).toBe(0);

    // When: a third one's request times out before its creation is even processed; then no slot is held for it.
    partition.onResultRequestTimedOut(submit(createAwaitingResult()));
    await createdInstances(3);
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(0);
    await partition.close();
  });

  it('given a creation awaiting the result of a process that does not exist, then it is rejected and its slot is free', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { partition, metric, send } = await openPartition(dir.path);
    const rejection = await send(createAwaitingResult('no-such-process'));
    expect(rejection.recordType).toBe('COMMAND_REJECTION');
    expect(metric('tributary_backpressure_in_flight_commands')).toBe(0);
    await partition.close();
  });
});
