import avro from 'avsc';
import { describe, expect, test } from 'vitest';
import type { Record } from '../../protocol/index.js';
import type { ExporterContext } from '../exporter.js';
import { compatibilityProblems, parseAvroSchema } from '../../protocol/schema-registry/index.js';
import { avroType, confluentSplit, recordSchemaText, recordSchemaTextFor, TYPED_VALUE_TYPES } from './avro.js';
import { KafkaExporter } from './kafka-exporter.js';
import type { KafkaMessage, KafkaProducer } from './kafka-producer.js';
import type { SchemaRegistryClient } from './schema-registry-client.js';

/** Keys of partition 5: beyond 2^53, as every key of partition 4 and up. */
const PARTITION_5_KEY = (5n << 51n) + 7n;

function record(position: number, overrides: Partial<Record> = {}): Record {
  return {
    partitionId: 1,
    position,
    sourceRecordPosition: position - 1,
    key: 2251799813685300n + BigInt(position),
    timestamp: 1_700_000_000_000 + position,
    recordType: 'EVENT',
    valueType: 'PROCESS_INSTANCE',
    intent: 'ELEMENT_ACTIVATED',
    rejectionType: 'NULL_VAL',
    rejectionReason: '',
    brokerVersion: '8.8.0',
    value: { bpmnProcessId: 'order', processInstanceKey: 2251799813685251n, elementId: 'task' },
    ...overrides,
  };
}

class FakeProducer implements KafkaProducer {
  readonly sent: KafkaMessage[][] = [];
  failures = 0;
  closed = false;
  async send(messages: readonly KafkaMessage[]): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('KafkaJSConnectionError: Connection refused');
    }
    this.sent.push([...messages]);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function contextRecording(acknowledged: number[]): ExporterContext {
  return { partitionId: 1, configuration: {}, acknowledge: (position) => acknowledged.push(position) };
}

