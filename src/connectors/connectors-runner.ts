import type { KafkaProducer } from '../exporters/kafka/kafka-producer.js';
import type { CommandGateway } from './command-gateway.js';
import type { ConnectorsConfig } from './connectors-config.js';
import { InboundConnector, type BackoffOptions, type ConnectorEvent } from './inbound-connector.js';
import type { KafkaRecordConsumer, KafkaRecordConsumerOptions } from './kafka-consumer.js';

export interface ConnectorsRunnerDependencies {
  gateway: CommandGateway;
  deadLetters: KafkaProducer;
  createConsumer: (options: KafkaRecordConsumerOptions) => KafkaRecordConsumer;
  onEvent: (event: ConnectorEvent) => void;
  sleep?: (ms: number) => Promise<void>;
  backoff?: BackoffOptions;
}

/** Runs every inbound connector of a configuration, each with its own consumer group, until close(). */
export class ConnectorsRunner {
  private readonly running: { connector: InboundConnector; consumer: KafkaRecordConsumer }[] = [];

  constructor(
    private readonly config: ConnectorsConfig,
    private readonly dependencies: ConnectorsRunnerDependencies,
  ) {}

  async start(): Promise<void> {
    const sleep = this.dependencies.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (const config of this.config.inbound) {
      const connector = new InboundConnector(config, { ...this.dependencies, sleep });
      const consumer = this.dependencies.createConsumer({
        brokers: this.config.kafka.brokers,
        clientId: this.config.kafka.clientId,
        groupId: config.groupId,
        topic: config.topic,
        fromBeginning: config.fromBeginning,
      });
      this.running.push({ connector, consumer });
      await consumer.start((record) => connector.handle(record));
    }
  }

  async close(): Promise<void> {
    for (const { connector } of this.running) connector.stop();
    await Promise.all(this.running.map(({ consumer }) => consumer.close()));
    this.running.length = 0;
    await this.dependencies.deadLetters.close();
  }
}
