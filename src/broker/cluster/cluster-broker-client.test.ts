import { afterEach, describe, expect, test } from 'vitest';
import { TributaryError } from '../../errors.js';
import type { CommandRequest } from '../../gateway/broker-client.js';
import { record } from '../../gateway/test-support/fake-broker-client.js';
import type { Record } from '../../protocol/index.js';
import type { LocalBrokerClient } from '../local-broker-client.js';
import { ClusterBrokerClient, type BrokerTransport, type RoutedReplica } from './cluster-broker-client.js';

/** Two nodes joined by an in-memory transport that delivers each message on a later turn, as a socket or port does. */
class LinkedTransports {
  private readonly handlers = new Map<number, (from: number, bytes: Buffer) => void>();

  transportOf(nodeId: number, peerId: number): BrokerTransport {
    return {
      peerIds: [peerId],
      sendApplication: (to, _channel, bytes) => {
        const copy = Buffer.from(bytes);
        setImmediate(() => this.handlers.get(to)?.(nodeId, copy));
      },
      subscribeApplication: (_channel, handler) => {
        this.handlers.set(nodeId, handler);
        return () => this.handlers.delete(nodeId);
      },
      peerStatus: () => ({ connected: true }),
    };
  }
}

const CREATE: CommandRequest = { valueType: 'PROCESS_INSTANCE_CREATION', intent: 'CREATE', key: -1n, value: { bpmnProcessId: 'order', variables: {} } };

const CREATED: Record = record({
  position: 17,
  sourceRecordPosition: 16,
  key: (1n << 51n) + 9n,
  timestamp: 1_700_000_000_000,
  valueType: 'PROCESS_INSTANCE_CREATION',
  intent: 'CREATED',
  value: { bpmnProcessId: 'order', processInstanceKey: (1n << 51n) + 9n, variables: {} },
});

function clientOf(nodeId: number, transport: BrokerTransport, replicas: RoutedReplica[], local: Partial<LocalBrokerClient>): ClusterBrokerClient {
  return new ClusterBrokerClient({
    nodeId,
    clusterSize: 2,
    partitionCount: 1,
    replicationFactor: 1,
    transport,
    local: { onJobsAvailable: () => () => undefined, openJobStream: () => () => undefined, ...local } as unknown as LocalBrokerClient,
    replicas: () => replicas,
    gatewayAddress: () => ({ host: '127.0.0.1', port: 26500 }),
    announceIntervalMs: 20,
  });
}

describe('ClusterBrokerClient forwarding a command to the leader on another node', () => {
  const clients: ClusterBrokerClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  async function gatewayWithLeader(answer: () => Promise<Record>): Promise<ClusterBrokerClient> {
    const links = new LinkedTransports();
    const gateway = clientOf(1, links.transportOf(1, 2), [], {});
    const leader = clientOf(2, links.transportOf(2, 1), [{ partitionId: 1, role: 'LEADER', term: 1, healthy: true }], { sendCommand: answer });
    clients.push(gateway, leader);
    gateway.start();
    leader.start();
    while (gateway.leaderOf(1) !== 2) await new Promise((resolve) => setTimeout(resolve, 5));
    return gateway;
  }

  test("answers with the leader's record", async () => {
    const gateway = await gatewayWithLeader(async () => CREATED);

    await expect(gateway.sendCommand(1, CREATE, { timeoutMs: 1_000 })).resolves.toEqual(CREATED);
  });

  test('fails with DEADLINE_EXCEEDED, naming the broker and the command, once the timeout passes without an answer', async () => {
    const gateway = await gatewayWithLeader(() => new Promise<Record>(() => undefined));
    const startedMs = Date.now();

    const error = await gateway.sendCommand(1, CREATE, { timeoutMs: 120 }).catch((caught: unknown) => caught);

    const waitedMs = Date.now() - startedMs;
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('DEADLINE_EXCEEDED');
    expect((error as TributaryError).message).toBe('Expected broker 2 to answer the PROCESS_INSTANCE_CREATION CREATE command within 120 ms, but it did not');
    expect(waitedMs).toBeGreaterThanOrEqual(115);
    expect(waitedMs).toBeLessThan(1_000);
  });

  test('times requests out again after a while with none waiting', async () => {
    const gateway = await gatewayWithLeader(() => new Promise<Record>(() => undefined));
    await expect(gateway.sendCommand(1, CREATE, { timeoutMs: 30 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await new Promise((resolve) => setTimeout(resolve, 100));

    await expect(gateway.sendCommand(1, CREATE, { timeoutMs: 60 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  test("passes on the leader's failure", async () => {
    const gateway = await gatewayWithLeader(async () => {
      throw new TributaryError('NOT_FOUND', "Expected to find a process with id 'order', but none was deployed");
    });

    await expect(gateway.sendCommand(1, CREATE, { timeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "Expected to find a process with id 'order', but none was deployed",
    });
  });

  test('fails requests still waiting with SHUTTING_DOWN when it closes', async () => {
    const gateway = await gatewayWithLeader(() => new Promise<Record>(() => undefined));
    const pending = gateway.sendCommand(1, CREATE, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));

    gateway.close();

    await expect(pending).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
