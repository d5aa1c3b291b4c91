import kafkajs, { type Producer } from 'kafkajs';
import type { KafkaMessage, KafkaProducer } from './kafka-producer.js';

const { Kafka, logLevel } = kafkajs;

export interface KafkajsProducerOptions {
  /** host:port of Kafka brokers to bootstrap from. */
  brokers: readonly string[];
  clientId?: string;
  /** How long one connection attempt may take. */
  connectionTimeoutMs?: number;
  /** How long Kafka may take to acknowledge a send (acks=all). */
  requestTimeoutMs?: number;
  /** Retries of one send inside kafkajs; after them the send fails and the exporter director backs off and retries. */
  sendRetriesMax?: number;
}

export const KAFKA_CLIENT_ID_DEFAULT = 'tributary';

/**
 * KafkaProducer on kafkajs: an idempotent producer (acks=all, one request in flight, so retries neither duplicate
 * nor reorder within a session) that connects lazily. After a failed send it throws the client away and connects
 * anew on the next send, so a Kafka that was down and came back is picked up again.
 */
export class KafkajsProducer implements KafkaProducer {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private closed = false;

  constructor(private readonly options: KafkajsProducerOptions) {
    if (options.brokers.length === 0) throw new Error('Expected at least one Kafka broker address (host:port)');
  }

  async send(messages: readonly KafkaMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connected();
    const byTopic = new Map<string, { key: Buffer; value: Buffer; headers: { [name: string]: string } }[]>();
    for (const message of messages) {
      let topicMessages = byTopic.get(message.topic);
      if (topicMessages === undefined) byTopic.set(message.topic, (topicMessages = []));
      topicMessages.push({ key: message.key, value: message.value, headers: message.headers });
    }
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })) });
    } catch (error) {
      await this.discard(producer);
      throw error;
    }
  }

  /** Disconnects without waiting for a connection attempt in progress (which may retry for long while Kafka is down). */
  async close(): Promise<void> {
    this.closed = true;
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error('Expected the Kafka producer to be open, but it was closed'));
    if (this.producer !== undefined) return Promise.resolve(this.producer);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Producer> {
    const kafka = new Kafka({
      clientId: this.options.clientId ?? KAFKA_CLIENT_ID_DEFAULT,
      brokers: [...this.options.brokers],
      connectionTimeout: this.options.connectionTimeoutMs ?? 3_000,
      requestTimeout: this.options.requestTimeoutMs ?? 30_000,
      // The exporter director reports and retries failures; kafkajs' own log would only repeat them.
      logLevel: logLevel.NOTHING,
      retry: { retries: this.options.sendRetriesMax ?? 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    try {
      await producer.connect();
      if (this.closed) throw new Error('Expected the Kafka producer to be open, but it was closed while it connected');
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    this.producer = producer;
    return producer;
  }

  private async discard(producer: Producer): Promise<void> {
    if (this.producer === producer) this.producer = undefined;
    await producer.disconnect().catch(() => undefined);
  }
}
