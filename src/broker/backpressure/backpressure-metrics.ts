import type { MetricsRegistry, Sample } from '../metrics.js';
import type { CommandLimiter } from './command-limiter.js';

/** Scrape-time metrics of each partition's back-pressure (as Zeebe's zeebe_backpressure_* metrics). */
export function registerBackpressureMetrics(
  registry: MetricsRegistry,
  partitions: () => Iterable<{ partitionId: number; backpressure: CommandLimiter }>,
): void {
  const samples = (value: (limiter: CommandLimiter) => number) =>
    function* (): Iterable<Sample> {
      for (const partition of partitions()) yield { labels: { partition: partition.partitionId }, value: value(partition.backpressure) };
    };
  const labelNames = ['partition'] as const;
  registry.gauge({
    name: 'tributary_backpressure_limit_commands',
    help: 'Commands the partition accepts in flight at once; adapts to measured latency unless the algorithm is fixed.',
    labelNames,
    collect: samples((limiter) => limiter.limit),
  });
  registry.gauge({
    name: 'tributary_backpressure_in_flight_commands',
    help: 'Commands accepted by the partition and not yet answered.',
    labelNames,
    collect: samples((limiter) => limiter.inFlight),
  });
  registry.counter({
    name: 'tributary_backpressure_rejected_commands_total',
    help: 'Commands refused with RESOURCE_EXHAUSTED because the partition had its limit in flight.',
    labelNames,
    collect: samples((limiter) => limiter.rejected),
  });
}
