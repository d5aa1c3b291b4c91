import type avro from 'avsc';
import { toExportedJson, type Record, type ValueType } from '../../protocol/index.js';
import type { Exporter, ExporterContext } from '../exporter.js';
import { avroType, confluentEncode, recordSchemaTextFor, typedRecordDatum } from './avro.js';
import type { KafkaMessage, KafkaProducer } from './kafka-producer.js';
import {
  KAFKA_TOPIC_PREFIX_DEFAULT,
  kafkaHeadersFor,
  kafkaKeyFor,
  recordFilter,
  topicFor,
  type KafkaKeyField,
  type RecordFilter,
  type RecordFilterOptions,
} from './record-routing.js';
import type { SchemaRegistryClient } from './schema-registry-client.js';

export const KAFKA_FORMATS = ['json', 'avro'] as const;

/** The id the Kafka exporter has unless configured otherwise; its acknowledged positions are stored under it. */
export const KAFKA_EXPORTER_ID = 'kafka';
export type KafkaFormat = (typeof KAFKA_FORMATS)[number];

export interface KafkaExporterOptions {
  producer: KafkaProducer;
  /** Defaults to 'kafka'. */
  id?: string;
  /** Topics are `<prefix>-<value-type>`, e.g. `tributary-process-instance`. */
  topicPrefix?: string;
  format?: KafkaFormat;
  /** Where Avro schemas are registered; required for the avro format. */
  schemaRegistry?: SchemaRegistryClient;
  /** What the Kafka key is; the process instance key by default. */
  keyField?: KafkaKeyField;
  filter?: RecordFilterOptions;
}

/**
 * Mirrors records into Kafka, one topic per value type, as JSON (Zeebe's exported record shape) or as Avro in
 * Confluent's wire format with the schema registered under `<topic>-value` (TopicNameStrategy).
 *
 * Each batch the director hands over is sent as one request and acknowledged only after Kafka has acknowledged all of
 * it (acks=all), so the acknowledged position never passes a record Kafka may not have. A failed send throws; the
 * director backs off and hands the same batch again, so records may reach Kafka twice, never be lost, and keep their
 * order per Kafka key. Records left out by the filter are acknowledged with their batch.
 */
export class KafkaExporter implements Exporter {
  readonly id: string;
  private readonly producer: KafkaProducer;
  private readonly topicPrefix: string;
  private readonly format: KafkaFormat;
  private readonly schemaRegistry: SchemaRegistryClient | undefined;
  private readonly keyField: KafkaKeyField;
  private readonly accepts: RecordFilter;
  /** Each value type's Avro schema, parsed on first use (avro format only). */
  private readonly avroSchemas = new Map<ValueType, { type: avro.Type; schema: string }>();
  private context: ExporterContext | undefined;

  constructor(options: KafkaExporterOptions) {
    this.id = options.id ?? KAFKA_EXPORTER_ID;
    this.producer = options.producer;
    this.topicPrefix = options.topicPrefix ?? KAFKA_TOPIC_PREFIX_DEFAULT;
    this.format = options.format ?? 'json';
    this.schemaRegistry = options.schemaRegistry;
    this.keyField = options.keyField ?? 'processInstanceKey';
    this.accepts = recordFilter(options.filter ?? {});
    if (!/^[a-zA-Z0-9._-]+$/.test(this.topicPrefix)) {
      throw new Error(`Expected a Kafka topic prefix of letters, digits, '.', '_' and '-', but got '${this.topicPrefix}'`);
    }
    if (this.format === 'avro') {
      if (this.schemaRegistry === undefined) throw new Error('Expected a schema registry for the Kafka exporter\'s avro format');
    }
  }

  async open(context: ExporterContext): Promise<void> {
    this.context = context;
  }

  async export(records: readonly Record[]): Promise<void> {
    const context = this.context;
    if (context === undefined) throw new Error(`Expected exporter '${this.id}' to be open before it exports`);
    if (records.length === 0) return;
    const messages: KafkaMessage[] = [];
    for (const record of records) {
      if (this.accepts(record)) messages.push(await this.messageFor(record));
    }
    await this.producer.send(messages);
    context.acknowledge(records[records.length - 1].position);
  }

  async close(): Promise<void> {
    this.context = undefined;
    await this.producer.close();
  }

  private async messageFor(record: Record): Promise<KafkaMessage> {
    const topic = topicFor(this.topicPrefix, record.valueType);
    return { topic, key: kafkaKeyFor(record, this.keyField), value: await this.valueFor(topic, record), headers: kafkaHeadersFor(record) };
  }

  private async valueFor(topic: string, record: Record): Promise<Buffer> {
    if (this.format !== 'avro' || this.schemaRegistry === undefined) return Buffer.from(toExportedJson(record), 'utf8');
    const { type, schema } = this.avroSchemaFor(record.valueType);
    const schemaId = await this.schemaRegistry.register(`${topic}-value`, schema);
    return confluentEncode(schemaId, type, typedRecordDatum(record, type));
  }

  private avroSchemaFor(valueType: ValueType): { type: avro.Type; schema: string } {
    let known = this.avroSchemas.get(valueType);
    if (known === undefined) {
      const schema = recordSchemaTextFor(valueType);
      known = { type: avroType(schema), schema };
      this.avroSchemas.set(valueType, known);
    }
    return known;
  }
}
