import kafkajs, { type Consumer, type KafkaMessage } from 'kafkajs';
import type { InboundKafkaRecord, KafkaRecordConsumer, KafkaRecordConsumerOptions, RecordHandler } from './kafka-consumer.js';

const { Kafka, logLevel } = kafkajs;

/** How long kafkajs may take to connect to one broker. */
const CONNECTION_TIMEOUT_MS = 3_000;
/** How often a consumer whose handler is still busy tells the group it is alive (kafkajs' default interval). */
const HEARTBEAT_INTERVAL_MS = 3_000;
/**
 * Partitions of the topic handled at the same time; within a partition records stay one at a time, in offset order.
 * More partitions than this are served in turn.
 */
const PARTITIONS_CONSUMED_CONCURRENTLY_MAX = 16;
/**
 * A topic that does not exist yet is created on subscribe, but its partitions take a moment to get a leader, and
 * kafkajs refuses the subscription meanwhile: retry it this often, this far apart.
 */
const SUBSCRIBE_ATTEMPTS_MAX = 40;
const SUBSCRIBE_RETRY_DELAY_MS = 500;

/**
 * KafkaRecordConsumer on kafkajs. Auto-commit is off: the offset after a record is committed only once the handler
 * resolved, which the inbound connector does only after the gateway acknowledged the command (or the record went to
 * the dead-letter topic).
 */
export class KafkajsRecordConsumer implements KafkaRecordConsumer {
  private consumer: Consumer | undefined;

  constructor(private readonly options: KafkaRecordConsumerOptions) {
    if (options.brokers.length === 0) throw new Error('Expected at least one Kafka broker address (host:port)');
  }

  async start(handle: RecordHandler): Promise<void> {
    const kafka = new Kafka({ clientId: this.options.clientId, brokers: [...this.options.brokers], connectionTimeout: CONNECTION_TIMEOUT_MS, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: this.options.groupId, allowAutoTopicCreation: true, sessionTimeout: this.options.sessionTimeoutMs });
    this.consumer = consumer;
    await consumer.connect();
    await this.subscribe(consumer);
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY_MAX,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        // A record in back-off may take longer than the session timeout: keep the group membership meanwhile.
        const heartbeats = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_INTERVAL_MS);
        try {
          await handle(toRecord(topic, partition, message));
        } finally {
          clearInterval(heartbeats);
        }
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
  }

  private async subscribe(consumer: Consumer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.subscribe({ topics: [this.options.topic], fromBeginning: this.options.fromBeginning });
        return;
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || attempt >= SUBSCRIBE_ATTEMPTS_MAX || this.consumer !== consumer) {
          throw new Error(`Expected to subscribe to topic '${this.options.topic}' as group '${this.options.groupId}', but ${(error as Error).message}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_RETRY_DELAY_MS));
      }
    }
  }

  async close(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect();
  }
}

function toRecord(topic: string, partition: number, message: KafkaMessage): InboundKafkaRecord {
  const headers: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return { topic, partition, offset: message.offset, key: message.key, value: message.value, headers, timestampMs: Number(message.timestamp) };
}
