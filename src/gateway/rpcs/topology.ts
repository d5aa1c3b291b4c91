import type { GatewayContext } from '../gateway-context.js';
import type { TopologyResponse } from '../messages.js';

/** Topology: the brokers' view of the cluster, as the broker client reports it. No command is involved. */
export function topology(context: GatewayContext): TopologyResponse {
  const cluster = context.broker.topology();
  return {
    brokers: cluster.brokers.map((broker) => ({
      nodeId: broker.nodeId,
      host: broker.host,
      port: broker.port,
      version: broker.version,
      partitions: broker.partitions.map((partition) => ({
        partitionId: partition.partitionId,
        role: partition.role,
        health: partition.health,
      })),
    })),
    clusterSize: cluster.clusterSize,
    partitionsCount: cluster.partitionsCount,
    replicationFactor: cluster.replicationFactor,
    gatewayVersion: cluster.gatewayVersion,
  };
}
