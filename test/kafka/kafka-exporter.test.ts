import { createServer } from 'node:net';
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, delay, eventually, type ExportedRecord } from '../support/broker-process.js';
import { GatewayGrpcClient, type GrpcOutcome } from '../support/gateway-grpc.js';
import { consumeTopics, KAFKA_START_TIMEOUT_MS, KafkaProcess, type ConsumedMessage } from './kafka-process.js';

/**
 * The Kafka exporter against a real Kafka broker (scripts/kafka.sh), shared by the tests of this file; each test
 * gets its own topic prefix. Every test compares what reached Kafka with what the broker's JSON-lines exporter
 * wrote, which is the complete record stream.
 */

const PROCESS_ID = 'kafka-order';
/** A test's own budget: a broker start, a few hundred instances, and a consumer group joining Kafka. */
const TEST_TIMEOUT_MS = 90_000;
const JOB_TYPE = 'kafka-work';

let kafka: KafkaProcess;
/** Why Kafka could not start: every test then fails with it, none is skipped. */
let kafkaStartError: unknown;
let broker: BrokerProcess | undefined;
let gateway: GatewayGrpcClient | undefined;
let testNumber = 0;

beforeAll(async () => {
  try {
    kafka = await KafkaProcess.start();
  } catch (error) {
    kafkaStartError = error;
  }
}, KAFKA_START_TIMEOUT_MS);

afterAll(async () => {
  await kafka?.dispose();
});

afterEach(async () => {
  gateway?.close();
  gateway = undefined;
  await broker?.dispose();
  broker = undefined;
});

async function startBroker(args: string[] = []): Promise<{ broker: BrokerProcess; topicPrefix: string }> {
  if (kafkaStartError !== undefined) throw kafkaStartError;
  const topicPrefix = `t${++testNumber}-${Date.now()}`;
  broker = await BrokerProcess.start({ exportJsonl: true, args: ['--kafka-brokers', kafka.bootstrap, '--kafka-topic-prefix', topicPrefix, ...args] });
  gateway = new GatewayGrpcClient(broker);
  return { broker, topicPrefix };
}

async function succeed<T>(outcome: Promise<GrpcOutcome<T>>, what: string): Promise<T> {
  const settled = await outcome;
  if (!settled.ok) throw new Error(`Expected ${what} to succeed, but got ${settled.codeName}: ${settled.details}${broker?.outputForError() ?? ''}`);
  return settled.response;
}

