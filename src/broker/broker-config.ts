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
  /** fsync the log before acknowledging; off only for benchmarks that compare without durability. */
  fsync: boolean;
  /** How often each partition takes a snapshot and compacts its log. */
  snapshotPeriodMs: number;
  /** Back-pressure bound on commands waiting in one partition. */
  pendingCommandsMax: number;
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
