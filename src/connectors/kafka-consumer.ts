/**
 * The project's own view of a Kafka consumer: the inbound connector needs only this, so the client library can be
 * swapped and unit tests use a fake. One consumer reads one topic in one consumer group.
 */
export interface InboundKafkaRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as decimal text. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [name: string]: string };
  /** Milliseconds since the epoch, as Kafka stamped the record. */
  timestampMs: number;
}

/**
 * Handles one record; the consumer commits the record's offset only after the returned promise resolves. A
 * rejected promise leaves the offset uncommitted, so the record is read again after a restart.
 */
export type RecordHandler = (record: InboundKafkaRecord) => Promise<void>;

export interface KafkaRecordConsumer {
  /** Joins the group and hands records to the handler one at a time per partition, in offset order. */
  start(handle: RecordHandler): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaRecordConsumerOptions {
  brokers: readonly string[];
  clientId: string;
  groupId: string;
  topic: string;
  fromBeginning: boolean;
  /** How long the group waits for a silent member (a crashed process) before giving its partitions to others. */
  sessionTimeoutMs?: number;
}
