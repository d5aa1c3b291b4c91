import { createServer } from 'node:net';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GatewayClient } from '../../src/cli/gateway-client.js';
import { consumeTopics, KAFKA_START_TIMEOUT_MS, KafkaProcess } from '../kafka/kafka-process.js';
import { BrokerProcess, delay, eventually, type ExportedRecord } from '../support/broker-process.js';
import { processInstanceCompleted } from '../support/exported-records.js';

/**
 * Connectors inside the broker (`tributary broker --connectors FILE`) against a real Kafka (scripts/kafka.sh) and
 * the real broker as a child process, so that SIGKILL is a real crash. What the tests look at is what a user sees:
 * the exported records, the records in Kafka, and /metrics.
 */

const RECORD_COUNT = 10_000;
const KAFKA_PARTITIONS = 4;
const CRASH_TEST_TIMEOUT_MS = 15 * 60_000;
const OUTBOUND_TEST_TIMEOUT_MS = 120_000;

let kafka: KafkaProcess | undefined;
let kafkaStartError: unknown;
let directory = '';
const brokers: BrokerProcess[] = [];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'tributary-broker-connectors-'));
  try {
    kafka = await KafkaProcess.start();
  } catch (error) {
    kafkaStartError = error;
  }
}, KAFKA_START_TIMEOUT_MS);

afterAll(async () => {
  for (const broker of brokers) await broker.dispose();
  await kafka?.dispose();
  rmSync(directory, { recursive: true, force: true });
});

function startedKafka(): KafkaProcess {
  if (kafkaStartError !== undefined || kafka === undefined) throw kafkaStartError ?? new Error('Expected Kafka to have started');
  return kafka;
}

async function startBroker(connectors: object, options: { partitions?: number; args?: string[] } = {}): Promise<BrokerProcess> {
  const file = join(directory, `connectors-${brokers.length}.yaml`);
  // JSON is YAML: the broker reads the file through the YAML loader.
  writeFileSync(file, JSON.stringify(connectors, null, 2));
  const broker = await BrokerProcess.start({ exportJsonl: true, partitions: options.partitions, args: ['--connectors', file, ...(options.args ?? [])] });
  brokers.push(broker);
  return broker;
}

/** Reads the JSON-lines export as it grows, keeping each record once by (partitionId, position). */
class ExportFollower {
  private offset = 0;
  private partial = '';
  private readonly seen = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly onRecord: (record: ExportedRecord) => void,
  ) {}

  poll(): void {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return;
    }
    if (size <= this.offset) return;
    const buffer = Buffer.alloc(size - this.offset);
    const descriptor = openSync(this.file, 'r');
    try {
      readSync(descriptor, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(descriptor);
    }
    this.offset = size;
    const lines = (this.partial + buffer.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as ExportedRecord;
      const id = `${record.partitionId}/${record.position}`;
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.onRecord(record);
    }
  }
}

function startEndProcess(processId: string): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs-${processId}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
`);
}

function publishTaskProcess(processId: string, topic: string, avroSubject?: string): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${processId}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="publish" />
    <bpmn:serviceTask id="publish">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="io.tributary:kafka-publish:1" retries="2" />
        <zeebe:ioMapping>
          <zeebe:input source="=orderId" target="key" />
          <zeebe:input source="${avroSubject === undefined ? '={orderId: orderId, total: total}' : '={id: orderId, total: total}'}" target="value" />
          <zeebe:input source="={source: &quot;tributary&quot;}" target="headers" />
        </zeebe:ioMapping>
        <zeebe:taskHeaders>
          <zeebe:header key="topic" value="${topic}" />
          <zeebe:header key="resultVariable" value="published" />${avroSubject === undefined ? '' : `\n          <zeebe:header key="avroSubject" value="${avroSubject}" />`}
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="publish" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
`);
}

