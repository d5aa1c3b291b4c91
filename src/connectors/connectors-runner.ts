import type { KafkaProducer } from '../exporters/kafka/kafka-producer.js';
import type { CommandGateway } from './command-gateway.js';
import type { ConnectorsConfig, InboundConnectorConfig } from './connectors-config.js';
import { InboundConnector, type BackoffOptions, type ConnectorEvent } from './inbound-connector.js';
import type { KafkaRecordConsumer, KafkaRecordConsumerOptions } from './kafka-consumer.js';

export interface ConnectorsRunnerDependencies {
  gateway: CommandGateway;
  deadLetters: KafkaProducer;
  createConsumer: (options: KafkaRecordConsumerOptions) => KafkaRecordConsumer;
  onEvent: (event: ConnectorEvent) => void;
  sleep?: (ms: number) => Promise<void>;
  backoff?: BackoffOptions;
  decodeAvro?: (value: Buffer) => Promise<unknown>;
}

/**
 * Runs inbound connectors, each with its own consumer group: those of the configuration from start(), and others
 * opened and closed while it runs (connectors declared in BPMN), until close().
 */
export class ConnectorsRunner {
  private readonly running = new Map<string, { connector: InboundConnector; consumer: KafkaRecordConsumer }>();

  constructor(
    private readonly config: ConnectorsConfig,
    private readonly dependencies: ConnectorsRunnerDependencies,
  ) {}

  async start(): Promise<void> {
    for (const config of this.config.inbound) await this.open(config);
  }

  /** Starts one connector; a connector of the same name is closed first. */
  async open(config: InboundConnectorConfig): Promise<void> {
    await this.closeConnector(config.name);
    const sleep = this.dependencies.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const connector = new InboundConnector(config, { ...this.dependencies, sleep });
    const consumer = this.dependencies.createConsumer({
      brokers: this.config.kafka.brokers,
      clientId: this.config.kafka.clientId,
      groupId: config.groupId,
      topic: config.topic,
      fromBeginning: config.fromBeginning,
      sessionTimeoutMs: this.config.kafka.sessionTimeoutMs,
    });
    this.running.set(config.name, { connector, consumer });
    await consumer.start((record) => connector.handle(record));
  }

  /** Stops one connector; a record it had not settled stays uncommitted. */
  async closeConnector(name: string): Promise<void> {
    const running = this.running.get(name);
    if (running === undefined) return;
    this.running.delete(name);
    running.connector.stop();
    await running.consumer.close();
  }

  /** The configurations of the connectors running now. */
  connectors(): InboundConnectorConfig[] {
    return [...this.running.values()].map(({ connector }) => connector.config);
  }

  async close(): Promise<void> {
    for (const { connector } of this.running.values()) connector.stop();
    await Promise.all([...this.running.values()].map(({ consumer }) => consumer.close()));
    this.running.clear();
    await this.dependencies.deadLetters.close();
  }
}
