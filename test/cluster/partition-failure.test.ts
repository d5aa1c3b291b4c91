import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { eventually } from '../support/broker-process.js';
import { ClusterProcesses } from '../support/cluster-processes.js';
import { GatewayGrpcClient, type GrpcOutcome } from '../support/gateway-grpc.js';

/**
 * Three real brokers, one partition replicated on all of them. The leader's Raft log directory is deleted, so its
 * storage fails when the log needs its next segment: the replica must stop leading, a healthy one must be elected,
 * and the failed broker's own gateway must route its commands to the new leader.
 */

const PROCESS_ID = 'cluster-storage-failure';
/** Small segments, so that the log soon opens a new segment file (which fails once its directory is gone). */
const SEGMENT_SIZE_BYTES = 4_096;
const CREATIONS_MAX = 200;

let cluster: ClusterProcesses;
const clients: GatewayGrpcClient[] = [];

beforeAll(async () => {
  cluster = await ClusterProcesses.start({ size: 3, partitions: 1, replicationFactor: 3, args: ['--log-segment-size', String(SEGMENT_SIZE_BYTES)] });
}, 90_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await cluster?.dispose();
});

describe('a cluster whose partition leader has a storage failure', () => {
  it('elects a healthy leader, and the failed broker\'s gateway routes commands to it', async () => {
    // given: the leader of partition 1, with a deployed process, loses its log directory
    const probe = connect(0);
    const victim = await eventually('partition 1 to have a leader', () => leaderOf(probe));
    const gateway = connect(victim);
    const deployed = await gateway.call('DeployResource', { resources: [{ name: `${PROCESS_ID}.bpmn`, content: oneTaskProcess(PROCESS_ID, 'never-worked') }] });
    expect(deployed.ok).toBe(true);
    rmSync(join(cluster.brokers[victim].dataDir, 'partitions', '1', 'log'), { recursive: true, force: true });

    // when: instances are created through the victim's gateway until its log needs the next segment
    let failure: GrpcOutcome | undefined;
    for (let attempt = 0; attempt < CREATIONS_MAX && failure === undefined; attempt++) {
      const outcome = await gateway.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{}' });
      if (!outcome.ok) failure = outcome;
    }
    expect(failure).toMatchObject({ ok: false, codeName: 'UNAVAILABLE' });

    // then: another broker leads the partition, as the victim's own topology says, and its gateway creates there
    const newLeader = await eventually('a healthy broker to lead partition 1', async () => {
      const leader = await leaderOf(gateway);
      return leader !== undefined && leader !== victim ? leader : undefined;
    }, 15_000);
    const created = await eventually('an instance created through the failed broker\'s gateway', async () => {
      const outcome = await gateway.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{}' });
      return outcome.ok ? outcome.response : undefined;
    }, 15_000);
    expect(created).toMatchObject({ bpmnProcessId: PROCESS_ID });
    expect(newLeader).not.toBe(victim);
    expect(cluster.brokers[victim].isRunning).toBe(true);
  }, 90_000);
});

function connect(nodeId: number): GatewayGrpcClient {
  const client = new GatewayGrpcClient(cluster.brokers[nodeId]);
  clients.push(client);
  return client;
}

async function leaderOf(client: GatewayGrpcClient): Promise<number | undefined> {
  const topology = await client.call('Topology', {});
  if (!topology.ok) return undefined;
  const leader = topology.response.brokers.find((broker: any) => broker.partitions.some((partition: any) => partition.partitionId === 1 && partition.role === 'LEADER'));
  return leader?.nodeId;
}
