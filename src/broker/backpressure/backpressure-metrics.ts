import type { MetricsRegistry, Sample } from '../metrics.js';
import type { CommandLimiter } from './command-limiter.js';
import type { GatewayAdmission } from './gateway-admission.js';

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
  registry.gauge({
    name: 'tributary_backpressure_awaiting_result_commands',
    help: 'Creations awaiting their instance\'s result: processed, still in flight (holding their slot) until the result, a rejection or the request\'s timeout is answered.',
    labelNames,
    collect: samples((limiter) => limiter.awaitingAnswer),
  });
  registry.counter({
    name: 'tributary_backpressure_rejected_commands_total',
    help: 'Commands refused with RESOURCE_EXHAUSTED because the partition had its limit in flight.',
    labelNames,
    collect: samples((limiter) => limiter.rejected),
  });
}

/** Scrape-time metrics of the gateway's early refusals (see GatewayAdmission); none while the gateway has none. */
export function registerGatewayAdmissionMetrics(registry: MetricsRegistry, admission: () => GatewayAdmission | undefined): void {
  registry.counter({
    name: 'tributary_gateway_backpressure_refused_commands_total',
    help: 'Commands the gateway refused with RESOURCE_EXHAUSTED itself, without sending them, because their partition had just refused others.',
    labelNames: ['partition'] as const,
    *collect(): Iterable<Sample> {
      for (const { partitionId, refused } of admission()?.refusedCounts() ?? []) yield { labels: { partition: partitionId }, value: refused };
    },
  });
}

/** Scrape-time metric of a partition thread's refusals of commands that waited too long in its queue. */
export function registerQueueDelayMetrics(registry: MetricsRegistry, refused: () => ReadonlyMap<number, number> | undefined): void {
  registry.counter({
    name: 'tributary_backpressure_queue_delay_rejected_commands_total',
    help: "Commands refused with RESOURCE_EXHAUSTED because they waited too long in the queue of their partition's thread.",
    labelNames: ['partition'] as const,
    *collect(): Iterable<Sample> {
      for (const [partitionId, count] of refused() ?? []) yield { labels: { partition: partitionId }, value: count };
    },
  });
}
