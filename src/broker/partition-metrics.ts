import { registerBackpressureMetrics } from './backpressure/index.js';
import type { MetricsRegistry } from './metrics.js';
import type { BrokerPartition } from './broker-partition.js';

/** Scrape-time metrics of partitions: health, back-pressure queue, log and state positions. */
export function registerPartitionMetrics(registry: MetricsRegistry, partitions: () => Iterable<BrokerPartition>): void {
  const samples = (value: (partition: BrokerPartition) => number) =>
    function* () {
      for (const partition of partitions()) yield { labels: { partition: partition.partitionId }, value: value(partition) };
    };
  const labelNames = ['partition'] as const;
  registerBackpressureMetrics(registry, partitions);
  registry.gauge({
    name: 'tributary_partition_healthy',
    help: '1 while the partition processes commands, 0 after it stopped on a storage failure.',
    labelNames,
    collect: samples((partition) => (partition.healthy ? 1 : 0)),
  });
  registry.gauge({
    name: 'tributary_partition_pending_commands',
    help: 'Commands waiting to be processed or to become durable (back-pressure applies at the configured bound).',
    labelNames,
    collect: samples((partition) => partition.pendingCommandCount),
  });
  registry.gauge({
    name: 'tributary_log_last_index',
    help: 'Index of the last entry appended to the partition log.',
    labelNames,
    collect: samples((partition) => partition.log.lastIndex),
  });
  registry.gauge({
    name: 'tributary_log_durable_index',
    help: 'Index of the last log entry written and fsynced.',
    labelNames,
    collect: samples((partition) => partition.log.durableIndex),
  });
  registry.gauge({
    name: 'tributary_state_position',
    help: 'Log position the in-memory state covers.',
    labelNames,
    collect: samples((partition) => partition.store.position),
  });
  registry.gauge({
    name: 'tributary_state_persisted_position',
    help: 'Log position the state persisted in RocksDB covers; a restart replays the log after it.',
    labelNames,
    collect: samples((partition) => partition.store.persistedPosition),
  });
}
