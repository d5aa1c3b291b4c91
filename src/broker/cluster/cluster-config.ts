/** How a broker joins a cluster. Left out of BrokerConfig, the broker runs alone, without Raft. */
export interface ClusterConfig {
  /** Brokers in the cluster; node ids run from 0 to clusterSize - 1. */
  clusterSize: number;
  /** Replicas of each partition (at most clusterSize); a partition survives the loss of a minority of them. */
  replicationFactor: number;
  /** Interface and port of the broker-to-broker connection (Raft and command forwarding); Zeebe's is 26502. */
  internalHost: string;
  internalPort: number;
  /** The internal address (host:port) of every broker, in node-id order, this one included. */
  contactPoints: string[];
  /** Brokers refuse connections from brokers of another cluster. */
  clusterId: string;
  /** Raft's clock: ticks of this many milliseconds; elections take 10 to 20 ticks. */
  raftTickIntervalMs: number;
}

export const INTERNAL_PORT_DEFAULT = 26502;
export const CLUSTER_ID_DEFAULT = 'tributary';
export const RAFT_TICK_INTERVAL_DEFAULT_MS = 100;

/**
 * The nodes that hold replicas of a partition: round-robin over the brokers, as Zeebe distributes them, so that
 * partition p's first replica is on node (p - 1) mod clusterSize and the others on the nodes after it.
 */
export function replicasOf(partitionId: number, clusterSize: number, replicationFactor: number): number[] {
  const replicas: number[] = [];
  for (let offset = 0; offset < replicationFactor; offset++) replicas.push((partitionId - 1 + offset) % clusterSize);
  return replicas;
}

/** The problems of a cluster configuration for this node, all at once; empty when it is usable. */
export function clusterConfigProblems(config: ClusterConfig, nodeId: number, partitionCount: number): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(config.clusterSize) || config.clusterSize < 1) problems.push(`--cluster-size must be a positive integer, got ${config.clusterSize}`);
  if (!Number.isSafeInteger(config.replicationFactor) || config.replicationFactor < 1 || config.replicationFactor > config.clusterSize) {
    problems.push(`--replication-factor must be between 1 and the cluster size (${config.clusterSize}), got ${config.replicationFactor}`);
  }
  if (!Number.isSafeInteger(nodeId) || nodeId < 0 || nodeId >= config.clusterSize) problems.push(`--node-id must be between 0 and ${config.clusterSize - 1}, got ${nodeId}`);
  if (config.contactPoints.length !== config.clusterSize) {
    problems.push(`--contact-points must list the internal address of every broker in node-id order (${config.clusterSize}), got ${config.contactPoints.length}`);
  }
  for (const point of config.contactPoints) {
    if (parseAddress(point) === undefined) problems.push(`contact point '${point}' is not host:port`);
  }
  if (partitionCount < 1) problems.push(`--partitions must be at least 1, got ${partitionCount}`);
  return problems;
}

export function parseAddress(address: string): { host: string; port: number } | undefined {
  const separator = address.lastIndexOf(':');
  if (separator <= 0) return undefined;
  const port = Number(address.slice(separator + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: address.slice(0, separator), port };
}
