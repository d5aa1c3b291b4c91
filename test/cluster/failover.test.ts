import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { camundaClient, streamCompletingJobs, type ZeebeClient } from '../support/camunda-client.js';
import { ClusterProcesses } from '../support/cluster-processes.js';
import type { ExportedRecord } from '../support/broker-process.js';

/**
 * Three real brokers on loopback, every partition replicated three times, load from the official client. The leader
 * of a partition is killed with SIGKILL and restarted; another broker is frozen (SIGSTOP: it neither sends nor
 * answers, as behind a network cut) and thawed. Afterwards every acknowledged instance must have completed exactly
 * once and every acknowledged job completion must have been applied exactly once.
 */

const PARTITIONS = 3;
const PROCESS_ID = 'cluster-failover';
const JOB_TYPE = 'cluster-failover-work';
const CREATE_INTERVAL_MS = 15;
const FAILOVER_TIMEOUT_MS = 15_000;

let cluster: ClusterProcesses;
const clients: ZeebeClient[] = [];

beforeAll(async () => {
  cluster = await ClusterProcesses.start({ size: 3, partitions: PARTITIONS, replicationFactor: 3 });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await cluster?.dispose();
});

describe('a 3-broker cluster with replication factor 3', () => {
  it('routes commands to leaders on other brokers and streams their jobs to this gateway', async () => {
    // given: a client on a broker that leads no partition
    const probe = track(camundaClient(cluster.brokers[0], { retry: true }));
    await waitForLeaders(probe, PARTITIONS);
    const leaders = await Promise.all([1, 2, 3].map((partitionId) => leaderOf(probe, partitionId)));
    const follower = [0, 1, 2].find((nodeId) => !leaders.includes(nodeId));
    const zeebe = track(camundaClient(cluster.brokers[follower ?? 2], { retry: false }));
    await zeebe.deployResource({ process: oneTaskProcess('cluster-stream', 'cluster-stream-work'), name: 'cluster-stream.bpmn' });
    const stream = await streamCompletingJobs(zeebe, 'cluster-stream-work', { worker: 'cluster-stream-worker' });
    const { pushed } = stream;
    try {
      await sleep(500);

      // when: one instance on each partition
      const created = await Promise.all([1, 2, 3].map(() => zeebe.createProcessInstance({ bpmnProcessId: 'cluster-stream', variables: {} })));

      // then: the partitions (led elsewhere) pushed every job to this gateway's stream
      const keys = created.map((instance) => instance.processInstanceKey);
      expect(new Set(keys.map((key) => Number(BigInt(key) >> 51n)))).toEqual(new Set([1, 2, 3]));
      await eventually(() => pushed.length === 3, 10_000);
      expect([...pushed].sort()).toEqual([...keys].sort());
      const topology = await zeebe.topology();
      expect(topology.brokers.map((broker) => broker.partitions.length)).toEqual([3, 3, 3]);
    } finally {
      stream.close();
    }
  }, 60_000);

  it('loses no acknowledged instance or job completion when a leader is killed and a broker is cut off', async () => {
    // given: a client on a broker that leads nothing (or the least), and a leader to kill elsewhere
    const probe = track(camundaClient(cluster.brokers[0], { retry: true }));
    await waitForLeaders(probe, PARTITIONS);
    const victim = (await leaderOf(probe, 1))!;
    const clientNode = [0, 1, 2].find((nodeId) => nodeId !== victim)!;
    const zeebe = track(camundaClient(cluster.brokers[clientNode], { retry: false }));
    await zeebe.deployResource({ process: oneTaskProcess(PROCESS_ID, JOB_TYPE), name: `${PROCESS_ID}.bpmn` });
    const load = startLoad(zeebe);

    // when: the leader of partition 1 is killed under load, then restarted
    await sleep(2_000);
    const killedAt = Date.now();
    await cluster.brokers[victim].kill();
    const newLeader = await waitForLeaderOtherThan(zeebe, 1, victim);
    const failoverMs = Date.now() - killedAt;
    await sleep(1_000);
    await cluster.brokers[victim].restart();

    // and: the leader of partition 2 (never the client's broker) is frozen for 3 s, then thawed
    await sleep(1_000);
    const frozen = (await leaderOf(zeebe, 2)) ?? newLeader;
    const cut = frozen === clientNode ? [0, 1, 2].find((nodeId) => nodeId !== clientNode && nodeId !== newLeader)! : frozen;
    process.kill(cluster.brokers[cut].pid!, 'SIGSTOP');
    await sleep(3_000);
    process.kill(cluster.brokers[cut].pid!, 'SIGCONT');
    await sleep(2_000);
    const acknowledged = await load.stop();

    // then
    const records = await waitForCompletions(acknowledged.instanceKeys);
    console.log(
      `cluster failover: leader of partition 1 (broker ${victim}) killed, broker ${newLeader} led after ${failoverMs} ms; ` +
        `${acknowledged.instanceKeys.length} instances acknowledged (${acknowledged.failedCreates} creates failed), ${acknowledged.completedJobKeys.length} job completions acknowledged`,
    );
    expect(acknowledged.instanceKeys.length).toBeGreaterThan(100);
    expect(failoverMs).toBeLessThan(FAILOVER_TIMEOUT_MS);
    const completions = countBy(records.filter(isProcessCompleted), (record) => String(record.key));
    const notOnce = acknowledged.instanceKeys.filter((key) => completions.get(key) !== 1);
    expect(notOnce, `instances not completed exactly once${cluster.outputForError()}`).toEqual([]);
    const jobCompletions = countBy(records.filter((record) => record.valueType === 'JOB' && record.intent === 'COMPLETED'), (record) => String(record.key));
    expect(acknowledged.completedJobKeys.filter((key) => jobCompletions.get(key) !== 1)).toEqual([]);
    expect(new Set(acknowledged.completedJobKeys).size, 'a job completion acknowledged twice').toBe(acknowledged.completedJobKeys.length);
  }, 120_000);
});

