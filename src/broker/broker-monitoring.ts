import type { ComponentHealth, HealthReport, HealthStatus, MonitoringSource, Readiness } from '../http/index.js';
import type { Broker } from './broker.js';
import { mergeExpositions } from './threads/merge-expositions.js';

/** Answers the monitoring endpoints from the broker's partitions and metrics. */
export class BrokerMonitoring implements MonitoringSource {
  constructor(private readonly broker: Broker) {}

  readiness(): Readiness {
    const partitions = this.broker.partitionHealth().map((partition) => ({
      partitionId: partition.partitionId,
      ready: partition.healthy,
      role: 'leader',
      ...(partition.healthy ? {} : { reason: `Partition ${partition.partitionId} stopped processing` }),
    }));
    return { ready: partitions.length > 0 && partitions.every((partition) => partition.ready), details: { partitions } };
  }

  async health(): Promise<HealthReport> {
    // With partition threads, each thread reports its partitions and their exporters.
    const components = this.broker.threads === undefined ? this.partitionComponents() : (await this.broker.threads.report()).components;
    const status = worst(components);
    return { status, components: [{ name: 'broker', status, components }] };
  }

  /** This thread's partitions, each with its exporters. */
  partitionComponents(): ComponentHealth[] {
    return this.broker.partitionHealth().map((partition) => ({
      name: `partition-${partition.partitionId}`,
      status: partition.healthy ? 'healthy' : 'dead',
      ...(partition.healthy ? {} : { message: 'the partition stopped processing after a storage failure' }),
      components: this.exporterHealth(partition.partitionId),
    }));
  }

  /** An exporter that keeps failing (Kafka down, a full disk) is unhealthy; it retries and catches up on its own. */
  private exporterHealth(partitionId: number): ComponentHealth[] {
    const director = this.broker.exporterDirector(partitionId);
    return (director?.exporterStats() ?? []).map((stats) => ({
      name: `exporter-${stats.exporterId}`,
      status: stats.state === 'retrying' ? 'unhealthy' : 'healthy',
      ...(stats.state === 'retrying' ? { message: `exporting fails and is retried (${stats.lagRecords} records behind): ${stats.lastError ?? 'unknown error'}` } : {}),
    }));
  }

  async metrics(): Promise<string> {
    const threads = this.broker.threads;
    return threads === undefined ? this.broker.metrics.exposition() : mergeExpositions([this.broker.metrics.exposition(), (await threads.report()).metrics]);
  }
}

const SEVERITY: { [status in HealthStatus]: number } = { healthy: 0, unhealthy: 1, dead: 2 };

function worst(components: readonly ComponentHealth[]): HealthStatus {
  let status: HealthStatus = 'healthy';
  for (const component of components) {
    const own = component.components ? worst([{ ...component, components: undefined }, ...component.components]) : component.status;
    if (SEVERITY[own] > SEVERITY[status]) status = own;
  }
  return status;
}