async function produceNumbered(bootstrap: string, topic: string, count: number): Promise<void> {
  const client = new kafkajs.Kafka({ clientId: 'broker-connectors-test', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: KAFKA_PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  try {
    const batchSize = 1_000;
    for (let start = 0; start < count; start += batchSize) {
      const messages = Array.from({ length: Math.min(batchSize, count - start) }, (_, index) => ({ key: `order-${start + index}`, value: JSON.stringify({ orderNumber: start + index }) }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** The consumer-lag samples of a connector on the broker's /metrics, by partition. */
async function lagByPartition(broker: BrokerProcess, connector: string): Promise<Map<number, number>> {
  const { body } = await broker.monitoring('/metrics');
  const lags = new Map<number, number>();
  for (const line of body.split('\n')) {
    const match = /^tributary_connector_consumer_lag_records\{(.*)\} (\d+)$/.exec(line);
    if (match === null || !match[1].includes(`connector="${connector}"`)) continue;
    const partition = /partition="(\d+)"/.exec(match[1]);
    if (partition !== null) lags.set(Number(partition[1]), Number(match[2]));
  }
  return lags;
}

describe('connectors inside the broker', () => {
  test(
    `${RECORD_COUNT} records start exactly ${RECORD_COUNT} instances although the broker is killed with SIGKILL half way; the lag is on /metrics`,
    async () => {
      // given
      const kafka = startedKafka();
      const topic = `orders-${Date.now()}`;
      const processId = 'kafka-crash-order';
      await produceNumbered(kafka.bootstrap, topic, RECORD_COUNT);
      const broker = await startBroker(
        {
          kafka: { brokers: [kafka.bootstrap], sessionTimeout: 'PT6S' },
          inbound: [{ name: 'orders', topic, action: 'create-instance', bpmnProcessId: processId, variables: '={orderNumber: value.orderNumber}', deadLetterTopic: `${topic}-dlq` }],
          outbound: false,
        },
        { partitions: 2 },
      );
      const client = new GatewayClient(broker.address);
      const instancesByIdempotencyKey = new Map<string, Set<string>>();
      let createCommands = 0;
      const follower = new ExportFollower(broker.exportJsonlFile ?? '', (record) => {
        if (record.valueType !== 'PROCESS_INSTANCE_CREATION') return;
        if (record.recordType === 'COMMAND' && record.intent === 'CREATE') createCommands++;
        if (record.recordType !== 'EVENT' || record.intent !== 'CREATED') return;
        const key = String(record.value.idempotencyKey);
        const instances = instancesByIdempotencyKey.get(key) ?? new Set<string>();
        instances.add(String(record.value.processInstanceKey));
        instancesByIdempotencyKey.set(key, instances);
      });
      const created = () => {
        follower.poll();
        return instancesByIdempotencyKey.size;
      };
      const startedAtMs = Date.now();
      try {
        await client.call('DeployResource', { resources: [{ name: `${processId}.bpmn`, content: startEndProcess(processId) }], tenantId: '' });

        // when the broker is killed half way and started again
        await eventually('half of the records to have started instances', () => created() >= RECORD_COUNT / 2, 5 * 60_000);
        await broker.kill();
        const createdAtKill = created();
        const killedAtMs = Date.now();
        await broker.restart();

        // then every record starts exactly one instance
        await eventually(`${RECORD_COUNT} instances`, () => created() >= RECORD_COUNT, 8 * 60_000);
        const doneAtMs = Date.now();
        await eventually('the lag of every partition to be 0 on /metrics', async () => {
          const lags = await lagByPartition(broker, 'orders');
          return lags.size === KAFKA_PARTITIONS && [...lags.values()].every((lag) => lag === 0);
        }, 60_000);
        await delay(2_000);
        follower.poll();
        const instanceKeys = new Set([...instancesByIdempotencyKey.values()].flatMap((instances) => [...instances]));
        const expectedKeys = Array.from({ length: KAFKA_PARTITIONS }, (_, partition) => partition).flatMap((partition) =>
          [...instancesByIdempotencyKey.keys()].filter((key) => key.startsWith(`${topic}-${partition}-`)),
        );
        expect(instancesByIdempotencyKey.size).toBe(RECORD_COUNT);
        expect(instanceKeys.size).toBe(RECORD_COUNT);
        expect([...instancesByIdempotencyKey.values()].filter((instances) => instances.size !== 1)).toEqual([]);
        expect(expectedKeys.length).toBe(RECORD_COUNT);
        console.log(
          `10k SIGKILL test: ${createdAtKill} instances at the kill after ${killedAtMs - startedAtMs} ms; all ${RECORD_COUNT} after ${doneAtMs - startedAtMs} ms; ` +
            `${createCommands} CREATE commands for ${RECORD_COUNT} instances (${createCommands - RECORD_COUNT} replays answered with the first instance)`,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}${broker.outputForError()}`, { cause: error });
      } finally {
        client.close();
      }
    },
    CRASH_TEST_TIMEOUT_MS,
  );

  test(
    'a service task of type io.tributary:kafka-publish:1 produces its record, which reaches a consumer, and completes with where it landed',
    async () => {
      // given
      const kafka = startedKafka();
      const topic = `published-${Date.now()}`;
      const processId = 'kafka-publish-order';
      const broker = await startBroker({ kafka: { brokers: [kafka.bootstrap] }, outbound: { maxJobsToActivate: 8 } });
      const client = new GatewayClient(broker.address);
      try {
        await client.call('DeployResource', { resources: [{ name: `${processId}.bpmn`, content: publishTaskProcess(processId, topic) }], tenantId: '' });

        // when
        const instance = await client.call<{ processInstanceKey: string }>('CreateProcessInstance', { bpmnProcessId: processId, version: -1, variables: JSON.stringify({ orderId: 'o-77', total: 12 }), tenantId: '' });

        // then
        await eventually('the instance to complete', () => processInstanceCompleted(broker.exportedRecords(), String(instance.processInstanceKey)), 60_000);
        const [message] = await consumeTopics(kafka.bootstrap, topic.split('-')[0], (messages) => messages.some((item) => item.topic === topic), 60_000).then((messages) => messages.filter((item) => item.topic === topic));
        expect(message.key).toBe('o-77');
        expect(JSON.parse(message.value.toString())).toEqual({ orderId: 'o-77', total: 12 });
        expect(message.headers.source).toBe('tributary');
        const published = broker.exportedRecords().find((record) => record.valueType === 'VARIABLE' && record.value.name === 'published' && String(record.value.processInstanceKey) === String(instance.processInstanceKey));
        expect(JSON.parse(String(published?.value.value))).toMatchObject({ topic, partition: message.partition, offset: '0' });
      } catch (error) {
        throw new Error(`${(error as Error).message}${broker.outputForError()}`, { cause: error });
      } finally {
        client.close();
      }
    },
    OUTBOUND_TEST_TIMEOUT_MS,
  );

  test(
    'Avro records in the Confluent wire format decode through the broker\'s schema registry, a record that is not Avro goes to the dead-letter topic, and a task with avroSubject publishes Avro',
    async () => {
      // given
      const kafka = startedKafka();
      const topic = `avro-${Date.now()}`;
      const deadLetterTopic = `${topic}-dlq`;
      const processId = 'kafka-avro-order';
      const registryPort = await freePort();
      const registryUrl = `http://127.0.0.1:${registryPort}`;
      const broker = await startBroker(
        {
          kafka: { brokers: [kafka.bootstrap], schemaRegistryUrl: registryUrl },
          inbound: [{ name: 'avro-orders', topic, format: 'avro', action: 'create-instance', bpmnProcessId: processId, variables: '={avroOrderId: value.id, avroTotal: value.total}', deadLetterTopic }],
        },
        { args: ['--schema-registry-port', String(registryPort)] },
      );
      const client = new GatewayClient(broker.address);
      try {
        await client.call('DeployResource', { resources: [{ name: `${processId}.bpmn`, content: startEndProcess(processId) }], tenantId: '' });
        const registry = new SchemaRegistry({ host: registryUrl });
        const schema = { type: 'record', name: 'Order', namespace: 'test', fields: [{ name: 'id', type: 'string' }, { name: 'total', type: 'int' }] };
        const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
        const values = [await registry.encode(id, { id: 'a-1', total: 5 }), Buffer.from('{"id":"not-avro"}'), await registry.encode(id, { id: 'a-2', total: 7 })];

        // when
        const producer = new kafkajs.Kafka({ clientId: 'avro-test', brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer();
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: values.map((value, index) => ({ key: `k${index}`, value })) });
        await producer.disconnect();

        // then
        const orderIds = await eventually('two instances with their Avro order ids', () => {
          const found = broker.exportedRecords().filter((record) => record.valueType === 'VARIABLE' && record.intent === 'CREATED' && record.value.name === 'avroOrderId').map((record) => String(record.value.value));
          return found.length >= 2 && found;
        }, 60_000);
        expect(orderIds.sort()).toEqual(['"a-1"', '"a-2"']);
        const deadLetters = (await consumeTopics(kafka.bootstrap, topic, (messages) => messages.some((message) => message.topic === deadLetterTopic), 30_000)).filter((message) => message.topic === deadLetterTopic);
        expect(deadLetters.map((message) => [message.value.toString(), message.headers['tributary-dead-letter-cause'], message.headers['tributary-dead-letter-offset']])).toEqual([['{"id":"not-avro"}', 'invalid', '1']]);
        expect(deadLetters[0].headers['tributary-dead-letter-reason']).toMatch(/^Expected the record value to be Avro in the Confluent wire format/);

        // when a task publishes with the topic's Avro subject
        const outTopic = `${topic}-out`;
        await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${outTopic}-value` });
        await client.call('DeployResource', { resources: [{ name: 'avro-publish.bpmn', content: publishTaskProcess('kafka-avro-publish', outTopic, `${outTopic}-value`) }], tenantId: '' });
        const instance = await client.call<{ processInstanceKey: string }>('CreateProcessInstance', { bpmnProcessId: 'kafka-avro-publish', version: -1, variables: JSON.stringify({ orderId: 'a-3', total: 9 }), tenantId: '' });

        // then its record decodes through the registry
        await eventually('the publishing instance to complete', () => processInstanceCompleted(broker.exportedRecords(), String(instance.processInstanceKey)), 60_000);
        const [published] = (await consumeTopics(kafka.bootstrap, topic, (messages) => messages.some((message) => message.topic === outTopic), 30_000)).filter((message) => message.topic === outTopic);
        expect(await registry.decode(published.value)).toEqual({ id: 'a-3', total: 9 });
      } catch (error) {
        throw new Error(`${(error as Error).message}${broker.outputForError()}`, { cause: error });
      } finally {
        client.close();
      }
    },
    OUTBOUND_TEST_TIMEOUT_MS,
  );

  test(
    'a message catch event whose zeebe:properties name a topic opens its connector on deployment, and a newer version without them closes it',
    async () => {
      // given
      const kafka = startedKafka();
      const prefix = `tb${Date.now()}`;
      const topic = `${prefix}-payments`;
      const processId = 'kafka-declared-catch';
      const broker = await startBroker(
        { kafka: { brokers: [kafka.bootstrap], sessionTimeout: 'PT6S' }, bpmn: { processTopic: `${prefix}-process` }, outbound: false },
        { args: ['--kafka-brokers', kafka.bootstrap, '--kafka-topic-prefix', prefix, '--kafka-value-types', 'PROCESS'] },
      );
      const client = new GatewayClient(broker.address);
      const deploy = (declared: boolean) => client.call('DeployResource', { resources: [{ name: `${processId}.bpmn`, content: declaredCatchProcess(processId, declared ? topic : undefined) }], tenantId: '' });
      const create = (orderId: string) =>
        client.call<{ processInstanceKey: string }>('CreateProcessInstance', { bpmnProcessId: processId, version: -1, variables: JSON.stringify({ orderId }), tenantId: '' }).then((created) => String(created.processInstanceKey));
      try {
        // when version 1 declares the topic
        await deploy(true);
        await eventually('the declared connector to open', () => broker.stdout.includes(`bpmn:${processId}:paid: opened for version 1`), 60_000);
        const first = await create(`${prefix}-o-1`);
        await produceJson(kafka.bootstrap, topic, [{ orderId: `${prefix}-o-1` }]);

        // then a record on the topic correlates
        await eventually('the waiting instance to complete', () => processInstanceCompleted(broker.exportedRecords(), first), 60_000);

        // when version 2 drops the declaration
        await deploy(false);
        await eventually('the declared connector to close', () => broker.stdout.includes(`bpmn:${processId}:paid: closed: version 2 of ${processId} does not declare it`), 60_000);
        const second = await create(`${prefix}-o-2`);
        await produceJson(kafka.bootstrap, topic, [{ orderId: `${prefix}-o-2` }]);

        // then nothing reads the topic for it any more
        await delay(5_000);
        expect(processInstanceCompleted(broker.exportedRecords(), second)).toBeUndefined();
      } catch (error) {
        throw new Error(`${(error as Error).message}${broker.outputForError()}`, { cause: error });
      } finally {
        client.close();
      }
    },
    OUTBOUND_TEST_TIMEOUT_MS,
  );
});

function declaredCatchProcess(processId: string, topic: string | undefined): Buffer {
  const properties = topic === undefined ? '' : `<bpmn:extensionElements><zeebe:properties>
        <zeebe:property name="kafka.topic" value="${topic}" />
        <zeebe:property name="kafka.correlationKey" value="=value.orderId" />
        <zeebe:property name="kafka.timeToLive" value="PT1M" />
      </zeebe:properties></bpmn:extensionElements>`;
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${processId}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="paid-message" name="declared-payment"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="paid" />
    <bpmn:intermediateCatchEvent id="paid">
      ${properties}
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="paid-message" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="paid" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
`);
}

async function produceJson(bootstrap: string, topic: string, values: object[]): Promise<void> {
  const producer = new kafkajs.Kafka({ clientId: 'declared-test', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value: JSON.stringify(value) })) });
  } finally {
    await producer.disconnect();
  }
}
