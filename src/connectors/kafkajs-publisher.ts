import kafkajs, { type Producer } from 'kafkajs';
import type { KafkaMessage } from '../exporters/kafka/kafka-producer.js';
import type { PublishedRecord, RecordPublisher } from './outbound-connector.js';

const { Kafka, logLevel } = kafkajs;

/** How long one connection attempt may take. */
const CONNECTION_TIMEOUT_MS = 3_000;

/**
 * RecordPublisher on kafkajs: an idempotent producer (acks=all) that connects lazily and, after a failed send,
 * connects anew on the next one, so a Kafka that was down and came back is used again. Returns where each record
 * landed, which the outbound connector completes its job with.
 */
export class KafkajsRecordPublisher implements RecordPublisher {
  private producer: Promise<Producer> | undefined;
  private closed = false;

  constructor(private readonly options: { brokers: readonly string[]; clientId: string }) {
    if (options.brokers.length === 0) throw new Error('Expected at least one Kafka broker address (host:port)');
  }

  async publish(message: KafkaMessage): Promise<PublishedRecord> {
    const producer = await this.connected();
    const createdAtMs = Date.now();
    try {
      const [metadata] = await producer.send({
        topic: message.topic,
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers: message.headers, timestamp: String(createdAtMs) }],
      });
      const logAppendTime = Number(metadata.logAppendTime ?? '-1');
      return {
        topic: metadata.topicName,
        partition: metadata.partition,
        offset: metadata.baseOffset ?? metadata.offset ?? '-1',
        timestamp: logAppendTime >= 0 ? logAppendTime : createdAtMs,
      };
    } catch (error) {
      this.producer = undefined;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const producer = this.producer;
    this.producer = undefined;
    await (await producer?.catch(() => undefined))?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error('Expected the Kafka publisher to be open, but it was closed'));
    this.producer ??= this.connect();
    const producer = this.producer;
    producer.catch(() => {
      if (this.producer === producer) this.producer = undefined;
    });
    return producer;
  }

  private async connect(): Promise<Producer> {
    const kafka = new Kafka({ clientId: this.options.clientId, brokers: [...this.options.brokers], connectionTimeout: CONNECTION_TIMEOUT_MS, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    await producer.connect();
    return producer;
  }
}
