import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { KafkajsProducer } from '../exporters/kafka/kafkajs-producer.js';
import { GrpcCommandGateway, type GatewayCaller } from './command-gateway.js';
import type { ConnectorsConfig } from './connectors-config.js';
import { ConnectorsRunner } from './connectors-runner.js';
import { BpmnInboundDirector, type BpmnInboundEvent } from './bpmn-inbound-director.js';
import { ConsumerLagMonitor, KafkajsLagSource, type LagSource } from './consumer-lag.js';
import { GatewayJobClient } from './gateway-job-client.js';
import type { ConnectorEvent } from './inbound-connector.js';
import { KafkajsRecordConsumer } from './kafkajs-consumer.js';
import { KafkajsRecordPublisher } from './kafkajs-publisher.js';
import { OutboundConnector, type OutboundEvent } from './outbound-connector.js';

export type ConnectorsEvent = ConnectorEvent | OutboundEvent | BpmnInboundEvent;

/** A sample computed at scrape time, as the broker's metrics registry takes it. */
export interface MetricSample {
  labels?: { readonly [labelName: string]: string | number };
  value: number;
}

/** The part of a Prometheus registry the connectors use (the broker's MetricsRegistry is one). */
export interface ConnectorMetricsRegistry {
  gauge(options: { name: string; help: string; labelNames?: readonly string[]; collect?: () => Iterable<MetricSample> }): unknown;
  counter(options: { name: string; help: string; labelNames?: readonly string[]; collect?: () => Iterable<MetricSample> }): unknown;
}

export interface ConnectorsServiceOptions {
  config: ConnectorsConfig;
  /** The gateway the connectors send commands to and take jobs from (the broker's own, or a remote one). */
  gateway: GatewayCaller;
  onEvent: (event: ConnectorsEvent) => void;
  /** Where consumer lag and record counts are published (/metrics); none when left out. */
  metrics?: ConnectorMetricsRegistry;
  /** Overrides for tests. */
  lagSource?: LagSource;
  lagPollIntervalMs?: number;
}

/**
 * Everything a connectors file asks for, running: the inbound connectors (one consumer group each), the outbound
 * job worker for `io.tributary:kafka-publish:1`, and the consumer-lag readings for /metrics. The same code runs in
 * `tributary connect` and inside `tributary broker --connectors FILE`.
 */
export class ConnectorsService {
  private readonly counts = new Map<string, number>();
  private runner: ConnectorsRunner | undefined;
  private outbound: OutboundConnector | undefined;
  private lag: ConsumerLagMonitor | undefined;
  private bpmn: BpmnInboundDirector | undefined;

  private constructor(private readonly options: ConnectorsServiceOptions) {}

  static async start(options: ConnectorsServiceOptions): Promise<ConnectorsService> {
    const service = new ConnectorsService(options);
    try {
      await service.startParts();
    } catch (error) {
      await service.close().catch(() => undefined);
      throw error;
    }
    return service;
  }

