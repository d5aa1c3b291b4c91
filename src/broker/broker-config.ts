import type { BrokerTransport } from './cluster/cluster-broker-client.js';
import type { ClusterConfig } from './cluster/cluster-config.js';
import type { KafkaFormat, KafkaKeyField, RecordFilterOptions } from '../exporters/index.js';
import type { BackpressureConfig } from './backpressure/index.js';

/** Everything a single broker is started with; `tributary broker` fills it from flags. */
export interface BrokerConfig {
  /** Where partitions keep their logs, state and snapshots. */
  dataDirectory: string;
  /** Interface the gateway and monitoring servers listen on. */
  host: string;
  /** Gateway (Zeebe gateway protocol, gRPC); 0 picks a free port. */
  gatewayPort: number;
  /** /ready, /health, /metrics; 0 picks a free port. */
  monitoringPort: number;
  partitionCount: number;
  nodeId: number;
  /** Append every record as JSON lines to this file (the built-in JSON-lines exporter). */
  exportJsonlFile?: string;
  /** Mirror every record into Kafka (the Kafka exporter); off when left out. */
  kafka?: KafkaExportConfig;
  /**
   * Serve the Confluent-compatible schema registry on this port (0 picks a free one). Left out, it is served on 8081
   * only when the Kafka exporter writes Avro and no external registry is configured.
   */
  schemaRegistryPort?: number;
  /** fsync the log before acknowledging; off only for benchmarks that compare without durability. */
  fsync: boolean;
  /** How often each partition takes a snapshot and compacts its log. */
  snapshotPeriodMs: number;
  /** Back-pressure bound on commands waiting in one partition. */
  pendingCommandsMax: number;
  /** How each partition's limit on commands in flight adapts; AIMD up to pendingCommandsMax when left out. */
  backpressure?: BackpressureConfig;
  /** Log segment size; the log is compacted a whole segment at a time. The log's default when left out. */
  segmentSizeBytesMax?: number;
  /**
   * Run the partitions on this many worker threads (at most one per partition), beside the gateway's thread; 0 runs
   * them on the gateway's thread.
   */
  partitionThreads?: number;
  /** Set by the broker for its partition threads: which partitions this thread runs and how it reaches the others. */
  threadMember?: ThreadMemberConfig;
  /** Join a cluster of brokers (Raft-replicated partitions); left out, the broker runs alone. */
  cluster?: ClusterConfig;
  /** How long an idempotency key of a process instance creation is remembered (the Kafka connectors send them). */
  idempotencyWindowMs?: number;
  /**
   * Deploy call activities whose static called process is deployed nowhere, as Zeebe does (the call raises an
   * incident when it runs); off by default, such a deployment is rejected. Set it alike on every broker.
   */
  allowUnknownCalledProcess?: boolean;
}

export interface KafkaExportConfig {
  /** host:port of Kafka brokers to bootstrap from. */
  brokers: string[];
  /** Topics are `<prefix>-<value-type>`; defaults to 'tributary'. */
  topicPrefix?: string;
  format?: KafkaFormat;
  /** What the Kafka key is; the process instance key by default. */
  keyField?: KafkaKeyField;
  filter?: RecordFilterOptions;
  /** An external Confluent-compatible registry for Avro schemas; the broker's own when left out. */
  schemaRegistryUrl?: string;
  /** false turns the exporter off while keeping its settings: its stored positions are dropped, compaction goes on. */
  enabled?: boolean;
}

export const BROKER_CONFIG_DEFAULTS: BrokerConfig = {
  dataDirectory: './data',
  host: '0.0.0.0',
  gatewayPort: 26500,
  monitoringPort: 9600,
  partitionCount: 1,
  nodeId: 0,
  fsync: true,
  snapshotPeriodMs: 5 * 60_000,
  pendingCommandsMax: 20_000,
};

/** A partition thread of a broker (see partitionThreads). */
export interface ThreadMemberConfig {
  /** 1 to threadCount; the main thread is 0. */
  nodeId: number;
  threadCount: number;
  partitionIds: number[];
  transport: BrokerTransport;
}
