import { expect, test } from 'vitest';
import { RoundRobinJobStreams } from '../engine/index.js';
import { TributaryError } from '../errors.js';
import type { CommandRequest } from '../gateway/broker-client.js';
import type { Record } from '../protocol/index.js';
import { LocalBrokerClient, type SubmittingPartition } from './local-broker-client.js';
import type { NewCommand } from './partition.js';

// One process serving several partitions (a cluster node, or more partitions than threads): a storage failure of one
// partition must not fail what the others are working on.

function partition(partitionId: number, submitted: NewCommand[]): SubmittingPartition {
  return { partitionId, healthy: true, submit: (command) => void submitted.push(command) };
}

const COMPLETE_JOB: CommandRequest = { valueType: 'JOB', intent: 'COMPLETE', key: 5n, value: { variables: {} } as CommandRequest['value'] };

test("a partition's storage failure fails the requests waiting for it and leaves the other partitions' requests waiting", async () => {
  const onFirst: NewCommand[] = [];
  const onSecond: NewCommand[] = [];
  const client = new LocalBrokerClient(new RoundRobinJobStreams(), { nodeId: 0, host: '127.0.0.1', port: 26500 });
  client.attach([partition(1, onFirst), partition(2, onSecond)]);
  const failing = client.sendCommand(1, COMPLETE_JOB, { timeoutMs: 5_000 });
  const healthy = client.sendCommand(2, COMPLETE_JOB, { timeoutMs: 5_000 });
  failing.catch(() => {}); // awaited below; only keeps the rejection from counting as unhandled meanwhile

  client.failPartition(1, new TributaryError('PARTITION_FAILED', 'Partition 1 failed and stopped processing: ENOSPC'));
  const answer = { position: 7, valueType: 'JOB', intent: 'COMPLETED' } as unknown as Record;
  client.deliverResponse({ requestId: onSecond[0].requestId!, requestStreamId: 0, record: answer });

  await expect(failing).rejects.toMatchObject({ code: 'PARTITION_FAILED', message: 'Partition 1 failed and stopped processing: ENOSPC' });
  await expect(healthy).resolves.toBe(answer);
});
