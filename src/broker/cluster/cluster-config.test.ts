import { describe, expect, it } from 'vitest';
import { clusterConfigProblems, replicasOf, type ClusterConfig } from './cluster-config.js';

const config = (overrides: Partial<ClusterConfig> = {}): ClusterConfig => ({
  clusterSize: 3,
  replicationFactor: 3,
  internalHost: '127.0.0.1',
  internalPort: 26502,
  contactPoints: ['a:26502', 'b:26502', 'c:26502'],
  clusterId: 'tributary',
  raftTickIntervalMs: 100,
  ...overrides,
});

describe('replicasOf', () => {
  it('spreads partitions round-robin over the brokers, as Zeebe does', () => {
    expect([1, 2, 3, 4].map((partitionId) => replicasOf(partitionId, 3, 2))).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
      [0, 1],
    ]);
  });
});

describe('clusterConfigProblems', () => {
  it('accepts a complete configuration', () => {
    expect(clusterConfigProblems(config(), 2, 3)).toEqual([]);
  });

  it('names every problem at once', () => {
    const problems = clusterConfigProblems(config({ replicationFactor: 4, contactPoints: ['a:26502', 'nonsense'] }), 5, 3);
    expect(problems).toEqual([
      '--replication-factor must be between 1 and the cluster size (3), got 4',
      '--node-id must be between 0 and 2, got 5',
      '--contact-points must list the internal address of every broker in node-id order (3), got 2',
      "contact point 'nonsense' is not host:port",
    ]);
  });
});