describe('KafkaExporter', () => {
  test('sends each record to its value type topic, keyed by the process instance, with de-duplication headers', async () => {
    // given
    const producer = new FakeProducer();
    const acknowledged: number[] = [];
    const exporter = new KafkaExporter({ producer });
    await exporter.open(contextRecording(acknowledged));

    // when
    await exporter.export([record(1), record(2, { valueType: 'JOB', intent: 'CREATED', value: { type: 'pay', processInstanceKey: 2251799813685251n } })]);

    // then
    const [first, second] = producer.sent[0];
    expect(first.topic).toBe('tributary-process-instance');
    expect(second.topic).toBe('tributary-job');
    expect(first.key.toString()).toBe('2251799813685251');
    expect(second.key.toString()).toBe('2251799813685251');
    expect(first.headers).toEqual({ partitionId: '1', position: '1', recordType: 'EVENT', valueType: 'PROCESS_INSTANCE', intent: 'ELEMENT_ACTIVATED' });
    expect(JSON.parse(first.value.toString())).toMatchObject({ position: 1, valueType: 'PROCESS_INSTANCE', value: { elementId: 'task' } });
    expect(acknowledged).toEqual([2]);
  });

  test('keys records of no instance by their own key, and by record key or partition when configured', async () => {
    const deployment = record(1, { valueType: 'DEPLOYMENT', intent: 'CREATED', key: 2251799813685249n, value: { resources: [] } });
    const keys = async (keyField?: 'key' | 'partitionId') => {
      const producer = new FakeProducer();
      const exporter = new KafkaExporter({ producer, keyField });
      await exporter.open(contextRecording([]));
      await exporter.export([deployment, record(2)]);
      return producer.sent[0].map((message) => message.key.toString());
    };

    expect(await keys()).toEqual(['2251799813685249', '2251799813685251']);
    expect(await keys('key')).toEqual(['2251799813685249', '2251799813685302']);
    expect(await keys('partitionId')).toEqual(['1', '1']);
  });

  test('leaves out what the filter excludes, and still acknowledges the whole batch', async () => {
    // given
    const producer = new FakeProducer();
    const acknowledged: number[] = [];
    const exporter = new KafkaExporter({ producer, topicPrefix: 'wf', filter: { recordTypes: ['EVENT'], valueTypes: ['PROCESS_INSTANCE'], bpmnProcessIds: ['order'] } });
    await exporter.open(contextRecording(acknowledged));

    // when
    await exporter.export([
      record(1),
      record(2, { recordType: 'COMMAND', intent: 'ACTIVATE_ELEMENT' }),
      record(3, { valueType: 'JOB', intent: 'CREATED' }),
      record(4, { value: { bpmnProcessId: 'refund', processInstanceKey: 9n } }),
      record(5),
    ]);

    // then
    expect(producer.sent[0].map((message) => [message.topic, message.headers.position])).toEqual([
      ['wf-process-instance', '1'],
      ['wf-process-instance', '5'],
    ]);
    expect(acknowledged).toEqual([5]);
  });

  test('acknowledges nothing when Kafka does not take the batch, so the director retries it', async () => {
    // given
    const producer = new FakeProducer();
    producer.failures = 1;
    const acknowledged: number[] = [];
    const exporter = new KafkaExporter({ producer });
    await exporter.open(contextRecording(acknowledged));

    // when
    await expect(exporter.export([record(1), record(2)])).rejects.toThrow('Connection refused');
    await exporter.export([record(1), record(2)]);

    // then
    expect(acknowledged).toEqual([2]);
    expect(producer.sent).toHaveLength(1);
  });

  test('writes Avro in the Confluent wire format with the id registered under <topic>-value, 64-bit keys intact', async () => {
    // given
    const registered: [string, string][] = [];
    const schemaRegistry: SchemaRegistryClient = {
      register: async (subject, schema) => {
        registered.push([subject, schema]);
        return 42;
      },
    };
    const producer = new FakeProducer();
    const exporter = new KafkaExporter({ producer, format: 'avro', schemaRegistry });
    await exporter.open(contextRecording([]));

    // when
    await exporter.export([record(1, { partitionId: 5, key: PARTITION_5_KEY, value: { bpmnProcessId: 'order', processInstanceKey: PARTITION_5_KEY - 1n } })]);

    // then
    const message = producer.sent[0][0];
    const { schemaId, body } = confluentSplit(message.value);
    expect(schemaId).toBe(42);
    expect(registered[0][0]).toBe('tributary-process-instance-value');
    expect(registered[0][1]).toBe(recordSchemaTextFor('PROCESS_INSTANCE'));
    const decoded = avroType(registered[0][1]).fromBuffer(body);
    expect(decoded).toMatchObject({ partitionId: 5, position: 1n, key: PARTITION_5_KEY, processInstanceKey: PARTITION_5_KEY - 1n, bpmnProcessId: 'order', intent: 'ELEMENT_ACTIVATED' });
    expect(JSON.parse(decoded.value)).toEqual({ bpmnProcessId: 'order', processInstanceKey: Number(PARTITION_5_KEY - 1n) });
    expect(decoded.value).toContain(`"processInstanceKey":${PARTITION_5_KEY - 1n}`);
  });

  test('writes typed values for the value types with a schema in schemas/values/, and record.avsc alone for the others', async () => {
    // given
    const registered = new Map<string, string>();
    const schemaRegistry: SchemaRegistryClient = {
      register: async (subject, schema) => {
        registered.set(subject, schema);
        return registered.size;
      },
    };
    const producer = new FakeProducer();
    const exporter = new KafkaExporter({ producer, format: 'avro', schemaRegistry });
    await exporter.open(contextRecording([]));
    const job = {
      type: 'pay', worker: 'w1', retries: 3, retryBackoff: 0, recurringTime: -1, deadline: 1_700_000_060_000, timeout: 60_000, errorMessage: '', errorCode: '',
      customHeaders: { region: 'eu' }, variables: { amount: 12, big: PARTITION_5_KEY }, processInstanceKey: PARTITION_5_KEY - 1n, bpmnProcessId: 'order',
      processDefinitionVersion: 2, processDefinitionKey: 2251799813685249n, elementId: 'pay', elementInstanceKey: PARTITION_5_KEY - 2n, tenantId: '<default>',
      jobKind: 'BPMN_ELEMENT', jobListenerEventType: 'UNSPECIFIED', changedAttributes: [],
    };
    const resource = new Uint8Array([60, 63, 120]);

    // when
    await exporter.export([
      record(1, { valueType: 'JOB', intent: 'CREATED', key: PARTITION_5_KEY, value: job }),
      record(2, { valueType: 'JOB', intent: 'COMPLETE', recordType: 'COMMAND', value: { variables: {} } }),
      record(3, { valueType: 'DEPLOYMENT', intent: 'CREATED', value: { resources: [{ resourceName: 'a.bpmn', resource }], processesMetadata: [], decisionsMetadata: [], decisionRequirementsMetadata: [], formMetadata: [], tenantId: '<default>', deploymentKey: 5n } }),
      record(4, { valueType: 'TIMER', intent: 'CREATED', value: { dueDate: 5 } }),
    ]);

    // then
    const decode = (index: number) => {
      const message = producer.sent[0][index];
      return avroType(registered.get(`${message.topic}-value`)!).fromBuffer(confluentSplit(message.value).body);
    };
    expect(decode(0).typedValue).toEqual({ ...job, retryBackoff: 0n, recurringTime: -1n, deadline: 1_700_000_060_000n, timeout: 60_000n, variables: `{"amount":12,"big":${PARTITION_5_KEY}}` });
    expect(decode(1).typedValue).toMatchObject({ type: null, variables: '{}', processInstanceKey: null });
    expect(decode(2).typedValue).toMatchObject({ resources: [{ resourceName: 'a.bpmn', resource: Buffer.from(resource) }], decisionsMetadata: '[]', deploymentKey: 5n });
    expect(decode(3).typedValue).toBeUndefined();
    expect(JSON.parse(decode(3).value)).toEqual({ dueDate: 5 });
  });

  test('keeps every typed schema BACKWARD compatible with record.avsc, which earlier versions registered under the same subjects', () => {
    const generic = parseAvroSchema(recordSchemaText());
    for (const valueType of TYPED_VALUE_TYPES) {
      const typed = parseAvroSchema(recordSchemaTextFor(valueType));
      expect(compatibilityProblems('BACKWARD_TRANSITIVE', typed, [{ version: 1, type: generic }])).toEqual([]);
    }
  });

  test('gives every schema its own names, so a consumer can parse them all into one avsc registry', () => {
    const registry = {};
    const parse = (schema: string) => avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { registry });
    expect(() => [recordSchemaText(), ...TYPED_VALUE_TYPES.map(recordSchemaTextFor)].forEach(parse)).not.toThrow();
  });

  test('refuses a configuration it cannot honour', () => {
    const producer = new FakeProducer();
    expect(() => new KafkaExporter({ producer, format: 'avro' })).toThrow("Expected a schema registry for the Kafka exporter's avro format");
    expect(() => new KafkaExporter({ producer, topicPrefix: 'bad prefix' })).toThrow("Expected a Kafka topic prefix of letters, digits, '.', '_' and '-', but got 'bad prefix'");
    expect(() => new KafkaExporter({ producer, filter: { valueTypes: ['JOBS' as never] } })).toThrow("but got 'JOBS'");
  });

  test('closes its producer', async () => {
    const producer = new FakeProducer();
    const exporter = new KafkaExporter({ producer });
    await exporter.open(contextRecording([]));
    await exporter.close();
    expect(producer.closed).toBe(true);
  });
});
