import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { camundaClient, type ZeebeClient } from '../support/camunda-client.js';
import { ClusterProcesses } from '../support/cluster-processes.js';

/**
 * A follower that was down while the leader snapshotted and compacted its log cannot catch up from the log: the
 * leader sends its snapshot over Raft in chunks, the follower installs it and continues from there.
 */

let cluster: ClusterProcesses;
const clients: ZeebeClient[] = [];

beforeAll(async () => {
  // Small segments and frequent snapshots, so that compaction removes the entries the follower misses.
  cluster = await ClusterProcesses.start({ size: 3, partitions: 1, replicationFactor: 3, args: ['--log-segment-size', '16384', '--snapshot-period', '300'] });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await cluster?.dispose();
});

describe('a follower behind the compacted log', () => {
  it('catches up through the leader\'s snapshot', async () => {
    // given: the leader, and a follower that is down
    const probe = camundaClient(cluster.brokers[0], { retry: true });
    clients.push(probe);
    const leader = await eventuallyValue(async () => (await probe.topology()).brokers.find((broker) => broker.partitions.some((partition) => partition.role === 'LEADER'))?.nodeId);
    const follower = [0, 1, 2].find((nodeId) => nodeId !== leader)!;
    const other = [0, 1, 2].find((nodeId) => nodeId !== leader && nodeId !== follower)!;
    const zeebe = camundaClient(cluster.brokers[other], { retry: true });
    clients.push(zeebe);
    await cluster.brokers[follower].kill();

    // when: enough happens meanwhile for several segments to be compacted away
    await zeebe.deployResource({ process: oneTaskProcess('snapshot-install', 'snapshot-install-work'), name: 'snapshot-install.bpmn' });
    const payload = 'x'.repeat(2_000);
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 20 }, () => zeebe.createProcessInstance({ bpmnProcessId: 'snapshot-install', variables: { payload } })));
    }
    await sleep(1_500);
    const leaderPosition = (await cluster.metric(leader!, 'tributary_state_position', 1))!;
    await cluster.brokers[follower].restart();

    // then: the follower's state reaches the leader's, and its log continues after the snapshot it installed
    const firstSegment = (nodeId: number) => readdirSync(join(cluster.brokers[nodeId].dataDir, 'partitions', '1', 'log')).filter((name) => name.endsWith('.log')).sort()[0];
    await eventuallyValue(async () => {
      const position = (await cluster.metric(follower, 'tributary_state_position', 1)) ?? 0;
      return (position >= leaderPosition && firstSegment(follower) !== '00000000000000000001.log') || undefined;
    });
    expect(Number.parseInt(firstSegment(follower), 10)).toBeGreaterThan(1);
    // and it serves as a leader with that state: the instances created while it was down are all there
    await cluster.brokers[leader!].kill();
    const jobs = await zeebe.activateJobs({ type: 'snapshot-install-work', maxJobsToActivate: 500, timeout: 60_000, worker: 'check', requestTimeout: 5_000 });
    expect(jobs.length).toBe(200);
  }, 120_000);
});

async function eventuallyValue<T>(read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Expected a value within ${timeoutMs} ms${cluster.outputForError()}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