/** Deploys the one-task process, starts `count` instances and completes each one's job. */
async function runInstances(client: GatewayGrpcClient, count: number, deploy = true): Promise<void> {
  if (deploy) await succeed(client.call('DeployResource', { resources: [{ name: `${PROCESS_ID}.bpmn`, content: oneTaskProcess(PROCESS_ID, JOB_TYPE) }] }), 'the deployment');
  await Promise.all(
    Array.from({ length: count }, () => succeed(client.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{"amount":12}' }), 'creating an instance')),
  );
  let completed = 0;
  while (completed < count) {
    const batches = await succeed(
      client.stream('ActivateJobs', { type: JOB_TYPE, worker: 'kafka-test', timeout: '300000', maxJobsToActivate: 100, requestTimeout: '1000' }),
      'activating jobs',
    );
    const jobs = batches.flatMap((batch: any) => batch.jobs);
    await Promise.all(jobs.map((job: any) => succeed(client.call('CompleteJob', { jobKey: job.key, variables: '{"paid":true}' }), 'completing a job')));
    completed += jobs.length;
  }
}

/** Waits until every exporter has exported everything committed, and returns the complete stream (JSON lines). */
async function exportedStream(running: BrokerProcess, timeoutMs = 30_000): Promise<ExportedRecord[]> {
  try {
    await eventually(
      'every exporter to have caught up',
      async () => {
        const { body } = await running.monitoring('/metrics');
        const lags = [...body.matchAll(/^tributary_exporter_lag_records\{[^}]*\} (\d+)$/gm)].map((match) => Number(match[1]));
        return lags.length >= 2 && lags.every((lag) => lag === 0);
      },
      timeoutMs,
    );
  } catch (error) {
    const { body } = await running.monitoring('/metrics').catch(() => ({ body: '' }));
    const exporterMetrics = body.split('\n').filter((line) => line.startsWith('tributary_exporter_')).join('\n');
    throw new Error(`${(error as Error).message}\n${exporterMetrics}${running.outputForError()}\n--- kafka log ---\n${kafka.logTail()}`, { cause: error });
  }
  return running.exportedRecords();
}

const identity = (partitionId: string | number, position: string | number) => `${partitionId}/${position}`;

/** The distinct (partitionId, position) pairs among the messages. */
function distinctPositions(messages: readonly ConsumedMessage[]): Set<string> {
  return new Set(messages.map((message) => identity(message.headers.partitionId, message.headers.position)));
}

/** Consumes until every record of the stream has arrived; a failure names some of the records that did not. */
async function consumeAll(topicPrefix: string, records: readonly ExportedRecord[], timeoutMs = 30_000): Promise<ConsumedMessage[]> {
  const missing = new Set(records.map((record) => identity(record.partitionId, record.position)));
  let counted = 0;
  try {
    return await consumeTopics(
      kafka.bootstrap,
      topicPrefix,
      (messages) => {
        for (; counted < messages.length; counted++) missing.delete(identity(messages[counted].headers.partitionId, messages[counted].headers.position));
        return missing.size === 0;
      },
      timeoutMs,
    );
  } catch (error) {
    const sample = [...missing].slice(0, 10).map((id) => {
      const record = records.find((candidate) => identity(candidate.partitionId, candidate.position) === id);
      return `${id} ${record?.valueType} ${record?.intent}`;
    });
    throw new Error(`${(error as Error).message}; ${missing.size} of ${records.length} records missing, e.g. ${sample.join('; ')}`, { cause: error });
  }
}

/**
 * Per Kafka partition, the positions of each key's records arrive ascending, except that a retried batch may
 * repeat records already delivered: a repeat goes back, then runs forward over the same records again.
 */
function expectInOrderPerKey(messages: readonly ConsumedMessage[]): void {
  const lastByKey = new Map<string, number>();
  const seen = new Set<string>();
  for (const message of messages) {
    const position = Number(message.headers.position);
    const id = identity(message.headers.partitionId, message.headers.position);
    const streamKey = `${message.topic}/${message.partition}/${message.key}`;
    if (!seen.has(id)) expect(position, `first delivery of ${id} under ${streamKey}`).toBeGreaterThan(lastByKey.get(streamKey) ?? -1);
    seen.add(id);
    lastByKey.set(streamKey, Math.max(position, lastByKey.get(streamKey) ?? -1));
  }
}

/** Duplicates are only whole repeats: the same (partitionId, position) always carries the same message. */
function expectDuplicatesOnlyAsRepeats(messages: readonly ConsumedMessage[]): number {
  const byId = new Map<string, string>();
  let duplicates = 0;
  for (const message of messages) {
    const id = identity(message.headers.partitionId, message.headers.position);
    const content = `${message.topic}|${message.key}|${message.value.toString('base64')}`;
    if (byId.has(id)) {
      duplicates += 1;
      expect(byId.get(id), `repeat of ${id}`).toBe(content);
    }
    byId.set(id, content);
  }
  return duplicates;
}

describe('Kafka exporter with a real Kafka broker', () => {
  test('a consumer receives the complete event stream of many instances as JSON, in order per instance', async () => {
    // given
    const { broker: running, topicPrefix } = await startBroker();

    // when
    await runInstances(gateway!, 40);
    const records = await exportedStream(running);
    const messages = await consumeAll(topicPrefix, records);

    // then
    expect(records.filter((record) => record.valueType === 'PROCESS_INSTANCE' && record.intent === 'ELEMENT_COMPLETED' && record.value.bpmnElementType === 'PROCESS')).toHaveLength(40);
    expect(distinctPositions(messages).size).toBe(records.length);
    expectInOrderPerKey(messages);
    const completed = messages.find((message) => message.headers.intent === 'ELEMENT_COMPLETED' && message.topic === `${topicPrefix}-process-instance`)!;
    const json = JSON.parse(completed.value.toString());
    expect(completed.key).toBe(String(json.value.processInstanceKey));
    expect(completed.headers).toMatchObject({ partitionId: '1', recordType: 'EVENT', valueType: 'PROCESS_INSTANCE', intent: 'ELEMENT_COMPLETED' });
    expect(completed.headers.position).toBe(String(json.position));
    const fromJsonLines = records.find((record) => record.position === json.position);
    expect(json).toEqual(fromJsonLines);
    expect(new Set(messages.map((message) => message.topic))).toEqual(
      new Set(records.map((record) => `${topicPrefix}-${record.valueType.toLowerCase().replaceAll('_', '-')}`)),
    );
  }, TEST_TIMEOUT_MS);

  test('Avro messages decode through the built-in schema registry, 64-bit keys as bigints', async () => {
    // given
    const registryPort = await freePort();
    const { broker: running, topicPrefix } = await startBroker(['--kafka-format', 'avro', '--schema-registry-port', String(registryPort)]);

    // when
    await runInstances(gateway!, 5);
    const records = await exportedStream(running);
    const messages = await consumeAll(topicPrefix, records);

    // then
    const longAsBigint = avro.types.LongType.__with({
      fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
      toBuffer: (value: bigint) => {
        const buffer = Buffer.alloc(8);
        buffer.writeBigInt64LE(value);
        return buffer;
      },
      fromJSON: BigInt,
      toJSON: Number,
      isValid: (value: unknown) => typeof value === 'bigint',
      compare: (left: bigint, right: bigint) => (left === right ? 0 : left < right ? -1 : 1),
    });
    const registry = new ConfluentClient({ host: `http://127.0.0.1:${registryPort}` }, { [SchemaType.AVRO]: { registry: { long: longAsBigint } } } as any);
    const byPosition = new Map(records.map((record) => [record.position, record]));
    for (const message of messages) {
      const decoded = await registry.decode(message.value);
      const expected = byPosition.get(Number(decoded.position))!;
      expect(decoded).toMatchObject({ partitionId: expected.partitionId, valueType: expected.valueType, intent: expected.intent, recordType: expected.recordType });
      expect(decoded.key).toBe(BigInt(expected.key));
      expect(JSON.parse(decoded.value)).toEqual(expected.value);
      // Typed value types carry their value as Avro fields too, longs as bigints.
      if (expected.valueType === 'PROCESS_INSTANCE' && expected.recordType === 'EVENT') {
        expect(decoded.typedValue).toMatchObject({ elementId: expected.value.elementId, bpmnProcessId: PROCESS_ID, processInstanceKey: BigInt(expected.value.processInstanceKey) });
      }
      if (expected.valueType === 'JOB' && expected.intent === 'CREATED') expect(decoded.typedValue).toMatchObject({ type: JOB_TYPE, retries: expected.value.retries });
    }
    const typedSubject = `http://127.0.0.1:${registryPort}/subjects/${topicPrefix}-job-value/versions/latest`;
    expect(JSON.parse(((await (await fetch(typedSubject)).json()) as { schema: string }).schema).fields.map((field: { name: string }) => field.name)).toContain('typedValue');
    const subjects = (await (await fetch(`http://127.0.0.1:${registryPort}/subjects`)).json()) as string[];
    expect(subjects).toContain(`${topicPrefix}-process-instance-value`);

    // and the registry keeps its schemas across a broker restart, under the same ids
    const latest = `http://127.0.0.1:${registryPort}/subjects/${topicPrefix}-process-instance-value/versions/latest`;
    const before = await (await fetch(latest)).json();
    await running.stop();
    await running.restart();
    expect(await (await fetch(latest)).json()).toEqual(before);
  }, TEST_TIMEOUT_MS);

  test('the broker killed with SIGKILL while exporting loses nothing; duplicates are only repeated (partitionId, position)', async () => {
    // given a broker exporting a steady load
    const { broker: running, topicPrefix } = await startBroker();
    await runInstances(gateway!, 20);
    const load = runInstances(gateway!, 200, false).catch(() => undefined);
    await delay(300);

    // when
    await running.kill();
    await load;
    await running.restart();
    gateway?.close();
    gateway = new GatewayGrpcClient(running);
    await runInstances(gateway, 10, false);
    const records = await exportedStream(running);
    const messages = await consumeAll(topicPrefix, records);

    // then
    expect(distinctPositions(messages).size).toBe(new Set(records.map((record) => identity(record.partitionId, record.position))).size);
    expectDuplicatesOnlyAsRepeats(messages);
    expectInOrderPerKey(messages);
  }, TEST_TIMEOUT_MS);

  test('Kafka stopped for 30 s under load and restarted: nothing is lost', async () => {
    // given
    const { broker: running, topicPrefix } = await startBroker();
    await runInstances(gateway!, 10);

    // when Kafka is down while instances run
    await kafka.stop();
    const downUntil = Date.now() + 30_000;
    let instances = 10;
    while (Date.now() < downUntil) {
      await runInstances(gateway!, 10, false);
      instances += 10;
      await delay(500);
    }
    const { body: metricsWhileDown } = await running.monitoring('/metrics');
    await kafka.restart();
    const records = await exportedStream(running, 60_000);
    const messages = await consumeAll(topicPrefix, records, 60_000);

    // then
    expect(metricsWhileDown).toMatch(/^tributary_exporter_errors_total\{partition="1",exporter="kafka"\} [1-9]/m);
    expect(records.filter((record) => record.valueType === 'PROCESS_INSTANCE' && record.intent === 'ELEMENT_COMPLETED' && record.value.bpmnElementType === 'PROCESS')).toHaveLength(instances);
    expect(distinctPositions(messages).size).toBe(records.length);
    expectDuplicatesOnlyAsRepeats(messages);
    expectInOrderPerKey(messages);
  }, 150_000);
});

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