interface Acknowledged {
  instanceKeys: string[];
  completedJobKeys: string[];
  failedCreates: number;
}

/** Creates instances at a steady rate and completes their jobs, remembering what the gateway acknowledged. */
function startLoad(zeebe: ZeebeClient): { stop: () => Promise<Acknowledged> } {
  const acknowledged: Acknowledged = { instanceKeys: [], completedJobKeys: [], failedCreates: 0 };
  const creates: Promise<void>[] = [];
  zeebe.createWorker({
    taskType: JOB_TYPE,
    timeout: 3_000,
    maxJobsToActivate: 64,
    taskHandler: async (job) => {
      const outcome = await job.complete();
      acknowledged.completedJobKeys.push(job.key);
      return outcome;
    },
  });
  const timer = setInterval(() => {
    creates.push(
      zeebe.createProcessInstance({ bpmnProcessId: PROCESS_ID, variables: {} }).then(
        (created) => void acknowledged.instanceKeys.push(created.processInstanceKey),
        () => void acknowledged.failedCreates++,
      ),
    );
  }, CREATE_INTERVAL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(creates);
      return acknowledged;
    },
  };
}

/** Waits until every instance has completed (its jobs are re-activated after their timeout where a leader died). */
async function waitForCompletions(instanceKeys: string[]): Promise<ExportedRecord[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const records = cluster.exportedRecords();
    const completed = new Set(records.filter(isProcessCompleted).map((record) => String(record.key)));
    if (instanceKeys.every((key) => completed.has(key)) || Date.now() > deadline) return records;
    await sleep(500);
  }
}

function isProcessCompleted(record: ExportedRecord): boolean {
  return record.recordType === 'EVENT' && record.valueType === 'PROCESS_INSTANCE' && record.intent === 'ELEMENT_COMPLETED' && record.value.bpmnElementType === 'PROCESS';
}

async function leaderOf(zeebe: ZeebeClient, partitionId: number): Promise<number | undefined> {
  const topology = await zeebe.topology();
  return topology.brokers.find((broker) => broker.partitions.some((partition) => partition.partitionId === partitionId && partition.role === 'LEADER'))?.nodeId;
}

async function waitForLeaders(zeebe: ZeebeClient, partitions: number): Promise<void> {
  const deadline = Date.now() + FAILOVER_TIMEOUT_MS;
  for (;;) {
    const leaders = await Promise.all(Array.from({ length: partitions }, (_, index) => leaderOf(zeebe, index + 1)));
    if (leaders.every((leader) => leader !== undefined)) return;
    if (Date.now() > deadline) throw new Error(`Expected every partition to elect a leader, got ${leaders.join(', ')}${cluster.outputForError()}`);
    await sleep(50);
  }
}

async function waitForLeaderOtherThan(zeebe: ZeebeClient, partitionId: number, oldLeader: number): Promise<number> {
  const deadline = Date.now() + FAILOVER_TIMEOUT_MS;
  for (;;) {
    const leader = await leaderOf(zeebe, partitionId).catch(() => undefined);
    if (leader !== undefined && leader !== oldLeader) return leader;
    if (Date.now() > deadline) throw new Error(`Expected partition ${partitionId} to elect a new leader within ${FAILOVER_TIMEOUT_MS} ms${cluster.outputForError()}`);
    await sleep(25);
  }
}

async function eventually(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Expected the condition within ${timeoutMs} ms${cluster.outputForError()}`);
    await sleep(50);
  }
}

function track(client: ZeebeClient): ZeebeClient {
  clients.push(client);
  return client;
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
