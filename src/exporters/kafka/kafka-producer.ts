/**
 * The project's own view of a Kafka producer: the Kafka exporter needs only this, so the client library (kafkajs,
 * in maintenance mode) can be swapped without touching the exporter, and unit tests use a fake.
 */
export interface KafkaMessage {
  topic: string;
  /** Bytes of the Kafka key; messages with the same key land in the same Kafka partition, in order. */
  key: Buffer;
  value: Buffer;
  headers: { [name: string]: string };
}

export interface KafkaProducer {
  /**
   * Sends the messages and resolves once Kafka has acknowledged every one of them (acks=all); rejects if any
   * was not acknowledged. Messages with the same key keep their order. Calls never overlap.
   */
  send(messages: readonly KafkaMessage[]): Promise<void>;
  close(): Promise<void>;
}