  private async startParts(): Promise<void> {
    const { config, gateway } = this.options;
    const kafka = config.kafka;
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const onEvent = (event: ConnectorsEvent) => this.record(event);
    this.lag = new ConsumerLagMonitor(
      () => (this.runner?.connectors() ?? []).map((inbound) => ({ connector: inbound.name, groupId: inbound.groupId, topic: inbound.topic })),
      this.options.lagSource ?? new KafkajsLagSource({ brokers: kafka.brokers, clientId: `${kafka.clientId}-lag` }),
      this.options.lagPollIntervalMs,
    );
    if (this.options.metrics !== undefined) this.registerMetrics(this.options.metrics);
    const registry = kafka.schemaRegistryUrl === undefined ? undefined : new SchemaRegistry({ host: kafka.schemaRegistryUrl });
    if (config.outbound.enabled) {
      this.outbound = new OutboundConnector(config.outbound, {
        encodeAvro: registry === undefined ? undefined : async (subject, value) => registry.encode(await registry.getLatestSchemaId(subject), value),
        jobs: new GatewayJobClient(gateway),
        publisher: new KafkajsRecordPublisher({ brokers: kafka.brokers, clientId: `${kafka.clientId}-outbound` }),
        onEvent,
        sleep,
      });
      this.outbound.start();
    }
    if (config.inbound.length > 0 || config.bpmn !== undefined) {
      this.runner = new ConnectorsRunner(config, {
        decodeAvro: registry === undefined ? undefined : (value) => registry.decode(value),
        gateway: new GrpcCommandGateway(gateway),
        deadLetters: new KafkajsProducer({ brokers: kafka.brokers, clientId: kafka.clientId }),
        createConsumer: (consumerOptions) => new KafkajsRecordConsumer(consumerOptions),
        onEvent,
        sleep,
      });
      await this.runner.start();
    }
    if (config.bpmn !== undefined && this.runner !== undefined) {
      const processes = new KafkajsRecordConsumer({
        brokers: kafka.brokers,
        clientId: `${kafka.clientId}-bpmn`,
        // A fresh group each start: every start reads every deployment again.
        groupId: `${kafka.clientId}-bpmn-processes-${Date.now()}-${process.pid}`,
        topic: config.bpmn.processTopic,
        fromBeginning: true,
      });
      this.bpmn = new BpmnInboundDirector(processes, this.runner, onEvent);
      await this.bpmn.start();
    }
    this.lag.start();
  }

  /** Stops consuming first (records not settled stay uncommitted), then the outbound worker, then the lag readings. */
  async close(): Promise<void> {
    await this.bpmn?.close();
    await this.runner?.close();
    await this.outbound?.close();
    await this.lag?.close();
  }

  /** A one-line summary of what runs, for the log. */
  describe(): string {
    const { inbound, outbound } = this.options.config;
    const parts = inbound.map((connector) => `${connector.name} (${connector.topic} -> ${connector.action})`);
    if (outbound.enabled) parts.push(`outbound (${outbound.jobType} jobs -> Kafka)`);
    if (this.options.config.bpmn !== undefined) parts.push(`BPMN-declared inbound (processes from ${this.options.config.bpmn.processTopic})`);
    return parts.join(', ');
  }

  private record(event: ConnectorsEvent): void {
    if (event.kind.startsWith('bpmn-')) {
      this.options.onEvent(event);
      return;
    }
    const key = 'connector' in event ? `${event.connector}\u0000${event.kind}` : `\u0000${event.kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.options.onEvent(event);
  }

  private registerMetrics(metrics: ConnectorMetricsRegistry): void {
    metrics.gauge({
      name: 'tributary_connector_consumer_lag_records',
      help: 'Records of a topic partition not yet committed by the inbound connector\'s consumer group',
      labelNames: ['connector', 'group', 'topic', 'partition'],
      collect: () => (this.lag?.samples() ?? []).map((sample) => ({ labels: { connector: sample.connector, group: sample.groupId, topic: sample.topic, partition: sample.partition }, value: sample.lag })),
    });
    metrics.counter({
      name: 'tributary_connector_records_total',
      help: 'Records settled by inbound connectors, by outcome (delivered, duplicate, dead-lettered) and back-offs',
      labelNames: ['connector', 'outcome'],
      collect: () => this.countSamples((connector) => connector !== ''),
    });
    metrics.counter({
      name: 'tributary_connector_outbound_jobs_total',
      help: 'Jobs of the outbound Kafka connector, by outcome (published, job-failed, activation-failed)',
      labelNames: ['outcome'],
      collect: () => this.countSamples((connector) => connector === '').map(({ labels, value }) => ({ labels: { outcome: labels.outcome }, value })),
    });
  }

  private countSamples(include: (connector: string) => boolean): { labels: { connector: string; outcome: string }; value: number }[] {
    const samples: { labels: { connector: string; outcome: string }; value: number }[] = [];
    for (const [key, value] of this.counts) {
      const [connector, outcome] = key.split('\u0000');
      if (include(connector)) samples.push({ labels: { connector, outcome }, value });
    }
    return samples;
  }
}
