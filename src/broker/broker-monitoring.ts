import type { HealthReport, MonitoringSource, Readiness } from '../http/index.js';
import type { Broker } from './broker.js';

/** Answers the monitoring endpoints from the broker's partitions and metrics. */
export class BrokerMonitoring implements MonitoringSource {
  constructor(private readonly broker: Broker) {}

  readiness(): Readiness {
    const partitions = this.broker.partitions.map((partition) => ({
      partitionId: partition.partitionId,
      ready: partition.healthy,
      role: 'leader',
      ...(partition.healthy ? {} : { reason: `Partition ${partition.partitionId} stopped processing` }),
    }));
    return { ready: partitions.length > 0 && partitions.every((partition) => partition.ready), details: { partitions } };
  }

  health(): HealthReport {
    const components = this.broker.partitions.map((partition) => ({
      name: `partition-${partition.partitionId}`,
      status: partition.healthy ? ('healthy' as const) : ('dead' as const),
      ...(partition.healthy ? {} : { message: 'the partition stopped processing after a storage failure' }),
    }));
    const status = components.every((component) => component.status === 'healthy') ? 'healthy' : 'dead';
    return { status, components: [{ name: 'broker', status, components }] };
  }

  metrics(): string {
    return this.broker.metrics.exposition();
  }
}
