import { join } from 'node:path';
import type { JobStreamRegistry } from '../../engine/index.js';
import { TcpTransport, type PeerAddress } from '../../raft/index.js';
import type { Clock } from '../clock.js';
import type { LocalBrokerClient } from '../local-broker-client.js';
import type { PartitionListener } from '../partition.js';
import type { PartitionSettings } from '../partition-settings.js';
import { ClusterBrokerClient } from './cluster-broker-client.js';
import { clusterConfigProblems, parseAddress, replicasOf, type ClusterConfig } from './cluster-config.js';
import { ReplicatedPartition } from './replicated-partition.js';

export interface ClusterNodeOptions {
  nodeId: number;
  cluster: ClusterConfig;
  partitionCount: number;
  dataDirectory: string;
  clock: Clock;
  /** Every replica's settings, the same as a broker alone gives its partitions. */
  settings: PartitionSettings;
  jobStreams: JobStreamRegistry;
  local: LocalBrokerClient;
  gatewayAddress: () => { host: string; port: number };
  /** The broker's listener for one partition's answers, side effects, committed records and failure. */
  listenerFor: (partitionId: number, partition: () => ReplicatedPartition | undefined) => PartitionListener;
  /** A replica started or stopped leading (the broker starts or stops its exporters). */
  onRoleChange: (partition: ReplicatedPartition) => void;
  onWarning: (message: string) => void;
}

/**
 * This broker's part of a cluster: the connection to every other broker, a Raft replica for each partition it holds
 * (round-robin, as Zeebe spreads them), and the gateway's client that routes commands to the leaders.
 */
export class ClusterNode {
  readonly replicas: ReplicatedPartition[] = [];

  private constructor(
    readonly transport: TcpTransport,
    readonly client: ClusterBrokerClient,
  ) {}

  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const { cluster, nodeId } = options;
    const problems = clusterConfigProblems(cluster, nodeId, options.partitionCount);
    if (problems.length > 0) throw new RangeError(`Invalid cluster configuration: ${problems.join('; ')}`);
    const transport = new TcpTransport({
      nodeId,
      clusterId: cluster.clusterId,
      listen: { host: cluster.internalHost, port: cluster.internalPort },
      peers: peersOf(cluster, nodeId),
      onWarning: options.onWarning,
    });
    await transport.start();
    // The client asks for the replicas, which open after it: it reads them through this holder.
    const opened: { node?: ClusterNode } = {};
    const client = new ClusterBrokerClient({
      nodeId,
      clusterSize: cluster.clusterSize,
      partitionCount: options.partitionCount,
      replicationFactor: cluster.replicationFactor,
      transport,
      local: options.local,
      replicas: () => opened.node?.replicas ?? [],
      gatewayAddress: options.gatewayAddress,
    });
    const node = new ClusterNode(transport, client);
    opened.node = node;
    try {
      await node.openReplicas(options);
    } catch (error) {
      await node.close();
      throw error;
    }
    client.start();
    return node;
  }

  private async openReplicas(options: ClusterNodeOptions): Promise<void> {
    const { cluster, nodeId } = options;
    for (let partitionId = 1; partitionId <= options.partitionCount; partitionId++) {
      const replicaIds = replicasOf(partitionId, cluster.clusterSize, cluster.replicationFactor);
      if (!replicaIds.includes(nodeId)) continue;
      const opened: { replica?: ReplicatedPartition } = {};
      const replica = await ReplicatedPartition.open({
        partitionId,
        directory: join(options.dataDirectory, 'partitions', String(partitionId)),
        clock: options.clock,
        jobStreams: options.jobStreams,
        partitionCount: options.partitionCount,
        settings: options.settings,
        listener: options.listenerFor(partitionId, () => opened.replica),
        nodeId,
        replicaIds,
        transport: this.transport,
        raftTickIntervalMs: cluster.raftTickIntervalMs,
        onRoleChange: (changed) => {
          this.client.announce();
          options.onRoleChange(changed);
        },
        onRequestFailed: (requestId, error) => options.local.failRequest(requestId, error),
      });
      opened.replica = replica;
      this.replicas.push(replica);
    }
  }

  /** Closes the replicas (each flushes and closes its files), then the connections. */
  async close(): Promise<void> {
    this.client.close();
    for (const replica of this.replicas) await replica.close();
    await this.transport.close();
  }
}

function peersOf(cluster: ClusterConfig, nodeId: number): Map<number, PeerAddress | undefined> {
  const peers = new Map<number, PeerAddress | undefined>();
  cluster.contactPoints.forEach((point, peerId) => {
    if (peerId !== nodeId) peers.set(peerId, parseAddress(point));
  });
  return peers;
}
