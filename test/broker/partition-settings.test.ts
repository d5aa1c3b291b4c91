import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { ClusterProcesses } from '../support/cluster-processes.js';
import { GatewayGrpcClient } from '../support/gateway-grpc.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/**
 * A partition's settings reach it whichever way it runs: on the gateway's thread, on a partition thread, or as the
 * Raft replica of a cluster. Two settings far from their defaults, each seen from outside: a call activity of a
 * process deployed nowhere is accepted (rejected by default), and small log segments make the partition's log roll
 * over into several segment files (one 64 MiB segment by default).
 */

const SEGMENT_SIZE_BYTES = 4096;
const INSTANCES = 10;
const SETTINGS_ARGS = [
  '--allow-unknown-called-process',
  '--log-segment-size', String(SEGMENT_SIZE_BYTES),
  // No compaction during the test: it would delete the segments counted.
  '--snapshot-period', '600000',
];

interface Started {
  broker: BrokerProcess;
  dispose(): Promise<void>;
}

const alone = (partitionThreads: number) => async (): Promise<Started> => {
  const broker = await BrokerProcess.start({ partitions: 1, args: ['--partition-threads', String(partitionThreads), ...SETTINGS_ARGS] });
  return { broker, dispose: () => broker.dispose() };
};

const oneBrokerCluster = async (): Promise<Started> => {
  const cluster = await ClusterProcesses.start({ size: 1, partitions: 1, replicationFactor: 1, args: SETTINGS_ARGS });
  return { broker: cluster.brokers[0], dispose: () => cluster.dispose() };
};

describe('partition settings from the broker flags', () => {
  let started: Started | undefined;
  let client: GatewayGrpcClient | undefined;

  afterEach(async () => {
    client?.close();
    await started?.dispose();
  });

  test.each([
    ['a broker alone, its partition on the gateway\'s thread', alone(0)],
    ['a broker alone, its partition on a worker thread', alone(1)],
    ['a one-broker cluster, its partition a Raft replica', oneBrokerCluster],
  ])('given %s, then a call activity of an unknown process deploys and the log rolls over into small segments', async (_mode, start) => {
    // given
    started = await start();
    client = new GatewayGrpcClient(started.broker);

    // when
    const deployed = await client.call('DeployResource', {
      resources: [{ name: 'call-activity-static.bpmn', content: readFileSync(join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn', 'call-activity-static.bpmn')) }],
    });
    const created = [];
    for (let instance = 0; instance < INSTANCES; instance++) {
      created.push(await client.call('CreateProcessInstance', { bpmnProcessId: 'call-activity-static', version: -1, variables: '{}' }));
    }

    // then
    expect(deployed).toMatchObject({ ok: true });
    expect(created.every((outcome) => outcome.ok)).toBe(true);
    const segments = readdirSync(join(started.broker.dataDir, 'partitions', '1', 'log')).filter((name) => name.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(2);
  }, 60_000);
});
